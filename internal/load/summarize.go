package load

import (
	"fmt"
	"time"

	"github.com/hamsasim/hamsasim/internal/event"
	"github.com/hamsasim/hamsasim/internal/loadreport"
	"github.com/hamsasim/hamsasim/internal/report"
)

// summary builds the run's Summary.
func (r *run) summary(interrupted bool) *loadreport.Summary {
	now := r.now()
	m := r.m
	if n := len(m.buckets); n > 0 {
		m.close(&m.buckets[n-1], r.live)
	}
	m.placeOffered()
	sc := r.sc
	s := &loadreport.Summary{
		Version:     loadreport.SummaryVersion,
		Tool:        "hamsasim",
		Scenario:    sc.Name,
		Description: sc.Description,
		Source:      sc.Source,
		Target:      r.e.shown,
		TargetKind:  r.e.targetKind,
		Seed:        r.e.seed,
		Shard:       r.e.shard,
		StartedAt:   r.start.UTC(),
		EndedAt:     r.start.Add(now).UTC(),
		ArrivalMs:   r.arrival.Milliseconds(),
		ElapsedMs:   now.Milliseconds(),
		Interrupted: interrupted,
		StopReason:  r.stopped,
		Unreachable: r.unreachable,
		Delivery:    r.deliveryPolicy(),
		Calls:       r.calls,
		Events:      subscribed(r.e.events),
		Timeline:    loadreport.Timeline{BucketMs: m.bucketWidth.Milliseconds(), Buckets: m.buckets},
		Histograms:  map[string]string{},
	}
	if s.Timeline.Buckets == nil {
		s.Timeline.Buckets = []loadreport.Bucket{}
	}
	m.fill(s, now)
	s.DeadLetters = s.Overall.Failed // each failed delivery is a dead letter
	s.Audit = loadreport.Audit{
		Acknowledged: s.Overall.Acked - s.Overall.DuplicatesAcked,
		DeadLettered: s.DeadLetters,
		InFlight:     s.Overall.Unsent,
	}
	if s.Calls.Late > 0 {
		why := "the load generator fell behind (the machine running hamsasim is too busy)"
		if s.Calls.MaxInFlight >= int64(r.e.maxInFlight) {
			why = fmt.Sprintf("%d calls were already in flight (--max-in-flight)", r.e.maxInFlight)
		}
		s.Notes = append(s.Notes, fmt.Sprintf(
			"%d calls started more than %s late (worst %s) because %s; the offered load was lower than the scenario asks",
			s.Calls.Late, lateAfter, time.Duration(s.Calls.LateMaxMs)*time.Millisecond, why))
	}
	if n := lagNote(s, r.e.workers); n != "" {
		s.Notes = append(s.Notes, n)
	}
	s.Judge(sc.Thresholds)
	return s
}

// deliveryPolicy is the scenario's delivery policy as the summary shows it.
func (r *run) deliveryPolicy() loadreport.DeliveryPolicy {
	d := r.sc.Delivery
	p := loadreport.DeliveryPolicy{
		TimeoutMs:     d.Timeout.Milliseconds(),
		Retries:       d.Retries,
		BackoffBaseMs: d.Backoff.Base.Milliseconds(),
		BackoffFactor: d.Backoff.Factor,
		BackoffMaxMs:  d.Backoff.Max.Milliseconds(),
		Schedule:      d.Schedule,
		JitterPct:     d.Jitter * 100,
	}
	for _, w := range r.policy.Waits {
		p.WaitsMs = append(p.WaitsMs, w.Milliseconds())
	}
	return p
}

// fill puts the collected figures into s: overall and per-type stats with
// their histograms, the lag, and the violations, over elapsed.
func (c *collector) fill(s *loadreport.Summary, elapsed time.Duration) {
	s.Overall = c.overall.Stats
	s.Overall.Finish(c.overall.hist, elapsed)
	s.Histograms["overall"] = loadreport.EncodeHistogram(c.overall.hist)
	s.Lag = loadreport.Latencies(c.lag)
	s.Histograms["lag"] = loadreport.EncodeHistogram(c.lag)
	for i, k := range c.types[:len(event.Types)] {
		if k.Deliveries == 0 && k.Attempts == 0 {
			continue
		}
		ts := loadreport.TypeStats{Type: event.Types[i], Stats: k.Stats}
		ts.Finish(k.hist, elapsed)
		s.PerType = append(s.PerType, ts)
		s.Histograms[event.Types[i]] = loadreport.EncodeHistogram(k.hist)
	}
	for _, key := range c.order {
		s.Violations = append(s.Violations, *c.violations[key])
	}
}

// LagLimit is how late, at the 99th percentile, attempts may be sent after
// they were due before a run says the target did not get the load the
// scenario asks for (and a capacity stage counts as broken).
const LagLimit = time.Second

// lagOver reports whether the run sent too late to have offered its load.
func lagOver(s *loadreport.Summary) bool { return s.Lag.Count > 0 && s.Lag.P99 > ms(LagLimit) }

// ms converts a duration to float milliseconds.
func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func lagNote(s *loadreport.Summary, workers int) string {
	if !lagOver(s) {
		return ""
	}
	return fmt.Sprintf("attempts were sent late: p99 %s, worst %s after they were due, because all %d workers were waiting for answers; "+
		"the target got the events later than the scenario times them, so it saw less load than asked. "+
		"If the target has capacity left, raise --workers; otherwise this is its limit",
		report.Millis(s.Lag.P99), report.Millis(s.Lag.Max), workers)
}

// subscribed lists the subscribed types in lifecycle order.
func subscribed(types map[string]bool) []string {
	var out []string
	for _, t := range event.Types {
		if types[t] {
			out = append(out, t)
		}
	}
	return out
}
