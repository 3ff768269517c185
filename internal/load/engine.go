// Package load runs a scenario's call lifecycles against a receiver at
// scale, through vegeta, and measures what a capacity plan needs: latency
// percentiles, timeouts, retries and duplicates, per event type and overall.
//
// Calls arrive on an open model (the arrival rate does not drop when the
// target slows). Each call's events go in lifecycle order, event n+1 only
// after event n's delivery ended, spaced as the fixture says (scaled by the
// scenario's timeScale); events of different calls interleave freely.
package load

import (
	"bufio"
	"container/heap"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/hamsasim/hamsasim/internal/contract"
	"github.com/hamsasim/hamsasim/internal/deliver"
	"github.com/hamsasim/hamsasim/internal/event"
	"github.com/hamsasim/hamsasim/internal/fixture"
	"github.com/hamsasim/hamsasim/internal/loadreport"
	"github.com/hamsasim/hamsasim/internal/probe"
	"github.com/hamsasim/hamsasim/internal/report"
	"github.com/hamsasim/hamsasim/internal/scenario"
)

// Defaults for New.
const (
	DefaultWorkers     = 256    // concurrent HTTP exchanges at most
	DefaultMaxInFlight = 10_000 // calls in flight at most
	// DefaultBreakerWindow is how long a target may stay silent before the
	// run stops: a dead target ends a run in well under a minute instead of
	// timing out every remaining event.
	DefaultBreakerWindow = 30 * time.Second
	// BreakerMinAttempts is how many attempts in a row must get no answer
	// before the breaker may trip, however long the silence.
	BreakerMinAttempts = 10
	MaxWorkers         = 10_000
	MaxInFlightLimit   = 1_000_000
	// lateAfter is how far behind its planned start a call must begin to
	// count as late (the in-flight limit held it back).
	lateAfter = 100 * time.Millisecond
)

// ErrConfig is wrapped by errors from invalid options.
var ErrConfig = errors.New("invalid load configuration")

// Engine runs one scenario. Build it with New; Run it once.
type Engine struct {
	sc          *scenario.Scenario
	templates   map[string]*callTemplate
	contract    *contract.Contract
	target      string
	shown       string
	targetKind  string
	signer      deliver.Signer
	seed        uint64
	shard       loadreport.Shard
	workers     int
	maxInFlight int
	insecure    bool
	results     io.Writer
	stream      *resultsStream // on results; shared by the stages of a capacity search
	progress    io.Writer
	deadLetters io.Writer
	events      map[string]bool // subscribed event types; nil for all
	client      *http.Client
	scrub       report.Scrubber
	breaker     time.Duration // 0: never stop for silence
	audit       func(probe.Expected)
}

// resultsStream is one gob stream of vegeta results. Runs that write to
// one file share it: a second encoder on the same file would start a new
// gob stream, which vegeta cannot read past.
type resultsStream struct {
	bw  *bufio.Writer
	enc vegeta.Encoder
}

func newResultsStream(w io.Writer) *resultsStream {
	if w == nil {
		return nil
	}
	bw := bufio.NewWriterSize(w, 256<<10)
	return &resultsStream{bw: bw, enc: vegeta.NewEncoder(bw)}
}

// Option configures an Engine.
type Option func(*Engine) error

// WithTarget sets the URL events are POSTed to and how reports show it
// (redacted: no credentials or query).
func WithTarget(url, shown, kind string) Option {
	return func(e *Engine) error {
		if url == "" {
			return fmt.Errorf("%w: empty target", ErrConfig)
		}
		if i := strings.IndexByte(url, '#'); i >= 0 {
			url = url[:i]
		}
		e.target, e.shown, e.targetKind = url, shown, kind
		return nil
	}
}

// WithSigner sets how requests are authenticated.
func WithSigner(s deliver.Signer) Option {
	return func(e *Engine) error {
		if s == nil {
			return fmt.Errorf("%w: nil signer", ErrConfig)
		}
		e.signer = s
		return nil
	}
}

// WithContract validates every answer against c (verdicts of identical
// answers are cached).
func WithContract(c *contract.Contract) Option {
	return func(e *Engine) error { e.contract = c; return nil }
}

