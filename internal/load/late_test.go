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

	"github.com/hamsasim/hamsasim/internal/deliver"
)

// A 2xx that comes after the platform's 5-second budget is not an
// acknowledgement, whatever the scenario's own timeout: the platform gave
// up on the attempt at 5 s. Load reports it as late, as simulate does, and
// the delivery fails.
func TestLateAnswersAreNotAcknowledged(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if eventTypeOf(body) == "call.started" {
			time.Sleep(deliver.AckBudget + time.Second)
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"received":true}`)
	}))
	t.Cleanup(srv.Close)
	sc := parseScenario(t, `
name: late
duration: 1s
arrival: {constant: 1}
mix: [{fixture: no-answer, weight: 1}]
timeScale: 0.001
delivery: {timeout: 30s, retries: 0}
`)
	s, err := newEngine(t, sc, srv.URL+"/hook").Run(context.Background())
	require.NoError(t, err)
	checkIdentities(t, s)
	assert.EqualValues(t, 1, s.Overall.Status["late"], "%v", s.Overall.Status)
	assert.EqualValues(t, 1, s.Overall.Timeouts, "the platform saw a timeout")
	assert.Zero(t, s.Overall.Status["200"]-(s.Overall.Attempts-1), "every other answer is a plain 200")
	for _, ts := range s.PerType {
		if ts.Type != "call.started" {
			continue
		}
		assert.EqualValues(t, 1, ts.Failed, "the late delivery failed")
		assert.Zero(t, ts.Acked)
		assert.EqualValues(t, 1, ts.Errors)
		assert.GreaterOrEqual(t, ts.Latency.Max, float64(deliver.AckBudget.Milliseconds()))
	}
}
