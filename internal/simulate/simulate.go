// Package simulate replays call lifecycles against a receiver: each call's
// events in order, independent calls concurrently as the platform does, and
// every answer judged by the check catalog.
package simulate

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hamsasim/hamsasim/internal/check"
	"github.com/hamsasim/hamsasim/internal/contract"
	"github.com/hamsasim/hamsasim/internal/deliver"
	"github.com/hamsasim/hamsasim/internal/event"
	"github.com/hamsasim/hamsasim/internal/fixture"
	"github.com/hamsasim/hamsasim/internal/override"
	"github.com/hamsasim/hamsasim/internal/probe"
	"github.com/hamsasim/hamsasim/internal/report"
)

// Defaults for Config.
const (
	DefaultConcurrency      = 4
	DefaultBreakerThreshold = 5
	// DefaultFailStreak is how many events of one type in a row must fail
	// every attempt before later events of that type are sent once each.
	DefaultFailStreak = 3
)

// ErrInvalidEvent is wrapped when a fixture produces an event that breaks the contract.
var ErrInvalidEvent = errors.New("fixture produces an event the contract rejects")

// Config is one simulate run's input.
type Config struct {
	Target string
	// Shown is the target as reports may show it (no secret in its query or
	// user info); curl reproductions use it. Empty means Target.
	Shown     string
	Fixtures  []*fixture.Fixture
	Contract  *contract.Contract
	Deliverer *deliver.Deliverer
	Seed      uint64
	Start     time.Time // call.started time of every call
	// Concurrency is how many calls are replayed at once.
	Concurrency int
	// TimeScale paces events by their offsets: 1 is real time, 0.1 ten
	// times faster, 0 (the default) sends each event as soon as the
	// previous one is answered.
	TimeScale float64
	// Clock paces events (TimeScale) and times the run; nil is the
	// system clock. Tests pass a fake one so pacing needs no sleeping.
	Clock deliver.Clock
	// BreakerThreshold stops the run after this many deliveries in a row got
	// no answer at all (timeouts, connection failures).
	BreakerThreshold int
	// FailStreak bounds the run's time against a receiver that fails an
	// event type every time: once this many events of one type in a row
	// failed every attempt, later events of the type are sent once each
	// (the retries the platform would make are reported, not made) until
	// one is acknowledged. 0 is DefaultFailStreak; negative retries every
	// event in full, as the platform does.
	FailStreak int
	// Observe, if set, is told how far the run has got after each event
	// sent (replay, redelivery or probe) and as each call ends. It is
	// called from several goroutines at once and must be quick.
	Observe func(Progress)
	// Groups selects the probe groups (probe.Groups); nil runs all of them.
	Groups map[string]bool
	// ProbeAuth tells the auth probes which credentials to forge.
	ProbeAuth probe.Auth
	// Records is where the endpoint's records are read (its probe API or
	// its database), to check that every acknowledged event was kept and
	// redeliveries took effect once. Unset skips that check.
	Records probe.Source
	// Params set (or replace) params of every fixture before it is
	// expanded, so that they are sent in call.started and echoed in
	// call.ended's outcomeResult (and in the probes' events). A param
	// replaces an outcome field of the same name: the echo carries the param.
	Params map[string]any
	// Overrides change the lifecycle's events after expansion: each applies
	// to every event whose body has the field's parent object (an unset:
	// the field). One that applies to no event is an error wrapping
	// override.ErrNoField. Events are re-encoded, and their duplicate key
	// and signature follow the body sent; they are sent even if the change
	// breaks the contract.
	Overrides []override.Op
	// Events are the subscribed event types: only these are delivered, as
	// to an endpoint subscribed to a subset, and probes of other types are
	// skipped. Nil subscribes to all.
	Events map[string]bool
}

