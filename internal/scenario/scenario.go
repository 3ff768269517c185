// Package scenario reads load scenarios (YAML): how fast new calls arrive,
// which fixtures they replay, how the platform misbehaves (duplicates, events
// out of order, network faults) and which thresholds decide pass or fail.
// The format is documented in scenarios/README.md. Running a scenario is the
// load engine's job; this package only parses, validates and answers the
// arithmetic the engine needs (rate at a moment, expected calls, fixture pick).
package scenario

import (
	"errors"
	"slices"
	"time"

	"github.com/hamsasim/hamsasim/internal/deliver"
	"github.com/hamsasim/hamsasim/internal/yamlfile"
)

// ErrInvalid is wrapped by every error about a scenario's content, so callers
// can tell bad input (exit 2) from other failures with errors.Is.
var ErrInvalid = errors.New("invalid scenario")

// Defaults for the optional fields, applied by Parse.
const (
	DefaultTimeScale     = 1.0
	DefaultTimeout       = deliver.AckBudget // the platform's budget per attempt
	DefaultRetries       = deliver.DefaultAttempts - 1
	DefaultBackoffBase   = deliver.DefaultBackoffBase
	DefaultBackoffFactor = deliver.DefaultBackoffFactor
	DefaultBackoffMax    = deliver.DefaultBackoffMax
	DefaultJitter        = 0.2 // ±20 %
	DefaultDrain         = 2 * time.Minute
	// DefaultDuplicateCopies is how many copies of a duplicated event the
	// platform delivers in all: the first and one redelivery.
	DefaultDuplicateCopies = 2
)

// Limits Parse enforces, so a typo cannot ask for a week-long run or a
// million calls per second.
const (
	MaxDuration      = 24 * time.Hour // longest arrival period
	MaxRate          = 10_000.0       // calls per second, for any arrival kind
	MaxTimeout       = 60 * time.Second
	MaxRetries       = 10
	MaxDrain         = time.Hour
	MaxBackoff       = 10 * time.Minute // for backoff.base and backoff.max
	MaxWait          = 24 * time.Hour   // for each wait of a written-out schedule
	MaxBackoffFactor = 10.0
	MaxWeight        = 1_000_000.0
	MaxFaultLatency  = 60 * time.Second
	// MaxDuplicateCopies bounds duplicates.copies (the first delivery
	// included).
	MaxDuplicateCopies = 10
	maxListLen         = 1000 // mix entries, steps, thresholds or faults
)

// Scenario is one parsed and validated load scenario. Build it with Parse;
// its methods are safe for concurrent use because they only read.
type Scenario struct {
	Name        string
	Description string
	Duration    time.Duration // how long new calls keep arriving
	Arrival     Arrival
	Mix         []MixEntry // at least one, weights > 0, fixture names unique
	TimeScale   float64    // (0, 1]: 0.05 plays a 3-minute call in 9 s
	Duplicates  float64    // [0, 1]: fraction of events delivered more than once
	// DuplicateCopies is how many copies of such an event are delivered in
	// all, the first included: 2 to MaxDuplicateCopies.
	DuplicateCopies int
	// DuplicatesTogether sends an event's copies at the same instant, each
	// over a connection of its own, as when a retry races a slow first
	// attempt or two delivery workers pick up one event. Otherwise each
	// redelivery follows the acknowledgement of the copy before it.
	DuplicatesTogether bool
	OutOfOrder         float64 // [0, 1]: fraction of calls whose events are shuffled
	Delivery           Delivery
	Drain              time.Duration // after Duration, how long in-flight calls may take
	Thresholds         []Threshold
	Faults             []Fault // each within [0, Duration]
	Source             string  // where it was read from, for messages
}

// ArrivalKind names how the arrival rate is given.
type ArrivalKind string

// The arrival kinds; exactly one is set in a scenario.
const (
	ArrivalConstant ArrivalKind = "constant"
	ArrivalRamp     ArrivalKind = "ramp"
	ArrivalSteps    ArrivalKind = "steps"
)

