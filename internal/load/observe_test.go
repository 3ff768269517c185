package load_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hamsasim/hamsasim/internal/deliver"
	"github.com/hamsasim/hamsasim/internal/event"
	"github.com/hamsasim/hamsasim/internal/load"
	"github.com/hamsasim/hamsasim/internal/loadreport"
	"github.com/hamsasim/hamsasim/internal/tty"
)

// recorder is an Observer that counts what it is told.
type recorder struct {
	mu                                                    sync.Mutex
	started, ended, inFlight                              int64
	offered, attempts, retries, timeouts, delivered, acks [8]int64
	causes                                                [8]map[string]int64
	stages                                                []string
}

func (r *recorder) CallStarted(n int64) { r.mu.Lock(); r.started++; r.inFlight = n; r.mu.Unlock() }
func (r *recorder) CallEnded(n int64)   { r.mu.Lock(); r.ended++; r.inFlight = n; r.mu.Unlock() }
func (r *recorder) Offered(typ, n int)  { r.mu.Lock(); r.offered[typ] += int64(n); r.mu.Unlock() }
func (r *recorder) Stage(n int, rate float64) {
	r.mu.Lock()
	r.stages = append(r.stages, loadreport.FormatRate(float64(n))+"@"+loadreport.FormatRate(rate))
	r.mu.Unlock()
}

func (r *recorder) Attempt(a load.AttemptSeen) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.attempts[a.Type]++
	if a.Retry {
		r.retries[a.Type]++
	}
	if a.TimedOut {
		r.timeouts[a.Type]++
	}
	if a.Acked != (a.Cause == "") {
		panic("a cause is given exactly for attempts not acknowledged: " + a.Cause)
	}
	if !a.Acked {
		if r.causes[a.Type] == nil {
			r.causes[a.Type] = map[string]int64{}
		}
		r.causes[a.Type][a.Cause]++
	}
}

func (r *recorder) Delivered(typ int, acked bool) {
	r.mu.Lock()
	r.delivered[typ]++
	if acked {
		r.acks[typ]++
	}
	r.mu.Unlock()
}

// flaky answers 503 to every 7th request and too late (after 300 ms) to
// every 11th; 200 to the rest.
func flaky(t *testing.T) string {
	t.Helper()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		k := n.Add(1)
		w.Header().Set("Content-Type", "application/json")
		switch {
		case k%7 == 3:
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = io.WriteString(w, `{"error":"busy"}`)
			return
		case k%11 == 5:
			select {
			case <-time.After(300 * time.Millisecond):
			case <-r.Context().Done():
			}
		}
		_, _ = io.WriteString(w, `{"received":true}`)
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/webhook"
}

const flakyScenario = `
name: flaky
duration: %s
arrival: {constant: 10}
mix:
  - {fixture: support-resolved, weight: 2}
  - {fixture: no-answer, weight: 1}
timeScale: 0.01
duplicates: 0.2
delivery: {timeout: 200ms, retries: 2, backoff: {base: 50ms, factor: 2, max: 200ms}, jitter: 0%}
drain: 30s
`

// What an Observer is told adds up to the summary, per event type: a run
// that ends by itself, and one interrupted with deliveries left unsent.
func TestObserverSeesWhatTheSummaryCounts(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		duration string
		cut      time.Duration // interrupt after this long; 0: never
	}{
		{"whole run", "2s", 0},
		{"interrupted", "1m", 700 * time.Millisecond},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rec := &recorder{}
			ctx := context.Background()
			if tc.cut > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tc.cut)
				defer cancel()
			}
			sc := parseScenario(t, strings.Replace(flakyScenario, "%s", tc.duration, 1))
			e, err := load.New(sc, fixtures(t), load.WithTarget(flaky(t), "loopback", "url"), load.WithSeed(3),
				load.WithClock(load.NewFastClock(5)), load.WithObserver(rec))
			require.NoError(t, err)
			s, err := e.Run(ctx)
			require.NoError(t, err)
			assert.Equal(t, tc.cut > 0, s.Interrupted)
			assertRecorded(t, rec, s, tc.cut == 0)
		})
	}
}

func assertRecorded(t *testing.T, rec *recorder, s *loadreport.Summary, whole bool) {
	t.Helper()
	rec.mu.Lock()
	defer rec.mu.Unlock()
	assert.Equal(t, s.Calls.Started, rec.started)
	assert.Equal(t, s.Calls.Started, rec.ended)
	assert.Zero(t, rec.inFlight)
	require.NotEmpty(t, s.PerType)
	var errs, timeouts, unsent int64
	for _, ts := range s.PerType {
		i := event.TypeIndex(ts.Type)
		assert.Equal(t, ts.Deliveries, rec.delivered[i], ts.Type)
		assert.Equal(t, ts.Acked, rec.acks[i], ts.Type)
		assert.Equal(t, ts.Attempts, rec.attempts[i], ts.Type)
		assert.Equal(t, ts.Retries, rec.retries[i], ts.Type)
		assert.Equal(t, ts.Timeouts, rec.timeouts[i], ts.Type)
		var sum int64
		for cause, n := range rec.causes[i] {
			assert.Equal(t, ts.Status[cause], n, "%s %s", ts.Type, cause)
			sum += n
		}
		assert.Equal(t, ts.Errors, sum, ts.Type)
		if whole {
			assert.Equal(t, ts.Deliveries, rec.offered[i], "%s: every delivery fell due once", ts.Type)
		} else {
			assert.LessOrEqual(t, rec.offered[i], ts.Deliveries, ts.Type)
		}
		errs, timeouts, unsent = errs+ts.Errors, timeouts+ts.Timeouts, unsent+ts.Unsent
	}
	assert.Positive(t, errs, "the target refused some")
	assert.Positive(t, timeouts, "the target was late for some")
	assert.Equal(t, !whole, unsent > 0)
}

