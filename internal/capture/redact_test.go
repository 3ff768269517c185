package capture

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestRedactText(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, in, want string
	}{
		{"e164", "call +14155550101 now", "call +15550000001 now"},
		{"spaced international", "call +1 415 555 0101", "call +15550000001"},
		{"north american", "call (415) 555-0101.", "call +15550000001."},
		{"national with 0", "call 020 7946 0123", "call +15550000002"},
		{"not a phone: date, amount, time", "on 2025-03-02 pay 80000 at 10:00", "on 2025-03-02 pay 80000 at 10:00"},
		{"email; first.last also names Jo and Smith (Name1, Name2)", "write to Jo.Smith@corp.example.com", "write to person1@example.com"},
		{"introduced name", "Hi, my name is Ellis Grant.", "Hi, my name is Name3 Name4."},
		{"known name again, capitalised forms only", "ELLIS said grant is given; Ellis agreed", "Name3 said grant is given; Name3 agreed"},
		{"name inside a word is kept", "Ellison called", "Ellison called"},
	}
	r := newRedactor()
	r.phone("+14155550101")
	for _, tc := range cases {
		// One redactor for all cases, in order: placeholders stay consistent.
		r.collectText(tc.in)
		assert.Equal(t, tc.want, r.text(tc.in), tc.name)
	}
}

func TestFixtureName(t *testing.T) {
	t.Parallel()
	cases := []struct{ agent, callID, want string }{
		{"Northwind Recruiter", "73F02AE1-ded9-40f2", "northwind-recruiter-73f02ae1"},
		{"Équipe Support", "c-1", "quipe-support-c1"},
		{"42 Desk", "abc", "call-42-desk-abc"},
		{"", "", "call"},
		{"A very long agent name that goes on and on and on forever", "id", "a-very-long-agent-name-that-goes-on-and-id"},
	}
	for _, tc := range cases {
		assert.Equal(t, tc.want, fixtureName(tc.agent, tc.callID), tc.agent)
		assert.Regexp(t, `^[a-z][a-z0-9-]{0,63}$`, fixtureName(tc.agent, tc.callID))
	}
}
