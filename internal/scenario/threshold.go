package scenario

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hamsasim/hamsasim/internal/event"
	"github.com/hamsasim/hamsasim/internal/yamlfile"
)

// Metric names what a threshold measures.
type Metric string

// The metrics a threshold can name.
const (
	MetricP50                      Metric = "p50"
	MetricP90                      Metric = "p90"
	MetricP95                      Metric = "p95"
	MetricP99                      Metric = "p99"
	MetricMax                      Metric = "max"
	MetricSuccess                  Metric = "success"
	MetricTimeouts                 Metric = "timeouts"
	MetricErrors                   Metric = "errors"
	MetricDuplicatesUnacknowledged Metric = "duplicates_unacknowledged"
	MetricContractViolations       Metric = "contract_violations"
	// The end-state audit's counts, over the whole run (no event type):
	MetricLost        Metric = "lost"         // acknowledged, but the endpoint has no record (needs a probe API)
	MetricDuplicated  Metric = "duplicated"   // processed more than once by the endpoint (needs a probe API)
	MetricDeadLetters Metric = "dead_letters" // deliveries the platform gave up on
)

// WholeRun reports whether the metric is counted over the whole run only,
// so a threshold on it may not name an event type.
func (m Metric) WholeRun() bool {
	return m == MetricLost || m == MetricDuplicated || m == MetricDeadLetters
}

// Metrics lists every metric, latencies first.
var Metrics = []Metric{
	MetricP50, MetricP90, MetricP95, MetricP99, MetricMax,
	MetricSuccess,
	MetricTimeouts, MetricErrors, MetricDuplicatesUnacknowledged, MetricContractViolations,
	MetricLost, MetricDuplicated, MetricDeadLetters,
}

// ValueKind is the unit of a metric's value.
type ValueKind int

// The value kinds.
const (
	KindLatency ValueKind = iota + 1 // a time.Duration
	KindPercent                      // 0..100
	KindCount                        // a whole number >= 0
)

// Kind is the unit the metric is measured in; 0 for an unknown metric.
func (m Metric) Kind() ValueKind {
	switch m {
	case MetricP50, MetricP90, MetricP95, MetricP99, MetricMax:
		return KindLatency
	case MetricSuccess:
		return KindPercent
	case MetricTimeouts, MetricErrors, MetricDuplicatesUnacknowledged, MetricContractViolations,
		MetricLost, MetricDuplicated, MetricDeadLetters:
		return KindCount
	}
	return 0
}

// Op is a threshold's comparison.
type Op string

// The comparisons.
const (
	OpLess         Op = "<"
	OpLessEqual    Op = "<="
	OpGreater      Op = ">"
	OpGreaterEqual Op = ">="
	OpEqual        Op = "=="
)

// Ops lists every comparison.
var Ops = []Op{OpLess, OpLessEqual, OpGreater, OpGreaterEqual, OpEqual}

// Holds reports whether got compares to limit as the operator says; false
// for an unknown operator.
func (o Op) Holds(got, limit float64) bool {
	switch o {
	case OpLess:
		return got < limit
	case OpLessEqual:
		return got <= limit
	case OpGreater:
		return got > limit
	case OpGreaterEqual:
		return got >= limit
	case OpEqual:
		return got == limit
	}
	return false
}

// Threshold is one pass/fail condition, parsed from a line such as
// "call.ended p99 < 2s". Only the value field matching Metric.Kind() is set.
type Threshold struct {
	EventType string // one of event.Types, or "" for every event
	Metric    Metric
	Op        Op
	Latency   time.Duration // KindLatency
	Percent   float64       // KindPercent, 0..100
	Count     int64         // KindCount
}

// String gives the threshold in its canonical written form; parsing it
// again yields the same Threshold.
func (t Threshold) String() string {
	var v string
	switch t.Metric.Kind() {
	case KindLatency:
		v = yamlfile.ShortDuration(t.Latency)
	case KindPercent:
		v = strconv.FormatFloat(t.Percent, 'f', -1, 64) + "%"
	case KindCount:
		v = strconv.FormatInt(t.Count, 10)
	}
	s := fmt.Sprintf("%s %s %s", t.Metric, t.Op, v)
	if t.EventType != "" {
		s = t.EventType + " " + s
	}
	return s
}

const (
	thresholdExample      = `e.g. "p99 < 5s", "success >= 99.9%", "timeouts == 0", "call.ended p99 < 2s"`
	thresholdOperatorList = "<, <=, >, >=, =="
)

// maxThresholdLatency bounds a latency threshold's value.
const maxThresholdLatency = time.Hour

// maxCount bounds a count threshold's value.
const maxCount = 1_000_000_000

// parseThreshold reads "[event type] metric op value". On failure it returns
// a message saying what is wrong and what is valid.
func parseThreshold(text string) (Threshold, string) {
	var t Threshold
	s := strings.TrimSpace(text)
	if s == "" {
		return t, "is empty; write metric, operator and value, " + thresholdExample
	}
	i, j, msg := thresholdOp(s)
	if msg != "" {
		return t, msg
	}
	t.Op = Op(s[i:j])
	if msg := t.subject(s, s[:i]); msg != "" {
		return t, msg
	}
	v := strings.TrimSpace(s[j:])
	if v == "" {
		return t, fmt.Sprintf("%q has no value after %s", s, t.Op)
	}
	if strings.ContainsAny(v, " \t") {
		return t, fmt.Sprintf("%q has more than one word after %s; the value is one word like 5s, 99.9%% or 0", s, t.Op)
	}
	return t, t.value(s, v)
}

