// Package tty decides, in one place, how hamsasim writes to an output
// stream: whether it is a terminal that takes escape sequences (a status
// line redrawn in place) or a log (plain lines, no escape sequence at
// all), whether it gets colour, and how wide it is.
package tty

import (
	"io"
	"os"

	"golang.org/x/term"
)

// FallbackWidth is the width assumed of a terminal that will not say.
const FallbackWidth = 80

// Settings are what decides a stream's treatment besides the stream.
type Settings struct {
	// Getenv reads NO_COLOR and TERM; nil reads nothing.
	Getenv func(string) string
	// NoColor is --no-color.
	NoColor bool
	// IsTerminal says whether w is a terminal; nil is IsTerminal. Tests
	// declare a writer a terminal here.
	IsTerminal func(w io.Writer) bool
}

// Stream is what hamsasim knows of one output stream.
type Stream struct {
	// Terminal is set when the stream is a terminal that takes escape
	// sequences: a terminal, and TERM is not "dumb". Progress is then one
	// line redrawn in place; otherwise plain heartbeat lines.
	Terminal bool
	// Color is set when the stream gets colour: Terminal, NO_COLOR unset
	// or empty (no-color.org), and no --no-color. Without it no escape
	// sequence of any kind is written: a status line is then erased with
	// a carriage return and spaces.
	Color bool
	fd    int        // the terminal's descriptor, or -1
	width func() int // the width as the caller knows it; nil: ask fd
}

// Terminal is a terminal of the given width (asked at each redraw), in
// colour or not: for tests, and for callers that know the stream better
// than Decide.
func Terminal(width func() int, color bool) Stream {
	return Stream{Terminal: true, Color: color, fd: -1, width: width}
}

// Decide is the one place that says how w is written to. Off a terminal,
// or with TERM=dumb, nothing written to w may hold an escape sequence.
func Decide(w io.Writer, s Settings) Stream {
	getenv := s.Getenv
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	isTerminal := s.IsTerminal
	if isTerminal == nil {
		isTerminal = IsTerminal
	}
	st := Stream{fd: -1}
	st.Terminal = isTerminal(w) && getenv("TERM") != "dumb"
	st.Color = st.Terminal && getenv("NO_COLOR") == "" && !s.NoColor
	if f, ok := w.(*os.File); ok && st.Terminal {
		st.fd = int(f.Fd())
	}
	return st
}

// IsTerminal reports whether w is a file whose descriptor is a terminal;
// a buffer, a pipe or a regular file is not.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// Width is, for a terminal, a function giving its width in columns now
// (asked at each redraw, so that a resized window is followed, and
// FallbackWidth when the terminal will not say); nil for a log.
func (s Stream) Width() func() int {
	if !s.Terminal {
		return nil
	}
	if s.width != nil {
		return s.width
	}
	fd := s.fd
	return func() int {
		if fd >= 0 {
			if cols, _, err := term.GetSize(fd); err == nil && cols > 0 {
				return cols
			}
		}
		return FallbackWidth
	}
}

// Palette is the stream's colours: off unless Color.
func (s Stream) Palette() Palette { return Palette{on: s.Color} }
