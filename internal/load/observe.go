package load

import "time"

// Observer sees a run while it goes, for live metrics: calls starting and
// ending, deliveries falling due, every attempt and how every delivery
// ended, counted as the summary counts them, so that totals kept by an
// Observer equal the summary's once Run has returned. The engine calls it
// synchronously from one goroutine at a time (a run's loop; the stages of
// a capacity search one after another), about once per attempt: its
// methods must be quick and must not block. Event types are given by
// their position in event.Types, or len(event.Types) for a type the
// platform does not document.
type Observer interface {
	// CallStarted is called as a call starts; inFlight counts it.
	CallStarted(inFlight int64)
	// CallEnded is called as a call is retired; inFlight no longer counts it.
	CallEnded(inFlight int64)
	// Offered is called when n deliveries of type typ fall due for their
	// first attempt by the scenario's schedule (first copies and
	// duplicates), whether or not a worker is free to send them.
	Offered(typ, n int)
	// Attempt is called as each attempt's answer (or failure) is taken back.
	Attempt(a AttemptSeen)
	// Delivered is called as a delivery ends: acknowledged, given up, or
	// left unsent when the run stopped.
	Delivered(typ int, acked bool)
	// Stage is called as a stage of a capacity search starts: its number
	// (from 1) and its arrival rate in calls/s.
	Stage(n int, callsPerSec float64)
}

// AttemptSeen is one attempt as an Observer sees it.
type AttemptSeen struct {
	Type    int           // as for Observer
	Latency time.Duration // until the answer, the timeout or the error
	Acked   bool          // a 2xx within the budget
	Retry   bool          // a retry, not a delivery's first attempt
	// TimedOut is set when the platform saw no answer in time: a timeout,
	// or an answer after the budget (late).
	TimedOut bool
	// Cause is why an attempt was not acknowledged, as Stats.Status names
	// it: the HTTP status ("503") or the error class ("timeout", "late",
	// "refused", "reset", ...). Empty when Acked.
	Cause string
}

// WithObserver has o see the run as it goes (nil: no one, at the cost of a
// nil check per event).
func WithObserver(o Observer) Option { return func(e *Engine) error { e.observer = o; return nil } }

// watch forwards what the loop records to the engine's Observer, if any.
type watch struct{ o Observer }

func (w watch) callStarted(inFlight int64) {
	if w.o != nil {
		w.o.CallStarted(inFlight)
	}
}

func (w watch) callEnded(inFlight int64) {
	if w.o != nil {
		w.o.CallEnded(inFlight)
	}
}

// offered tells of a flight falling due, if it is a first attempt. The
// nil check stays inlined at the call site; the rest is out of line.
func (w watch) offered(f *flight) {
	if w.o != nil && f.attempt == 0 {
		w.tellOffered(f)
	}
}

// tellOffered is kept out of line so that offered is inlined.
//
//go:noinline
func (w watch) tellOffered(f *flight) { w.o.Offered(f.c.tpl.events[f.ev].typIdx, f.size()) }

func (w watch) attempt(o *outcome) {
	if w.o != nil {
		w.tellAttempt(o)
	}
}

func (w watch) tellAttempt(o *outcome) {
	a := AttemptSeen{Type: o.typ, Latency: o.latency, Acked: o.ok, Retry: o.retry, TimedOut: timedOut(o.class)}
	if !o.ok {
		a.Cause = statusKey(o.status, o.class)
	}
	w.o.Attempt(a)
}

func (w watch) delivered(typ int, acked bool) {
	if w.o != nil {
		w.o.Delivered(typ, acked)
	}
}

// stageInfo is the capacity stage an engine runs; n is 0 outside a search.
type stageInfo struct {
	n    int
	rate float64
}

func (w watch) stage(s stageInfo) {
	if w.o != nil && s.n > 0 {
		w.o.Stage(s.n, s.rate)
	}
}
