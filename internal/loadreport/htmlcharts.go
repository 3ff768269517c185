package loadreport

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/hamsasim/hamsasim/internal/chart"
)

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

func chartTimeAxis() chart.Axis {
	return chart.Axis{Label: "time since start", Format: chart.Secs, Time: true}
}

func latencyOverTimeChart(tl Timeline) chart.Line {
	c := chart.Line{
		Title:  "Latency over time",
		Height: 260,
		X:      chartTimeAxis(),
		Y:      chart.Axis{Label: "latency", Format: chart.Ms},
		Empty:  "No timeline: no attempt finished.",
	}
	p50 := chart.Series{Name: "p50", Color: chartColorP50}
	p99 := chart.Series{Name: "p99", Color: chartColorP99}
	mx := chart.Series{Name: "max", Color: chartColorMax, Dash: true}
	for _, b := range tl.Buckets {
		x := chartBucketX(b)
		if b.Attempts == 0 {
			// A bucket with no attempt has no latency: a gap, not a zero.
			p50.Pts = append(p50.Pts, chart.Gap(x))
			p99.Pts = append(p99.Pts, chart.Gap(x))
			mx.Pts = append(mx.Pts, chart.Gap(x))
			continue
		}
		p50.Pts = append(p50.Pts, chart.Point{X: x, Y: b.P50})
		p99.Pts = append(p99.Pts, chart.Point{X: x, Y: b.P99})
		mx.Pts = append(mx.Pts, chart.Point{X: x, Y: b.Max})
	}
	c.Series = []chart.Series{p50, p99, mx}
	return c
}