// Progress is how far a run has got, as Config.Observe is told.
type Progress struct {
	Calls     int // calls the replay sends
	CallsDone int // calls whose events have all been sent, or given up on
	Events    int // events sent so far: the replay's deliveries, its redeliveries and the probes
	// Findings are the errors and warnings the replay's answers have
	// raised so far, each occurrence counted (the report groups them by
	// check); the probes' are judged at the end.
	Findings int
	Probing  bool // the replay is over; the probes are being sent
}

// meter counts a run's progress for Config.Observe; safe for concurrent use.
type meter struct {
	observe                func(Progress)
	calls                  int
	done, events, findings atomic.Int64
	probing                atomic.Bool
}

// sent counts one event sent and the findings its answer raised.
func (m *meter) sent(findings int) {
	m.events.Add(1)
	m.findings.Add(int64(findings))
	m.tell()
}

func (m *meter) callDone() {
	m.done.Add(1)
	m.tell()
}

func (m *meter) tell() {
	if m.observe != nil {
		m.observe(Progress{Calls: m.calls, CallsDone: int(m.done.Load()), Events: int(m.events.Load()),
			Findings: int(m.findings.Load()), Probing: m.probing.Load()})
	}
}

// AllGroups selects every probe group.
func AllGroups() map[string]bool {
	m := map[string]bool{}
	for _, g := range probe.Groups {
		m[g] = true
	}
	return m
}

// Calls expands every fixture into its events and checks them against the
// contract, so that a bad fixture is reported before anything is sent.
func Calls(cfg Config) ([][]event.Event, error) {
	calls := make([][]event.Event, len(cfg.Fixtures))
	for i, f := range withParams(cfg.Fixtures, cfg.Params) {
		evs, err := f.Expand(fixture.Options{Seed: cfg.Seed, Start: cfg.Start})
		if err != nil {
			return nil, err
		}
		if cfg.Contract != nil {
			for _, ev := range evs {
				if v := cfg.Contract.ValidateEvent(ev.Type, ev.Body); len(v) > 0 {
					return nil, fmt.Errorf("%s: %w: event %d (%s at +%s): %s", f.Source, ErrInvalidEvent, ev.Seq, ev.Type, ev.Offset, v[0])
				}
			}
		}
		calls[i] = evs
	}
	if err := override.Lifecycle(calls, cfg.Overrides); err != nil {
		return nil, err
	}
	return calls, nil
}

// withParams returns copies of the fixtures with params set; the fixtures
// themselves are not changed.
func withParams(fs []*fixture.Fixture, params map[string]any) []*fixture.Fixture {
	if len(params) == 0 {
		return fs
	}
	out := make([]*fixture.Fixture, len(fs))
	for i, f := range fs {
		cp := *f
		cp.Params = make(map[string]any, len(f.Params)+len(params))
		cp.Outcome = make(map[string]any, len(f.Outcome))
		for k, v := range f.Params {
			cp.Params[k] = v
		}
		for k, v := range f.Outcome {
			if _, set := params[k]; !set {
				cp.Outcome[k] = v
			}
		}
		for k, v := range params {
			cp.Params[k] = v
		}
		out[i] = &cp
	}
	return out
}

