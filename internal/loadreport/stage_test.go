package loadreport

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// stageRun is a stage's summary: 12 one-second buckets of arrival, the
// first 2 a warm-up, with offered and acknowledged events and a median
// latency per bucket from the functions given.
func stageRun(offered, acked func(i int) int64, errors int64, p50 func(i int) time.Duration) *Summary {
	s := &Summary{ArrivalMs: 12_000, Timeline: Timeline{BucketMs: 1000}}
	for i := range 14 { // and 2 of drain
		b := Bucket{AtMs: int64(i) * 1000, Offered: offered(i), Acked: acked(i)}
		h := NewBucketHistogram()
		for range b.Acked {
			Record(h, p50(i))
		}
		b.Errors = errors
		if errors > 0 {
			b.Causes = map[string]int64{"429": errors}
		}
		b.Attempts = b.Acked + b.Errors
		b.SetLatencies(h)
		s.Timeline.Buckets = append(s.Timeline.Buckets, b)
	}
	return s
}

func flat(n int64) func(int) int64                    { return func(int) int64 { return n } }
func latency(d time.Duration) func(int) time.Duration { return func(int) time.Duration { return d } }

func TestJudgeStage(t *testing.T) {
	t.Parallel()
	growing := func(i int) time.Duration { return time.Duration(50+60*i) * time.Millisecond }
	cases := []struct {
		name   string
		s      *Summary
		held   bool
		broken string
		ach    float64
	}{
		{"keeps up", stageRun(flat(40), flat(40), 0, latency(20*time.Millisecond)), true, "", 40},
		{"a little short, within 10%", stageRun(flat(40), flat(37), 0, latency(20*time.Millisecond)), true, "", 37},
		{"saturated", stageRun(flat(50), flat(40), 0, latency(20*time.Millisecond)), false, "saturated: 40.0 of 50.0 events/s offered were acknowledged (20% short)", 40},
		{"a queue building up", stageRun(flat(40), flat(40), 0, growing), false, "latency growing: p50 ", 40},
		{"refusing", stageRun(flat(40), flat(40), 2, latency(time.Millisecond)), false, "refusing: 4.8% of attempts not acknowledged (429×20)", 40},
		{"noise under the floor", stageRun(flat(40), flat(40), 0, func(i int) time.Duration { return time.Duration(5+8*(i%2)) * time.Millisecond }), true, "", 40},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			st := JudgeStage(2, tc.s, 2*time.Second)
			assert.Equal(t, tc.held, st.Held, "%+v", st)
			assert.InDelta(t, tc.ach, st.EventsPerSec, 0.01)
			assert.InDelta(t, float64(tc.s.Timeline.Buckets[5].Offered), st.OfferedPerSec, 0.01)
			if tc.held {
				assert.Empty(t, st.Broken)
				assert.Contains(t, st.Verdict, "held: ")
			} else {
				assert.Contains(t, st.Verdict, "broke: ")
				assert.Contains(t, st.Verdict, tc.broken)
			}
		})
	}
}

// The judged window leaves out the warm-up and the drain: a slow start
// and a tail of late answers do not count.
func TestJudgeStageWindow(t *testing.T) {
	t.Parallel()
	s := stageRun(flat(40), func(i int) int64 {
		if i < 2 || i >= 12 {
			return 5
		}
		return 40
	}, 0, func(i int) time.Duration {
		if i < 2 {
			return 2 * time.Second
		}
		return 30 * time.Millisecond
	})
	st := JudgeStage(2, s, 2*time.Second)
	assert.True(t, st.Held, st.Verdict)
	assert.InDelta(t, 30, st.P50Early, 1)
	assert.InDelta(t, 30, st.P50Late, 1)
	assert.Equal(t, int64(2000), st.WarmupMs)

	// A stage shorter than its warm-up has no window: thresholds only.
	short := JudgeStage(2, s, 20*time.Second)
	assert.True(t, short.Held)
	assert.Contains(t, short.Verdict, "no steady-state window")

	// A threshold that failed and a reason from the caller break it.
	s.Thresholds = []ThresholdResult{{Threshold: "p99 < 1s", GotText: "2s"}}
	broke := JudgeStage(2, s, 2*time.Second, "sent late: p99 3s after due")
	assert.False(t, broke.Held)
	assert.Equal(t, "broke: p99 < 1s (got 2s); sent late: p99 3s after due", broke.Verdict)
}

func TestCapacityPlan(t *testing.T) {
	t.Parallel()
	c := &Capacity{Found: true, CallsPerSec: 2.4, EventsPerSec: 40, MeanCallMs: 180_000, PeakCallsPerSec: 2, Limit: "bracketed"}
	c.Plan(false)
	assert.Equal(t, "holds 2.4 calls/s (40.0 events/s) ≈ 432 concurrent 3-minute calls; the scenario's own peak, 2 calls/s, leaves 1.2× headroom", c.Planning)
	assert.InDelta(t, 432, c.ConcurrentCalls, 0.01)
	assert.InDelta(t, 1.2, c.Headroom, 0.001)

	c = &Capacity{Found: true, CallsPerSec: 1.5, EventsPerSec: 25.5, MeanCallMs: 119_109, PeakCallsPerSec: 6}
	c.Plan(true)
	assert.Equal(t, "holds at least 1.5 calls/s (25.5 events/s) ≈ 179 concurrent calls of 1m59s on average; the scenario's own peak, 6 calls/s, is 4.0× what it holds", c.Planning)

	c = &Capacity{Limit: "even 0.01 calls/s broke a threshold"}
	c.Plan(false)
	assert.Equal(t, "no rate held: even 0.01 calls/s broke a threshold", c.Planning)
}
