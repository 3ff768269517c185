package load_test

import (
	"context"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hamsasim/hamsasim"
	"github.com/hamsasim/hamsasim/internal/contract"
	"github.com/hamsasim/hamsasim/internal/deliver"
	"github.com/hamsasim/hamsasim/internal/fixture"
	"github.com/hamsasim/hamsasim/internal/load"
	"github.com/hamsasim/hamsasim/internal/loadreport"
	"github.com/hamsasim/hamsasim/internal/receiver"
	"github.com/hamsasim/hamsasim/internal/scenario"
)

const token = "Bearer load-test-token"

func fixtures(t *testing.T) map[string]*fixture.Fixture {
	t.Helper()
	out := map[string]*fixture.Fixture{}
	fsys := hamsasim.Fixtures()
	names, err := fs.Glob(fsys, "fixtures/calls/*.yaml")
	require.NoError(t, err)
	for _, name := range names {
		data, err := fs.ReadFile(fsys, name)
		require.NoError(t, err)
		f, err := fixture.Parse(data, name)
		require.NoError(t, err)
		out[f.Name] = f
	}
	return out
}

func shippedContract(t *testing.T) *contract.Contract {
	t.Helper()
	c, err := contract.Load(hamsasim.Contract(), "spec/hamsa-webhooks.yaml")
	require.NoError(t, err)
	return c
}

func startReceiver(t *testing.T, faults ...receiver.Fault) string {
	t.Helper()
	fs := receiver.Faults{}
	for _, f := range faults {
		fs[f] = true
	}
	rcv, err := receiver.New(receiver.Config{Authorization: token, DBPath: filepath.Join(t.TempDir(), "r.db"), Faults: fs})
	require.NoError(t, err)
	srv := httptest.NewServer(rcv.Handler())
	t.Cleanup(func() { srv.Close(); rcv.Close() })
	return srv.URL + "/webhook"
}

func parseScenario(t *testing.T, text string) *scenario.Scenario {
	t.Helper()
	sc, err := scenario.Parse([]byte(text), "test.yaml")
	require.NoError(t, err)
	return sc
}

const quick = `
name: quick
duration: 2s
arrival: {constant: 10}
mix:
  - {fixture: support-resolved, weight: 2}
  - {fixture: ends-early, weight: 1}
  - {fixture: no-answer, weight: 1}
timeScale: 0.01
duplicates: 0.2
outOfOrder: 0.1
drain: 30s
thresholds:
  - p99 < 5s
  - success >= 100%
  - duplicates_unacknowledged == 0
  - contract_violations == 0
  - call.ended p99 < 2s
`

func TestRunAgainstReceiver(t *testing.T) {
	t.Parallel()
	url := startReceiver(t)
	// The drain is long: on a busy machine the receiver's real latency,
	// seen through the fast clock, stretches the calls far past their
	// virtual length. A healthy run ends when its last call does.
	sc := parseScenario(t, strings.Replace(quick, "drain: 30s", "drain: 30m", 1))
	e, err := load.New(sc, fixtures(t),
		load.WithTarget(url, "loopback", "url"),
		load.WithSigner(deliver.Bearer{Value: token, Env: "WEBHOOK_SECRET"}),
		load.WithContract(shippedContract(t)),
		load.WithSeed(7),
		// The scenario's 2 s of arrivals pass in 100 ms of real time.
		load.WithClock(load.NewFastClock(20)))
	require.NoError(t, err)
	s, err := e.Run(context.Background())
	require.NoError(t, err)
	assert.True(t, s.Passed, "%+v", s.Thresholds)
	assert.EqualValues(t, 20, s.Calls.Planned)
	assert.EqualValues(t, 20, s.Calls.Started)
	assert.EqualValues(t, 20, s.Calls.Completed)
	assert.Zero(t, s.Overall.Failed)
	assert.Zero(t, s.Overall.Unsent)
	assert.Positive(t, s.Overall.Duplicates)
	assert.Equal(t, s.Overall.Duplicates, s.Overall.DuplicatesAcked)
	assert.Equal(t, s.Overall.Deliveries, s.Overall.Acked)
	assert.Equal(t, s.Overall.Attempts, s.Overall.Acked, "one attempt per delivery")
	t.Logf("%+v", s.Overall)
	_ = time.Second
}

func newEngine(t *testing.T, sc *scenario.Scenario, url string, opts ...load.Option) *load.Engine {
	t.Helper()
	base := []load.Option{
		load.WithTarget(url, "loopback", "url"),
		load.WithSigner(deliver.Bearer{Value: token, Env: "WEBHOOK_SECRET"}),
		load.WithContract(shippedContract(t)),
		load.WithSeed(7),
	}
	e, err := load.New(sc, fixtures(t), append(base, opts...)...)
	require.NoError(t, err)
	return e
}

func typeStats(t *testing.T, s *loadreport.Summary, typ string) loadreport.Stats {
	t.Helper()
	for _, ts := range s.PerType {
		if ts.Type == typ {
			return ts.Stats
		}
	}
	t.Fatalf("no stats for %s", typ)
	return loadreport.Stats{}
}

