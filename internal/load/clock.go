package load

import (
	"context"
	"time"

	"github.com/hamsasim/hamsasim/internal/deliver"
)

// Clock is the engine's time: when calls arrive, when events and retries
// fall due, the stamps in the events and on every attempt. The loop waits
// on real timers of Real(d) for d of the clock's time, so a clock that runs
// faster than real time makes a run's schedule pass faster while every HTTP
// exchange still takes its real time (latencies are always measured in
// real time). Implementations must be safe for concurrent use.
type Clock interface {
	Now() time.Time
	// Real is how long d of this clock's time lasts in real time.
	Real(d time.Duration) time.Duration
}

// SystemClock is real time.
type SystemClock struct{}

// Now is time.Now.
func (SystemClock) Now() time.Time { return time.Now() }

// Real returns d.
func (SystemClock) Real(d time.Duration) time.Duration { return d }

// FastClock runs Factor times faster than real time from the moment it
// is made: tests use it to run a scenario's seconds of arrivals, offsets
// and retry waits in milliseconds.
type FastClock struct {
	base   time.Time
	factor float64
}

// NewFastClock returns a clock factor (> 1) times faster than real time.
func NewFastClock(factor float64) *FastClock {
	return &FastClock{base: time.Now(), factor: max(factor, 1)}
}

// Now is the clock's time: base plus factor times the real time since.
func (c *FastClock) Now() time.Time {
	return c.base.Add(time.Duration(float64(time.Since(c.base)) * c.factor))
}

// Real returns d divided by the factor.
func (c *FastClock) Real(d time.Duration) time.Duration {
	return time.Duration(float64(d) / c.factor)
}

// deliverClock is the engine's Clock as the deliverer sees it.
type deliverClock struct{ Clock }

// Sleep waits d of the clock's time, or until ctx is done.
func (c deliverClock) Sleep(ctx context.Context, d time.Duration) error {
	return deliver.Wait(ctx, c.Real(d))
}
