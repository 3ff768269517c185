package chart

import (
	"bytes"
	"encoding/json"
	"html/template"
	"math"
	"strings"
	"testing"
	"time"

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

// TestValueJSON checks a non-finite value reaches the script as null,
// never as NaN (which is not JSON).
func TestValueJSON(t *testing.T) {
	t.Parallel()
	got, err := json.Marshal([]Value{1.5, 0, Value(math.Copysign(0, -1)), -2, Gap, Value(math.Inf(1)), Value(math.Inf(-1)), 1e21})
	require.NoError(t, err)
	assert.Equal(t, `[1.5,0,0,-2,null,null,null,1e+21]`, string(got))
}

func TestFinish(t *testing.T) {
	t.Parallel()
	t.Run("log axis drops what it cannot show", func(t *testing.T) {
		t.Parallel()
		c := Chart{Y: Axis{Log: true}, Xs: []Value{0, 1, 2}, Series: []Series{{Y: []Value{0, -3, 40}}},
			Lines: []Line{{Y: 5000, Label: "budget"}, {Y: 0, Label: "zero"}}}
		c.Finish("nothing")
		assert.Equal(t, nanToNull([]Value{Gap, Gap, 40}), nanToNull(c.Series[0].Y))
		assert.Equal(t, []Line{{Y: 5000, Label: "budget"}}, c.Lines)
		assert.Empty(t, c.Empty)
	})
	t.Run("no finite value is empty", func(t *testing.T) {
		t.Parallel()
		c := Chart{Xs: []Value{0, 1}, Series: []Series{{Y: []Value{Gap, Gap}}}}
		c.Finish("No data.")
		assert.Equal(t, "No data.", c.Empty)
	})
	t.Run("no x is empty", func(t *testing.T) {
		t.Parallel()
		c := Chart{}
		c.Finish("No data.")
		assert.Equal(t, "No data.", c.Empty)
	})
	t.Run("a reason given first stays", func(t *testing.T) {
		t.Parallel()
		c := Chart{Empty: "No bucket size."}
		c.Finish("No data.")
		assert.Equal(t, "No bucket size.", c.Empty)
	})
}

// nanToNull makes gaps comparable: NaN != NaN, but both marshal to null.
func nanToNull(vs []Value) []Value {
	out := make([]Value, len(vs))
	for i, v := range vs {
		out[i] = v
		if !Finite(float64(v)) {
			out[i] = -1e308
		}
	}
	return out
}

// TestPageData checks the blob leaves out empty charts, carries the start
// time, and cannot end its script element whatever a label says.
func TestPageData(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 11, 3, 9, 0, 0, 0, time.UTC)
	drawn := &Chart{ID: "a", Xs: []Value{0}, Series: []Series{{Label: "</script><script>alert(1)</script>", Y: []Value{1}}}}
	empty := &Chart{ID: "b", Empty: "nothing"}
	p, err := NewPage(start, drawn, empty, nil)
	require.NoError(t, err)
	blob := string(p.Data())
	assert.NotContains(t, strings.ToLower(blob), "</script")
	assert.NotContains(t, blob, "<")
	var got struct {
		StartMs *int64 `json:"startMs"`
		Charts  []struct {
			ID     string `json:"id"`
			Series []struct {
				Label string `json:"label"`
			} `json:"series"`
		} `json:"charts"`
	}
	require.NoError(t, json.Unmarshal([]byte(blob), &got))
	require.NotNil(t, got.StartMs)
	assert.Equal(t, start.UnixMilli(), *got.StartMs)
	require.Len(t, got.Charts, 1)
	assert.Equal(t, "a", got.Charts[0].ID)
	assert.Equal(t, "</script><script>alert(1)</script>", got.Charts[0].Series[0].Label)

	p, err = NewPage(time.Time{})
	require.NoError(t, err)
	assert.JSONEq(t, `{"startMs":null,"charts":[]}`, string(p.Data()))
}

// TestAssetsInline checks the inlined script and style cannot end their
// element early, and hold what the renderer needs.
func TestAssetsInline(t *testing.T) {
	t.Parallel()
	var p Page
	js, css := strings.ToLower(string(p.Script())), strings.ToLower(string(p.Style()))
	// Contains, not assert.Contains: a failure would print 50 kB of script.
	for _, bad := range []string{"</script", "<!--", "<script"} {
		assert.False(t, strings.Contains(js, bad), "the script holds %q", bad)
	}
	assert.False(t, strings.Contains(css, "</style"), "the style holds </style")
	assert.True(t, strings.Contains(js, "(v1.6.32)"), "the vendored uPlot")
	assert.True(t, strings.Contains(js, `getelementbyid("data")`), "the renderer")
	assert.True(t, strings.Contains(css, ".u-legend"), "uPlot's style")
}

// TestDefineDrawsAFigure runs the embedded templates: a chart's figure
// with its title escaped and room for the plot, an empty one saying why,
// and the script and style of a page.
func TestDefineDrawsAFigure(t *testing.T) {
	t.Parallel()
	page, err := Define(template.Must(template.New("page").Parse(
		`<head>{{template "chart-style" .P}}</head>{{template "chart" .A}}|{{template "chart" .B}}{{template "chart-script" .P}}`)))
	require.NoError(t, err)
	a := &Chart{ID: "rate", Title: "p99 <over> time", Note: "a note", Height: 100, Xs: []Value{0}, Series: []Series{{Y: []Value{1}}}}
	b := &Chart{ID: "none", Title: "none", Empty: "Nothing."}
	p, err := NewPage(time.Time{}, a, b)
	require.NoError(t, err)
	var buf bytes.Buffer
	require.NoError(t, page.Execute(&buf, map[string]any{"A": a, "B": b, "P": p}))
	got := buf.String()
	assert.Contains(t, got, `<figure class="chart" id="chart-rate">`+"\n<figcaption>p99 &lt;over&gt; time</figcaption>\n"+`<div class="plot" style="min-height:140px">`)
	assert.Contains(t, got, "<p class=\"note\">a note</p>\n</figure>")
	assert.Contains(t, got, "<figure class=\"chart\" id=\"chart-none\">\n<figcaption>none</figcaption>\n<p class=\"muted\">Nothing.</p>\n</figure>")
	assert.Contains(t, got, `<script type="application/json" id="data">{"startMs":null,"charts":[{"id":"rate",`)
	assert.Contains(t, got, "<style>\n.uplot, .uplot *")
}
