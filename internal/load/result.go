package load

import (
	"container/heap"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/hamsasim/hamsasim/internal/deliver"
	"github.com/hamsasim/hamsasim/internal/loadreport"
	"github.com/hamsasim/hamsasim/internal/probe"
	"github.com/hamsasim/hamsasim/internal/scenario"
)

// result takes one attempt back from a worker and decides what follows.
func (r *run) result(x sent) {
	f, a := x.f, x.a
	r.handed--
	f.together = nil // sent; retries go one by one
	f.attempt++
	now := r.now()
	et := &f.c.tpl.events[f.ev]
	o := outcome{
		typ: et.typIdx, latency: a.Latency, status: a.Status, class: a.Class, ok: x.v.Acked,
		retry: f.attempt > 1, duplicate: f.duplicate,
		bytesOut: int64(len(f.body)), bytesIn: a.BodyBytes,
	}
	if x.v.Violation != "" {
		o.violation = true
		r.m.violation(et.typ, a.Status, x.v.Violation)
	}
	r.m.attempt(now, r.live, o)
	r.watch.attempt(&o)
	if !a.Start.IsZero() {
		loadreport.Record(r.m.lag, max(a.Start.Sub(r.start.Add(f.at)), 0))
	}
	r.encode(f, a)
	r.settle(f, a, x.v.Acked, now)
	if !r.injected(a) && r.breaker.Observe(a) && !r.draining {
		r.unreachable = true
		r.stop(fmt.Sprintf("%s: no answer from the target for %s (%s), so the run stopped sending, as a platform's circuit breaker would",
			UnreachableReason, r.e.breaker, r.breaker.Silence()))
	}
	if a.Status == http.StatusGone && a.Class == deliver.ClassNone && !r.draining {
		// The platform disables an endpoint that answers 410: nothing more
		// is sent to it.
		r.stop(fmt.Sprintf("the endpoint answered 410 Gone to %s: the platform stops delivering to an endpoint that says it is gone", et.typ))
	}
	r.advance(f, now)
}

// settle schedules a retry of an attempt that was not acknowledged, or
// records how the delivery ended (and, sometimes, redelivers it).
func (r *run) settle(f *flight, a deliver.Attempt, acked bool, now time.Duration) {
	c, et := f.c, &f.c.tpl.events[f.ev]
	if !acked && !r.draining {
		// The jitter's draw is seeded by the call, event and attempt, so a
		// seeded run retries on the same schedule every time, shards included.
		u := unit(r.e.seed ^ mix64(uint64(c.k)) ^ uint64(f.ev)<<8 ^ uint64(f.attempt)<<1 ^ 0x5bd1e995)
		if wait, again := r.policy.Wait(f.attempt, a, u); again {
			r.schedule(f, now+wait, now)
			return
		}
	}
	end := endFailed
	if acked {
		end = endAcked
	} else if r.draining && deliver.Retryable(a) && f.attempt < r.policy.Attempts {
		end = endUnsent
		c.lost = true
	}
	r.m.delivery(et.typIdx, f.duplicate, end)
	r.watch.delivered(et.typIdx, end == endAcked)
	if end == endAcked && !f.duplicate && et.typIdx < probe.MaxTypes {
		c.acked[et.typIdx]++
	}
	if end == endFailed {
		r.dead.add(f, a, r.e.scrub.Clean)
	}
	c.pending--
	if end != endAcked || r.draining {
		return
	}
	more := -1
	switch {
	case !f.duplicate && !r.sc.DuplicatesTogether && r.duplicated(c, f.ev):
		more = r.sc.DuplicateCopies - 2
	case f.duplicate && f.more > 0:
		more = f.more - 1
	}
	if more >= 0 {
		// The platform delivers the event again, as after a lost answer.
		d := &flight{c: c, ev: f.ev, duplicate: true, body: f.body, ts: f.ts, more: more}
		c.pending++
		r.schedule(d, now, now)
	}
}

// advance moves the call on once an event's first attempt has ended,
// answered or not: retries follow their backoff and may land after later
// events, as the platform's retries do.
func (r *run) advance(f *flight, now time.Duration) {
	c := f.c
	switch {
	case c.ended:
	case r.draining:
		if c.pending == 0 {
			r.endCall(c, c.pos >= len(c.tpl.events) && !c.lost)
		}
	case f.attempt == 1 && !f.duplicate:
		r.scheduleNext(c, now)
	case c.pending == 0 && c.pos >= len(c.tpl.events):
		r.endCall(c, true)
	}
}