// Arrival is the rate of new calls over time. Only the field named by Kind
// is meaningful.
type Arrival struct {
	Kind     ArrivalKind
	Constant float64 // calls/s
	Ramp     Ramp
	Steps    []Step
}

// Ramp rises (or falls) linearly from From to To over Over, then holds To.
type Ramp struct {
	From, To float64 // calls/s
	Over     time.Duration
}

// Step holds Rate for For. After the last step its rate holds until the
// scenario's Duration.
type Step struct {
	Rate float64 // calls/s
	For  time.Duration
}

// MixEntry is one fixture the calls replay, with its relative weight.
type MixEntry struct {
	Fixture string
	Weight  float64
}

// Delivery is how the simulated platform delivers each event.
type Delivery struct {
	Timeout  time.Duration // per attempt
	Retries  int           // attempts after the first
	Backoff  Backoff       // the exponential schedule, used when Waits is empty
	Schedule string        // the schedule's name: ScheduleExponential, a preset, or ScheduleList
	Waits    []time.Duration
	Jitter   float64 // 0..1: each wait is spread over ±Jitter of itself
}

// Policy is the delivery's retry schedule as the deliverer applies it. A
// preset or written-out schedule is not capped by the exponential
// backoff's max; a Retry-After always is (30 s unless the scenario says).
func (d Delivery) Policy() deliver.Backoff {
	b := deliver.Backoff{Attempts: d.Retries + 1, Jitter: d.Jitter, RetryAfterMax: d.Backoff.Max}
	if d.Schedule == ScheduleExponential || len(d.Waits) == 0 {
		b.Base, b.Factor, b.Max = d.Backoff.Base, d.Backoff.Factor, d.Backoff.Max
	} else {
		b.Waits = d.Waits
	}
	return b
}

// Retry schedule names. A preset's waits are real platform waits, multiplied
// by the scenario's timeScale like the calls themselves.
const (
	ScheduleExponential = "exponential" // backoff: base × factor^n, capped at max
	ScheduleList        = "list"        // waits written out in the scenario
)

// SchedulePresets are the named retry schedules: the waits before retry 1,
// 2, ... The Standard Webhooks specification's example schedule retries
// after 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h.
var SchedulePresets = map[string][]time.Duration{
	"standard-webhooks": seconds(5, 5*60, 30*60, 2*3600, 5*3600, 10*3600, 10*3600),
}

func seconds(s ...int) []time.Duration {
	out := make([]time.Duration, len(s))
	for i, n := range s {
		out[i] = time.Duration(n) * time.Second
	}
	return out
}

// ScheduleNames lists the schedule names a scenario may give, for messages.
func ScheduleNames() []string {
	names := []string{ScheduleExponential}
	for n := range SchedulePresets {
		names = append(names, n)
	}
	slices.Sort(names[1:])
	return names
}

// Backoff is the wait before retry n (from 0): min(Base*Factor^n, Max).
type Backoff struct {
	Base   time.Duration
	Factor float64
	Max    time.Duration
}

// FaultKind names a network fault the harness applies to its own connections.
type FaultKind string

// The fault kinds.
const (
	FaultBlackhole FaultKind = "blackhole" // packets vanish: requests time out
	FaultRefuse    FaultKind = "refuse"    // connections are refused
	FaultReset     FaultKind = "reset"     // connections are reset mid-request
	FaultLatency   FaultKind = "latency"   // every request is delayed by Value
)

// FaultKinds lists the fault kinds in the order the docs give them.
var FaultKinds = []FaultKind{FaultBlackhole, FaultRefuse, FaultReset, FaultLatency}

// Fault is one network fault from Start for Length. Value is the added delay
// of a latency fault and zero for the others.
type Fault struct {
	Kind   FaultKind
	Start  time.Duration
	Length time.Duration
	Value  time.Duration
}

