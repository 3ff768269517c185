package load

import (
	"bytes"
	"cmp"
	"fmt"
	htmltemplate "html/template"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hamsasim/hamsasim/internal/report"
)

// WriteHTML writes the load report as one self-contained HTML page: no
// script, no external style, font or image; the charts are inline SVG drawn
// here. It is built from s alone, so a summary.json read back (or merged
// from shards) gives the same page. Every string that came from a user or a
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

	LatencyChart    chartView
	ThroughputChart chartView
	InFlightChart   chartView
	DistChart       chartView
	BucketNote      string

	Types      []htmlTypeRow
	AllTypes   htmlTypeRow
	StatusBars chartView

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
	Chart         chartView
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
		p.Fixtures = append(p.Fixtures, htmlKV{name, showInt(s.Calls.Fixtures[name])})
	}

	tl := s.Timeline
	p.LatencyChart = latencyOverTimeChart(tl).render()
	p.ThroughputChart = throughputOverTimeChart(tl).render()
	p.InFlightChart = inFlightOverTimeChart(tl).render()
	p.DistChart = latencyDistChart(s).render()
	if n := len(tl.Buckets); tl.BucketMs > 0 && n > 0 {
		unit := "buckets"
		if n == 1 {
			unit = "bucket"
		}
		p.BucketNote = fmt.Sprintf("%s %s of %s, by the time attempts finished.",
			showInt(int64(n)), unit, showDur(tl.BucketMs))
	}

	for _, t := range s.PerType {
		p.Types = append(p.Types, newHTMLTypeRow(t.Type, t.Stats))
	}
	p.AllTypes = newHTMLTypeRow("all types", s.Overall)
	p.StatusBars = statusBarChart(s).render()
	for _, h := range s.Health {
		p.Health = append(p.Health, htmlHealth{
			Type: h.EventType, Deliveries: showInt(h.Deliveries), Success: report.Percent(h.SuccessPct),
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
		p.Violations = append(p.Violations, htmlViolation{v.EventType, status, v.Reason, showInt(v.Count)})
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
				policy += " ×" + showNum(d.BackoffFactor)
			}
			if d.BackoffMaxMs > 0 {
				policy += ", at most " + showDur(d.BackoffMaxMs)
			}
		}
		if d.Retries > 0 && d.JitterPct > 0 {
			policy += " · jitter ±" + showNum(d.JitterPct) + "%"
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
			r.Got = showNum(t.Got)
		}
		rows = append(rows, r)
	}
	return rows
}

func htmlCards(s *Summary) []htmlCard {
	c, o, l := s.Calls, s.Overall, s.Overall.Latency
	success := "—" // nothing finished, so nothing to rate
	if o.Acked+o.Failed > 0 {
		success = showPct(o.SuccessPct)
	}
	late := showInt(c.Late)
	if c.Late > 0 {
		late += " (worst " + showDur(c.LateMaxMs) + ")"
	}
	return []htmlCard{
		{"Calls", []htmlKV{
			{"planned", showInt(c.Planned)},
			{"started", showInt(c.Started)},
			{"completed", showInt(c.Completed)},
			{"incomplete", showInt(c.Incomplete)},
			{"out of order", showInt(c.OutOfOrder)},
			{"late", late},
			{"max in flight", showInt(c.MaxInFlight)},
		}},
		{"Deliveries", []htmlKV{
			{"deliveries", showInt(o.Deliveries)},
			{"acked", showInt(o.Acked)},
			{"failed", showInt(o.Failed)},
			{"unsent", showInt(o.Unsent)},
			{"success", success},
			{"duplicates sent", showInt(o.Duplicates)},
			{"duplicates acked", showInt(o.DuplicatesAcked)},
			{"duplicates unacked", showInt(o.DuplicatesUnacked)},
			{"contract violations", showInt(o.ContractViolations)},
		}},
		{"Attempts", []htmlKV{
			{"attempts", showInt(o.Attempts)},
			{"retries", showInt(o.Retries)},
			{"timeouts", showInt(o.Timeouts)},
			{"errors", showInt(o.Errors)},
			{"attempts/s", showNum(o.AttemptsPerSec)},
			{"acked/s", showNum(o.AckedPerSec)},
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
			{"attempts timed", showInt(l.Count)},
			{"sent after due, p99", showLat(s.Lag, s.Lag.P99)},
			{"sent after due, max", showLat(s.Lag, s.Lag.Max)},
		}},
	}
}

func newHTMLTypeRow(name string, st Stats) htmlTypeRow {
	l := st.Latency
	return htmlTypeRow{
		Type:          name,
		Deliveries:    showInt(st.Deliveries),
		Acked:         showInt(st.Acked),
		Failed:        showInt(st.Failed),
		Attempts:      showInt(st.Attempts),
		Retries:       showInt(st.Retries),
		Timeouts:      showInt(st.Timeouts),
		Errors:        showInt(st.Errors),
		DupAcked:      showInt(st.DuplicatesAcked),
		DupUnacked:    showInt(st.DuplicatesUnacked),
		Violations:    showInt(st.ContractViolations),
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
			showNum(c.CallsPerSec), showNum(c.EventsPerSec))
		if c.BrokenAt > 0 {
			v.Sentence += "; broke at " + showNum(c.BrokenAt) + " calls/s"
		} else {
			v.Sentence += "; no rate tried broke a threshold"
		}
	} else {
		v.Sentence = "No rate held"
		if c.BrokenAt > 0 {
			v.Sentence += ": even " + showNum(c.BrokenAt) + " calls/s broke a threshold"
		}
	}
	if c.StageMs > 0 {
		v.StageLen = showDur(c.StageMs)
	}
	for i, st := range c.Stages {
		v.Stages = append(v.Stages, htmlStage{
			N:        i + 1,
			Calls:    showNum(st.CallsPerSec),
			Events:   showNum(st.EventsPerSec),
			P50:      showMs(st.P50),
			P99:      showMs(st.P99),
			Success:  showPct(st.SuccessPct),
			Timeouts: showInt(st.Timeouts),
			Held:     st.Held,
			Broken:   st.Broken,
		})
	}
	v.Chart = capacityStagesChart(c).render()
	return v
}

