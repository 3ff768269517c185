// Package chart describes the charts of the offline HTML reports and draws
// them in the browser. A report builds one Chart per figure in Go (x
// values, series, reference lines, shaded bands, axes with units); the
// page carries them as one JSON blob, and chart.js, inlined with the
// vendored uPlot (assets/, MIT), draws them, with the exact values under
// the cursor in each chart's legend. Nothing is loaded from the network.
// The number formats of format.go are the renderer's own, so a table
// beside a chart reads as its labels do.
package chart

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"html/template"
	"math"
	"strconv"
	"time"
)

// Units say how the renderer shows an axis's values, on its ticks and in
// the hover legend.
const (
	UnitElapsed = "elapsed" // seconds since the run's start: "1m30s"; the legend adds the UTC wall-clock time
	UnitMs      = "ms"      // a latency in ms: "412 ms", "1.2 s"
	UnitRate    = "/s"      // a rate: "12.3/s"
	UnitPct     = "%"       // a percentage: "99.9 %"
	UnitCount   = ""        // a plain number: "1,234"
)

// DefaultHeight is a chart's plot height in CSS pixels when Height is 0.
const DefaultHeight = 260

// Chart is one chart of a page, drawn in the browser by chart.js with the
// vendored uPlot. Xs and every series' Y are parallel and Xs ascends. A
// non-finite value is a gap, written as null, so bad data never reaches
// the script as NaN.
//
// Title, Note and Empty are for the figure around the chart (the "chart"
// template); the rest is the chart's part of the page's data.
type Chart struct {
	ID    string `json:"id"` // the figure's element id is "chart-" + ID
	Title string `json:"-"`
	Note  string `json:"-"`
	// Empty, when set, says why there is nothing to draw; the figure shows
	// it in place of the chart and the chart is left out of the data.
	Empty  string  `json:"-"`
	Height int     `json:"height"`
	X      Axis    `json:"x"`
	Y      Axis    `json:"y"`
	Xs     []Value `json:"xs"`
	// XNames, when set, name each x in the hover legend in place of its
	// value (a percentile, a stage).
	XNames []string `json:"xNames,omitempty"`
	Series []Series `json:"series"`
	Lines  []Line   `json:"lines,omitempty"`
	Bands  []Band   `json:"bands,omitempty"`
	// Sync shares the cursor among the charts that set it: charts on one
	// time axis.
	Sync bool `json:"sync,omitempty"`
}

// PlotHeight is the height, in CSS pixels, the figure keeps for the plot
// and its legend until the script has drawn them.
func (c Chart) PlotHeight() int {
	h := c.Height
	if h <= 0 {
		h = DefaultHeight
	}
	return h + 40
}

// Axis says how an axis is scaled and labelled.
type Axis struct {
	Label string `json:"label"`
	Unit  string `json:"unit"`
	// Log is a log10 scale; the values <= 0 of a series on it are gaps
	// (Finish makes them so).
	Log bool `json:"log,omitempty"`
	// Ticks fix the axis's ticks and its range, first to last.
	Ticks []Tick `json:"ticks,omitempty"`
}

// Tick is a labelled value on an axis.
type Tick struct {
	V     Value  `json:"v"`
	Label string `json:"label"`
}

// Series is one line (or set of markers) of a chart.
type Series struct {
	Label  string  `json:"label"`
	Color  string  `json:"color"`
	Y      []Value `json:"y"`
	Dash   bool    `json:"dash,omitempty"`
	Width  float64 `json:"width,omitempty"`  // line width in CSS pixels; 1.5 when 0
	Points bool    `json:"points,omitempty"` // markers only, no line
	Join   bool    `json:"join,omitempty"`   // the line crosses gaps
	Hidden bool    `json:"hidden,omitempty"` // off until its legend entry is clicked
}

// Line is a labelled horizontal reference line: a threshold, a budget.
// The y axis always reaches it.
type Line struct {
	Y     Value  `json:"y"`
	Label string `json:"label"`
	Color string `json:"color"`
	Dash  bool   `json:"dash,omitempty"`
}

// Band is a span of x shaded behind the series, labelled at its top; Edge
// draws a vertical line at its start.
type Band struct {
	From  Value  `json:"from"`
	To    Value  `json:"to"`
	Color string `json:"color"`
	Label string `json:"label,omitempty"`
	Edge  bool   `json:"edge,omitempty"`
}

// Value is a number of a chart; a non-finite one is written as null.
type Value float64

