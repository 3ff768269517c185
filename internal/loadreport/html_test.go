package loadreport

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestWriteHTMLGolden compares the whole page, its inlined library and
// renderer set aside and its data blob indented (see htmlGoldenForm), for
// four summaries built here so they never drift: a passing run, a failed
// and interrupted merge, a capacity search, and a capacity search written
// before summaries held offered load, causes and stage placement.
func TestWriteHTMLGolden(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		s    *Summary
		want []string // facts the page must state, checked apart from the golden
	}{
		{"passed", sampleRun(), []string{
			`<span class="badge pass">PASSED</span>`,
			"<dt>shard</dt><dd>shard 2/4 (--shard 1/4)</dd>",
			"<dt>started</dt><dd>2026-11-03 09:00:00 UTC</dd>",
			"<dt>elapsed time</dt><dd>5m4s (drain included)</dd>",
			`<tr><td>p99 &lt; 5s</td><td class="n">190ms</td><td class="held">held</td></tr>`,
			"<dt>acked/s</dt><dd>",
			"Time is elapsed since the start (2026-11-03 09:00:00 UTC).",
		}},
		{"failed", sampleOutage(), []string{
			`<span class="badge fail">FAILED</span><span class="badge intr">INTERRUPTED</span>`,
			"interrupted by SIGINT after 1m12s",
			"<dt>shard</dt><dd>merged from 3 shards</dd>",
			`<td class="failed">failed</td>`,
			`<td class="nodata">no data</td>`,
			"<h2>Contract violations</h2>",
			"<h2>Notes</h2>",
		}},
		{"capacity", sampleCapacity(), []string{
			`<p class="planning"><strong>Capacity</strong>holds 30 calls/s (363 events/s) ≈ 5,400 concurrent 3-minute calls; the scenario&#39;s peak needs 20 calls/s: 1.5× headroom.</p>`,
			"Highest rate that held: 30 calls/s (363 events/s); broke at 35 calls/s.",
			"Search stopped: bisected to within 5 calls/s",
			"Each stage sent calls for 30 s, the first 10 s of it warm-up, not judged.",
			`<td class="failed">broke: p99 &lt; 2s; growing queue: p50 41 ms → 180 ms</td>`,
			`<td class="n grow">41 ms → 180 ms ↑</td>`,
			`<td class="n hot">410</td>`,
			"<summary>Stage 4 (40 calls/s, broke) per event type</summary>",
			"All stages of the capacity search together",
		}},
		{"capacity-older", asOlder(goldenCapacity()), []string{
			`<p class="planning"><strong>Capacity</strong>Highest rate that held: 30 calls/s (363 events/s); broke at 35 calls/s.</p>`,
			`<td class="failed">broke p99 &lt; 2s, success &gt;= 99.5%</td>`,
			"This summary does not record the offered event rate: x is the call rate.",
			"This summary does not record the offered load.",
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := renderHTML(t, tc.s)
			assertGolden(t, filepath.Join("testdata", "html", tc.name+".golden.html"), htmlGoldenForm(t, got))
			assertHas(t, got, tc.want...)
			assertHTMLWellFormed(t, got)
			assertHTMLOffline(t, got)
		})
	}
}

var (
	htmlInlineScript = regexp.MustCompile(`(?s)<script>\n.*?\n</script>`)
	htmlInlineStyle  = regexp.MustCompile(`(?s)<style>\n\.uplot, .*?\n</style>`)
	htmlDataBlob     = regexp.MustCompile(`(?s)(<script type="application/json" id="data">)(.*?)(</script>)`)
	htmlNumberArray  = regexp.MustCompile(`\[[-0-9.e+null,\s]*\]`)
)

// htmlGoldenForm is the page as its golden file holds it: the inlined
// uPlot and renderer (package chart's files, tested there) named instead
// of copied, and the data blob indented with its arrays of numbers kept
// on one line, so a diff reads.
func htmlGoldenForm(t *testing.T, page string) string {
	t.Helper()
	require.Equal(t, 1, len(htmlInlineScript.FindAllString(page, -1)), "one inline script")
	require.Equal(t, 1, len(htmlInlineStyle.FindAllString(page, -1)), "one chart style sheet")
	page = htmlInlineScript.ReplaceAllLiteralString(page, "<script>\n/* uPlot and internal/chart/chart.js, inlined */\n</script>")
	page = htmlInlineStyle.ReplaceAllLiteralString(page, "<style>\n/* uPlot's and internal/chart/chart.css, inlined */\n</style>")
	m := htmlDataBlob.FindStringSubmatch(page)
	require.NotNil(t, m, "the data blob")
	var indented bytes.Buffer
	require.NoError(t, json.Indent(&indented, []byte(m[2]), "", "  "))
	blob := htmlNumberArray.ReplaceAllStringFunc(indented.String(), func(a string) string {
		return strings.Join(strings.Fields(a), "")
	})
	return strings.Replace(page, m[0], m[1]+"\n"+blob+"\n"+m[3], 1)
}

