package load

import (
	"strconv"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/hamsasim/hamsasim/internal/deliver"
	"github.com/hamsasim/hamsasim/internal/event"
	"github.com/hamsasim/hamsasim/internal/loadreport"
)

// counters are one event type's (or all types') tallies while a run goes.
type counters struct {
	loadreport.Stats
	hist *hdr.Histogram
}

func newCounters() *counters {
	return &counters{Stats: loadreport.Stats{Status: map[string]int64{}}, hist: loadreport.NewHistogram()}
}

// outcome is one finished attempt, as the metrics see it.
type outcome struct {
	typ       int
	latency   time.Duration
	status    int
	class     deliver.Class
	ok        bool
	retry     bool // the attempt was a retry
	duplicate bool // the delivery is a duplicate copy
	violation bool
	bytesOut  int64
	bytesIn   int64
}

// collector aggregates outcomes into totals, per-type stats and the
// timeline. It is owned by the engine's loop goroutine.
type collector struct {
	overall *counters
	types   []*counters // by typeIndex; the last slot holds unknown types

	bucketWidth time.Duration
	buckets     []loadreport.Bucket
	open        *hdr.Histogram // the last bucket's latencies
	// openTypes are the last bucket's figures by event type (slot as in
	// types), its histograms made on first use.
	openTypes []openType
	// offered counts deliveries by the bucket their first attempt falls
	// due in; it runs ahead of buckets (calls schedule their events when
	// they start) and is put into them when the run ends.
	offered    []int64
	violations map[string]*loadreport.Violation
	order      []string // violation keys in first-seen order
	// lag is how long after its due time each attempt was sent: the time
	// it waited for a free worker. It is the harness's own delay: the
	// platform would have sent the event on time.
	lag *hdr.Histogram
}

func newCollector(bucketWidth time.Duration) *collector {
	c := &collector{
		overall:     newCounters(),
		bucketWidth: bucketWidth,
		open:        loadreport.NewBucketHistogram(),
		violations:  map[string]*loadreport.Violation{},
		lag:         loadreport.NewHistogram(),
	}
	for range len(event.Types) + 1 {
		c.types = append(c.types, newCounters())
	}
	c.openTypes = make([]openType, len(event.Types)+1)
	return c
}

// bucket returns the timeline bucket for offset at, closing older ones.
func (c *collector) bucket(at time.Duration, inFlight int64) *loadreport.Bucket {
	idx := int(at / c.bucketWidth)
	if idx < 0 {
		idx = 0
	}
	for len(c.buckets) <= idx {
		if n := len(c.buckets); n > 0 {
			c.close(&c.buckets[n-1], inFlight)
		}
		c.buckets = append(c.buckets, loadreport.Bucket{AtMs: int64(len(c.buckets)) * c.bucketWidth.Milliseconds()})
	}
	if idx < len(c.buckets)-1 {
		idx = len(c.buckets) - 1 // never reopen a closed bucket
	}
	return &c.buckets[idx]
}

// openType is one event type's share of the open bucket.
type openType struct {
	attempts, acked int64
	hist            *hdr.Histogram
}

func (c *collector) close(b *loadreport.Bucket, inFlight int64) {
	b.InFlight = inFlight
	b.SetLatencies(c.open)
	c.open.Reset()
	for i := range c.openTypes[:len(event.Types)] {
		o := &c.openTypes[i]
		if o.attempts == 0 {
			continue
		}
		bt := loadreport.BucketType{Type: event.Types[i], Attempts: o.attempts, Acked: o.acked}
		bt.SetLatencies(o.hist)
		b.PerType = append(b.PerType, bt)
		o.attempts, o.acked = 0, 0
		o.hist.Reset()
	}
}

// offer counts n deliveries falling due at offset due.
func (c *collector) offer(due time.Duration, n int64) {
	idx := max(int(due/c.bucketWidth), 0)
	for len(c.offered) <= idx {
		c.offered = append(c.offered, 0)
	}
	c.offered[idx] += n
}