func throughputOverTimeChart(tl Timeline) chart.Line {
	c := chart.Line{
		Title:  "Throughput",
		Height: 260,
		X:      chartTimeAxis(),
		Y:      chart.Axis{Label: "per second", Format: chart.Num},
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
	att := chart.Series{Name: "attempts/s", Color: chartColorP50}
	ack := chart.Series{Name: "acked/s", Color: chartColorAcked}
	errs := chart.Series{Name: "errors/s", Color: chartColorMax}
	tos := chart.Series{Name: "timeouts/s", Color: chartColorTimeout, Dash: true}
	for _, b := range tl.Buckets {
		x := chartBucketX(b)
		att.Pts = append(att.Pts, chart.Point{X: x, Y: float64(b.Attempts) / per})
		ack.Pts = append(ack.Pts, chart.Point{X: x, Y: float64(b.Acked) / per})
		errs.Pts = append(errs.Pts, chart.Point{X: x, Y: float64(b.Errors) / per})
		tos.Pts = append(tos.Pts, chart.Point{X: x, Y: float64(b.Timeouts) / per})
	}
	c.Series = []chart.Series{att, ack, errs, tos}
	return c
}

func inFlightOverTimeChart(tl Timeline) chart.Line {
	c := chart.Line{
		Title:  "Calls in flight",
		Height: 160,
		X:      chartTimeAxis(),
		Y:      chart.Axis{Label: "calls", Format: chart.Num},
		Empty:  "No timeline: no attempt finished.",
	}
	s := chart.Series{Name: "calls in flight (at bucket end)", Color: chartColorAll}
	for _, b := range tl.Buckets {
		s.Pts = append(s.Pts, chart.Point{X: chartBucketX(b), Y: float64(b.InFlight)})
	}
	c.Series = []chart.Series{s}
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

func latencyDistChart(s *Summary) chart.Line {
	c := chart.Line{
		Title:  "Latency by percentile",
		Height: 280,
		X: chart.Axis{Label: "percentile", Ticks: []chart.Tick{
			{V: 0, Label: "0%"}, {V: 1, Label: "90%"}, {V: 2, Label: "99%"}, {V: 3, Label: "99.9%"}, {V: 4, Label: "99.99%"}, {V: chartPctMaxX, Label: "max"},
		}},
		Y:     chart.Axis{Label: "latency", Format: chart.Ms},
		Empty: "No latency distribution recorded.",
	}
	add := func(name, color string, bold bool, dist []float64) {
		if len(dist) == 0 {
			return
		}
		sr := chart.Series{Name: name, Color: color, Bold: bold}
		for i, p := range DistributionPercentiles {
			if i >= len(dist) {
				break
			}
			sr.Pts = append(sr.Pts, chart.Point{X: chartPercentileX(p), Y: dist[i]})
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
			if chart.Finite(p.Y) {
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

func capacityStagesChart(c *Capacity) chart.Line {
	ch := chart.Line{
		Title:  "Capacity search",
		Height: 260,
		X:      chart.Axis{Label: "arrival rate (calls/s)", Format: chart.Num},
		Y:      chart.Axis{Label: "p99", Format: chart.Ms},
		Y2:     successAxis(c.Stages),
		Empty:  "No stage ran.",
		Note:   "Filled markers held every threshold; hollow markers broke one.",
	}
	// Stages run in search order (up, then back down to bisect): the
	// lines join them by rate, and the table keeps the run order.
	stages := slices.Clone(c.Stages)
	slices.SortStableFunc(stages, func(a, b Stage) int { return cmp.Compare(a.CallsPerSec, b.CallsPerSec) })
	p99 := chart.Series{Name: "p99", Color: chartColorP99, Dots: true}
	ok := chart.Series{Name: "success", Color: chartColorAcked, Dots: true, Right: true, Dash: true}
	for _, st := range stages {
		tip := fmt.Sprintf("%s calls/s: p99 %s, success %s", chart.Num(st.CallsPerSec), chart.Ms(st.P99), chart.Pct(st.SuccessPct))
		p99.Pts = append(p99.Pts, chart.Point{X: st.CallsPerSec, Y: st.P99, Hollow: !st.Held, Tip: tip})
		ok.Pts = append(ok.Pts, chart.Point{X: st.CallsPerSec, Y: st.SuccessPct, Hollow: !st.Held, Tip: tip})
	}
	ch.Series = []chart.Series{p99, ok}
	if c.Found {
		ch.Marks = append(ch.Marks, chart.Mark{X: c.CallsPerSec, Label: "held " + chart.Num(c.CallsPerSec), Color: chartColorAcked})
	}
	if c.BrokenAt > 0 {
		ch.Marks = append(ch.Marks, chart.Mark{X: c.BrokenAt, Label: "broke " + chart.Num(c.BrokenAt), Color: chartColorMax})
	}
	return ch
}

// successAxis is the right axis of the capacity chart: it ends at 100 %
// and starts a power of ten below it (90 %, 99 %, 0 %), so a fall from
// 100 % to 99.7 % is as visible as one to 60 %.
func successAxis(stages []Stage) *chart.Axis {
	lo := 100.0
	for _, st := range stages {
		if chart.Finite(st.SuccessPct) {
			lo = min(lo, st.SuccessPct)
		}
	}
	span := 1.0
	for span < 100 && 100-span > lo {
		span *= 10
	}
	a := &chart.Axis{Label: "success"}
	for i := range 5 {
		v := 100 - span + float64(i)*span/4
		a.Ticks = append(a.Ticks, chart.Tick{V: v, Label: chart.Pct(v)})
	}
	return a
}

// statusBarChart is one stacked bar per event type (and one for all of them)
// of attempts by outcome, each bar scaled to 100 %.
func statusBarChart(s *Summary) chart.Bar {
	b := chart.Bar{
		Title: "Attempts by outcome",
		Unit:  "attempts",
		Note:  "Each bar is one event type's attempts (count at the right), split by HTTP status or error class.",
		Empty: "No attempt was made.",
	}
	keySet := map[string]bool{}
	add := func(label string, status map[string]int64) {
		row := chart.BarRow{Label: label}
		for _, k := range statusOrder(status) {
			if status[k] > 0 {
				row.Segs = append(row.Segs, chart.BarSeg{Key: k, N: status[k]})
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
