package tty

import (
	"bytes"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var sampleFields = []Field{
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
	full := utf8.RuneCountInString(Join(sampleFields))
	for width := -1; width <= full+5; width++ {
		got := Fit(sampleFields, width)
		assert.LessOrEqual(t, utf8.RuneCountInString(got), max(width, 0), "width %d: %q", width, got)
		assert.NotContains(t, got, "\n")
	}
	assert.Equal(t, Join(sampleFields), Fit(sampleFields, full))
}

// Figures are left out least important first, and the rest keep their order.
func TestFitFieldsDropsLeastImportantFirst(t *testing.T) {
	t.Parallel()
	full := utf8.RuneCountInString(Join(sampleFields))
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
			assert.Equal(t, tc.want, Fit(sampleFields, tc.width))
		})
	}
}

// A status line never reaches the terminal's last column, so it never
// wraps; without colour it is erased with spaces, not an escape sequence.
func TestStatusLineLeavesTheLastColumn(t *testing.T) {
	t.Parallel()
	for _, width := range []int{0, 1, 2, 20, 79, 80, 200} {
		cols := func() int { return width }
		got := Terminal(cols, true).StatusLine(sampleFields)
		require.True(t, strings.HasPrefix(got, "\r\x1b[K"), "%q", got)
		text := strings.TrimPrefix(got, "\r\x1b[K")
		assert.LessOrEqual(t, utf8.RuneCountInString(text), max(width-1, 0), "width %d: %q", width, text)
		assert.NotContains(t, text, "\x1b")

		plain := Terminal(cols, false).StatusLine(sampleFields)
		assert.NotContains(t, plain, "\x1b")
		require.True(t, strings.HasPrefix(plain, "\r"), "%q", plain)
		assert.Equal(t, max(width-1, 0), utf8.RuneCountInString(plain)-1, "width %d: padded to the column before the last: %q", width, plain)
		assert.Equal(t, text, strings.TrimRight(plain[1:], " "))
	}
	assert.Equal(t, "\r\x1b[K", Terminal(func() int { return 10 }, true).EraseLine())
	assert.Equal(t, "\r         \r", Terminal(func() int { return 10 }, false).EraseLine())
}

func TestHeartbeatLineIsPlain(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("x", 3600))
	got := HeartbeatLine(at, sampleFields[:3])
	assert.Equal(t, "2026-01-02T02:04:05Z  1m10s  stage 3 at 40 calls/s  calls 4200\n", got)
}

// Off a terminal Live writes a plain line every heartbeat and nothing when
// it stops; on one it redraws a line and erases it when it stops.
func TestLive(t *testing.T) {
	t.Parallel()
	var n atomic.Int64
	fields := func(elapsed time.Duration) []Field {
		return []Field{{Text: fmt.Sprintf("tick %d", n.Add(1)), Rank: 0}}
	}
	t.Run("log", func(t *testing.T) {
		t.Parallel()
		var out bytes.Buffer // read once Stop has returned: Live writes no more
		l := Show(&out, Stream{}, 30*time.Millisecond, fields)
		time.Sleep(200 * time.Millisecond)
		l.Stop()
		l.Stop() // idempotent
		got := out.String()
		assert.NotContains(t, got, "\x1b")
		assert.NotContains(t, got, "\r")
		lines := strings.Split(strings.TrimSuffix(got, "\n"), "\n")
		assert.GreaterOrEqual(t, len(lines), 2, "%q", got)
		for _, line := range lines {
			assert.Regexp(t, `^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ  tick \d+$`, line)
		}
	})
	t.Run("short work writes nothing to a log", func(t *testing.T) {
		t.Parallel()
		var out bytes.Buffer // read once Stop has returned: Live writes no more
		Show(&out, Stream{}, time.Hour, fields).Stop()
		assert.Empty(t, out.String())
	})
	t.Run("terminal", func(t *testing.T) {
		t.Parallel()
		if testing.Short() {
			t.Skip("waits for a redraw")
		}
		var out bytes.Buffer // read once Stop has returned: Live writes no more
		l := Show(&out, Terminal(func() int { return 12 }, true), 0, fields)
		time.Sleep(Redraw + 300*time.Millisecond)
		l.Stop()
		got := out.String()
		assert.Regexp(t, `^\r\x1b\[Ktick \d+\r\x1b\[K$`, got)
	})
}
