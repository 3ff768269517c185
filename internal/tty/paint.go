package tty

import "strings"

// Color is an ANSI foreground colour.
type Color uint8

// The colours hamsasim uses.
const (
	Red    Color = 31
	Green  Color = 32
	Yellow Color = 33
	Cyan   Color = 36
)

// Palette paints text for one stream. The zero Palette is off: it returns
// text unchanged, so summaries written to a file or a buffer hold no
// escape sequence.
type Palette struct{ on bool }

// On is a palette that paints: for tests and for callers that decided
// without a Stream.
func On() Palette { return Palette{on: true} }

// Paint colours s with c (nothing when the palette is off or s is empty).
func (p Palette) Paint(c Color, s string) string {
	if !p.on || s == "" {
		return s
	}
	return "\x1b[" + colorCode[c] + "m" + s + "\x1b[0m"
}

var colorCode = map[Color]string{Red: "31", Green: "32", Yellow: "33", Cyan: "36"}

// wordColor is the colour of each verdict and severity hamsasim prints.
var wordColor = map[string]Color{
	"PASSED": Green, "ok": Green,
	"FAILED": Red, "FAIL": Red, "error": Red,
	"INTERRUPTED": Yellow, "warning": Yellow,
	"note": Cyan,
}

// Word colours a verdict (PASSED, FAILED, INTERRUPTED; ok, FAIL) or a
// finding's severity (error, warning, note) by what it says; other words
// stay plain. Spaces around the word (padding to a column) stay outside
// the colour, so columns line up whether or not it is painted.
func (p Palette) Word(s string) string {
	core := strings.TrimSpace(s)
	c, ok := wordColor[core]
	if !p.on || !ok {
		return s
	}
	i := strings.Index(s, core)
	return s[:i] + p.Paint(c, core) + s[i+len(core):]
}