// WithSeed chooses fixtures, ids, duplicates and shuffles; the same seed
// gives the same calls.
func WithSeed(seed uint64) Option { return func(e *Engine) error { e.seed = seed; return nil } }

// WithShard makes the engine run only calls k with k mod count == index.
func WithShard(index, count int) Option {
	return func(e *Engine) error {
		if count < 1 || count > loadreport.MaxShards || index < 0 || index >= count {
			return fmt.Errorf("%w: shard %d/%d: the count must be from 1 to %d and the index from 0 to count-1", ErrConfig, index, count, loadreport.MaxShards)
		}
		e.shard = loadreport.Shard{Index: index, Count: count}
		return nil
	}
}

// WithWorkers bounds concurrent HTTP exchanges.
func WithWorkers(n int) Option {
	return func(e *Engine) error {
		if n < 1 || n > MaxWorkers {
			return fmt.Errorf("%w: workers must be from 1 to %d, not %d", ErrConfig, MaxWorkers, n)
		}
		e.workers = n
		return nil
	}
}

// WithMaxInFlight bounds calls in flight; arrivals beyond it wait, and the
// summary counts them late.
func WithMaxInFlight(n int) Option {
	return func(e *Engine) error {
		if n < 1 || n > MaxInFlightLimit {
			return fmt.Errorf("%w: max in flight must be from 1 to %d, not %d", ErrConfig, MaxInFlightLimit, n)
		}
		e.maxInFlight = n
		return nil
	}
}

// WithBreaker sets how long the target may give no answer at all (every
// attempt refused, reset, timed out ...; at least BreakerMinAttempts of them)
// before the run stops sending, as a platform's circuit breaker would. The
// scenario's own network faults never count. 0 turns the breaker off.
func WithBreaker(window time.Duration) Option {
	return func(e *Engine) error {
		if window < 0 {
			return fmt.Errorf("%w: breaker window %s is negative", ErrConfig, window)
		}
		e.breaker = window
		return nil
	}
}

// WithAudit has every call, once it has ended, reported to f with the
// distinct events the platform saw acknowledged, for an end-state audit
// against what the endpoint recorded (probe.Audit). f runs on the engine's
// loop: it must be quick.
func WithAudit(f func(probe.Expected)) Option {
	return func(e *Engine) error { e.audit = f; return nil }
}

// WithInsecure skips TLS certificate verification.
func WithInsecure(b bool) Option { return func(e *Engine) error { e.insecure = b; return nil } }

// WithEvents delivers only events of these types, as to an endpoint
// subscribed to a subset; empty means every type.
func WithEvents(types []string) Option {
	return func(e *Engine) error {
		if len(types) == 0 {
			e.events = nil
			return nil
		}
		e.events = map[string]bool{}
		for _, t := range types {
			if !event.Known(t) {
				return fmt.Errorf("%w: %q is not an event type (valid: %s)", ErrConfig, t, strings.Join(event.Types, ", "))
			}
			e.events[t] = true
		}
		return nil
	}
}

// WithDeadLetters writes every delivery the platform gave up on to w, one
// JSON line each (DeadLetter), for `hamsasim redeliver`.
func WithDeadLetters(w io.Writer) Option {
	return func(e *Engine) error { e.deadLetters = w; return nil }
}

// WithResults streams every attempt to w as vegeta results (gob), readable
// by `vegeta report`. The attack name of each result is its event type.
func WithResults(w io.Writer) Option { return func(e *Engine) error { e.results = w; return nil } }

// WithScrubber removes the run's secrets from what the results file
// quotes of the target's answers (a malformed answer echoing the
// Authorization value).
func WithScrubber(s report.Scrubber) Option { return func(e *Engine) error { e.scrub = s; return nil } }

// WithProgress writes a live progress line to w about once a second.
func WithProgress(w io.Writer) Option { return func(e *Engine) error { e.progress = w; return nil } }

// WithHTTPClient replaces the HTTP client (its transport is wrapped, and
// redirects are never followed).
func WithHTTPClient(c *http.Client) Option { return func(e *Engine) error { e.client = c; return nil } }

