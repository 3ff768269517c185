package simulate_test

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"

	"github.com/hamsasim/hamsasim/internal/check"
	"github.com/hamsasim/hamsasim/internal/deliver"
	"github.com/hamsasim/hamsasim/internal/deliver/mocks"
	"github.com/hamsasim/hamsasim/internal/fixture"
	"github.com/hamsasim/hamsasim/internal/probe"
	"github.com/hamsasim/hamsasim/internal/simulate"
)

var start = time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)

var lifecycleOnly = map[string]bool{probe.GroupLifecycle: true}

func shippedFixtures(t *testing.T, names ...string) []*fixture.Fixture {
	t.Helper()
	var out []*fixture.Fixture
	for _, n := range names {
		f, err := fixture.ReadFile(filepath.Join("..", "..", "fixtures", "calls", n+".yaml"))
		require.NoError(t, err)
		out = append(out, f)
	}
	return out
}

func newDeliverer(t *testing.T, attempts int) *deliver.Deliverer {
	t.Helper()
	d, err := deliver.New(deliver.WithRetryPolicy(deliver.Backoff{Attempts: attempts, Base: time.Millisecond, Factor: 2}))
	require.NoError(t, err)
	return d
}

func TestEachCallArrivesInOrder(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	seen := map[string][]string{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		var env struct{ CallID, EventType, Timestamp string }
		body, _ := io.ReadAll(req.Body)
		if err := json.Unmarshal(body, &env); err != nil {
			t.Errorf("bad body: %v", err)
		}
		mu.Lock()
		seen[env.CallID] = append(seen[env.CallID], env.Timestamp+" "+env.EventType)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"received":true}`))
	}))
	t.Cleanup(srv.Close)
	fs := shippedFixtures(t, "job-interview", "support-resolved", "sales-outbound-tools", "ends-early", "no-answer")
	r, err := simulate.Run(context.Background(), simulate.Config{
		Target: srv.URL, Fixtures: fs, Deliverer: newDeliverer(t, 1), Seed: 3, Start: start, Concurrency: 5,
		Groups: lifecycleOnly,
	})
	require.NoError(t, err)
	assert.True(t, r.Passed)
	assert.Equal(t, 20+19+21+6+2, r.Deliveries)
	require.Len(t, seen, 5, "one callId per fixture")
	for id, got := range seen {
		for i := 1; i < len(got); i++ {
			assert.LessOrEqual(t, got[i-1], got[i], "call %s: events out of order", id)
		}
		assert.Contains(t, got[0], "call.started")
		assert.Contains(t, got[len(got)-1], "call.ended")
	}
}

func TestBreakerStopsAnUnreachableTarget(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close()) // nothing listens there now: connection refused
	r, err := simulate.Run(context.Background(), simulate.Config{
		Target: "http://" + addr + "/webhook", Fixtures: shippedFixtures(t, "long-hour"), Deliverer: newDeliverer(t, 2),
		Seed: 1, Start: start, BreakerThreshold: 4,
	})
	require.NoError(t, err)
	assert.False(t, r.Passed)
	require.NotEmpty(t, r.Findings)
	var ids []string
	for _, f := range r.Findings {
		ids = append(ids, f.Check)
	}
	assert.Contains(t, ids, check.TargetUnreachable)
	assert.Contains(t, ids, check.Status2xx)
	assert.LessOrEqual(t, r.Attempts, 4, "stops after the threshold")
	assert.Equal(t, 1158, r.Deliveries+r.NotSent, "every event is either sent or counted as not sent")
	assert.Greater(t, r.NotSent, 1000)
}

func TestInterruptedRunIsMarked(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	var n int
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		mu.Lock()
		n++
		if n == 10 {
			cancel() // Ctrl-C during the run
		}
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"received":true}`))
	}))
	t.Cleanup(srv.Close)
	r, err := simulate.Run(ctx, simulate.Config{
		Target: srv.URL, Fixtures: shippedFixtures(t, "long-hour"), Deliverer: newDeliverer(t, 1), Seed: 1, Start: start,
		Groups: lifecycleOnly,
	})
	require.NoError(t, err)
	assert.True(t, r.Interrupted)
	assert.False(t, r.Passed)
	assert.GreaterOrEqual(t, r.Deliveries, 9)
	assert.Less(t, r.Deliveries, 20)
	assert.Equal(t, 1158, r.Deliveries+r.NotSent)
}