// Run replays the fixtures and returns the report. It stops early when ctx
// is done (the report is then marked interrupted) or when the breaker trips.
// Pacing (TimeScale) waits on cfg.Clock, never on the wall clock directly.
func Run(ctx context.Context, cfg Config) (*report.Run, error) {
	if cfg.Deliverer == nil {
		return nil, errors.New("simulate: no deliverer")
	}
	cfg.defaults()
	calls, err := Calls(cfg)
	if err != nil {
		return nil, err
	}
	callIDs := make([]string, len(calls))
	for i, evs := range calls {
		callIDs[i] = evs[0].CallID
		calls[i] = subscribed(evs, cfg.Events)
	}

	began := cfg.Clock.Now()
	var findings []check.Finding
	if cfg.Groups[probe.GroupURL] {
		fs, _ := probe.URL(ctx, cfg.Target)
		findings = append(findings, fs...)
	}
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	b := &breaker{Breaker: deliver.NewBreaker(cfg.BreakerThreshold, 0), trip: stop}
	m := &meter{observe: cfg.Observe}
	if cfg.Groups[probe.GroupLifecycle] {
		m.calls = len(calls)
	}
	rp := replay(runCtx, cfg, calls, b, m)

	r := &report.Run{
		Tool: "hamsasim", Command: "simulate", Target: cfg.Target,
		Seed: cfg.Seed, Start: event.FormatTime(cfg.Start),
		StartedAt: began.UTC(), DurationMs: cfg.Clock.Now().Sub(began).Milliseconds(),
		Interrupted: ctx.Err() != nil,
		Findings:    findings,
	}
	if cfg.Contract != nil {
		r.Contract, r.ContractVersion = cfg.Contract.Source, cfg.Contract.Version
	}
	rp.addTo(r, cfg, calls, callIDs)
	if !b.Tripped() && ctx.Err() == nil {
		probes(ctx, runCtx, cfg, r, rp, b, m, callIDs)
	}
	if h := authHint(rp.results, cfg.ProbeAuth.Mode); h != "" {
		r.Hints = append(r.Hints, h)
	}
	r.Bounds = append(r.Bounds, rp.streaks.bounds()...)
	if b.Tripped() {
		r.Findings = append(r.Findings, check.New(check.TargetUnreachable,
			stoppedMessage(cfg.BreakerThreshold, r.NotSent)))
		r.Bounds = append(r.Bounds, stoppedMessage(cfg.BreakerThreshold, r.NotSent))
	}
	r.Findings = check.Group(r.Findings)
	r.Health = report.HealthOf(r.Calls, event.Types)
	for _, t := range event.Types {
		if cfg.Events != nil && cfg.Events[t] {
			r.Events = append(r.Events, t)
		}
	}
	check.Sort(r.Findings)
	r.DurationMs = cfg.Clock.Now().Sub(began).Milliseconds() // the probes and the audit included
	r.Tally()
	return r, nil
}

// defaults fills in what the caller left zero.
func (cfg *Config) defaults() {
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = DefaultConcurrency
	}
	if cfg.BreakerThreshold <= 0 {
		cfg.BreakerThreshold = DefaultBreakerThreshold
	}
	if cfg.FailStreak == 0 {
		cfg.FailStreak = DefaultFailStreak
	}
	if cfg.Clock == nil {
		cfg.Clock = deliver.SystemClock{}
	}
	if cfg.Groups == nil {
		cfg.Groups = AllGroups()
	}
	if cfg.Groups[probe.GroupDuplicate] {
		// Redeliveries follow the original deliveries: they need the replay.
		cfg.Groups[probe.GroupLifecycle] = true
	}
	cfg.Fixtures, cfg.Params = withParams(cfg.Fixtures, cfg.Params), nil
}

// replayed is what the lifecycle replay sent and heard, per call.
type replayed struct {
	results     [][]deliver.Result
	findings    [][]check.Finding // the deliveries' findings, in the order of results
	dupes       [][]check.Finding
	redelivered []int
	streaks     *streaks
}

// replay sends each call's events in order, cfg.Concurrency calls at once,
// until ctx is done, and judges each answer as it comes.
func replay(ctx context.Context, cfg Config, calls [][]event.Event, b *breaker, m *meter) *replayed {
	rp := &replayed{
		results:     make([][]deliver.Result, len(calls)),
		findings:    make([][]check.Finding, len(calls)),
		dupes:       make([][]check.Finding, len(calls)),
		redelivered: make([]int, len(calls)),
		streaks:     newStreaks(cfg.FailStreak),
	}
	if !cfg.Groups[probe.GroupLifecycle] {
		return rp
	}
	sem := make(chan struct{}, cfg.Concurrency)
	var wg sync.WaitGroup
	for i, evs := range calls {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			rp.call(ctx, cfg, i, evs, b, m)
			m.callDone()
		}()
	}
	wg.Wait()
	return rp
}

