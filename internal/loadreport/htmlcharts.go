package loadreport

import (
	"cmp"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/hamsasim/hamsasim/internal/chart"
	"github.com/hamsasim/hamsasim/internal/deliver"
	"github.com/hamsasim/hamsasim/internal/scenario"
)

// The charts of the page, described for package chart's renderer.

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
	chartColorLate    = "#d37295"
	chartColorHeld    = "#2e7d32"
	chartColorBroke   = "#c62828"
	chartColorBound   = "#6b7480"
)

// What an empty chart says.
const (
	chartNoTimeline = "No timeline: no attempt finished."
	chartNoBucketMs = "No bucket size recorded: rates cannot be computed."
)

// chartLogRatio is how far apart, as a ratio, the highest and the lowest
// value of a latency chart (its reference lines included) must be for a
// log scale: then a 40 ms p50 and the 5 s budget both stay readable.
const chartLogRatio = 20

// timeCharts are the charts over the run's time, on one elapsed-time
// axis that shares its cursor.
type timeCharts struct {
	Rate, Latency, Errors, InFlight *chart.Chart
}

func newTimeCharts(s *Summary) timeCharts {
	bands := stageBands(s.Capacity)
	return timeCharts{
		Rate:     rateChart(s.Timeline, bands),
		Latency:  latencyChart(s, bands),
		Errors:   causesChart(s.Timeline, bands),
		InFlight: inFlightChart(s.Timeline, bands),
	}
}

// newTimeChart is a chart over the timeline: x is each bucket's start, in
// seconds since the run's start.
func newTimeChart(id, title string, y chart.Axis, tl Timeline, bands []chart.Band) *chart.Chart {
	c := &chart.Chart{
		ID: id, Title: title, Height: chart.DefaultHeight, Sync: true, Bands: bands,
		X: chart.Axis{Label: "elapsed", Unit: chart.UnitElapsed}, Y: y,
	}
	for _, b := range tl.Buckets {
		c.Xs = append(c.Xs, chart.Value(float64(b.AtMs)/1000))
	}
	return c
}

// perBucket is f of every bucket, per second of the bucket.
func perBucket(tl Timeline, f func(Bucket) int64) []chart.Value {
	per := float64(tl.BucketMs) / 1000
	out := make([]chart.Value, len(tl.Buckets))
	for i, b := range tl.Buckets {
		out[i] = chart.Value(float64(f(b)) / per)
	}
	return out
}

// newRateChart is a time chart of rates per second; ok is false, and the
// chart empty, when the timeline has no bucket size to divide by.
func newRateChart(id, title, unit string, tl Timeline, bands []chart.Band) (c *chart.Chart, ok bool) {
	c = newTimeChart(id, title, chart.Axis{Label: unit, Unit: chart.UnitRate}, tl, bands)
	if tl.BucketMs > 0 {
		return c, true
	}
	if len(tl.Buckets) > 0 {
		c.Empty = chartNoBucketMs
	}
	c.Finish(chartNoTimeline)
	return c, false
}

func rateChart(tl Timeline, bands []chart.Band) *chart.Chart {
	c, ok := newRateChart("rate", "Offered and achieved rate", "events/s", tl, bands)
	c.Note = "Offered: deliveries due by the scenario's schedule (the load asked for). " +
		"Achieved: deliveries acknowledged. Attempts: every HTTP exchange, retries included."
	if !ok {
		return c
	}
	if slices.ContainsFunc(tl.Buckets, func(b Bucket) bool { return b.Offered > 0 }) {
		c.Series = append(c.Series, chart.Series{Label: "offered", Color: chartColorAll, Dash: true, Width: 2,
			Y: perBucket(tl, func(b Bucket) int64 { return b.Offered })})
	} else {
		c.Note += " This summary does not record the offered load."
	}
	c.Series = append(c.Series,
		chart.Series{Label: "achieved (acked)", Color: chartColorAcked, Width: 2.5, Y: perBucket(tl, func(b Bucket) int64 { return b.Acked })},
		chart.Series{Label: "attempts", Color: chartColorP50, Width: 1, Y: perBucket(tl, func(b Bucket) int64 { return b.Attempts })},
	)
	c.Finish(chartNoTimeline)
	return c
}

