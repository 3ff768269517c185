package deliver

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"
)

// Breaker is the platform's circuit breaker: it trips when the target has
// given no answer at all (timeouts, refused or reset connections, ...) for
// Count attempts in a row and, when Window is set, for at least Window
// since the first of them. Any answer, whatever its status and however
// late, closes it again; canceled attempts say nothing. It trips once. It
// is safe for concurrent use.
type Breaker struct {
	count  int64
	window time.Duration

	mu      sync.Mutex
	streak  int64
	since   time.Time
	by      map[Class]int64
	tripped bool
}

// NewBreaker returns a breaker that trips after count silent attempts in a
// row (at least 1) lasting at least window (0: the count alone decides).
func NewBreaker(count int, window time.Duration) *Breaker {
	return &Breaker{count: int64(max(count, 1)), window: window}
}

// Observe records an attempt and reports true once: on the attempt that
// trips the breaker. A nil Breaker never trips.
func (b *Breaker) Observe(a Attempt) bool {
	if b == nil || a.Class == ClassCanceled {
		return false
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if a.Answered() {
		if b.streak > 0 {
			b.streak = 0
			clear(b.by)
		}
		return false
	}
	if b.streak == 0 {
		b.since = a.Start
		if b.by == nil {
			b.by = map[Class]int64{}
		}
	}
	b.streak++
	b.by[a.Class]++
	if b.tripped || b.streak < b.count {
		return false
	}
	if b.window > 0 && a.Start.Add(a.Latency).Sub(b.since) < b.window {
		return false
	}
	b.tripped = true
	return true
}

// Tripped reports whether the breaker has tripped.
func (b *Breaker) Tripped() bool {
	if b == nil {
		return false
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.tripped
}

// Silence describes the attempts in a row that got no answer, by class:
// "12 attempts in a row: refused ×4, timeout ×8".
func (b *Breaker) Silence() string {
	if b == nil {
		return "no breaker"
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	parts := make([]string, 0, len(b.by))
	for _, c := range slices.Sorted(maps.Keys(b.by)) {
		parts = append(parts, fmt.Sprintf("%s ×%d", c, b.by[c]))
	}
	return fmt.Sprintf("%d attempts in a row: %s", b.streak, strings.Join(parts, ", "))
}