// TestWriteHTMLSections checks the sections come in the order the report
// promises, and that the capacity section appears only for a search.
func TestWriteHTMLSections(t *testing.T) {
	t.Parallel()
	order := []string{
		"<header>", `<p class="planning">`, "<h2>Thresholds</h2>", "<h2>Capacity</h2>",
		`id="chart-knee-rate"`, `id="chart-knee-latency"`, `<table id="stages">`, "<details>",
		"<h2>Headline numbers</h2>", "<h2>Over time</h2>",
		`id="chart-rate"`, `id="chart-latency"`, `id="chart-errors"`, `id="chart-inflight"`,
		"<h2>Latency distribution</h2>", `id="chart-distribution"`,
		"<h2>Per event type</h2>", `id="chart-outcomes"`,
		"<h2>End state</h2>", "<h2>Contract violations</h2>", "<h2>Notes</h2>", "<footer>",
		`<script type="application/json" id="data">`, "<script>\n/*! https://github.com/leeoniya/uPlot (v1.6.32) */",
	}
	s := sampleCapacity()
	s.Violations = goldenFailed().Violations
	s.Notes = []string{"a note"}
	got := renderHTML(t, s)
	last := -1
	for _, marker := range order {
		i := strings.Index(got, marker)
		require.GreaterOrEqual(t, i, 0, "missing %q", marker)
		assert.Greater(t, i, last, "%q is out of order", marker)
		last = i
	}
	run := renderHTML(t, sampleRun())
	for _, capacityOnly := range []string{"<h2>Capacity</h2>", `class="planning`, "chart-knee", "All stages"} {
		assert.NotContains(t, run, capacityOnly)
	}
}

// TestWriteHTMLEscapes feeds strings a target or a user could write and
// checks each comes out as text, not markup, in the page and in its data
// blob.
func TestWriteHTMLEscapes(t *testing.T) {
	t.Parallel()
	got := renderHTML(t, goldenHostile())
	for _, raw := range []string{
		"<script>alert", "</title><script", "<script>stop", "<script>x", "<script>g", "<img src=x>", "<b>", `onload=alert(1)>`, `"><svg`,
	} {
		assert.False(t, strings.Contains(got, raw), "the page holds %q", raw)
	}
	assert.Equal(t, 2, strings.Count(got, "<script"), "the data blob and the inline script, no other")
	assertHas(t, got,
		"<title>hamsasim load report: &lt;/title&gt;&lt;script&gt;alert(1)&lt;/script&gt;</title>",
		`<p class="desc">&lt;/title&gt;&lt;script&gt;alert(1)&lt;/script&gt;</p>`,
		"<li>&lt;img src=x&gt;</li>",
		"<td>answer said &lt;b&gt;no&lt;/b&gt; &amp; closed</td>",
		"<dd>https://hooks.example.com/&#34;&gt;&lt;svg onload=alert(1)&gt; (url)</dd>",
		"<td>&lt;svg onload=alert(1)&gt;</td>",
		"Search stopped: &lt;i&gt;limit&lt;/i&gt;",
		`title="&lt;svg onload=alert(1)&gt;, 200: 1,099 attempts (99.73 %)"`, // html/template, in an attribute
		`"label":"\u003csvg onload=alert(1)\u003e"`,                          // encoding/json, inside the blob
	)
	assertHTMLWellFormed(t, got)
	labels := parseHTML(t, got).data(t).seriesOf()["distribution"]
	assert.Contains(t, labels, "<svg onload=alert(1)>", "the blob reads back as the text it was")
}