// thresholdOp finds the comparison in s: s[i:j], or a message.
func thresholdOp(s string) (i, j int, msg string) {
	i = strings.IndexAny(s, "<>=!")
	if i < 0 {
		return 0, 0, fmt.Sprintf("%q has no comparison (valid: %s); write metric, operator and value, %s", s, thresholdOperatorList, thresholdExample)
	}
	j = i
	for j < len(s) && strings.IndexByte("<>=!", s[j]) >= 0 {
		j++
	}
	op := s[i:j]
	if !slices.Contains(Ops, Op(op)) {
		hint := ""
		if near, ok := map[string]string{"=": "==", "=<": "<=", "=>": ">=", "<<": "<", ">>": ">", "===": "=="}[op]; ok {
			hint = "; did you mean " + near + "?"
		}
		return 0, 0, fmt.Sprintf("%q is not a comparison%s (valid: %s)", op, hint, thresholdOperatorList)
	}
	return i, j, ""
}

// subject reads the words before the comparison of s: [event type] metric.
func (t *Threshold) subject(s, before string) string {
	words := strings.Fields(before)
	switch len(words) {
	case 0:
		return fmt.Sprintf("%q has no metric before %s (valid metrics: %s)", s, t.Op, strings.Join(metricNames(), ", "))
	case 1:
		t.Metric = Metric(words[0])
	case 2:
		t.EventType, t.Metric = words[0], Metric(words[1])
	default:
		return fmt.Sprintf("%q has %d words before %s; write [event type] metric operator value, %s", s, len(words), t.Op, thresholdExample)
	}
	if t.EventType != "" && !slices.Contains(event.Types, t.EventType) {
		return fmt.Sprintf("%q is not an event type%s (valid: %s)", t.EventType, yamlfile.DidYouMean(t.EventType, event.Types), strings.Join(event.Types, ", "))
	}
	if t.Metric.Kind() == 0 {
		return fmt.Sprintf("%q is not a metric%s (valid: %s)", t.Metric, yamlfile.DidYouMean(string(t.Metric), metricNames()), strings.Join(metricNames(), ", "))
	}
	if t.EventType != "" && t.Metric.WholeRun() {
		return fmt.Sprintf("%s is counted over the whole run, not per event type: write %q", t.Metric, strings.TrimSpace(strings.TrimPrefix(s, t.EventType)))
	}
	return ""
}

// value reads the value v of threshold s by its metric's kind.
func (t *Threshold) value(s, v string) string {
	switch t.Metric.Kind() {
	case KindLatency:
		d, err := time.ParseDuration(v)
		if err != nil {
			return fmt.Sprintf("%s is a latency: the value must be a duration with a unit like 5s or 250ms, not %q", t.Metric, v)
		}
		if d <= 0 || d > maxThresholdLatency {
			return fmt.Sprintf("%s is a latency: the value must be longer than 0 and at most %s, not %s", t.Metric, yamlfile.ShortDuration(maxThresholdLatency), v)
		}
		t.Latency = d
	case KindPercent:
		num, ok := strings.CutSuffix(v, "%")
		f, err := strconv.ParseFloat(num, 64)
		if !ok || err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return fmt.Sprintf("%s is a rate in percent: the value must be a number followed by %%, like 99.9%%, not %q", t.Metric, v)
		}
		if f < 0 || f > 100 {
			return fmt.Sprintf("%s is a rate in percent: %s is outside 0%% to 100%%", t.Metric, v)
		}
		if t.Op == OpGreater && f == 100 {
			return fmt.Sprintf("%q can never pass: no rate is above 100%%; use >= 100%%", s)
		}
		if t.Op == OpLess && f == 0 {
			return fmt.Sprintf("%q can never pass: no rate is below 0%%", s)
		}
		t.Percent = f
	case KindCount:
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 || n > maxCount {
			return fmt.Sprintf("%s is a count: the value must be a whole number from 0 to %d, not %q", t.Metric, maxCount, v)
		}
		if t.Op == OpLess && n == 0 {
			return fmt.Sprintf("%q can never pass: no count is below 0; use %s == 0", s, t.Metric)
		}
		t.Count = n
	}
	return ""
}

func metricNames() []string {
	names := make([]string, len(Metrics))
	for i, m := range Metrics {
		names[i] = string(m)
	}
	return names
}

// ParseThreshold reads one threshold in its written form, as a scenario's
// thresholds list holds it; `report merge` uses it to judge merged shards.
func ParseThreshold(text string) (Threshold, error) {
	t, msg := parseThreshold(text)
	if msg != "" {
		return Threshold{}, &ThresholdError{Text: text, Reason: msg}
	}
	return t, nil
}

// ThresholdError is a threshold that does not parse; it wraps ErrInvalid.
type ThresholdError struct {
	Text   string // the threshold as written
	Reason string // what is wrong, as a sentence that quotes the text
}

func (e *ThresholdError) Error() string {
	return fmt.Sprintf("%s: threshold %q %s", ErrInvalid, e.Text, e.Reason)
}

// Unwrap makes errors.Is(err, ErrInvalid) hold.
func (e *ThresholdError) Unwrap() error { return ErrInvalid }
