package load

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hamsasim/hamsasim/internal/contract"
	"github.com/hamsasim/hamsasim/internal/deliver"
	"github.com/hamsasim/hamsasim/internal/fixture"
	"github.com/hamsasim/hamsasim/internal/loadreport"
	"github.com/hamsasim/hamsasim/internal/probe"
	"github.com/hamsasim/hamsasim/internal/report"
	"github.com/hamsasim/hamsasim/internal/scenario"
	"github.com/hamsasim/hamsasim/internal/tty"
)

// Errors Run returns with a summary: the run happened, and the caller
// still writes its reports.
var (
	// ErrFailed means the run completed and did not pass: a threshold
	// failed, the run stopped early, or a capacity search found no rate
	// that held.
	ErrFailed = errors.New("the load run failed")
	// ErrInterrupted means the context was cancelled before the run (or
	// its audit) finished; the summary covers what ran.
	ErrInterrupted = errors.New("interrupted")
)

// DefaultMaxAuditCalls bounds the calls a run remembers for its end-state
// audit (about 40 bytes each); calls beyond it are reported unchecked.
const DefaultMaxAuditCalls = 1_000_000

// Plan is everything one load run needs: what to send, where, how hard,
// where results go, and how the end state is audited. The zero value of
// each optional field means the engine's default, except Breaker (0: off).
type Plan struct {
	Scenario *scenario.Scenario
	Fixtures map[string]*fixture.Fixture // by name; every fixture the mix names

	Target, Shown, Kind string         // as for WithTarget
	Signer              deliver.Signer // nil: no authentication
	Contract            *contract.Contract
	Seed                uint64
	ShardIndex          int
	ShardCount          int           // 0: one shard
	Workers             int           // 0: DefaultWorkers
	MaxInFlight         int           // 0: DefaultMaxInFlight
	Breaker             time.Duration // as for WithBreaker; 0: off
	Insecure            bool
	Events              []string     // event types delivered; empty: all
	HTTPClient          *http.Client // nil: the engine's own (and the audit's own)

	Results     io.Writer // vegeta results; nil: none
	DeadLetters io.Writer // dead letters; nil: none
	Progress    io.Writer // the live progress; nil: none
	// ProgressStream says whether Progress is a terminal, its width and
	// whether it takes escape sequences; the zero Stream is a log, written
	// a heartbeat line at a time (see WithProgress).
	ProgressStream tty.Stream
	Heartbeat      time.Duration // between heartbeat lines; 0: DefaultHeartbeat
	// Observer, if set, sees the run as it goes (live metrics); with a
	// capacity search, every stage.
	Observer Observer
	Log      io.Writer       // capacity stages and the audit's start, a line each; nil: none
	Scrubber report.Scrubber // secrets removed from the results and the summary

	// Capacity, if set, runs a capacity search (FindCapacity) instead of
	// one run. It cannot be combined with Records.
	Capacity *CapacitySearch

	// Records, if set, is where the endpoint's records are read (its probe
	// API or its database): after the run, every call is audited through
	// them (probe.Audit) and the thresholds judged again with what they
	// said.
	Records       probe.Source
	MaxAuditCalls int // calls audited at most, the rest unchecked; 0: DefaultMaxAuditCalls
}

// Run runs the plan: the engine (or the capacity search), then, unless the
// run was interrupted, the end-state audit through the probe API, then the
// verdict. A summary comes back whenever the run started; with it the
// error is nil (passed), wraps ErrFailed or ErrInterrupted, or (when the
// results file could not be written) is nil with a note in the summary.
// Without a summary, the error wraps ErrConfig for an invalid plan, or is
// what stopped the run from starting. Secrets in p.Scrubber never reach
// the summary.
func Run(ctx context.Context, p Plan) (*loadreport.Summary, error) {
	if p.Capacity != nil && p.Records.Set() {
		return nil, fmt.Errorf("%w: the end-state audit checks one run; a capacity search runs many stages", ErrConfig)
	}
	opts := p.options()
	var rec *auditRecorder
	if p.Records.Set() {
		rec = &auditRecorder{max: p.MaxAuditCalls}
		if rec.max <= 0 {
			rec.max = DefaultMaxAuditCalls
		}
		opts = append(opts, WithAudit(rec.add))
	}
	s, err := p.run(ctx, opts)
	if err != nil {
		if s == nil {
			return nil, err
		}
		s.Notes = append(s.Notes, "the results file is incomplete: "+err.Error())
	}
	if rec != nil && !s.Interrupted {
		p.audit(ctx, s, rec)
	}
	scrub(s, p.Scrubber)
	return s, runError(s)
}

// options turns the plan into engine options.
func (p *Plan) options() []Option {
	count := p.ShardCount
	if count == 0 {
		count = 1
	}
	kind := p.Kind
	if kind == "" {
		kind = "url"
	}
	opts := []Option{
		WithTarget(p.Target, p.Shown, kind),
		WithContract(p.Contract),
		WithSeed(p.Seed),
		WithShard(p.ShardIndex, count),
		WithBreaker(p.Breaker),
		WithInsecure(p.Insecure),
		WithEvents(p.Events),
		WithScrubber(p.Scrubber),
	}
	if p.Signer != nil {
		opts = append(opts, WithSigner(p.Signer))
	}
	if p.Workers != 0 {
		opts = append(opts, WithWorkers(p.Workers))
	}
	if p.MaxInFlight != 0 {
		opts = append(opts, WithMaxInFlight(p.MaxInFlight))
	}
	if p.HTTPClient != nil {
		opts = append(opts, WithHTTPClient(p.HTTPClient))
	}
	if p.Results != nil {
		opts = append(opts, WithResults(p.Results))
	}
	if p.DeadLetters != nil {
		opts = append(opts, WithDeadLetters(p.DeadLetters))
	}
	if p.Progress != nil {
		opts = append(opts, WithProgress(p.Progress, p.ProgressStream))
	}
	if p.Heartbeat != 0 {
		opts = append(opts, WithHeartbeat(p.Heartbeat))
	}
	if p.Observer != nil {
		opts = append(opts, WithObserver(p.Observer))
	}
	return opts
}