// The charts of the page.

// Series colours: Tableau 10, readable on white and told apart by most
// colour-blind readers; the overall series is drawn in near-black.
var chartPalette = []string{"#4e79a7", "#f28e2b", "#59a14f", "#b07aa1", "#edc948", "#76b7b2", "#ff9da7", "#9c755f", "#bab0ac", "#e15759"}

const (
	chartColorAll     = "#1d2329"
	chartColorP50     = "#4e79a7"
	chartColorP99     = "#f28e2b"
	chartColorMax     = "#e15759"
	chartColorAcked   = "#59a14f"
	chartColorTimeout = "#7b3294"
)

func chartBucketX(b Bucket) float64 { return float64(b.AtMs) / 1000 }

func chartTimeAxis() chartAxis {
	return chartAxis{Label: "time since start", Format: showSecs, Time: true}
}

func latencyOverTimeChart(tl Timeline) svgLineChart {
	c := svgLineChart{
		Title:  "Latency over time",
		Height: 260,
		X:      chartTimeAxis(),
		Y:      chartAxis{Label: "latency", Format: showMs},
		Empty:  "No timeline: no attempt finished.",
	}
	p50 := chartSeries{Name: "p50", Color: chartColorP50}
	p99 := chartSeries{Name: "p99", Color: chartColorP99}
	mx := chartSeries{Name: "max", Color: chartColorMax, Dash: true}
	for _, b := range tl.Buckets {
		x := chartBucketX(b)
		if b.Attempts == 0 {
			// A bucket with no attempt has no latency: a gap, not a zero.
			p50.Pts = append(p50.Pts, chartGap(x))
			p99.Pts = append(p99.Pts, chartGap(x))
			mx.Pts = append(mx.Pts, chartGap(x))
			continue
		}
		p50.Pts = append(p50.Pts, chartPoint{X: x, Y: b.P50})
		p99.Pts = append(p99.Pts, chartPoint{X: x, Y: b.P99})
		mx.Pts = append(mx.Pts, chartPoint{X: x, Y: b.Max})
	}
	c.Series = []chartSeries{p50, p99, mx}
	return c
}

func throughputOverTimeChart(tl Timeline) svgLineChart {
	c := svgLineChart{
		Title:  "Throughput",
		Height: 260,
		X:      chartTimeAxis(),
		Y:      chartAxis{Label: "per second", Format: showNum},
		Empty:  "No timeline: no attempt finished.",
	}
	if tl.BucketMs <= 0 {
		// Without a bucket size there is no rate to draw.
		if len(tl.Buckets) > 0 {
			c.Empty = "No bucket size recorded: rates cannot be computed."
		}
		return c
	}
	per := float64(tl.BucketMs) / 1000
	att := chartSeries{Name: "attempts/s", Color: chartColorP50}
	ack := chartSeries{Name: "acked/s", Color: chartColorAcked}
	errs := chartSeries{Name: "errors/s", Color: chartColorMax}
	tos := chartSeries{Name: "timeouts/s", Color: chartColorTimeout, Dash: true}
	for _, b := range tl.Buckets {
		x := chartBucketX(b)
		att.Pts = append(att.Pts, chartPoint{X: x, Y: float64(b.Attempts) / per})
		ack.Pts = append(ack.Pts, chartPoint{X: x, Y: float64(b.Acked) / per})
		errs.Pts = append(errs.Pts, chartPoint{X: x, Y: float64(b.Errors) / per})
		tos.Pts = append(tos.Pts, chartPoint{X: x, Y: float64(b.Timeouts) / per})
	}
	c.Series = []chartSeries{att, ack, errs, tos}
	return c
}

func inFlightOverTimeChart(tl Timeline) svgLineChart {
	c := svgLineChart{
		Title:  "Calls in flight",
		Height: 160,
		X:      chartTimeAxis(),
		Y:      chartAxis{Label: "calls", Format: showNum},
		Empty:  "No timeline: no attempt finished.",
	}
	s := chartSeries{Name: "calls in flight (at bucket end)", Color: chartColorAll}
	for _, b := range tl.Buckets {
		s.Pts = append(s.Pts, chartPoint{X: chartBucketX(b), Y: float64(b.InFlight)})
	}
	c.Series = []chartSeries{s}
	return c
}

// chartPctMaxX is where the percentile axis ends: p=100 (the max) would be at
// infinity, so it is clamped to one step past 99.99.
const chartPctMaxX = 5

// chartPercentileX places percentile p on the distribution chart's x axis:
// 0, 90, 99, 99.9 and 99.99 fall on 0, 1, 2, 3 and 4, like HdrHistogram's
// plots.
func chartPercentileX(p float64) float64 {
	if p >= 100 {
		return chartPctMaxX
	}
	return min(-math.Log10(1-p/100), chartPctMaxX)
}

func latencyDistChart(s *Summary) svgLineChart {
	c := svgLineChart{
		Title:  "Latency by percentile",
		Height: 280,
		X: chartAxis{Label: "percentile", Ticks: []chartTick{
			{0, "0%"}, {1, "90%"}, {2, "99%"}, {3, "99.9%"}, {4, "99.99%"}, {chartPctMaxX, "max"},
		}},
		Y:     chartAxis{Label: "latency", Format: showMs},
		Empty: "No latency distribution recorded.",
	}
	add := func(name, color string, bold bool, dist []float64) {
		if len(dist) == 0 {
			return
		}
		sr := chartSeries{Name: name, Color: color, Bold: bold}
		for i, p := range DistributionPercentiles {
			if i >= len(dist) {
				break
			}
			sr.Pts = append(sr.Pts, chartPoint{X: chartPercentileX(p), Y: dist[i]})
		}
		c.Series = append(c.Series, sr)
	}
	add("all types", chartColorAll, true, s.Overall.Latency.Distribution)
	for i, t := range s.PerType {
		add(t.Type, chartPalette[i%len(chartPalette)], false, t.Latency.Distribution)
	}
	// A log scale when the tail is two decades above the head, so both
	// stay readable; it needs every value above zero.
	lo, hi := math.Inf(1), 0.0
	for _, sr := range c.Series {
		for _, p := range sr.Pts {
			if isFinite(p.Y) {
				lo, hi = min(lo, p.Y), max(hi, p.Y)
			}
		}
	}
	if lo > 0 && hi/lo >= 100 {
		c.Y.Log = true
		c.Y.Label = "latency (log scale)"
	}
	return c
}

