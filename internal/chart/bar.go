package chart

import "fmt"

// Bar is a stacked horizontal bar chart: one bar per row, each scaled to
// 100 % and split into segments by key, with the row's total at its right.
type Bar struct {
	Title  string
	Note   string
	Unit   string // what the bars count, for the tooltips: "attempts"
	Rows   []BarRow
	Keys   []string          // the legend, in order
	Colors map[string]string // by key
	Empty  string            // shown instead of the chart when there is no row
}

// BarRow is one bar; Total is the sum of its segments.
type BarRow struct {
	Label string
	Total int64
	Segs  []BarSeg
}

// BarSeg is one key's share of a bar.
type BarSeg struct {
	Key string
	N   int64
}

// Render lays the chart out. A chart with no row renders as its Empty text.
func (b Bar) Render() View {
	const (
		rowH   = 26.0
		barH   = 16.0
		labelW = 168.0
		totalW = 80.0
	)
	v := View{Title: b.Title, Note: b.Note, W: svgNum(width), H: svgNum(float64(len(b.Rows))*rowH + 8)}
	if len(b.Rows) == 0 {
		v.Empty = b.Empty
		return v
	}
	barW := width - labelW - totalW
	for i, r := range b.Rows {
		y := 4 + float64(i)*rowH
		label := r.Label
		if len([]rune(label)) > 26 {
			label = string([]rune(label)[:25]) + "…"
		}
		v.Texts = append(v.Texts,
			SVGText{X: svgNum(labelW - 8), Y: svgNum(y + barH - 4), Anchor: "end", S: label, Tip: r.Label},
			SVGText{X: svgNum(labelW + barW + 8), Y: svgNum(y + barH - 4), Anchor: "start", S: Int(r.Total)},
		)
		var cum int64
		for _, sg := range r.Segs {
			xa := labelW + float64(cum)/float64(r.Total)*barW
			cum += sg.N
			xb := labelW + float64(cum)/float64(r.Total)*barW
			tip := fmt.Sprintf("%s · %s: %s %s (%s)", r.Label, sg.Key, Int(sg.N), b.Unit, Pct(100*float64(sg.N)/float64(r.Total)))
			v.Rects = append(v.Rects, SVGRect{X: svgNum(xa), Y: svgNum(y), W: svgNum(xb - xa), H: svgNum(barH), Fill: b.Colors[sg.Key], Tip: tip})
		}
	}
	for _, k := range b.Keys {
		v.Legend = append(v.Legend, LegendItem{Name: k, Color: b.Colors[k], Box: true})
	}
	return v
}
