package load

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/hamsasim/hamsasim/internal/check"
	"github.com/hamsasim/hamsasim/internal/deliver"
	"github.com/hamsasim/hamsasim/internal/event"
	"github.com/hamsasim/hamsasim/internal/fixture"
	"github.com/hamsasim/hamsasim/internal/loadreport"
	"github.com/hamsasim/hamsasim/internal/probe"
	"github.com/hamsasim/hamsasim/internal/scenario"
)

// call is one call lifecycle in flight.
type call struct {
	k       int64
	tpl     *callTemplate
	ids     fixture.IDs
	wall    time.Time              // when call.started is stamped (ms)
	start   time.Duration          // when it started, from the run's start
	order   []int                  // send order of event indexes; nil means as expanded
	full    []event.Event          // bodies, only for fixtures that could not be spliced
	pos     int                    // next position in the send order
	pending int                    // deliveries of this call not yet ended
	lost    bool                   // a delivery was cut short by the drain or an interruption
	ended   bool                   // retired by endCall
	acked   [probe.MaxTypes]uint32 // distinct events acknowledged, by type
}

func (c *call) eventAt(pos int) int {
	if c.order == nil {
		return pos
	}
	return c.order[pos]
}

// flight is one delivery: an event's first copy or a duplicate, across its
// attempts. The loop owns it, except while a worker holds it for an
// attempt: then only that worker reads it, until it hands the attempt back.
type flight struct {
	c         *call
	ev        int // event index in the template
	duplicate bool
	attempt   int // attempts made so far
	at        time.Duration
	body      []byte
	ts        string
	// more is how many more copies follow this one, each once the one
	// before was acknowledged (duplicates not sent together).
	more int
	// together holds the event's other copies, whose first attempts go
	// with this one's, at the same instant (duplicates.together). They
	// are in no queue of their own: the worker that takes this flight
	// sends them all and hands back an attempt for each.
	together []*flight
}

// size is how many deliveries the flight carries: itself and the copies
// that go with it.
func (f *flight) size() int { return 1 + len(f.together) }

// sent is one attempt, back from a worker with its verdict.
type sent struct {
	f *flight
	a deliver.Attempt
	v check.Verdict
}

// run is the state of one Run, owned by its loop goroutine.
type run struct {
	e       *Engine
	sc      *scenario.Scenario
	start   time.Time
	arrival time.Duration
	drainAt time.Duration
	policy  deliver.Backoff

	nextK      int64
	nextAt     time.Duration
	arrivalsOn bool

	live    int64
	handed  int // flights given to the workers (in the buffer or in flight)
	ready   chan *flight
	queue   []*flight
	waiting timedHeap

	m        *collector
	watch    watch     // the engine's Observer, if any
	rate     rateMeter // the progress line's event rate
	calls    loadreport.Calls
	enc      vegeta.Encoder
	encErr   error
	seq      uint64 // results.bin records written
	dead     *deadLetters
	stopped  string
	draining bool

	breaker     *deliver.Breaker
	unreachable bool // the breaker stopped the run
}

// Run sends the scenario's calls and returns what it measured. It ends
// when every started call has been delivered whole, when the drain timeout
// passes, or when ctx is done (the summary is then marked interrupted).
// Attempts are made by the same deliverer as every other command's, one
// per worker at a time, and judged by check's one judge. Errors are for
// failures of the harness itself (writing results).
func (e *Engine) Run(ctx context.Context) (*loadreport.Summary, error) {
	sc := e.sc
	r := &run{
		e:          e,
		dead:       newDeadLetters(e.deadLetters),
		sc:         sc,
		arrival:    sc.Duration,
		drainAt:    sc.Duration + sc.Drain,
		arrivalsOn: true,
		m:          newCollector(bucketWidthFor(sc.Duration)),
		watch:      watch{e.observer},
		calls:      loadreport.Calls{Fixtures: map[string]int64{}},
		policy:     sc.Delivery.Policy(),
	}
	if e.breaker > 0 {
		r.breaker = deliver.NewBreaker(BreakerMinAttempts, e.breaker)
	}
	if e.stream == nil {
		e.stream = newResultsStream(e.results)
	}
	if e.stream != nil {
		r.enc = e.stream.enc
	}
	r.planned()
	r.skipToShard()
	r.watch.stage(e.stage)

	r.start = e.clock.Now()
	d, closeIdle, err := e.deliverer(r.start)
	if err != nil {
		return nil, err
	}
	defer closeIdle()
	// Flights waiting in this buffer count as handed out; stop takes back
	// those no worker has picked up yet.
	r.ready = make(chan *flight, e.workers)
	done := make(chan sent, e.workers)
	var wg sync.WaitGroup
	// Attempts already handed out are awaited, interrupted or not.
	sendCtx := context.WithoutCancel(ctx)
	judge := check.NewJudge(e.contract)
	for range e.workers {
		wg.Go(func() { r.work(sendCtx, d, judge, r.ready, done) })
	}
	r.loop(ctx, done)
	close(r.ready)
	wg.Wait()
	return r.finish(ctx)
}

