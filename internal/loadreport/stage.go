package loadreport

import (
	"fmt"
	"strings"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/hamsasim/hamsasim/internal/report"
	"github.com/hamsasim/hamsasim/internal/yamlfile"
)

// How a capacity stage is judged at steady state, beside the scenario's
// own thresholds. The README's "How capacity is measured" explains each.
const (
	// SaturationPct is how far, in percent, the achieved event rate may
	// fall short of the offered one before the stage is saturated.
	SaturationPct = 10
	// RefusingPct is the share of attempts, in percent, that may go
	// unacknowledged (refused, failed, timed out) in the judged window.
	RefusingPct = 1
	// GrowthFloorMs and GrowthFactor say when latency is growing: the
	// median of the window's last third exceeds that of its first third
	// by more than GrowthFloorMs and by more than GrowthFactor times the
	// first third's median.
	GrowthFloorMs = 100
	GrowthFactor  = 0.5
)

// window is the judged part of a stage: the timeline's buckets that lie
// wholly after the warm-up and before the arrival ends.
type window struct {
	buckets []Bucket
	seconds float64
}

func windowOf(s *Summary, warmup time.Duration) window {
	var w window
	width := s.Timeline.BucketMs
	for _, b := range s.Timeline.Buckets {
		if b.AtMs >= warmup.Milliseconds() && b.AtMs+width <= s.ArrivalMs {
			w.buckets = append(w.buckets, b)
		}
	}
	w.seconds = float64(int64(len(w.buckets))*width) / 1000
	return w
}

// thirdsP50 is the median latency of the window's first and last thirds,
// from the buckets' histograms; ok is false when the window is shorter
// than three buckets or a third had no answer.
func (w window) thirdsP50() (early, late float64, ok bool) {
	n := len(w.buckets) / 3
	if n == 0 {
		return 0, 0, false
	}
	p50 := func(bs []Bucket) (float64, bool) {
		var h *hdr.Histogram
		for _, b := range bs {
			if err := mergeHist(&h, b.Histogram, bucketDigits); err != nil {
				return 0, false
			}
		}
		if h == nil || h.TotalCount() == 0 {
			return 0, false
		}
		return usToMs(h.ValueAtPercentile(50)), true
	}
	early, okE := p50(w.buckets[:n])
	late, okL := p50(w.buckets[len(w.buckets)-n:])
	return early, late, okE && okL
}

// JudgeStage sums up a capacity stage run at rate calls/s from its
// summary: the thresholds as judged over the whole stage, and, over the
// steady-state window after warmup, the offered and achieved event rates,
// the share of attempts not acknowledged and the latency trend. more are
// reasons to break found by the caller (attempts sent late).
func JudgeStage(rate float64, s *Summary, warmup time.Duration, more ...string) Stage {
	st := Stage{
		CallsPerSec: rate,
		WarmupMs:    warmup.Milliseconds(),
		EndMs:       s.ArrivalMs,
		P50:         s.Overall.Latency.P50,
		P99:         s.Overall.Latency.P99,
		SuccessPct:  s.Overall.SuccessPct,
		Timeouts:    s.Overall.Timeouts,
		PerType:     s.PerType,
	}
	for _, t := range s.Thresholds {
		if !t.Held {
			st.Broken = append(st.Broken, t.Threshold+" (got "+t.GotText+")")
		}
	}
	w := windowOf(s, warmup)
	var offered, acked, attempts, errs int64
	for _, b := range w.buckets {
		offered += b.Offered
		acked += b.Acked
		attempts += b.Attempts
		errs += b.Errors
	}
	if w.seconds > 0 {
		st.OfferedPerSec = float64(offered) / w.seconds
		st.EventsPerSec = float64(acked) / w.seconds
	}
	if offered > 0 && float64(acked) < float64(offered)*(1-SaturationPct/100.0) {
		st.Saturated = true
		st.Broken = append(st.Broken, fmt.Sprintf("saturated: %s of %s events/s offered were acknowledged (%.0f%% short)",
			formatEvents(st.EventsPerSec), formatEvents(st.OfferedPerSec), 100*(1-float64(acked)/float64(offered))))
	}
	if attempts > 0 && float64(errs) > float64(attempts)*RefusingPct/100 {
		st.Broken = append(st.Broken, fmt.Sprintf("refusing: %.1f%% of attempts not acknowledged (%s)", 100*float64(errs)/float64(attempts), report.CountList(causesOf(w.buckets))))
	}
	if early, late, ok := w.thirdsP50(); ok {
		st.P50Early, st.P50Late = early, late
		if late-early > max(GrowthFloorMs, early*GrowthFactor) {
			st.Growing = true
			st.Broken = append(st.Broken, fmt.Sprintf("latency growing: p50 %s in the window's first third, %s in its last (a queue building up)",
				report.Millis(early), report.Millis(late)))
		}
	}
	st.Broken = append(st.Broken, more...)
	if s.Interrupted {
		st.Broken = append(st.Broken, "interrupted")
	}
	st.Held = len(st.Broken) == 0
	st.Verdict = stageVerdict(st, w)
	return st
}

