package load

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sort"
	"time"

	"github.com/hamsasim/hamsasim/internal/fixture"
	"github.com/hamsasim/hamsasim/internal/loadreport"
	"github.com/hamsasim/hamsasim/internal/report"
	"github.com/hamsasim/hamsasim/internal/scenario"
)

// Defaults for a capacity search.
const (
	DefaultStage     = 20 * time.Second
	DefaultMaxStages = 12
	DefaultRefine    = 3
	// capacityPrecision ends the narrowing once the bracket is this tight.
	capacityPrecision = 0.10
	minCapacityRate   = 0.01
)

// CapacitySearch says how --find-capacity steps the rate.
type CapacitySearch struct {
	Start     float64       // first rate tried, calls/s; 0 means the scenario's peak rate
	Stage     time.Duration // arrival time of each stage
	MaxStages int           // hard bound on stages run
	Refine    int           // narrowing stages after the bracket is found
	// OnStage, if set, sees each stage as it ends.
	OnStage func(loadreport.Stage)
}

// FindCapacity runs the scenario at constant rates, doubling while every
// threshold holds (halving while they break), then narrows the bracket
// between the highest rate that held and the lowest that broke. Each stage
// is a whole run (arrival for Stage, then drain). It stops by itself after
// MaxStages stages at most. The summary adds up every stage; its Capacity
// tells the result and its thresholds are those of the stage at capacity
// (or of the first stage, when none held).
func FindCapacity(ctx context.Context, sc *scenario.Scenario, fixtures map[string]*fixture.Fixture, search CapacitySearch, opts ...Option) (*loadreport.Summary, error) {
	search = search.withDefaults()
	rate := search.Start
	if rate <= 0 {
		rate = sc.PeakRate()
	}
	rate = math.Min(math.Max(rate, minCapacityRate), scenario.MaxRate)

	b := &bracket{capy: &loadreport.Capacity{StageMs: search.Stage.Milliseconds()}, refine: search.Refine}
	var stream *resultsStream
	for len(b.capy.Stages) < search.MaxStages {
		if len(b.runs) > 0 && ctx.Err() != nil { // the first stage runs, and ends at once, so there is a summary
			b.limit = "interrupted"
			break
		}
		e, err := New(stageScenario(sc, rate, search.Stage), fixtures, opts...)
		if err != nil {
			return nil, err
		}
		if stream == nil {
			stream = newResultsStream(e.results)
		}
		e.stream = stream // one results stream for every stage
		s, err := e.Run(ctx)
		if err != nil {
			return nil, err
		}
		stage := b.ran(rate, s)
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
	refine  int    // narrowing stages allowed
	refined int
}

// ran records a stage run at rate.
func (b *bracket) ran(rate float64, s *loadreport.Summary) loadreport.Stage {
	b.runs = append(b.runs, s)
	stage := stageOf(rate, s)
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
	if s.Calls.Late > 0 {
		// The harness could not offer this rate: saying the target broke
		// (or held) here would be a guess.
		b.capy.GeneratorNote = fmt.Sprintf("at %s calls/s the load generator held back %d calls (in-flight limit); rates from there on were not really offered", loadreport.FormatRate(rate), s.Calls.Late)
		b.limit = "the load generator's limit"
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

// stageOf sums up a stage. Its events/s is the median attempt rate of the
// timeline buckets in the second half of the arrival window, when calls of
// every age are in flight.
func stageOf(rate float64, s *loadreport.Summary) loadreport.Stage {
	st := loadreport.Stage{
		CallsPerSec: rate,
		P50:         s.Overall.Latency.P50,
		P99:         s.Overall.Latency.P99,
		SuccessPct:  s.Overall.SuccessPct,
		Timeouts:    s.Overall.Timeouts,
		Held:        loadreport.AllHeld(s.Thresholds) && !s.Interrupted && !lagOver(s),
	}
	for _, t := range s.Thresholds {
		if !t.Held {
			st.Broken = append(st.Broken, t.Threshold+" (got "+t.GotText+")")
		}
	}
	if lagOver(s) {
		// Events queued for a worker: the target was not taking them as
		// fast as they occurred, whatever the latency of each exchange.
		st.Broken = append(st.Broken, fmt.Sprintf("sent late: p99 %s after due (limit %s)", report.Millis(s.Lag.P99), report.Millis(ms(LagLimit))))
	}
	var rates []float64
	width := float64(s.Timeline.BucketMs) / 1000
	for _, b := range s.Timeline.Buckets {
		if b.AtMs >= s.ArrivalMs/2 && b.AtMs+s.Timeline.BucketMs <= s.ArrivalMs && width > 0 {
			rates = append(rates, float64(b.Attempts)/width)
		}
	}
	if len(rates) > 0 {
		sort.Float64s(rates)
		st.EventsPerSec = rates[len(rates)/2]
	} else {
		st.EventsPerSec = s.Overall.AttemptsPerSec
	}
	return st
}

func roundRate(r float64) float64 {
	if r >= 10 {
		return math.Round(r)
	}
	return math.Round(r*100) / 100
}