// New prepares a run of sc with the given fixtures (by name; every fixture
// the mix names must be there).
func New(sc *scenario.Scenario, fixtures map[string]*fixture.Fixture, opts ...Option) (*Engine, error) {
	e := &Engine{
		sc:          sc,
		templates:   map[string]*callTemplate{},
		signer:      deliver.NoAuth{},
		shard:       loadreport.Shard{Index: 0, Count: 1},
		workers:     DefaultWorkers,
		maxInFlight: DefaultMaxInFlight,
		targetKind:  "url",
		breaker:     DefaultBreakerWindow,
	}
	for _, o := range opts {
		if err := o(e); err != nil {
			return nil, err
		}
	}
	if e.target == "" {
		return nil, fmt.Errorf("%w: no target", ErrConfig)
	}
	for _, m := range sc.Mix {
		f, ok := fixtures[m.Fixture]
		if !ok {
			return nil, fmt.Errorf("%w: %s: the mix names fixture %q, which is not loaded", ErrConfig, sc.Source, m.Fixture)
		}
		t, err := newTemplate(f)
		if err != nil {
			return nil, err
		}
		e.templates[m.Fixture] = t.only(e.events)
	}
	return e, nil
}

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
// attempts.
type flight struct {
	c         *call
	ev        int // event index in the template
	duplicate bool
	attempt   int // attempts made so far
	at        time.Duration
	tagN      uint64 // this attempt's tag
	tagged    bool   // holds a slot
	x         exchange
	body      []byte
	ts        string
}

type timed struct {
	at time.Duration
	f  *flight
}

type timedHeap []timed

func (h timedHeap) Len() int           { return len(h) }
func (h timedHeap) Less(i, j int) bool { return h[i].at < h[j].at }
func (h timedHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *timedHeap) Push(x any)        { *h = append(*h, x.(timed)) }
func (h *timedHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// policyOf is the scenario's retry schedule as the deliverer applies it. A
// preset or written-out schedule is not capped by the exponential
// backoff's max; a Retry-After always is (30 s unless the scenario says).
func policyOf(d scenario.Delivery) deliver.Backoff {
	b := deliver.Backoff{Attempts: d.Retries + 1, Jitter: d.Jitter, RetryAfterMax: d.Backoff.Max}
	if d.Schedule == scenario.ScheduleExponential || len(d.Waits) == 0 {
		b.Base, b.Factor, b.Max = d.Backoff.Base, d.Backoff.Factor, d.Backoff.Max
	} else {
		b.Waits = d.Waits
	}
	return b
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
	slots   []*flight // by tag's low 32 bits; see tagFlight
	free    []uint32
	gen     uint32

	m        *collector
	calls    loadreport.Calls
	verdicts map[uint64]verdict
	hashSeed maphash.Seed
	enc      vegeta.Encoder
	encErr   error
	dead     *deadLetters
	stopped  string
	draining bool

	// The circuit breaker: attempts in a row that got no answer, and when
	// the first of them was sent.
	silent      int64
	silentSince time.Time
	silentBy    map[deliver.Class]int64
	unreachable bool // the breaker stopped the run
}

type verdict struct {
	ok     bool
	reason string
}

const maxVerdicts = 4096

// Run sends the scenario's calls and returns what it measured. It ends
// when every started call has been delivered whole, when the drain timeout
// passes, or when ctx is done (the summary is then marked interrupted).
// Errors are for failures of the harness itself (writing results).
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
		calls:      loadreport.Calls{Fixtures: map[string]int64{}},
		verdicts:   map[uint64]verdict{},
		hashSeed:   maphash.MakeSeed(),
		policy:     policyOf(sc.Delivery),
	}
	if e.stream == nil {
		e.stream = newResultsStream(e.results)
	}
	if e.stream != nil {
		r.enc = e.stream.enc
	}
	r.planned()
	r.skipToShard()

	client := e.client
	own := client == nil
	if own {
		client = deliver.NewHTTPClient(e.workers)
	}
	inner := client.Transport
	if inner == nil {
		inner = http.DefaultTransport
	}
	if tr, ok := inner.(*http.Transport); ok && e.insecure {
		tr = tr.Clone()
		tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // the user asked for it
		inner, own = tr, true
	}
	if c, ok := inner.(interface{ CloseIdleConnections() }); ok && own {
		// Its keep-alive connections would otherwise stay open on the
		// target for a minute after the run (a capacity search runs many).
		defer c.CloseIdleConnections()
	}
	r.start = time.Now()
	hc := *client
	hc.Timeout = sc.Delivery.Timeout
	// A 3xx is the answer, as the platform sees it, whatever client was given.
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	hc.Transport = &taggedTransport{inner: inner, lookup: r.exchangeOf, faults: sc.Faults, start: r.start, timeout: sc.Delivery.Timeout}

	atk := vegeta.NewAttacker(
		vegeta.Client(&hc),
		vegeta.Workers(uint64(min(e.workers, 16))),
		vegeta.MaxWorkers(uint64(e.workers)),
		vegeta.MaxBody(deliver.DefaultMaxAnswerBytes),
	)
	// Flights waiting in this buffer count as handed out; stop takes back
	// those no worker has picked up yet.
	r.ready = make(chan *flight, e.workers)
	// Handed out at most: the buffer, one per worker, and the queue's head.
	r.slots = make([]*flight, 2*e.workers+2)
	for i := len(r.slots) - 1; i >= 0; i-- {
		r.free = append(r.free, uint32(i))
	}
	static := staticHeader(e.signer)
	ready := r.ready
	targeter := func(t *vegeta.Target) error {
		f, ok := <-ready
		if !ok {
			return vegeta.ErrNoTargets
		}
		t.Method = http.MethodPost
		t.URL = tagURL(e.target, f.tagN)
		t.Body = f.body
		if static != nil {
			t.Header = static // vegeta copies it into each request
		} else {
			t.Header = f.header(e.signer, time.Now())
		}
		return nil
	}
	results := atk.Attack(targeter, vegeta.ConstantPacer{}, 0, sc.Name)

	r.loop(ctx, results)
	atk.Stop()
	for range results { // workers released by the closed ready channel
	}
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

