package load

import (
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/hamsasim/hamsasim/internal/fixture"
	"github.com/hamsasim/hamsasim/internal/loadreport"
	"github.com/hamsasim/hamsasim/internal/report"
	"github.com/hamsasim/hamsasim/internal/scenario"
)

// Defaults for a capacity search.
const (
	// DefaultStage is the judged window of each stage, after its warm-up.
	DefaultStage     = 20 * time.Second
	DefaultMaxStages = 12
	DefaultRefine    = 4
	// capacityPrecision ends the narrowing once the bracket is this tight.
	capacityPrecision = 0.07
	minCapacityRate   = 0.01
	// lateShare is the share of a stage's calls that may start late (the
	// generator busy for a moment) before the search stops, saying it
	// could not offer the rate: a few late calls move a few events by a
	// fraction of a second, which the stage's judging does not notice.
	lateShare = 0.05
	// minWarmup is the shortest warm-up: a bucket of the timeline.
	minWarmup = time.Second
)

// CapacitySearch says how --find-capacity steps the rate.
type CapacitySearch struct {
	Start float64 // first rate tried, calls/s; 0 means the scenario's peak rate
	// Stage is each stage's judged window; the stage's arrival lasts
	// Warmup + Stage.
	Stage time.Duration
	// Warmup is the start of each stage left out of its judging; 0 means
	// the mix's longest call at the scenario's time scale (rounded up to
	// whole seconds), so that calls of every age are in flight when the
	// window opens.
	Warmup    time.Duration
	MaxStages int // hard bound on stages run
	Refine    int // narrowing stages after the bracket is found
	// OnStage, if set, sees each stage as it ends.
	OnStage func(loadreport.Stage)
}

// FindCapacity runs the scenario at constant rates, doubling while every
// stage holds (halving while they break), then narrows the bracket between
// the highest rate that held and the lowest that broke. Each stage is a
// whole run (arrival for Warmup+Stage, then drain), judged at steady state
// by loadreport.JudgeStage: the thresholds, the achieved against the
// offered event rate, the share of attempts refused and the latency trend
// over the window after the warm-up. It stops by itself after MaxStages
// stages at most. The summary adds up every stage; its Capacity tells the
// result in planning terms and its thresholds are those of the stage at
// capacity (or of the first stage, when none held).
func FindCapacity(ctx context.Context, sc *scenario.Scenario, fixtures map[string]*fixture.Fixture, search CapacitySearch, opts ...Option) (*loadreport.Summary, error) {
	search = search.withDefaults()
	rate := search.Start
	if rate <= 0 {
		rate = sc.PeakRate()
	}
	rate = math.Min(math.Max(rate, minCapacityRate), scenario.MaxRate)

	probe, err := New(sc, fixtures, opts...) // its templates tell the mix's calls
	if err != nil {
		return nil, err
	}
	b := &bracket{capy: &loadreport.Capacity{}, refine: search.Refine, mix: mixOf(probe, sc), maxInFlight: probe.maxInFlight}
	if search.Warmup <= 0 {
		search.Warmup = b.mix.warmup(sc.TimeScale)
	}
	b.capy.WarmupMs = search.Warmup.Milliseconds()
	b.capy.StageMs = (search.Warmup + search.Stage).Milliseconds()
	var stream *resultsStream
	for len(b.capy.Stages) < search.MaxStages {
		if len(b.runs) > 0 && ctx.Err() != nil { // the first stage runs, and ends at once, so there is a summary
			b.limit = "interrupted"
			break
		}
		e, err := New(stageScenario(sc, rate, search.Warmup+search.Stage), fixtures, opts...)
		if err != nil {
			return nil, err
		}
		if stream == nil {
			stream = newResultsStream(e.results)
		}
		e.stream = stream // one results stream for every stage
		e.stage = stageInfo{n: len(b.capy.Stages) + 1, rate: rate}
		s, err := e.Run(ctx)
		if err != nil {
			return nil, err
		}
		stage := b.ran(rate, s, search.Warmup)
		if search.OnStage != nil {
			search.OnStage(stage)
		}
		if b.stopped(rate, s, stage) {
			break
		}
		if rate = b.next(rate); b.limit != "" {
			break
		}
	}
	if b.limit == "" {
		b.limit = fmt.Sprintf("the stage limit (%d stages) was reached", search.MaxStages)
	}
	return b.summary(ctx, sc)
}

