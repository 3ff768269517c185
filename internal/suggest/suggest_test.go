package suggest

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestDistance(t *testing.T) {
	t.Parallel()
	eq := func(x, y rune) bool { return x == y }
	cases := []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"abc", "abc", 0}, {"", "abc", 3}, {"kitten", "sitting", 3}, {"agnet", "agent", 2}, {"naïve", "naive", 1},
	}
	for _, tc := range cases {
		assert.Equal(t, tc.want, Distance([]rune(tc.a), []rune(tc.b), eq), "%s/%s", tc.a, tc.b)
	}
	words := Distance([]string{"the", "platfrom", "delivers"}, []string{"the", "platform", "delivers"}, func(x, y string) bool { return x == y })
	assert.Equal(t, 1, words)
}

func TestName(t *testing.T) {
	t.Parallel()
	known := []string{"name", "project", "agent", "call", "end"}
	assert.Equal(t, "agent", Name("agnet", known, 2))
	assert.Equal(t, "project", Name("projet", known, 2))
	assert.Equal(t, "", Name("transcript", known, 2))
}
