package load_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hamsasim/hamsasim/internal/load"
)

// closedPort is a loopback address nothing listens on: connections are refused.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	return addr
}

// A target that never answers trips the breaker: the run stops sending,
// says why once, and fails, long before its duration.
func TestBreakerStopsARunAgainstADeadTarget(t *testing.T) {
	t.Parallel()
	sc := parseScenario(t, `
name: dead
duration: 5m
arrival: {constant: 20}
mix: [{fixture: no-answer, weight: 1}]
timeScale: 0.01
delivery: {retries: 3, backoff: {base: 50ms}}
`)
	began := time.Now()
	s, err := newEngine(t, sc, "http://"+closedPort(t)+"/hook", load.WithBreaker(time.Second)).Run(context.Background())
	require.NoError(t, err)
	assert.Less(t, time.Since(began), time.Minute, "ended by the breaker, not the 5-minute duration")
	assert.True(t, strings.HasPrefix(s.StopReason, load.UnreachableReason+": "), s.StopReason)
	assert.Contains(t, s.StopReason, "refused ×")
	assert.True(t, s.Unreachable)
	assert.False(t, s.Passed)
	assert.Zero(t, s.Overall.Acked)
	assert.Positive(t, s.Overall.Unsent, "what was never sent is counted, not lost")
}

// The scenario's own blackhole is not the target's silence: a fault longer
// than the breaker's window does not trip it, and retries recover.
func TestBreakerIgnoresTheScenariosOwnFaults(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"received":true}`)
	}))
	t.Cleanup(srv.Close)
	sc := parseScenario(t, `
name: hole
duration: 4s
arrival: {constant: 10}
mix: [{fixture: no-answer, weight: 1}]
timeScale: 0.01
delivery: {timeout: 300ms, retries: 10, backoff: {base: 200ms, factor: 1}, jitter: 0%}
faults:
  - {kind: blackhole, start: 500ms, length: 2s}
`)
	s, err := newEngine(t, sc, srv.URL+"/hook", load.WithBreaker(time.Second)).Run(context.Background())
	require.NoError(t, err)
	assert.Empty(t, s.StopReason)
	assert.False(t, s.Unreachable)
	assert.Positive(t, s.Overall.Timeouts, "the blackhole timed attempts out")
	assert.Equal(t, s.Overall.Deliveries, s.Overall.Acked, "and retries got every event through")
}
