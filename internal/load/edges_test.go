package load_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/hamsasim/hamsasim/internal/load"
	"github.com/hamsasim/hamsasim/internal/loadreport"
	"github.com/hamsasim/hamsasim/internal/report"
)

// eventTypeOf reads the eventType of a request body.
func eventTypeOf(body []byte) string {
	var env struct {
		EventType string `json:"eventType"`
	}
	_ = json.Unmarshal(body, &env)
	return env.EventType
}

// checkIdentities asserts the accounting every summary must satisfy.
func checkIdentities(t *testing.T, s *loadreport.Summary) {
	t.Helper()
	o := s.Overall
	assert.Equal(t, o.Deliveries, o.Acked+o.Failed+o.Unsent, "deliveries = acked + failed + unsent")
	assert.Equal(t, s.Calls.Started, s.Calls.Completed+s.Calls.Incomplete, "started = completed + incomplete")
	assert.Equal(t, o.Duplicates, o.DuplicatesAcked+o.DuplicatesUnacked, "duplicates = acked + unacked")
	var sum loadreport.Stats
	for _, ts := range s.PerType {
		sum.Deliveries += ts.Deliveries
		sum.Acked += ts.Acked
		sum.Failed += ts.Failed
		sum.Unsent += ts.Unsent
		sum.Attempts += ts.Attempts
		sum.Retries += ts.Retries
		sum.Timeouts += ts.Timeouts
		sum.Errors += ts.Errors
		sum.Duplicates += ts.Duplicates
		assert.Equal(t, ts.Deliveries, ts.Acked+ts.Failed+ts.Unsent, ts.Type)
	}
	assert.Equal(t, o.Deliveries, sum.Deliveries)
	assert.Equal(t, o.Acked, sum.Acked)
	assert.Equal(t, o.Failed, sum.Failed)
	assert.Equal(t, o.Unsent, sum.Unsent)
	assert.Equal(t, o.Attempts, sum.Attempts)
	assert.Equal(t, o.Retries, sum.Retries)
	assert.Equal(t, o.Timeouts, sum.Timeouts)
	assert.Equal(t, o.Errors, sum.Errors)
	assert.Equal(t, o.Duplicates, sum.Duplicates)
	var attempts, started int64
	for _, b := range s.Timeline.Buckets {
		attempts += b.Attempts
		started += b.CallsStarted
	}
	assert.Equal(t, o.Attempts, attempts, "timeline attempts = overall attempts")
	assert.Equal(t, s.Calls.Started, started, "timeline calls = calls started")
	assert.Equal(t, o.Attempts, o.Latency.Count)
}

// hostile answers every way a broken receiver can: acknowledgements, 5xx,
// a redirect, a 4xx, answers after the timeout, a cut connection, a huge
// body, and non-JSON.
func hostile(t *testing.T, seed uint64) (string, *atomic.Int64) {
	t.Helper()
	var mu sync.Mutex
	rng := rand.New(rand.NewPCG(seed, 1))
	var redirected atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/elsewhere" {
			redirected.Add(1)
			return
		}
		_, _ = io.Copy(io.Discard, r.Body)
		mu.Lock()
		n := rng.IntN(10)
		mu.Unlock()
		switch n {
		case 0, 1, 2, 3:
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `{"received":true}`)
		case 4:
			w.WriteHeader(http.StatusServiceUnavailable)
		case 5:
			http.Redirect(w, r, "/elsewhere", http.StatusFound)
		case 6:
			time.Sleep(400 * time.Millisecond) // past the timeout
			_, _ = io.WriteString(w, `{"received":true}`)
		case 7:
			hj, ok := w.(http.Hijacker)
			if !ok {
				t.Errorf("no hijacker")
				return
			}
			c, _, _ := hj.Hijack()
			_ = c.Close()
		case 8:
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(bytes.Repeat([]byte("x"), 1<<20))
		case 9:
			_, _ = io.WriteString(w, "plain text, not json")
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/hook", &redirected
}

