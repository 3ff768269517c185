package deliver

import (
	"context"
	"math"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// RetryPolicy decides whether a failed attempt is tried again, and after how
// long. attempt is the number of the attempt that failed, from 1.
type RetryPolicy interface {
	Next(attempt int, last Attempt) (wait time.Duration, retry bool)
}

// RetryPolicyFunc adapts a function to RetryPolicy.
type RetryPolicyFunc func(attempt int, last Attempt) (time.Duration, bool)

// Next calls f.
func (f RetryPolicyFunc) Next(attempt int, last Attempt) (time.Duration, bool) {
	return f(attempt, last)
}

// Retryable reports whether the platform retries a failed attempt: timeouts,
// connection failures, 5xx, 408 and 429. Other 4xx are final (the receiver
// said the request itself is wrong), and so is a 3xx.
func Retryable(a Attempt) bool {
	if a.OK() || a.Class == ClassCanceled {
		return false
	}
	if a.Class != ClassNone {
		return true
	}
	return a.Status >= 500 || a.Status == http.StatusRequestTimeout || a.Status == http.StatusTooManyRequests
}

// Backoff is the platform's retry schedule: exponential (Base,
// Base*Factor, Base*Factor², ... capped at Max) or, when Waits is set, those
// waits in order, for at most Attempts attempts in all. Jitter spreads each
// wait uniformly over ±Jitter of itself (0.2 is ±20 %), so receivers that
// fail together are not retried in lockstep. It never retries what
// Retryable refuses.
type Backoff struct {
	Attempts int             // total attempts, first included; 1 means no retry
	Base     time.Duration   // wait after the first failure
	Factor   float64         // growth per retry
	Max      time.Duration   // longest wait
	Waits    []time.Duration // explicit waits before retry 1, 2, ...; the last repeats
	Jitter   float64         // 0..1: each wait is spread over ±Jitter of itself
	// RetryAfterMax bounds a wait a Retry-After header asks for; 0 means Max.
	RetryAfterMax time.Duration
}

// The platform's default retry schedule: the one source of every retry
// default (simulate's --retries, a scenario's delivery block).
const (
	DefaultAttempts      = 3 // the first attempt and 2 retries
	DefaultBackoffBase   = time.Second
	DefaultBackoffFactor = 2.0
	DefaultBackoffMax    = 30 * time.Second
)

// DefaultBackoff is DefaultAttempts attempts, waiting 1 s then 2 s (doubling,
// at most 30 s).
func DefaultBackoff() Backoff { return BackoffOf(DefaultAttempts) }

// BackoffOf is the default schedule with attempts attempts in all.
func BackoffOf(attempts int) Backoff {
	return Backoff{Attempts: attempts, Base: DefaultBackoffBase, Factor: DefaultBackoffFactor, Max: DefaultBackoffMax}
}

// Next implements RetryPolicy, drawing the jitter at random.
func (b Backoff) Next(attempt int, last Attempt) (time.Duration, bool) {
	return b.Wait(attempt, last, rand.Float64())
}

// Wait is Next with the jitter's draw u, from [0, 1), given: a seeded
// caller gets the same schedule every run. A 429 or 503 with a Retry-After
// header (seconds or an HTTP date) waits as the receiver asked, bounded by
// RetryAfterMax (or Max) and never jittered.
func (b Backoff) Wait(attempt int, last Attempt, u float64) (time.Duration, bool) {
	if attempt >= b.Attempts || !Retryable(last) {
		return 0, false
	}
	if d, ok := RetryAfter(last, time.Now()); ok {
		bound := b.RetryAfterMax
		if bound <= 0 {
			bound = b.Max
		}
		if bound > 0 && d > bound {
			d = bound
		}
		return d, true
	}
	var wait float64
	if len(b.Waits) > 0 {
		wait = float64(b.Waits[min(attempt, len(b.Waits))-1])
	} else {
		wait = float64(b.Base)
		for i := 1; i < attempt; i++ {
			wait *= b.Factor
		}
	}
	if b.Jitter > 0 {
		wait *= 1 + b.Jitter*(2*u-1)
	}
	// Compare before converting: a float past MaxInt64 converts to a negative
	// Duration, which would escape the cap and retry at once.
	if b.Max > 0 && wait > float64(b.Max) {
		return b.Max, true
	}
	if wait >= math.MaxInt64 {
		return time.Duration(math.MaxInt64), true
	}
	return time.Duration(wait), true
}

// Clock tells the time and waits; tests inject a fake one so retries need no sleeping.
type Clock interface {
	Now() time.Time
	// Sleep waits d or until ctx is done, whichever is first; it returns ctx.Err() in the second case.
	Sleep(ctx context.Context, d time.Duration) error
}

// SystemClock is the real clock.
type SystemClock struct{}

// Now returns time.Now().
func (SystemClock) Now() time.Time { return time.Now() }

// Sleep waits d or until ctx is done.
func (SystemClock) Sleep(ctx context.Context, d time.Duration) error { return Wait(ctx, d) }

// Wait waits d of real time or until ctx is done, whichever is first; it
// returns ctx.Err() in the second case.
func Wait(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// RetryAfter reads the Retry-After header of a 429 or 503 answer: a whole
// number of seconds, or an HTTP date (the wait until then, from now). It
// reports false for other answers and for a missing or unreadable header.
func RetryAfter(a Attempt, now time.Time) (time.Duration, bool) {
	if a.Status != http.StatusTooManyRequests && a.Status != http.StatusServiceUnavailable {
		return 0, false
	}
	v := strings.TrimSpace(a.Header.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n < 0 || n > int64(math.MaxInt64/time.Second) {
			return 0, false
		}
		return time.Duration(n) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}