// TestWriteHTMLEdgeCases renders summaries with little, odd, bad or no
// data: none may panic, print NaN or Inf, write a blob that is not JSON,
// or break the page; each chart is drawn or says why not.
func TestWriteHTMLEdgeCases(t *testing.T) {
	t.Parallel()
	nan, inf := math.NaN(), math.Inf(1)
	cases := []struct {
		name  string
		s     *Summary
		want  []string
		drawn []string // the charts in the data blob
	}{
		{"nil", nil, []string{"unnamed scenario", "No timeline: no attempt finished.", "summary version 0"}, nil},
		{"zero", &Summary{}, []string{
			`<span class="badge fail">FAILED</span>`,
			"<dt>shard</dt><dd>not sharded</dd>",
			"<dt>started</dt><dd>not recorded</dd>",
			"The scenario sets no threshold.",
			"No timeline: no attempt finished.",
			"No latency distribution recorded.",
			"No event was sent.",
			"<dt>p99</dt><dd>—</dd>",
			"<dt>success</dt><dd>—</dd>",
			"Time is elapsed since the start. Hover",
			"generated by hamsasim · summary version 0",
		}, nil},
		{"single bucket", &Summary{
			Timeline: Timeline{BucketMs: 1000, Buckets: []Bucket{{Attempts: 3, Acked: 3, InFlight: 1, P50: 12, P99: 40, Max: 41}}},
		}, []string{
			"1 bucket of 1 s, by the time attempts finished",
			"Every attempt was acknowledged: no error, no timeout.",
		}, []string{"rate", "latency", "inflight"}},
		{"all-zero latencies", &Summary{
			Overall: Stats{Attempts: 10, Latency: Latency{Count: 10, Distribution: make([]float64, len(DistributionPercentiles))}},
			PerType: []TypeStats{{Type: "call.started", Stats: Stats{Attempts: 10, Status: map[string]int64{"200": 10}}}},
			Timeline: Timeline{BucketMs: 1000, Buckets: []Bucket{
				{AtMs: 0, Attempts: 5}, {AtMs: 1000, Attempts: 5},
			}},
		}, []string{"<dt>p99</dt><dd>0 ms</dd>"}, []string{"rate", "latency", "inflight", "distribution"}},
		{"no bucket size", &Summary{
			Timeline: Timeline{Buckets: []Bucket{{AtMs: 0, Attempts: 5, Errors: 1}}},
		}, []string{"<figcaption>Offered and achieved rate</figcaption>\n<p class=\"muted\">No bucket size recorded: rates cannot be computed.</p>"},
			[]string{"latency", "inflight"}},
		{"not finite", &Summary{
			Overall:    Stats{Acked: 1, SuccessPct: nan, AttemptsPerSec: inf, Latency: Latency{Count: 1, P99: nan, Distribution: []float64{1, nan, 3}}},
			Thresholds: []ThresholdResult{{Threshold: "p99 < 1s", Metric: "p99", Got: nan, Limit: nan}},
			Timeline: Timeline{BucketMs: 1000, Buckets: []Bucket{
				{AtMs: 0, Attempts: 1, P99: nan, Max: inf, PerType: []BucketType{{Type: "x", Attempts: 1, P99: inf, P50: nan}}},
				{AtMs: 1000, Attempts: 1, P99: 5},
			}},
			Capacity: &Capacity{Stages: []Stage{{CallsPerSec: nan, OfferedPerSec: inf, P99: 1, StartMs: 0, EndMs: 1000}}},
		}, []string{"<dt>success</dt><dd>n/a</dd>", "No rate held.", "No stage ran."}, []string{"rate", "inflight", "distribution"}},
		{"negative", &Summary{
			Overall:    Stats{Status: map[string]int64{"200": -5, "503": 2}},
			Thresholds: []ThresholdResult{{Threshold: "p99 < 1s", Metric: "p99", Limit: -1}},
			Timeline: Timeline{BucketMs: 1000, Buckets: []Bucket{
				{AtMs: 0, Attempts: -1, Acked: -2, Offered: -3, InFlight: -4, P50: -5, P99: -6, Causes: map[string]int64{"503": -2}},
				{AtMs: 1000, Attempts: 2, Acked: 2, Offered: 2, P50: 3, P99: 4,
					PerType: []BucketType{{Type: "call.started", Attempts: 2, P50: -1, P99: 4}}},
			}},
			Capacity: &Capacity{Stages: []Stage{{CallsPerSec: 2, OfferedPerSec: -10, EventsPerSec: 3, P99: -1, StartMs: 5, EndMs: 1}}},
		}, []string{"No rate held."}, []string{"rate", "latency", "errors", "inflight", "knee-rate", "knee-latency"}},
		{"distribution shorter than percentiles", &Summary{
			Overall: Stats{Latency: Latency{Count: 2, Max: 9, Distribution: []float64{1, 2, 3}}},
		}, nil, []string{"distribution"}},
		{"empty capacity", &Summary{Capacity: &Capacity{Limit: "interrupted"}}, []string{
			"No rate held.", "No stage ran.",
		}, nil},
	}
	bad := regexp.MustCompile(`\bNaN\b|\bInf\b`)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := renderHTML(t, tc.s)
			page := htmlGoldenForm(t, got) // uPlot's own code set aside
			assert.False(t, bad.MatchString(page), "NaN or Inf printed: %q", bad.FindString(page))
			assertHas(t, got, tc.want...)
			assertHTMLWellFormed(t, got)
			var drawn []string
			for _, c := range parseHTML(t, got).data(t).Charts {
				drawn = append(drawn, c.ID)
			}
			assert.Equal(t, tc.drawn, drawn)
		})
	}
}