// call replays call i's events, paced by their offsets times TimeScale.
func (rp *replayed) call(ctx context.Context, cfg Config, i int, evs []event.Event, b *breaker, m *meter) {
	callStart := cfg.Clock.Now()
	seenType := map[string]bool{}
	for _, ev := range evs {
		if cfg.TimeScale > 0 {
			due := callStart.Add(time.Duration(float64(ev.Offset) * cfg.TimeScale))
			if err := cfg.Clock.Sleep(ctx, due.Sub(cfg.Clock.Now())); err != nil {
				return
			}
		}
		if ctx.Err() != nil {
			return
		}
		var res deliver.Result
		if rp.streaks.sendOnce(ev.Type) {
			res = cfg.Deliverer.DeliverOnce(ctx, cfg.Target, ev, b.observe)
		} else {
			res = cfg.Deliverer.Deliver(ctx, cfg.Target, ev, b.observe)
		}
		rp.streaks.record(ev.Type, res)
		rp.results[i] = append(rp.results[i], res)
		if sent(res) {
			fs := check.Delivery(cfg.Contract, res)
			for k := range fs {
				reproduce(&fs[k], cfg, res.Event)
			}
			rp.findings[i] = append(rp.findings[i], fs...)
			m.sent(counted(fs))
		}
		if cfg.Groups[probe.GroupDuplicate] && res.Acked() && !seenType[ev.Type] {
			// The platform redelivers when an answer is lost: send the
			// first event of each type again, right after its answer.
			seenType[ev.Type] = true
			rp.redeliver(ctx, cfg, i, ev, b, m)
		}
	}
}

// sent reports whether a delivery was really sent: not only cut short by
// the run's end before its first attempt.
func sent(res deliver.Result) bool {
	return !(res.Final().Class == deliver.ClassCanceled && len(res.Attempts) == 1)
}

// counted is how many of fs are errors or warnings.
func counted(fs []check.Finding) int {
	n := 0
	for _, f := range fs {
		if f.Severity != check.SeverityNote {
			n++
		}
	}
	return n
}

// redeliver sends ev again, as the platform does when an answer is lost,
// and judges the answer.
func (rp *replayed) redeliver(ctx context.Context, cfg Config, i int, ev event.Event, b *breaker, m *meter) {
	req := deliver.Request{Target: cfg.Target, Body: ev.Body, MsgID: deliver.MessageID(ev.Key())}
	a := cfg.Deliverer.Send(ctx, req, 1, deliver.TriggerRedelivery)
	b.observe(a)
	if a.Class == deliver.ClassCanceled {
		return
	}
	rp.redelivered[i]++
	what := fmt.Sprintf("a redelivery of %s #%d (same callId, eventType and timestamp)", ev.Type, ev.Seq)
	shownReq := req
	shownReq.Target = cfg.shown()
	fs := check.Redelivery(ev, a, what, cfg.Deliverer.Repro(shownReq, ""))
	rp.dupes[i] = append(rp.dupes[i], fs...)
	m.sent(counted(fs))
}

// addTo adds the replay's calls, deliveries and findings to r.
func (rp *replayed) addTo(r *report.Run, cfg Config, calls [][]event.Event, callIDs []string) {
	for i, evs := range calls {
		f := cfg.Fixtures[i]
		c := report.Call{Fixture: f.Name, Source: f.Source, CallID: callIDs[i], Events: len(evs), Deliveries: []report.Delivery{}}
		for _, res := range rp.results[i] {
			if !sent(res) {
				continue
			}
			final := res.Final()
			c.Sent++
			r.Deliveries++
			made := res.Made()
			r.Attempts += made
			if res.Acked() {
				c.Acked++
				r.Acknowledged++
			}
			c.Deliveries = append(c.Deliveries, report.Delivery{
				Seq: res.Event.Seq, Event: res.Event.Type, Offset: res.Event.Offset.String(), Timestamp: res.Event.Timestamp,
				Bytes: len(res.Event.Body), Attempts: made, Status: final.Status,
				LatencyMs: final.Latency.Milliseconds(), ErrorClass: string(final.Class), Acked: res.Acked(),
				AttemptLog: attemptLog(res),
			})
		}
		r.Findings = append(r.Findings, rp.findings[i]...)
		if cfg.Groups[probe.GroupLifecycle] {
			r.NotSent += len(evs) - c.Sent
		}
		r.Redeliveries += rp.redelivered[i]
		r.Calls = append(r.Calls, c)
	}
	for i := range calls {
		r.Findings = append(r.Findings, rp.dupes[i]...)
	}
}

