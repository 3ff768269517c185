package simulate

import (
	"fmt"
	"sort"
	"sync"

	"github.com/hamsasim/hamsasim/internal/deliver"
)

// streaks bounds a run against a receiver that fails an event type every
// time. The platform retries each failed event on its schedule (1 s, then
// 2 s by default); against a receiver that answers 500 to every
// transcription.update, an hour-long call's thousand updates would take
// most of an hour to replay. Once limit events of one type in a row failed
// every attempt, later events of the type are sent once each, and their
// findings say what the platform would still do; an acknowledged one puts
// the type back on the full schedule. Safe for concurrent use.
type streaks struct {
	limit int // <= 0: never send once
	mu    sync.Mutex
	run   map[string]int // events in a row that failed every attempt
	once  map[string]int // events sent once, by type
	after map[string]int // the streak that started the bound, by type
}

func newStreaks(limit int) *streaks {
	return &streaks{limit: limit, run: map[string]int{}, once: map[string]int{}, after: map[string]int{}}
}

// sendOnce reports whether the next event of type t is sent once, and
// counts it if so.
func (s *streaks) sendOnce(t string) bool {
	if s.limit <= 0 {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.run[t] < s.limit {
		return false
	}
	if s.once[t] == 0 {
		s.after[t] = s.run[t]
	}
	s.once[t]++
	return true
}

// record notes how the delivery of an event of type t ended.
func (s *streaks) record(t string, res deliver.Result) {
	final := res.Final()
	if final.Class == deliver.ClassCanceled {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if res.Acked() {
		s.run[t] = 0
		return
	}
	s.run[t]++
}

// bounds says, a line per event type, where the run sent events once
// instead of retrying them.
func (s *streaks) bounds() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	types := make([]string, 0, len(s.once))
	for t := range s.once {
		types = append(types, t)
	}
	sort.Strings(types)
	out := make([]string, 0, len(types))
	for _, t := range types {
		out = append(out, fmt.Sprintf("%s: after %d events in a row failed every attempt, %d later %s events were sent once each instead of on the platform's retry schedule (--full-retries retries every one)",
			t, s.after[t], s.once[t], t))
	}
	return out
}