// header builds the attempt's headers and signs the body.
func (f *flight) header(s deliver.Signer, now time.Time) http.Header {
	h := baseHeader()
	key := event.DuplicateKey(f.c.ids.CallID, f.c.tpl.events[f.ev].typ, f.ts)
	s.Sign(h, deliver.MessageID(key), f.body, now)
	return h
}

func baseHeader() http.Header {
	h := make(http.Header, 4)
	h.Set("Content-Type", "application/json")
	h.Set("User-Agent", deliver.DefaultUserAgent)
	return h
}

// staticHeader is the one header every attempt shares when the signer's
// output does not depend on the message (none, Bearer, a literal header);
// nil when each attempt is signed.
func staticHeader(s deliver.Signer) http.Header {
	switch s.(type) {
	case deliver.NoAuth, deliver.Bearer, deliver.Literal:
		h := baseHeader()
		s.Sign(h, "", nil, time.Time{})
		return h
	}
	return nil
}

// planned counts the calls this shard will start.
func (r *run) planned() {
	total := int64(math.Ceil(r.sc.CallsBy(r.arrival) - 1e-9))
	n, i := int64(r.e.shard.Count), int64(r.e.shard.Index)
	if total > i {
		r.calls.Planned = (total-i-1)/n + 1
	}
}

// arrivalOf is when call k starts: the first t where the arrival integral
// reaches k.
func (r *run) arrivalOf(k int64) time.Duration {
	if k == 0 {
		return 0
	}
	if r.sc.Arrival.Kind == scenario.ArrivalConstant {
		return time.Duration(float64(k) / r.sc.Arrival.Constant * float64(time.Second))
	}
	lo, hi := time.Duration(0), r.arrival
	if r.sc.CallsBy(hi) < float64(k) {
		return hi // never: the caller stops at arrival
	}
	for hi-lo > time.Microsecond {
		mid := lo + (hi-lo)/2
		if r.sc.CallsBy(mid) >= float64(k) {
			hi = mid
		} else {
			lo = mid
		}
	}
	return hi
}