// probes runs the probe groups after the replay, then checks through the
// probe API that every acknowledged event of the replay was recorded, and
// took effect once, redeliveries included.
func probes(ctx, runCtx context.Context, cfg Config, r *report.Run, rp *replayed, b *breaker, m *meter, callIDs []string) {
	var acked map[string]bool // nil: no replay, judge every probe
	if cfg.Groups[probe.GroupLifecycle] {
		acked = map[string]bool{}
	}
	// A type counts as handled when some event of it was acknowledged on
	// its first attempt: a type acknowledged only on a retry (slow or
	// failing first attempts) would fail a probe's single attempt for that
	// reason, and the replay's finding already says so.
	for _, rs := range rp.results {
		for _, res := range rs {
			if res.Acked() && len(res.Attempts) > 0 && res.Attempts[0].OK() {
				acked[res.Event.Type] = true
			}
		}
	}
	observe := func(a deliver.Attempt) {
		b.observe(a)
		if a.Class != deliver.ClassCanceled {
			m.sent(0)
		}
	}
	pr := probe.NewRunner(probe.Config{
		Target: cfg.Target, Shown: cfg.shown(), Deliverer: cfg.Deliverer, Contract: cfg.Contract, Template: template(cfg.Fixtures, rp.results),
		Seed: cfg.Seed, Start: cfg.Start, Auth: cfg.ProbeAuth, Acked: acked, Observe: observe, Events: cfg.Events, Records: cfg.Records,
	})
	m.probing.Store(true)
	m.tell()
	pr.Run(runCtx, cfg.Groups)
	r.Probes = append(r.Probes, pr.Results...)
	r.Findings = append(r.Findings, pr.Findings...)
	if cfg.Records.Set() && cfg.Groups[probe.GroupLifecycle] && runCtx.Err() == nil {
		fs, res := probe.Effects(runCtx, cfg.Records.Records(cfg.Deliverer), expected(rp.results, callIDs))
		fixtureOf := map[string]string{}
		for _, c := range r.Calls {
			fixtureOf[c.CallID] = c.Fixture
		}
		for i := range fs {
			fs[i].Fixture = fixtureOf[fs[i].CallID]
		}
		r.Findings = append(r.Findings, fs...)
		r.Probes = append(r.Probes, res...)
	}
	r.Interrupted = ctx.Err() != nil
}

// subscribed keeps the events of the subscribed types, in order; nil keeps all.
func subscribed(evs []event.Event, types map[string]bool) []event.Event {
	if types == nil {
		return evs
	}
	out := evs[:0:0]
	for _, ev := range evs {
		if types[ev.Type] {
			out = append(out, ev)
		}
	}
	return out
}

// attemptLog is a delivery's attempts as the report shows them.
func attemptLog(res deliver.Result) []report.Attempt {
	out := make([]report.Attempt, 0, len(res.Attempts))
	for _, a := range res.Attempts {
		if a.Class == deliver.ClassCanceled {
			continue // never really made
		}
		trig := string(a.Trigger)
		if a.Trigger == deliver.TriggerRetry {
			trig = fmt.Sprintf("%s %d", deliver.TriggerRetry, a.N-1)
		}
		out = append(out, report.Attempt{Trigger: trig, Status: a.Status, LatencyMs: a.Latency.Milliseconds(),
			ErrorClass: string(a.Class), WaitMs: a.RetryDelay.Milliseconds()})
	}
	return out
}

