// ok-202-queued mimics the enqueue-and-return habit of job-queue stacks
// (Rails + Sidekiq's perform_async, Django + Celery's delay(), a Go service
// with a buffered channel and a worker goroutine, as here): the handler
// only validates, records the idempotency key and enqueues; a background
// worker does the work a few milliseconds later.
//
// Right: constant-time token check, 400 for bad bodies, the duplicate key
// claimed atomically before enqueueing (LoadOrStore, like SET NX), so a
// redelivery is never queued twice; 503 when the queue is full, so the
// platform retries instead of losing the event; the probe API shows the
// queued events as pending until the worker has run.
// Different, not wrong: it answers 202 Accepted {"queued":true}, and a
// redelivery 200 {"queued":false,"duplicate":true}, instead of the guide's
// 200 {"received":true}.

package main

import (
	"encoding/json"
	"io"
	"net/http"
	"sync"
	"time"
)

type queuedJob struct {
	key   eventKey
	dueAt time.Time
}

type queued202 struct {
	o     options
	keys  sync.Map // idempotency keys: "callId|eventType|timestamp" -> struct{}
	queue chan queuedJob
}

// workerDelay is how long a job waits in the queue before it is processed.
const workerDelay = 5 * time.Millisecond

func newOK202Queued(o options) (http.Handler, error) {
	s := &queued202{o: o, queue: make(chan queuedJob, 4096)}
	go s.worker()
	return s, nil
}

func (s *queued202) worker() {
	for job := range s.queue {
		time.Sleep(time.Until(job.dueAt))
		s.o.ledger.processed(job.key)
	}
}

type webhookEnvelope struct {
	CallID    string `json:"callId"`
	EventType string `json:"eventType"`
	Timestamp string `json:"timestamp"`
}

func (s *queued202) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	if s.o.token != "" && !safeEqual(r.Header.Get("Authorization"), s.o.token) {
		w.WriteHeader(http.StatusUnauthorized)
		io.WriteString(w, `{"error":"unauthorized"}`)
		return
	}
	var env webhookEnvelope
	body, err := io.ReadAll(r.Body)
	if err != nil || json.Unmarshal(body, &env) != nil || env.CallID == "" || env.EventType == "" || env.Timestamp == "" {
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, `{"error":"invalid event"}`)
		return
	}
	idem := env.CallID + "|" + env.EventType + "|" + env.Timestamp
	if _, dup := s.keys.LoadOrStore(idem, struct{}{}); dup {
		io.WriteString(w, `{"queued":false,"duplicate":true}`)
		return
	}
	k := eventKey{env.CallID, env.EventType, env.Timestamp}
	select {
	case s.queue <- queuedJob{key: k, dueAt: time.Now().Add(workerDelay)}:
		s.o.ledger.stored(k) // after the worker has run, this changes nothing
	default:
		// Full: give the key back so the platform's retry is queued.
		s.keys.Delete(idem)
		w.WriteHeader(http.StatusServiceUnavailable)
		io.WriteString(w, `{"error":"busy, retry later"}`)
		return
	}
	w.WriteHeader(http.StatusAccepted)
	io.WriteString(w, `{"queued":true}`)
}