// deliverer is the run's deliverer: the engine's signer, the scenario's
// timeout, the scenario's network faults in front of the target, and
// redirects never followed. closeIdle closes its keep-alive connections,
// which would otherwise stay open on the target for a minute after the run
// (a capacity search runs many).
func (e *Engine) deliverer(start time.Time) (*deliver.Deliverer, func(), error) {
	client := e.client
	closeIdle := func() {}
	if client == nil {
		client = deliver.NewHTTPClient(e.workers, e.insecure)
		closeIdle = client.CloseIdleConnections
	}
	hc := *client
	hc.Timeout = 0 // each attempt has its own deadline
	// A 3xx is the answer, as the platform sees it, whatever client was given.
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	if len(e.sc.Faults) > 0 {
		inner := hc.Transport
		if inner == nil {
			inner = http.DefaultTransport
		}
		hc.Transport = &faultTransport{inner: inner, faults: e.sc.Faults, start: start, clock: e.clock}
	}
	d, err := deliver.New(
		deliver.WithSigner(e.signer),
		deliver.WithTimeout(e.sc.Delivery.Timeout),
		deliver.WithClock(deliverClock{e.clock}),
		deliver.WithHTTPClient(&hc),
	)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	return d, closeIdle, nil
}

// work makes the attempts handed to it, one at a time (or one group of
// copies sent together at a time), until in is closed.
func (r *run) work(ctx context.Context, d *deliver.Deliverer, judge *check.Judge, in <-chan *flight, out chan<- sent) {
	for f := range in {
		if len(f.together) == 0 {
			out <- r.attempt(ctx, d, judge, f)
			continue
		}
		for _, x := range r.sendTogether(ctx, d, judge, f) {
			out <- x
		}
	}
}

// attempt makes the flight's next attempt.
func (r *run) attempt(ctx context.Context, d *deliver.Deliverer, judge *check.Judge, f *flight) sent {
	n := f.attempt + 1
	trig := deliver.TriggerFirst
	switch {
	case n > 1:
		trig = deliver.TriggerRetry
	case f.duplicate:
		trig = deliver.TriggerRedelivery
	}
	typ := f.c.tpl.events[f.ev].typ
	req := deliver.Request{Target: r.e.target, Body: f.body}
	if r.e.signsEach {
		req.MsgID = deliver.MessageID(event.DuplicateKey(f.c.ids.CallID, typ, f.ts))
	}
	a := d.Send(ctx, req, n, trig)
	return sent{f: f, a: a, v: judge.Answer(typ, f.body, a)}
}

// sendTogether makes the first attempt of f and of every copy that goes
// with it at the same instant: one goroutine per copy, released together,
// each on a connection of its own (a connection carries one exchange at a
// time). Under load this is close enough; the race probe's last-byte
// release (deliver.SendTogether) is for proving a race, and would bypass
// the scenario's network faults. The attempts come back copies first, f
// last, so that the call moves on once every copy was answered.
func (r *run) sendTogether(ctx context.Context, d *deliver.Deliverer, judge *check.Judge, f *flight) []sent {
	// Only read here: the loop clears f.together when f comes back.
	group := append([]*flight{f}, f.together...)
	got := make([]sent, len(group))
	gate := make(chan struct{})
	var wg sync.WaitGroup
	for i, g := range group {
		wg.Go(func() {
			<-gate
			got[i] = r.attempt(ctx, d, judge, g)
		})
	}
	close(gate)
	wg.Wait()
	return append(got[1:], got[0])
}

