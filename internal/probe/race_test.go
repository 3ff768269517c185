package probe_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hamsasim/hamsasim/internal/check"
	"github.com/hamsasim/hamsasim/internal/deliver"
	"github.com/hamsasim/hamsasim/internal/probe"
)

const raceToken = "Bearer race-test-token"

// dedupe is how a test receiver decides that an event is new.
type dedupe int

const (
	// checkThenInsert is the guide's Redis example: EXISTS key, then
	// (1 ms later, a round trip) SET key, then process.
	checkThenInsert dedupe = iota
	// insertIfAbsent is SET key NX: one atomic step.
	insertIfAbsent
	// checkThenConstraint checks, then inserts against a unique
	// constraint: the losing copy fails with a 500, but nothing is
	// processed twice.
	checkThenConstraint
)

// answering is how a test receiver answers an event it accepted.
type answering int

const (
	flagsDuplicates answering = iota // 200 {"received":true}, with "duplicate":true for a redelivery
	neverFlags                       // 200 {"received":true}, always
	noBody                           // 204, no body
	queued                           // 202 {"queued":true}; processed later, in the background
)

// raceReceiver is a small webhook receiver written for these tests (not
// internal/receiver): a key store for deduplication, the events it stored
// and the effects of processing them, and a probe API.
type raceReceiver struct {
	dedupe dedupe
	answer answering

	mu      sync.Mutex
	keys    map[string]bool
	events  map[string]map[string]int // callId -> eventType -> distinct events stored
	effects map[string]map[string]int // callId -> eventType -> times processed
	pending map[string]int            // callId -> stored, not processed yet
	work    sync.WaitGroup
}

