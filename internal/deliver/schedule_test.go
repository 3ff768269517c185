package deliver_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/hamsasim/hamsasim/internal/deliver"
)

func TestBackoffWaitSchedule(t *testing.T) {
	t.Parallel()
	fail := deliver.Attempt{Status: 503}
	waits := deliver.Backoff{Attempts: 10, Waits: []time.Duration{5 * time.Second, time.Minute, 10 * time.Minute}, Max: 7 * time.Minute}
	jittered := deliver.Backoff{Attempts: 5, Base: 10 * time.Second, Factor: 2, Max: time.Hour, Jitter: 0.2}
	tests := []struct {
		name      string
		policy    deliver.Backoff
		attempt   int
		u         float64
		wantWait  time.Duration
		wantRetry bool
	}{
		{name: "schedule: first wait", policy: waits, attempt: 1, wantWait: 5 * time.Second, wantRetry: true},
		{name: "schedule: second wait", policy: waits, attempt: 2, wantWait: time.Minute, wantRetry: true},
		{name: "schedule: capped at Max", policy: waits, attempt: 3, wantWait: 7 * time.Minute, wantRetry: true},
		{name: "schedule: the last wait repeats", policy: waits, attempt: 9, wantWait: 7 * time.Minute, wantRetry: true},
		{name: "schedule: attempts still bound it", policy: waits, attempt: 10},
		{name: "jitter: lowest draw is -20%", policy: jittered, attempt: 1, u: 0, wantWait: 8 * time.Second, wantRetry: true},
		{name: "jitter: middle draw is the plain wait", policy: jittered, attempt: 2, u: 0.5, wantWait: 20 * time.Second, wantRetry: true},
		{name: "jitter: highest draw approaches +20%", policy: jittered, attempt: 3, u: 0.75, wantWait: 44 * time.Second, wantRetry: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, retry := tt.policy.Wait(tt.attempt, fail, tt.u)
			assert.Equal(t, tt.wantRetry, retry)
			assert.Equal(t, tt.wantWait, got)
		})
	}
}

// TestBackoffJitterSpreads checks that Next draws: many waits for the same
// retry are spread over the whole ±Jitter band, never outside it.
func TestBackoffJitterSpreads(t *testing.T) {
	t.Parallel()
	b := deliver.Backoff{Attempts: 3, Base: time.Second, Factor: 2, Max: time.Minute, Jitter: 0.5}
	lo, hi := time.Hour, time.Duration(0)
	for range 2000 {
		w, ok := b.Next(1, deliver.Attempt{Class: deliver.ClassTimeout})
		assert.True(t, ok)
		lo, hi = min(lo, w), max(hi, w)
	}
	assert.GreaterOrEqual(t, lo, 500*time.Millisecond)
	assert.Less(t, lo, 600*time.Millisecond, "the low end of the band is reached")
	assert.LessOrEqual(t, hi, 1500*time.Millisecond)
	assert.Greater(t, hi, 1400*time.Millisecond, "the high end of the band is reached")
}

// TestBackoffRetryAfterNotJittered: the receiver's own wait is obeyed as given.
func TestBackoffRetryAfterNotJittered(t *testing.T) {
	t.Parallel()
	b := deliver.Backoff{Attempts: 3, Base: time.Second, Factor: 2, Max: time.Minute, Jitter: 0.5}
	a := deliver.Attempt{Status: 429, Header: http.Header{"Retry-After": {"7"}}}
	got, ok := b.Wait(1, a, 0)
	assert.True(t, ok)
	assert.Equal(t, 7*time.Second, got)
}

// A schedule with no exponential max still bounds what a Retry-After asks.
func TestBackoffRetryAfterBoundedUnderASchedule(t *testing.T) {
	t.Parallel()
	b := deliver.Backoff{Attempts: 3, Waits: []time.Duration{time.Minute, time.Hour}, RetryAfterMax: 30 * time.Second}
	got, ok := b.Wait(1, deliver.Attempt{Status: 503, Header: http.Header{"Retry-After": {"3600"}}}, 0.5)
	assert.True(t, ok)
	assert.Equal(t, 30*time.Second, got)
	got, ok = b.Wait(2, deliver.Attempt{Status: 500}, 0.5)
	assert.True(t, ok)
	assert.Equal(t, time.Hour, got, "the schedule's own waits are not capped")
}
