// Package capture is the endpoint integrators expose to the real platform
// to record calls: it acknowledges each event at once, reports how the
// platform's events depart from the contract (drift), and writes each
// completed call as a fixture that `hamsasim simulate` replays. Personal
// data (phone numbers, e-mail addresses, names) is replaced by placeholders
// unless redaction is turned off.
package capture

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/hamsasim/hamsasim/internal/contract"
	"github.com/hamsasim/hamsasim/internal/event"
	"github.com/hamsasim/hamsasim/internal/fixture"
	"github.com/hamsasim/hamsasim/internal/intake"
	"github.com/hamsasim/hamsasim/internal/receiver"
)

// Defaults for Config.
const (
	// DefaultIdle is how long after its last event a call without
	// call.ended is written anyway, marked incomplete.
	DefaultIdle = 10 * time.Minute
	// DefaultMaxBodyBytes bounds one event, as the reference receiver does.
	DefaultMaxBodyBytes = receiver.DefaultMaxBodyBytes
	// DefaultMaxOpenCalls bounds the calls held in memory at once.
	DefaultMaxOpenCalls = 1000
	// DefaultMaxBufferedBytes bounds the event bodies held in memory at once.
	DefaultMaxBufferedBytes = 512 << 20
	// MaxEventsPerCall bounds one call: more turns than a fixture may hold
	// (fixture.MaxTurns) plus room for the other events.
	MaxEventsPerCall = fixture.MaxTurns + 1000
	// incompleteEnd is how long after its last event an incomplete call's
	// fixture hangs up.
	incompleteEnd = time.Second
	// closedCalls is how many written calls are remembered, to recognise
	// redeliveries and late events after a call was written.
	closedCalls = 256
	// maxNameTries bounds the search for a free file name.
	maxNameTries = 1000
)

// ErrClosed is returned by Close when called twice.
var ErrClosed = errors.New("capture already closed")

// Config configures a Capturer.
type Config struct {
	// Out is the folder fixtures are written to; created if missing.
	Out string
	// Authorization is the whole expected header value ("Bearer <token>").
	// Empty (and no SigningKey) accepts events without credentials.
	Authorization string
	// SigningKey, if set, requires Standard Webhooks signatures instead.
	SigningKey []byte
	// Contract checks every event, and says which fields each event type
	// declares (unknown fields are drift).
	Contract *contract.Contract
	// Redact replaces phone numbers, e-mail addresses and names.
	Redact bool
	// Scrub, if set, cleans every string written (the run's secrets).
	Scrub func(string) string
	Idle  time.Duration // default DefaultIdle

	MaxBodyBytes     int64 // default DefaultMaxBodyBytes
	MaxOpenCalls     int   // default DefaultMaxOpenCalls
	MaxBufferedBytes int64 // default DefaultMaxBufferedBytes

	// Notify receives what happens, in order, from one goroutine at a time.
	Notify func(Notice)
	// Now is the clock; default time.Now.
	Now func() time.Time
}

// Notice is something worth telling the user. Exactly one of its pointer
// fields is set.
type Notice struct {
	Drift   *Drift   // a drift seen for the first time
	Written *Written // a call written as a fixture
	Refused *Refused // the first refusal of its kind
	Late    *Late    // an event for a call already written
	Err     error    // a call that could not be written
}

// Written describes one fixture file.
type Written struct {
	Path       string
	Name       string
	CallID     string
	Events     int // distinct events the fixture was made from
	Incomplete bool
	Reason     string // why an incomplete call was written
	Notes      []string
}

// Refused is a request the capture did not take.
type Refused struct {
	Status int
	Reason string
}

// Late is an event that arrived after its call was written.
type Late struct {
	CallID, EventType string
}

// Stats sums up a capture.
type Stats struct {
	Events, Duplicates, Late int
	Calls, Incomplete        int
	Refused                  map[int]int // by status
	Drift                    []Drift
	DriftUnlisted            int // drifts seen past MaxDrifts, not listed
}

