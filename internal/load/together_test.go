package load_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hamsasim/hamsasim/internal/deliver"
	"github.com/hamsasim/hamsasim/internal/load"
	"github.com/hamsasim/hamsasim/internal/loadreport"
	"github.com/hamsasim/hamsasim/internal/probe"
)

// envelope is the part of an event the test targets read.
type envelope struct{ EventType, CallID, Timestamp string }

func (e envelope) key() string { return e.CallID + "|" + e.EventType + "|" + e.Timestamp }

// copies is what a copyTarget saw of one event (one duplicate key).
type copies struct {
	n, inFlight, maxInFlight int
	remotes                  map[string]bool
	all                      chan struct{} // closed when the expected copies are in
}

// copyTarget records every copy of every event: how many came, how many
// were in the receiver at once, over how many connections. With meet set,
// each copy waits (up to a second) until the expected copies of its event
// are all in, so copies that overlap all see each other.
type copyTarget struct {
	want int
	meet bool
	mu   sync.Mutex
	seen map[string]*copies
}

func (ct *copyTarget) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var env envelope
	body, err := io.ReadAll(r.Body)
	if err != nil || json.Unmarshal(body, &env) != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	ct.mu.Lock()
	c := ct.seen[env.key()]
	if c == nil {
		c = &copies{remotes: map[string]bool{}, all: make(chan struct{})}
		ct.seen[env.key()] = c
	}
	c.n++
	dup := c.n > 1
	c.inFlight++
	c.maxInFlight = max(c.maxInFlight, c.inFlight)
	c.remotes[r.RemoteAddr] = true
	if c.n == ct.want {
		close(c.all)
	}
	ct.mu.Unlock()
	if ct.meet {
		select {
		case <-c.all:
		case <-time.After(time.Second):
		}
	}
	ct.mu.Lock()
	c.inFlight--
	ct.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if dup {
		w.Write([]byte(`{"received":true,"duplicate":true}`))
		return
	}
	w.Write([]byte(`{"received":true}`))
}

// firsts is the deliveries that were not duplicates: one per event.
func firsts(s *loadreport.Summary) int64 { return s.Overall.Deliveries - s.Overall.Duplicates }

// TestDuplicatesTogether: with together, every copy of a duplicated event
// is in the receiver at the same time, each over a connection of its own;
// without it (or with the plain fraction), each copy comes after the one
// before was answered. Every copy is acknowledged and counted.
func TestDuplicatesTogether(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		duplicates  string
		copies      int
		together    bool
		wantInFlght int
	}{
		{name: "together", duplicates: "{rate: 1, copies: 3, together: true}", copies: 3, together: true, wantInFlght: 3},
		{name: "together, two copies", duplicates: "{rate: 1, together: true}", copies: 2, together: true, wantInFlght: 2},
		{name: "in turn", duplicates: "{rate: 1, copies: 3}", copies: 3, wantInFlght: 1},
		{name: "plain fraction", duplicates: "1", copies: 2, wantInFlght: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ct := &copyTarget{want: tt.copies, meet: tt.together, seen: map[string]*copies{}}
			srv := httptest.NewServer(ct)
			t.Cleanup(srv.Close)
			sc := parseScenario(t, `
name: copies
duration: 1s
arrival: {constant: 4}
mix: [{fixture: ends-early, weight: 1}]
timeScale: 0.01
duplicates: `+tt.duplicates+`
drain: 30s
thresholds: [duplicates_unacknowledged == 0, success >= 100%]
`)
			s, err := newEngine(t, sc, srv.URL+"/hook", load.WithClock(load.NewFastClock(10))).Run(context.Background())
			require.NoError(t, err)
			assert.True(t, s.Passed, "%+v", s.Thresholds)
			checkIdentities(t, s)
			assert.EqualValues(t, 4, s.Calls.Completed)
			assert.Positive(t, firsts(s))
			assert.Equal(t, int64(tt.copies-1)*firsts(s), s.Overall.Duplicates, "every event delivered %d times", tt.copies)
			assert.Equal(t, s.Overall.Duplicates, s.Overall.DuplicatesAcked)
			assert.Equal(t, s.Overall.Deliveries, s.Overall.Acked)
			ct.mu.Lock()
			defer ct.mu.Unlock()
			assert.Len(t, ct.seen, int(firsts(s)))
			for key, c := range ct.seen {
				assert.Equal(t, tt.copies, c.n, key)
				assert.Equal(t, tt.wantInFlght, c.maxInFlight, "%s: copies in the receiver at once", key)
				if tt.together {
					assert.Len(t, c.remotes, tt.copies, "%s: a connection per copy", key)
				}
			}
		})
	}
}

// racyTarget deduplicates the way the guide's Redis example does: EXISTS,
// then (1 ms later) SET, then process; it has a probe API.
type racyTarget struct {
	mu      sync.Mutex
	keys    map[string]bool
	events  map[string]map[string]int
	effects map[string]map[string]int
}

