package deliver_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/hamsasim/hamsasim/internal/deliver"
)

func TestBreaker(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	silent := func(at time.Duration) deliver.Attempt {
		return deliver.Attempt{Class: deliver.ClassRefused, Start: t0.Add(at), Latency: time.Millisecond}
	}
	t.Run("count", func(t *testing.T) {
		b := deliver.NewBreaker(3, 0)
		assert.False(t, b.Observe(silent(0)))
		assert.False(t, b.Observe(silent(time.Second)))
		assert.True(t, b.Observe(silent(2*time.Second)), "the third in a row trips it")
		assert.False(t, b.Observe(silent(3*time.Second)), "it trips once")
		assert.True(t, b.Tripped())
		assert.Equal(t, "4 attempts in a row: refused ×4", b.Silence())
	})
	t.Run("any answer closes it, late included", func(t *testing.T) {
		b := deliver.NewBreaker(2, 0)
		assert.False(t, b.Observe(silent(0)))
		assert.False(t, b.Observe(deliver.Attempt{Status: 500}))
		assert.False(t, b.Observe(silent(time.Second)))
		assert.False(t, b.Observe(deliver.Attempt{Status: 200, Class: deliver.ClassLate, Latency: 6 * time.Second}))
		assert.False(t, b.Observe(silent(2*time.Second)))
		assert.False(t, b.Tripped())
	})
	t.Run("headers then a broken body are no answer", func(t *testing.T) {
		b := deliver.NewBreaker(3, 0)
		for i := range 3 {
			cut := deliver.Attempt{Status: 200, Class: deliver.ClassReset, Start: t0.Add(time.Duration(i) * time.Second)}
			if i == 2 {
				cut.Class = deliver.ClassTimeout
			}
			tripped := b.Observe(cut)
			assert.Equal(t, i == 2, tripped, "attempt %d", i)
		}
	})
	t.Run("window", func(t *testing.T) {
		b := deliver.NewBreaker(2, 30*time.Second)
		assert.False(t, b.Observe(silent(0)))
		assert.False(t, b.Observe(silent(10*time.Second)), "two in a row, but only 10 s of silence")
		assert.True(t, b.Observe(silent(30*time.Second)))
	})
	t.Run("canceled attempts say nothing; nil never trips", func(t *testing.T) {
		b := deliver.NewBreaker(1, 0)
		assert.False(t, b.Observe(deliver.Attempt{Class: deliver.ClassCanceled}))
		var none *deliver.Breaker
		assert.False(t, none.Observe(silent(0)))
		assert.False(t, none.Tripped())
	})
}