func newRaceReceiver(t *testing.T, d dedupe, a answering) (target, probeURL string) {
	t.Helper()
	rr := &raceReceiver{dedupe: d, answer: a, keys: map[string]bool{},
		events: map[string]map[string]int{}, effects: map[string]map[string]int{}, pending: map[string]int{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /webhook", rr.webhook)
	mux.HandleFunc("GET /calls/{id}", rr.call)
	srv := httptest.NewServer(mux)
	t.Cleanup(func() { srv.Close(); rr.work.Wait() })
	return srv.URL + "/webhook", srv.URL
}

func (rr *raceReceiver) exists(key string) bool {
	rr.mu.Lock()
	defer rr.mu.Unlock()
	return rr.keys[key]
}

// set stores the key and the event; it reports whether the key was new.
func (rr *raceReceiver) set(key, call, typ string) bool {
	rr.mu.Lock()
	defer rr.mu.Unlock()
	if rr.keys[key] {
		return false
	}
	rr.keys[key] = true
	if rr.events[call] == nil {
		rr.events[call] = map[string]int{}
	}
	rr.events[call][typ]++
	return true
}

func (rr *raceReceiver) process(call, typ string) {
	rr.mu.Lock()
	defer rr.mu.Unlock()
	if rr.effects[call] == nil {
		rr.effects[call] = map[string]int{}
	}
	rr.effects[call][typ]++
}

func (rr *raceReceiver) webhook(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != raceToken {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	var env struct{ EventType, CallID, Timestamp string }
	body, err := io.ReadAll(r.Body)
	if err != nil || json.Unmarshal(body, &env) != nil || env.CallID == "" || env.EventType == "" {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	key := env.CallID + "|" + env.EventType + "|" + env.Timestamp
	var fresh bool
	switch rr.dedupe {
	case checkThenInsert:
		if !rr.exists(key) {
			time.Sleep(time.Millisecond)
			rr.set(key, env.CallID, env.EventType) // SET overwrites: no error
			fresh = true
		}
	case insertIfAbsent:
		fresh = rr.set(key, env.CallID, env.EventType)
	case checkThenConstraint:
		if !rr.exists(key) {
			time.Sleep(time.Millisecond)
			if !rr.set(key, env.CallID, env.EventType) {
				w.WriteHeader(http.StatusInternalServerError)
				w.Write([]byte(`{"error":"duplicate key value violates unique constraint"}`))
				return
			}
			fresh = true
		}
	}
	if fresh && rr.answer == queued {
		rr.mu.Lock()
		rr.pending[env.CallID]++
		rr.mu.Unlock()
		rr.work.Go(func() {
			time.Sleep(50 * time.Millisecond)
			rr.process(env.CallID, env.EventType)
			rr.mu.Lock()
			rr.pending[env.CallID]--
			rr.mu.Unlock()
		})
	} else if fresh {
		rr.process(env.CallID, env.EventType)
	}
	switch rr.answer {
	case noBody:
		w.WriteHeader(http.StatusNoContent)
	case queued:
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusAccepted)
		w.Write([]byte(`{"queued":true}`))
	default:
		w.Header().Set("Content-Type", "application/json")
		if !fresh && rr.answer == flagsDuplicates {
			w.Write([]byte(`{"received":true,"duplicate":true}`))
			return
		}
		w.Write([]byte(`{"received":true}`))
	}
}

func (rr *raceReceiver) call(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != raceToken {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	id := r.PathValue("id")
	rr.mu.Lock()
	out, err := json.Marshal(map[string]any{"events": rr.events[id], "effects": rr.effects[id], "pending": rr.pending[id]})
	rr.mu.Unlock()
	if err != nil {
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	if strings.Contains(string(out), `"effects":null`) {
		out = []byte(strings.Replace(string(out), `"effects":null`, `"effects":{}`, 1))
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(out)
}

// raceRun runs the race probe group once against target.
func raceRun(t *testing.T, target, probeURL string, seed uint64) *probe.Runner {
	t.Helper()
	client := deliver.NewHTTPClient(4, false)
	t.Cleanup(client.CloseIdleConnections)
	d, err := deliver.New(deliver.WithHTTPClient(client), deliver.WithAuthorization(raceToken))
	require.NoError(t, err)
	r := probe.NewRunner(probe.Config{Target: target, Deliverer: d, Seed: seed, Start: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC),
		Auth: probe.Auth{Mode: probe.AuthBearer}, Records: probe.Source{URL: probeURL}})
	r.Run(context.Background(), map[string]bool{probe.GroupRace: true})
	return r
}

func raceFindings(r *probe.Runner, id string) []check.Finding {
	var out []check.Finding
	for _, f := range r.Findings {
		if f.Check == id {
			out = append(out, f)
		}
	}
	return out
}

// raceRuns is how many times a test runs the probe: a probe that caught a
// 1 ms window only most of the time would fail one of them.
const raceRuns = 30

// TestRaceCatchesCheckThenInsert runs the probe again and again against
// a receiver with a 1 ms gap between EXISTS and SET: every run must catch
// it, with the probe API and, on a receiver that flags duplicates, without.
func TestRaceCatchesCheckThenInsert(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		answer   answering
		probeAPI bool
		wantMsg  string
	}{
		{name: "with a probe API", answer: flagsDuplicates, probeAPI: true, wantMsg: "the event took effect"},
		{name: "with a probe API, never flagging", answer: neverFlags, probeAPI: true, wantMsg: "the event took effect"},
		{name: "by the duplicate flags", answer: flagsDuplicates, wantMsg: "answered without \"duplicate\": true"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			target, probeURL := newRaceReceiver(t, checkThenInsert, tt.answer)
			if !tt.probeAPI {
				probeURL = ""
			}
			caught := 0 // rounds, over every run
			for run := range raceRuns {
				r := raceRun(t, target, probeURL, uint64(run+1))
				races := raceFindings(r, check.DuplicateRace)
				require.NotEmpty(t, races, "run %d missed the race: %+v", run, r.Results)
				assert.Empty(t, raceFindings(r, check.DuplicateAck), "every copy was acknowledged")
				assert.Contains(t, races[0].Message, tt.wantMsg)
				assert.Equal(t, check.SeverityError, races[0].Severity)
				assert.Equal(t, check.RaceProbe, races[0].Probe)
				assert.Contains(t, races[0].Curl, "for i in $(seq 3)")
				assert.NotContains(t, races[0].Curl, "race-test-token", "the secret stays a shell variable")
				caught += len(races)
			}
			t.Logf("%d of %d rounds caught the race", caught, raceRuns*probe.RaceRounds)
		})
	}
}

// TestRacePassesCorrectReceivers: receivers whose dedupe is one atomic step
// are never flagged, whatever they answer, with a probe API or without.
func TestRacePassesCorrectReceivers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		dedupe   dedupe
		answer   answering
		probeAPI bool
		runs     int
		judged   bool
	}{
		{name: "insert if absent", dedupe: insertIfAbsent, answer: flagsDuplicates, probeAPI: true, runs: raceRuns, judged: true},
		{name: "insert if absent, no probe API", dedupe: insertIfAbsent, answer: flagsDuplicates, runs: raceRuns, judged: true},
		{name: "204 without a body", dedupe: insertIfAbsent, answer: noBody, probeAPI: true, runs: 5, judged: true},
		{name: "202 queued", dedupe: insertIfAbsent, answer: queued, probeAPI: true, runs: 5, judged: true},
		{name: "204 without a body, no probe API", dedupe: insertIfAbsent, answer: noBody, runs: 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			target, probeURL := newRaceReceiver(t, tt.dedupe, tt.answer)
			if !tt.probeAPI {
				probeURL = ""
			}
			for run := range tt.runs {
				r := raceRun(t, target, probeURL, uint64(run+1))
				require.Empty(t, r.Findings, "run %d", run)
				var copies, rounds int
				for _, res := range r.Results {
					switch res.Check {
					case check.DuplicateAck:
						copies++
						assert.True(t, res.Passed)
						assert.Empty(t, res.Skipped)
					case check.DuplicateRace:
						rounds++
						assert.True(t, res.Passed)
						assert.Equal(t, tt.judged, res.Skipped == "", "skipped: %q", res.Skipped)
					}
				}
				assert.Equal(t, probe.RaceRounds*(probe.RaceCopies+later(tt.probeAPI)), copies)
				assert.Equal(t, probe.RaceRounds, rounds)
			}
		})
	}
}

