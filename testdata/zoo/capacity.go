// queue and rate-limit are correct receivers of a known capacity, for
// checking what hamsasim's capacity search reports against the truth.
//
// queue mimics a service that does its work before it answers, with a
// fixed number of workers: a Node.js process doing 25 ms of synchronous
// work per event (-workers 1 -work 25ms: 40 events/s), or gunicorn with 8
// sync workers at 20 ms each (-workers 8 -work 20ms: 400 events/s).
// Requests wait in line, first come first served; its capacity is workers
// / work, exactly: a worker is busy for work from when it was last free,
// not for a sleep that may overshoot. A request whose client gave up while
// it waited is dropped unprocessed, as a server watching its request
// context does.
//
// rate-limit mimics express-rate-limit or nginx's limit_req in front of a
// fast handler: a token bucket of -rate events/s holding -burst tokens
// (default: one second's worth); past it, 429 Too Many Requests with
// Retry-After, at once.
//
// Both then handle the event as ok-204 does (Bearer check, duplicate key,
// 204 No Content).

package main

import (
	"errors"
	"net/http"
	"sync"
	"time"
)

// capacityOptions are the -workers, -work, -rate and -burst flags.
type capacityOptions struct {
	workers int
	work    time.Duration
	rate    float64
	burst   float64
}

type queue struct {
	next  http.Handler
	slots chan *worker // free workers; a channel's waiting senders and receivers are served in order
}

// worker is one of the queue's workers: when it is next free.
type worker struct{ free time.Time }

func newQueue(o options) (http.Handler, error) {
	c := o.capacity
	if c.workers < 1 || c.work <= 0 {
		return nil, errors.New("queue: -workers must be 1 or more and -work above 0")
	}
	next, _ := newOK204(o)
	q := &queue{next: next, slots: make(chan *worker, c.workers)}
	for range c.workers {
		q.slots <- &worker{}
	}
	o.log.Printf("capacity %.1f events/s (%d workers, %s each)", float64(c.workers)/c.work.Seconds(), c.workers, c.work)
	return &queueHandler{q: q, work: c.work}, nil
}

type queueHandler struct {
	q    *queue
	work time.Duration
}

func (h *queueHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var wk *worker
	select {
	case wk = <-h.q.slots:
	case <-r.Context().Done():
		return // the client gave up waiting
	}
	start := time.Now()
	if wk.free.After(start) {
		start = wk.free
	}
	wk.free = start.Add(h.work)
	time.Sleep(time.Until(wk.free))
	h.q.slots <- wk
	h.q.next.ServeHTTP(w, r)
}

type rateLimit struct {
	next  http.Handler
	rate  float64
	burst float64

	mu     sync.Mutex
	tokens float64
	last   time.Time
}

func newRateLimit(o options) (http.Handler, error) {
	c := o.capacity
	if c.rate <= 0 {
		return nil, errors.New("rate-limit: -rate must be above 0")
	}
	burst := c.burst
	if burst <= 0 {
		burst = c.rate
	}
	next, _ := newOK204(o)
	o.log.Printf("capacity %.1f events/s (burst %.0f)", c.rate, burst)
	return &rateLimit{next: next, rate: c.rate, burst: burst, tokens: burst, last: time.Now()}, nil
}

func (l *rateLimit) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	l.mu.Lock()
	now := time.Now()
	l.tokens = min(l.burst, l.tokens+now.Sub(l.last).Seconds()*l.rate)
	l.last = now
	ok := l.tokens >= 1
	if ok {
		l.tokens--
	}
	l.mu.Unlock()
	if !ok {
		w.Header().Set("Retry-After", "1")
		http.Error(w, "Too Many Requests", http.StatusTooManyRequests)
		return
	}
	l.next.ServeHTTP(w, r)
}
