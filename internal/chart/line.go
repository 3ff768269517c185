package chart

import (
	"cmp"
	"math"
	"strings"
)

// The drawing area, in SVG units.
const (
	width     = 720.0
	marginTop = 24.0
	marginBot = 40.0
	marginL   = 64.0
)

// Line is a line chart: series on a shared x axis against a left y axis,
// or against the right one (Y2) when a series sets Right.
type Line struct {
	Title  string
	Height float64
	X, Y   Axis
	Y2     *Axis // right axis, for series with Right set
	Series []Series
	Marks  []Mark
	Empty  string // shown instead of the chart when there is nothing to draw
	Note   string
}

// Axis says how an axis is scaled and labelled.
type Axis struct {
	Label  string
	Format func(float64) string // tick labels; Num if nil
	Log    bool                 // log10 scale; values <= 0 are not drawn
	Time   bool                 // values are seconds: ticks fall on 1s, 10s, 1m, 5m, ...
	Ticks  []Tick               // fixed ticks, which also fix the range to first..last
}

// Tick is a labelled value on an axis.
type Tick struct {
	V     float64
	Label string
}

// Series is one line of a Line chart.
type Series struct {
	Name  string
	Color string
	Pts   []Point // a non-finite Y is a gap in the line
	Right bool    // against the right axis
	Dash  bool
	Bold  bool
	Dots  bool // a marker at every point, not only at isolated ones
}

// Point is one value of a Series.
type Point struct {
	X, Y   float64
	Hollow bool   // an open marker
	Tip    string // the marker's tooltip
}

// Gap is a point that breaks a series' line at x.
func Gap(x float64) Point { return Point{X: x, Y: math.NaN()} }

// Mark is a labelled vertical reference line.
type Mark struct {
	X     float64
	Label string
	Color string
}

// scale maps data values to pixels.
type scale struct {
	lo, hi float64 // data range (log10 of it on a log scale)
	log    bool
	p0, p1 float64 // pixel range
}

func (s scale) at(v float64) float64 {
	if s.log {
		v = math.Log10(v)
	}
	v = min(max(v, s.lo), s.hi)
	return s.p0 + (v-s.lo)/(s.hi-s.lo)*(s.p1-s.p0)
}

