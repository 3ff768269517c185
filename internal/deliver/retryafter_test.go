package deliver

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	h := func(v string) http.Header { return http.Header{"Retry-After": []string{v}} }
	cases := []struct {
		name   string
		status int
		header http.Header
		want   time.Duration
		ok     bool
	}{
		{"seconds on 429", 429, h("7"), 7 * time.Second, true},
		{"seconds on 503", 503, h(" 3 "), 3 * time.Second, true},
		{"date", 503, h(now.Add(90 * time.Second).Format(http.TimeFormat)), 90 * time.Second, true},
		{"date past", 429, h(now.Add(-time.Minute).Format(http.TimeFormat)), 0, true},
		{"not on 500", 500, h("7"), 0, false},
		{"missing", 429, http.Header{}, 0, false},
		{"garbage", 429, h("soon"), 0, false},
		{"negative", 429, h("-5"), 0, false},
		{"huge", 429, h("99999999999999999"), 0, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, ok := RetryAfter(Attempt{Status: tc.status, Header: tc.header}, now)
			assert.Equal(t, tc.ok, ok)
			assert.Equal(t, tc.want, got)
		})
	}
}

// The backoff waits as Retry-After asks, bounded by its Max, and still
// never retries what Retryable refuses.
func TestBackoffHonoursRetryAfter(t *testing.T) {
	t.Parallel()
	b := Backoff{Attempts: 3, Base: time.Second, Factor: 2, Max: 10 * time.Second}
	wait, again := b.Next(1, Attempt{Status: 429, Header: http.Header{"Retry-After": []string{"4"}}})
	assert.True(t, again)
	assert.Equal(t, 4*time.Second, wait)
	wait, again = b.Next(1, Attempt{Status: 503, Header: http.Header{"Retry-After": []string{"120"}}})
	assert.True(t, again)
	assert.Equal(t, 10*time.Second, wait, "bounded by Max")
	wait, again = b.Next(1, Attempt{Status: 500, Header: http.Header{"Retry-After": []string{"4"}}})
	assert.True(t, again)
	assert.Equal(t, time.Second, wait, "only 429 and 503 carry it")
	_, again = b.Next(3, Attempt{Status: 429, Header: http.Header{"Retry-After": []string{"1"}}})
	assert.False(t, again, "attempts are still bounded")
}
