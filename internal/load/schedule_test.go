package load_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/hamsasim/hamsasim/internal/event"
	"github.com/hamsasim/hamsasim/internal/load"
)

// The retry schedule is the scenario's: a written-out schedule's waits are
// kept between the attempts of each event, and every attempt in
// results.bin says what triggered it.
func TestWrittenOutScheduleAndTriggers(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	seen := map[string][]time.Time{} // duplicate key → arrival of each attempt
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var ev struct {
			Type      string `json:"eventType"`
			Timestamp string `json:"timestamp"`
			Data      struct {
				CallID string `json:"callId"`
			} `json:"data"`
		}
		body, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(body, &ev); err != nil {
			t.Errorf("body: %v", err)
		}
		key := event.DuplicateKey(ev.Data.CallID, ev.Type, ev.Timestamp)
		mu.Lock()
		seen[key] = append(seen[key], time.Now())
		n := len(seen[key])
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if n <= 2 {
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = io.WriteString(w, `{"error":"not yet"}`)
			return
		}
		_, _ = io.WriteString(w, `{"received":true}`)
	}))
	t.Cleanup(srv.Close)
	sc := parseScenario(t, `
name: schedule
duration: 300ms
arrival: {constant: 10}
mix: [{fixture: no-answer, weight: 1}]
timeScale: 0.001
delivery: {schedule: [300ms, 600ms], jitter: 0%}
`)
	require.Equal(t, 2, sc.Delivery.Retries, "one retry per written-out wait")
	var results bytes.Buffer
	s, err := newEngine(t, sc, srv.URL+"/hook", load.WithResults(&results)).Run(context.Background())
	require.NoError(t, err)
	assert.Equal(t, s.Overall.Deliveries, s.Overall.Acked, "the third attempt of each event is acknowledged")
	assert.Equal(t, 2*s.Overall.Deliveries, s.Overall.Retries)
	assert.Equal(t, []int64{300, 600}, s.Delivery.WaitsMs)
	assert.Equal(t, "list", s.Delivery.Schedule)

	mu.Lock()
	require.NotEmpty(t, seen)
	for key, at := range seen {
		require.Len(t, at, 3, key)
		assert.GreaterOrEqual(t, at[1].Sub(at[0]), 300*time.Millisecond, "%s: first wait", key)
		assert.GreaterOrEqual(t, at[2].Sub(at[1]), 600*time.Millisecond, "%s: second wait", key)
	}
	mu.Unlock()

	triggers := map[string]int64{}
	dec := vegeta.NewDecoder(bufio.NewReader(&results))
	for {
		var r vegeta.Result
		if err := dec.Decode(&r); err != nil {
			require.True(t, errors.Is(err, io.EOF), "decode: %v", err)
			break
		}
		trig := r.Headers.Get(load.TriggerHeader)
		if trig == "" {
			trig = "first" // a record without the header is a first attempt
		}
		triggers[trig]++
	}
	d := s.Overall.Deliveries
	assert.Equal(t, map[string]int64{"first": d, "retry 1": d, "retry 2": d}, triggers)
}

// Jitter spreads the retries of events that failed together instead of
// retrying them in lockstep.
func TestJitterSpreadsRetries(t *testing.T) {
	t.Parallel()
	gaps := func(seed uint64) []time.Duration {
		var mu sync.Mutex
		first := map[string]time.Time{}
		var out []time.Duration
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			var ev struct {
				Type      string `json:"eventType"`
				Timestamp string `json:"timestamp"`
				Data      struct {
					CallID string `json:"callId"`
				} `json:"data"`
			}
			body, _ := io.ReadAll(r.Body)
			_ = json.Unmarshal(body, &ev)
			key := event.DuplicateKey(ev.Data.CallID, ev.Type, ev.Timestamp)
			mu.Lock()
			defer mu.Unlock()
			w.Header().Set("Content-Type", "application/json")
			if t0, ok := first[key]; ok {
				out = append(out, time.Since(t0))
				_, _ = io.WriteString(w, `{"received":true}`)
				return
			}
			first[key] = time.Now()
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = io.WriteString(w, `{"error":"busy"}`)
		}))
		defer srv.Close()
		sc := parseScenario(t, `
name: jitter
duration: 200ms
arrival: {constant: 20}
mix: [{fixture: no-answer, weight: 1}]
timeScale: 0.001
delivery: {retries: 1, backoff: {base: 1s}, jitter: 50%}
`)
		_, err := newEngine(t, sc, srv.URL+"/hook", load.WithSeed(seed)).Run(context.Background())
		require.NoError(t, err)
		mu.Lock()
		defer mu.Unlock()
		sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
		return out
	}
	g := gaps(11)
	require.GreaterOrEqual(t, len(g), 4)
	assert.GreaterOrEqual(t, g[0], 500*time.Millisecond, "never below -50%")
	assert.Greater(t, g[len(g)-1]-g[0], 100*time.Millisecond, "the retries are spread, not in lockstep")
}
