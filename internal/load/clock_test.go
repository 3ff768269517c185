package load_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/hamsasim/hamsasim/internal/load"
)

func TestFastClockRunsFaster(t *testing.T) {
	t.Parallel()
	c := load.NewFastClock(50)
	assert.Equal(t, 20*time.Millisecond, c.Real(time.Second))
	start, realStart := c.Now(), time.Now()
	time.Sleep(20 * time.Millisecond)
	virtual, real := c.Now().Sub(start), time.Since(realStart)
	// 50 times the real time that passed, within the scheduler's slack.
	assert.InDelta(t, 50*real.Seconds(), virtual.Seconds(), 0.25, "virtual %s for real %s", virtual, real)
	assert.Equal(t, time.Second, load.SystemClock{}.Real(time.Second))
}