// withDefaults fills the search's unset fields.
func (search CapacitySearch) withDefaults() CapacitySearch {
	if search.Stage <= 0 {
		search.Stage = DefaultStage
	}
	if search.MaxStages <= 0 {
		search.MaxStages = DefaultMaxStages
	}
	if search.Refine < 0 {
		search.Refine = 0
	}
	if search.Warmup > 0 {
		search.Warmup = max(search.Warmup, minWarmup)
	}
	return search
}

// bracket is a capacity search under way: the stages run, the highest rate
// that held and the lowest that broke.
type bracket struct {
	capy    *loadreport.Capacity
	runs    []*loadreport.Summary
	heldRun *loadreport.Summary
	held    float64
	broken  float64
	limit   string // why the search stopped; empty while it goes on
	// lowerBound is set when the search stopped below the target's limit
	// (the harness's own, or the highest rate it offers).
	lowerBound bool
	refine     int // narrowing stages allowed
	refined    int
	mix        mix
	// maxInFlight is the engine's in-flight limit, to say why calls
	// started late.
	maxInFlight int
}

// ran records a stage run at rate.
func (b *bracket) ran(rate float64, s *loadreport.Summary, warmup time.Duration) loadreport.Stage {
	b.runs = append(b.runs, s)
	stage := stageOf(rate, s, warmup)
	// The stage's place on the combined timeline, where Combine puts its
	// buckets: its start's offset from the first stage's, in whole buckets.
	if width := s.Timeline.BucketMs; width > 0 {
		shift := (s.StartedAt.Sub(b.runs[0].StartedAt).Milliseconds() + width/2) / width
		stage.StartMs = shift * width
		stage.EndMs = stage.StartMs + s.ArrivalMs
	}
	b.capy.Stages = append(b.capy.Stages, stage)
	return stage
}

// stopped reports whether the stage run at rate ends the search before
// its verdict counts; otherwise it records the verdict.
func (b *bracket) stopped(rate float64, s *loadreport.Summary, stage loadreport.Stage) bool {
	if s.Interrupted {
		b.limit = "interrupted"
		return true
	}
	if float64(s.Calls.Late) > lateShare*float64(s.Calls.Started) {
		// The harness could not offer this rate: saying the target broke
		// (or held) here would be a guess.
		why := "it fell behind: the machine running hamsasim is too busy"
		if s.Calls.MaxInFlight >= int64(b.maxInFlight) {
			why = fmt.Sprintf("the in-flight limit of %d calls (--max-in-flight) was reached", b.maxInFlight)
		}
		b.capy.GeneratorNote = fmt.Sprintf("at %s calls/s the load generator started %d calls more than %s late (%s); rates from there on were not really offered",
			loadreport.FormatRate(rate), s.Calls.Late, lateAfter, why)
		b.limit = "the load generator's limit"
		b.lowerBound = true
		return true
	}
	if stage.Held {
		if rate > b.held {
			b.held, b.heldRun = rate, s
		}
	} else if b.broken == 0 || rate < b.broken {
		b.broken = rate
	}
	return false
}