func (s scale) in(v float64) bool {
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
func (a Axis) resolve(vals []float64, p0, p1 float64) (scale, []Tick) {
	format := a.Format
	if format == nil {
		format = Num
	}
	if len(a.Ticks) > 0 {
		lo, hi := a.Ticks[0].V, a.Ticks[len(a.Ticks)-1].V
		return scale{lo: lo, hi: hi, p0: p0, p1: p1}, a.Ticks
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range vals {
		if a.Log && v <= 0 {
			continue
		}
		lo, hi = min(lo, v), max(hi, v)
	}
	if a.Log && !math.IsInf(lo, 1) {
		return logScale(lo, hi, p0, p1, format)
	}
	if math.IsInf(lo, 1) {
		lo, hi = 0, 1
	}
	lo = min(lo, 0)
	if hi <= lo {
		hi = lo + 1
	}
	step := niceStep(hi-lo, 5)
	if a.Time && hi-lo > 5 {
		step = timeStep(hi - lo)
	}
	lo = math.Floor(lo/step) * step
	hi = math.Ceil(hi/step-1e-9) * step
	var ticks []Tick
	n := int(math.Round((hi - lo) / step))
	for i := 0; i <= n; i++ {
		v := lo + float64(i)*step
		if math.Abs(v) < step*1e-9 {
			v = 0
		}
		ticks = append(ticks, Tick{v, format(v)})
	}
	return scale{lo: lo, hi: hi, p0: p0, p1: p1}, ticks
}

// logScale spans whole decades around lo..hi (both above zero), with
// ticks at 1, 2 and 5 times each power of ten when it spans two or less.
func logScale(lo, hi, p0, p1 float64, format func(float64) string) (scale, []Tick) {
	d0, d1 := math.Floor(math.Log10(lo)), math.Ceil(math.Log10(hi))
	if d1 <= d0 {
		d1 = d0 + 1
	}
	mult := []float64{1}
	if d1-d0 <= 2 {
		mult = []float64{1, 2, 5}
	}
	var ticks []Tick
	for d := d0; d <= d1; d++ {
		for _, m := range mult {
			v := m * math.Pow(10, d)
			if d == d1 && m > 1 {
				break
			}
			ticks = append(ticks, Tick{v, format(v)})
		}
	}
	return scale{lo: d0, hi: d1, log: true, p0: p0, p1: p1}, ticks
}

// niceStep is a round step (1, 2, 2.5 or 5 times a power of ten) that cuts
// span into at most about n parts.
func niceStep(span float64, n int) float64 {
	raw := span / float64(n)
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 2.5, 5} {
		if raw <= m*mag*(1+1e-9) {
			return m * mag
		}
	}
	return 10 * mag
}

// timeStep is a step in seconds a clock reader finds round.
func timeStep(span float64) float64 {
	for _, s := range []float64{1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400} {
		if span/s <= 8 {
			return s
		}
	}
	return niceStep(span, 8)
}

// frame is where a Line chart is drawn: the plot's corners in pixels and
// the scales of its axes.
type frame struct {
	x0, x1, y0, y1 float64
	sx, sy, sy2    scale
}

// Render lays the chart out. A chart with no finite point renders as its
// Empty text (or "No data.").
func (c Line) Render() View {
	v := View{Title: c.Title, Note: c.Note, W: svgNum(width), H: svgNum(c.Height)}
	xs, ys, y2s := c.values()
	if len(xs) == 0 {
		v.Empty = cmp.Or(c.Empty, "No data.")
		return v
	}
	for _, s := range c.Series {
		v.Legend = append(v.Legend, LegendItem{Name: s.Name, Color: s.Color, Dash: s.Dash})
	}
	// Room at the right for the last x tick's label or the right axis,
	// and at the top for the axis labels and the marks' labels.
	right, top := 28.0, marginTop
	if c.Y2 != nil {
		right = 56
	}
	if len(c.Marks) > 0 {
		top += 14
	}
	f := frame{x0: marginL, x1: width - right, y0: c.Height - marginBot, y1: top}
	for _, m := range c.Marks {
		if Finite(m.X) {
			xs = append(xs, m.X)
		}
	}
	v.axes(c, &f, xs, ys)
	if c.Y2 != nil {
		v.rightAxis(*c.Y2, &f, y2s)
	}
	v.marks(c.Marks, f)
	for _, s := range c.Series {
		ys := f.sy
		if s.Right && c.Y2 != nil {
			ys = f.sy2
		}
		v.series(s, f.sx, ys)
	}
	return v
}

// values are the finite coordinates the axes must show.
func (c Line) values() (xs, ys, y2s []float64) {
	for _, s := range c.Series {
		for _, p := range s.Pts {
			if !Finite(p.X) || !Finite(p.Y) {
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
	return xs, ys, y2s
}

// axes resolves the x and left y scales into f and draws their grid,
// ticks, lines and labels.
func (v *View) axes(c Line, f *frame, xs, ys []float64) {
	var xticks, yticks []Tick
	f.sx, xticks = c.X.resolve(xs, f.x0, f.x1)
	f.sy, yticks = c.Y.resolve(ys, f.y0, f.y1)
	for _, t := range yticks {
		y := f.sy.at(t.V)
		v.Lines = append(v.Lines, SVGLine{X1: svgNum(f.x0), Y1: svgNum(y), X2: svgNum(f.x1), Y2: svgNum(y), Class: "grid"})
		v.Texts = append(v.Texts, SVGText{X: svgNum(f.x0 - 6), Y: svgNum(y + 4), Anchor: "end", S: t.Label})
	}
	for _, t := range xticks {
		x := f.sx.at(t.V)
		v.Lines = append(v.Lines, SVGLine{X1: svgNum(x), Y1: svgNum(f.y0), X2: svgNum(x), Y2: svgNum(f.y0 + 4), Class: "axis"})
		v.Texts = append(v.Texts, SVGText{X: svgNum(x), Y: svgNum(f.y0 + 16), Anchor: "middle", S: t.Label})
	}
	v.Lines = append(v.Lines,
		SVGLine{X1: svgNum(f.x0), Y1: svgNum(f.y0), X2: svgNum(f.x1), Y2: svgNum(f.y0), Class: "axis"},
		SVGLine{X1: svgNum(f.x0), Y1: svgNum(f.y0), X2: svgNum(f.x0), Y2: svgNum(f.y1), Class: "axis"},
	)
	v.Texts = append(v.Texts,
		SVGText{X: "4.0", Y: svgNum(marginTop - 10), Anchor: "start", Class: "label", S: c.Y.Label},
		SVGText{X: svgNum((f.x0 + f.x1) / 2), Y: svgNum(c.Height - 6), Anchor: "middle", Class: "label", S: c.X.Label},
	)
}

// rightAxis resolves the right y scale into f and draws its ticks, line
// and label.
func (v *View) rightAxis(a Axis, f *frame, y2s []float64) {
	var ticks []Tick
	f.sy2, ticks = a.resolve(y2s, f.y0, f.y1)
	for _, t := range ticks {
		y := f.sy2.at(t.V)
		v.Texts = append(v.Texts, SVGText{X: svgNum(f.x1 + 6), Y: svgNum(y + 4), Anchor: "start", S: t.Label})
	}
	v.Lines = append(v.Lines, SVGLine{X1: svgNum(f.x1), Y1: svgNum(f.y0), X2: svgNum(f.x1), Y2: svgNum(f.y1), Class: "axis"})
	v.Texts = append(v.Texts, SVGText{X: svgNum(width - 4), Y: svgNum(marginTop - 10), Anchor: "end", Class: "label", S: a.Label})
}

// marks draws the reference lines that fall on the x axis.
func (v *View) marks(marks []Mark, f frame) {
	for i, m := range marks {
		if !Finite(m.X) || !f.sx.in(m.X) {
			continue
		}
		x := f.sx.at(m.X)
		v.Lines = append(v.Lines, SVGLine{X1: svgNum(x), Y1: svgNum(f.y0), X2: svgNum(x), Y2: svgNum(f.y1), Class: "mark", Color: m.Color})
		// Labels sit above the plot, beside their line, so they cross
		// no series; the first points left, the others right, so two
		// close marks do not overprint.
		lx, anchor := x+3, "start"
		if i == 0 && len(marks) > 1 {
			lx, anchor = x-3, "end"
		}
		v.Texts = append(v.Texts, SVGText{X: svgNum(lx), Y: svgNum(f.y1 - 4), Anchor: anchor, Class: "small", S: m.Label})
	}
}

// series draws one series as a path broken at its gaps, with markers at
// every point (Dots) or at isolated ones.
func (v *View) series(s Series, sx, ys scale) {
	drawable := func(y float64) bool { return Finite(y) && (!ys.log || y > 0) }
	lineWidth := "1.5"
	if s.Bold {
		lineWidth = "2.5"
	}
	var d strings.Builder
	var run []Point
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
			v.Dots = append(v.Dots, SVGDot{X: svgNum(sx.at(p.X)), Y: svgNum(ys.at(p.Y)), Color: s.Color, Fill: s.Color, Tip: p.Tip})
		}
		run = run[:0]
	}
	for _, p := range s.Pts {
		if !Finite(p.X) || !drawable(p.Y) {
			flush()
			continue
		}
		run = append(run, p)
		if s.Dots {
			fill := s.Color
			if p.Hollow {
				fill = "#fff"
			}
			v.Dots = append(v.Dots, SVGDot{X: svgNum(sx.at(p.X)), Y: svgNum(ys.at(p.Y)), Color: s.Color, Fill: fill, Tip: p.Tip})
		}
	}
	flush()
	if d.Len() > 0 {
		v.Paths = append(v.Paths, SVGPath{D: d.String(), Color: s.Color, Width: lineWidth, Dash: s.Dash})
	}
}
