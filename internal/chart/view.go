// Package chart draws the charts of the offline HTML reports as inline SVG:
// a line chart with several series on a shared x axis (numbers, time, or
// fixed labelled ticks for categories and percentiles), a y axis with nice
// ticks or a log scale, an optional right y axis, and a stacked horizontal
// bar chart. Both render to a View, plain geometry with every coordinate
// already formatted, which the embedded "chart" template turns into SVG;
// every label is escaped there by html/template. Nothing is loaded from the
// network and no script runs.
package chart

import (
	"embed"
	"html/template"
)

// View is a chart as SVG primitives, coordinates already formatted. When
// Empty is set the chart had nothing to draw and Empty says why.
type View struct {
	Title  string
	Empty  string
	Note   string
	W, H   string
	Lines  []SVGLine
	Texts  []SVGText
	Paths  []SVGPath
	Dots   []SVGDot
	Rects  []SVGRect
	Legend []LegendItem
}

// SVGLine is a straight line; Class is "grid", "axis" or "mark".
type SVGLine struct{ X1, Y1, X2, Y2, Class, Color string }

// SVGText is a label; Tip, if set, is its tooltip.
type SVGText struct {
	X, Y, Anchor, Class, S, Tip string
}

// SVGPath is one series' line.
type SVGPath struct {
	D, Color, Width string
	Dash            bool
}

// SVGDot is a marker; Fill differs from Color for a hollow one.
type SVGDot struct {
	X, Y, Color, Fill, Tip string
}

// SVGRect is one segment of a bar.
type SVGRect struct {
	X, Y, W, H, Fill, Tip string
}

// LegendItem names a series (a line) or a bar segment's key (a box).
type LegendItem struct {
	Name, Color string
	Dash, Box   bool
}

//go:embed chart.html.tmpl
var files embed.FS

// Define adds to t the template "chart", which draws a View as a <figure>
// holding inline SVG (or the View's Empty text), and returns t. Pages call
// it as {{template "chart" .SomeView}}.
func Define(t *template.Template) (*template.Template, error) {
	return t.ParseFS(files, "chart.html.tmpl")
}
