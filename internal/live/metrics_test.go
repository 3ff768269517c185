package live

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"

	"github.com/hamsasim/hamsasim/internal/event"
	"github.com/hamsasim/hamsasim/internal/load"
)

// The rates are taken over the last RateWindow of samples, or since the
// start before that.
func TestRatesOverTheLastWindow(t *testing.T) {
	t.Parallel()
	var r rates
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	r.reset(start)
	of := func(s rateSample) int64 { return s.offered }
	var total atomic.Int64
	at := func(s int) time.Time { return start.Add(time.Duration(s) * time.Second) }
	for s := 1; s <= 30; s++ {
		if s <= 15 {
			total.Add(100)
		} else {
			total.Add(400)
		}
		r.add(at(s), total.Load(), 0)
		switch s {
		case 5:
			assert.InDelta(t, 100, r.rate(at(s), total.Load(), of), 0.01, "since the start")
		case 30:
			assert.InDelta(t, 400, r.rate(at(s), total.Load(), of), 0.01, "the last 10 s only")
		}
	}
	assert.LessOrEqual(t, len(r.samples), 11)
	assert.Zero(t, r.rate(at(30).Add(-time.Hour), 0, of), "no time passed: no rate")
}

// Stages and events of a type the platform does not document have their
// own series.
func TestStageAndOtherType(t *testing.T) {
	t.Parallel()
	m := New()
	m.Stage(3, 40)
	assert.Equal(t, 3.0, testutil.ToFloat64(m.stage))
	assert.Equal(t, 40.0, testutil.ToFloat64(m.stageRate))
	other := len(event.Types)
	m.Attempt(load.AttemptSeen{Type: other, Latency: time.Millisecond, Cause: "refused"})
	m.Attempt(load.AttemptSeen{Type: other, Latency: time.Millisecond, Cause: "refused", Retry: true})
	m.Delivered(other, false)
	assert.Equal(t, 2.0, testutil.ToFloat64(m.errors.WithLabelValues(OtherType, "refused")))
	assert.Equal(t, 1.0, testutil.ToFloat64(m.retries.WithLabelValues(OtherType)))
	assert.Equal(t, 1.0, testutil.ToFloat64(m.deliveries.WithLabelValues(OtherType)))
	assert.Equal(t, 0.0, testutil.ToFloat64(m.acked.WithLabelValues(OtherType)))
	assert.Equal(t, 0.0, testutil.ToFloat64(m.deliveries.WithLabelValues(event.CallStarted)), "documented types start at zero")
	assert.Equal(t, 6, testutil.CollectAndCount(m.deliveries), "five documented types and other")
}