// Capturer takes events over HTTP and writes calls as fixtures. Create it
// with New, serve Handler, and Close it to write what is still open.
type Capturer struct {
	cfg    Config
	intake *intake.Intake
	drift  *detector

	mu         sync.Mutex
	calls      map[string]*openCall
	closed     map[string]map[uint64]bool // written calls' duplicate keys (hashed)
	closedFIFO []string
	buffered   int64
	queue      []job
	refusedAt  map[string]bool
	stats      Stats
	shut       bool

	wake chan struct{}
	done chan struct{}
	stop chan struct{}
	once sync.Once
}

type openCall struct {
	id       string
	events   []received
	keys     map[string]bool
	lastSeen time.Time
	bytes    int64
}

// job is one piece of background work, done in order: checking an event
// for drift, writing a call, or passing a notice on.
type job struct {
	typ     string
	body    []byte
	release int64 // bytes to release once checked (events not kept)
	write   *openCall
	reason  string // why an incomplete call is written; empty when complete
	notice  *Notice
}

// New checks the configuration and starts the background writer.
func New(cfg Config) (*Capturer, error) {
	if cfg.Out == "" {
		return nil, errors.New("capture needs an output folder")
	}
	if cfg.Idle <= 0 {
		cfg.Idle = DefaultIdle
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if cfg.MaxOpenCalls <= 0 {
		cfg.MaxOpenCalls = DefaultMaxOpenCalls
	}
	if cfg.MaxBufferedBytes <= 0 {
		cfg.MaxBufferedBytes = DefaultMaxBufferedBytes
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Notify == nil {
		cfg.Notify = func(Notice) {}
	}
	if cfg.Scrub == nil {
		cfg.Scrub = func(s string) string { return s }
	}
	if err := os.MkdirAll(cfg.Out, 0o755); err != nil {
		return nil, fmt.Errorf("cannot create %s: %w", cfg.Out, err)
	}
	c := &Capturer{
		cfg: cfg, drift: newDetector(cfg.Contract),
		calls: map[string]*openCall{}, closed: map[string]map[uint64]bool{}, refusedAt: map[string]bool{},
		wake: make(chan struct{}, 1), done: make(chan struct{}), stop: make(chan struct{}),
	}
	c.stats.Refused = map[int]int{}
	c.intake = intake.New(intake.Config{Authorization: cfg.Authorization, SigningKey: cfg.SigningKey, MaxBodyBytes: cfg.MaxBodyBytes, Now: cfg.Now})
	go c.work()
	return c, nil
}

// Handler routes POST /webhook (events) and GET /healthz.
func (c *Capturer) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /webhook", c.serveEvent)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		event.WriteJSON(w, http.StatusOK, map[string]any{"ok": true})
	})
	return mux
}

// serveEvent answers at once: it keeps the event in memory and leaves the
// contract check and the writing of files to the background writer.
func (c *Capturer) serveEvent(w http.ResponseWriter, req *http.Request) {
	env, body, err := c.intake.Read(w, req)
	if err != nil {
		c.refuseIntake(w, err)
		return
	}
	now := c.cfg.Now()
	at, err := time.Parse(time.RFC3339Nano, env.Timestamp)
	if err != nil {
		at = now
	}
	status, a := c.accept(env, at, now, body)
	if status != http.StatusOK {
		w.Header().Set("Retry-After", "30")
	}
	event.WriteJSON(w, status, a)
}