// skipToShard moves to this shard's first call.
func (r *run) skipToShard() {
	n, i := int64(r.e.shard.Count), int64(r.e.shard.Index)
	r.arriveNext((i - r.nextK%n + n) % n)
}

// arriveNext moves step calls on and says when that call arrives, or that
// arrivals are over.
func (r *run) arriveNext(step int64) {
	r.nextK += step
	r.nextAt = r.arrivalOf(r.nextK)
	if r.nextAt >= r.arrival || r.sc.CallsBy(r.arrival) <= float64(r.nextK) {
		r.arrivalsOn = false
	}
}

func (r *run) now() time.Duration { return time.Since(r.start) }

// loop is the engine: it starts calls, schedules events, hands them to the
// workers and takes their results, until nothing is left or the run stops.
func (r *run) loop(ctx context.Context, results <-chan *vegeta.Result) {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	armed := time.Duration(-1)
	var tick <-chan time.Time
	if r.e.progress != nil {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		tick = t.C
	}
	done := ctx.Done()
	for {
		// An interruption is seen before anything more is handed out, not
		// only when the select below happens to pick it.
		select {
		case <-done:
			r.stop("interrupted")
			done = nil
		default:
		}
		now := r.now()
		r.startArrivals(now)
		r.releaseDue(now)
		if !r.draining && now >= r.drainAt && r.live > 0 {
			r.stop(fmt.Sprintf("the drain timeout (%s after arrivals ended) passed with calls unfinished", r.sc.Drain))
		}
		if r.finished() {
			break
		}
		r.handOut()
		var out chan<- *flight
		var head *flight
		if len(r.queue) > 0 {
			out, head = r.ready, r.queue[0]
			r.tagFlight(head)
		}
		if next := r.nextWake(now); next != armed {
			timer.Reset(max(next-now, 0))
			armed = next
		}
		select {
		case out <- head:
			r.popQueue()
		case res, ok := <-results:
			if !ok {
				r.stop("the load generator stopped")
				r.handed = 0
				close(r.ready)
				r.progressLine(true)
				return
			}
			r.result(res)
			// Take whatever else has arrived before looking at the clock again.
			for more := true; more; {
				select {
				case res, ok := <-results:
					if !ok {
						more = false
						break
					}
					r.result(res)
				default:
					more = false
				}
			}
		case <-timer.C:
			armed = -1
		case <-tick:
			r.progressLine(false)
		case <-done:
			r.stop("interrupted")
			done = nil
		}
	}
	close(r.ready)
	r.progressLine(true)
}

// handOut fills the workers' buffer from the queue without blocking.
func (r *run) handOut() {
	for len(r.queue) > 0 && len(r.ready) < cap(r.ready) {
		r.tagFlight(r.queue[0])
		r.ready <- r.queue[0] // only this goroutine sends: there is room
		r.popQueue()
	}
}