// Every accounting identity holds whatever the target does, with retries,
// duplicates, shuffled calls, few workers and a short drain.
func TestIdentitiesAgainstHostileTarget(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		drain   string
		cancel  time.Duration
		workers int
	}{
		{"drained", "5s", 0, 2},
		{"short drain", "50ms", 0, 1},
		{"interrupted", "5s", 700 * time.Millisecond, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			url, redirected := hostile(t, 3)
			sc := parseScenario(t, `
name: hostile
duration: 1s
arrival: {constant: 8}
mix:
  - {fixture: support-resolved, weight: 1}
  - {fixture: no-answer, weight: 1}
timeScale: 0.002
duplicates: 0.3
outOfOrder: 0.5
delivery: {timeout: 200ms, retries: 2, backoff: {base: 50ms, factor: 2, max: 200ms}}
drain: `+tc.drain+`
thresholds: [success >= 100%]
`)
			ctx := context.Background()
			if tc.cancel > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tc.cancel)
				defer cancel()
			}
			var results bytes.Buffer
			began := time.Now()
			s, err := newEngine(t, sc, url, load.WithWorkers(tc.workers), load.WithMaxInFlight(5), load.WithResults(&results)).Run(ctx)
			require.NoError(t, err)
			assert.Less(t, time.Since(began), 10*time.Second)
			checkIdentities(t, s)
			assert.Zero(t, redirected.Load(), "a redirect must not be followed")
			n := int64(0)
			dec := vegeta.NewDecoder(&results)
			for {
				var r vegeta.Result
				if err := dec.Decode(&r); err != nil {
					require.ErrorIs(t, err, io.EOF)
					break
				}
				n++
			}
			assert.Equal(t, s.Overall.Attempts, n, "one result per attempt")
			t.Logf("%s: calls %+v overall %+v stop %q", tc.name, s.Calls, s.Overall.Status, s.StopReason)
		})
	}
}

// A call one of whose deliveries was given up as unsent (a retry waiting
// when the run was interrupted) is incomplete, even when its last event
// was answered afterwards.
func TestInterruptedRetryMakesTheCallIncomplete(t *testing.T) {
	t.Parallel()
	// The run is interrupted while call.ended is being answered (not after a
	// fixed time, which a busy machine may not reach), so call.started's
	// retry is still waiting for its backoff.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		if eventTypeOf(body) == "call.started" {
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = io.WriteString(w, `{"error":"busy"}`)
			return
		}
		cancel()
		time.Sleep(300 * time.Millisecond)
		_, _ = io.WriteString(w, `{"received":true}`)
	}))
	t.Cleanup(srv.Close)
	sc := parseScenario(t, `
name: lost-retry
duration: 1s
arrival: {constant: 1}
mix: [{fixture: no-answer, weight: 1}]
timeScale: 0.001
delivery: {timeout: 2s, retries: 2, backoff: {base: 5s, factor: 2, max: 10s}}
`)
	s, err := newEngine(t, sc, srv.URL+"/hook").Run(ctx)
	require.NoError(t, err)
	assert.True(t, s.Interrupted)
	assert.EqualValues(t, 1, s.Calls.Started)
	assert.EqualValues(t, 1, s.Overall.Unsent, "call.started's retry was never sent")
	assert.EqualValues(t, 1, s.Overall.Acked, "call.ended was answered")
	assert.EqualValues(t, 0, s.Calls.Completed, "a call with an unsent delivery is not complete")
	assert.EqualValues(t, 1, s.Calls.Incomplete)
	checkIdentities(t, s)
}