func capacityStagesChart(c *Capacity) svgLineChart {
	ch := svgLineChart{
		Title:  "Capacity search",
		Height: 260,
		X:      chartAxis{Label: "arrival rate (calls/s)", Format: showNum},
		Y:      chartAxis{Label: "p99", Format: showMs},
		Y2:     successAxis(c.Stages),
		Empty:  "No stage ran.",
		Note:   "Filled markers held every threshold; hollow markers broke one.",
	}
	// Stages run in search order (up, then back down to bisect): the
	// lines join them by rate, and the table keeps the run order.
	stages := slices.Clone(c.Stages)
	slices.SortStableFunc(stages, func(a, b Stage) int { return cmp.Compare(a.CallsPerSec, b.CallsPerSec) })
	p99 := chartSeries{Name: "p99", Color: chartColorP99, Dots: true}
	ok := chartSeries{Name: "success", Color: chartColorAcked, Dots: true, Right: true, Dash: true}
	for _, st := range stages {
		tip := fmt.Sprintf("%s calls/s: p99 %s, success %s", showNum(st.CallsPerSec), showMs(st.P99), showPct(st.SuccessPct))
		p99.Pts = append(p99.Pts, chartPoint{X: st.CallsPerSec, Y: st.P99, Hollow: !st.Held, Tip: tip})
		ok.Pts = append(ok.Pts, chartPoint{X: st.CallsPerSec, Y: st.SuccessPct, Hollow: !st.Held, Tip: tip})
	}
	ch.Series = []chartSeries{p99, ok}
	if c.Found {
		ch.Marks = append(ch.Marks, chartMark{X: c.CallsPerSec, Label: "held " + showNum(c.CallsPerSec), Color: chartColorAcked})
	}
	if c.BrokenAt > 0 {
		ch.Marks = append(ch.Marks, chartMark{X: c.BrokenAt, Label: "broke " + showNum(c.BrokenAt), Color: chartColorMax})
	}
	return ch
}

// successAxis is the right axis of the capacity chart: it ends at 100 %
// and starts a power of ten below it (90 %, 99 %, 0 %), so a fall from
// 100 % to 99.7 % is as visible as one to 60 %.
func successAxis(stages []Stage) *chartAxis {
	lo := 100.0
	for _, st := range stages {
		if isFinite(st.SuccessPct) {
			lo = min(lo, st.SuccessPct)
		}
	}
	span := 1.0
	for span < 100 && 100-span > lo {
		span *= 10
	}
	a := &chartAxis{Label: "success"}
	for i := range 5 {
		v := 100 - span + float64(i)*span/4
		a.Ticks = append(a.Ticks, chartTick{v, showPct(v)})
	}
	return a
}

// statusBarChart is one stacked bar per event type (and one for all of them)
// of attempts by outcome, each bar scaled to 100 %.
func statusBarChart(s *Summary) svgBarChart {
	b := svgBarChart{
		Title: "Attempts by outcome",
		Note:  "Each bar is one event type's attempts (count at the right), split by HTTP status or error class.",
		Empty: "No attempt was made.",
	}
	keySet := map[string]bool{}
	add := func(label string, status map[string]int64) {
		row := chartBarRow{Label: label}
		for _, k := range statusOrder(status) {
			if status[k] > 0 {
				row.Segs = append(row.Segs, chartBarSeg{Key: k, N: status[k]})
				row.Total += status[k]
				keySet[k] = true
			}
		}
		if row.Total > 0 {
			b.Rows = append(b.Rows, row)
		}
	}
	add("all types", s.Overall.Status)
	for _, t := range s.PerType {
		add(t.Type, t.Status)
	}
	b.Keys = statusOrder(keySet)
	b.Colors = chartStatusColors(b.Keys)
	return b
}

// statusOrder orders outcomes as a reader scans them: HTTP statuses by
// number, then error classes by name.
func statusOrder[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int {
		na, ea := strconv.Atoi(a)
		nb, eb := strconv.Atoi(b)
		switch {
		case ea == nil && eb == nil:
			return cmp.Or(cmp.Compare(na, nb), strings.Compare(a, b))
		case ea == nil:
			return -1
		case eb == nil:
			return 1
		}
		return strings.Compare(a, b)
	})
	return keys
}

// chartStatusColors gives each outcome a colour by family: greens for 2xx,
// blues for 3xx, oranges for 4xx, reds for 5xx, purple for timeouts and
// browns and greys for the other error classes.
func chartStatusColors(keys []string) map[string]string {
	families := map[string][]string{
		"2": {"#59a14f", "#8cd17d", "#2f6b2a"},
		"3": {"#4e79a7", "#a0cbe8"},
		"4": {"#f28e2b", "#ffbe7d", "#c26a11", "#f1ce63"},
		"5": {"#e15759", "#ff9d9a", "#a52a2a", "#d37295"},
		"x": {"#9c755f", "#79706e", "#bab0ac", "#d7b5a6", "#5c4d45"},
	}
	used := map[string]int{}
	colors := make(map[string]string, len(keys))
	for _, k := range keys {
		if k == "timeout" {
			colors[k] = chartColorTimeout
			continue
		}
		fam := "x"
		if n, err := strconv.Atoi(k); err == nil && n >= 200 && n < 600 {
			fam = strconv.Itoa(n / 100)
		}
		pal := families[fam]
		colors[k] = pal[used[fam]%len(pal)]
		used[fam]++
	}
	return colors
}

// The chart helper: a line chart with several series on a shared x axis
// (numbers, time, or fixed labelled ticks for categories and percentiles),
// a y axis with nice ticks or a log scale, an optional right y axis, and a
// stacked horizontal bar chart. Both render to chartView, plain geometry
// that the template turns into SVG, so every label is escaped there.

