// ok-hmac-raw mimics a Go net/http service using the standard-webhooks
// library, the way its README shows:
//
//	payload, _ := io.ReadAll(r.Body)
//	if err := wh.Verify(payload, r.Header); err != nil { http.Error(w, "invalid signature", 401); return }
//	json.Unmarshal(payload, &evt) ...
//	w.Write([]byte("OK"))
//
// Right: the signature is verified over the raw request bytes, before
// anything parses them, so any serialisation of the same event the platform
// may choose (indented, escaped, keys reordered) verifies; timestamps more
// than 5 minutes off are refused; 400 for bodies that are not JSON or lack
// callId, eventType or timestamp; the duplicate key claimed under a lock;
// unknown types acknowledged.
// Different, not wrong: Go's habits. Errors via http.Error (text/plain,
// "invalid signature\n"), and every acknowledgement is 200 text/plain "OK",
// redeliveries too.

package main

import (
	"encoding/json"
	"io"
	"net/http"
	"sync"
)

type hmacRaw struct {
	o    options
	wh   standardWebhook
	mu   sync.Mutex
	seen map[string]struct{}
}

func newOKHMACRaw(o options) (http.Handler, error) {
	if err := needKey(o, "ok-hmac-raw"); err != nil {
		return nil, err
	}
	return &hmacRaw{o: o, wh: standardWebhook{key: o.key}, seen: map[string]struct{}{}}, nil
}

func (s *hmacRaw) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	payload, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 32<<20))
	if err != nil {
		http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
		return
	}
	if err := s.wh.Verify(payload, r.Header); err != nil {
		s.o.log.Printf("webhook rejected: %v", err)
		http.Error(w, "invalid signature", http.StatusUnauthorized)
		return
	}
	var evt struct {
		CallID    string          `json:"callId"`
		EventType string          `json:"eventType"`
		Timestamp string          `json:"timestamp"`
		Data      json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(payload, &evt); err != nil {
		http.Error(w, "invalid payload", http.StatusBadRequest)
		return
	}
	if evt.CallID == "" || evt.EventType == "" || evt.Timestamp == "" {
		http.Error(w, "invalid payload: callId, eventType and timestamp are required", http.StatusBadRequest)
		return
	}
	id := evt.CallID + "/" + evt.EventType + "/" + evt.Timestamp
	s.mu.Lock()
	_, dup := s.seen[id]
	s.seen[id] = struct{}{}
	s.mu.Unlock()
	if !dup {
		k := eventKey{evt.CallID, evt.EventType, evt.Timestamp}
		s.o.ledger.stored(k)
		s.o.ledger.processed(k)
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write([]byte("OK"))
}