// stageVerdict says in one line why the stage held or broke.
func stageVerdict(st Stage, w window) string {
	if !st.Held {
		return "broke: " + strings.Join(st.Broken, "; ")
	}
	if len(w.buckets) == 0 {
		return "held every threshold; no steady-state window (the stage is shorter than its warm-up)"
	}
	v := fmt.Sprintf("held: %s of %s events/s offered acknowledged", formatEvents(st.EventsPerSec), formatEvents(st.OfferedPerSec))
	if st.P50Early > 0 || st.P50Late > 0 {
		v += fmt.Sprintf(", p50 steady (%s → %s)", report.Millis(st.P50Early), report.Millis(st.P50Late))
	}
	return v + ", every threshold held"
}

// causesOf adds up the causes of the buckets' failed attempts.
func causesOf(bs []Bucket) map[string]int64 {
	sum := map[string]int64{}
	for _, b := range bs {
		for k, v := range b.Causes {
			sum[k] += v
		}
	}
	return sum
}

// formatEvents shows an event rate: one decimal under 100, whole above.
func formatEvents(r float64) string {
	if r >= 100 {
		return fmt.Sprintf("%.0f", r)
	}
	return fmt.Sprintf("%.1f", r)
}

// Plan fills the planning terms from the capacity found and the mix's
// figures (MeanCallMs, EventsPerCall, PeakCallsPerSec): how many calls are
// open at once at capacity, the headroom over the scenario's own peak, and
// the sentence that says it. lowerBound says the search stopped below the
// target's limit, so the capacity is at least what it says.
func (c *Capacity) Plan(lowerBound bool) {
	if !c.Found {
		c.Planning = "no rate held: " + c.Limit
		return
	}
	c.ConcurrentCalls = c.CallsPerSec * float64(c.MeanCallMs) / 1000
	if c.PeakCallsPerSec > 0 {
		c.Headroom = c.CallsPerSec / c.PeakCallsPerSec
	}
	holds := "holds"
	if lowerBound {
		holds = "holds at least"
	}
	p := fmt.Sprintf("%s %s calls/s (%s events/s)", holds, FormatRate(c.CallsPerSec), formatEvents(c.EventsPerSec))
	if c.MeanCallMs > 0 {
		p += fmt.Sprintf(" ≈ %.0f concurrent %s", c.ConcurrentCalls, callsOf(time.Duration(c.MeanCallMs)*time.Millisecond))
	}
	switch {
	case c.PeakCallsPerSec <= 0:
	case c.Headroom >= 1:
		p += fmt.Sprintf("; the scenario's own peak, %s calls/s, leaves %.1f× headroom", FormatRate(c.PeakCallsPerSec), c.Headroom)
	default:
		p += fmt.Sprintf("; the scenario's own peak, %s calls/s, is %.1f× what it holds", FormatRate(c.PeakCallsPerSec), 1/c.Headroom)
	}
	c.Planning = p
}

// callsOf names calls of mean length d: "3-minute calls", "45-second
// calls", or "calls of 3m20s on average".
func callsOf(d time.Duration) string {
	d = d.Round(time.Second)
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%d-second calls", int(d.Seconds()))
	case d%time.Minute == 0:
		return fmt.Sprintf("%d-minute calls", int(d.Minutes()))
	}
	return "calls of " + yamlfile.ShortDuration(d) + " on average"
}