func newRacyTarget(t *testing.T) (target, probeURL string) {
	t.Helper()
	rt := &racyTarget{keys: map[string]bool{}, events: map[string]map[string]int{}, effects: map[string]map[string]int{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /webhook", rt.webhook)
	mux.HandleFunc("GET /calls/{id}", rt.call)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL + "/webhook", srv.URL
}

func (rt *racyTarget) webhook(w http.ResponseWriter, r *http.Request) {
	var env envelope
	body, err := io.ReadAll(r.Body)
	if err != nil || json.Unmarshal(body, &env) != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	rt.mu.Lock()
	exists := rt.keys[env.key()]
	rt.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if exists {
		w.Write([]byte(`{"received":true,"duplicate":true}`))
		return
	}
	time.Sleep(time.Millisecond)
	rt.mu.Lock()
	if !rt.keys[env.key()] {
		rt.keys[env.key()] = true
		if rt.events[env.CallID] == nil {
			rt.events[env.CallID] = map[string]int{}
		}
		rt.events[env.CallID][env.EventType]++
	}
	if rt.effects[env.CallID] == nil {
		rt.effects[env.CallID] = map[string]int{}
	}
	rt.effects[env.CallID][env.EventType]++
	rt.mu.Unlock()
	w.Write([]byte(`{"received":true}`))
}

func (rt *racyTarget) call(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	rt.mu.Lock()
	known := rt.effects[id] != nil
	out, err := json.Marshal(map[string]any{"events": rt.events[id], "effects": rt.effects[id], "pending": 0})
	rt.mu.Unlock()
	if err != nil || !known {
		w.WriteHeader(http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(out)
}

// TestDuplicatesTogetherAudit runs the same calls against a receiver that
// checks, then inserts: copies in turn find the key and take effect once;
// copies together get past the check and the end-state audit counts the
// extra effects.
func TestDuplicatesTogetherAudit(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name           string
		duplicates     string
		wantDuplicated bool
	}{
		{name: "in turn", duplicates: "{rate: 1, copies: 3}"},
		{name: "together", duplicates: "{rate: 1, copies: 3, together: true}", wantDuplicated: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			target, probeURL := newRacyTarget(t)
			sc := parseScenario(t, `
name: racy
duration: 1s
arrival: {constant: 4}
mix: [{fixture: ends-early, weight: 1}]
timeScale: 0.01
duplicates: `+tt.duplicates+`
drain: 30s
thresholds: [duplicates_unacknowledged == 0, duplicated == 0, lost == 0]
`)
			s, err := load.Run(context.Background(), load.Plan{
				Scenario: sc, Fixtures: fixtures(t), Target: target, Shown: "loopback",
				Signer: deliver.Bearer{Value: token, Env: "WEBHOOK_SECRET"}, Seed: 3, Records: probe.Source{URL: probeURL},
			})
			require.NotNil(t, s)
			checkIdentities(t, s)
			assert.Equal(t, s.Overall.Duplicates, s.Overall.DuplicatesAcked, "every copy acknowledged")
			assert.Zero(t, s.Audit.Lost)
			assert.Zero(t, s.Audit.Unchecked, "%v", s.Audit.Problems)
			if !tt.wantDuplicated {
				require.NoError(t, err)
				assert.Zero(t, s.Audit.Duplicated)
				return
			}
			require.ErrorIs(t, err, load.ErrFailed)
			// Each event's three copies usually all pass EXISTS within the
			// 1 ms gap (locally every event took effect three times); goroutines
			// released together are not last-byte synchronised, so a busy
			// machine may let some copies arrive in turn.
			assert.Positive(t, s.Audit.Duplicated, "copies sent together took effect more than once")
			t.Logf("%d events, %d extra effects", firsts(s), s.Audit.Duplicated)
			held := map[string]bool{}
			for _, th := range s.Thresholds {
				held[th.Threshold] = th.Held
			}
			assert.False(t, held["duplicated == 0"])
			assert.True(t, held["duplicates_unacknowledged == 0"])
		})
	}
}

// TestDuplicatesTogetherInterrupted stops a run while groups of copies are
// queued, waiting and in flight: each copy is counted once, sent or not.
func TestDuplicatesTogetherInterrupted(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var (
		mu   sync.Mutex
		hits int
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		mu.Lock()
		hits++
		if hits == 12 {
			cancel()
		}
		mu.Unlock()
		time.Sleep(20 * time.Millisecond)
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"received":true}`))
	}))
	t.Cleanup(srv.Close)
	sc := parseScenario(t, `
name: stop
duration: 2s
arrival: {constant: 20}
mix: [{fixture: support-resolved, weight: 1}]
timeScale: 0.01
duplicates: {rate: 0.5, copies: 4, together: true}
`)
	s, err := newEngine(t, sc, srv.URL+"/hook", load.WithWorkers(4), load.WithClock(load.NewFastClock(4))).Run(ctx)
	require.NoError(t, err)
	assert.True(t, s.Interrupted)
	checkIdentities(t, s)
	assert.Positive(t, s.Overall.Unsent, "some deliveries were never sent")
	assert.Positive(t, s.Overall.Duplicates)
}