func (cfg Config) shown() string {
	if cfg.Shown != "" {
		return cfg.Shown
	}
	return cfg.Target
}

// reproduce attaches a curl command that sends ev again; a body too large
// to inline is attached as a payload to write beside the report.
func reproduce(f *check.Finding, cfg Config, ev event.Event) {
	req := deliver.Request{Target: cfg.shown(), Body: ev.Body, MsgID: deliver.MessageID(ev.Key())}
	file := ""
	if len(ev.Body) > 16<<10 {
		file = fmt.Sprintf("payloads/%s-%d-%s.json", ev.Fixture, ev.Seq, ev.Type)
		f.Payload, f.PayloadFile = ev.Body, file
	}
	f.Curl = cfg.Deliverer.Repro(req, file)
}

func stoppedMessage(threshold, notSent int) string {
	msg := fmt.Sprintf("%d attempts in a row got no answer, so the run stopped sending (as a platform's circuit breaker would)", threshold)
	if notSent > 0 {
		return msg + fmt.Sprintf(": %d events and the probes were not sent", notSent)
	}
	return msg + ": the remaining probes were not sent"
}

// authHint explains a replay whose every answer was 401 or 403: the
// credentials, not the handler, are the likely cause.
func authHint(results [][]deliver.Result, mode probe.AuthMode) string {
	total, denied := 0, 0
	for _, rs := range results {
		for _, res := range rs {
			if a := res.Final(); a.Class == deliver.ClassNone {
				total++
				if a.Status == 401 || a.Status == 403 {
					denied++
				}
			}
		}
	}
	if total == 0 || denied < total {
		return ""
	}
	switch mode {
	case probe.AuthHMAC:
		return fmt.Sprintf("all %d events were answered 401/403: check that $WEBHOOK_SIGNING_SECRET is the receiver's signing secret, and that the receiver expects signatures (--auth)", total)
	case probe.AuthNone, "":
		return fmt.Sprintf("all %d events were answered 401/403: the receiver wants credentials; set WEBHOOK_SECRET (the whole \"Bearer <token>\" value) or use --auth", total)
	}
	return fmt.Sprintf("all %d events were answered 401/403: check that $WEBHOOK_SECRET is exactly the receiver's value, \"Bearer <token>\", and that the receiver expects a Bearer token (--auth)", total)
}

// template picks the fixture probe events imitate: the first answered
// call whose every event the receiver acknowledged in the replay, so a probe
// changes one thing (credentials, order, size) from what the receiver
// handles and its verdict is about that thing, not about, say, an accented
// name in the call's params; failing that, the first answered call.
func template(fs []*fixture.Fixture, results [][]deliver.Result) *fixture.Fixture {
	whole := func(i int) bool {
		if i >= len(results) || len(results[i]) == 0 {
			return false
		}
		for _, res := range results[i] {
			if !res.Acked() {
				return false
			}
		}
		return true
	}
	for i, f := range fs {
		if f.Call.Answered && whole(i) {
			return f
		}
	}
	for _, f := range fs {
		if f.Call.Answered {
			return f
		}
	}
	if len(fs) > 0 {
		return fs[0]
	}
	return nil
}

// breaker is the platform's circuit breaker (deliver.Breaker) counting
// attempts in a row across all calls, wired to stop the run.
type breaker struct {
	*deliver.Breaker
	trip context.CancelFunc
}

func (b *breaker) observe(a deliver.Attempt) {
	if b.Observe(a) {
		b.trip()
	}
}

// expected is what the replay saw acknowledged, per call and event type:
// what the end-state audit expects the receiver to have recorded.
func expected(results [][]deliver.Result, callIDs []string) []probe.Expected {
	out := make([]probe.Expected, len(callIDs))
	for i, rs := range results {
		out[i].CallID = callIDs[i]
		for _, res := range rs {
			if k := event.TypeIndex(res.Event.Type); res.Acked() && k < len(event.Types) && k < probe.MaxTypes {
				out[i].Acked[k]++
			}
		}
	}
	return out
}
