package loadreport

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestWriteHTMLGolden compares the whole page for three runs, built here
// so they never drift: a passing run, a failed and interrupted merge, and a
// capacity search.
func TestWriteHTMLGolden(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		s    *Summary
		want []string // facts the page must state, checked apart from the golden
	}{
		{"passed", goldenPassed(), []string{
			`<span class="badge pass">PASSED</span>`,
			"<dt>shard</dt><dd>shard 2/4 (--shard 1/4)</dd>",
			"<dt>started</dt><dd>2026-11-03 09:00:00 UTC</dd>",
			"<dt>elapsed time</dt><dd>5m4s (drain included)</dd>",
			`<tr><td>p99 &lt; 5s</td><td class="n">190ms</td><td class="held">held</td></tr>`,
			">99.99%</text>", ">max</text>",
			"<dt>acked/s</dt><dd>",
		}},
		{"failed", goldenFailed(), []string{
			`<span class="badge fail">FAILED</span><span class="badge intr">INTERRUPTED</span>`,
			"interrupted by SIGINT after 1m12s",
			"<dt>shard</dt><dd>merged from 3 shards</dd>",
			`<td class="failed">failed</td>`,
			`<td class="nodata">no data</td>`,
			"latency (log scale)",
			"<h2>Contract violations</h2>",
			"<h2>Notes</h2>",
		}},
		{"capacity", goldenCapacity(), []string{
			"Highest rate that held: 30 calls/s (363 events/s); broke at 35 calls/s.",
			"Search stopped: bisected to within 5 calls/s",
			`<td class="failed">broke p99 &lt; 2s, success &gt;= 99.5%</td>`,
			">held 30</text>", ">broke 35</text>",
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := renderHTML(t, tc.s)
			assertGolden(t, filepath.Join("testdata", "html", tc.name+".golden.html"), got)
			for _, w := range tc.want {
				assert.Contains(t, got, w)
			}
			assertHTMLWellFormed(t, got)
			assertHTMLOffline(t, got)
		})
	}
}

// TestWriteHTMLSections checks the sections come in the order the report
// promises, and that the capacity section appears only for a search.
func TestWriteHTMLSections(t *testing.T) {
	t.Parallel()
	order := []string{
		"<header>", "<h2>Thresholds</h2>", "<h2>Headline numbers</h2>",
		"<figcaption>Latency over time</figcaption>", "<figcaption>Throughput</figcaption>",
		"<figcaption>Calls in flight</figcaption>", "<figcaption>Latency by percentile</figcaption>",
		"<h2>Per event type</h2>", "<figcaption>Attempts by outcome",
		"<h2>Capacity</h2>", "<h2>Contract violations</h2>", "<h2>Notes</h2>", "<footer>",
	}
	s := goldenCapacity()
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
	assert.NotContains(t, renderHTML(t, goldenPassed()), "<h2>Capacity</h2>")
}

// TestWriteHTMLOffline checks the page needs nothing from the network: no
// script, no stylesheet link, no remote src or href, no CSS url().
func TestWriteHTMLOffline(t *testing.T) {
	t.Parallel()
	for name, s := range map[string]*Summary{
		"passed": goldenPassed(), "failed": goldenFailed(), "capacity": goldenCapacity(),
		"zero": {}, "hostile": goldenHostile(),
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got := renderHTML(t, s)
			assertHTMLOffline(t, got)
			// No JavaScript at all, inline or not.
			assert.NotContains(t, strings.ToLower(got), "<script")
		})
	}
}

// TestHTMLOfflineCheckCatches proves the offline check can fail.
func TestHTMLOfflineCheckCatches(t *testing.T) {
	t.Parallel()
	for _, bad := range []string{
		`<script src="x.js"></script>`,
		`<link rel="stylesheet" href="a.css">`,
		`<img src="https://cdn.example.com/a.png">`,
		`<a href='http://example.com'>x</a>`,
		`<svg><image href=//example.com/a.png /></svg>`,
		`<style>body{background:url(https://example.com/a.png)}</style>`,
	} {
		assert.NotEmpty(t, htmlOfflineProblems(bad), bad)
	}
	assert.Empty(t, htmlOfflineProblems(`<p>https://example.com is the target</p>`))
}