// A run whose context is already done sends nothing.
func TestRunAlreadyInterruptedSendsNothing(t *testing.T) {
	t.Parallel()
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"received":true}`)
	}))
	t.Cleanup(srv.Close)
	sc := parseScenario(t, "name: h\nduration: 1s\narrival: {constant: 20}\nmix: [{fixture: no-answer, weight: 1}]\ntimeScale: 0.01\n")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for range 20 {
		s, err := newEngine(t, sc, srv.URL+"/hook").Run(ctx)
		require.NoError(t, err)
		assert.True(t, s.Interrupted)
		checkIdentities(t, s)
	}
	assert.Zero(t, hits.Load(), "nothing is sent once the run is interrupted")
}

// A capacity search interrupted before its first stage ends without a
// panic and says it was interrupted.
func TestFindCapacityInterruptedBeforeTheFirstStage(t *testing.T) {
	t.Parallel()
	url := limited(t, 80)
	sc := parseScenario(t, "name: cap\nduration: 1s\narrival: {constant: 5}\nmix: [{fixture: no-answer, weight: 1}]\ntimeScale: 0.01\nthresholds: [errors == 0]\n")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var s *loadreport.Summary
	var err error
	require.NotPanics(t, func() {
		s, err = load.FindCapacity(ctx, sc, fixtures(t), load.CapacitySearch{Stage: 200 * time.Millisecond, MaxStages: 3},
			load.WithTarget(url, "loopback", "url"), load.WithSeed(1))
	})
	require.NoError(t, err)
	require.NotNil(t, s)
	assert.True(t, s.Interrupted)
	assert.False(t, s.Passed)
	require.NotNil(t, s.Capacity)
	assert.False(t, s.Capacity.Found)
}

// The results file of a capacity search holds every stage's attempts, and
// vegeta reads it to the end.
func TestFindCapacityResultsFileIsOneStream(t *testing.T) {
	t.Parallel()
	url := limited(t, 1000)
	sc := parseScenario(t, "name: cap\nduration: 1s\narrival: {constant: 5}\nmix: [{fixture: no-answer, weight: 1}]\ntimeScale: 0.01\nthresholds: [errors == 0]\n")
	var results bytes.Buffer
	s, err := load.FindCapacity(context.Background(), sc, fixtures(t), load.CapacitySearch{Stage: 300 * time.Millisecond, MaxStages: 2},
		load.WithTarget(url, "loopback", "url"), load.WithSeed(1), load.WithResults(&results))
	require.NoError(t, err)
	require.Len(t, s.Capacity.Stages, 2)
	n := int64(0)
	dec := vegeta.NewDecoder(bufio.NewReader(&results))
	for {
		var r vegeta.Result
		if err := dec.Decode(&r); err != nil {
			require.ErrorIs(t, err, io.EOF, "after %d results", n)
			break
		}
		n++
	}
	assert.Equal(t, s.Overall.Attempts, n)
}

// Nothing the target says, and nothing of the target's URL beyond what
// reports show, reaches the results file: not a reason phrase echoing the
// Authorization value, not a query token quoted in a timeout's error.
func TestResultsFileHoldsNoSecrets(t *testing.T) {
	t.Parallel()
	var ended atomic.Int64
	raw := func(w http.ResponseWriter, text string) {
		c, buf, err := w.(http.Hijacker).Hijack()
		if err != nil {
			t.Errorf("hijack: %v", err)
			return
		}
		_, _ = buf.WriteString(text)
		_ = buf.Flush()
		_ = c.Close()
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		auth := r.Header.Get("Authorization")
		switch {
		case eventTypeOf(body) == "call.started":
			// A reason phrase quoting the Authorization value.
			raw(w, "HTTP/1.1 401 "+auth+"\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}")
		case ended.Add(1)%2 == 0:
			// Not HTTP at all: the Authorization value echoed.
			raw(w, auth+"\r\n\r\n")
		default:
			time.Sleep(400 * time.Millisecond) // past the timeout
		}
	}))
	t.Cleanup(srv.Close)
	sc := parseScenario(t, `
