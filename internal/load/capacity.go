package load

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/hamsasim/hamsasim/internal/fixture"
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
	OnStage func(Stage)
}

// FindCapacity runs the scenario at constant rates, doubling while every
// threshold holds (halving while they break), then narrows the bracket
// between the highest rate that held and the lowest that broke. Each stage
// is a whole run (arrival for Stage, then drain). It stops by itself after
// MaxStages stages at most. The summary adds up every stage; its Capacity
// tells the result and its thresholds are those of the stage at capacity
// (or of the first stage, when none held).
func FindCapacity(ctx context.Context, sc *scenario.Scenario, fixtures map[string]*fixture.Fixture, search CapacitySearch, opts ...Option) (*Summary, error) {
	if search.Stage <= 0 {
		search.Stage = DefaultStage
	}
	if search.MaxStages <= 0 {
		search.MaxStages = DefaultMaxStages
	}
	if search.Refine < 0 {
		search.Refine = 0
	}
	rate := search.Start
	if rate <= 0 {
		rate = sc.PeakRate()
	}
	rate = math.Min(math.Max(rate, minCapacityRate), scenario.MaxRate)

	capy := &Capacity{StageMs: search.Stage.Milliseconds()}
	var runs []*Summary
	var stream *resultsStream
	var heldRun *Summary
	held, broken := 0.0, 0.0
	var limit string
	refined := 0

	for len(capy.Stages) < search.MaxStages {
		if len(runs) > 0 && ctx.Err() != nil { // the first stage runs, and ends at once, so there is a summary
			limit = "interrupted"
			break
		}
		st := stageScenario(sc, rate, search.Stage)
		e, err := New(st, fixtures, opts...)
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
		runs = append(runs, s)
		stage := stageOf(rate, s)
		capy.Stages = append(capy.Stages, stage)
		if search.OnStage != nil {
			search.OnStage(stage)
		}
		if s.Interrupted {
			limit = "interrupted"
			break
		}
		if s.Calls.Late > 0 {
			// The harness could not offer this rate: saying the target broke
			// (or held) here would be a guess.
			capy.GeneratorNote = fmt.Sprintf("at %s calls/s the load generator held back %d calls (in-flight limit); rates from there on were not really offered", fmtRate(rate), s.Calls.Late)
			limit = "the load generator's limit"
			break
		}
		if stage.Held {
			if rate > held {
				held, heldRun = rate, s
			}
		} else if broken == 0 || rate < broken {
			broken = rate
		}

		// Choose the next rate.
		switch {
		case broken == 0: // nothing broke yet: double
			if rate >= scenario.MaxRate {
				limit = fmt.Sprintf("the highest rate hamsasim offers (%s calls/s) held", fmtRate(scenario.MaxRate))
			} else {
				rate = math.Min(rate*2, scenario.MaxRate)
			}
		case held == 0: // nothing held yet: halve
			if rate <= minCapacityRate {
				limit = fmt.Sprintf("even %s calls/s broke a threshold", fmtRate(minCapacityRate))
			} else {
				rate = math.Max(rate/2, minCapacityRate)
			}
		default: // bracketed: narrow
			if refined >= search.Refine || (broken-held)/held <= capacityPrecision {
				limit = fmt.Sprintf("bracketed between %s (held) and %s calls/s (broke)", fmtRate(held), fmtRate(broken))
			} else {
				refined++
				rate = roundRate((held + broken) / 2)
				if rate <= held || rate >= broken {
					limit = fmt.Sprintf("bracketed between %s (held) and %s calls/s (broke)", fmtRate(held), fmtRate(broken))
				}
			}
		}
		if limit != "" {
			break
		}
	}
	if limit == "" {
		limit = fmt.Sprintf("the stage limit (%d stages) was reached", search.MaxStages)
	}
	capy.Limit = limit
	capy.BrokenAt = broken
	if heldRun != nil {
		capy.Found = true
		capy.CallsPerSec = held
		for _, st := range capy.Stages {
			if st.CallsPerSec == held && st.Held {
				capy.EventsPerSec = st.EventsPerSec
			}
		}
	}

	s, err := combine(runs)
	if err != nil {
		return nil, err
	}
	s.ArrivalMs = 0
	for _, r := range runs {
		s.ArrivalMs += r.ArrivalMs
	}
	s.Capacity = capy
	judged := heldRun
	if judged == nil {
		judged = runs[0]
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
func stageOf(rate float64, s *Summary) Stage {
	st := Stage{
		CallsPerSec: rate,
		P50:         s.Overall.Latency.P50,
		P99:         s.Overall.Latency.P99,
		SuccessPct:  s.Overall.SuccessPct,
		Timeouts:    s.Overall.Timeouts,
		Held:        thresholdsHeld(s.Thresholds) && !s.Interrupted && !lagOver(s),
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

func fmtRate(r float64) string {
	s := fmt.Sprintf("%.2f", r)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	return s
}
