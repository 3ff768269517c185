package load

import (
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/hamsasim/hamsasim/internal/loadreport"
	"github.com/hamsasim/hamsasim/internal/report"
	"github.com/hamsasim/hamsasim/internal/tty"
)

// DefaultHeartbeat is how often a run writes a progress line when its
// progress goes to a log rather than a terminal (CI).
const DefaultHeartbeat = tty.DefaultHeartbeat

// rateWindow is the span the progress line's event rate is taken over.
const rateWindow = 10 * time.Second

// WithProgress writes the run's progress to w, as s says of it. On a
// terminal (s.Terminal): one line, redrawn about once a second, never
// longer than its width less one column (the least important figures are
// left out first, so it never wraps; see tty.Stream.StatusLine). In a log:
// a plain line (no carriage return, no escape codes) every heartbeat,
// DefaultHeartbeat unless WithHeartbeat says otherwise.
func WithProgress(w io.Writer, s tty.Stream) Option {
	return func(e *Engine) error { e.progress, e.line = w, s; return nil }
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
	every := tty.Redraw
	if !r.e.line.Terminal {
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
	terminal := r.e.line.Terminal
	if w == nil || (final && !terminal) {
		return
	}
	now := r.now()
	if !terminal {
		// A tick that waited while the loop was busy comes right before
		// the next one: one line is enough.
		if r.rate.last > 0 && now-r.rate.last < r.heartbeat()/2 {
			return
		}
		_, _ = io.WriteString(w, tty.HeartbeatLine(r.e.clock.Now(), r.progressFields(now, false)))
		return
	}
	fields := r.progressFields(now, true)
	end := ""
	if final {
		end = "\n"
	}
	_, _ = io.WriteString(w, r.e.line.StatusLine(fields)+end)
}

// progressFields are the run's figures now, in the order they are shown.
func (r *run) progressFields(now time.Duration, terminal bool) []tty.Field {
	o := r.m.overall
	p99 := "-"
	if o.hist.TotalCount() > 0 {
		p99 = report.Millis(float64(o.hist.ValueAtPercentile(99)) / 1000) // µs to ms
	}
	elapsed := now.Truncate(time.Second).String()
	if !terminal {
		elapsed = "elapsed " + elapsed
	}
	fields := []tty.Field{{Text: elapsed, Rank: 0}}
	if st := r.e.stage; st.n > 0 {
		fields = append(fields, tty.Field{Text: "stage " + strconv.Itoa(st.n) + " at " + loadreport.FormatRate(st.rate) + " calls/s", Rank: 1})
	}
	rate := r.rate.at(now, o.Attempts)
	return append(fields,
		tty.Field{Text: "calls " + strconv.FormatInt(r.calls.Started, 10), Rank: 8},
		tty.Field{Text: "in flight " + strconv.FormatInt(r.live, 10), Rank: 6},
		tty.Field{Text: fmt.Sprintf("events %d (%.0f/s)", o.Attempts, rate), Rank: 2},
		tty.Field{Text: "acked " + strconv.FormatInt(o.Acked, 10), Rank: 7},
		tty.Field{Text: "p99 " + p99, Rank: 3},
		tty.Field{Text: "errors " + strconv.FormatInt(o.Errors, 10), Rank: 4},
		tty.Field{Text: "timeouts " + strconv.FormatInt(o.Timeouts, 10), Rank: 5},
	)
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