const (
	chartW    = 720.0
	chartTop  = 24.0
	chartBot  = 40.0
	chartLeft = 64.0
)

type svgLineChart struct {
	Title  string
	Height float64
	X, Y   chartAxis
	Y2     *chartAxis // right axis, for series with Right set
	Series []chartSeries
	Marks  []chartMark
	Empty  string // shown instead of the chart when there is nothing to draw
	Note   string
}

type chartAxis struct {
	Label  string
	Format func(float64) string // tick labels; showNum if nil
	Log    bool                 // log10 scale; values <= 0 are not drawn
	Time   bool                 // values are seconds: ticks fall on 1s, 10s, 1m, 5m, ...
	Ticks  []chartTick          // fixed ticks, which also fix the range to first..last
}

type chartTick struct {
	V     float64
	Label string
}

type chartSeries struct {
	Name  string
	Color string
	Pts   []chartPoint // a non-finite Y is a gap in the line
	Right bool         // against the right axis
	Dash  bool
	Bold  bool
	Dots  bool // a marker at every point, not only at isolated ones
}

type chartPoint struct {
	X, Y   float64
	Hollow bool   // an open marker
	Tip    string // the marker's tooltip
}

func chartGap(x float64) chartPoint { return chartPoint{X: x, Y: math.NaN()} }

// chartMark is a labelled vertical reference line.
type chartMark struct {
	X     float64
	Label string
	Color string
}

// chartView is a chart as SVG primitives, coordinates already formatted.
type chartView struct {
	Title  string
	Empty  string
	Note   string
	W, H   string
	Lines  []svgLine
	Texts  []svgText
	Paths  []svgPath
	Dots   []svgDot
	Rects  []svgRect
	Legend []chartLegend
}

type svgLine struct{ X1, Y1, X2, Y2, Class, Color string }

type svgText struct {
	X, Y, Anchor, Class, S, Tip string
}

type svgPath struct {
	D, Color, Width string
	Dash            bool
}

type svgDot struct {
	X, Y, Color, Fill, Tip string
}

type svgRect struct {
	X, Y, W, H, Fill, Tip string
}

type chartLegend struct {
	Name, Color string
	Dash, Box   bool
}

// chartScale maps data values to pixels.
type chartScale struct {
	lo, hi float64 // data range (log10 of it on a log scale)
	log    bool
	p0, p1 float64 // pixel range
}

func (s chartScale) at(v float64) float64 {
	if s.log {
		v = math.Log10(v)
	}
	v = min(max(v, s.lo), s.hi)
	return s.p0 + (v-s.lo)/(s.hi-s.lo)*(s.p1-s.p0)
}

func (s chartScale) in(v float64) bool {
	if s.log {
		if v <= 0 {
			return false
		}
		v = math.Log10(v)
	}
	const eps = 1e-9
	return v >= s.lo-eps && v <= s.hi+eps
}

// resolve picks an axis's range and ticks for the values it must show.
func (a chartAxis) resolve(vals []float64, p0, p1 float64) (chartScale, []chartTick) {
	format := a.Format
	if format == nil {
		format = showNum
	}
	if len(a.Ticks) > 0 {
		lo, hi := a.Ticks[0].V, a.Ticks[len(a.Ticks)-1].V
		return chartScale{lo: lo, hi: hi, p0: p0, p1: p1}, a.Ticks
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range vals {
		if a.Log && v <= 0 {
			continue
		}
		lo, hi = min(lo, v), max(hi, v)
	}
	if a.Log && !math.IsInf(lo, 1) {
		d0, d1 := math.Floor(math.Log10(lo)), math.Ceil(math.Log10(hi))
		if d1 <= d0 {
			d1 = d0 + 1
		}
		mult := []float64{1}
		if d1-d0 <= 2 {
			mult = []float64{1, 2, 5}
		}
		var ticks []chartTick
		for d := d0; d <= d1; d++ {
			for _, m := range mult {
				v := m * math.Pow(10, d)
				if d == d1 && m > 1 {
					break
				}
				ticks = append(ticks, chartTick{v, format(v)})
			}
		}
		return chartScale{lo: d0, hi: d1, log: true, p0: p0, p1: p1}, ticks
	}
	if math.IsInf(lo, 1) {
		lo, hi = 0, 1
	}
	lo = min(lo, 0)
	if hi <= lo {
		hi = lo + 1
	}
	step := chartNiceStep(hi-lo, 5)
	if a.Time && hi-lo > 5 {
		step = chartTimeStep(hi - lo)
	}
	lo = math.Floor(lo/step) * step
	hi = math.Ceil(hi/step-1e-9) * step
	var ticks []chartTick
	n := int(math.Round((hi - lo) / step))
	for i := 0; i <= n; i++ {
		v := lo + float64(i)*step
		if math.Abs(v) < step*1e-9 {
			v = 0
		}
		ticks = append(ticks, chartTick{v, format(v)})
	}
	return chartScale{lo: lo, hi: hi, p0: p0, p1: p1}, ticks
}

// chartNiceStep is a round step (1, 2, 2.5 or 5 times a power of ten) that cuts
// span into at most about n parts.
func chartNiceStep(span float64, n int) float64 {
	raw := span / float64(n)
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 2.5, 5} {
		if raw <= m*mag*(1+1e-9) {
			return m * mag
		}
	}
	return 10 * mag
}

// chartTimeStep is a step in seconds a clock reader finds round.
func chartTimeStep(span float64) float64 {
	for _, s := range []float64{1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400} {
		if span/s <= 8 {
			return s
		}
	}
	return chartNiceStep(span, 8)
}