// End is when the fault stops.
func (f Fault) End() time.Duration { return f.Start + f.Length }

// RateAt is the arrival rate in calls/s at offset t from the start: 0 before
// 0 and from Duration on.
func (s *Scenario) RateAt(t time.Duration) float64 {
	if t < 0 || t >= s.Duration {
		return 0
	}
	a := s.Arrival
	switch a.Kind {
	case ArrivalConstant:
		return a.Constant
	case ArrivalRamp:
		if t >= a.Ramp.Over {
			return a.Ramp.To
		}
		return a.Ramp.From + (a.Ramp.To-a.Ramp.From)*t.Seconds()/a.Ramp.Over.Seconds()
	case ArrivalSteps:
		var end time.Duration
		for _, st := range a.Steps {
			end += st.For
			if t < end {
				return st.Rate
			}
		}
		if len(a.Steps) > 0 {
			return a.Steps[len(a.Steps)-1].Rate
		}
	}
	return 0
}

// ExpectedCalls is the number of calls the arrival rate starts over Duration:
// the integral of RateAt from 0 to Duration.
func (s *Scenario) ExpectedCalls() float64 { return s.CallsBy(s.Duration) }

// CallsBy is the number of calls the arrival rate has started by offset t:
// the integral of RateAt from 0 to min(t, Duration). The load engine starts
// call k (from 0) at the first t where CallsBy(t) reaches k.
func (s *Scenario) CallsBy(t time.Duration) float64 {
	a, d := s.Arrival, min(t, s.Duration)
	if d <= 0 {
		return 0
	}
	switch a.Kind {
	case ArrivalConstant:
		return a.Constant * d.Seconds()
	case ArrivalRamp:
		over := min(a.Ramp.Over, d)
		// The ramp's value at the end of its part inside d.
		top := a.Ramp.To
		if a.Ramp.Over > 0 && over < a.Ramp.Over {
			top = a.Ramp.From + (a.Ramp.To-a.Ramp.From)*over.Seconds()/a.Ramp.Over.Seconds()
		}
		return (a.Ramp.From+top)/2*over.Seconds() + a.Ramp.To*(d-over).Seconds()
	case ArrivalSteps:
		var total float64
		var end time.Duration
		for _, st := range a.Steps {
			held := min(st.For, d-end)
			if held <= 0 {
				break
			}
			total += st.Rate * held.Seconds()
			end += held
		}
		if n := len(a.Steps); n > 0 && end < d {
			total += a.Steps[n-1].Rate * (d - end).Seconds()
		}
		return total
	}
	return 0
}

// PeakRate is the highest arrival rate at any moment, in calls/s.
func (s *Scenario) PeakRate() float64 {
	a := s.Arrival
	switch a.Kind {
	case ArrivalConstant:
		return a.Constant
	case ArrivalRamp:
		return max(a.Ramp.From, a.Ramp.To)
	case ArrivalSteps:
		var peak float64
		for _, st := range a.Steps {
			peak = max(peak, st.Rate)
		}
		return peak
	}
	return 0
}

// Pick chooses the fixture for a call from r in [0, 1) by weight: entry i
// owns the slice of [0, 1) proportional to its weight, in Mix order. r below
// 0 picks the first entry and r of 1 or more the last; an empty Mix gives "".
func (s *Scenario) Pick(r float64) string {
	if len(s.Mix) == 0 {
		return ""
	}
	var total float64
	for _, m := range s.Mix {
		total += m.Weight
	}
	target := r * total
	var cum float64
	for _, m := range s.Mix {
		cum += m.Weight
		if target < cum {
			return m.Fixture
		}
	}
	return s.Mix[len(s.Mix)-1].Fixture
}

// Error is one problem in a scenario file, with where it is.
type Error = yamlfile.Error

// ErrorList is every problem found in one file, in line order.
type ErrorList = yamlfile.ErrorList