// A receiver that acknowledges too late: every attempt times out, the run
// fails its thresholds, and the timeouts show on call.ended too (the call
// moves on after each first attempt, as the platform does).
func TestSlowAckTimesOutOnCallEnded(t *testing.T) {
	t.Parallel()
	url := startReceiver(t, receiver.FaultSlowAck)
	sc := parseScenario(t, `
name: slow
duration: 1s
arrival: {constant: 2}
mix: [{fixture: no-answer, weight: 1}]
timeScale: 0.01
delivery: {timeout: 1s, retries: 1, backoff: {base: 100ms, factor: 2, max: 1s}}
drain: 30s
thresholds:
  - call.ended timeouts == 0
  - success >= 99.9%
`)
	s, err := newEngine(t, sc, url).Run(context.Background())
	require.NoError(t, err)
	assert.False(t, s.Passed)
	ended := typeStats(t, s, "call.ended")
	assert.EqualValues(t, 2, ended.Deliveries)
	assert.EqualValues(t, 4, ended.Timeouts, "2 calls x (first attempt + 1 retry)")
	assert.EqualValues(t, 2, ended.Failed)
	assert.EqualValues(t, 4, ended.Status["timeout"])
	assert.GreaterOrEqual(t, ended.Latency.P50, 1000.0, "a timeout counts at its full wait")
	require.Len(t, s.Thresholds, 2)
	assert.False(t, s.Thresholds[0].Held)
	assert.Equal(t, "4", s.Thresholds[0].GotText)
	assert.EqualValues(t, 2, s.Calls.Completed, "every call was delivered whole (given up after retries)")
}

// Interrupting a run stops arrivals and scheduling at once, waits for the
// attempts in flight, and counts what was never sent.
func TestInterruptStopsPromptly(t *testing.T) {
	t.Parallel()
	url := startReceiver(t)
	sc := parseScenario(t, `
name: long
duration: 1m
arrival: {constant: 5}
mix: [{fixture: support-resolved, weight: 1}]
timeScale: 0.05
`)
	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	began := time.Now()
	s, err := newEngine(t, sc, url).Run(ctx)
	require.NoError(t, err)
	assert.Less(t, time.Since(began), 5*time.Second)
	assert.True(t, s.Interrupted)
	assert.False(t, s.Passed)
	assert.Equal(t, "interrupted", s.StopReason)
	assert.Positive(t, s.Calls.Incomplete)
	assert.Positive(t, s.Overall.Unsent)
	assert.Equal(t, s.Overall.Deliveries, s.Overall.Acked+s.Overall.Failed+s.Overall.Unsent)
	assert.Equal(t, s.Calls.Started, s.Calls.Completed+s.Calls.Incomplete)
}

// The in-flight limit holds calls back instead of dropping them, and the
// summary says so.
func TestMaxInFlightDelaysArrivals(t *testing.T) {
	t.Parallel()
	url := startReceiver(t)
	sc := parseScenario(t, `
name: crowded
duration: 1s
arrival: {constant: 20}
mix: [{fixture: support-resolved, weight: 1}]
timeScale: 0.005
`)
	s, err := newEngine(t, sc, url, load.WithMaxInFlight(2)).Run(context.Background())
	require.NoError(t, err)
	assert.EqualValues(t, 20, s.Calls.Started)
	assert.EqualValues(t, 20, s.Calls.Completed)
	assert.EqualValues(t, 2, s.Calls.MaxInFlight)
	assert.Positive(t, s.Calls.Late)
	assert.NotEmpty(t, s.Notes)
}

// The target sees what the platform sends: the Authorization value whole,
// JSON, and none of vegeta's own headers.
func TestRequestsCarryPlatformHeadersOnly(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var seen []http.Header
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Header.Clone())
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"received":true}`)
	}))
	t.Cleanup(srv.Close)
	sc := parseScenario(t, "name: h\nduration: 1s\narrival: {constant: 2}\nmix: [{fixture: no-answer, weight: 1}]\ntimeScale: 0.01\n")
	s, err := newEngine(t, sc, srv.URL+"/hook").Run(context.Background())
	require.NoError(t, err)
	assert.True(t, s.Passed)
	mu.Lock()
	defer mu.Unlock()
	require.Len(t, seen, 4)
	for _, h := range seen {
		assert.Equal(t, token, h.Get("Authorization"))
		assert.Equal(t, "application/json", h.Get("Content-Type"))
		for k := range h {
			assert.NotContains(t, k, "Vegeta")
		}
	}
}

// With signatures, every attempt is signed for its own body: the reference
// receiver verifies each and acknowledges them all.
func TestHMACSignsEveryAttempt(t *testing.T) {
	t.Parallel()
	key := []byte("0123456789abcdef0123456789abcdef")
	rcv, err := receiver.New(receiver.Config{SigningKey: key, DBPath: filepath.Join(t.TempDir(), "r.db")})
	require.NoError(t, err)
	srv := httptest.NewServer(rcv.Handler())
	t.Cleanup(func() { srv.Close(); rcv.Close() })
	sc := parseScenario(t, "name: h\nduration: 1s\narrival: {constant: 3}\nmix: [{fixture: support-resolved, weight: 1}]\ntimeScale: 0.005\nduplicates: 0.3\n")
	s, err := newEngine(t, sc, srv.URL+"/webhook", load.WithSigner(deliver.HMAC{Key: key, Env: "WEBHOOK_SIGNING_SECRET"})).Run(context.Background())
	require.NoError(t, err)
	assert.True(t, s.Passed)
	assert.Positive(t, s.Overall.Duplicates)
	assert.Equal(t, s.Overall.Deliveries, s.Overall.Acked, "%v", s.Overall.Status)
}