name: secrets
duration: 1s
arrival: {constant: 2}
mix: [{fixture: no-answer, weight: 1}]
timeScale: 0.001
delivery: {timeout: 200ms, retries: 0}
`)
	var results bytes.Buffer
	s, err := newEngine(t, sc, srv.URL+"/hook?key=query-secret-123", load.WithResults(&results),
		load.WithScrubber(report.NewScrubber(token, strings.TrimPrefix(token, "Bearer ")))).Run(context.Background())
	require.NoError(t, err)
	assert.EqualValues(t, 2, s.Overall.Status["401"])
	assert.EqualValues(t, 1, s.Overall.Timeouts)
	assert.EqualValues(t, 1, s.Overall.Status["protocol"], "%v", s.Overall.Status)
	var all strings.Builder
	dec := vegeta.NewDecoder(&results)
	for {
		var r vegeta.Result
		if err := dec.Decode(&r); err != nil {
			require.ErrorIs(t, err, io.EOF)
			break
		}
		all.WriteString(r.Error + "\n" + r.URL + "\n" + string(r.Body) + "\n")
	}
	assert.NotContains(t, all.String(), "load-test-token")
	assert.NotContains(t, all.String(), "query-secret-123")
	assert.Contains(t, all.String(), "401 Unauthorized")
	// The answer that is not HTTP is classified by its type: its bytes
	// (the echoed secret) are not quoted at all.
	assert.Contains(t, all.String(), "protocol: the answer is not HTTP")
	t.Log(all.String())
}

// A run closes the connections it opened once it ends: the stages of a
// capacity search do not pile up idle connections on the target.
func TestRunClosesItsConnections(t *testing.T) {
	t.Parallel()
	var open atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"received":true}`)
	}))
	srv.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		switch st {
		case http.StateNew:
			open.Add(1)
		case http.StateClosed, http.StateHijacked:
			open.Add(-1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	sc := parseScenario(t, "name: h\nduration: 500ms\narrival: {constant: 20}\nmix: [{fixture: no-answer, weight: 1}]\ntimeScale: 0.001\n")
	s, err := newEngine(t, sc, srv.URL+"/hook", load.WithWorkers(8)).Run(context.Background())
	require.NoError(t, err)
	require.True(t, s.Passed)
	deadline := time.Now().Add(2 * time.Second)
	for open.Load() > 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	assert.Zero(t, open.Load(), "connections left open after the run")
}

// A redirect is an answer, never followed, whatever client the engine is
// given: the platform does not follow them either.
func TestRedirectsAreNotFollowed(t *testing.T) {
	t.Parallel()
	var followed atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/elsewhere" {
			followed.Add(1)
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `{"received":true}`)
			return
		}
		http.Redirect(w, r, "/elsewhere", http.StatusTemporaryRedirect)
	}))
	t.Cleanup(srv.Close)
	sc := parseScenario(t, "name: h\nduration: 1s\narrival: {constant: 2}\nmix: [{fixture: no-answer, weight: 1}]\ntimeScale: 0.001\ndelivery: {retries: 0}\n")
	for _, opts := range [][]load.Option{nil, {load.WithHTTPClient(&http.Client{})}} {
		s, err := newEngine(t, sc, srv.URL+"/hook", opts...).Run(context.Background())
		require.NoError(t, err)
		assert.EqualValues(t, 4, s.Overall.Status["307"], "%v", s.Overall.Status)
		assert.EqualValues(t, 4, s.Overall.Failed)
		assert.Zero(t, s.Overall.Acked)
	}
	assert.Zero(t, followed.Load())
}

// The engine makes no shard that report merge would refuse.
func TestWithShardBoundsTheCount(t *testing.T) {
	t.Parallel()
	sc := parseScenario(t, "name: h\nduration: 1s\narrival: {constant: 2}\nmix: [{fixture: no-answer, weight: 1}]\n")
	_, err := load.New(sc, fixtures(t), load.WithTarget("http://127.0.0.1:1/hook", "loopback", "url"), load.WithShard(0, loadreport.MaxShards+1))
	assert.ErrorIs(t, err, load.ErrConfig)
	_, err = load.New(sc, fixtures(t), load.WithTarget("http://127.0.0.1:1/hook", "loopback", "url"), load.WithShard(loadreport.MaxShards-1, loadreport.MaxShards))
	assert.NoError(t, err)
}
