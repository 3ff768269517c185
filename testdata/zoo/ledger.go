// The probe API: the test hook every receiver here exposes so that
// hamsasim can see what it stored and what its processing did.
// GET /calls/{callId} answers
//
//	{"events":{"<eventType>":N},"effects":{"<eventType>":M},"pending":P}
//
// events: distinct events stored per type (an event is callId + eventType +
// timestamp); effects: times processing ran per type; pending: events
// stored and not processed yet. 404 for a call with nothing stored. A
// receiver reports only what it really did: one that drops or merges
// events shows fewer, one that processes twice shows more effects.

package main

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"net/http"
	"sync"
)

type eventKey struct{ callID, eventType, timestamp string }

type ledger struct {
	mu    sync.Mutex
	calls map[string]*callLedger
}

type callLedger struct {
	stored  map[eventKey]bool // true once processed
	effects map[string]int
}

func newLedger() *ledger { return &ledger{calls: map[string]*callLedger{}} }

func (l *ledger) call(id string) *callLedger {
	c := l.calls[id]
	if c == nil {
		c = &callLedger{stored: map[eventKey]bool{}, effects: map[string]int{}}
		l.calls[id] = c
	}
	return c
}

// stored records that the receiver stored the event k (again: no change).
func (l *ledger) stored(k eventKey) {
	l.mu.Lock()
	defer l.mu.Unlock()
	c := l.call(k.callID)
	if _, ok := c.stored[k]; !ok {
		c.stored[k] = false
	}
}

// processed records one run of processing for the event k.
func (l *ledger) processed(k eventKey) {
	l.mu.Lock()
	defer l.mu.Unlock()
	c := l.call(k.callID)
	c.stored[k] = true
	c.effects[k.eventType]++
}

type callRecord struct {
	Events  map[string]int `json:"events"`
	Effects map[string]int `json:"effects"`
	Pending int            `json:"pending"`
}

func (l *ledger) record(id string) (callRecord, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	c, ok := l.calls[id]
	if !ok {
		return callRecord{}, false
	}
	rec := callRecord{Events: map[string]int{}, Effects: map[string]int{}}
	for k, done := range c.stored {
		rec.Events[k.eventType]++
		if !done {
			rec.Pending++
		}
	}
	for t, n := range c.effects {
		rec.Effects[t] = n
	}
	return rec, true
}

// handler serves GET /calls/{callId}, to callers allow lets through.
func (l *ledger) handler(allow func(*http.Request) bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if !allow(r) {
			w.WriteHeader(http.StatusUnauthorized)
			w.Write([]byte(`{"error":"Unauthorized"}`))
			return
		}
		rec, ok := l.record(r.PathValue("callId"))
		if !ok {
			w.WriteHeader(http.StatusNotFound)
			w.Write([]byte(`{"error":"Unknown call"}`))
			return
		}
		json.NewEncoder(w).Encode(rec)
	})
}

// probeAuth lets through the credentials the platform's own requests carry
// (the probe API is as private as the webhook), whatever mistakes the
// receiver's webhook makes: the token, or a signature over the empty body.
func probeAuth(o options) func(*http.Request) bool {
	switch {
	case o.key != nil:
		wh := standardWebhook{key: o.key}
		return func(r *http.Request) bool { return wh.Verify(nil, r.Header) == nil }
	case o.token != "":
		want := sha256.Sum256([]byte(o.token))
		return func(r *http.Request) bool {
			got := sha256.Sum256([]byte(r.Header.Get("Authorization")))
			return subtle.ConstantTimeCompare(got[:], want[:]) == 1
		}
	}
	return func(*http.Request) bool { return true }
}
