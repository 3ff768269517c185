package load

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hamsasim/hamsasim/internal/loadreport"
	"github.com/hamsasim/hamsasim/internal/report"
)

// DefaultHeartbeat is how often a run writes a progress line when its
// progress goes to a log rather than a terminal (CI): often enough to show
// that a long run is alive, seldom enough to keep the log short.
const DefaultHeartbeat = 10 * time.Second

const (
	// redraw is how often the progress line is redrawn on a terminal.
	redraw = time.Second
	// rateWindow is the span the progress line's event rate is taken over.
	rateWindow = 10 * time.Second
)

// WithProgress writes the run's progress to w. With width set, w is a
// terminal width() columns wide: one line, redrawn about once a second,
// never longer than width()-1 columns (the least important figures are
// left out first, so it never wraps). Without, w is a log: a plain line
// (no carriage return, no escape codes) every heartbeat, DefaultHeartbeat
// unless WithHeartbeat says otherwise.
func WithProgress(w io.Writer, width func() int) Option {
	return func(e *Engine) error { e.progress, e.width = w, width; return nil }
}

// WithHeartbeat sets how often progress lines go to a log (a positive
// duration of the engine's clock).
func WithHeartbeat(every time.Duration) Option {
	return func(e *Engine) error {
		if every <= 0 {
			return fmt.Errorf("%w: heartbeat %s is not positive", ErrConfig, every)
		}
		e.heartbeat = every
		return nil
	}
}

// progressEvery is how often, in real time, the loop writes progress.
func (r *run) progressEvery() time.Duration {
	every := redraw
	if r.e.width == nil {
		every = r.heartbeat()
	}
	return max(r.e.clock.Real(every), time.Millisecond)
}

// heartbeat is the time between progress lines in a log.
func (r *run) heartbeat() time.Duration {
	if r.e.heartbeat > 0 {
		return r.e.heartbeat
	}
	return DefaultHeartbeat
}

// progressLine writes the progress: on a terminal it redraws the line
// (the final call ends it); in a log it adds a line, and the final call
// adds nothing (the summary follows).
func (r *run) progressLine(final bool) {
	w := r.e.progress
	if w == nil || (final && r.e.width == nil) {
		return
	}
	now := r.now()
	terminal := r.e.width != nil
	if !terminal {
		// A tick that waited while the loop was busy comes right before
		// the next one: one line is enough.
		if r.rate.last > 0 && now-r.rate.last < r.heartbeat()/2 {
			return
		}
		line := joinFields(r.progressFields(now, false))
		_, _ = io.WriteString(w, r.e.clock.Now().UTC().Format(time.RFC3339)+"  "+line+"\n")
		return
	}
	fields := r.progressFields(now, true)
	end := ""
	if final {
		end = "\n"
	}
	_, _ = io.WriteString(w, "\r\x1b[K"+fitFields(fields, r.e.width()-1)+end)
}

// field is one figure of the progress line; the lower its rank, the longer
// it stays when the line must be shortened.
type field struct {
	text string
	rank int
}

// progressFields are the run's figures now, in the order they are shown.
func (r *run) progressFields(now time.Duration, terminal bool) []field {
	o := r.m.overall
	p99 := "-"
	if o.hist.TotalCount() > 0 {
		p99 = report.Millis(float64(o.hist.ValueAtPercentile(99)) / 1000) // µs to ms
	}
	elapsed := now.Truncate(time.Second).String()
	if !terminal {
		elapsed = "elapsed " + elapsed
	}
	fields := []field{{elapsed, 0}}
	if st := r.e.stage; st.n > 0 {
		fields = append(fields, field{"stage " + strconv.Itoa(st.n) + " at " + loadreport.FormatRate(st.rate) + " calls/s", 1})
	}
	rate := r.rate.at(now, o.Attempts)
	return append(fields,
		field{"calls " + strconv.FormatInt(r.calls.Started, 10), 8},
		field{"in flight " + strconv.FormatInt(r.live, 10), 6},
		field{fmt.Sprintf("events %d (%.0f/s)", o.Attempts, rate), 2},
		field{"acked " + strconv.FormatInt(o.Acked, 10), 7},
		field{"p99 " + p99, 3},
		field{"errors " + strconv.FormatInt(o.Errors, 10), 4},
		field{"timeouts " + strconv.FormatInt(o.Timeouts, 10), 5},
	)
}

const fieldSep = "  "

func joinFields(fields []field) string {
	texts := make([]string, len(fields))
	for i, f := range fields {
		texts[i] = f.text
	}
	return strings.Join(texts, fieldSep)
}

// fitFields joins the fields into at most width columns (one a rune):
// while the line is too long, the field of the highest rank is left out;
// a last field still too long is cut.
func fitFields(fields []field, width int) string {
	if width <= 0 {
		return ""
	}
	fields = append([]field(nil), fields...)
	line := joinFields(fields)
	for utf8.RuneCountInString(line) > width && len(fields) > 1 {
		drop := 0
		for i, f := range fields {
			if f.rank > fields[drop].rank {
				drop = i
			}
		}
		fields = append(fields[:drop], fields[drop+1:]...)
		line = joinFields(fields)
	}
	if utf8.RuneCountInString(line) > width {
		line = string([]rune(line)[:width])
	}
	return line
}

// rateMeter gives an event rate over about the last rateWindow from the
// totals seen at each progress line.
type rateMeter struct {
	samples []rateSample
	last    time.Duration // when the last line was written
}

type rateSample struct {
	at time.Duration
	n  int64
}

// at is the rate of n since the oldest sample within rateWindow of now (or
// since the run's start), and remembers n.
func (m *rateMeter) at(now time.Duration, n int64) float64 {
	if len(m.samples) == 0 {
		m.samples = append(m.samples, rateSample{}) // the run's start
	}
	for len(m.samples) > 1 && m.samples[1].at <= now-rateWindow {
		m.samples = m.samples[1:]
	}
	from := m.samples[0]
	rate := 0.0
	if dt := now - from.at; dt > 0 {
		rate = float64(n-from.n) / dt.Seconds()
	}
	m.samples = append(m.samples, rateSample{at: now, n: n})
	m.last = now
	return rate
}
