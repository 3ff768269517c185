package loadreport

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/html"
)

// The page read as a browser reads it: parsed with golang.org/x/net/html,
// its charts found by id, its data blob decoded.

// htmlDoc is a parsed page.
type htmlDoc struct {
	root *html.Node
}

func parseHTML(t *testing.T, page string) htmlDoc {
	t.Helper()
	root, err := html.Parse(strings.NewReader(page))
	require.NoError(t, err)
	return htmlDoc{root}
}

// all lists the elements for which keep holds, in document order.
func (d htmlDoc) all(keep func(*html.Node) bool) []*html.Node {
	var out []*html.Node
	for n := range d.root.Descendants() {
		if n.Type == html.ElementNode && keep(n) {
			out = append(out, n)
		}
	}
	return out
}

func (d htmlDoc) byID(id string) *html.Node {
	found := d.all(func(n *html.Node) bool { return htmlAttr(n, "id") == id })
	if len(found) != 1 {
		return nil
	}
	return found[0]
}

func htmlAttr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func htmlText(n *html.Node) string {
	var b strings.Builder
	for c := range n.Descendants() {
		if c.Type == html.TextNode {
			b.WriteString(c.Data)
		}
	}
	return b.String()
}

func hasClass(n *html.Node, class string) bool {
	return n.Type == html.ElementNode && strings.Contains(" "+htmlAttr(n, "class")+" ", " "+class+" ")
}

// htmlData is the page's data blob as the renderer reads it.
type htmlData struct {
	StartMs *int64 `json:"startMs"`
	Charts  []struct {
		ID     string     `json:"id"`
		Xs     []*float64 `json:"xs"`
		XNames []string   `json:"xNames"`
		X, Y   struct {
			Label string `json:"label"`
			Unit  string `json:"unit"`
			Log   bool   `json:"log"`
		}
		Series []struct {
			Label string     `json:"label"`
			Y     []*float64 `json:"y"`
		} `json:"series"`
		Lines []struct {
			Y     float64 `json:"y"`
			Label string  `json:"label"`
		} `json:"lines"`
		Bands []struct {
			From, To float64
			Label    string `json:"label"`
		} `json:"bands"`
	} `json:"charts"`
}

func (d htmlDoc) data(t *testing.T) htmlData {
	t.Helper()
	n := d.byID("data")
	require.NotNil(t, n, "one element with id data")
	require.Equal(t, "script", n.Data)
	require.Equal(t, "application/json", htmlAttr(n, "type"))
	var got htmlData
	require.NoError(t, json.Unmarshal([]byte(htmlText(n)), &got), "the data blob is JSON")
	return got
}

// seriesOf maps each drawn chart's id to its series labels.
func (h htmlData) seriesOf() map[string][]string {
	out := map[string][]string{}
	for _, c := range h.Charts {
		out[c.ID] = []string{}
		for _, s := range c.Series {
			out[c.ID] = append(out[c.ID], s.Label)
		}
	}
	return out
}

// TestHTMLChartsPresent parses the pages of a run and of a capacity
// search: every chart has its figure, a place to draw and its data, with
// the series, lines and stage bands it promises; the stage table has a row
// per stage.
func TestHTMLChartsPresent(t *testing.T) {
	t.Parallel()
	timeCharts := []string{"rate", "latency", "errors", "inflight"}
	cases := []struct {
		name   string
		s      *Summary
		charts []string
		series map[string][]string
		lines  map[string][]string
	}{
		{"run", sampleRun(), append(timeCharts, "distribution"), map[string][]string{
			"rate":   {"offered", "achieved (acked)", "attempts"},
			"errors": {"503"},
			"latency": {"call.started p99", "call.started p50", "call.answered p99", "call.answered p50", "transcription.update p99",
				"transcription.update p50", "tool.executed p99", "tool.executed p50", "call.ended p99", "call.ended p50"},
			"inflight":     {"calls in flight (at bucket end)"},
			"distribution": {"all types", "call.started", "call.answered", "transcription.update", "tool.executed", "call.ended"},
		}, map[string][]string{
			"latency": {"p95 < 2s", "p99 < 5s", "p99[tool.executed] < 1s", "5 s answer budget"},
		}},
		{"outage", sampleOutage(), append(timeCharts, "distribution"), map[string][]string{
			"errors": {"503", "refused", "reset", "timeout"},
		}, map[string][]string{
			"latency": {"p99 < 2s (failed)", "5 s answer budget"},
		}},
		{"capacity", sampleCapacity(), append(timeCharts, "knee-rate", "knee-latency", "distribution"), map[string][]string{
			"errors":       {"503", "late", "reset", "timeout"},
			"knee-rate":    {"achieved", "achieved, held", "achieved, broke", "achieved = offered", "−10 %: saturated below"},
			"knee-latency": {"p99", "p99, held", "p99, broke", "p50"},
		}, map[string][]string{
			"knee-latency": {"p99 < 2s", "5 s answer budget"},
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			doc := parseHTML(t, renderHTML(t, tc.s))
			data := doc.data(t)
			require.NotNil(t, data.StartMs)
			assert.Equal(t, goldenStart.UnixMilli(), *data.StartMs)
			got := data.seriesOf()
			ids := []string{}
			for _, c := range data.Charts {
				ids = append(ids, c.ID)
			}
			assert.Equal(t, tc.charts, ids, "the charts drawn, in page order")
			for _, id := range tc.charts {
				fig := doc.byID("chart-" + id)
				require.NotNil(t, fig, "figure chart-%s", id)
				assert.Equal(t, "figure", fig.Data)
				assert.Len(t, doc.all(func(n *html.Node) bool { return hasClass(n, "plot") && n.Parent == fig }), 1, "chart-%s has a place to draw", id)
			}
			for id, want := range tc.series {
				assert.Equal(t, want, got[id], "series of %s", id)
			}
			for _, c := range data.Charts {
				for _, s := range c.Series {
					assert.Len(t, s.Y, len(c.Xs), "%s: %s is parallel to x", c.ID, s.Label)
				}
				var lines []string
				for _, l := range c.Lines {
					lines = append(lines, l.Label)
				}
				if want, ok := tc.lines[c.ID]; ok {
					assert.Equal(t, want, lines, "lines of %s", c.ID)
				}
			}
			assert.NotNil(t, doc.byID("chart-outcomes"), "the outcome bars")
		})
	}
}

