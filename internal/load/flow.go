package load

import (
	"container/heap"
	"math"
	"math/rand/v2"
	"time"

	"github.com/hamsasim/hamsasim/internal/event"
	"github.com/hamsasim/hamsasim/internal/fixture"
	"github.com/hamsasim/hamsasim/internal/probe"
	"github.com/hamsasim/hamsasim/internal/scenario"
)

type timed struct {
	at time.Duration
	f  *flight
}

type timedHeap []timed

func (h timedHeap) Len() int           { return len(h) }
func (h timedHeap) Less(i, j int) bool { return h[i].at < h[j].at }
func (h timedHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *timedHeap) Push(x any)        { *h = append(*h, x.(timed)) }
func (h *timedHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// planned counts the calls this shard will start.
func (r *run) planned() {
	total := int64(math.Ceil(r.sc.CallsBy(r.arrival) - 1e-9))
	n, i := int64(r.e.shard.Count), int64(r.e.shard.Index)
	if total > i {
		r.calls.Planned = (total-i-1)/n + 1
	}
}

// arrivalOf is when call k starts: the first t where the arrival integral
// reaches k.
func (r *run) arrivalOf(k int64) time.Duration {
	if k == 0 {
		return 0
	}
	if r.sc.Arrival.Kind == scenario.ArrivalConstant {
		return time.Duration(float64(k) / r.sc.Arrival.Constant * float64(time.Second))
	}
	lo, hi := time.Duration(0), r.arrival
	if r.sc.CallsBy(hi) < float64(k) {
		return hi // never: the caller stops at arrival
	}
	for hi-lo > time.Microsecond {
		mid := lo + (hi-lo)/2
		if r.sc.CallsBy(mid) >= float64(k) {
			hi = mid
		} else {
			lo = mid
		}
	}
	return hi
}

// skipToShard moves to this shard's first call.
func (r *run) skipToShard() {
	n, i := int64(r.e.shard.Count), int64(r.e.shard.Index)
	r.arriveNext((i - r.nextK%n + n) % n)
}

// arriveNext moves step calls on and says when that call arrives, or that
// arrivals are over.
func (r *run) arriveNext(step int64) {
	r.nextK += step
	r.nextAt = r.arrivalOf(r.nextK)
	if r.nextAt >= r.arrival || r.sc.CallsBy(r.arrival) <= float64(r.nextK) {
		r.arrivalsOn = false
	}
}

// startArrivals starts every call due by now, within the in-flight limit.
func (r *run) startArrivals(now time.Duration) {
	for r.arrivalsOn && r.nextAt <= now && r.live < int64(r.e.maxInFlight) {
		if late := now - r.nextAt; late > lateAfter {
			r.calls.Late++
			r.calls.LateMaxMs = max(r.calls.LateMaxMs, late.Milliseconds())
		}
		r.startCall(r.nextK, now)
		r.arriveNext(int64(r.e.shard.Count))
	}
}

// mix64 is splitmix64: a decision that depends only on its inputs.
func mix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

func unit(x uint64) float64 { return float64(mix64(x)>>11) / (1 << 53) }

func (r *run) startCall(k int64, now time.Duration) {
	rng := rand.New(rand.NewPCG(r.e.seed, uint64(k)))
	name := r.sc.Pick(rng.Float64())
	tpl := r.e.templates[name]
	wall := r.e.clock.Now().UTC().Truncate(time.Millisecond)
	c := &call{k: k, tpl: tpl, ids: fixture.NewIDs(r.e.seed, name, int(k)), wall: wall, start: now}
	n := len(tpl.events)
	if r.sc.OutOfOrder > 0 && rng.Float64() < r.sc.OutOfOrder && n > 1 {
		c.order = make([]int, n)
		for i := range c.order {
			c.order[i] = i
		}
		p := rng.IntN(n - 1)
		c.order[p], c.order[p+1] = c.order[p+1], c.order[p]
		r.calls.OutOfOrder++
	}
	if !tpl.spliced {
		evs, err := tpl.fixture.Expand(fixture.Options{Seed: r.e.seed, Instance: int(k), Start: wall})
		if err == nil {
			c.full = evs
		}
	}
	r.live++
	r.calls.Started++
	r.calls.Fixtures[name]++
	r.calls.MaxInFlight = max(r.calls.MaxInFlight, r.live)
	r.m.callStarted(now, r.live)
	r.watch.callStarted(r.live)
	r.offerCall(c)
	r.scheduleNext(c, now)
}

// offerCall counts the call's deliveries at the times the schedule makes
// them due: the load offered, whatever the target does with it.
func (r *run) offerCall(c *call) {
	for pos := range c.tpl.events {
		n := int64(1)
		if r.duplicated(c, c.eventAt(pos)) {
			n = int64(r.sc.DuplicateCopies)
		}
		r.m.offer(r.dueAt(c, pos), n)
	}
}

// dueAt is when the event at send position pos is due: the call's start
// plus the position's offset, scaled.
func (r *run) dueAt(c *call, pos int) time.Duration {
	off := c.tpl.events[pos].offset
	return c.start + time.Duration(float64(off)*r.sc.TimeScale)
}

// scheduleNext queues the call's next event, or ends the call.
func (r *run) scheduleNext(c *call, now time.Duration) {
	if c.pos >= len(c.tpl.events) {
		if c.pending == 0 {
			r.endCall(c, true)
		}
		return
	}
	ev := c.eventAt(c.pos)
	f := &flight{c: c, ev: ev}
	c.pending++
	r.render(f)
	if r.sc.DuplicatesTogether && r.duplicated(c, ev) {
		// The platform sends the event's copies at once: its retry races
		// the first attempt, or two of its workers took the event.
		for range r.sc.DuplicateCopies - 1 {
			f.together = append(f.together, &flight{c: c, ev: ev, duplicate: true, body: f.body, ts: f.ts})
			c.pending++
		}
	}
	r.schedule(f, max(r.dueAt(c, c.pos), now), now)
	c.pos++
}

// duplicated reports whether the platform delivers event ev of call c
// more than once: a draw seeded by the call and the event, so a seeded run
// duplicates the same events every time, shards included.
func (r *run) duplicated(c *call, ev int) bool {
	return r.sc.Duplicates > 0 && unit(r.e.seed^mix64(uint64(c.k))^uint64(ev)<<1) < r.sc.Duplicates
}

func (r *run) render(f *flight) {
	c, et := f.c, &f.c.tpl.events[f.ev]
	if c.full != nil {
		full := c.full[et.idx]
		f.body, f.ts = full.Body, full.Timestamp
		return
	}
	f.ts = event.FormatTime(c.wall.Add(et.offset))
	f.body = et.render(nil, c.ids, f.ts)
}

func (r *run) schedule(f *flight, at, now time.Duration) {
	f.at = at
	for _, g := range f.together {
		g.at = at
	}
	if at <= now {
		r.enqueue(f)
		return
	}
	heap.Push(&r.waiting, timed{at: at, f: f})
}

func (r *run) releaseDue(now time.Duration) {
	for r.waiting.Len() > 0 && r.waiting[0].at <= now {
		r.enqueue(heap.Pop(&r.waiting).(timed).f)
	}
}

// enqueue puts the flight in line for a worker.
func (r *run) enqueue(f *flight) {
	r.watch.offered(f)
	r.queue = append(r.queue, f)
}

// endCall retires a call. An incomplete call's events that were never
// scheduled count as unsent deliveries.
func (r *run) endCall(c *call, complete bool) {
	if c.ended {
		return
	}
	c.ended = true
	r.live--
	r.watch.callEnded(r.live)
	if complete {
		r.calls.Completed++
	} else {
		r.calls.Incomplete++
		for p := c.pos; p < len(c.tpl.events); p++ {
			r.m.delivery(c.tpl.events[c.eventAt(p)].typIdx, false, endUnsent)
			r.watch.delivered(c.tpl.events[c.eventAt(p)].typIdx, false)
		}
	}
	c.full = nil
	if r.e.audit != nil {
		r.e.audit(probe.Expected{CallID: c.ids.CallID, Acked: c.acked})
	}
}