// next chooses the rate after rate, or sets limit when the search is done.
func (b *bracket) next(rate float64) float64 {
	bracketed := func() string {
		return fmt.Sprintf("bracketed between %s (held) and %s calls/s (broke)", loadreport.FormatRate(b.held), loadreport.FormatRate(b.broken))
	}
	switch {
	case b.broken == 0: // nothing broke yet: double
		if rate >= scenario.MaxRate {
			b.limit = fmt.Sprintf("the highest rate hamsasim offers (%s calls/s) held", loadreport.FormatRate(scenario.MaxRate))
			b.lowerBound = true
			return rate
		}
		return math.Min(rate*2, scenario.MaxRate)
	case b.held == 0: // nothing held yet: halve
		if rate <= minCapacityRate {
			b.limit = fmt.Sprintf("even %s calls/s broke a threshold", loadreport.FormatRate(minCapacityRate))
			return rate
		}
		return math.Max(rate/2, minCapacityRate)
	}
	// Bracketed: narrow.
	if b.refined >= b.refine || (b.broken-b.held)/b.held <= capacityPrecision {
		b.limit = bracketed()
		return rate
	}
	b.refined++
	rate = roundRate((b.held + b.broken) / 2)
	if rate <= b.held || rate >= b.broken {
		b.limit = bracketed()
	}
	return rate
}

// summary adds up the stages into the search's summary.
func (b *bracket) summary(ctx context.Context, sc *scenario.Scenario) (*loadreport.Summary, error) {
	capy := b.capy
	capy.Limit = b.limit
	capy.BrokenAt = b.broken
	if b.heldRun != nil {
		capy.Found = true
		capy.CallsPerSec = b.held
		for _, st := range capy.Stages {
			if st.CallsPerSec == b.held && st.Held {
				capy.EventsPerSec = st.EventsPerSec
			}
		}
	}
	s, err := loadreport.Combine(b.runs)
	if err != nil {
		return nil, err
	}
	s.ArrivalMs = 0
	for _, r := range b.runs {
		s.ArrivalMs += r.ArrivalMs
	}
	s.Capacity = capy
	capy.MeanCallMs = b.mix.meanCall.Milliseconds()
	capy.EventsPerCall = b.mix.eventsPerCall
	capy.PeakCallsPerSec = sc.PeakRate()
	capy.Plan(b.lowerBound)
	judged := b.heldRun
	if judged == nil {
		judged = b.runs[0]
	}
	s.Thresholds = judged.Thresholds
	// Each stage's own notes are in its row of the stage table (Broken) or
	// in GeneratorNote; the summary keeps those of the stage it judges by.
	s.Notes = append([]string(nil), judged.Notes...)
	if slices.ContainsFunc(sc.Thresholds, auditOnly) {
		s.Notes = append(s.Notes, "the stages of a capacity search are not audited through the probe API: its thresholds on lost and duplicated events were left out")
	}
	s.Interrupted = ctx.Err() != nil
	s.Passed = capy.Found && !s.Interrupted
	return s, nil
}

// stageScenario is sc at a constant rate for stage, without its time-bound
// faults (they are placed for the scenario's own duration) and without
// thresholds on the end-state audit, which stages do not run.
func stageScenario(sc *scenario.Scenario, rate float64, stage time.Duration) *scenario.Scenario {
	st := *sc
	st.Arrival = scenario.Arrival{Kind: scenario.ArrivalConstant, Constant: rate}
	st.Duration = stage
	st.Faults = nil
	st.Thresholds = slices.DeleteFunc(slices.Clone(sc.Thresholds), auditOnly)
	return &st
}

// auditOnly reports whether a threshold needs the probe API's audit.
func auditOnly(th scenario.Threshold) bool {
	return th.Metric == scenario.MetricLost || th.Metric == scenario.MetricDuplicated
}

// stageOf judges a stage (loadreport.JudgeStage), adding the harness's
// own limit: attempts sent late because every worker was waiting.
func stageOf(rate float64, s *loadreport.Summary, warmup time.Duration) loadreport.Stage {
	var more []string
	if lagOver(s) {
		// Events queued for a worker: the target was not taking them as
		// fast as they occurred, whatever the latency of each exchange.
		more = append(more, fmt.Sprintf("sent late: p99 %s after due (limit %s)", report.Millis(s.Lag.P99), report.Millis(ms(LagLimit))))
	}
	return loadreport.JudgeStage(rate, s, warmup, more...)
}

func roundRate(r float64) float64 {
	if r >= 10 {
		return math.Round(r)
	}
	return math.Round(r*100) / 100
}
