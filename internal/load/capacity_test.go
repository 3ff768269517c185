package load_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hamsasim/hamsasim/internal/load"
	"github.com/hamsasim/hamsasim/internal/loadreport"
)

// limited answers 200 within its budget of events per second and 503 past
// it: a receiver with a known capacity.
func limited(t *testing.T, perSecond float64) string {
	t.Helper()
	var mu sync.Mutex
	tokens, last := perSecond/4, time.Now()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		mu.Lock()
		now := time.Now()
		tokens = min(perSecond/4, tokens+now.Sub(last).Seconds()*perSecond)
		last = now
		ok := tokens >= 1
		if ok {
			tokens--
		}
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if !ok {
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = io.WriteString(w, `{"error":"busy"}`)
			return
		}
		_, _ = io.WriteString(w, `{"received":true}`)
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/webhook"
}

// The search doubles until the receiver refuses, narrows, names the highest
// rate that held, and ends by itself.
func TestFindCapacityBracketsTheLimit(t *testing.T) {
	t.Parallel()
	url := limited(t, 40) // events/s; a no-answer call is 2 events, so ~20 calls/s
	sc := parseScenario(t, `
name: cap
duration: 1s
arrival: {constant: 5}
mix: [{fixture: no-answer, weight: 1}]
timeScale: 0.01
delivery: {retries: 0}
thresholds:
  - errors == 0
  - lost == 0
`)
	var stages []loadreport.Stage
	s, err := load.FindCapacity(context.Background(), sc, fixtures(t), load.CapacitySearch{
		Stage: time.Second, MaxStages: 10, Refine: 2,
		OnStage: func(st loadreport.Stage) { stages = append(stages, st) },
	}, load.WithTarget(url, "loopback", "url"), load.WithContract(shippedContract(t)), load.WithSeed(1))
	require.NoError(t, err)
	c := s.Capacity
	require.NotNil(t, c)
	t.Logf("capacity %+v", *c)
	assert.True(t, c.Found)
	assert.True(t, s.Passed)
	assert.GreaterOrEqual(t, c.CallsPerSec, 10.0)
	assert.Less(t, c.CallsPerSec, 40.0)
	assert.Greater(t, c.BrokenAt, c.CallsPerSec)
	assert.LessOrEqual(t, c.BrokenAt, 80.0)
	assert.Equal(t, c.Stages, stages)
	assert.LessOrEqual(t, len(c.Stages), 10)
	require.GreaterOrEqual(t, len(c.Stages), 3, "%+v", c.Stages)
	assert.Equal(t, []float64{5, 10, 20}, []float64{c.Stages[0].CallsPerSec, c.Stages[1].CallsPerSec, c.Stages[2].CallsPerSec})
	assert.Positive(t, c.EventsPerSec)
	assert.NotEmpty(t, c.Limit)
	assert.Contains(t, s.Notes, "the stages of a capacity search are not audited through the probe API: its thresholds on lost and duplicated events were left out",
		"a threshold only an audit can judge does not break every stage")
}

// When even the first rate breaks, the search halves; when nothing holds it
// says so and fails.
func TestFindCapacityWhenNothingHolds(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
	}))
	t.Cleanup(srv.Close)
	sc := parseScenario(t, `
name: never
duration: 1s
arrival: {constant: 4}
mix: [{fixture: no-answer, weight: 1}]
timeScale: 0.01
delivery: {retries: 0}
thresholds: [errors == 0]
`)
	s, err := load.FindCapacity(context.Background(), sc, fixtures(t), load.CapacitySearch{Stage: 500 * time.Millisecond, MaxStages: 3},
		load.WithTarget(srv.URL, "loopback", "url"), load.WithSeed(1))
	require.NoError(t, err)
	assert.False(t, s.Capacity.Found)
	assert.False(t, s.Passed)
	require.Len(t, s.Capacity.Stages, 3)
	assert.Equal(t, []float64{4, 2, 1}, []float64{s.Capacity.Stages[0].CallsPerSec, s.Capacity.Stages[1].CallsPerSec, s.Capacity.Stages[2].CallsPerSec})
	assert.Contains(t, s.Capacity.Limit, "stage limit")
}
