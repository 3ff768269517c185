package loadreport

import (
	"fmt"
	"strconv"

	"github.com/hamsasim/hamsasim/internal/probe"
	"github.com/hamsasim/hamsasim/internal/report"
	"github.com/hamsasim/hamsasim/internal/scenario"
)

// Audited adds the endpoint's side of the end-state audit, as its records
// (the probe API or the database; where, redacted) told it for calls, and
// judges the thresholds again. hint says what to check when the records
// know no call at all.
func (s *Summary) Audited(where, hint string, calls int, res probe.AuditResult, ths []scenario.Threshold) {
	a := &s.Audit
	a.Probe, a.Calls = where, int64(calls)
	a.Checked, a.Recorded, a.Lost, a.Duplicated = res.Checked, res.Recorded, res.Lost, res.Duplicated
	a.NotFound, a.Unchecked, a.Problems, a.NoEffects = res.NotFound, res.Unchecked, res.Problems, res.NoEffects
	if a.NotFound > 0 && a.NotFound == a.Checked && a.Acknowledged > 0 {
		s.Notes = append(s.Notes, fmt.Sprintf("%s had no record of any call: %s", where, hint))
	}
	if a.NoEffects {
		s.Notes = append(s.Notes, "duplicates were not checked: --effects-query returns no effects column (see the README's queries)")
	}
	s.Judge(ths)
}

// Judge sets what follows from the summary's figures: the endpoint's
// health, each of ths judged, and Passed, which needs every threshold held
// and a run that neither was interrupted nor stopped early (a run cut
// short did not deliver every started call whole, whatever the
// thresholds say). It may be called again after the figures change.
//
// When the end-state audit ran, lost == 0 and duplicated == 0 are judged
// whatever the scenario says: a check that ran and measured a loss never
// passes. A scenario's own threshold on the metric is judged as well.
func (s *Summary) Judge(ths []scenario.Threshold) {
	s.Health = healthOf(s)
	s.Thresholds = evaluate(withAuditFloor(ths, s.Audit), s)
	s.Passed = !s.Interrupted && s.StopReason == "" && AllHeld(s.Thresholds)
}

// withAuditFloor adds lost == 0 and duplicated == 0 to ths when the audit
// ran and ths does not hold them already, word for word.
func withAuditFloor(ths []scenario.Threshold, a Audit) []scenario.Threshold {
	if !a.probed() {
		return ths
	}
	out := append([]scenario.Threshold(nil), ths...)
	for _, m := range []scenario.Metric{scenario.MetricLost, scenario.MetricDuplicated} {
		if m == scenario.MetricDuplicated && a.NoEffects {
			// Not measured, and not asked for: a note says so. A
			// scenario's own threshold on it is judged, and fails.
			continue
		}
		floor := scenario.Threshold{Metric: m, Op: scenario.OpEqual, Count: 0}
		have := false
		for _, th := range ths {
			have = have || th.String() == floor.String()
		}
		if !have {
			out = append(out, floor)
		}
	}
	return out
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

// AllHeld reports whether every threshold result held (a threshold with no
// data counts as held).
func AllHeld(ts []ThresholdResult) bool {
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

// evaluate judges each threshold against the summary's stats.
func evaluate(ths []scenario.Threshold, s *Summary) []ThresholdResult {
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
		tr.Limit = limit
		tr.Held = th.Op.Holds(tr.Got, limit)
		out = append(out, tr)
	}
	return out
}

// judgeAudit judges a threshold on the end-state audit. Lost and duplicated
// events are only known from the endpoint's records (a probe API or its
// database); without them, with calls they could not tell, or (for
// duplicates) without a record of effects, such a threshold fails rather
// than pass unchecked.
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
	tr.Limit = float64(th.Count)
	tr.Held = th.Op.Holds(tr.Got, tr.Limit)
	if th.Metric == scenario.MetricDeadLetters {
		return tr
	}
	switch {
	case !a.probed():
		tr.NoData, tr.Held = true, false
		tr.GotText = "not checked: the endpoint's side needs --probe-url (a probe API) or --effects-db"
	case th.Metric == scenario.MetricDuplicated && a.NoEffects:
		tr.NoData, tr.Held = true, false
		tr.GotText = "not checked: --effects-query returns no effects column"
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
