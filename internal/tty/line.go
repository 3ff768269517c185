package tty

import (
	"io"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

const (
	// Redraw is how often a status line is redrawn on a terminal.
	Redraw = time.Second
	// DefaultHeartbeat is how often a status goes to a log (CI) as a
	// plain line: often enough to show that a long run is alive, seldom
	// enough to keep the log short.
	DefaultHeartbeat = 10 * time.Second
)

// clearLine returns the cursor to the start of the line and erases it.
const clearLine = "\r\x1b[K"

// Field is one figure of a status line; the lower its Rank, the longer it
// stays when the line must be shortened to fit the terminal.
type Field struct {
	Text string
	Rank int
}

const fieldSep = "  "

// Join is the fields in order, two spaces apart.
func Join(fields []Field) string {
	texts := make([]string, len(fields))
	for i, f := range fields {
		texts[i] = f.Text
	}
	return strings.Join(texts, fieldSep)
}

// Fit joins the fields into at most width columns (one a rune): while the
// line is too long, the field of the highest rank is left out; a last
// field still too long is cut.
func Fit(fields []Field, width int) string {
	if width <= 0 {
		return ""
	}
	fields = append([]Field(nil), fields...)
	line := Join(fields)
	for utf8.RuneCountInString(line) > width && len(fields) > 1 {
		drop := 0
		for i, f := range fields {
			if f.Rank > fields[drop].Rank {
				drop = i
			}
		}
		fields = append(fields[:drop], fields[drop+1:]...)
		line = Join(fields)
	}
	if utf8.RuneCountInString(line) > width {
		line = string([]rune(line)[:width])
	}
	return line
}

// StatusLine is the text that redraws a terminal's status line: back to
// the line's start, erase it, and the fields in at most width-1 columns
// (width asked now), so that the line never reaches the last column and
// never wraps (a wrapped line could not be erased by the next redraw).
// With colour the line is erased by an escape sequence; without, by
// spaces up to width-1, so no escape sequence is written.
func (s Stream) StatusLine(fields []Field) string {
	width := s.columns()
	line := Fit(fields, width-1)
	if s.Color {
		return clearLine + line
	}
	return "\r" + line + strings.Repeat(" ", max(width-1-utf8.RuneCountInString(line), 0))
}

// EraseLine is the text that erases a terminal's status line and leaves
// the cursor at its start.
func (s Stream) EraseLine() string {
	if s.Color {
		return clearLine
	}
	return "\r" + strings.Repeat(" ", max(s.columns()-1, 0)) + "\r"
}

// columns is the terminal's width now (FallbackWidth for a log).
func (s Stream) columns() int {
	if w := s.Width(); w != nil {
		return w()
	}
	return FallbackWidth
}

// HeartbeatLine is a status as a log's line: the time in UTC, then the
// fields, then a newline; no carriage return, no escape sequence.
func HeartbeatLine(at time.Time, fields []Field) string {
	return at.UTC().Format(time.RFC3339) + fieldSep + Join(fields) + "\n"
}

// Live shows a status line while work goes on, from a goroutine of its
// own: on a terminal a line redrawn every Redraw and erased by Stop; in a
// log a HeartbeatLine every heartbeat, and none at all for work that ends
// sooner. Stop is idempotent; nothing is written after it returns.
type Live struct {
	w         io.Writer
	stream    Stream
	fields    func(elapsed time.Duration) []Field
	start     time.Time
	stop      chan struct{}
	done      chan struct{}
	once      sync.Once
	drawn     bool // a terminal line is on the screen (only the goroutine writes it before Stop)
	heartbeat time.Duration
}

// Show starts showing fields on w as s says. fields is called from Live's
// goroutine with the time since Show and must be safe to call while the
// work goes on. heartbeat is the log's interval; 0 is DefaultHeartbeat.
func Show(w io.Writer, s Stream, heartbeat time.Duration, fields func(elapsed time.Duration) []Field) *Live {
	if heartbeat <= 0 {
		heartbeat = DefaultHeartbeat
	}
	l := &Live{w: w, stream: s, fields: fields, start: time.Now(), stop: make(chan struct{}), done: make(chan struct{}), heartbeat: heartbeat}
	go l.loop()
	return l
}

func (l *Live) loop() {
	defer close(l.done)
	every := l.heartbeat
	if l.stream.Terminal {
		every = Redraw
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-l.stop:
			if l.drawn {
				_, _ = io.WriteString(l.w, l.stream.EraseLine())
			}
			return
		case now := <-t.C:
			fields := l.fields(now.Sub(l.start))
			if l.stream.Terminal {
				_, _ = io.WriteString(l.w, l.stream.StatusLine(fields))
				l.drawn = true
			} else {
				_, _ = io.WriteString(l.w, HeartbeatLine(now, fields))
			}
		}
	}
}

// Stop ends the status line (erasing it on a terminal) and waits until
// Live has written its last.
func (l *Live) Stop() {
	if l == nil {
		return
	}
	l.once.Do(func() { close(l.stop) })
	<-l.done
}