// run runs the engine once, or the capacity search.
func (p *Plan) run(ctx context.Context, opts []Option) (*loadreport.Summary, error) {
	if p.Capacity != nil {
		search := *p.Capacity
		if search.OnStage == nil && p.Log != nil {
			search.OnStage = func(st loadreport.Stage) { fmt.Fprintln(p.Log, stageLine(st)) }
		}
		return FindCapacity(ctx, p.Scenario, p.Fixtures, search, opts...)
	}
	e, err := New(p.Scenario, p.Fixtures, opts...)
	if err != nil {
		return nil, configError{err}
	}
	return e.Run(ctx)
}

// stageLine is how a capacity stage reads on the terminal.
func stageLine(st loadreport.Stage) string {
	verdict := "held"
	if !st.Held {
		verdict = "broke: " + strings.Join(st.Broken, "; ")
	}
	return fmt.Sprintf("stage %s calls/s: %.0f events/s, p99 %.1f ms, %s",
		strconv.FormatFloat(st.CallsPerSec, 'f', -1, 64), st.EventsPerSec, st.P99, verdict)
}

// configError is an error from New: the plan was invalid, whatever the
// error says.
type configError struct{ err error }

func (e configError) Error() string        { return e.err.Error() }
func (e configError) Unwrap() error        { return e.err }
func (e configError) Is(target error) bool { return target == ErrConfig }

// auditRecorder remembers what the engine saw acknowledged, call by call,
// up to max calls.
type auditRecorder struct {
	max        int
	expected   []probe.Expected
	unrecorded int // calls past max
}

func (r *auditRecorder) add(x probe.Expected) {
	if len(r.expected) < r.max {
		r.expected = append(r.expected, x)
	} else {
		r.unrecorded++
	}
}

func (r *auditRecorder) calls() int { return len(r.expected) + r.unrecorded }

// audit reads what the endpoint recorded for every call and judges the
// thresholds again with what it said.
func (p *Plan) audit(ctx context.Context, s *loadreport.Summary, rec *auditRecorder) {
	shown := p.Records.Shown()
	if s.Unreachable && p.Records.DB == nil {
		// Asking a target that stopped answering would only wait out
		// the audit's time limit: every call is unchecked.
		s.Audited(shown, "", rec.calls(), probe.AuditResult{
			Unchecked: int64(rec.calls()),
			Problems:  []string{"not audited: the target stopped answering (" + UnreachableReason + ")"},
		}, p.Scenario.Thresholds)
		return
	}
	if p.Log != nil {
		fmt.Fprintf(p.Log, "auditing %d calls through %s\n", rec.calls(), p.Records.Describe())
	}
	var res probe.AuditResult
	hint := ""
	d, closeIdle, err := p.auditDeliverer()
	if err != nil {
		res.Unchecked = int64(len(rec.expected))
		res.Problems = []string{"the audit could not start: " + err.Error()}
	} else {
		defer closeIdle()
		recs := p.Records.Records(d)
		hint = recs.Hint()
		res = probe.Audit(ctx, recs, rec.expected)
	}
	res.Unchecked += int64(rec.unrecorded)
	s.Audited(shown, hint, rec.calls(), res, p.Scenario.Thresholds)
	if ctx.Err() != nil {
		s.Interrupted = true
	}
}

// auditDeliverer sends the audit's reads: one attempt each, with the run's
// credentials, over the plan's client or a pool of its own.
func (p *Plan) auditDeliverer() (*deliver.Deliverer, func(), error) {
	client, closeIdle := p.HTTPClient, func() {}
	if client == nil {
		client = deliver.NewHTTPClient(probe.AuditWorkers, p.Insecure)
		closeIdle = client.CloseIdleConnections
	}
	opts := []deliver.Option{deliver.WithHTTPClient(client), deliver.WithRetryPolicy(deliver.Backoff{Attempts: 1})}
	if p.Signer != nil {
		opts = append(opts, deliver.WithSigner(p.Signer))
	}
	d, err := deliver.New(opts...)
	return d, closeIdle, err
}

// runError is the error Run returns with a summary.
func runError(s *loadreport.Summary) error {
	switch {
	case s.Interrupted:
		return ErrInterrupted
	case !s.Passed:
		return ErrFailed
	}
	return nil
}

// scrub removes secrets from what the target said (violation reasons
// quote answers).
func scrub(s *loadreport.Summary, sc report.Scrubber) {
	for i := range s.Violations {
		s.Violations[i].Reason = sc.Clean(s.Violations[i].Reason)
	}
	for i := range s.Notes {
		s.Notes[i] = sc.Clean(s.Notes[i])
	}
	s.StopReason = sc.Clean(s.StopReason)
	for i := range s.Audit.Problems {
		s.Audit.Problems[i] = sc.Clean(s.Audit.Problems[i])
	}
}
