package tty

import (
	"bytes"
	"io"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestDecide(t *testing.T) {
	t.Parallel()
	yes := func(io.Writer) bool { return true }
	no := func(io.Writer) bool { return false }
	cases := []struct {
		name            string
		vars            map[string]string
		noColor         bool
		isTerminal      func(io.Writer) bool
		terminal, color bool
	}{
		{"a terminal", map[string]string{"TERM": "xterm-256color"}, false, yes, true, true},
		{"a terminal, TERM unset", nil, false, yes, true, true},
		{"not a terminal", map[string]string{"TERM": "xterm"}, false, no, false, false},
		{"NO_COLOR", map[string]string{"NO_COLOR": "1"}, false, yes, true, false},
		{"NO_COLOR empty is unset", map[string]string{"NO_COLOR": ""}, false, yes, true, true},
		{"--no-color", nil, true, yes, true, false},
		{"TERM=dumb", map[string]string{"TERM": "dumb"}, false, yes, false, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := Decide(io.Discard, Settings{Getenv: func(k string) string { return tc.vars[k] }, NoColor: tc.noColor, IsTerminal: tc.isTerminal})
			assert.Equal(t, tc.terminal, got.Terminal, "terminal")
			assert.Equal(t, tc.color, got.Color, "colour")
			assert.Equal(t, tc.terminal, got.Width() != nil, "width")
			if got.Terminal {
				assert.Equal(t, FallbackWidth, got.Width()(), "a declared terminal that is no file")
			}
		})
	}
}

// A buffer, a regular file, a pipe and /dev/null are not terminals.
func TestIsTerminal(t *testing.T) {
	t.Parallel()
	assert.False(t, IsTerminal(&bytes.Buffer{}))
	f, err := os.CreateTemp(t.TempDir(), "out")
	if assert.NoError(t, err) {
		defer f.Close()
		assert.False(t, IsTerminal(f))
	}
	r, w, err := os.Pipe()
	if assert.NoError(t, err) {
		defer r.Close()
		defer w.Close()
		assert.False(t, IsTerminal(w))
	}
	devnull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if assert.NoError(t, err) {
		defer devnull.Close()
		assert.False(t, IsTerminal(devnull), "a character device that is no terminal")
		assert.Nil(t, Decide(devnull, Settings{}).Width())
	}
	assert.False(t, Decide(&bytes.Buffer{}, Settings{}).Color, "the real check, for a buffer")
}

func TestPaletteWord(t *testing.T) {
	t.Parallel()
	on := On()
	cases := []struct{ in, want string }{
		{"PASSED", "\x1b[32mPASSED\x1b[0m"},
		{"FAILED", "\x1b[31mFAILED\x1b[0m"},
		{"INTERRUPTED", "\x1b[33mINTERRUPTED\x1b[0m"},
		{"ok  ", "\x1b[32mok\x1b[0m  "},
		{"FAIL", "\x1b[31mFAIL\x1b[0m"},
		{"error  ", "\x1b[31merror\x1b[0m  "},
		{"warning", "\x1b[33mwarning\x1b[0m"},
		{"note   ", "\x1b[36mnote\x1b[0m   "},
		{"--  ", "--  "},
		{"n/a ", "n/a "},
		{"", ""},
	}
	for _, tc := range cases {
		assert.Equal(t, tc.want, on.Word(tc.in), "%q", tc.in)
		assert.Equal(t, tc.in, Palette{}.Word(tc.in), "off: %q", tc.in)
	}
	assert.Equal(t, "x", Palette{}.Paint(Red, "x"))
	assert.Equal(t, "\x1b[36mx\x1b[0m", on.Paint(Cyan, "x"))
}