// finish flushes what the run wrote and sums it up.
func (r *run) finish(ctx context.Context) (*loadreport.Summary, error) {
	e := r.e
	if e.stream != nil {
		if err := e.stream.bw.Flush(); err != nil && r.encErr == nil {
			r.encErr = err
		}
	}
	deadErr := r.dead.flush()
	s := r.summary(ctx.Err() != nil)
	if r.encErr != nil {
		return s, fmt.Errorf("writing results: %w", r.encErr)
	}
	if deadErr != nil {
		return s, fmt.Errorf("writing dead letters: %w", deadErr)
	}
	return s, nil
}

func (r *run) now() time.Duration { return r.e.clock.Now().Sub(r.start) }

// loop is the scheduler: it starts calls, schedules events, hands them to
// the workers and takes their attempts back, until nothing is left or the
// run stops.
func (r *run) loop(ctx context.Context, done <-chan sent) {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	armed := time.Duration(-1)
	var tick <-chan time.Time
	if r.e.progress != nil {
		t := time.NewTicker(r.progressEvery())
		defer t.Stop()
		tick = t.C
	}
	interrupted := ctx.Done()
	for {
		// An interruption is seen before anything more is handed out, not
		// only when the select below happens to pick it.
		select {
		case <-interrupted:
			r.stop("interrupted")
			interrupted = nil
		default:
		}
		now := r.now()
		if !r.step(now) {
			break
		}
		var out chan<- *flight
		var head *flight
		if len(r.queue) > 0 {
			out, head = r.ready, r.queue[0]
		}
		if next := r.nextWake(now); next != armed {
			timer.Reset(r.e.clock.Real(max(next-now, 0)))
			armed = next
		}
		select {
		case out <- head:
			r.popQueue()
		case x := <-done:
			r.result(x)
			r.drain(done)
		case <-timer.C:
			armed = -1
		case <-tick:
			r.progressLine(false)
		case <-interrupted:
			r.stop("interrupted")
			interrupted = nil
		}
	}
	r.progressLine(true)
}

// step starts what is due by now and fills the workers' buffer; it reports
// false when nothing is left to do.
func (r *run) step(now time.Duration) bool {
	r.startArrivals(now)
	r.releaseDue(now)
	if !r.draining && now >= r.drainAt && r.live > 0 {
		r.stop(fmt.Sprintf("the drain timeout (%s after arrivals ended) passed with calls unfinished", r.sc.Drain))
	}
	if r.finished() {
		return false
	}
	r.handOut()
	return true
}

// drain takes whatever other attempts have come back, before the loop
// looks at the clock again.
func (r *run) drain(done <-chan sent) {
	for {
		select {
		case x := <-done:
			r.result(x)
		default:
			return
		}
	}
}

// handOut fills the workers' buffer from the queue without blocking.
func (r *run) handOut() {
	for len(r.queue) > 0 && len(r.ready) < cap(r.ready) {
		r.ready <- r.queue[0] // only this goroutine sends: there is room
		r.popQueue()
	}
}

func (r *run) popQueue() {
	r.handed += r.queue[0].size()
	r.queue[0] = nil
	r.queue = r.queue[1:]
	if len(r.queue) == 0 {
		r.queue = r.queue[:0:0] // let the old array go
	}
}

// finished reports whether nothing is left to do.
func (r *run) finished() bool {
	return !r.arrivalsOn && r.live == 0 && r.handed == 0 && len(r.queue) == 0 && r.waiting.Len() == 0
}

// nextWake is when the loop must look again without being woken: the next
// arrival, the next due event or the drain deadline.
func (r *run) nextWake(now time.Duration) time.Duration {
	next := r.drainAt
	if r.draining {
		next = now + time.Hour
	}
	if r.arrivalsOn && r.live < int64(r.e.maxInFlight) && r.nextAt < next {
		next = r.nextAt
	}
	if r.waiting.Len() > 0 && r.waiting[0].at < next {
		next = r.waiting[0].at
	}
	return next
}