func TestTimeScalePacesEvents(t *testing.T) {
	t.Parallel()
	f, err := fixture.Parse([]byte(`
name: paced
project: p
agent: {id: a, name: b}
call: {direction: inbound, from: "+14155550101", to: "+14155550102", ring: 1s}
end: {at: 3s}
`), "paced.yaml")
	require.NoError(t, err)
	clock, waits := fakeClock(t)
	var mu sync.Mutex
	var arrivals []time.Time
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		mu.Lock()
		arrivals = append(arrivals, clock.Now())
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"received":true}`))
	}))
	t.Cleanup(srv.Close)
	_, err = simulate.Run(context.Background(), simulate.Config{
		Target: srv.URL, Fixtures: []*fixture.Fixture{f}, Deliverer: newDeliverer(t, 1), Start: start, TimeScale: 0.1,
		Groups: lifecycleOnly, Clock: clock,
	})
	require.NoError(t, err)
	require.Len(t, arrivals, 3)
	assert.Equal(t, 100*time.Millisecond, arrivals[1].Sub(arrivals[0]), "call.answered at 1s, scaled by 0.1")
	assert.Equal(t, 300*time.Millisecond, arrivals[2].Sub(arrivals[0]), "call.ended at 3s, scaled by 0.1")
	assert.Equal(t, []time.Duration{0, 100 * time.Millisecond, 200 * time.Millisecond}, *waits)
}

// fakeClock is a mocked clock whose Sleep returns at once, moving its
// time forward by the wait; it records the waits, in order.
func fakeClock(t *testing.T) (*mocks.Clock, *[]time.Duration) {
	t.Helper()
	c := mocks.NewClock(t)
	var mu sync.Mutex
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	var waits []time.Duration
	c.EXPECT().Now().RunAndReturn(func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		return now
	}).Maybe()
	c.EXPECT().Sleep(mock.Anything, mock.Anything).RunAndReturn(func(_ context.Context, d time.Duration) error {
		mu.Lock()
		defer mu.Unlock()
		waits = append(waits, d)
		now = now.Add(max(d, 0))
		return nil
	}).Maybe()
	return c, &waits
}

// TestFailingTypeIsSentOnce: once an event type has failed every attempt
// DefaultFailStreak times in a row, later events of the type are sent once
// each, and the bounds say so; one acknowledgement puts the type back on
// the full schedule; FailStreak < 0 retries every one.
func TestFailingTypeIsSentOnce(t *testing.T) {
	t.Parallel()
	fs := shippedFixtures(t, "long-hour")
	calls, err := simulate.Calls(simulate.Config{Fixtures: fs, Seed: 1, Start: start})
	require.NoError(t, err)
	u := 0 // transcription.update events
	for _, ev := range calls[0] {
		if ev.Type == "transcription.update" {
			u++
		}
	}
	const s = simulate.DefaultFailStreak
	const acked = s + 2 // the update the receiver acknowledges, counting from 0
	for _, tc := range []struct {
		name       string
		streak     int
		wantTries  int
		wantBounds int
	}{
		// s events × 3 tries, 2 sent once, the acknowledged one, s × 3
		// again, then the rest once each.
		{"bounded", 0, 3*s + 2 + 1 + 3*s + (u - 2*s - 3), 1},
		{"full retries", -1, 3*(u-1) + 1, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var mu sync.Mutex
			tries, order := 0, map[string]int{}
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
				var env struct{ EventType, Timestamp string }
				body, _ := io.ReadAll(req.Body)
				_ = json.Unmarshal(body, &env)
				if env.EventType != "transcription.update" {
					w.WriteHeader(http.StatusNoContent)
					return
				}
				mu.Lock()
				tries++
				n, ok := order[env.Timestamp]
				if !ok {
					n = len(order)
					order[env.Timestamp] = n
				}
				mu.Unlock()
				if n == acked {
					w.WriteHeader(http.StatusAccepted)
					return
				}
				w.WriteHeader(http.StatusInternalServerError)
			}))
			t.Cleanup(srv.Close)
			r, err := simulate.Run(context.Background(), simulate.Config{
				Target: srv.URL, Fixtures: fs, Deliverer: newDeliverer(t, 3), Seed: 1, Start: start,
				Groups: lifecycleOnly, Concurrency: 1, FailStreak: tc.streak,
			})
			require.NoError(t, err)
			assert.False(t, r.Passed)
			mu.Lock()
			defer mu.Unlock()
			assert.Equal(t, tc.wantTries, tries)
			assert.Len(t, r.Bounds, tc.wantBounds, "%q", r.Bounds)
			// One group for the events retried in full, one for those sent
			// once (its message says what the platform would still do).
			require.Len(t, r.Findings, 1+tc.wantBounds, "grouped findings")
			total := 0
			for _, f := range r.Findings {
				assert.Equal(t, check.Status2xx, f.Check)
				total += f.Times()
			}
			assert.Equal(t, u-1, total)
			if tc.wantBounds > 0 {
				assert.Contains(t, r.Findings[1].Message, "sent once")
				assert.Equal(t, "status 500, sent once", r.Findings[1].Cause)
			}
		})
	}
}

// Observe is told of every event sent and every call ended, and of the
// replay's findings as they are raised: at the end its figures are the
// report's.
func TestObserveSeesWhatTheReportCounts(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		var env struct{ EventType string }
		_ = json.Unmarshal(body, &env)
		w.Header().Set("Content-Type", "application/json")
		if env.EventType == "tool.executed" {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
		w.Write([]byte(`{"received":true}`))
	}))
	t.Cleanup(srv.Close)
	var mu sync.Mutex
	var seen []simulate.Progress
	r, err := simulate.Run(context.Background(), simulate.Config{
		Target: srv.URL, Fixtures: shippedFixtures(t, "job-interview", "sales-outbound-tools", "no-answer"), Deliverer: newDeliverer(t, 1),
		Seed: 3, Start: start, Concurrency: 2,
		Groups:  map[string]bool{probe.GroupLifecycle: true, probe.GroupDuplicate: true, probe.GroupAuth: true},
		Observe: func(p simulate.Progress) { mu.Lock(); seen = append(seen, p); mu.Unlock() },
	})
	require.NoError(t, err)
	require.NotEmpty(t, seen)
	var last simulate.Progress
	for _, p := range seen {
		last.Calls = max(last.Calls, p.Calls)
		last.CallsDone = max(last.CallsDone, p.CallsDone)
		last.Events = max(last.Events, p.Events)
		last.Findings = max(last.Findings, p.Findings)
	}
	assert.Equal(t, 3, last.Calls)
	assert.Equal(t, 3, last.CallsDone)
	assert.Equal(t, r.Deliveries+r.Redeliveries+len(r.Probes), last.Events)
	replayed := 0
	for _, f := range r.Findings {
		if f.Probe == "" {
			replayed += len(f.Occurs())
		}
	}
	assert.Positive(t, replayed, "the 503s are findings")
	assert.Equal(t, replayed, last.Findings)
	assert.False(t, seen[0].Probing)
	assert.True(t, seen[len(seen)-1].Probing, "the probes come last")
}
