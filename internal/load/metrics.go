package load

import (
	"encoding/base64"
	"math"
	"strconv"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/hamsasim/hamsasim/internal/deliver"
	"github.com/hamsasim/hamsasim/internal/event"
)

// Histogram ranges: microseconds from 1 µs to 1 h. Totals keep 3
// significant digits; timeline buckets 2, which is plenty for a chart.
const (
	histLowest  = 1
	histHighest = int64(time.Hour / time.Microsecond)
	histDigits  = 3
	bucketDigit = 2
)

func newHist(digits int) *hdr.Histogram { return hdr.New(histLowest, histHighest, digits) }

func recordHist(h *hdr.Histogram, d time.Duration) {
	us := int64(d / time.Microsecond)
	if us < histLowest {
		us = histLowest
	}
	if us > histHighest {
		us = histHighest
	}
	_ = h.RecordValue(us) // in range by construction
}

func encodeHist(h *hdr.Histogram) string {
	b, err := h.Encode(hdr.V2CompressedEncodingCookieBase)
	if err != nil {
		return ""
	}
	return base64.StdEncoding.EncodeToString(b)
}

func decodeHist(s string) (*hdr.Histogram, error) {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, err
	}
	return hdr.Decode(b)
}

// counters are one event type's (or all types') tallies while a run goes.
type counters struct {
	Stats
	hist *hdr.Histogram
}

func newCounters() *counters {
	return &counters{Stats: Stats{Status: map[string]int64{}}, hist: newHist(histDigits)}
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
	buckets     []Bucket
	open        *hdr.Histogram // the last bucket's latencies
	violations  map[string]*Violation
	order       []string // violation keys in first-seen order
	// lag is how long after its due time each attempt was sent: the time
	// it waited for a free worker. It is the harness's own delay: the
	// platform would have sent the event on time.
	lag *hdr.Histogram
}

const maxViolations = 20

func newCollector(bucketWidth time.Duration) *collector {
	c := &collector{
		overall:     newCounters(),
		bucketWidth: bucketWidth,
		open:        newHist(bucketDigit),
		violations:  map[string]*Violation{},
		lag:         newHist(histDigits),
	}
	for range len(event.Types) + 1 {
		c.types = append(c.types, newCounters())
	}
	return c
}

// bucket returns the timeline bucket for offset at, closing older ones.
func (c *collector) bucket(at time.Duration, inFlight int64) *Bucket {
	idx := int(at / c.bucketWidth)
	if idx < 0 {
		idx = 0
	}
	for len(c.buckets) <= idx {
		if n := len(c.buckets); n > 0 {
			c.close(&c.buckets[n-1], inFlight)
		}
		c.buckets = append(c.buckets, Bucket{AtMs: int64(len(c.buckets)) * c.bucketWidth.Milliseconds()})
	}
	if idx < len(c.buckets)-1 {
		idx = len(c.buckets) - 1 // never reopen a closed bucket
	}
	return &c.buckets[idx]
}

func (c *collector) close(b *Bucket, inFlight int64) {
	b.InFlight = inFlight
	if c.open.TotalCount() > 0 {
		b.P50 = usToMs(c.open.ValueAtPercentile(50))
		b.P99 = usToMs(c.open.ValueAtPercentile(99))
		b.Max = usToMs(c.open.Max())
		b.Histogram = encodeHist(c.open)
	}
	c.open.Reset()
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
	if o.class == deliver.ClassTimeout {
		b.Timeouts++
	}
	recordHist(c.open, o.latency)
	key := statusKey(o.status, o.class)
	for _, k := range []*counters{c.overall, c.types[o.typ]} {
		k.Attempts++
		if o.retry {
			k.Retries++
		}
		if !o.ok {
			k.Errors++
		}
		if o.class == deliver.ClassTimeout {
			k.Timeouts++
		}
		if o.violation {
			k.ContractViolations++
		}
		k.BytesOut += o.bytesOut
		k.BytesIn += o.bytesIn
		k.Status[key]++
		recordHist(k.hist, o.latency)
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
	if len(c.violations) >= maxViolations {
		return
	}
	c.violations[key] = &Violation{EventType: typ, Status: status, Reason: reason, Count: 1}
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

func usToMs(us int64) float64 { return float64(us) / 1000 }

// latencyOf reads percentiles from a histogram of microseconds.
func latencyOf(h *hdr.Histogram) Latency {
	n := h.TotalCount()
	if n == 0 {
		return Latency{}
	}
	l := Latency{
		Count: n,
		Min:   usToMs(h.Min()),
		Mean:  round3(h.Mean() / 1000),
		P50:   usToMs(h.ValueAtPercentile(50)),
		P90:   usToMs(h.ValueAtPercentile(90)),
		P95:   usToMs(h.ValueAtPercentile(95)),
		P99:   usToMs(h.ValueAtPercentile(99)),
		P999:  usToMs(h.ValueAtPercentile(99.9)),
		Max:   usToMs(h.Max()),
	}
	for _, p := range DistributionPercentiles {
		v := h.Max()
		if p < 100 {
			v = h.ValueAtPercentile(p)
		}
		l.Distribution = append(l.Distribution, usToMs(v))
	}
	return l
}

func round3(v float64) float64 { return math.Round(v*1000) / 1000 }

// finish fills the derived fields of s from its counters and histogram.
func finishStats(s *Stats, h *hdr.Histogram, elapsed time.Duration) {
	s.Latency = latencyOf(h)
	s.SuccessPct = 100
	if s.Deliveries > 0 {
		s.SuccessPct = round3(100 * float64(s.Acked) / float64(s.Deliveries))
	}
	if sec := elapsed.Seconds(); sec > 0 {
		s.AttemptsPerSec = round3(float64(s.Attempts) / sec)
		s.AckedPerSec = round3(float64(s.Acked) / sec)
	}
}

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
