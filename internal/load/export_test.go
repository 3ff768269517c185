package load

import (
	"net/http"
	"time"

	"github.com/hamsasim/hamsasim/internal/deliver"
)

// ObserveEvents tells o what the engine's loop tells an Observer for n
// events of type typ, as the loop does it: each falls due, has one
// attempt (not acknowledged, 503, when failing) and ends. It is the
// observer's per-event cost without the rest of the engine.
func ObserveEvents(o Observer, typ, n int, failing bool) {
	w := watch{o}
	f := &flight{c: &call{tpl: &callTemplate{events: []eventTemplate{{typIdx: typ}}}}}
	a := outcome{typ: typ, latency: 3 * time.Millisecond, status: http.StatusOK, ok: true}
	if failing {
		a.status, a.ok, a.class = http.StatusServiceUnavailable, false, deliver.ClassNone
	}
	for range n {
		w.offered(f)
		w.attempt(&a)
		w.delivered(typ, a.ok)
	}
}