// TestHTMLCapacityStages checks the capacity page: the planning sentence
// at the top, a stage table row per stage with its figures, a per-type
// table per stage, stage bands on every time chart, and the per-type
// table labelled as all stages together.
func TestHTMLCapacityStages(t *testing.T) {
	t.Parallel()
	s := sampleCapacity()
	doc := parseHTML(t, renderHTML(t, s))
	planning := doc.all(func(n *html.Node) bool { return hasClass(n, "planning") })
	require.Len(t, planning, 1)
	assert.Equal(t, "Capacity"+s.Capacity.Planning+".", htmlText(planning[0]))

	table := doc.byID("stages")
	require.NotNil(t, table)
	rows := doc.all(func(n *html.Node) bool { return n.Data == "tr" && n.Parent.Data == "tbody" && n.Parent.Parent == table })
	require.Len(t, rows, len(s.Capacity.Stages))
	cells := func(tr *html.Node) []string {
		var out []string
		for c := range tr.ChildNodes() {
			if c.Data == "td" {
				out = append(out, htmlText(c))
			}
		}
		return out
	}
	assert.Equal(t, []string{"4", "40", "484", "410", "260 ms", "4.1 s", "247 ms → 273 ms", "97.2 %", "31", "1m55s–2m15s",
		"broke: p99 < 2s; success >= 99.5%; saturated: achieved 410 of 484 events/s"}, cells(rows[3]))
	assert.Equal(t, []string{"6", "35", "424", "419", "96 ms", "2.3 s", "41 ms → 180 ms ↑", "99.7 %", "2", "3m5s–3m25s",
		"broke: p99 < 2s; growing queue: p50 41 ms → 180 ms"}, cells(rows[5]))
	assert.Len(t, doc.all(func(n *html.Node) bool { return n.Data == "details" }), len(s.Capacity.Stages), "a per-type table per stage")

	data := doc.data(t)
	for _, c := range data.Charts {
		switch c.ID {
		case "rate", "latency", "errors", "inflight":
			assert.Len(t, c.Bands, 3*len(s.Capacity.Stages), "%s: warm-up, judged window and label per stage", c.ID)
			assert.Equal(t, "40 calls/s broke", c.Bands[3*3+2].Label)
			assert.InDelta(t, 105, c.Bands[3*3+2].From, 1e-9)
		default:
			assert.Empty(t, c.Bands, c.ID)
		}
	}
	note := doc.all(func(n *html.Node) bool {
		return hasClass(n, "note") && strings.HasPrefix(htmlText(n), "All stages of the capacity search together")
	})
	assert.Len(t, note, 1, "the overall per-type table says it mixes the stages")
}

// htmlNetAttrs are the attributes that make a browser fetch something.
var htmlNetAttrs = map[string]bool{
	"src": true, "href": true, "xlink:href": true, "srcset": true, "action": true, "formaction": true,
	"poster": true, "data": true, "background": true, "manifest": true, "ping": true, "cite": true, "longdesc": true,
}

