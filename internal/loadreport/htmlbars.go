package loadreport

import (
	"fmt"
	htmltemplate "html/template"
	"strconv"

	"github.com/hamsasim/hamsasim/internal/chart"
)

// htmlBars is the attempts of each event type by outcome, one stacked bar
// each scaled to 100 %, drawn in HTML and CSS: every segment's tooltip
// says its exact count.
type htmlBars struct {
	Rows  []htmlBar
	Keys  []htmlSeg // the legend
	Empty string
}

type htmlBar struct {
	Label, Total string
	Segs         []htmlSeg
}

type htmlSeg struct {
	Key, Tip string
	// Style is the segment's width and colour, from numbers and the
	// palette only.
	Style htmltemplate.CSS
}

// statusRow is one bar's label and its attempts by outcome.
type statusRow struct {
	label  string
	status map[string]int64
}

func statusBars(s *Summary) htmlBars {
	b := htmlBars{Empty: "No attempt was made."}
	rows := []statusRow{{"all types", s.Overall.Status}}
	for _, t := range s.PerType {
		rows = append(rows, statusRow{t.Type, t.Status})
	}
	keySet := map[string]bool{}
	for _, r := range rows {
		for k, n := range r.status {
			if n > 0 {
				keySet[k] = true
			}
		}
	}
	keys := statusOrder(keySet)
	colors := chartStatusColors(keys)
	for _, r := range rows {
		var total int64
		for _, k := range keys {
			total += max(0, r.status[k]) // a negative count is bad data: no segment
		}
		if total == 0 {
			continue
		}
		bar := htmlBar{Label: r.label, Total: chart.Int(total)}
		for _, k := range keys {
			if n := r.status[k]; n > 0 {
				pct := 100 * float64(n) / float64(total)
				bar.Segs = append(bar.Segs, htmlSeg{
					Key: k, Tip: fmt.Sprintf("%s, %s: %s (%s)", r.label, k, attemptsText(n), chart.Pct(pct)),
					Style: htmltemplate.CSS("flex:0 0 " + strconv.FormatFloat(pct, 'f', 3, 64) + "%;background:" + colors[k]), //nolint:gosec // numbers and palette colours
				})
			}
		}
		b.Rows = append(b.Rows, bar)
	}
	for _, k := range keys {
		b.Keys = append(b.Keys, htmlSeg{Key: k, Style: htmltemplate.CSS("background:" + colors[k])}) //nolint:gosec // a palette colour
	}
	return b
}

// attemptsText says n attempts, in words: "1 attempt", "1,099 attempts".
func attemptsText(n int64) string {
	if n == 1 {
		return "1 attempt"
	}
	return chart.Int(n) + " attempts"
}
