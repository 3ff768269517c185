// no-auth mimics a Python Flask app written against the guide's examples
// with the authentication step left for later:
//
//	@app.post("/webhook")
//	def webhook():
//	    event = request.get_json(silent=True)
//	    if not isinstance(event, dict) or not all(event.get(f) for f in ("callId", "eventType", "timestamp")):
//	        return jsonify(error="Invalid payload"), 400
//	    with lock:
//	        duplicate = key(event) in seen
//	        seen.add(key(event))
//	    if not duplicate: handle(event)
//	    return jsonify(received=True, duplicate=True) if duplicate else jsonify(received=True)
//
// Right: 400 for bad bodies, the full duplicate key checked and stored
// under one lock, no body limit (Flask sets none), unknown types
// acknowledged; jsonify's sorted keys and trailing newline are fine JSON.
// Wrong: Authorization is never read. With the platform set to send a
// Bearer token, requests without it or with a wrong one are accepted too.

package main

import (
	"encoding/json"
	"io"
	"net/http"
	"sync"
)

type flaskNoAuth struct {
	o    options
	lock sync.Mutex
	seen map[string]bool
}

func newNoAuth(o options) (http.Handler, error) {
	return &flaskNoAuth{o: o, seen: map[string]bool{}}, nil
}

func (f *flaskNoAuth) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var event map[string]any
	raw, _ := io.ReadAll(r.Body)
	if json.Unmarshal(raw, &event) != nil {
		event = nil // get_json(silent=True) returns None
	}
	callID, _ := event["callId"].(string)
	eventType, _ := event["eventType"].(string)
	timestamp, _ := event["timestamp"].(string)
	if callID == "" || eventType == "" || timestamp == "" {
		jsonify(w, http.StatusBadRequest, map[string]any{"error": "Invalid payload"})
		return
	}
	key := callID + ":" + eventType + ":" + timestamp
	f.lock.Lock()
	duplicate := f.seen[key]
	f.seen[key] = true
	f.lock.Unlock()
	if duplicate {
		jsonify(w, http.StatusOK, map[string]any{"received": true, "duplicate": true})
		return
	}
	k := eventKey{callID, eventType, timestamp}
	f.o.ledger.stored(k)
	f.o.ledger.processed(k)
	jsonify(w, http.StatusOK, map[string]any{"received": true})
}

// jsonify is Flask's: keys sorted (encoding/json sorts map keys too),
// compact, a trailing newline.
func jsonify(w http.ResponseWriter, status int, v map[string]any) {
	b, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}
