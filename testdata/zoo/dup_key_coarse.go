// dup-key-coarse mimics a Ruby on Rails controller whose idempotency rests
// on a unique index over (call_id, event_type):
//
//	event = WebhookEvent.create_or_find_by!(call_id: params[:callId], event_type: params[:eventType]) { ... }
//	if event.previously_new_record?
//	  ProcessWebhookJob.perform_now(event); render json: { received: true }
//	else
//	  render json: { received: true, duplicate: true }
//	end
//
// Right: secure_compare on the whole Authorization value, 400 {"error":...}
// for bad bodies (rescue_from ParseError), the insert is atomic (the unique
// index decides), unknown types acknowledged.
// Wrong: the key leaves out the timestamp, as if a call had one event of
// each type. The second transcription.update of a call (and every later
// one, and a second tool.executed) hits the index, is answered
// {"received":true,"duplicate":true} and is never stored: acknowledged and
// lost. The probe API shows what it stored: one event per type per call.

package main

import (
	"crypto/subtle"
	"encoding/json"
	"io"
	"net/http"
	"sync"
)

type railsCoarse struct {
	o    options
	mu   sync.Mutex
	rows map[[2]string]bool // the unique index: (call_id, event_type)
}

func newDupKeyCoarse(o options) (http.Handler, error) {
	return &railsCoarse{o: o, rows: map[[2]string]bool{}}, nil
}

func (c *railsCoarse) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if c.o.token != "" && !secureCompare(r.Header.Get("Authorization"), c.o.token) {
		railsJSON(w, http.StatusUnauthorized, `{"error":"Unauthorized"}`)
		return
	}
	var params map[string]any
	raw, _ := io.ReadAll(r.Body)
	if err := json.Unmarshal(raw, &params); err != nil {
		railsJSON(w, http.StatusBadRequest, `{"error":"Invalid payload"}`)
		return
	}
	callID, _ := params["callId"].(string)
	eventType, _ := params["eventType"].(string)
	timestamp, _ := params["timestamp"].(string)
	if callID == "" || eventType == "" || timestamp == "" {
		railsJSON(w, http.StatusBadRequest, `{"error":"Invalid payload"}`)
		return
	}
	c.mu.Lock()
	row := [2]string{callID, eventType}
	newRecord := !c.rows[row]
	c.rows[row] = true
	c.mu.Unlock()
	if !newRecord {
		railsJSON(w, http.StatusOK, `{"received":true,"duplicate":true}`)
		return
	}
	k := eventKey{callID, eventType, timestamp}
	c.o.ledger.stored(k)
	c.o.ledger.processed(k) // perform_now
	railsJSON(w, http.StatusOK, `{"received":true}`)
}

// secureCompare is ActiveSupport::SecurityUtils.secure_compare: a length
// check, then a constant-time comparison.
func secureCompare(a, b string) bool {
	return len(a) == len(b) && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

func railsJSON(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	io.WriteString(w, body)
}