func (c svgLineChart) render() chartView {
	v := chartView{Title: c.Title, Note: c.Note, W: svgNum(chartW), H: svgNum(c.Height)}
	var xs, ys, y2s []float64
	for _, s := range c.Series {
		for _, p := range s.Pts {
			if !isFinite(p.X) || !isFinite(p.Y) {
				continue
			}
			xs = append(xs, p.X)
			if s.Right {
				y2s = append(y2s, p.Y)
			} else {
				ys = append(ys, p.Y)
			}
		}
	}
	if len(xs) == 0 {
		v.Empty = cmp.Or(c.Empty, "No data.")
		return v
	}
	for _, s := range c.Series {
		v.Legend = append(v.Legend, chartLegend{Name: s.Name, Color: s.Color, Dash: s.Dash})
	}
	// Room at the right for the last x tick's label or the right axis,
	// and at the top for the axis labels and the marks' labels.
	right, top := 28.0, chartTop
	if c.Y2 != nil {
		right = 56
	}
	if len(c.Marks) > 0 {
		top += 14
	}
	x0, x1 := chartLeft, chartW-right
	y0, y1 := c.Height-chartBot, top
	for _, m := range c.Marks {
		if isFinite(m.X) {
			xs = append(xs, m.X)
		}
	}
	sx, xticks := c.X.resolve(xs, x0, x1)
	sy, yticks := c.Y.resolve(ys, y0, y1)

	for _, t := range yticks {
		y := sy.at(t.V)
		v.Lines = append(v.Lines, svgLine{X1: svgNum(x0), Y1: svgNum(y), X2: svgNum(x1), Y2: svgNum(y), Class: "grid"})
		v.Texts = append(v.Texts, svgText{X: svgNum(x0 - 6), Y: svgNum(y + 4), Anchor: "end", S: t.Label})
	}
	for _, t := range xticks {
		x := sx.at(t.V)
		v.Lines = append(v.Lines, svgLine{X1: svgNum(x), Y1: svgNum(y0), X2: svgNum(x), Y2: svgNum(y0 + 4), Class: "axis"})
		v.Texts = append(v.Texts, svgText{X: svgNum(x), Y: svgNum(y0 + 16), Anchor: "middle", S: t.Label})
	}
	v.Lines = append(v.Lines,
		svgLine{X1: svgNum(x0), Y1: svgNum(y0), X2: svgNum(x1), Y2: svgNum(y0), Class: "axis"},
		svgLine{X1: svgNum(x0), Y1: svgNum(y0), X2: svgNum(x0), Y2: svgNum(y1), Class: "axis"},
	)
	v.Texts = append(v.Texts,
		svgText{X: "4.0", Y: svgNum(chartTop - 10), Anchor: "start", Class: "label", S: c.Y.Label},
		svgText{X: svgNum((x0 + x1) / 2), Y: svgNum(c.Height - 6), Anchor: "middle", Class: "label", S: c.X.Label},
	)
	var sy2 chartScale
	if c.Y2 != nil {
		var y2ticks []chartTick
		sy2, y2ticks = c.Y2.resolve(y2s, y0, y1)
		for _, t := range y2ticks {
			y := sy2.at(t.V)
			v.Texts = append(v.Texts, svgText{X: svgNum(x1 + 6), Y: svgNum(y + 4), Anchor: "start", S: t.Label})
		}
		v.Lines = append(v.Lines, svgLine{X1: svgNum(x1), Y1: svgNum(y0), X2: svgNum(x1), Y2: svgNum(y1), Class: "axis"})
		v.Texts = append(v.Texts, svgText{X: svgNum(chartW - 4), Y: svgNum(chartTop - 10), Anchor: "end", Class: "label", S: c.Y2.Label})
	}
	for i, m := range c.Marks {
		if !isFinite(m.X) || !sx.in(m.X) {
			continue
		}
		x := sx.at(m.X)
		v.Lines = append(v.Lines, svgLine{X1: svgNum(x), Y1: svgNum(y0), X2: svgNum(x), Y2: svgNum(y1), Class: "mark", Color: m.Color})
		// Labels sit above the plot, beside their line, so they cross
		// no series; the first points left, the others right, so two
		// close marks do not overprint.
		lx, anchor := x+3, "start"
		if i == 0 && len(c.Marks) > 1 {
			lx, anchor = x-3, "end"
		}
		v.Texts = append(v.Texts, svgText{X: svgNum(lx), Y: svgNum(y1 - 4), Anchor: anchor, Class: "small", S: m.Label})
	}
	for _, s := range c.Series {
		ys := sy
		if s.Right && c.Y2 != nil {
			ys = sy2
		}
		drawable := func(y float64) bool { return isFinite(y) && (!ys.log || y > 0) }
		width := "1.5"
		if s.Bold {
			width = "2.5"
		}
		var d strings.Builder
		var run []chartPoint
		flush := func() {
			for i, p := range run {
				if i == 0 {
					d.WriteString("M")
				} else {
					d.WriteString("L")
				}
				d.WriteString(svgNum(sx.at(p.X)) + " " + svgNum(ys.at(p.Y)))
			}
			if len(run) == 1 && !s.Dots {
				// An isolated point has no line to show it.
				p := run[0]
				v.Dots = append(v.Dots, svgDot{X: svgNum(sx.at(p.X)), Y: svgNum(ys.at(p.Y)), Color: s.Color, Fill: s.Color, Tip: p.Tip})
			}
			run = run[:0]
		}
		for _, p := range s.Pts {
			if !isFinite(p.X) || !drawable(p.Y) {
				flush()
				continue
			}
			run = append(run, p)
			if s.Dots {
				fill := s.Color
				if p.Hollow {
					fill = "#fff"
				}
				v.Dots = append(v.Dots, svgDot{X: svgNum(sx.at(p.X)), Y: svgNum(ys.at(p.Y)), Color: s.Color, Fill: fill, Tip: p.Tip})
			}
		}
		flush()
		if d.Len() > 0 {
			v.Paths = append(v.Paths, svgPath{D: d.String(), Color: s.Color, Width: width, Dash: s.Dash})
		}
	}
	return v
}

type svgBarChart struct {
	Title  string
	Note   string
	Rows   []chartBarRow
	Keys   []string
	Colors map[string]string
	Empty  string
}

type chartBarRow struct {
	Label string
	Total int64
	Segs  []chartBarSeg
}

type chartBarSeg struct {
	Key string
	N   int64
}

