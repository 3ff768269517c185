package load_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hamsasim/hamsasim/internal/deliver"
	"github.com/hamsasim/hamsasim/internal/fixture"
	"github.com/hamsasim/hamsasim/internal/load"
)

// A 503 with Retry-After is retried after the wait the receiver asked for,
// not the backoff's.
func TestRetryAfterIsHonoured(t *testing.T) {
	t.Parallel()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		if n.Add(1) == 1 {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = io.WriteString(w, `{"error":"busy"}`)
			return
		}
		_, _ = io.WriteString(w, `{"received":true}`)
	}))
	t.Cleanup(srv.Close)
	sc := parseScenario(t, `
name: ra
duration: 100ms
arrival: {constant: 10}
mix: [{fixture: no-answer, weight: 1}]
timeScale: 0.001
delivery: {retries: 2, backoff: {base: 10ms, factor: 2, max: 5s}}
`)
	began := time.Now()
	s, err := newEngine(t, sc, srv.URL+"/hook").Run(context.Background())
	require.NoError(t, err)
	assert.GreaterOrEqual(t, time.Since(began), time.Second, "waited as Retry-After asked (the backoff alone is 10 ms)")
	assert.EqualValues(t, 1, s.Overall.Retries)
	assert.Equal(t, s.Overall.Deliveries, s.Overall.Acked)
}

// An endpoint that answers 410 Gone is disabled: nothing more is sent, and
// the run fails saying why.
func TestGoneStopsDelivery(t *testing.T) {
	t.Parallel()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		n.Add(1)
		w.WriteHeader(http.StatusGone)
	}))
	t.Cleanup(srv.Close)
	sc := parseScenario(t, `
name: gone
duration: 2s
arrival: {constant: 5}
mix: [{fixture: support-resolved, weight: 1}]
timeScale: 0.01
`)
	s, err := newEngine(t, sc, srv.URL+"/hook", loadWorkers(1)).Run(context.Background())
	require.NoError(t, err)
	assert.False(t, s.Passed)
	assert.Contains(t, s.StopReason, "410 Gone")
	assert.EqualValues(t, 1, n.Load(), "nothing is sent after the 410")
	assert.EqualValues(t, 1, s.Overall.Failed)
	assert.Positive(t, s.Overall.Unsent)
	assert.Equal(t, s.Overall.Deliveries, s.Overall.Acked+s.Overall.Failed+s.Overall.Unsent)
	assert.Equal(t, s.Calls.Started, s.Calls.Completed+s.Calls.Incomplete)
	assert.EqualValues(t, 1, s.DeadLetters)
}

func loadWorkers(n int) load.Option { return load.WithWorkers(n) }

// An endpoint subscribed to some event types receives only those.
func TestEventSubscriptions(t *testing.T) {
	t.Parallel()
	url := startReceiver(t)
	sc := parseScenario(t, `
name: subset
duration: 1s
arrival: {constant: 3}
mix: [{fixture: support-resolved, weight: 1}, {fixture: sales-outbound-tools, weight: 1}]
timeScale: 0.005
duplicates: 0.2
`)
	s, err := newEngine(t, sc, url, load.WithEvents([]string{"call.ended", "tool.executed"})).Run(context.Background())
	require.NoError(t, err)
	assert.True(t, s.Passed)
	assert.Equal(t, []string{"tool.executed", "call.ended"}, s.Events)
	var types []string
	for _, ts := range s.PerType {
		types = append(types, ts.Type)
	}
	assert.Equal(t, []string{"tool.executed", "call.ended"}, types)
	assert.EqualValues(t, 3, s.Calls.Completed)
	assert.Equal(t, s.Overall.Deliveries, s.Overall.Acked)

	_, err = load.New(sc, fixtures(t), load.WithTarget(url, "x", "url"), load.WithEvents([]string{"call.ending"}))
	require.ErrorIs(t, err, load.ErrConfig)
}

// A fixture whose text collides with the template's marks is expanded whole
// per call; subscriptions still pick the right events from it.
func TestFullExpansionWithSubscriptions(t *testing.T) {
	t.Parallel()
	ids := fixture.NewIDs(1, "collide", 0)
	f, err := fixture.Parse([]byte(`name: collide
agent: {id: agent-1, name: Ava}
project: proj-1
call: {direction: inbound, from: "+15550001", to: "+15550002", answered: true, ring: 2s}
params: {note: "`+ids.CallID+`"}
turns:
  - {at: 3s, agent: "Hello"}
end: {at: 10s, recording: "https://rec.example.com/a.mp3"}
`), "collide.yaml")
	require.NoError(t, err)
	var mu sync.Mutex
	got := map[string]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var ev struct{ EventType, CallID string }
		_ = json.NewDecoder(r.Body).Decode(&ev)
		mu.Lock()
		got[ev.EventType]++
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"received":true}`)
	}))
	t.Cleanup(srv.Close)
	url := srv.URL + "/hook"
	sc := parseScenario(t, "name: c\nduration: 1s\narrival: {constant: 2}\nmix: [{fixture: collide, weight: 1}]\ntimeScale: 0.01\n")
	e, err := load.New(sc, map[string]*fixture.Fixture{"collide": f},
		load.WithTarget(url, "x", "url"), load.WithSigner(deliver.Bearer{Value: token, Env: "WEBHOOK_SECRET"}),
		load.WithContract(shippedContract(t)), load.WithEvents([]string{"call.answered", "call.ended"}))
	require.NoError(t, err)
	s, err := e.Run(context.Background())
	require.NoError(t, err)
	assert.True(t, s.Passed, "%+v", s.Violations)
	require.Len(t, s.PerType, 2)
	assert.Equal(t, "call.answered", s.PerType[0].Type)
	assert.EqualValues(t, 2, s.PerType[1].Acked)
	assert.Zero(t, s.Overall.ContractViolations)
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, map[string]int{"call.answered": 2, "call.ended": 2}, got, "the bodies are those of the subscribed events")
}
