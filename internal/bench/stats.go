package bench

import (
	"math"
	"slices"
)

// Median returns the middle value of xs, or the mean of the two middle
// values when there are an even number; 0 when xs is empty. xs is left as it
// was.
func Median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// MinMax returns the smallest and largest of xs; 0, 0 when xs is empty.
func MinMax(xs []float64) (lo, hi float64) {
	if len(xs) == 0 {
		return 0, 0
	}
	return slices.Min(xs), slices.Max(xs)
}

// Ratio is hamsasim's median events/s over a peer's, against the target the
// requirement sets.
type Ratio struct {
	Peer   string  `json:"peer"`
	Value  float64 `json:"value"`  // 0 when the peer measured nothing
	Target float64 `json:"target"` // hamsasim must reach at least Target times the peer
	Met    bool    `json:"met"`
}

// NewRatio compares hamsasim's median with a peer's. A peer median of 0
// gives no ratio, which never meets the target.
func NewRatio(peer string, hamsasim, peerMedian, target float64) Ratio {
	r := Ratio{Peer: peer, Target: target}
	if peerMedian > 0 && !math.IsNaN(hamsasim) {
		r.Value = hamsasim / peerMedian
		// Compare at the precision printed, so "0.90 >= 0.90" never
		// reads "not met".
		r.Met = math.Round(r.Value*100) >= math.Round(target*100)
	}
	return r
}

// Memory is the verdict on hamsasim's resident memory: the peak RSS of each
// run must stay under LimitMB while InFlightTarget calls are in flight.
type Memory struct {
	MedianMB       float64 `json:"medianMB"` // median over runs of each run's peak RSS
	MaxMB          float64 `json:"maxMB"`    // the largest peak of any run
	LimitMB        float64 `json:"limitMB"`
	MaxInFlight    int64   `json:"maxInFlight"` // most calls in flight in any run
	InFlightTarget int64   `json:"inFlightTarget"`
	// Verdict is "met", "not met" (over the limit) or "not shown" (under
	// the limit, but fewer calls than InFlightTarget were ever in flight).
	Verdict string `json:"verdict"`
}

// The verdicts.
const (
	Met      = "met"
	NotMet   = "not met"
	NotShown = "not shown"
)

// NewMemory judges per-run peak RSS (MB) and per-run most calls in flight.
func NewMemory(peaksMB []float64, inFlight []int64, limitMB float64, target int64) Memory {
	m := Memory{LimitMB: limitMB, InFlightTarget: target}
	m.MedianMB = Median(peaksMB)
	_, m.MaxMB = MinMax(peaksMB)
	for _, n := range inFlight {
		m.MaxInFlight = max(m.MaxInFlight, n)
	}
	switch {
	case len(peaksMB) == 0:
		m.Verdict = NotShown
	case m.MaxMB >= limitMB:
		m.Verdict = NotMet
	case m.MaxInFlight < target:
		m.Verdict = NotShown
	default:
		m.Verdict = Met
	}
	return m
}

// verdict words a boolean.
func verdict(ok bool) string {
	if ok {
		return Met
	}
	return NotMet
}
