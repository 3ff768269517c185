// order-strict mimics a Django view over a django-fsm state machine, the
// call modelled as new -> started -> answered -> ended:
//
//	with transaction.atomic():
//	    if WebhookEvent.objects.filter(key=key).exists(): return JsonResponse({"received": True, "duplicate": True})
//	    try:
//	        call = Call.objects.select_for_update().get(call_id=evt["callId"])  # or create, for call.started
//	        HANDLERS[evt["eventType"]](call, evt)     # @transition(source=..., target=...)
//	    except (Call.DoesNotExist, TransitionNotAllowed):
//	        return JsonResponse({"error": "Event out of order"}, status=409)
//	    WebhookEvent.objects.create(key=key)
//
// Right: hmac.compare_digest on the whole Authorization value, 400 for bad
// bodies, the duplicate check and the insert in one transaction with the
// call row locked (a redelivery is recognised before any state check),
// unknown types acknowledged, no body limit.
// Wrong: it trusts arrival order. An event for a call whose call.started it
// has not seen, or that arrives after call.ended, is answered 409; the
// platform does not retry a 4xx, so a call.started delivered late, or a
// transcript turn retried past the hang-up, is lost.

package main

import (
	"crypto/hmac"
	"encoding/json"
	"io"
	"net/http"
	"sync"
)

type djangoFSM struct {
	o      options
	mu     sync.Mutex        // transaction.atomic() + select_for_update()
	state  map[string]string // call_id -> started | answered | ended
	events map[eventKey]bool
}

func newOrderStrict(o options) (http.Handler, error) {
	return &djangoFSM{o: o, state: map[string]string{}, events: map[eventKey]bool{}}, nil
}

// transitions: the states each event type may leave from, and where to.
var transitions = map[string]struct {
	from []string
	to   string
}{
	"call.started":         {from: []string{""}, to: "started"},
	"call.answered":        {from: []string{"started"}, to: "answered"},
	"transcription.update": {from: []string{"started", "answered"}},
	"tool.executed":        {from: []string{"started", "answered"}},
	"call.ended":           {from: []string{"started", "answered"}, to: "ended"},
}

func (d *djangoFSM) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if d.o.token != "" && !hmac.Equal([]byte(r.Header.Get("Authorization")), []byte(d.o.token)) {
		jsonResponse(w, http.StatusUnauthorized, map[string]any{"error": "Unauthorized"})
		return
	}
	var evt map[string]any
	raw, _ := io.ReadAll(r.Body)
	if err := json.Unmarshal(raw, &evt); err != nil {
		jsonResponse(w, http.StatusBadRequest, map[string]any{"error": "Invalid payload"})
		return
	}
	callID, _ := evt["callId"].(string)
	eventType, _ := evt["eventType"].(string)
	timestamp, _ := evt["timestamp"].(string)
	if callID == "" || eventType == "" || timestamp == "" {
		jsonResponse(w, http.StatusBadRequest, map[string]any{"error": "Invalid payload"})
		return
	}
	k := eventKey{callID, eventType, timestamp}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.events[k] {
		jsonResponse(w, http.StatusOK, map[string]any{"received": true, "duplicate": true})
		return
	}
	tr, known := transitions[eventType]
	if known {
		cur, allowed := d.state[callID], false
		for _, s := range tr.from {
			allowed = allowed || s == cur
		}
		if !allowed {
			jsonResponse(w, http.StatusConflict, map[string]any{"error": "Event out of order"})
			return
		}
		if tr.to != "" {
			d.state[callID] = tr.to
		}
	}
	d.events[k] = true
	d.o.ledger.stored(k)
	d.o.ledger.processed(k)
	if !known {
		jsonResponse(w, http.StatusOK, map[string]any{"received": true, "warning": "Unknown event type"})
		return
	}
	jsonResponse(w, http.StatusOK, map[string]any{"received": true})
}

// jsonResponse is Django's JsonResponse: json.dumps with its default
// separators (", " and ": ").
func jsonResponse(w http.ResponseWriter, status int, v map[string]any) {
	b, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(pySeparators(b))
}

// pySeparators turns Go's compact JSON into json.dumps' default form,
// with ", " and ": " between items.
func pySeparators(b []byte) []byte {
	var out []byte
	inString, escaped := false, false
	for _, c := range b {
		switch {
		case inString:
			out = append(out, c)
			if escaped {
				escaped = false
			} else if c == '\\' {
				escaped = true
			} else if c == '"' {
				inString = false
			}
		case c == '"':
			inString = true
			out = append(out, c)
		case c == ',':
			out = append(out, ',', ' ')
		case c == ':':
			out = append(out, ':', ' ')
		default:
			out = append(out, c)
		}
	}
	return out
}