func TestWriteHTMLWriteError(t *testing.T) {
	t.Parallel()
	err := WriteHTML(htmlFailingWriter{}, goldenPassed())
	assert.ErrorIs(t, err, errHTMLWrite)
}

var errHTMLWrite = errors.New("disk full")

type htmlFailingWriter struct{}

func (htmlFailingWriter) Write([]byte) (int, error) { return 0, errHTMLWrite }

func TestHTMLShowNumbers(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		got  string
		want string
	}{
		{"bytes", showBytes(512), "512 B"},
		{"kilobytes", showBytes(2048), "2.05 kB"},
		{"megabytes", showBytes(12_345_678), "12.3 MB"},
		{"dur ms", showDur(850), "850 ms"},
		{"dur s", showDur(12_345), "12.3 s"},
		{"dur min", showDur(125_000), "2m5s"},
		{"dur whole min", showDur(120_000), "2m"},
		{"dur hour", showDur(3_600_000), "1h"},
		{"time", showTime(time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("x", 3600))), "2026-01-02 02:04:05 UTC"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tc.want, tc.got)
		})
	}
}

func TestChartPercentileX(t *testing.T) {
	t.Parallel()
	for p, want := range map[float64]float64{0: 0, 90: 1, 99: 2, 99.9: 3, 99.99: 4, 100: chartPctMaxX} {
		assert.InDelta(t, want, chartPercentileX(p), 1e-9, "p%v", p)
	}
}

func TestChartStatusOrder(t *testing.T) {
	t.Parallel()
	got := statusOrder(map[string]int64{"timeout": 1, "503": 1, "reset": 1, "200": 1, "429": 1, "refused": 1, "99": 1})
	assert.Equal(t, []string{"99", "200", "429", "503", "refused", "reset", "timeout"}, got)
	colors := chartStatusColors([]string{"200", "201", "503", "timeout", "reset"})
	assert.Equal(t, "#59a14f", colors["200"])
	assert.Equal(t, "#8cd17d", colors["201"])
	assert.Equal(t, "#e15759", colors["503"])
	assert.Equal(t, chartColorTimeout, colors["timeout"])
	assert.Equal(t, chartColorLate, chartStatusColors([]string{"late"})["late"])
	assert.Equal(t, "#9c755f", colors["reset"])
	// Odd spellings of a status still get a colour, and never panic.
	odd := chartStatusColors([]string{"0200", "1xx", "-1"})
	assert.Equal(t, "#59a14f", odd["0200"])
	assert.Equal(t, "#9c755f", odd["1xx"])
}

// Helpers.

// assertHas checks page holds each of wants, and names only those it
// does not (assert.Contains would print the whole page).
func assertHas(t *testing.T, page string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		assert.True(t, strings.Contains(page, w), "the page does not hold %q", w)
	}
}

func renderHTML(t *testing.T, s *Summary) string {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, WriteHTML(&buf, s))
	return buf.String()
}

var (
	htmlRawText   = regexp.MustCompile(`(?s)<(script|style)([^>]*)>.*?</(?:script|style)>`)
	htmlTagRe     = regexp.MustCompile(`<(/?)([a-zA-Z][a-zA-Z0-9]*)((?:"[^"]*"|'[^']*'|[^'">])*)>`)
	htmlVoidElems = map[string]bool{"meta": true, "br": true, "hr": true, "img": true, "input": true, "link": true, "wbr": true}
)

// assertHTMLWellFormed checks the page is one HTML document whose elements
// all close in order: what an injected tag or a broken template would
// upset.
func assertHTMLWellFormed(t *testing.T, page string) {
	t.Helper()
	require.True(t, strings.HasPrefix(page, "<!DOCTYPE html>\n"), "doctype first")
	assert.True(t, strings.HasSuffix(page, "</html>\n"), "ends with </html>")
	// Style sheets and scripts are text, not tags.
	page = htmlRawText.ReplaceAllString(page, "<$1$2></$1>")
	var stack []string
	for _, m := range htmlTagRe.FindAllStringSubmatch(page, -1) {
		closing, name, attrs := m[1] == "/", strings.ToLower(m[2]), m[3]
		switch {
		case closing:
			if len(stack) == 0 || stack[len(stack)-1] != name {
				t.Errorf("</%s> closes nothing open (open: %v)", name, stack)
				return
			}
			stack = stack[:len(stack)-1]
		case htmlVoidElems[name], strings.HasSuffix(attrs, "/"):
		default:
			stack = append(stack, name)
		}
	}
	assert.Empty(t, stack, "elements left open")
	assert.Equal(t, 1, strings.Count(page, "<body>"))
	assert.Equal(t, 1, strings.Count(page, "<title>hamsasim load report"))
}
