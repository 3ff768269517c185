package loadreport

import (
	"bytes"
	"embed"
	"fmt"
	htmltemplate "html/template"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hamsasim/hamsasim/internal/chart"
	"github.com/hamsasim/hamsasim/internal/report"
)

// WriteHTML writes the load report as one self-contained HTML page: no
// script, no external style, font or image; the charts are inline SVG
// drawn by package chart, the layout is the embedded report.html.tmpl. It
// is built from s alone, so a summary.json read back (or merged from
// shards) gives the same page. Every string that came from a user or a
// target (target, description, notes, violation reasons, event types) is
// escaped by html/template. A nil or zero Summary gives a valid page that
// says there is no data. The page is rendered in memory first: on error
// nothing is written.
func WriteHTML(w io.Writer, s *Summary) error {
	if s == nil {
		s = &Summary{}
	}
	var buf bytes.Buffer
	if err := htmlPageTemplate.Execute(&buf, newHTMLPage(s)); err != nil {
		return fmt.Errorf("render html report: %w", err)
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// htmlPage is what the template shows: every number already formatted, so
// the template holds layout only.
type htmlPage struct {
	Title        string
	Scenario     string
	Description  string
	Verdict      string
	VerdictClass string
	Interrupted  bool
	StopReason   string
	Meta         []htmlKV
	Thresholds   []htmlThreshold
	Cards        []htmlCard
	Fixtures     []htmlKV

	LatencyChart    chart.View
	ThroughputChart chart.View
	InFlightChart   chart.View
	DistChart       chart.View
	BucketNote      string

	Types      []htmlTypeRow
	AllTypes   htmlTypeRow
	StatusBars chart.View

	Health []htmlHealth
	Audit  htmlAudit

	Capacity   *htmlCapacity
	Violations []htmlViolation
	Notes      []string
	Footer     string
}

type htmlKV struct{ K, V string }

type htmlCard struct {
	Title string
	Rows  []htmlKV
}

type htmlThreshold struct {
	Threshold, Got, State, Class string
}

type htmlTypeRow struct {
	Type                                                            string
	Deliveries, Acked, Failed, Attempts, Retries, Timeouts          string
	Errors, DupAcked, DupUnacked, Violations, P50, P99, Max         string
	FailedHot, TimeoutsHot, ErrorsHot, DupUnackedHot, ViolationsHot bool
}

type htmlHealth struct {
	Type, Deliveries, Success, Mean, P95, Failures string
	Unhealthy                                      bool
}

type htmlAudit struct {
	Line     string
	Problems []string
	Bad      bool
}

type htmlViolation struct {
	EventType, Status, Reason, Count string
}

type htmlCapacity struct {
	Sentence      string
	Found         bool
	Limit         string
	GeneratorNote string
	StageLen      string
	Chart         chart.View
	Stages        []htmlStage
}

type htmlStage struct {
	N                                          int
	Calls, Events, P50, P99, Success, Timeouts string
	Held                                       bool
	Broken                                     []string
}

func newHTMLPage(s *Summary) htmlPage {
	p := htmlPage{
		Scenario:    s.Scenario,
		Description: s.Description,
		Interrupted: s.Interrupted,
		StopReason:  s.StopReason,
		Notes:       s.Notes,
	}
	p.Title = "hamsasim load report"
	if s.Scenario != "" {
		p.Title += ": " + s.Scenario
	}
	p.Verdict, p.VerdictClass = "FAILED", "fail"
	if s.Passed {
		p.Verdict, p.VerdictClass = "PASSED", "pass"
	}
	p.Meta = htmlHeaderMeta(s)
	p.Thresholds = htmlThresholds(s.Thresholds)
	p.Cards = htmlCards(s)
	for _, name := range htmlSortedKeys(s.Calls.Fixtures) {
		p.Fixtures = append(p.Fixtures, htmlKV{name, chart.Int(s.Calls.Fixtures[name])})
	}

	tl := s.Timeline
	p.LatencyChart = latencyOverTimeChart(tl).Render()
	p.ThroughputChart = throughputOverTimeChart(tl).Render()
	p.InFlightChart = inFlightOverTimeChart(tl).Render()
	p.DistChart = latencyDistChart(s).Render()
	if n := len(tl.Buckets); tl.BucketMs > 0 && n > 0 {
		unit := "buckets"
		if n == 1 {
			unit = "bucket"
		}
		p.BucketNote = fmt.Sprintf("%s %s of %s, by the time attempts finished.",
			chart.Int(int64(n)), unit, showDur(tl.BucketMs))
	}

	for _, t := range s.PerType {
		p.Types = append(p.Types, newHTMLTypeRow(t.Type, t.Stats))
	}
	p.AllTypes = newHTMLTypeRow("all types", s.Overall)
	p.StatusBars = statusBarChart(s).Render()
	for _, h := range s.Health {
		p.Health = append(p.Health, htmlHealth{
			Type: h.EventType, Deliveries: chart.Int(h.Deliveries), Success: report.Percent(h.SuccessPct),
			Mean: report.Millis(h.MeanMs), P95: report.Millis(h.P95Ms), Failures: report.FailureList(h.Failures),
			Unhealthy: h.SuccessPct < 100,
		})
	}
	p.Audit = htmlAudit{Line: AuditLine(s.Audit), Problems: s.Audit.Problems,
		Bad: s.Audit.Lost > 0 || s.Audit.Duplicated > 0 || s.Audit.Unchecked > 0 || s.Audit.DeadLettered > 0}

	if s.Capacity != nil {
		p.Capacity = newHTMLCapacity(s.Capacity)
	}
	for _, v := range s.Violations {
		status := "no answer"
		if v.Status != 0 {
			status = strconv.Itoa(v.Status)
		}
		p.Violations = append(p.Violations, htmlViolation{v.EventType, status, v.Reason, chart.Int(v.Count)})
	}

	p.Footer = "generated by hamsasim"
	if s.Tool != "" && s.Tool != "hamsasim" {
		p.Footer += " (" + s.Tool + ")"
	}
	p.Footer += " · summary version " + strconv.Itoa(s.Version)
	return p
}

func htmlHeaderMeta(s *Summary) []htmlKV {
	target := s.Target
	if target == "" {
		target = "not recorded"
	}
	if s.TargetKind != "" {
		target += " (" + s.TargetKind + ")"
	}
	meta := []htmlKV{{"target", target}}
	if s.Source != "" {
		meta = append(meta, htmlKV{"scenario source", s.Source})
	}
	meta = append(meta,
		htmlKV{"seed", strconv.FormatUint(s.Seed, 10)},
		htmlKV{"shard", htmlShard(s)},
		htmlKV{"started", showTime(s.StartedAt)},
		htmlKV{"ended", showTime(s.EndedAt)},
		htmlKV{"arrival time", showDur(s.ArrivalMs)},
		htmlKV{"elapsed time", showDur(s.ElapsedMs) + " (drain included)"},
	)
	if d := s.Delivery; d.TimeoutMs > 0 {
		policy := "timeout " + showDur(d.TimeoutMs)
		switch d.Retries {
		case 0:
			policy += " · no retries"
		case 1:
			policy += " · 1 retry"
		default:
			policy += " · " + strconv.Itoa(d.Retries) + " retries"
		}
		switch {
		case d.Retries > 0 && len(d.WaitsMs) > 0:
			waits := make([]string, len(d.WaitsMs))
			for i, w := range d.WaitsMs {
				waits[i] = showDur(w)
			}
			policy += " · " + d.Schedule + " schedule: waits " + strings.Join(waits, ", ")
		case d.Retries > 0 && d.BackoffBaseMs > 0:
			policy += " · backoff " + showDur(d.BackoffBaseMs)
			if d.BackoffFactor > 0 && d.BackoffFactor != 1 {
				policy += " ×" + chart.Num(d.BackoffFactor)
			}
			if d.BackoffMaxMs > 0 {
				policy += ", at most " + showDur(d.BackoffMaxMs)
			}
		}
		if d.Retries > 0 && d.JitterPct > 0 {
			policy += " · jitter ±" + chart.Num(d.JitterPct) + "%"
		}
		meta = append(meta, htmlKV{"delivery", policy})
	}
	return meta
}

// htmlShard shows the shard as --shard takes it: i/n with i from 0.
func htmlShard(s *Summary) string {
	switch {
	case s.Merged == 1:
		return "merged from 1 shard"
	case s.Merged > 1:
		return "merged from " + strconv.Itoa(s.Merged) + " shards"
	case s.Shard.Count > 1:
		return fmt.Sprintf("shard %d/%d (--shard %d/%d)", s.Shard.Index+1, s.Shard.Count, s.Shard.Index, s.Shard.Count)
	}
	return "not sharded"
}

func htmlThresholds(ts []ThresholdResult) []htmlThreshold {
	rows := make([]htmlThreshold, 0, len(ts))
	for _, t := range ts {
		r := htmlThreshold{Threshold: t.Threshold, Got: t.GotText}
		switch {
		case t.NoData:
			r.State, r.Class, r.Got = "no data", "nodata", "—"
		case t.Held:
			r.State, r.Class = "held", "held"
		default:
			r.State, r.Class = "failed", "failed"
		}
		if r.Got == "" {
			r.Got = chart.Num(t.Got)
		}
		rows = append(rows, r)
	}
	return rows
}

func htmlCards(s *Summary) []htmlCard {
	c, o, l := s.Calls, s.Overall, s.Overall.Latency
	success := "—" // nothing finished, so nothing to rate
	if o.Acked+o.Failed > 0 {
		success = chart.Pct(o.SuccessPct)
	}
	late := chart.Int(c.Late)
	if c.Late > 0 {
		late += " (worst " + showDur(c.LateMaxMs) + ")"
	}
	return []htmlCard{
		{"Calls", []htmlKV{
			{"planned", chart.Int(c.Planned)},
			{"started", chart.Int(c.Started)},
			{"completed", chart.Int(c.Completed)},
			{"incomplete", chart.Int(c.Incomplete)},
			{"out of order", chart.Int(c.OutOfOrder)},
			{"late", late},
			{"max in flight", chart.Int(c.MaxInFlight)},
		}},
		{"Deliveries", []htmlKV{
			{"deliveries", chart.Int(o.Deliveries)},
			{"acked", chart.Int(o.Acked)},
			{"failed", chart.Int(o.Failed)},
			{"unsent", chart.Int(o.Unsent)},
			{"success", success},
			{"duplicates sent", chart.Int(o.Duplicates)},
			{"duplicates acked", chart.Int(o.DuplicatesAcked)},
			{"duplicates unacked", chart.Int(o.DuplicatesUnacked)},
			{"contract violations", chart.Int(o.ContractViolations)},
		}},
		{"Attempts", []htmlKV{
			{"attempts", chart.Int(o.Attempts)},
			{"retries", chart.Int(o.Retries)},
			{"timeouts", chart.Int(o.Timeouts)},
			{"errors", chart.Int(o.Errors)},
			{"attempts/s", chart.Num(o.AttemptsPerSec)},
			{"acked/s", chart.Num(o.AckedPerSec)},
			{"bytes out", showBytes(o.BytesOut)},
			{"bytes in", showBytes(o.BytesIn)},
		}},
		{"Latency (per attempt)", []htmlKV{
			{"p50", showLat(l, l.P50)},
			{"p90", showLat(l, l.P90)},
			{"p95", showLat(l, l.P95)},
			{"p99", showLat(l, l.P99)},
			{"p99.9", showLat(l, l.P999)},
			{"max", showLat(l, l.Max)},
			{"mean", showLat(l, l.Mean)},
			{"attempts timed", chart.Int(l.Count)},
			{"sent after due, p99", showLat(s.Lag, s.Lag.P99)},
			{"sent after due, max", showLat(s.Lag, s.Lag.Max)},
		}},
	}
}

func newHTMLTypeRow(name string, st Stats) htmlTypeRow {
	l := st.Latency
	return htmlTypeRow{
		Type:          name,
		Deliveries:    chart.Int(st.Deliveries),
		Acked:         chart.Int(st.Acked),
		Failed:        chart.Int(st.Failed),
		Attempts:      chart.Int(st.Attempts),
		Retries:       chart.Int(st.Retries),
		Timeouts:      chart.Int(st.Timeouts),
		Errors:        chart.Int(st.Errors),
		DupAcked:      chart.Int(st.DuplicatesAcked),
		DupUnacked:    chart.Int(st.DuplicatesUnacked),
		Violations:    chart.Int(st.ContractViolations),
		P50:           showLat(l, l.P50),
		P99:           showLat(l, l.P99),
		Max:           showLat(l, l.Max),
		FailedHot:     st.Failed > 0,
		TimeoutsHot:   st.Timeouts > 0,
		ErrorsHot:     st.Errors > 0,
		DupUnackedHot: st.DuplicatesUnacked > 0,
		ViolationsHot: st.ContractViolations > 0,
	}
}

func newHTMLCapacity(c *Capacity) *htmlCapacity {
	v := &htmlCapacity{Found: c.Found, Limit: c.Limit, GeneratorNote: c.GeneratorNote}
	if c.Found {
		v.Sentence = fmt.Sprintf("Highest rate that held: %s calls/s (%s events/s)",
			chart.Num(c.CallsPerSec), chart.Num(c.EventsPerSec))
		if c.BrokenAt > 0 {
			v.Sentence += "; broke at " + chart.Num(c.BrokenAt) + " calls/s"
		} else {
			v.Sentence += "; no rate tried broke a threshold"
		}
	} else {
		v.Sentence = "No rate held"
		if c.BrokenAt > 0 {
			v.Sentence += ": even " + chart.Num(c.BrokenAt) + " calls/s broke a threshold"
		}
	}
	if c.StageMs > 0 {
		v.StageLen = showDur(c.StageMs)
	}
	for i, st := range c.Stages {
		v.Stages = append(v.Stages, htmlStage{
			N:        i + 1,
			Calls:    chart.Num(st.CallsPerSec),
			Events:   chart.Num(st.EventsPerSec),
			P50:      chart.Ms(st.P50),
			P99:      chart.Ms(st.P99),
			Success:  chart.Pct(st.SuccessPct),
			Timeouts: chart.Int(st.Timeouts),
			Held:     st.Held,
			Broken:   st.Broken,
		})
	}
	v.Chart = capacityStagesChart(c).Render()
	return v
}

// Formatting for the page, beyond the chart's own number formats.

// showLat is chart.Ms, or a dash when l timed nothing.
func showLat(l Latency, v float64) string {
	if l.Count == 0 && l.Max == 0 {
		return "—"
	}
	return chart.Ms(v)
}

func showBytes(n int64) string {
	v := float64(n)
	for _, u := range []string{"B", "kB", "MB", "GB", "TB"} {
		if math.Abs(v) < 999.5 || u == "TB" {
			if u == "B" {
				return chart.Int(n) + " B"
			}
			return chart.Num(v) + " " + u
		}
		v /= 1000
	}
	return chart.Int(n) + " B"
}

// showDur shows a length of time: "850 ms", "12.3 s", "2m5s", "1h".
func showDur(ms int64) string {
	switch {
	case ms < 1000:
		return chart.Int(ms) + " ms"
	case ms < 60_000:
		return chart.Num(float64(ms)/1000) + " s"
	}
	// Whole seconds from a minute up, as the time axis shows them.
	return chart.Secs((time.Duration(ms) * time.Millisecond).Round(time.Second).Seconds())
}

func showTime(t time.Time) string {
	if t.IsZero() {
		return "not recorded"
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}

func htmlSortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

//go:embed report.html.tmpl
var htmlFiles embed.FS

// htmlPageTemplate is report.html.tmpl with the chart package's "chart"
// template, parsed once.
var htmlPageTemplate = htmltemplate.Must(chart.Define(
	htmltemplate.Must(htmltemplate.New("report.html.tmpl").ParseFS(htmlFiles, "report.html.tmpl"))))