// placeOffered puts the offered counts into the buckets, adding empty
// buckets for deliveries due after the last attempt (never sent).
func (c *collector) placeOffered() {
	for i, n := range c.offered {
		for len(c.buckets) <= i {
			c.buckets = append(c.buckets, loadreport.Bucket{AtMs: int64(len(c.buckets)) * c.bucketWidth.Milliseconds()})
		}
		c.buckets[i].Offered = n
	}
	c.offered = nil
}

func (c *collector) callStarted(at time.Duration, inFlight int64) {
	c.bucket(at, inFlight).CallsStarted++
}

func (c *collector) attempt(at time.Duration, inFlight int64, o outcome) {
	b := c.bucket(at, inFlight)
	b.Attempts++
	if o.ok {
		b.Acked++
	} else {
		b.Errors++
	}
	if timedOut(o.class) {
		b.Timeouts++
	}
	loadreport.Record(c.open, o.latency)
	key := statusKey(o.status, o.class)
	if !o.ok {
		if b.Causes == nil {
			b.Causes = map[string]int64{}
		}
		b.Causes[key]++
	}
	ot := &c.openTypes[o.typ]
	ot.attempts++
	if o.ok {
		ot.acked++
	}
	if ot.hist == nil {
		ot.hist = loadreport.NewBucketHistogram()
	}
	loadreport.Record(ot.hist, o.latency)
	for _, k := range []*counters{c.overall, c.types[o.typ]} {
		k.Attempts++
		if o.retry {
			k.Retries++
		}
		if !o.ok {
			k.Errors++
		}
		if timedOut(o.class) {
			k.Timeouts++
		}
		if o.violation {
			k.ContractViolations++
		}
		k.BytesOut += o.bytesOut
		k.BytesIn += o.bytesIn
		k.Status[key]++
		loadreport.Record(k.hist, o.latency)
	}
}

// delivery records how a delivery ended: acked, failed (given up) or unsent.
func (c *collector) delivery(typ int, duplicate bool, end deliveryEnd) {
	for _, k := range []*counters{c.overall, c.types[typ]} {
		k.Deliveries++
		if duplicate {
			k.Duplicates++
		}
		switch end {
		case endAcked:
			k.Acked++
			if duplicate {
				k.DuplicatesAcked++
			}
		case endFailed:
			k.Failed++
			if duplicate {
				k.DuplicatesUnacked++
			}
		case endUnsent:
			k.Unsent++
			if duplicate {
				k.DuplicatesUnacked++
			}
		}
	}
}

type deliveryEnd int

const (
	endAcked deliveryEnd = iota
	endFailed
	endUnsent
)

func (c *collector) violation(typ string, status int, reason string) {
	key := typ + "\x00" + strconv.Itoa(status) + "\x00" + reason
	if v, ok := c.violations[key]; ok {
		v.Count++
		return
	}
	if len(c.violations) >= loadreport.MaxViolations {
		return
	}
	c.violations[key] = &loadreport.Violation{EventType: typ, Status: status, Reason: reason, Count: 1}
	c.order = append(c.order, key)
}

func statusKey(status int, class deliver.Class) string {
	if class != deliver.ClassNone {
		return string(class)
	}
	if status == 0 {
		return "no-answer"
	}
	if status >= 100 && status < 600 {
		return statusNames[status-100]
	}
	return strconv.Itoa(status)
}

// statusNames spares a string per attempt for the usual status codes.
var statusNames = func() []string {
	out := make([]string, 500)
	for i := range out {
		out[i] = strconv.Itoa(i + 100)
	}
	return out
}()

// bucketWidthFor picks the timeline's bucket so a run has at most about 600
// buckets: 1 s up to 10 minutes of arrival, then whole seconds. Shards of one
// run share the arrival time, and so the width.
func bucketWidthFor(arrival time.Duration) time.Duration {
	w := time.Second
	if arrival > 10*time.Minute {
		w = (arrival/600 + time.Second - 1).Truncate(time.Second)
	}
	return w
}

// timedOut reports whether the platform saw the attempt time out: no
// complete answer in time, or one that came after its budget (late).
func timedOut(c deliver.Class) bool { return c == deliver.ClassTimeout || c == deliver.ClassLate }