// causesChart is the attempts not acknowledged, per second, one line per
// cause. A summary without causes per bucket shows timeouts and the other
// errors.
func causesChart(tl Timeline, bands []chart.Band) *chart.Chart {
	c, ok := newRateChart("errors", "Errors and timeouts by cause", "attempts/s", tl, bands)
	c.Note = "Attempts not acknowledged, by HTTP status or error class: timeout (no answer in time), late (an answer after the " +
		showDur(deliver.AckBudget.Milliseconds()) + " budget), refused, reset. Click a legend entry to hide its line."
	if !ok {
		return c
	}
	causes := map[string]bool{}
	var errs int64
	for _, b := range tl.Buckets {
		errs += b.Errors
		for k, n := range b.Causes {
			causes[k] = causes[k] || n > 0
		}
	}
	count := func(key string) func(Bucket) int64 {
		return func(b Bucket) int64 { return b.Causes[key] }
	}
	keys := statusOrder(causes)
	if len(causes) == 0 {
		// An older summary: only the totals per bucket.
		keys = []string{"timeout", "other errors"}
		count = func(key string) func(Bucket) int64 {
			if key == "timeout" {
				return func(b Bucket) int64 { return b.Timeouts }
			}
			return func(b Bucket) int64 { return max(0, b.Errors-b.Timeouts) }
		}
	}
	colors := chartStatusColors(keys)
	for _, k := range keys {
		c.Series = append(c.Series, chart.Series{Label: k, Color: colors[k], Width: 2, Y: perBucket(tl, count(k))})
	}
	if errs == 0 && len(causes) == 0 && len(tl.Buckets) > 0 {
		c.Empty = "Every attempt was acknowledged: no error, no timeout."
	}
	c.Finish(chartNoTimeline)
	return c
}

func inFlightChart(tl Timeline, bands []chart.Band) *chart.Chart {
	c := newTimeChart("inflight", "Calls in flight", chart.Axis{Label: "calls", Unit: chart.UnitCount}, tl, bands)
	c.Height = 180
	y := make([]chart.Value, len(tl.Buckets))
	for i, b := range tl.Buckets {
		y[i] = chart.Value(b.InFlight)
	}
	c.Series = []chart.Series{{Label: "calls in flight (at bucket end)", Color: chartColorAll, Width: 2, Y: y}}
	c.Finish(chartNoTimeline)
	return c
}

// latencyChart is p99 (solid) and p50 (dashed) per event type over time,
// with the latency thresholds and the answer budget; an older summary
// without per-type buckets shows all types' p50, p99 and max.
func latencyChart(s *Summary, bands []chart.Band) *chart.Chart {
	tl := s.Timeline
	c := newTimeChart("latency", "Latency over time, per event type", chart.Axis{Label: "latency", Unit: chart.UnitMs}, tl, bands)
	c.Height = 300
	c.Note = "p99 solid, p50 dashed, per bucket; a timeout counts at its full wait. " +
		"Horizontal lines: the latency thresholds (red when failed) and the platform's answer budget."
	types := latencyChartTypes(s)
	at := func(i int, f func(Bucket) float64) chart.Value {
		b := tl.Buckets[i]
		if b.Attempts == 0 {
			return chart.Gap // nothing finished: a gap, not a zero
		}
		return chart.Value(f(b))
	}
	if len(types) == 0 {
		// An older summary, without types per bucket.
		c.Title = "Latency over time"
		c.Note = "All event types together, per bucket: p99 solid, p50 dashed, max thin; a timeout counts at its full wait. " +
			"Horizontal lines: the latency thresholds (red when failed) and the platform's answer budget."
		c.Series = []chart.Series{
			{Label: "p50", Color: chartColorP50, Dash: true, Y: make([]chart.Value, len(tl.Buckets))},
			{Label: "p99", Color: chartColorP99, Width: 2, Y: make([]chart.Value, len(tl.Buckets))},
			{Label: "max", Color: chartColorMax, Width: 1, Y: make([]chart.Value, len(tl.Buckets))},
		}
		for i := range tl.Buckets {
			c.Series[0].Y[i] = at(i, func(b Bucket) float64 { return b.P50 })
			c.Series[1].Y[i] = at(i, func(b Bucket) float64 { return b.P99 })
			c.Series[2].Y[i] = at(i, func(b Bucket) float64 { return b.Max })
		}
	}
	for _, t := range types {
		p99 := chart.Series{Label: t.name + " p99", Color: t.color, Width: 2, Y: make([]chart.Value, len(tl.Buckets))}
		p50 := chart.Series{Label: t.name + " p50", Color: t.color, Dash: true, Width: 1, Y: make([]chart.Value, len(tl.Buckets))}
		for i, b := range tl.Buckets {
			p99.Y[i], p50.Y[i] = chart.Gap, chart.Gap
			for _, bt := range b.PerType {
				if bt.Type == t.name && bt.Attempts > 0 {
					p99.Y[i], p50.Y[i] = chart.Value(bt.P99), chart.Value(bt.P50)
				}
			}
		}
		c.Series = append(c.Series, p99, p50)
	}
	c.Lines = latencyLines(s, func(ThresholdResult) bool { return true })
	logIfWide(c)
	c.Finish(chartNoTimeline)
	return c
}

// chartType is an event type of the latency chart and its colour, the
// one it has on the distribution chart.
type chartType struct{ name, color string }

