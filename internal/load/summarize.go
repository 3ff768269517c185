package load

import (
	"fmt"
	"io"
	"strconv"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/hamsasim/hamsasim/internal/event"
	"github.com/hamsasim/hamsasim/internal/probe"
	"github.com/hamsasim/hamsasim/internal/report"
	"github.com/hamsasim/hamsasim/internal/scenario"
)

// summary builds the run's Summary.
func (r *run) summary(interrupted bool) *Summary {
	now := r.now()
	m := r.m
	if n := len(m.buckets); n > 0 {
		m.close(&m.buckets[n-1], r.live)
	}
	sc := r.sc
	s := &Summary{
		Version:     SummaryVersion,
		Tool:        "hamsasim",
		Scenario:    sc.Name,
		Description: sc.Description,
		Source:      sc.Source,
		Target:      r.e.shown,
		TargetKind:  r.e.targetKind,
		Seed:        r.e.seed,
		Shard:       r.e.shard,
		StartedAt:   r.start.UTC(),
		EndedAt:     r.start.Add(now).UTC(),
		ArrivalMs:   r.arrival.Milliseconds(),
		ElapsedMs:   now.Milliseconds(),
		Interrupted: interrupted,
		StopReason:  r.stopped,
		Unreachable: r.unreachable,
		Delivery: DeliveryPolicy{
			TimeoutMs:     sc.Delivery.Timeout.Milliseconds(),
			Retries:       sc.Delivery.Retries,
			BackoffBaseMs: sc.Delivery.Backoff.Base.Milliseconds(),
			BackoffFactor: sc.Delivery.Backoff.Factor,
			BackoffMaxMs:  sc.Delivery.Backoff.Max.Milliseconds(),
			Schedule:      sc.Delivery.Schedule,
			JitterPct:     sc.Delivery.Jitter * 100,
		},
		Calls:      r.calls,
		Events:     subscribed(r.e.events),
		Timeline:   Timeline{BucketMs: m.bucketWidth.Milliseconds(), Buckets: m.buckets},
		Histograms: map[string]string{},
	}
	for _, w := range r.policy.Waits {
		s.Delivery.WaitsMs = append(s.Delivery.WaitsMs, w.Milliseconds())
	}
	if s.Timeline.Buckets == nil {
		s.Timeline.Buckets = []Bucket{}
	}
	s.Overall = m.overall.Stats
	finishStats(&s.Overall, m.overall.hist, now)
	s.DeadLetters = s.Overall.Failed // each failed delivery is a dead letter
	s.Audit = Audit{
		Acknowledged: s.Overall.Acked - s.Overall.DuplicatesAcked,
		DeadLettered: s.DeadLetters,
		InFlight:     s.Overall.Unsent,
	}
	s.Histograms["overall"] = encodeHist(m.overall.hist)
	s.Lag = latencyOf(m.lag)
	s.Histograms["lag"] = encodeHist(m.lag)
	for i, k := range m.types[:len(event.Types)] {
		if k.Deliveries == 0 && k.Attempts == 0 {
			continue
		}
		ts := TypeStats{Type: event.Types[i], Stats: k.Stats}
		finishStats(&ts.Stats, k.hist, now)
		s.PerType = append(s.PerType, ts)
		s.Histograms[event.Types[i]] = encodeHist(k.hist)
	}
	for _, key := range m.order {
		s.Violations = append(s.Violations, *m.violations[key])
	}
	if s.Calls.Late > 0 {
		s.Notes = append(s.Notes, fmt.Sprintf(
			"%d calls started more than %s late (worst %s) because %d calls were already in flight; the offered load was lower than the scenario asks",
			s.Calls.Late, lateAfter, time.Duration(s.Calls.LateMaxMs)*time.Millisecond, r.e.maxInFlight))
	}
	if n := lagNote(s, r.e.workers); n != "" {
		s.Notes = append(s.Notes, n)
	}
	s.Health = healthOf(s)
	s.Thresholds = Evaluate(sc.Thresholds, s)
	// A run the drain cut short did not deliver every started call whole:
	// it fails whatever the thresholds say.
	s.Passed = !interrupted && s.StopReason == "" && thresholdsHeld(s.Thresholds)
	return s
}

