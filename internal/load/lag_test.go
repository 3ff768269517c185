package load_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hamsasim/hamsasim/internal/load"
)

func slowTarget(t *testing.T, delay time.Duration) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		time.Sleep(delay)
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"received":true}`)
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/webhook"
}

const lagScenario = `
name: lag
duration: 1s
arrival: {constant: 10}
mix: [{fixture: no-answer, weight: 1}]
timeScale: 0.01
thresholds: [p99 < 5s]
`

// Events that wait for a free worker are sent late; every exchange is fast
// enough, but the run says the target did not get the load it asked for.
func TestLagWhenWorkersAreBusy(t *testing.T) {
	t.Parallel()
	url := slowTarget(t, 150*time.Millisecond)
	s, err := newEngine(t, parseScenario(t, lagScenario), url, load.WithWorkers(1)).Run(context.Background())
	require.NoError(t, err)
	assert.EqualValues(t, 20, s.Overall.Attempts)
	assert.Less(t, s.Overall.Latency.P99, 1000.0, "each exchange is quick")
	assert.Greater(t, s.Lag.P99, 1000.0, "but events queued for the one worker")
	require.NotEmpty(t, s.Notes)
	assert.Contains(t, s.Notes[len(s.Notes)-1], "attempts were sent late")
	assert.Contains(t, s.Histograms, "lag")

	// With enough workers nothing waits.
	s, err = newEngine(t, parseScenario(t, lagScenario), url, load.WithWorkers(32)).Run(context.Background())
	require.NoError(t, err)
	assert.Less(t, s.Lag.P99, 100.0)
	assert.Empty(t, s.Notes)
}

// A capacity stage whose events had to wait for workers did not hold, even
// when every threshold on the exchanges did.
func TestCapacityStageBrokenBySendingLate(t *testing.T) {
	t.Parallel()
	url := slowTarget(t, 150*time.Millisecond)
	s, err := load.FindCapacity(context.Background(), parseScenario(t, lagScenario), fixtures(t),
		load.CapacitySearch{Stage: time.Second, MaxStages: 1},
		load.WithTarget(url, "loopback", "url"), load.WithWorkers(1), load.WithSeed(1))
	require.NoError(t, err)
	require.Len(t, s.Capacity.Stages, 1)
	st := s.Capacity.Stages[0]
	assert.False(t, st.Held)
	require.NotEmpty(t, st.Broken)
	assert.Contains(t, st.Broken[len(st.Broken)-1], "sent late")
}

// A run the drain cuts short fails even when it has no threshold to break.
func TestDrainCutFailsTheRun(t *testing.T) {
	t.Parallel()
	url := slowTarget(t, 400*time.Millisecond)
	sc := parseScenario(t, `
name: cut
duration: 500ms
arrival: {constant: 4}
mix: [{fixture: support-resolved, weight: 1}]
timeScale: 0.01
drain: 200ms
`)
	s, err := newEngine(t, sc, url).Run(context.Background())
	require.NoError(t, err)
	assert.False(t, s.Passed)
	assert.False(t, s.Interrupted)
	assert.Contains(t, s.StopReason, "drain timeout")
	assert.Positive(t, s.Calls.Incomplete)
	assert.Positive(t, s.Overall.Unsent)
}