// heartbeatLine is a progress line in a log: a UTC time, then the figures.
var heartbeatLine = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ  elapsed (\d+)s  calls \d+  in flight \d+  events \d+ \(\d+/s\)  acked \d+  p99 \S+  errors \d+  timeouts \d+$`)

// Off a terminal, progress is a plain line every heartbeat and nothing
// else; a run shorter than one heartbeat writes none.
func TestHeartbeatLines(t *testing.T) {
	t.Parallel()
	sc := parseScenario(t, strings.Replace(flakyScenario, "%s", "6s", 1))
	var log bytes.Buffer
	// The clock runs 20 times faster: a heartbeat of 1 s (clock time) is
	// 50 ms of real time.
	e, err := load.New(sc, fixtures(t), load.WithTarget(flaky(t), "loopback", "url"), load.WithSeed(3),
		load.WithClock(load.NewFastClock(20)), load.WithProgress(&log, tty.Stream{}), load.WithHeartbeat(time.Second))
	require.NoError(t, err)
	s, err := e.Run(context.Background())
	require.NoError(t, err)

	out := log.String()
	assert.NotContains(t, out, "\r")
	assert.NotContains(t, out, "\x1b")
	require.True(t, strings.HasSuffix(out, "\n"), "%q", out)
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	elapsed := time.Duration(s.ElapsedMs) * time.Millisecond
	assert.GreaterOrEqual(t, len(lines), 3, "%s of run time", elapsed)
	assert.LessOrEqual(t, len(lines), int(elapsed/time.Second))
	last := -1
	for _, l := range lines {
		m := heartbeatLine.FindStringSubmatch(l)
		require.NotNil(t, m, "%q", l)
		sec := 0
		for _, c := range m[1] {
			sec = sec*10 + int(c-'0')
		}
		assert.GreaterOrEqual(t, sec, last, "%q", out)
		last = sec
	}

	short := parseScenario(t, strings.Replace(flakyScenario, "%s", "1s", 1))
	quiet := newEngine(t, short, startReceiver(t), load.WithClock(load.NewFastClock(4)), load.WithProgress(&log, tty.Stream{}))
	log.Reset()
	s, err = quiet.Run(context.Background())
	require.NoError(t, err)
	require.Less(t, s.ElapsedMs, load.DefaultHeartbeat.Milliseconds())
	assert.Empty(t, log.String(), "a run shorter than DefaultHeartbeat writes no heartbeat")
}

// On a terminal, every redraw fits the width the terminal has at that
// moment, minus one column; the last one ends the line.
func TestProgressLineFitsTheTerminal(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	widths := []int{120, 80, 40, 20, 10, 2, 1, 0}
	var asked atomic.Int64
	width := func() int { return widths[int(asked.Add(1)-1)%len(widths)] }
	sc := parseScenario(t, strings.Replace(flakyScenario, "%s", "3s", 1))
	e, err := load.New(sc, fixtures(t), load.WithTarget(flaky(t), "loopback", "url"), load.WithSeed(3),
		load.WithClock(load.NewFastClock(50)), load.WithProgress(&out, tty.Terminal(width, true)))
	require.NoError(t, err)
	_, err = e.Run(context.Background())
	require.NoError(t, err)

	text := out.String()
	require.True(t, strings.HasPrefix(text, "\r\x1b[K"), "%q", text)
	assert.True(t, strings.HasSuffix(text, "\n"))
	redraws := strings.Split(strings.TrimPrefix(text, "\r\x1b[K"), "\r\x1b[K")
	require.Equal(t, int(asked.Load()), len(redraws))
	require.GreaterOrEqual(t, len(redraws), 3)
	for i, line := range redraws {
		line = strings.TrimSuffix(line, "\n")
		w := widths[i%len(widths)]
		assert.LessOrEqual(t, utf8.RuneCountInString(line), max(w-1, 0), "width %d: %q", w, line)
		assert.NotContains(t, line, "\n")
		if w == 120 {
			assert.Contains(t, line, "events ")
		}
	}
}

// A capacity search tells the Observer each stage as it starts, and its
// progress lines say which stage runs.
func TestCapacityStagesAreObserved(t *testing.T) {
	t.Parallel()
	sc := parseScenario(t, strings.Replace(flakyScenario, "%s", "1s", 1))
	rec := &recorder{}
	var log bytes.Buffer
	search := load.CapacitySearch{Start: 4, Stage: 2 * time.Second, Warmup: time.Second, MaxStages: 2}
	s, err := load.FindCapacity(context.Background(), sc, fixtures(t), search,
		load.WithTarget(startReceiver(t), "loopback", "url"), load.WithSigner(deliver.Bearer{Value: token, Env: "WEBHOOK_SECRET"}),
		load.WithSeed(1), load.WithClock(load.NewFastClock(4)),
		load.WithObserver(rec), load.WithProgress(&log, tty.Stream{}), load.WithHeartbeat(time.Second))
	require.NoError(t, err)
	// How many stages run, and at which rates, is the search's business
	// (a busy machine may stop it after one): each one that ran was told.
	ran := s.Capacity.Stages
	require.NotEmpty(t, ran)
	require.Len(t, rec.stages, len(ran))
	for i, st := range ran {
		rate := loadreport.FormatRate(st.CallsPerSec)
		assert.Equal(t, loadreport.FormatRate(float64(i+1))+"@"+rate, rec.stages[i])
		assert.Contains(t, log.String(), "  stage "+loadreport.FormatRate(float64(i+1))+" at "+rate+" calls/s  ")
	}
	assert.Equal(t, "1@4", rec.stages[0])
}