func (b svgBarChart) render() chartView {
	const (
		rowH   = 26.0
		barH   = 16.0
		labelW = 168.0
		totalW = 80.0
	)
	v := chartView{Title: b.Title, Note: b.Note, W: svgNum(chartW), H: svgNum(float64(len(b.Rows))*rowH + 8)}
	if len(b.Rows) == 0 {
		v.Empty = b.Empty
		return v
	}
	barW := chartW - labelW - totalW
	for i, r := range b.Rows {
		y := 4 + float64(i)*rowH
		label := r.Label
		if len([]rune(label)) > 26 {
			label = string([]rune(label)[:25]) + "…"
		}
		v.Texts = append(v.Texts,
			svgText{X: svgNum(labelW - 8), Y: svgNum(y + barH - 4), Anchor: "end", S: label, Tip: r.Label},
			svgText{X: svgNum(labelW + barW + 8), Y: svgNum(y + barH - 4), Anchor: "start", S: showInt(r.Total)},
		)
		var cum int64
		for _, sg := range r.Segs {
			xa := labelW + float64(cum)/float64(r.Total)*barW
			cum += sg.N
			xb := labelW + float64(cum)/float64(r.Total)*barW
			tip := fmt.Sprintf("%s · %s: %s attempts (%s)", r.Label, sg.Key, showInt(sg.N), showPct(100*float64(sg.N)/float64(r.Total)))
			v.Rects = append(v.Rects, svgRect{X: svgNum(xa), Y: svgNum(y), W: svgNum(xb - xa), H: svgNum(barH), Fill: b.Colors[sg.Key], Tip: tip})
		}
	}
	for _, k := range b.Keys {
		v.Legend = append(v.Legend, chartLegend{Name: k, Color: b.Colors[k], Box: true})
	}
	return v
}

// Formatting for people: thousands separators, three significant digits,
// units; never NaN.

func isFinite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// svgNum formats an SVG coordinate.
func svgNum(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }

