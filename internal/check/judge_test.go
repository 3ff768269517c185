package check_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/hamsasim/hamsasim/internal/check"
	"github.com/hamsasim/hamsasim/internal/deliver"
)

func TestSlow(t *testing.T) {
	t.Parallel()
	budget := deliver.AckBudget
	tests := []struct {
		name string
		a    deliver.Attempt
		want bool
	}{
		{"quick answer", deliver.Attempt{Status: 200, Latency: 10 * time.Millisecond}, false},
		{"just under the budget", deliver.Attempt{Status: 200, Latency: budget - time.Millisecond}, false},
		{"at the budget", deliver.Attempt{Status: 200, Latency: budget}, true},
		{"late", deliver.Attempt{Status: 200, Class: deliver.ClassLate, Latency: budget + time.Second}, true},
		{"timeout", deliver.Attempt{Class: deliver.ClassTimeout, Latency: 200 * time.Millisecond}, true},
		{"refused quickly", deliver.Attempt{Class: deliver.ClassRefused, Latency: time.Millisecond}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, check.Slow(tt.a, budget))
		})
	}
}

func TestJudgeAnswer(t *testing.T) {
	t.Parallel()
	j := check.NewJudge(loadContract(t))
	body := []byte(`{"eventType":"call.started"}`)
	json := http.Header{"Content-Type": {"application/json"}}
	tests := []struct {
		name          string
		a             deliver.Attempt
		acked, late   bool
		wantViolation bool
	}{
		{"200 as the contract says", deliver.Attempt{Status: 200, Header: json, Body: []byte(`{"received":true}`), Latency: time.Millisecond}, true, false, false},
		{"the same answer again, from memory", deliver.Attempt{Status: 200, Header: json, Body: []byte(`{"received":true}`), Latency: time.Millisecond}, true, false, false},
		{"500, not declared", deliver.Attempt{Status: 500, Header: json, Body: []byte(`{}`), Latency: time.Millisecond}, false, false, true},
		{"200 after the budget", deliver.Attempt{Status: 200, Class: deliver.ClassLate, Header: json, Body: []byte(`{"received":true}`), Latency: deliver.AckBudget + time.Second}, false, true, false},
		{"no answer", deliver.Attempt{Class: deliver.ClassTimeout, Latency: deliver.AckBudget}, false, false, false},
	}
	for _, tt := range tests {
		v := j.Answer("call.started", body, tt.a)
		assert.Equal(t, tt.acked, v.Acked, tt.name)
		assert.Equal(t, tt.late, v.Late, tt.name)
		assert.Equal(t, tt.wantViolation, v.Violation != "", "%s: %q", tt.name, v.Violation)
	}
}

// The one decision of acknowledgement: any 2xx within the budget, nothing else.
func TestAcknowledged(t *testing.T) {
	t.Parallel()
	for _, status := range []int{200, 201, 202, 204, 299} {
		assert.True(t, deliver.Acknowledged(status, deliver.ClassNone, time.Millisecond), "%d", status)
	}
	for _, status := range []int{0, 199, 301, 400, 401, 410, 500} {
		assert.False(t, deliver.Acknowledged(status, deliver.ClassNone, time.Millisecond), "%d", status)
	}
	assert.False(t, deliver.Acknowledged(200, deliver.ClassNone, deliver.AckBudget), "at the budget")
	assert.False(t, deliver.Acknowledged(200, deliver.ClassLate, time.Millisecond), "late")
}
