// Package load runs a scenario's call lifecycles against a receiver at
// scale, through the same deliverer as every other command (results
// stream as vegeta records), and measures what a capacity plan needs: latency
// percentiles, timeouts, retries and duplicates, per event type and overall.
//
// Calls arrive on an open model (the arrival rate does not drop when the
// target slows). Each call's events go in lifecycle order, event n+1 only
// after event n's delivery ended, spaced as the fixture says (scaled by the
// scenario's timeScale); events of different calls interleave freely.
package load

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net/http"
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
	"github.com/hamsasim/hamsasim/internal/tty"
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
	line        tty.Stream    // what progress is: a terminal's line, or a log
	heartbeat   time.Duration // 0: DefaultHeartbeat
	observer    Observer
	stage       stageInfo // the capacity stage this engine runs, if any
	deadLetters io.Writer
	events      map[string]bool // subscribed event types; nil for all
	client      *http.Client
	scrub       report.Scrubber
	breaker     time.Duration // 0: never stop for silence
	audit       func(probe.Expected)
	signsEach   bool // the signer's headers depend on the message (HMAC)
	clock       Clock
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

// WithClock sets the engine's clock (nil: SystemClock, the default); tests
// use a FastClock so that a scenario's schedule passes without real waiting.
func WithClock(c Clock) Option {
	if c == nil {
		c = SystemClock{}
	}
	return func(e *Engine) error { e.clock = c; return nil }
}

// WithInsecure skips TLS certificate verification on the engine's own client;
// a client given with WithHTTPClient keeps its own TLS settings.
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
		clock:       SystemClock{},
	}
	for _, o := range opts {
		if err := o(e); err != nil {
			return nil, err
		}
	}
	switch e.signer.(type) {
	case deliver.NoAuth, deliver.Bearer, deliver.Literal:
	default:
		e.signsEach = true
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