// Audited adds the endpoint's side of the end-state audit, as the probe API
// at probeURL (shown redacted) told it for calls, and judges the thresholds
// again.
func (s *Summary) Audited(probeURL string, calls int, res probe.AuditResult, ths []scenario.Threshold) {
	a := &s.Audit
	a.Probe, a.Calls = probeURL, int64(calls)
	a.Checked, a.Recorded, a.Lost, a.Duplicated = res.Checked, res.Recorded, res.Lost, res.Duplicated
	a.NotFound, a.Unchecked, a.Problems = res.NotFound, res.Unchecked, res.Problems
	if a.NotFound > 0 && a.NotFound == a.Checked && a.Acknowledged > 0 {
		s.Notes = append(s.Notes, "the probe API had no record of any call (every one answered 404): check --probe-url")
	}
	s.Thresholds = Evaluate(ths, s)
	s.Passed = !s.Interrupted && s.StopReason == "" && thresholdsHeld(s.Thresholds)
}

// healthOf is the endpoint's health from the summary's stats.
func healthOf(s *Summary) []report.Health {
	row := func(typ string, st Stats) report.Health {
		return report.Health{
			EventType: typ, Deliveries: st.Deliveries, Attempts: st.Attempts, SuccessPct: st.SuccessPct,
			MeanMs: st.Latency.Mean, P95Ms: st.Latency.P95, Failures: report.Failures(st.Status),
		}
	}
	out := make([]report.Health, 0, len(s.PerType)+1)
	for _, t := range s.PerType {
		out = append(out, row(t.Type, t.Stats))
	}
	return append(out, row("all", s.Overall))
}

func thresholdsHeld(ts []ThresholdResult) bool {
	for _, t := range ts {
		if !t.Held {
			return false
		}
	}
	return true
}

// statsFor returns the stats a threshold reads: overall or one type's.
func statsFor(s *Summary, typ string) (Stats, bool) {
	if typ == "" {
		return s.Overall, s.Overall.Deliveries > 0 || s.Overall.Attempts > 0
	}
	for _, t := range s.PerType {
		if t.Type == typ {
			return t.Stats, true
		}
	}
	return Stats{}, false
}

// Evaluate judges each threshold against the summary's stats.
func Evaluate(ths []scenario.Threshold, s *Summary) []ThresholdResult {
	out := make([]ThresholdResult, 0, len(ths))
	for _, th := range ths {
		tr := ThresholdResult{Threshold: th.String(), EventType: th.EventType, Metric: string(th.Metric)}
		if th.Metric.WholeRun() {
			out = append(out, judgeAudit(th, tr, s.Audit))
			continue
		}
		st, ok := statsFor(s, th.EventType)
		if !ok {
			tr.NoData, tr.Held, tr.GotText = true, true, "no data"
			out = append(out, tr)
			continue
		}
		var limit float64
		switch th.Metric.Kind() {
		case scenario.KindLatency:
			if st.Latency.Count == 0 {
				tr.NoData, tr.Held, tr.GotText = true, true, "no data"
				out = append(out, tr)
				continue
			}
			tr.Got = latencyMetric(st.Latency, th.Metric)
			tr.GotText = report.Millis(tr.Got)
			limit = ms(th.Latency)
		case scenario.KindPercent:
			tr.Got = st.SuccessPct
			tr.GotText = strconv.FormatFloat(tr.Got, 'f', -1, 64) + "%"
			limit = th.Percent
		case scenario.KindCount:
			tr.Got = float64(countMetric(st, th.Metric))
			tr.GotText = strconv.FormatInt(int64(tr.Got), 10)
			limit = float64(th.Count)
		}
		tr.Held = th.Op.Holds(tr.Got, limit)
		out = append(out, tr)
	}
	return out
}

