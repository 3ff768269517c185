package load

import (
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
)

var sampleFields = []field{
	{"1m10s", 0},
	{"stage 3 at 40 calls/s", 1},
	{"calls 4200", 8},
	{"in flight 310", 6},
	{"events 61234 (874/s)", 2},
	{"acked 61200", 7},
	{"p99 950µs", 3},
	{"errors 12", 4},
	{"timeouts 3", 5},
}

// The line never takes more columns than it is given, whatever the width.
func TestFitFieldsNeverOverflows(t *testing.T) {
	t.Parallel()
	full := utf8.RuneCountInString(joinFields(sampleFields))
	for width := -1; width <= full+5; width++ {
		got := fitFields(sampleFields, width)
		assert.LessOrEqual(t, utf8.RuneCountInString(got), max(width, 0), "width %d: %q", width, got)
		assert.NotContains(t, got, "\n")
	}
	assert.Equal(t, joinFields(sampleFields), fitFields(sampleFields, full))
}

// Figures are left out least important first, and the rest keep their order.
func TestFitFieldsDropsLeastImportantFirst(t *testing.T) {
	t.Parallel()
	full := utf8.RuneCountInString(joinFields(sampleFields))
	cases := []struct {
		name  string
		width int
		want  string
	}{
		{"one column short: calls started go", full - 1,
			"1m10s  stage 3 at 40 calls/s  in flight 310  events 61234 (874/s)  acked 61200  p99 950µs  errors 12  timeouts 3"},
		{"80 columns", 79,
			"1m10s  stage 3 at 40 calls/s  events 61234 (874/s)  p99 950µs  errors 12"},
		{"narrow", 30, "1m10s  stage 3 at 40 calls/s"},
		{"only the elapsed time", 12, "1m10s"},
		{"cut", 3, "1m1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tc.want, fitFields(sampleFields, tc.width))
		})
	}
}

// The rate is taken over the last rateWindow, or since the start before that.
func TestRateMeter(t *testing.T) {
	t.Parallel()
	var m rateMeter
	got := []float64{}
	for s := 1; s <= 25; s++ {
		n := int64(100 * s) // 100/s for the first 15 s ...
		if s > 15 {
			n = 1500 + int64(300*(s-15)) // ... then 300/s
		}
		got = append(got, m.at(time.Duration(s)*time.Second, n))
	}
	assert.InDelta(t, 100, got[4], 0.01, "since the start")
	assert.InDelta(t, 100, got[14], 0.01)
	assert.InDelta(t, 300, got[24], 0.01, "the last 10 s only")
	assert.LessOrEqual(t, len(m.samples), 12, "samples older than the window are let go")
	assert.Zero(t, new(rateMeter).at(0, 0), "no time, no rate")
}