// TestWriteHTMLEscapes feeds strings a target or a user could write and
// checks each comes out as text, not markup.
func TestWriteHTMLEscapes(t *testing.T) {
	t.Parallel()
	got := renderHTML(t, goldenHostile())
	for _, raw := range []string{
		"<script>", "</title><script", "<img src=x>", "<b>", `onload=alert(1)>`, `"><svg`,
	} {
		assert.NotContains(t, got, raw)
	}
	for _, want := range []string{
		"<title>hamsasim load report: &lt;/title&gt;&lt;script&gt;alert(1)&lt;/script&gt;</title>",
		`<p class="desc">&lt;/title&gt;&lt;script&gt;alert(1)&lt;/script&gt;</p>`,
		"<li>&lt;img src=x&gt;</li>",
		"<td>answer said &lt;b&gt;no&lt;/b&gt; &amp; closed</td>",
		"<dd>https://hooks.example.com/&#34;&gt;&lt;svg onload=alert(1)&gt; (url)</dd>",
		"<td>&lt;svg onload=alert(1)&gt;</td>",
		"Search stopped: &lt;i&gt;limit&lt;/i&gt;",
	} {
		assert.Contains(t, got, want)
	}
	assertHTMLWellFormed(t, got)
}

// TestWriteHTMLEdgeCases renders summaries with little, odd or no data:
// none may panic, print NaN or Inf, or break the page.
func TestWriteHTMLEdgeCases(t *testing.T) {
	t.Parallel()
	nan := math.NaN()
	cases := []struct {
		name string
		s    *Summary
		want []string
	}{
		{"nil", nil, []string{"unnamed scenario", "No timeline: no attempt finished.", "summary version 0"}},
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
			"generated by hamsasim · summary version 0",
		}},
		{"single bucket", &Summary{
			Timeline: Timeline{BucketMs: 1000, Buckets: []Bucket{{Attempts: 3, Acked: 3, InFlight: 1, P50: 12, P99: 40, Max: 41}}},
		}, []string{
			// One point has no line: it is drawn as a dot.
			`<circle cx="64.0" cy=`,
			"<p class=\"note\">1 bucket of 1 s, by the time attempts finished.</p>",
			"<figcaption>Throughput</figcaption>\n<svg",
		}},
		{"all-zero latencies", &Summary{
			Overall: Stats{Attempts: 10, Latency: Latency{Count: 10, Distribution: make([]float64, len(DistributionPercentiles))}},
			PerType: []TypeStats{{Type: "call.started", Stats: Stats{Attempts: 10, Status: map[string]int64{"200": 10}}}},
			Timeline: Timeline{BucketMs: 1000, Buckets: []Bucket{
				{AtMs: 0, Attempts: 5}, {AtMs: 1000, Attempts: 5},
			}},
		}, []string{"<dt>p99</dt><dd>0 ms</dd>", "<figcaption>Latency by percentile</figcaption>\n<svg"}},
		{"no bucket size", &Summary{
			Timeline: Timeline{Buckets: []Bucket{{AtMs: 0, Attempts: 5}}},
		}, []string{"<figcaption>Throughput</figcaption>\n<p class=\"muted\">No bucket size recorded: rates cannot be computed.</p>"}},
		{"not finite", &Summary{
			Overall:    Stats{Acked: 1, SuccessPct: nan, AttemptsPerSec: math.Inf(1), Latency: Latency{Count: 1, P99: nan, Distribution: []float64{1, nan, 3}}},
			Thresholds: []ThresholdResult{{Threshold: "p99 < 1s", Got: nan}},
			Timeline: Timeline{BucketMs: 1000, Buckets: []Bucket{
				{AtMs: 0, Attempts: 1, P99: nan, Max: math.Inf(1)}, {AtMs: 1000, Attempts: 1, P99: 5},
			}},
			Capacity: &Capacity{Stages: []Stage{{CallsPerSec: nan, P99: 1}}},
		}, []string{"<dt>success</dt><dd>n/a</dd>", "No rate held."}},
		{"distribution shorter than percentiles", &Summary{
			Overall: Stats{Latency: Latency{Count: 2, Max: 9, Distribution: []float64{1, 2, 3}}},
		}, []string{"<figcaption>Latency by percentile</figcaption>\n<svg"}},
		{"empty capacity", &Summary{Capacity: &Capacity{Limit: "interrupted"}}, []string{
			"No rate held.", "No stage ran.",
		}},
	}
	bad := regexp.MustCompile(`\bNaN\b|\bInf\b`)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := renderHTML(t, tc.s)
			assert.False(t, bad.MatchString(got), "NaN or Inf printed: %q", bad.FindString(got))
			for _, w := range tc.want {
				assert.Contains(t, got, w)
			}
			assertHTMLWellFormed(t, got)
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
	assert.Equal(t, "#9c755f", colors["reset"])
	// Odd spellings of a status still get a colour, and never panic.
	odd := chartStatusColors([]string{"0200", "1xx", "-1"})
	assert.Equal(t, "#59a14f", odd["0200"])
	assert.Equal(t, "#9c755f", odd["1xx"])
}

