package chart

import (
	"bytes"
	"html/template"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFormats(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		got  string
		want string
	}{
		{"int zero", Int(0), "0"},
		{"int small", Int(999), "999"},
		{"int thousands", Int(1234), "1,234"},
		{"int millions", Int(-12345678), "-12,345,678"},
		{"num small", Num(0.125), "0.125"},
		{"num tenths", Num(12.34), "12.3"},
		{"num hundreds", Num(123.4), "123"},
		{"num thousands", Num(12345.6), "12,346"},
		{"num nan", Num(math.NaN()), "n/a"},
		{"ms zero", Ms(0), "0 ms"},
		{"ms micro", Ms(0.042), "0.042 ms"},
		{"ms tenths", Ms(12.34), "12.3 ms"},
		{"ms whole", Ms(412), "412 ms"},
		{"ms rounds to a second", Ms(999.7), "1 s"},
		{"ms seconds", Ms(1200), "1.2 s"},
		{"ms inf", Ms(math.Inf(1)), "n/a"},
		{"pct", Pct(99.95), "99.95 %"},
		{"pct whole", Pct(100), "100 %"},
		{"pct shortfall is not rounded away", Pct(99.999), "99.999 %"},
		{"pct nan", Pct(math.NaN()), "n/a"},
		{"secs tick", Secs(30), "30s"},
		{"secs tick fraction", Secs(0.5), "0.5s"},
		{"secs tick minutes", Secs(90), "1m30s"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tc.want, tc.got)
		})
	}
}

func TestAxisTicks(t *testing.T) {
	t.Parallel()
	labels := func(ts []Tick) []string {
		out := make([]string, len(ts))
		for i, tk := range ts {
			out[i] = tk.Label
		}
		return out
	}
	cases := []struct {
		name string
		axis Axis
		vals []float64
		want []string
	}{
		{"linear from zero", Axis{Format: Ms}, []float64{12, 430}, []string{"0 ms", "100 ms", "200 ms", "300 ms", "400 ms", "500 ms"}},
		{"linear small", Axis{}, []float64{0.3, 0.9}, []string{"0", "0.2", "0.4", "0.6", "0.8", "1"}},
		{"all zero", Axis{}, []float64{0, 0}, []string{"0", "0.2", "0.4", "0.6", "0.8", "1"}},
		{"no values", Axis{}, nil, []string{"0", "0.2", "0.4", "0.6", "0.8", "1"}},
		{"time in minutes", Axis{Format: Secs, Time: true}, []float64{0, 295}, []string{"0s", "1m", "2m", "3m", "4m", "5m"}},
		{"time short", Axis{Format: Secs, Time: true}, []float64{0, 3}, []string{"0s", "1s", "2s", "3s"}},
		{"log", Axis{Format: Ms, Log: true}, []float64{3, 5000}, []string{"1 ms", "10 ms", "100 ms", "1 s", "10 s"}},
		{"log one decade", Axis{Format: Ms, Log: true}, []float64{12, 80}, []string{"10 ms", "20 ms", "50 ms", "100 ms"}},
		{"fixed", Axis{Ticks: []Tick{{0, "a"}, {2, "b"}}}, []float64{9}, []string{"a", "b"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, ticks := tc.axis.resolve(tc.vals, 0, 100)
			assert.Equal(t, tc.want, labels(ticks))
		})
	}
}

// TestDefineDrawsAView runs the embedded template on a line chart and an
// empty one: the SVG holds the chart's labels escaped, and an empty chart
// says why instead.
func TestDefineDrawsAView(t *testing.T) {
	t.Parallel()
	page, err := Define(template.Must(template.New("page").Parse(`{{template "chart" .A}}|{{template "chart" .B}}`)))
	require.NoError(t, err)
	line := Line{Title: "p99 <over> time", Height: 100, Y: Axis{Label: "ms"}, Series: []Series{
		{Name: "p99", Color: "#000", Pts: []Point{{X: 0, Y: 1}, Gap(1), {X: 2, Y: 3}, {X: 3, Y: 4}}},
	}}
	var buf bytes.Buffer
	require.NoError(t, page.Execute(&buf, map[string]View{"A": line.Render(), "B": Bar{Title: "none", Empty: "Nothing."}.Render()}))
	got := buf.String()
	assert.Contains(t, got, `<figcaption>p99 &lt;over&gt; time</figcaption>`)
	assert.Contains(t, got, `<svg class="chart" viewBox="0 0 720.0 100.0" role="img" aria-label="p99 &lt;over&gt; time">`)
	// The gap splits the line: the lone first point is a dot, the rest a path.
	assert.Equal(t, 1, bytes.Count(buf.Bytes(), []byte("<circle ")))
	assert.Equal(t, 1, bytes.Count(buf.Bytes(), []byte("<path ")))
	assert.Contains(t, got, "<figcaption>none</figcaption>\n<p class=\"muted\">Nothing.</p>\n</figure>")
}