// Gap is the value that breaks a series' line.
var Gap = Value(math.NaN())

// MarshalJSON writes v, or null when it is not finite.
func (v Value) MarshalJSON() ([]byte, error) {
	switch {
	case !Finite(float64(v)):
		return []byte("null"), nil
	case v == 0:
		return []byte("0"), nil // not "-0"
	}
	return strconv.AppendFloat(nil, float64(v), 'g', -1, 64), nil
}

// Values converts float64s to Values.
func Values(fs []float64) []Value {
	out := make([]Value, len(fs))
	for i, f := range fs {
		out[i] = Value(f)
	}
	return out
}

// Finish makes c consistent before it is drawn: a log axis loses the
// values it cannot show (<= 0 become gaps, lines at them are dropped), and
// a chart with no x or no finite value anywhere gets empty, an Empty reason,
// unless it has one already.
func (c *Chart) Finish(empty string) {
	if c.Y.Log {
		for _, s := range c.Series {
			for i, v := range s.Y {
				if v <= 0 {
					s.Y[i] = Gap
				}
			}
		}
		lines := c.Lines[:0]
		for _, l := range c.Lines {
			if l.Y > 0 {
				lines = append(lines, l)
			}
		}
		c.Lines = lines
	}
	if c.Empty == "" && !c.hasData() {
		c.Empty = empty
	}
}

func (c *Chart) hasData() bool {
	if len(c.Xs) == 0 {
		return false
	}
	for _, s := range c.Series {
		for _, v := range s.Y {
			if Finite(float64(v)) {
				return true
			}
		}
	}
	return false
}

// Page is what a page's charts need: the data of the charts to draw and
// the renderer. A template that Define prepared writes
// {{template "chart-style" .}} in its <head>, {{template "chart" .Some}}
// where each chart goes and {{template "chart-script" .}} at the end of
// its <body>.
type Page struct {
	data template.JS
}

// pageData is the page's one JSON blob.
type pageData struct {
	// StartMs is the run's start, Unix ms, for the wall-clock time beside
	// elapsed time; null when not recorded.
	StartMs *int64  `json:"startMs"`
	Charts  []Chart `json:"charts"`
}

// NewPage holds the data of charts, in that order; start is when elapsed
// time 0 was (zero if not recorded). Charts with an Empty reason are left
// out: their figure says why.
func NewPage(start time.Time, charts ...*Chart) (Page, error) {
	d := pageData{Charts: []Chart{}}
	if !start.IsZero() {
		ms := start.UnixMilli()
		d.StartMs = &ms
	}
	for _, c := range charts {
		if c != nil && c.Empty == "" {
			d.Charts = append(d.Charts, *c)
		}
	}
	// encoding/json escapes <, > and & (so no "</script" can appear) and
	// U+2028 and U+2029: the blob is safe inside a <script> element.
	b, err := json.Marshal(d)
	if err != nil {
		return Page{}, fmt.Errorf("chart data: %w", err)
	}
	return Page{data: template.JS(b)}, nil //nolint:gosec // JSON escaped for a script element, see above
}

// Data is the JSON blob of the page's charts, for
// <script type="application/json" id="data">.
func (p Page) Data() template.JS { return p.data }

// Style is uPlot's style sheet and the renderer's own.
func (Page) Style() template.CSS { return template.CSS(style) } //nolint:gosec // vendored and embedded, not user input

// Script is uPlot and the renderer, chart.js.
func (Page) Script() template.JS { return template.JS(script) } //nolint:gosec // vendored and embedded, not user input

//go:embed assets/uPlot.iife.min.js assets/uPlot.min.css chart.js chart.css chart.html.tmpl
var files embed.FS

var style, script = func() (string, string) {
	read := func(name string) []byte {
		b, err := files.ReadFile(name)
		if err != nil {
			panic(err) // embedded: present by construction
		}
		return b
	}
	css := bytes.Join([][]byte{read("assets/uPlot.min.css"), read("chart.css")}, []byte("\n"))
	js := bytes.Join([][]byte{read("assets/uPlot.iife.min.js"), read("chart.js")}, []byte("\n"))
	return string(css), string(js)
}()

// Define adds to t the templates "chart" (a figure: its title, the plot
// or the Empty reason, the note), "chart-style" and "chart-script" (of a
// Page), and returns t.
func Define(t *template.Template) (*template.Template, error) {
	return t.ParseFS(files, "chart.html.tmpl")
}