// accept keeps one event, or says why not.
func (c *Capturer) accept(env event.Parsed, at, now time.Time, body []byte) (int, event.Answer) {
	callID, typ, key := env.CallID, env.EventType, env.Key()
	size := int64(len(body))
	ok := event.Answer{Received: true}
	if !event.Known(typ) {
		ok.Warning = "Unknown event type"
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.shut {
		return http.StatusServiceUnavailable, event.Answer{Error: "Shutting down"}
	}
	if seen, written := c.closed[callID]; written {
		h := hashKey(key)
		if seen[h] {
			c.stats.Duplicates++
			return http.StatusOK, event.Answer{Received: true, Duplicate: true}
		}
		if c.buffered+size > c.cfg.MaxBufferedBytes {
			return c.full("the events held in memory reached their limit")
		}
		if len(seen) >= MaxEventsPerCall {
			// A written call keeps receiving new events: acknowledge them
			// without remembering more (a redelivery of these is then not
			// recognised, which costs a notice, not memory).
			c.stats.Late++
			ok.Warning = "Call already written"
			return http.StatusOK, ok
		}
		seen[h] = true
		c.stats.Late++
		c.buffered += size
		c.push(job{typ: typ, body: body, release: size}, job{notice: &Notice{Late: &Late{CallID: callID, EventType: typ}}})
		ok.Warning = "Call already written"
		return http.StatusOK, ok
	}
	oc := c.calls[callID]
	if oc != nil && oc.keys[key] {
		c.stats.Duplicates++
		oc.lastSeen = now
		return http.StatusOK, event.Answer{Received: true, Duplicate: true}
	}
	switch {
	case oc == nil && len(c.calls) >= c.cfg.MaxOpenCalls:
		return c.full(fmt.Sprintf("%d calls are open at once", len(c.calls)))
	case c.buffered+size > c.cfg.MaxBufferedBytes:
		return c.full("the events held in memory reached their limit")
	case oc != nil && len(oc.events) >= MaxEventsPerCall:
		return c.full(fmt.Sprintf("call %s has %d events, the most one fixture can hold", callID, MaxEventsPerCall))
	}
	if oc == nil {
		oc = &openCall{id: callID, keys: map[string]bool{}}
		c.calls[callID] = oc
	}
	oc.keys[key] = true
	oc.events = append(oc.events, received{typ: typ, at: at, body: body})
	oc.lastSeen, oc.bytes = now, oc.bytes+size
	c.buffered += size
	c.stats.Events++
	c.push(job{typ: typ, body: body})
	if typ == event.CallEnded {
		c.closeCall(oc, "")
	}
	return http.StatusOK, ok
}

// full answers 503: the platform retries later, when calls were written.
func (c *Capturer) full(why string) (int, event.Answer) {
	c.stats.Refused[http.StatusServiceUnavailable]++
	if !c.refusedAt["503"] {
		c.refusedAt["503"] = true
		c.push(job{notice: &Notice{Refused: &Refused{Status: http.StatusServiceUnavailable, Reason: "events answered 503 (the platform retries them later): " + why}}})
	}
	return http.StatusServiceUnavailable, event.Answer{Error: "Capture is full: " + why}
}

// refuseIntake answers a request the intake did not take, saying why in
// the first notice of its kind.
func (c *Capturer) refuseIntake(w http.ResponseWriter, err error) {
	status := intake.Status(err)
	switch {
	case errors.Is(err, intake.ErrUnauthorized):
		c.refuse(w, status, "Unauthorized", "requests without the expected Authorization were answered 401")
	case errors.Is(err, intake.ErrSignature):
		c.refuse(w, status, "Unauthorized", "requests without a valid signature were answered 401")
	case errors.Is(err, intake.ErrTooLarge):
		c.refuse(w, status,
			fmt.Sprintf("Payload too large: events over %d bytes are not captured", c.cfg.MaxBodyBytes),
			fmt.Sprintf("an event over %d bytes was answered 413 and not captured", c.cfg.MaxBodyBytes))
	case errors.Is(err, intake.ErrUnreadable):
		c.refuse(w, status, "Invalid payload", "a request whose body could not be read was answered 400")
	default:
		c.refuse(w, status, "Invalid payload", "a body that is not JSON or lacks eventType, callId or timestamp was answered 400")
	}
}

func (c *Capturer) refuse(w http.ResponseWriter, status int, msg, why string) {
	c.mu.Lock()
	c.stats.Refused[status]++
	if !c.refusedAt[why] && !c.shut {
		c.refusedAt[why] = true
		c.push(job{notice: &Notice{Refused: &Refused{Status: status, Reason: why}}})
	}
	c.mu.Unlock()
	event.WriteJSON(w, status, event.Answer{Error: msg})
}

// closeCall moves a call from the open ones to the writer. Call with mu held.
func (c *Capturer) closeCall(oc *openCall, reason string) {
	delete(c.calls, oc.id)
	seen := make(map[uint64]bool, len(oc.keys))
	for k := range oc.keys {
		seen[hashKey(k)] = true
	}
	oc.keys = nil
	c.closed[oc.id] = seen
	c.closedFIFO = append(c.closedFIFO, oc.id)
	if len(c.closedFIFO) > closedCalls {
		delete(c.closed, c.closedFIFO[0])
		c.closedFIFO = c.closedFIFO[1:]
	}
	c.push(job{write: oc, reason: reason})
}

func (c *Capturer) push(jobs ...job) {
	c.queue = append(c.queue, jobs...)
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

func hashKey(k string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(k))
	return h.Sum64()
}

// work is the background writer: it checks events for drift, writes calls
// and passes notices on, in the order they were queued, and writes calls
// that have been idle too long.
func (c *Capturer) work() {
	defer close(c.done)
	tick := time.NewTicker(c.tickEvery())
	defer tick.Stop()
	for {
		c.drain()
		select {
		case <-c.wake:
		case <-tick.C:
			c.FlushIdle(c.cfg.Now())
		case <-c.stop:
			c.drain()
			return
		}
	}
}

func (c *Capturer) tickEvery() time.Duration {
	t := c.cfg.Idle / 10
	if t < time.Second {
		t = time.Second
	}
	if t > 30*time.Second {
		t = 30 * time.Second
	}
	return t
}

// drain does every queued job.
func (c *Capturer) drain() {
	for {
		c.mu.Lock()
		if len(c.queue) == 0 {
			c.mu.Unlock()
			return
		}
		j := c.queue[0]
		c.queue[0] = job{}
		c.queue = c.queue[1:]
		c.mu.Unlock()
		c.do(j)
	}
}

func (c *Capturer) do(j job) {
	switch {
	case j.notice != nil:
		c.cfg.Notify(*j.notice)
	case j.write != nil:
		w, err := c.write(j.write, j.reason)
		c.mu.Lock()
		c.buffered -= j.write.bytes
		if w == nil && err == nil {
			c.mu.Unlock()
			return // nothing the fixture format knows: the drift lines said it all
		}
		if err == nil {
			c.stats.Calls++
			if w.Incomplete {
				c.stats.Incomplete++
			}
		}
		c.mu.Unlock()
		if err != nil {
			c.cfg.Notify(Notice{Err: err})
			return
		}
		c.cfg.Notify(Notice{Written: w})
	default:
		for _, d := range c.drift.observe(j.typ, j.body) {
			d := d
			c.cfg.Notify(Notice{Drift: &d})
		}
		if j.release > 0 {
			c.mu.Lock()
			c.buffered -= j.release
			c.mu.Unlock()
		}
	}
}

// FlushIdle hands to the writer, to be written marked incomplete, every
// call whose last event is older than the idle time at now. The background
// writer calls it periodically; it is exported so that the idle rule can be
// tested without waiting.
func (c *Capturer) FlushIdle(now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	ids := sortedKeys(c.calls)
	for _, id := range ids {
		if oc := c.calls[id]; now.Sub(oc.lastSeen) >= c.cfg.Idle {
			c.closeCall(oc, fmt.Sprintf("no call.ended within %s of the last event", c.cfg.Idle))
		}
	}
}

// Close stops taking events, writes every call still open (marked
// incomplete), finishes the queued work and returns the totals. Stop the
// HTTP server first, so that no answer in flight is cut short.
func (c *Capturer) Close(reason string) (Stats, error) {
	err := ErrClosed
	c.once.Do(func() {
		err = nil
		c.mu.Lock()
		c.shut = true
		for _, id := range sortedKeys(c.calls) {
			c.closeCall(c.calls[id], reason)
		}
		c.mu.Unlock()
		close(c.stop)
		<-c.done
	})
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.stats
	s.Refused = make(map[int]int, len(c.stats.Refused))
	for k, v := range c.stats.Refused {
		s.Refused[k] = v
	}
	s.Drift, s.DriftUnlisted = c.drift.all()
	return s, err
}

// Serve answers on l until ctx is done, then stops the server (waiting up to
// 10 s for answers in flight) and closes the capture: calls still open are
// written, marked incomplete. It returns the totals.
func (c *Capturer) Serve(ctx context.Context, l net.Listener) (Stats, error) {
	srv := &http.Server{
		Handler:           c.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(l) }()
	var err error
	select {
	case err = <-errc:
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if srv.Shutdown(sctx) != nil {
			srv.Close() // answers still running after 10 s are cut off
		}
	}
	s, _ := c.Close("capture stopped before call.ended arrived")
	return s, err
}