// latencyChartTypes lists the event types the timeline splits buckets by: those
// of s.PerType first, in its order, then any other in the order met.
func latencyChartTypes(s *Summary) []chartType {
	seen := map[string]bool{}
	for _, b := range s.Timeline.Buckets {
		for _, bt := range b.PerType {
			seen[bt.Type] = true
		}
	}
	var out []chartType
	add := func(name string) {
		if seen[name] {
			out = append(out, chartType{name, chartPalette[len(out)%len(chartPalette)]})
			delete(seen, name)
		}
	}
	for _, t := range s.PerType {
		add(t.Type)
	}
	for _, b := range s.Timeline.Buckets {
		for _, bt := range b.PerType {
			add(bt.Type)
		}
	}
	return out
}

// latencyLines are the reference lines of a latency chart: the latency
// thresholds keep picks that have a bound, the platform's answer budget,
// and the scenario's own timeout when it differs from the budget.
func latencyLines(s *Summary, keep func(ThresholdResult) bool) []chart.Line {
	var out []chart.Line
	for _, t := range s.Thresholds {
		// A bound of 0 is a summary from before bounds were recorded; a
		// threshold with no data is on a type that was not sent.
		if scenario.Metric(t.Metric).Kind() != scenario.KindLatency || !(t.Limit > 0) || t.NoData || !keep(t) {
			continue
		}
		l := chart.Line{Y: chart.Value(t.Limit), Label: t.Threshold, Color: chartColorBound, Dash: true}
		if !t.Held {
			l.Color, l.Label = chartColorBroke, t.Threshold+" (failed)"
		}
		out = append(out, l)
	}
	budget := float64(deliver.AckBudget.Milliseconds())
	out = append(out, chart.Line{Y: chart.Value(budget), Label: showDur(int64(budget)) + " answer budget", Color: chartColorAll})
	if to := s.Delivery.TimeoutMs; to > 0 && float64(to) != budget {
		out = append(out, chart.Line{Y: chart.Value(to), Label: "scenario timeout " + showDur(to), Color: chartColorTimeout, Dash: true})
	}
	return out
}

// logIfWide puts c's y axis on a log scale when its values and lines span
// chartLogRatio or more, and says so in the axis label.
func logIfWide(c *chart.Chart) {
	lo, hi := math.Inf(1), 0.0
	see := func(v chart.Value) {
		if f := float64(v); chart.Finite(f) && f > 0 {
			lo, hi = min(lo, f), max(hi, f)
		}
	}
	for _, s := range c.Series {
		for _, v := range s.Y {
			see(v)
		}
	}
	for _, l := range c.Lines {
		see(l.Y)
	}
	if hi > 0 && hi/lo >= chartLogRatio {
		c.Y.Log = true
		c.Y.Label += " (log scale)"
	}
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

func latencyDistChart(s *Summary) *chart.Chart {
	c := &chart.Chart{
		ID: "distribution", Title: "Latency by percentile", Height: 280,
		X: chart.Axis{Label: "percentile", Unit: chart.UnitCount, Ticks: []chart.Tick{
			{V: 0, Label: "0%"}, {V: 1, Label: "90%"}, {V: 2, Label: "99%"}, {V: 3, Label: "99.9%"}, {V: 4, Label: "99.99%"}, {V: chartPctMaxX, Label: "max"},
		}},
		Y:    chart.Axis{Label: "latency", Unit: chart.UnitMs},
		Note: "Latency of attempts over the whole run; a timeout counts at its full wait.",
	}
	for _, p := range DistributionPercentiles {
		c.Xs = append(c.Xs, chart.Value(chartPercentileX(p)))
		name := "p" + strconv.FormatFloat(p, 'f', -1, 64)
		switch p {
		case 0:
			name = "min"
		case 100:
			name = "max"
		}
		c.XNames = append(c.XNames, name)
	}
	add := func(name, color string, width float64, dist []float64) {
		if len(dist) == 0 {
			return
		}
		y := make([]chart.Value, len(c.Xs))
		for i := range y {
			y[i] = chart.Gap
			if i < len(dist) {
				y[i] = chart.Value(dist[i])
			}
		}
		c.Series = append(c.Series, chart.Series{Label: name, Color: color, Width: width, Y: y})
	}
	add("all types", chartColorAll, 2.5, s.Overall.Latency.Distribution)
	for i, t := range s.PerType {
		add(t.Type, chartPalette[i%len(chartPalette)], 1.5, t.Latency.Distribution)
	}
	logIfWide(c)
	c.Finish("No latency distribution recorded.")
	return c
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
// blues for 3xx, oranges for 4xx, reds for 5xx, purple and pink for
// timeouts and late answers, browns and greys for the other error classes.
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
		switch k {
		case "timeout":
			colors[k] = chartColorTimeout
			continue
		case "late":
			colors[k] = chartColorLate
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
