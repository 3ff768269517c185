package load

import (
	"time"

	"github.com/hamsasim/hamsasim/internal/scenario"
)

// mix is what a scenario's calls are like, weighted as its mix picks
// them: for a capacity search's warm-up and its planning terms.
type mix struct {
	meanCall, maxCall time.Duration // call length in real time (before timeScale)
	eventsPerCall     float64       // first copies, subscribed types only
}

// mixOf reads the mix from the engine's templates: a call lasts until its
// last event.
func mixOf(e *Engine, sc *scenario.Scenario) mix {
	var m mix
	var total, sumCall, sumEvents float64
	for _, entry := range sc.Mix {
		t := e.templates[entry.Fixture]
		if t == nil {
			continue
		}
		var last time.Duration
		for _, ev := range t.events {
			last = max(last, ev.offset)
		}
		m.maxCall = max(m.maxCall, last)
		total += entry.Weight
		sumCall += entry.Weight * float64(last)
		sumEvents += entry.Weight * float64(len(t.events))
	}
	if total > 0 {
		m.meanCall = time.Duration(sumCall / total)
		m.eventsPerCall = sumEvents / total
	}
	return m
}

// warmup is how long a stage runs before it is judged: the longest call
// at the time scale, so calls of every age are in flight, in whole
// seconds (the timeline's buckets), a second at least.
func (m mix) warmup(scale float64) time.Duration {
	d := time.Duration(float64(m.maxCall) * scale)
	return max(((d + time.Second - 1) / time.Second * time.Second), minWarmup)
}