// TestRaceSilentWithoutEvidence: without a probe API, a receiver that never
// flags duplicates gives no evidence either way, racy or not.
func TestRaceSilentWithoutEvidence(t *testing.T) {
	t.Parallel()
	target, _ := newRaceReceiver(t, checkThenInsert, neverFlags)
	for run := range 5 {
		r := raceRun(t, target, "", uint64(run+1))
		assert.Empty(t, r.Findings)
		for _, res := range r.Results {
			if res.Check == check.DuplicateRace {
				assert.Contains(t, res.Skipped, "no probe API")
			}
		}
	}
}

// TestRaceUniqueConstraint: a receiver that checks, then inserts against a
// unique constraint, processes once but fails the losing copies.
func TestRaceUniqueConstraint(t *testing.T) {
	t.Parallel()
	target, probeURL := newRaceReceiver(t, checkThenConstraint, flagsDuplicates)
	r := raceRun(t, target, probeURL, 1)
	assert.Empty(t, raceFindings(r, check.DuplicateRace), "each event took effect once")
	acks := raceFindings(r, check.DuplicateAck)
	require.NotEmpty(t, acks)
	assert.Contains(t, acks[0].Message, "answered 500")
	assert.NotEmpty(t, raceFindings(r, check.ServerError))
	var names []string
	for _, res := range r.Results {
		if strings.HasPrefix(res.Probe, "duplicate.race/round-1") {
			names = append(names, res.Probe+" "+res.Check)
		}
	}
	assert.Equal(t, []string{
		"duplicate.race/round-1/copy-1 duplicate.ack", "duplicate.race/round-1/copy-2 duplicate.ack", "duplicate.race/round-1/copy-3 duplicate.ack",
		"duplicate.race/round-1 duplicate.race",
	}, names)
}

// TestRaceProbeAPIUnreadable: a probe API that does not answer is a
// finding, never a silent pass.
func TestRaceProbeAPIUnreadable(t *testing.T) {
	t.Parallel()
	target, probeURL := newRaceReceiver(t, insertIfAbsent, flagsDuplicates)
	r := raceRun(t, target, probeURL+"/nothing-here", 1)
	races := raceFindings(r, check.DuplicateRace)
	require.Len(t, races, probe.RaceRounds)
	assert.Contains(t, races[0].Message, "duplicate.race could not be checked")
}

// TestRaceSkippedWhenNotSubscribed: an endpoint not subscribed to
// transcription.update is sent nothing.
func TestRaceSkippedWhenNotSubscribed(t *testing.T) {
	t.Parallel()
	var hits int
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		mu.Lock()
		hits++
		mu.Unlock()
	}))
	t.Cleanup(srv.Close)
	d, err := deliver.New()
	require.NoError(t, err)
	r := probe.NewRunner(probe.Config{Target: srv.URL, Deliverer: d, Events: map[string]bool{"call.ended": true}})
	r.Run(context.Background(), map[string]bool{probe.GroupRace: true})
	require.Len(t, r.Results, 1)
	assert.Contains(t, r.Results[0].Skipped, "not subscribed to transcription.update")
	assert.Empty(t, r.Findings)
	mu.Lock()
	assert.Zero(t, hits)
	mu.Unlock()
}

func TestRaceGroupIsListed(t *testing.T) {
	t.Parallel()
	assert.Contains(t, probe.Groups, probe.GroupRace)
}

// later is the copy sent after the others, without a probe API.
func later(probeAPI bool) int {
	if probeAPI {
		return 0
	}
	return 1
}