var (
	// htmlNetCode is what in a script or a style sheet reaches for the
	// network or another file.
	htmlNetCode = regexp.MustCompile(`(?i)\bfetch\s*\(|XMLHttpRequest|\bimport\s*\(|importScripts|WebSocket|EventSource|sendBeacon|url\s*\(|@import|\bsrc\s*=`)
	htmlURL     = regexp.MustCompile(`(?i)(https?:)?//[a-z0-9][-a-z0-9.]*\.[a-z]{2,}[^\s"'<>)]*`)
	// htmlAllowedURLs are the URLs a script or style may hold: uPlot's
	// banner comment names its home, and an XML namespace (which a future
	// uPlot may hold for SVG) is a name, never fetched.
	htmlAllowedURLs = regexp.MustCompile(`^(https://github\.com/leeoniya/uPlot|http://www\.w3\.org/(2000/svg|1999/xhtml|1999/xlink))$`)
)

// htmlOfflineProblems lists what in page would load something from
// outside the page, by parsing it: elements that embed another resource,
// attributes that point anywhere but a fragment of the page, and in
// scripts and styles any fetching call, url() or @import, or URL.
// The JSON data blob is data, not code: it only has to parse.
func htmlOfflineProblems(page string) []string {
	root, err := html.Parse(strings.NewReader(page))
	if err != nil {
		return []string{err.Error()}
	}
	var out []string
	for n := range root.Descendants() {
		if n.Type != html.ElementNode {
			continue
		}
		switch n.Data {
		case "link", "iframe", "object", "embed", "img", "base", "image", "use", "audio", "video", "source", "frame":
			out = append(out, "<"+n.Data+">")
		case "meta":
			if strings.EqualFold(htmlAttr(n, "http-equiv"), "refresh") {
				out = append(out, "<meta refresh>")
			}
		case "script", "style":
			if n.Data == "script" && htmlAttr(n, "type") == "application/json" {
				if !json.Valid([]byte(htmlText(n))) {
					out = append(out, "a JSON script that does not parse")
				}
				break
			}
			code := htmlText(n)
			out = append(out, htmlNetCode.FindAllString(code, -1)...)
			for _, u := range htmlURL.FindAllString(code, -1) {
				if !htmlAllowedURLs.MatchString(u) {
					out = append(out, u)
				}
			}
		}
		for _, a := range n.Attr {
			key := strings.ToLower(a.Key)
			switch {
			case htmlNetAttrs[key] && !strings.HasPrefix(a.Val, "#"):
				out = append(out, key+"="+a.Val)
			case key == "style" && htmlNetCode.MatchString(a.Val):
				out = append(out, "style="+a.Val)
			}
		}
	}
	return out
}

func assertHTMLOffline(t *testing.T, page string) {
	t.Helper()
	assert.Empty(t, htmlOfflineProblems(page), "the page must work offline, from one file")
}

// TestWriteHTMLOffline checks every page needs nothing but itself.
func TestWriteHTMLOffline(t *testing.T) {
	t.Parallel()
	for name, s := range map[string]*Summary{
		"run": sampleRun(), "outage": sampleOutage(), "capacity": sampleCapacity(),
		"older": asOlder(goldenCapacity()), "zero": {}, "hostile": goldenHostile(),
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			page := renderHTML(t, s)
			assertHTMLOffline(t, page)
			doc := parseHTML(t, page)
			scripts := doc.all(func(n *html.Node) bool { return n.Data == "script" })
			require.Len(t, scripts, 2, "the data blob, then uPlot and the renderer inline")
			assert.Equal(t, "data", htmlAttr(scripts[0], "id"))
			assert.Contains(t, htmlText(scripts[1]), "uPlot (v1.6.32)")
		})
	}
}

// TestHTMLOfflineCheckCatches proves the offline check can fail, and that
// it lets the page's own text and uPlot's banner be.
func TestHTMLOfflineCheckCatches(t *testing.T) {
	t.Parallel()
	for _, bad := range []string{
		`<script src="x.js"></script>`,
		`<script src="https://cdn.example.com/uplot.js"></script>`,
		`<link rel="stylesheet" href="a.css">`,
		`<img src="https://cdn.example.com/a.png">`,
		`<a href='http://example.com'>x</a>`,
		`<a href="other.html">x</a>`,
		`<svg><image href=//example.com/a.png /></svg>`,
		`<style>body{background:url(https://example.com/a.png)}</style>`,
		`<style>@import "fonts.css";</style>`,
		`<p style="background:url(a.png)">x</p>`,
		`<script>fetch("/api")</script>`,
		`<script>var s = document.createElement("script"); s.src = "https://cdn.example.com/x.js"</script>`,
		`<script>new WebSocket("wss://example.com")</script>`,
		`<script type="application/json" id="data">{"a":NaN}</script>`,
	} {
		assert.NotEmpty(t, htmlOfflineProblems(bad), bad)
	}
	for _, ok := range []string{
		`<p>https://example.com is the target</p>`,
		`<script>/*! https://github.com/leeoniya/uPlot (v1.6.32) */</script>`,
		`<script>var ns = "http://www.w3.org/2000/svg"</script>`,
		`<script type="application/json" id="data">{"target":"https://example.com"}</script>`,
		`<a href="#stages">stages</a>`,
	} {
		assert.Empty(t, htmlOfflineProblems(ok), ok)
	}
}