// injected reports whether the scenario's own network fault decided the
// attempt's fate: such failures say nothing about the target.
func (r *run) injected(a deliver.Attempt) bool {
	at := a.Start.Sub(r.start)
	for _, f := range r.sc.Faults {
		if at >= f.Start && at < f.End() {
			return true
		}
	}
	return false
}

// encode streams the attempt to the results file, with the event type as
// the attack name.
func (r *run) encode(f *flight, a deliver.Attempt) {
	if r.enc == nil || r.encErr != nil {
		return
	}
	r.seq++
	out := vegeta.Result{
		Attack:    f.c.tpl.events[f.ev].typ,
		Seq:       r.seq,
		Code:      uint16(a.Status),
		Timestamp: a.Start,
		Latency:   a.Latency,
		BytesOut:  uint64(len(f.body)),
		BytesIn:   uint64(a.BodyBytes),
		Method:    http.MethodPost,
		URL:       r.e.shown,
		Headers:   triggerHeader(f.duplicate, f.attempt),
	}
	if a.Class == deliver.ClassLate {
		out.Code = 0 // the platform never saw it: vegeta must not count a success
	}
	switch {
	case a.Class != deliver.ClassNone:
		out.Error = string(a.Class)
		if a.Err != "" {
			out.Error += ": " + r.e.scrub.Clean(a.Err)
		}
	case a.Status < 200 || a.Status >= 400:
		// The standard reason phrase, not the target's: it could say anything.
		out.Error = strings.TrimSpace(strconv.Itoa(a.Status) + " " + http.StatusText(a.Status))
	}
	if err := r.enc(&out); err != nil {
		r.encErr = err
	}
}

// UnreachableReason starts the stop reason of a run the circuit breaker
// ended.
const UnreachableReason = "target.unreachable"

// TriggerHeader names, in a record of results.bin, why the attempt was
// made: "retry N", "redelivery" (a duplicate the platform sent after an
// acknowledgement) or "redelivery, retry N". A record without it is a first
// attempt: most are, and encoding nothing for them keeps the results stream
// as cheap as before. The records' Headers otherwise stay empty: the
// answer's own headers are not kept.
const TriggerHeader = "X-Hamsasim-Trigger"

// triggerHeaders are shared, read-only: one per trigger, built once.
var triggerHeaders = func() (h [2][scenario.MaxRetries + 2]http.Header) {
	for d := range 2 {
		for n := 1; n < len(h[d]); n++ {
			v := string(deliver.TriggerFirst)
			if d == 1 {
				v = string(deliver.TriggerRedelivery)
			}
			if n > 1 {
				if d == 0 {
					v = ""
				} else {
					v += ", "
				}
				v += string(deliver.TriggerRetry) + " " + strconv.Itoa(n-1)
			}
			h[d][n] = http.Header{TriggerHeader: {v}}
		}
	}
	return h
}()

func triggerHeader(duplicate bool, attempt int) http.Header {
	if !duplicate && attempt <= 1 {
		return nil // a first attempt
	}
	d := 0
	if duplicate {
		d = 1
	}
	return triggerHeaders[d][min(max(attempt, 1), len(triggerHeaders[d])-1)]
}

// stop ends arrivals and scheduling: what is queued or waiting is given up
// as unsent; attempts already handed out are awaited.
func (r *run) stop(reason string) {
	if r.draining {
		return
	}
	r.draining = true
	r.arrivalsOn = false
	r.stopped = reason
	abandon := func(f *flight) {
		for _, g := range append([]*flight{f}, f.together...) {
			et := &g.c.tpl.events[g.ev]
			r.m.delivery(et.typIdx, g.duplicate, endUnsent)
			r.watch.delivered(et.typIdx, false)
			g.c.lost = true // the call is incomplete even if its other deliveries end well
			g.c.pending--
		}
		if f.c.pending == 0 {
			r.endCall(f.c, false)
		}
	}
	for _, f := range r.queue {
		abandon(f)
	}
	r.queue = nil
	for taken := true; taken; {
		select {
		case f := <-r.ready:
			r.handed -= f.size()
			abandon(f)
		default:
			taken = false
		}
	}
	for r.waiting.Len() > 0 {
		abandon(heap.Pop(&r.waiting).(timed).f)
	}
}
