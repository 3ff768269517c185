package load

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// The rate is taken over the last rateWindow, or since the start before that.
func TestRateMeter(t *testing.T) {
	t.Parallel()
	var m rateMeter
	got := []float64{}
	for s := 1; s <= 25; s++ {
		n := int64(100 * s) // 100/s for the first 15 s ...
		if s > 15 {
			n = 1500 + int64(300*(s-15)) // ... then 300/s
		}
		got = append(got, m.at(time.Duration(s)*time.Second, n))
	}
	assert.InDelta(t, 100, got[4], 0.01, "since the start")
	assert.InDelta(t, 100, got[14], 0.01)
	assert.InDelta(t, 300, got[24], 0.01, "the last 10 s only")
	assert.LessOrEqual(t, len(m.samples), 12, "samples older than the window are let go")
	assert.Zero(t, new(rateMeter).at(0, 0), "no time, no rate")
}