func showInt(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// showSig3 shows v with three significant digits (more for big numbers, which
// get thousands separators), trailing zeros trimmed.
func showSig3(v float64) string {
	a := math.Abs(v)
	var s string
	switch {
	case a >= 999.5:
		return showInt(int64(math.Round(v)))
	case a >= 99.95:
		s = strconv.FormatFloat(v, 'f', 0, 64)
	case a >= 9.995:
		s = strconv.FormatFloat(v, 'f', 1, 64)
	case a >= 0.9995:
		s = strconv.FormatFloat(v, 'f', 2, 64)
	default:
		s = strconv.FormatFloat(v, 'f', 3, 64)
	}
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	if s == "-0" {
		s = "0"
	}
	return s
}

func showNum(v float64) string {
	if !isFinite(v) {
		return "n/a"
	}
	return showSig3(v)
}

// showMs shows a latency in ms: "0.42 ms", "12.3 ms", "412 ms", "1.2 s".
func showMs(v float64) string {
	switch {
	case !isFinite(v):
		return "n/a"
	case math.Abs(v) >= 999.5:
		return showSig3(v/1000) + " s"
	}
	return showSig3(v) + " ms"
}

// showLat is showMs, or a dash when l timed nothing.
func showLat(l Latency, v float64) string {
	if l.Count == 0 && l.Max == 0 {
		return "—"
	}
	return showMs(v)
}

// showPct shows a percentage with two decimals, or more when two would
// round a shortfall up to 100 %.
func showPct(v float64) string {
	if !isFinite(v) {
		return "n/a"
	}
	s := strconv.FormatFloat(v, 'f', 2, 64)
	for d := 3; v < 100 && strings.HasPrefix(s, "100") && d <= 6; d++ {
		s = strconv.FormatFloat(v, 'f', d, 64)
	}
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s + " %"
}

func showBytes(n int64) string {
	v := float64(n)
	for _, u := range []string{"B", "kB", "MB", "GB", "TB"} {
		if math.Abs(v) < 999.5 || u == "TB" {
			if u == "B" {
				return showInt(n) + " B"
			}
			return showSig3(v) + " " + u
		}
		v /= 1000
	}
	return showInt(n) + " B"
}

// showDur shows a length of time: "850 ms", "12.3 s", "2m5s", "1h".
func showDur(ms int64) string {
	switch {
	case ms < 1000:
		return showInt(ms) + " ms"
	case ms < 60_000:
		return showSig3(float64(ms)/1000) + " s"
	}
	return showShortDuration((time.Duration(ms) * time.Millisecond).Round(time.Second))
}

// showShortDuration is Duration.String without the zero units at its end.
func showShortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// showSecs labels a time-axis tick given in seconds.
func showSecs(v float64) string {
	if !isFinite(v) {
		return "n/a"
	}
	if math.Abs(v) < 60 || v != math.Round(v) {
		return showSig3(v) + "s"
	}
	return showShortDuration(time.Duration(v) * time.Second)
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

var htmlPageTemplate = htmltemplate.Must(htmltemplate.New("page").Parse(htmlPageSource))

const htmlPageSource = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;color:#1d2329;background:#fff;max-width:1000px;margin:0 auto;padding:16px}
h1{font-size:1.5em;margin:.1em 0 .2em;overflow-wrap:anywhere}
h2{font-size:1.15em;margin:1.8em 0 .5em;padding-bottom:.2em;border-bottom:1px solid #d8dde3;break-after:avoid}
h3{font-size:1em;margin:.2em 0 .4em}
p{margin:.4em 0}
.desc{margin:.2em 0 .6em;color:#333}
.badge{display:inline-block;padding:.1em .6em;border-radius:3px;font-weight:700;letter-spacing:.04em;color:#fff;margin-right:.4em}
.pass{background:#2e7d32}.fail{background:#c62828}.intr{background:#a15c00}
table{border-collapse:collapse;width:100%}
th,td{padding:.25em .5em;text-align:left;vertical-align:top;border-bottom:1px solid #e6e9ed}
th{font-weight:600;background:#f5f7f9}
.n{text-align:right;font-variant-numeric:tabular-nums}
td.n{white-space:nowrap}
tfoot td{font-weight:600;border-top:2px solid #d8dde3}
.scroll{overflow-x:auto}
table.wide{font-size:.88em}table.wide th,table.wide td{padding:.25em .3em}
dl.meta{display:grid;grid-template-columns:max-content 1fr;gap:.1em 1em;margin:.6em 0}
dl.meta dt{color:#555}dl.meta dd{margin:0;overflow-wrap:anywhere}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(210px,1fr));gap:12px}
.card{border:1px solid #d8dde3;border-radius:4px;padding:8px 12px;break-inside:avoid}
dl.kv{display:grid;grid-template-columns:1fr auto;gap:0 1em;margin:0}
dl.kv dt{color:#555}dl.kv dd{margin:0;text-align:right;font-variant-numeric:tabular-nums}
figure{margin:1em 0 1.2em;break-inside:avoid;overflow-x:auto}
figcaption{font-weight:600;margin:.2em 0}
svg.chart{display:block;width:100%;min-width:520px;height:auto}
svg.chart text{font-size:11px;fill:#444}
svg.chart text.label{font-weight:600;fill:#222}
svg.chart text.small{font-size:10px}
svg.chart .grid{stroke:#e9ecef}
svg.chart .axis{stroke:#8a939c}
svg.chart .mark{stroke-dasharray:3 3}
ul.legend{list-style:none;padding:0;margin:.2em 0 0;display:flex;flex-wrap:wrap;gap:.2em 1.2em;font-size:.9em}
ul.legend svg{vertical-align:middle;margin-right:.3em}
.held{color:#2e7d32}.failed{color:#c62828;font-weight:600}.nodata{color:#6b7480}
.hot{color:#c62828;font-weight:600}
.muted,.note{color:#5f6873}
.note{font-size:.9em}
.verdict{font-size:1.1em;font-weight:600}
footer{margin-top:2.5em;padding-top:.5em;border-top:1px solid #d8dde3;color:#5f6873;font-size:.85em}
@media (max-width:640px){body{padding:8px;font-size:13px}svg.chart text{font-size:14px}th,td{padding:.2em .3em}dl.meta{grid-template-columns:1fr}dl.meta dd{margin-bottom:.3em}}
@media print{body{max-width:none;padding:0;font-size:10pt}.scroll,figure{overflow:visible}svg.chart{min-width:0}.badge{color:#000;background:none;border:1.5px solid #000}th{background:none}tr{break-inside:avoid}}
</style>
</head>
<body>
<header>
<p class="muted">hamsasim load report</p>
<h1>{{if .Scenario}}{{.Scenario}}{{else}}unnamed scenario{{end}}</h1>
{{- if .Description}}
<p class="desc">{{.Description}}</p>
{{- end}}
<p><span class="badge {{.VerdictClass}}">{{.Verdict}}</span>
{{- if .Interrupted}}<span class="badge intr">INTERRUPTED</span>{{end}}
{{- if .StopReason}} <span class="muted">{{.StopReason}}</span>{{end}}</p>
<dl class="meta">
{{- range .Meta}}
<dt>{{.K}}</dt><dd>{{.V}}</dd>
{{- end}}
</dl>
</header>

<section>
<h2>Thresholds</h2>
{{- if .Thresholds}}
<div class="scroll"><table>
<thead><tr><th>threshold</th><th class="n">got</th><th>verdict</th></tr></thead>
<tbody>
{{- range .Thresholds}}
<tr><td>{{.Threshold}}</td><td class="n">{{.Got}}</td><td class="{{.Class}}">{{.State}}</td></tr>
{{- end}}
</tbody>
</table></div>
{{- else}}
<p class="muted">The scenario sets no threshold.</p>
{{- end}}
</section>

<section>
<h2>Headline numbers</h2>
<div class="cards">
{{- range .Cards}}
<div class="card"><h3>{{.Title}}</h3><dl class="kv">
{{- range .Rows}}
<dt>{{.K}}</dt><dd>{{.V}}</dd>
{{- end}}
</dl></div>
{{- end}}
</div>
{{- if .Fixtures}}
<p class="note">Calls started per fixture:
{{- range $i, $f := .Fixtures}}{{if $i}},{{end}} {{$f.K}} {{$f.V}}{{end}}.</p>
{{- end}}
</section>

<section>
<h2>Over time</h2>
{{- if .BucketNote}}
<p class="note">{{.BucketNote}}</p>
{{- end}}
{{template "chart" .LatencyChart}}
{{template "chart" .ThroughputChart}}
{{template "chart" .InFlightChart}}
</section>

<section>
<h2>Latency distribution</h2>
{{template "chart" .DistChart}}
<p class="note">Latency of attempts; a timeout counts at its full wait.</p>
</section>

<section>
<h2>Per event type</h2>
{{- if .Types}}
<div class="scroll"><table class="wide">
<thead><tr><th>event type</th><th class="n">deliveries</th><th class="n">acked</th><th class="n">failed</th><th class="n">attempts</th><th class="n">retries</th><th class="n">timeouts</th><th class="n">errors</th><th class="n">dup. acked</th><th class="n">dup. unacked</th><th class="n">contract violations</th><th class="n">p50</th><th class="n">p99</th><th class="n">max</th></tr></thead>
<tbody>
{{- range .Types}}
{{template "typerow" .}}
{{- end}}
</tbody>
<tfoot>
{{template "typerow" .AllTypes}}
</tfoot>
</table></div>
{{template "chart" .StatusBars}}
{{- else}}
<p class="muted">No event was sent.</p>
{{- end}}
</section>

{{- if .Health}}

<section>
<h2>Endpoint health</h2>
<div class="scroll"><table>
<thead><tr><th>event type</th><th class="n">deliveries</th><th class="n">success</th><th class="n">mean</th><th class="n">p95</th><th>failures</th></tr></thead>
<tbody>
{{- range .Health}}
<tr><td>{{.Type}}</td><td class="n">{{.Deliveries}}</td><td class="n{{if .Unhealthy}} failed{{end}}">{{.Success}}</td><td class="n">{{.Mean}}</td><td class="n">{{.P95}}</td><td>{{.Failures}}</td></tr>
{{- end}}
</tbody>
</table></div>
<p class="note">Success counts deliveries acknowledged in the end, retries included; mean and p95 are the answer times of attempts (a timeout counts at its full wait); failures are attempts, by error class or status.</p>
</section>
{{- end}}

<section>
<h2>End state</h2>
<p class="verdict {{if .Audit.Bad}}failed{{else}}held{{end}}">{{.Audit.Line}}.</p>
{{- if .Audit.Problems}}
<ul>
{{- range .Audit.Problems}}
<li>{{.}}</li>
{{- end}}
</ul>
{{- end}}
</section>

{{- with .Capacity}}

<section>
<h2>Capacity</h2>
<p class="verdict {{if .Found}}held{{else}}failed{{end}}">{{.Sentence}}.</p>
{{- if .Limit}}
<p>Search stopped: {{.Limit}}</p>
{{- end}}
{{- if .GeneratorNote}}
<p class="note">{{.GeneratorNote}}</p>
{{- end}}
{{- if .StageLen}}
<p class="note">Each stage sent calls for {{.StageLen}}.</p>
{{- end}}
{{template "chart" .Chart}}
{{- if .Stages}}
<div class="scroll"><table>
<thead><tr><th class="n">stage</th><th class="n">calls/s</th><th class="n">events/s</th><th class="n">p50</th><th class="n">p99</th><th class="n">success</th><th class="n">timeouts</th><th>verdict</th></tr></thead>
<tbody>
{{- range .Stages}}
<tr><td class="n">{{.N}}</td><td class="n">{{.Calls}}</td><td class="n">{{.Events}}</td><td class="n">{{.P50}}</td><td class="n">{{.P99}}</td><td class="n">{{.Success}}</td><td class="n">{{.Timeouts}}</td>
{{- if .Held}}<td class="held">held</td>{{else}}<td class="failed">broke {{range $i, $b := .Broken}}{{if $i}}, {{end}}{{$b}}{{end}}</td>{{end}}</tr>
{{- end}}
</tbody>
</table></div>
{{- end}}
</section>
{{- end}}

{{- if .Violations}}

<section>
<h2>Contract violations</h2>
<div class="scroll"><table>
<thead><tr><th>event type</th><th class="n">status</th><th>reason</th><th class="n">count</th></tr></thead>
<tbody>
{{- range .Violations}}
<tr><td>{{.EventType}}</td><td class="n">{{.Status}}</td><td>{{.Reason}}</td><td class="n">{{.Count}}</td></tr>
{{- end}}
</tbody>
</table></div>
</section>
{{- end}}

{{- if .Notes}}

<section>
<h2>Notes</h2>
<ul>
{{- range .Notes}}
<li>{{.}}</li>
{{- end}}
</ul>
</section>
{{- end}}

<footer>{{.Footer}}</footer>
</body>
</html>
{{define "typerow"}}<tr><td>{{.Type}}</td><td class="n">{{.Deliveries}}</td><td class="n">{{.Acked}}</td><td class="n{{if .FailedHot}} hot{{end}}">{{.Failed}}</td><td class="n">{{.Attempts}}</td><td class="n">{{.Retries}}</td><td class="n{{if .TimeoutsHot}} hot{{end}}">{{.Timeouts}}</td><td class="n{{if .ErrorsHot}} hot{{end}}">{{.Errors}}</td><td class="n">{{.DupAcked}}</td><td class="n{{if .DupUnackedHot}} hot{{end}}">{{.DupUnacked}}</td><td class="n{{if .ViolationsHot}} hot{{end}}">{{.Violations}}</td><td class="n">{{.P50}}</td><td class="n">{{.P99}}</td><td class="n">{{.Max}}</td></tr>{{end}}{{define "chart"}}<figure>
<figcaption>{{.Title}}</figcaption>
{{- if .Empty}}
<p class="muted">{{.Empty}}</p>
{{- else}}
<svg class="chart" viewBox="0 0 {{.W}} {{.H}}" role="img" aria-label="{{.Title}}">
{{- range .Lines}}
<line x1="{{.X1}}" y1="{{.Y1}}" x2="{{.X2}}" y2="{{.Y2}}" class="{{.Class}}"{{if .Color}} stroke="{{.Color}}"{{end}}/>
{{- end}}
{{- range .Rects}}
<rect x="{{.X}}" y="{{.Y}}" width="{{.W}}" height="{{.H}}" fill="{{.Fill}}"><title>{{.Tip}}</title></rect>
{{- end}}
{{- range .Paths}}
<path d="{{.D}}" fill="none" stroke="{{.Color}}" stroke-width="{{.Width}}" stroke-linejoin="round"{{if .Dash}} stroke-dasharray="5 3"{{end}}/>
{{- end}}
{{- range .Dots}}
<circle cx="{{.X}}" cy="{{.Y}}" r="3.5" fill="{{.Fill}}" stroke="{{.Color}}" stroke-width="1.5">{{if .Tip}}<title>{{.Tip}}</title>{{end}}</circle>
{{- end}}
{{- range .Texts}}
<text x="{{.X}}" y="{{.Y}}" text-anchor="{{.Anchor}}"{{if .Class}} class="{{.Class}}"{{end}}>{{.S}}{{if .Tip}}<title>{{.Tip}}</title>{{end}}</text>
{{- end}}
</svg>
{{- if .Legend}}
<ul class="legend">
{{- range .Legend}}
<li><svg width="18" height="10" aria-hidden="true">{{if .Box}}<rect x="2" y="0" width="14" height="10" fill="{{.Color}}"/>{{else}}<line x1="0" y1="5" x2="18" y2="5" stroke="{{.Color}}" stroke-width="2.5"{{if .Dash}} stroke-dasharray="4 2"{{end}}/>{{end}}</svg>{{.Name}}</li>
{{- end}}
</ul>
{{- end}}
{{- if .Note}}
<p class="note">{{.Note}}</p>
{{- end}}
{{- end}}
</figure>{{end}}`