func (r *run) popQueue() {
	r.queue[0] = nil
	r.queue = r.queue[1:]
	r.handed++
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

// startArrivals starts every call due by now, within the in-flight limit.
func (r *run) startArrivals(now time.Duration) {
	for r.arrivalsOn && r.nextAt <= now && r.live < int64(r.e.maxInFlight) {
		if late := now - r.nextAt; late > lateAfter {
			r.calls.Late++
			r.calls.LateMaxMs = max(r.calls.LateMaxMs, late.Milliseconds())
		}
		r.startCall(r.nextK, now)
		r.arriveNext(int64(r.e.shard.Count))
	}
}

// mix64 is splitmix64: a decision that depends only on its inputs.
func mix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

func unit(x uint64) float64 { return float64(mix64(x)>>11) / (1 << 53) }

func (r *run) startCall(k int64, now time.Duration) {
	rng := rand.New(rand.NewPCG(r.e.seed, uint64(k)))
	name := r.sc.Pick(rng.Float64())
	tpl := r.e.templates[name]
	wall := time.Now().UTC().Truncate(time.Millisecond)
	c := &call{k: k, tpl: tpl, ids: fixture.NewIDs(r.e.seed, name, int(k)), wall: wall, start: now}
	n := len(tpl.events)
	if r.sc.OutOfOrder > 0 && rng.Float64() < r.sc.OutOfOrder && n > 1 {
		c.order = make([]int, n)
		for i := range c.order {
			c.order[i] = i
		}
		p := rng.IntN(n - 1)
		c.order[p], c.order[p+1] = c.order[p+1], c.order[p]
		r.calls.OutOfOrder++
	}
	if !tpl.spliced {
		evs, err := tpl.fixture.Expand(fixture.Options{Seed: r.e.seed, Instance: int(k), Start: wall})
		if err == nil {
			c.full = evs
		}
	}
	r.live++
	r.calls.Started++
	r.calls.Fixtures[name]++
	r.calls.MaxInFlight = max(r.calls.MaxInFlight, r.live)
	r.m.callStarted(now, r.live)
	r.scheduleNext(c, now)
}

// dueAt is when the event at send position pos is due: the call's start
// plus the position's offset, scaled.
func (r *run) dueAt(c *call, pos int) time.Duration {
	off := c.tpl.events[pos].offset
	return c.start + time.Duration(float64(off)*r.sc.TimeScale)
}

// scheduleNext queues the call's next event, or ends the call.
func (r *run) scheduleNext(c *call, now time.Duration) {
	if c.pos >= len(c.tpl.events) {
		if c.pending == 0 {
			r.endCall(c, true)
		}
		return
	}
	ev := c.eventAt(c.pos)
	f := &flight{c: c, ev: ev}
	c.pending++
	r.render(f)
	r.schedule(f, max(r.dueAt(c, c.pos), now), now)
	c.pos++
}

func (r *run) render(f *flight) {
	c, et := f.c, &f.c.tpl.events[f.ev]
	if c.full != nil {
		full := c.full[et.idx]
		f.body, f.ts = full.Body, full.Timestamp
		return
	}
	f.ts = event.FormatTime(c.wall.Add(et.offset))
	f.body = et.render(nil, c.ids, f.ts)
}

func (r *run) schedule(f *flight, at, now time.Duration) {
	f.at = at
	if at <= now {
		r.enqueue(f)
		return
	}
	heap.Push(&r.waiting, timed{at: at, f: f})
}

func (r *run) releaseDue(now time.Duration) {
	for r.waiting.Len() > 0 && r.waiting[0].at <= now {
		r.enqueue(heap.Pop(&r.waiting).(timed).f)
	}
}

// enqueue puts the flight in line for a worker.
func (r *run) enqueue(f *flight) { r.queue = append(r.queue, f) }

// tagFlight gives the flight's next attempt a slot, just before a worker
// gets it: the tag is the slot's index and a generation, so a slot is never
// mistaken for its previous holder. Slots are bounded by the flights handed
// out (the workers' buffer and the workers), so there is always one free.
func (r *run) tagFlight(f *flight) {
	if f.tagged {
		return
	}
	n := len(r.free) - 1
	idx := r.free[n]
	r.free = r.free[:n]
	r.gen++
	f.tagN = uint64(r.gen)<<32 | uint64(idx)
	f.tagged = true
	f.x = exchange{}
	r.slots[idx] = f
}

func (r *run) untag(f *flight) {
	if !f.tagged {
		return
	}
	idx := uint32(f.tagN)
	r.slots[idx] = nil
	r.free = append(r.free, idx)
	f.tagged = false
}

// lookup finds the flight holding tag; the transport calls it from worker
// goroutines for flights handed to them, which the loop does not touch
// until their result is back.
func (r *run) lookup(tag uint64) *flight {
	idx := uint32(tag)
	if int(idx) >= len(r.slots) {
		return nil
	}
	if f := r.slots[idx]; f != nil && f.tagN == tag {
		return f
	}
	return nil
}

// endCall retires a call. An incomplete call's events that were never
// scheduled count as unsent deliveries.
func (r *run) endCall(c *call, complete bool) {
	if c.ended {
		return
	}
	c.ended = true
	r.live--
	if complete {
		r.calls.Completed++
	} else {
		r.calls.Incomplete++
		for p := c.pos; p < len(c.tpl.events); p++ {
			r.m.delivery(c.tpl.events[c.eventAt(p)].typIdx, false, endUnsent)
		}
	}
	c.full = nil
	if r.e.audit != nil {
		r.e.audit(probe.Expected{CallID: c.ids.CallID, Acked: c.acked})
	}
}

// result takes one attempt's outcome and decides what follows.
func (r *run) result(res *vegeta.Result) {
	tag, ok := tagOf(res.URL)
	if !ok {
		return // a worker released at the end, or not ours
	}
	f := r.lookup(tag)
	if f == nil {
		return
	}
	r.untag(f)
	r.handed--
	f.attempt++
	now := r.now()

	x := &f.x
	latency := res.Latency
	if !x.sent.IsZero() && !x.ended.IsZero() {
		latency = x.ended.Sub(x.sent)
	}
	a := deliver.Attempt{N: f.attempt, Status: int(res.Code), Latency: latency, Header: res.Headers}
	if res.Code == 0 || x.err != nil {
		// Not vegeta's error text: it quotes the request's URL, query
		// (which may hold a token) included.
		a.Status = 0
		a.Class = x.class
		if x.err != nil {
			cls, msg := deliver.Classify(x.err)
			if a.Class == deliver.ClassNone {
				a.Class = cls
			}
			if a.Class == cls {
				a.Err = msg
			}
		}
		if a.Class == deliver.ClassNone {
			a.Class = deliver.ClassTransport
		}
	}
	et := &f.c.tpl.events[f.ev]
	o := outcome{
		typ: et.typIdx, latency: latency, status: a.Status, class: a.Class, ok: a.OK(),
		retry: f.attempt > 1, duplicate: f.duplicate,
		bytesOut: int64(len(f.body)), bytesIn: int64(res.BytesIn),
	}
	if a.Status != 0 && r.e.contract != nil {
		if v := r.judge(et.typ, f.body, res); !v.ok {
			o.violation = true
			r.m.violation(et.typ, a.Status, v.reason)
		}
	}
	r.m.attempt(now, r.live, o)
	if !x.sent.IsZero() {
		loadreport.Record(r.m.lag, max(x.sent.Sub(r.start.Add(f.at)), 0))
	}
	r.encode(f, res, a, latency, x.sent)

	c := f.c
	// The call moves on once an event's first attempt has ended, answered
	// or not: retries follow their backoff and may land after later
	// events, as the platform's retries do.
	advance := f.attempt == 1 && !f.duplicate
	retrying := false
	if !a.OK() && !r.draining {
		// The jitter's draw is seeded by the call, event and attempt, so a
		// seeded run retries on the same schedule every time, shards included.
		u := unit(r.e.seed ^ mix64(uint64(f.c.k)) ^ uint64(f.ev)<<8 ^ uint64(f.attempt)<<1 ^ 0x5bd1e995)
		if wait, again := r.policy.Wait(f.attempt, a, u); again {
			r.schedule(f, now+wait, now)
			retrying = true
		}
	}
	if !retrying {
		end := endFailed
		if a.OK() {
			end = endAcked
		} else if r.draining && deliver.Retryable(a) && f.attempt < r.policy.Attempts {
			end = endUnsent
			c.lost = true
		}
		r.m.delivery(et.typIdx, f.duplicate, end)
		if end == endAcked && !f.duplicate && et.typIdx < probe.MaxTypes {
			c.acked[et.typIdx]++
		}
		if end == endFailed {
			r.dead.add(f, a, r.e.scrub.Clean)
		}
		c.pending--
		if end == endAcked && !f.duplicate && !r.draining && r.sc.Duplicates > 0 &&
			unit(r.e.seed^mix64(uint64(c.k))^uint64(f.ev)<<1) < r.sc.Duplicates {
			// The platform delivers the event again, as after a lost answer.
			d := &flight{c: c, ev: f.ev, duplicate: true, body: f.body, ts: f.ts}
			c.pending++
			r.schedule(d, now, now)
		}
	}
	r.breakerSees(a, x)
	if a.Status == http.StatusGone && !r.draining {
		// The platform disables an endpoint that answers 410: nothing more
		// is sent to it.
		r.stop(fmt.Sprintf("the endpoint answered 410 Gone to %s: the platform stops delivering to an endpoint that says it is gone", et.typ))
	}
	switch {
	case c.ended:
	case r.draining:
		if c.pending == 0 {
			r.endCall(c, c.pos >= len(c.tpl.events) && !c.lost)
		}
	case advance:
		r.scheduleNext(c, now)
	case c.pending == 0 && c.pos >= len(c.tpl.events):
		r.endCall(c, true)
	}
}

// judge validates an answer against the contract, from the cache when the
// same answer was judged before.
func (r *run) judge(typ string, reqBody []byte, res *vegeta.Result) verdict {
	var h maphash.Hash
	h.SetSeed(r.hashSeed)
	var scratch [8]byte
	h.WriteString(typ)
	h.Write(strconv.AppendUint(scratch[:0], uint64(res.Code), 10))
	h.WriteByte(0)
	h.WriteString(res.Headers.Get("Content-Type"))
	h.WriteByte(0)
	h.Write(res.Body)
	key := h.Sum64()
	if v, ok := r.verdicts[key]; ok {
		return v
	}
	vs := r.e.contract.ValidateAnswer(typ, reqBody, int(res.Code), res.Headers, res.Body)
	v := verdict{ok: len(vs) == 0}
	if !v.ok {
		v.reason = vs[0].String()
	}
	if len(r.verdicts) < maxVerdicts {
		r.verdicts[key] = v
	}
	return v
}

// encode streams the attempt to the results file, with the latency the
// transport measured and the event type as the attack name.
func (r *run) encode(f *flight, res *vegeta.Result, a deliver.Attempt, latency time.Duration, sent time.Time) {
	if r.enc == nil || r.encErr != nil {
		return
	}
	out := vegeta.Result{
		Attack:    f.c.tpl.events[f.ev].typ,
		Seq:       f.tagN,
		Code:      uint16(a.Status),
		Timestamp: sent,
		Latency:   latency,
		BytesOut:  uint64(len(f.body)),
		BytesIn:   res.BytesIn,
		Method:    http.MethodPost,
		URL:       r.e.shown,
		Headers:   triggerHeader(f.duplicate, f.attempt),
	}
	if sent.IsZero() {
		out.Timestamp = res.Timestamp
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

// breakerSees counts attempts that got no answer from the target and stops
// the run once it has been silent for the breaker's window. Any answer,
// whatever its status, closes the breaker again. Failures the scenario's own
// faults caused say nothing about the target.
func (r *run) breakerSees(a deliver.Attempt, x *exchange) {
	if r.e.breaker <= 0 || r.draining || x.injected || a.Class == deliver.ClassCanceled {
		return
	}
	if a.Status != 0 {
		if r.silent > 0 {
			r.silent = 0
			clear(r.silentBy)
		}
		return
	}
	if r.silent == 0 {
		r.silentSince = x.sent
		if r.silentBy == nil {
			r.silentBy = map[deliver.Class]int64{}
		}
	}
	r.silent++
	r.silentBy[a.Class]++
	if r.silent < BreakerMinAttempts || r.silentSince.IsZero() || time.Since(r.silentSince) < r.e.breaker {
		return
	}
	classes := make([]string, 0, len(r.silentBy))
	for c, n := range r.silentBy {
		classes = append(classes, fmt.Sprintf("%s ×%d", c, n))
	}
	slices.Sort(classes)
	r.unreachable = true
	r.stop(fmt.Sprintf("%s: no answer from the target for %s (%d attempts in a row: %s), so the run stopped sending, as a platform's circuit breaker would",
		UnreachableReason, r.e.breaker, r.silent, strings.Join(classes, ", ")))
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
		r.untag(f)
		et := &f.c.tpl.events[f.ev]
		r.m.delivery(et.typIdx, f.duplicate, endUnsent)
		f.c.lost = true // the call is incomplete even if its other deliveries end well
		f.c.pending--
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
			r.handed--
			abandon(f)
		default:
			taken = false
		}
	}
	for r.waiting.Len() > 0 {
		abandon(heap.Pop(&r.waiting).(timed).f)
	}
}

// exchangeOf is the transport's view of lookup.
func (r *run) exchangeOf(tag uint64) *exchange {
	if f := r.lookup(tag); f != nil {
		return &f.x
	}
	return nil
}