// judgeAudit judges a threshold on the end-state audit. Lost and duplicated
// events are only known with a probe API; without one, or with calls it
// could not check, such a threshold fails rather than pass unchecked.
func judgeAudit(th scenario.Threshold, tr ThresholdResult, a Audit) ThresholdResult {
	switch th.Metric {
	case scenario.MetricDeadLetters:
		tr.Got = float64(a.DeadLettered)
	case scenario.MetricLost:
		tr.Got = float64(a.Lost)
	case scenario.MetricDuplicated:
		tr.Got = float64(a.Duplicated)
	}
	tr.GotText = strconv.FormatInt(int64(tr.Got), 10)
	tr.Held = th.Op.Holds(tr.Got, float64(th.Count))
	if th.Metric == scenario.MetricDeadLetters {
		return tr
	}
	switch {
	case !a.probed():
		tr.NoData, tr.Held = true, false
		tr.GotText = "not checked: the endpoint's side needs --probe-url (a probe API)"
	case a.Unchecked > 0:
		tr.Held = false
		tr.GotText += fmt.Sprintf(" (and %d calls not checked)", a.Unchecked)
	}
	return tr
}

func latencyMetric(l Latency, m scenario.Metric) float64 {
	switch m {
	case scenario.MetricP50:
		return l.P50
	case scenario.MetricP90:
		return l.P90
	case scenario.MetricP95:
		return l.P95
	case scenario.MetricP99:
		return l.P99
	case scenario.MetricMax:
		return l.Max
	}
	return 0
}

func countMetric(st Stats, m scenario.Metric) int64 {
	switch m {
	case scenario.MetricTimeouts:
		return st.Timeouts
	case scenario.MetricErrors:
		return st.Errors
	case scenario.MetricDuplicatesUnacknowledged:
		return st.DuplicatesUnacked
	case scenario.MetricContractViolations:
		return st.ContractViolations
	}
	return 0
}

// progressLine writes the live status; the final call ends the line.
func (r *run) progressLine(final bool) {
	w := r.e.progress
	if w == nil {
		return
	}
	o := r.m.overall
	var p99 string
	if o.hist.TotalCount() > 0 {
		p99 = report.Millis(usToMs(o.hist.ValueAtPercentile(99)))
	} else {
		p99 = "-"
	}
	el := r.now()
	rate := 0.0
	if el > 0 {
		rate = float64(o.Attempts) / el.Seconds()
	}
	line := fmt.Sprintf("%6s  calls %d started, %d in flight  events %d (%.0f/s)  p99 %s  errors %d  timeouts %d",
		el.Truncate(time.Second), r.calls.Started, r.live, o.Attempts, rate, p99, o.Errors, o.Timeouts)
	end := ""
	if final {
		end = "\n"
	}
	_, _ = io.WriteString(w, "\r\x1b[K"+line+end)
}

// mergeHist adds the encoded histogram src into *dst (creating it).
func mergeHist(dst **hdr.Histogram, src string, digits int) error {
	if src == "" {
		return nil
	}
	h, err := decodeHist(src)
	if err != nil {
		return err
	}
	if *dst == nil {
		*dst = newHist(digits)
	}
	(*dst).Merge(h)
	return nil
}

// LagLimit is how late, at the 99th percentile, attempts may be sent after
// they were due before a run says the target did not get the load the
// scenario asks for (and a capacity stage counts as broken).
const LagLimit = time.Second

// lagOver reports whether the run sent too late to have offered its load.
func lagOver(s *Summary) bool { return s.Lag.Count > 0 && s.Lag.P99 > ms(LagLimit) }

func lagNote(s *Summary, workers int) string {
	if !lagOver(s) {
		return ""
	}
	return fmt.Sprintf("attempts were sent late: p99 %s, worst %s after they were due, because all %d workers were waiting for answers; "+
		"the target got the events later than the scenario times them, so it saw less load than asked. "+
		"If the target has capacity left, raise --workers; otherwise this is its limit",
		report.Millis(s.Lag.P99), report.Millis(s.Lag.Max), workers)
}

// subscribed lists the subscribed types in lifecycle order.
func subscribed(types map[string]bool) []string {
	var out []string
	for _, t := range event.Types {
		if types[t] {
			out = append(out, t)
		}
	}
	return out
}