// Helpers.

func renderHTML(t *testing.T, s *Summary) string {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, WriteHTML(&buf, s))
	return buf.String()
}

var (
	htmlOfflineAttr = regexp.MustCompile(`(?i)\b(src|href|xlink:href|srcset|action|poster|data)\s*=\s*["']?\s*(https?:|//)`)
	htmlOfflineCSS  = regexp.MustCompile(`(?i)url\(|@import`)
	htmlOfflineTag  = regexp.MustCompile(`(?i)<script[^>]*\bsrc\b|<link\b|<iframe\b|<object\b|<embed\b`)
)

// htmlOfflineProblems lists what in page would reach for the network.
func htmlOfflineProblems(page string) []string {
	var out []string
	for _, re := range []*regexp.Regexp{htmlOfflineAttr, htmlOfflineCSS, htmlOfflineTag} {
		out = append(out, re.FindAllString(page, -1)...)
	}
	return out
}

func assertHTMLOffline(t *testing.T, page string) {
	t.Helper()
	assert.Empty(t, htmlOfflineProblems(page), "the page must work offline")
}

var (
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
	// The style sheet is text, not tags.
	if i, j := strings.Index(page, "<style>"), strings.Index(page, "</style>"); i >= 0 && j > i {
		page = page[:i+len("<style>")] + page[j:]
	}
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

// Fixtures.

var (
	goldenTypes  = []string{"call.started", "call.answered", "transcription.update", "tool.executed", "call.ended"}
	goldenStart  = time.Date(2026, 11, 3, 9, 0, 0, 0, time.UTC)
	goldenPolicy = DeliveryPolicy{TimeoutMs: 5000, Retries: 3, BackoffBaseMs: 200, BackoffFactor: 2, BackoffMaxMs: 5000}
)

// goldenDist is a latency distribution shaped like a real service's,
// scaled by f.
func goldenDist(f float64, tail float64) []float64 {
	base := []float64{8, 18, 26, 38, 55, 80, 110, 190, 240, 420, 520, 760, 910}
	out := make([]float64, len(base))
	for i, v := range base {
		if i >= 7 {
			v *= tail
		}
		out[i] = math.Round(v*f*1000) / 1000
	}
	return out
}

func goldenLatency(dist []float64, count int64) Latency {
	return Latency{
		Count: count, Min: dist[0], Mean: math.Round((dist[3]*1.3)*1000) / 1000,
		P50: dist[3], P90: dist[5], P95: dist[6], P99: dist[7], P999: dist[9], Max: dist[12],
		Distribution: dist,
	}
}

func goldenSum(types []TypeStats) Stats {
	var o Stats
	o.Status = map[string]int64{}
	for _, t := range types {
		o.Deliveries += t.Deliveries
		o.Acked += t.Acked
		o.Failed += t.Failed
		o.Unsent += t.Unsent
		o.Attempts += t.Attempts
		o.Retries += t.Retries
		o.Timeouts += t.Timeouts
		o.Errors += t.Errors
		o.Duplicates += t.Duplicates
		o.DuplicatesAcked += t.DuplicatesAcked
		o.DuplicatesUnacked += t.DuplicatesUnacked
		o.ContractViolations += t.ContractViolations
		o.BytesOut += t.BytesOut
		o.BytesIn += t.BytesIn
		for k, v := range t.Status {
			o.Status[k] += v
		}
	}
	o.SuccessPct = 100
	if o.Acked+o.Failed > 0 {
		o.SuccessPct = 100 * float64(o.Acked) / float64(o.Acked+o.Failed)
	}
	return o
}

// goldenPassed is a 5-minute ramp, shard 2 of 4, that held every
// threshold: 5 event types, 60 buckets of 5 s.
func goldenPassed() *Summary {
	s := &Summary{
		Version: SummaryVersion, Tool: "hamsasim", Scenario: "peak-hour-ramp",
		Description: "Ramp from 0.5 to 6 calls/s over 10 minutes, then hold the peak for 5.",
		Source:      "scenarios/peak-ramp.yaml", Target: "https://hooks.example.com/hamsa/webhook", TargetKind: "url",
		Seed: 20261103, Shard: Shard{Index: 1, Count: 4},
		StartedAt: goldenStart, EndedAt: goldenStart.Add(304200 * time.Millisecond),
		ArrivalMs: 300_000, ElapsedMs: 304_200, Passed: true, Delivery: goldenPolicy,
		Timeline: Timeline{BucketMs: 5000},
	}
	for i := range 60 {
		att := int64(40 + i*6)
		errs := int64(0)
		if i%17 == 3 {
			errs = 2
		}
		p50 := 36 + 6*math.Sin(float64(i)/5)
		p99 := 170 + 40*math.Sin(float64(i)/7) + float64(i)
		s.Timeline.Buckets = append(s.Timeline.Buckets, Bucket{
			AtMs: int64(i) * 5000, Attempts: att, Acked: att - errs, Errors: errs,
			CallsStarted: int64(2 + i/4), InFlight: int64(3 + i/3),
			P50: math.Round(p50*1000) / 1000, P99: math.Round(p99*1000) / 1000, Max: math.Round(p99*1.6*1000) / 1000,
		})
	}
	weights := []int64{1, 1, 8, 2, 1}
	factors := []float64{0.8, 0.6, 0.9, 2.2, 1.4}
	for i, typ := range goldenTypes {
		d := 1100 * weights[i]
		ts := TypeStats{Type: typ, Stats: Stats{
			Deliveries: d, Acked: d, Attempts: d + 2*weights[i], Retries: 2 * weights[i], Errors: 2 * weights[i],
			Duplicates: 11 * weights[i], DuplicatesAcked: 11 * weights[i],
			BytesOut: d * 1800, BytesIn: d * 40, SuccessPct: 100,
			Status:  map[string]int64{"200": d - weights[i], "202": weights[i], "503": 2 * weights[i]},
			Latency: goldenLatency(goldenDist(factors[i], 1), d+2*weights[i]),
		}}
		s.PerType = append(s.PerType, ts)
	}
	s.Overall = goldenSum(s.PerType)
	s.Overall.Latency = goldenLatency(goldenDist(1, 1), s.Overall.Attempts)
	s.Overall.AttemptsPerSec = float64(s.Overall.Attempts) / 304.2
	s.Overall.AckedPerSec = float64(s.Overall.Acked) / 304.2
	s.Calls = Calls{
		Planned: 1100, Started: 1100, Completed: 1100, OutOfOrder: 11, Late: 4, LateMaxMs: 180, MaxInFlight: 24,
		Fixtures: map[string]int64{"support-resolved": 440, "support-urgent-unresolved": 220, "sales-outbound-tools": 220, "job-interview": 110, "no-answer": 110},
	}
	s.Thresholds = []ThresholdResult{
		{Threshold: "p95 < 2s", Metric: "p95", Got: 110, GotText: "110ms", Held: true},
		{Threshold: "p99 < 5s", Metric: "p99", Got: 190, GotText: "190ms", Held: true},
		{Threshold: "success >= 99.5%", Metric: "success", Got: 100, GotText: "100%", Held: true},
		{Threshold: "timeouts == 0", Metric: "timeouts", Got: 0, GotText: "0", Held: true},
		{Threshold: "p99[tool.executed] < 1s", EventType: "tool.executed", Metric: "p99", Got: 418, GotText: "418ms", Held: true},
	}
	return s
}

// goldenFailed is an outage merged from 3 shards and stopped by ^C:
// timeouts, refused connections, 5xx, contract violations, notes, and
// buckets with nothing in them.
func goldenFailed() *Summary {
	s := &Summary{
		Version: SummaryVersion, Tool: "hamsasim", Scenario: "outage-recovery",
		Description: "The endpoint goes down for 20 s in the middle of steady traffic; deliveries must recover.",
		Source:      "scenarios/outage-recovery.yaml", Target: "https://staging.example.org/hooks/hamsa", TargetKind: "url",
		Seed: 7, Merged: 3,
		StartedAt: goldenStart, EndedAt: goldenStart.Add(72 * time.Second),
		ArrivalMs: 72_000, ElapsedMs: 72_000, Interrupted: true,
		StopReason: "interrupted by SIGINT after 1m12s; 38 calls were in flight",
		Delivery:   goldenPolicy,
		Timeline:   Timeline{BucketMs: 1000},
	}
	for i := range 72 {
		b := Bucket{AtMs: int64(i) * 1000, CallsStarted: 3, InFlight: int64(10 + i/2)}
		switch {
		case i == 30 || i == 31:
			// Nothing finished: every attempt was waiting on its timeout.
		case i >= 20 && i < 40:
			b.Attempts, b.Errors, b.Timeouts = 30, 28, 12
			b.Acked = 2
			b.P50, b.P99, b.Max = 900, 5000, 5000
		default:
			b.Attempts = 40 + int64(i%5)
			b.Acked = b.Attempts - 1
			b.Errors = 1
			b.P50, b.P99, b.Max = 45+float64(i%7), 240+float64(i%11)*10, 610
		}
		s.Timeline.Buckets = append(s.Timeline.Buckets, b)
	}
	statuses := []map[string]int64{
		{"200": 700, "500": 20, "503": 90, "timeout": 60, "refused": 40, "reset": 5},
		{"200": 690, "503": 80, "timeout": 55, "refused": 38},
		{"200": 4100, "400": 12, "503": 500, "timeout": 300, "refused": 180, "reset": 22},
		{"200": 640, "503": 75, "timeout": 59, "refused": 41, "429": 9},
	}
	sent := []string{"call.started", "call.answered", "transcription.update", "call.ended"}
	heads := []float64{0.6, 0.5, 1, 1.8}
	for i, typ := range sent {
		st := statuses[i]
		var att int64
		for _, v := range st {
			att += v
		}
		errs := att - st["200"]
		ts := TypeStats{Type: typ, Stats: Stats{
			Deliveries: st["200"] + st["400"] + 30, Acked: st["200"], Failed: st["400"] + 20, Unsent: 10,
			Attempts: att, Retries: errs - 20, Timeouts: st["timeout"], Errors: errs,
			Duplicates: 14, DuplicatesAcked: 9, DuplicatesUnacked: 5, ContractViolations: int64(i * 3),
			BytesOut: att * 1900, BytesIn: att * 30, Status: st,
			Latency: goldenLatency(goldenOutageDist(heads[i]), att),
		}}
		ts.SuccessPct = 100 * float64(ts.Acked) / float64(ts.Acked+ts.Failed)
		s.PerType = append(s.PerType, ts)
	}
	s.Overall = goldenSum(s.PerType)
	s.Overall.Latency = goldenLatency(goldenOutageDist(1), s.Overall.Attempts)
	s.Overall.AttemptsPerSec = float64(s.Overall.Attempts) / 72
	s.Overall.AckedPerSec = float64(s.Overall.Acked) / 72
	s.Calls = Calls{Planned: 900, Started: 648, Completed: 610, Incomplete: 38, OutOfOrder: 7, MaxInFlight: 46,
		Fixtures: map[string]int64{"support-resolved": 400, "no-answer": 248}}
	s.Thresholds = []ThresholdResult{
		{Threshold: "p99 < 2s", Metric: "p99", Got: 5000, GotText: "5s", Held: false},
		{Threshold: "success >= 99%", Metric: "success", Got: s.Overall.SuccessPct, GotText: fmt.Sprintf("%.2f%%", s.Overall.SuccessPct), Held: false},
		{Threshold: "timeouts == 0", Metric: "timeouts", Got: 474, GotText: "474", Held: false},
		{Threshold: "errors < 5000", Metric: "errors", Got: 1586, GotText: "1586", Held: true},
		{Threshold: "p99[tool.executed] < 1s", EventType: "tool.executed", Metric: "p99", NoData: true, Held: true},
	}
	s.Violations = []Violation{
		{EventType: "call.ended", Status: 200, Reason: `body is not JSON: "<html><body>OK</body></html>"`, Count: 6},
		{EventType: "transcription.update", Status: 400, Reason: "status 400 is not declared for transcription.update (declared: 200, 401)", Count: 12},
		{EventType: "call.answered", Status: 200, Reason: "body.received: expected boolean, got string", Count: 3},
	}
	s.Notes = []string{
		"38 calls were still in flight when the run was interrupted; their unsent events count as unsent, not failed.",
		"The target refused 299 connections: is it restarting, or is its accept queue full?",
	}
	return s
}

// goldenOutageDist is a distribution whose head is scaled by f and whose tail
// is the 5 s timeout.
func goldenOutageDist(f float64) []float64 {
	out := []float64{3, 9, 18, 45, 120, 900, 2400, 5000, 5000, 5000, 5000, 5000, 5000}
	for i := range 7 {
		out[i] = math.Round(out[i]*f*1000) / 1000
	}
	return out
}

// goldenCapacity is a capacity search of 6 stages of 30 s that found
// 30 calls/s and broke at 35.
func goldenCapacity() *Summary {
	s := &Summary{
		Version: SummaryVersion, Tool: "hamsasim", Scenario: "steady",
		Description: "Constant 2 calls/s of the shipped fixtures.",
		Source:      "embedded:scenarios/steady.yaml", Target: "embedded receiver", TargetKind: "embedded",
		Seed: 1, Shard: Shard{Index: 0, Count: 1},
		StartedAt: goldenStart, EndedAt: goldenStart.Add(186 * time.Second),
		ArrivalMs: 180_000, ElapsedMs: 186_000, Passed: true, Delivery: goldenPolicy,
		Timeline: Timeline{BucketMs: 5000},
	}
	type stage struct {
		rate, p50, p99, ok float64
		timeouts           int64
		broken             []string
	}
	stages := []stage{
		{5, 12, 48, 100, 0, nil},
		{10, 14, 61, 100, 0, nil},
		{20, 19, 140, 100, 0, nil},
		{40, 260, 4100, 97.2, 31, []string{"p99 < 2s", "success >= 99.5%"}},
		{30, 31, 620, 99.9, 0, nil},
		{35, 88, 2300, 99.7, 2, []string{"p99 < 2s"}},
	}
	c := &Capacity{}
	s.Capacity = c
	var eventsPerSec float64
	for i, st := range stages {
		ev := st.rate * 12.1
		if st.rate == 30 {
			eventsPerSec = ev
		}
		verdict := "held: every threshold held"
		if st.broken != nil {
			verdict = "broke: " + strings.Join(st.broken, "; ")
		}
		c.Stages = append(c.Stages, Stage{
			CallsPerSec: st.rate, EventsPerSec: ev, OfferedPerSec: st.rate * 12.1, P50: st.p50, P99: st.p99, SuccessPct: st.ok,
			Timeouts: st.timeouts, Held: st.broken == nil, Broken: st.broken, Verdict: verdict,
			StartMs: int64(i * 30_000), EndMs: int64(i*30_000 + 30_000), WarmupMs: 10_000,
			P50Early: st.p50, P50Late: st.p50 * 1.1,
		})
		for j := range 6 {
			b := Bucket{
				AtMs: int64(i*30_000 + j*5000), Attempts: int64(ev * 5), CallsStarted: int64(st.rate * 5),
				InFlight: int64(st.rate * (1 + st.p50/100)), P50: st.p50, P99: st.p99, Max: st.p99 * 1.3,
				Timeouts: st.timeouts / 6, Offered: int64(ev * 5),
			}
			b.Errors = b.Timeouts
			b.Acked = b.Attempts - b.Errors
			s.Timeline.Buckets = append(s.Timeline.Buckets, b)
		}
	}
	c.Found, c.CallsPerSec, c.EventsPerSec, c.BrokenAt = true, 30, eventsPerSec, 35
	c.Limit = "bisected to within 5 calls/s"
	c.StageMs, c.WarmupMs = 30_000, 10_000
	c.MeanCallMs, c.EventsPerCall, c.PeakCallsPerSec = 180_000, 12.1, 2
	c.Plan(false)
	c.GeneratorNote = "The generator kept up at every stage (shortfall under 1 %), so the limit is the target's."
	for i, typ := range goldenTypes {
		d := int64(3000 + 500*i)
		s.PerType = append(s.PerType, TypeStats{Type: typ, Stats: Stats{
			Deliveries: d, Acked: d - 5, Failed: 5, Attempts: d + 10, Retries: 10, Timeouts: 6, Errors: 15,
			Status: map[string]int64{"200": d - 5, "503": 9, "timeout": 6}, SuccessPct: 100 * float64(d-5) / float64(d),
			Latency: goldenLatency(goldenDist(0.5+0.3*float64(i), 3), d+10),
		}})
	}
	s.Overall = goldenSum(s.PerType)
	s.Overall.Latency = goldenLatency(goldenDist(1, 3), s.Overall.Attempts)
	s.Overall.AttemptsPerSec = float64(s.Overall.Attempts) / 186
	s.Overall.AckedPerSec = float64(s.Overall.Acked) / 186
	s.Calls = Calls{Planned: 4200, Started: 4200, Completed: 4200, MaxInFlight: 120}
	s.Thresholds = []ThresholdResult{
		{Threshold: "p99 < 2s", Metric: "p99", Got: 620, GotText: "620ms", Held: true},
		{Threshold: "success >= 99.5%", Metric: "success", Got: 99.9, GotText: "99.9%", Held: true},
	}
	return s
}

// goldenHostile carries markup wherever a user or a target can put text.
func goldenHostile() *Summary {
	s := goldenPassed()
	s.Scenario = "</title><script>alert(1)</script>"
	s.Description = "</title><script>alert(1)</script>"
	s.Target = `https://hooks.example.com/"><svg onload=alert(1)>`
	s.StopReason = "<script>stop()</script>"
	s.Notes = []string{"<img src=x>"}
	s.Violations = []Violation{{EventType: "call.ended", Status: 500, Reason: "answer said <b>no</b> & closed", Count: 1}}
	s.PerType[0].Type = "<svg onload=alert(1)>"
	s.Thresholds[0].Threshold = "<script>x</script>"
	s.Capacity = &Capacity{Limit: "<i>limit</i>", GeneratorNote: "<script>g</script>",
		Stages: []Stage{{CallsPerSec: 1, P99: 10, Held: false, Broken: []string{"<b>p99</b>"}}}}
	return s
}
