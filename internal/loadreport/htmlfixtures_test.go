package loadreport

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// Fixtures.

var (
	goldenTypes  = []string{"call.started", "call.answered", "transcription.update", "tool.executed", "call.ended"}
	goldenStart  = time.Date(2026, 11, 3, 9, 0, 0, 0, time.UTC)
	goldenPolicy = DeliveryPolicy{TimeoutMs: 5000, Retries: 3, BackoffBaseMs: 200, BackoffFactor: 2, BackoffMaxMs: 5000}
)

// goldenDist is a latency distribution shaped like a real service's,
// scaled by f.
func goldenDist(f float64, tail float64) []float64 {
	base := []float64{8, 18, 26, 38, 55, 80, 110, 190, 240, 420, 520, 760, 910}
	out := make([]float64, len(base))
	for i, v := range base {
		if i >= 7 {
			v *= tail
		}
		out[i] = math.Round(v*f*1000) / 1000
	}
	return out
}

func goldenLatency(dist []float64, count int64) Latency {
	return Latency{
		Count: count, Min: dist[0], Mean: math.Round((dist[3]*1.3)*1000) / 1000,
		P50: dist[3], P90: dist[5], P95: dist[6], P99: dist[7], P999: dist[9], Max: dist[12],
		Distribution: dist,
	}
}

func goldenSum(types []TypeStats) Stats {
	var o Stats
	o.Status = map[string]int64{}
	for _, t := range types {
		o.Deliveries += t.Deliveries
		o.Acked += t.Acked
		o.Failed += t.Failed
		o.Unsent += t.Unsent
		o.Attempts += t.Attempts
		o.Retries += t.Retries
		o.Timeouts += t.Timeouts
		o.Errors += t.Errors
		o.Duplicates += t.Duplicates
		o.DuplicatesAcked += t.DuplicatesAcked
		o.DuplicatesUnacked += t.DuplicatesUnacked
		o.ContractViolations += t.ContractViolations
		o.BytesOut += t.BytesOut
		o.BytesIn += t.BytesIn
		for k, v := range t.Status {
			o.Status[k] += v
		}
	}
	o.SuccessPct = 100
	if o.Acked+o.Failed > 0 {
		o.SuccessPct = 100 * float64(o.Acked) / float64(o.Acked+o.Failed)
	}
	return o
}

// goldenPassed is a 5-minute ramp, shard 2 of 4, that held every
// threshold: 5 event types, 60 buckets of 5 s.
func goldenPassed() *Summary {
	s := &Summary{
		Version: SummaryVersion, Tool: "hamsasim", Scenario: "peak-hour-ramp",
		Description: "Ramp from 0.5 to 6 calls/s over 10 minutes, then hold the peak for 5.",
		Source:      "scenarios/peak-ramp.yaml", Target: "https://hooks.example.com/hamsa/webhook", TargetKind: "url",
		Seed: 20261103, Shard: Shard{Index: 1, Count: 4},
		StartedAt: goldenStart, EndedAt: goldenStart.Add(304200 * time.Millisecond),
		ArrivalMs: 300_000, ElapsedMs: 304_200, Passed: true, Delivery: goldenPolicy,
		Timeline: Timeline{BucketMs: 5000},
	}
	for i := range 60 {
		att := int64(40 + i*6)
		errs := int64(0)
		if i%17 == 3 {
			errs = 2
		}
		p50 := 36 + 6*math.Sin(float64(i)/5)
		p99 := 170 + 40*math.Sin(float64(i)/7) + float64(i)
		s.Timeline.Buckets = append(s.Timeline.Buckets, Bucket{
			AtMs: int64(i) * 5000, Attempts: att, Acked: att - errs, Errors: errs,
			CallsStarted: int64(2 + i/4), InFlight: int64(3 + i/3),
			P50: math.Round(p50*1000) / 1000, P99: math.Round(p99*1000) / 1000, Max: math.Round(p99*1.6*1000) / 1000,
		})
	}
	weights := []int64{1, 1, 8, 2, 1}
	factors := []float64{0.8, 0.6, 0.9, 2.2, 1.4}
	for i, typ := range goldenTypes {
		d := 1100 * weights[i]
		ts := TypeStats{Type: typ, Stats: Stats{
			Deliveries: d, Acked: d, Attempts: d + 2*weights[i], Retries: 2 * weights[i], Errors: 2 * weights[i],
			Duplicates: 11 * weights[i], DuplicatesAcked: 11 * weights[i],
			BytesOut: d * 1800, BytesIn: d * 40, SuccessPct: 100,
			Status:  map[string]int64{"200": d - weights[i], "202": weights[i], "503": 2 * weights[i]},
			Latency: goldenLatency(goldenDist(factors[i], 1), d+2*weights[i]),
		}}
		s.PerType = append(s.PerType, ts)
	}
	s.Overall = goldenSum(s.PerType)
	s.Overall.Latency = goldenLatency(goldenDist(1, 1), s.Overall.Attempts)
	s.Overall.AttemptsPerSec = float64(s.Overall.Attempts) / 304.2
	s.Overall.AckedPerSec = float64(s.Overall.Acked) / 304.2
	s.Calls = Calls{
		Planned: 1100, Started: 1100, Completed: 1100, OutOfOrder: 11, Late: 4, LateMaxMs: 180, MaxInFlight: 24,
		Fixtures: map[string]int64{"support-resolved": 440, "support-urgent-unresolved": 220, "sales-outbound-tools": 220, "job-interview": 110, "no-answer": 110},
	}
	s.Thresholds = []ThresholdResult{
		{Threshold: "p95 < 2s", Metric: "p95", Got: 110, GotText: "110ms", Held: true},
		{Threshold: "p99 < 5s", Metric: "p99", Got: 190, GotText: "190ms", Held: true},
		{Threshold: "success >= 99.5%", Metric: "success", Got: 100, GotText: "100%", Held: true},
		{Threshold: "timeouts == 0", Metric: "timeouts", Got: 0, GotText: "0", Held: true},
		{Threshold: "p99[tool.executed] < 1s", EventType: "tool.executed", Metric: "p99", Got: 418, GotText: "418ms", Held: true},
	}
	return s
}

// goldenFailed is an outage merged from 3 shards and stopped by ^C:
// timeouts, refused connections, 5xx, contract violations, notes, and
// buckets with nothing in them.
func goldenFailed() *Summary {
	s := &Summary{
		Version: SummaryVersion, Tool: "hamsasim", Scenario: "outage-recovery",
		Description: "The endpoint goes down for 20 s in the middle of steady traffic; deliveries must recover.",
		Source:      "scenarios/outage-recovery.yaml", Target: "https://staging.example.org/hooks/hamsa", TargetKind: "url",
		Seed: 7, Merged: 3,
		StartedAt: goldenStart, EndedAt: goldenStart.Add(72 * time.Second),
		ArrivalMs: 72_000, ElapsedMs: 72_000, Interrupted: true,
		StopReason: "interrupted by SIGINT after 1m12s; 38 calls were in flight",
		Delivery:   goldenPolicy,
		Timeline:   Timeline{BucketMs: 1000},
	}
	for i := range 72 {
		b := Bucket{AtMs: int64(i) * 1000, CallsStarted: 3, InFlight: int64(10 + i/2)}
		switch {
		case i == 30 || i == 31:
			// Nothing finished: every attempt was waiting on its timeout.
		case i >= 20 && i < 40:
			b.Attempts, b.Errors, b.Timeouts = 30, 28, 12
			b.Acked = 2
			b.P50, b.P99, b.Max = 900, 5000, 5000
		default:
			b.Attempts = 40 + int64(i%5)
			b.Acked = b.Attempts - 1
			b.Errors = 1
			b.P50, b.P99, b.Max = 45+float64(i%7), 240+float64(i%11)*10, 610
		}
		s.Timeline.Buckets = append(s.Timeline.Buckets, b)
	}
	statuses := []map[string]int64{
		{"200": 700, "500": 20, "503": 90, "timeout": 60, "refused": 40, "reset": 5},
		{"200": 690, "503": 80, "timeout": 55, "refused": 38},
		{"200": 4100, "400": 12, "503": 500, "timeout": 300, "refused": 180, "reset": 22},
		{"200": 640, "503": 75, "timeout": 59, "refused": 41, "429": 9},
	}
	sent := []string{"call.started", "call.answered", "transcription.update", "call.ended"}
	heads := []float64{0.6, 0.5, 1, 1.8}
	for i, typ := range sent {
		st := statuses[i]
		var att int64
		for _, v := range st {
			att += v
		}
		errs := att - st["200"]
		ts := TypeStats{Type: typ, Stats: Stats{
			Deliveries: st["200"] + st["400"] + 30, Acked: st["200"], Failed: st["400"] + 20, Unsent: 10,
			Attempts: att, Retries: errs - 20, Timeouts: st["timeout"], Errors: errs,
			Duplicates: 14, DuplicatesAcked: 9, DuplicatesUnacked: 5, ContractViolations: int64(i * 3),
			BytesOut: att * 1900, BytesIn: att * 30, Status: st,
			Latency: goldenLatency(goldenOutageDist(heads[i]), att),
		}}
		ts.SuccessPct = 100 * float64(ts.Acked) / float64(ts.Acked+ts.Failed)
		s.PerType = append(s.PerType, ts)
	}
	s.Overall = goldenSum(s.PerType)
	s.Overall.Latency = goldenLatency(goldenOutageDist(1), s.Overall.Attempts)
	s.Overall.AttemptsPerSec = float64(s.Overall.Attempts) / 72
	s.Overall.AckedPerSec = float64(s.Overall.Acked) / 72
	s.Calls = Calls{Planned: 900, Started: 648, Completed: 610, Incomplete: 38, OutOfOrder: 7, MaxInFlight: 46,
		Fixtures: map[string]int64{"support-resolved": 400, "no-answer": 248}}
	s.Thresholds = []ThresholdResult{
		{Threshold: "p99 < 2s", Metric: "p99", Got: 5000, GotText: "5s", Held: false},
		{Threshold: "success >= 99%", Metric: "success", Got: s.Overall.SuccessPct, GotText: fmt.Sprintf("%.2f%%", s.Overall.SuccessPct), Held: false},
		{Threshold: "timeouts == 0", Metric: "timeouts", Got: 474, GotText: "474", Held: false},
		{Threshold: "errors < 5000", Metric: "errors", Got: 1586, GotText: "1586", Held: true},
		{Threshold: "p99[tool.executed] < 1s", EventType: "tool.executed", Metric: "p99", NoData: true, Held: true},
	}
	s.Violations = []Violation{
		{EventType: "call.ended", Status: 200, Reason: `body is not JSON: "<html><body>OK</body></html>"`, Count: 6},
		{EventType: "transcription.update", Status: 400, Reason: "status 400 is not declared for transcription.update (declared: 200, 401)", Count: 12},
		{EventType: "call.answered", Status: 200, Reason: "body.received: expected boolean, got string", Count: 3},
	}
	s.Notes = []string{
		"38 calls were still in flight when the run was interrupted; their unsent events count as unsent, not failed.",
		"The target refused 299 connections: is it restarting, or is its accept queue full?",
	}
	return s
}

// goldenOutageDist is a distribution whose head is scaled by f and whose tail
// is the 5 s timeout.
func goldenOutageDist(f float64) []float64 {
	out := []float64{3, 9, 18, 45, 120, 900, 2400, 5000, 5000, 5000, 5000, 5000, 5000}
	for i := range 7 {
		out[i] = math.Round(out[i]*f*1000) / 1000
	}
	return out
}

// goldenCapacity is a capacity search of 6 stages of 30 s that found
// 30 calls/s and broke at 35.
func goldenCapacity() *Summary {
	s := &Summary{
		Version: SummaryVersion, Tool: "hamsasim", Scenario: "steady",
		Description: "Constant 2 calls/s of the shipped fixtures.",
		Source:      "embedded:scenarios/steady.yaml", Target: "embedded receiver", TargetKind: "embedded",
		Seed: 1, Shard: Shard{Index: 0, Count: 1},
		StartedAt: goldenStart, EndedAt: goldenStart.Add(186 * time.Second),
		ArrivalMs: 180_000, ElapsedMs: 186_000, Passed: true, Delivery: goldenPolicy,
		Timeline: Timeline{BucketMs: 5000},
	}
	type stage struct {
		rate, p50, p99, ok float64
		timeouts           int64
		broken             []string
	}
	stages := []stage{
		{5, 12, 48, 100, 0, nil},
		{10, 14, 61, 100, 0, nil},
		{20, 19, 140, 100, 0, nil},
		{40, 260, 4100, 97.2, 31, []string{"p99 < 2s", "success >= 99.5%"}},
		{30, 31, 620, 99.9, 0, nil},
		{35, 88, 2300, 99.7, 2, []string{"p99 < 2s"}},
	}
	c := &Capacity{}
	s.Capacity = c
	var eventsPerSec float64
	for i, st := range stages {
		ev := st.rate * 12.1
		if st.rate == 30 {
			eventsPerSec = ev
		}
		verdict := "held: every threshold held"
		if st.broken != nil {
			verdict = "broke: " + strings.Join(st.broken, "; ")
		}
		c.Stages = append(c.Stages, Stage{
			CallsPerSec: st.rate, EventsPerSec: ev, OfferedPerSec: st.rate * 12.1, P50: st.p50, P99: st.p99, SuccessPct: st.ok,
			Timeouts: st.timeouts, Held: st.broken == nil, Broken: st.broken, Verdict: verdict,
			StartMs: int64(i * 30_000), EndMs: int64(i*30_000 + 30_000), WarmupMs: 10_000,
			P50Early: st.p50, P50Late: st.p50 * 1.1,
		})
		for j := range 6 {
			b := Bucket{
				AtMs: int64(i*30_000 + j*5000), Attempts: int64(ev * 5), CallsStarted: int64(st.rate * 5),
				InFlight: int64(st.rate * (1 + st.p50/100)), P50: st.p50, P99: st.p99, Max: st.p99 * 1.3,
				Timeouts: st.timeouts / 6, Offered: int64(ev * 5),
			}
			b.Errors = b.Timeouts
			b.Acked = b.Attempts - b.Errors
			s.Timeline.Buckets = append(s.Timeline.Buckets, b)
		}
	}
	c.Found, c.CallsPerSec, c.EventsPerSec, c.BrokenAt = true, 30, eventsPerSec, 35
	c.Limit = "bisected to within 5 calls/s"
	c.StageMs, c.WarmupMs = 30_000, 10_000
	c.MeanCallMs, c.EventsPerCall, c.PeakCallsPerSec = 180_000, 12.1, 2
	c.Plan(false)
	c.GeneratorNote = "The generator kept up at every stage (shortfall under 1 %), so the limit is the target's."
	for i, typ := range goldenTypes {
		d := int64(3000 + 500*i)
		s.PerType = append(s.PerType, TypeStats{Type: typ, Stats: Stats{
			Deliveries: d, Acked: d - 5, Failed: 5, Attempts: d + 10, Retries: 10, Timeouts: 6, Errors: 15,
			Status: map[string]int64{"200": d - 5, "503": 9, "timeout": 6}, SuccessPct: 100 * float64(d-5) / float64(d),
			Latency: goldenLatency(goldenDist(0.5+0.3*float64(i), 3), d+10),
		}})
	}
	s.Overall = goldenSum(s.PerType)
	s.Overall.Latency = goldenLatency(goldenDist(1, 3), s.Overall.Attempts)
	s.Overall.AttemptsPerSec = float64(s.Overall.Attempts) / 186
	s.Overall.AckedPerSec = float64(s.Overall.Acked) / 186
	s.Calls = Calls{Planned: 4200, Started: 4200, Completed: 4200, MaxInFlight: 120}
	s.Thresholds = []ThresholdResult{
		{Threshold: "p99 < 2s", Metric: "p99", Got: 620, GotText: "620ms", Held: true},
		{Threshold: "success >= 99.5%", Metric: "success", Got: 99.9, GotText: "99.9%", Held: true},
	}
	return s
}

// goldenHostile carries markup wherever a user or a target can put text.
func goldenHostile() *Summary {
	s := goldenPassed()
	s.Scenario = "</title><script>alert(1)</script>"
	s.Description = "</title><script>alert(1)</script>"
	s.Target = `https://hooks.example.com/"><svg onload=alert(1)>`
	s.StopReason = "<script>stop()</script>"
	s.Notes = []string{"<img src=x>"}
	s.Violations = []Violation{{EventType: "call.ended", Status: 500, Reason: "answer said <b>no</b> & closed", Count: 1}}
	s.PerType[0].Type = "<svg onload=alert(1)>"
	s.Thresholds[0].Threshold = "<script>x</script>"
	s.Capacity = &Capacity{Limit: "<i>limit</i>", GeneratorNote: "<script>g</script>",
		Stages: []Stage{{CallsPerSec: 1, P99: 10, Held: false, Broken: []string{"<b>p99</b>"}}}}
	return s
}

// The fixtures of the HTML report: the summaries above with what a run
// records since the report drew offered load, causes and per-type
// timelines (Bucket.Offered, Causes, PerType, ThresholdResult.Limit), and
// a capacity search placed on its timeline. The plain fixtures stay as
// summaries written before those fields, which the page must still show.

// asOlder is s as a summary written before the report drew offered load,
// causes, per-type timelines, threshold bounds and stage placement: those
// fields zero, as such a summary.json reads back.
func asOlder(s *Summary) *Summary {
	for i := range s.Timeline.Buckets {
		b := &s.Timeline.Buckets[i]
		b.Offered, b.Causes, b.PerType = 0, nil, nil
	}
	for i := range s.Thresholds {
		s.Thresholds[i].Limit = 0
	}
	if c := s.Capacity; c != nil {
		c.WarmupMs, c.MeanCallMs, c.EventsPerCall, c.ConcurrentCalls, c.PeakCallsPerSec, c.Headroom, c.Planning = 0, 0, 0, 0, 0, 0, ""
		for i := range c.Stages {
			st := &c.Stages[i]
			st.StartMs, st.EndMs, st.WarmupMs, st.OfferedPerSec, st.Saturated = 0, 0, 0, 0, false
			st.P50Early, st.P50Late, st.Growing, st.Verdict, st.PerType = 0, 0, false, "", nil
		}
	}
	return s
}

// goldenTypeShare splits n attempts of a bucket among the golden types by
// weight.
func goldenTypeShare(n int64, weights []int64) []int64 {
	var total int64
	for _, w := range weights {
		total += w
	}
	out := make([]int64, len(weights))
	left := n
	for i, w := range weights {
		out[i] = n * w / total
		left -= out[i]
	}
	out[len(out)-1] += left
	return out
}

// withBucketTypes splits each bucket among types, their latency the
// bucket's scaled by factors.
func withBucketTypes(s *Summary, types []string, weights []int64, factors []float64) {
	for i := range s.Timeline.Buckets {
		b := &s.Timeline.Buckets[i]
		if b.Attempts == 0 {
			continue
		}
		for j, n := range goldenTypeShare(b.Attempts, weights) {
			if n == 0 {
				continue
			}
			acked := min(n, b.Acked*n/b.Attempts)
			// A type's latency is the bucket's scaled, within its max: a
			// timeout counts at its full wait, never beyond.
			p99 := b.P99 * factors[j]
			if b.Max > 0 {
				p99 = min(p99, b.Max)
			}
			b.PerType = append(b.PerType, BucketType{Type: types[j], Attempts: n, Acked: acked,
				P50: round3ms(min(b.P50*factors[j], p99)), P99: round3ms(p99)})
		}
	}
}

func round3ms(v float64) float64 { return math.Round(v*1000) / 1000 }

// sampleRun is goldenPassed as a current run records it.
func sampleRun() *Summary {
	s := goldenPassed()
	for i := range s.Timeline.Buckets {
		b := &s.Timeline.Buckets[i]
		b.Offered = b.Acked + int64(i%3) - 1
		if b.Errors > 0 {
			b.Causes = map[string]int64{"503": b.Errors}
		}
	}
	withBucketTypes(s, goldenTypes, []int64{1, 1, 8, 2, 1}, []float64{0.8, 0.6, 0.9, 2.2, 1.4})
	for i, l := range []float64{2000, 5000, 99.5, 0, 1000} {
		s.Thresholds[i].Limit = l
	}
	return s
}

// sampleOutage is goldenFailed as a current run records it: the schedule
// kept offering 40 deliveries a second through the outage.
func sampleOutage() *Summary {
	s := goldenFailed()
	for i := range s.Timeline.Buckets {
		b := &s.Timeline.Buckets[i]
		b.Offered = 40
		switch {
		case b.Attempts == 0:
		case b.Timeouts > 0:
			b.Causes = map[string]int64{"timeout": b.Timeouts, "refused": 10, "503": b.Errors - b.Timeouts - 10}
		case i%2 == 0:
			b.Causes = map[string]int64{"503": b.Errors}
		default:
			b.Causes = map[string]int64{"reset": b.Errors}
		}
	}
	withBucketTypes(s, []string{"call.started", "call.answered", "transcription.update", "call.ended"},
		[]int64{1, 1, 6, 1}, []float64{0.6, 0.5, 1, 1.8})
	for i, l := range []float64{2000, 99, 0, 5000, 1000} {
		s.Thresholds[i].Limit = l
	}
	return s
}

// sampleCapacity is a capacity search of 6 stages of 30 s (10 s warm-up),
// 5 s apart for the drain, on 1 s buckets: 5, 10 and 20 calls/s held, 40
// saturated and broke p99 and success, 30 held, and 35 kept a growing
// queue (p50 from 41 ms to 180 ms) that broke p99 at its end.
func sampleCapacity() *Summary {
	s := goldenCapacity()
	s.EndedAt = goldenStart.Add(210 * time.Second)
	s.ElapsedMs, s.ArrivalMs = 210_000, 180_000
	s.Timeline = Timeline{BucketMs: 1000}
	c := s.Capacity
	c.WarmupMs, c.MeanCallMs, c.EventsPerCall = 10_000, 180_000, 12.1
	c.ConcurrentCalls, c.PeakCallsPerSec, c.Headroom = 5400, 20, 1.5
	c.Planning = "holds 30 calls/s (363 events/s) ≈ 5,400 concurrent 3-minute calls; the scenario's peak needs 20 calls/s: 1.5× headroom"
	for i := range c.Stages {
		st := &c.Stages[i]
		st.StartMs, st.WarmupMs = int64(i)*35_000, 10_000
		st.EndMs = st.StartMs + 30_000
		st.OfferedPerSec = st.CallsPerSec * 12.1
		st.P50Early, st.P50Late = st.P50*0.95, st.P50*1.05
		switch st.CallsPerSec {
		case 40:
			st.EventsPerSec = 410
			st.Saturated = true
			st.Broken = append(st.Broken, "saturated: achieved 410 of 484 events/s")
		case 35:
			st.EventsPerSec = 419
			st.P50, st.P50Early, st.P50Late, st.Growing = 96, 41, 180, true
			st.Broken = append(st.Broken, "growing queue: p50 41 ms → 180 ms")
		}
		st.Verdict = "held every check"
		if !st.Held {
			st.Verdict = "broke: " + strings.Join(st.Broken, "; ")
		}
		for j, typ := range goldenTypes {
			d := int64(st.CallsPerSec * 20 * float64(1+j%3))
			st.PerType = append(st.PerType, TypeStats{Type: typ, Stats: Stats{
				Deliveries: d, Acked: d - int64(st.Timeouts)/5, Attempts: d + st.Timeouts/5, Timeouts: st.Timeouts / 5,
				Errors: st.Timeouts / 5, SuccessPct: st.SuccessPct,
				Latency: Latency{Count: d, P50: round3ms(st.P50 * (0.6 + 0.2*float64(j))), P99: round3ms(st.P99 * (0.6 + 0.2*float64(j))), Max: st.P99 * 1.5},
			}})
		}
	}
	for t := int64(0); t < 210; t++ {
		s.Timeline.Buckets = append(s.Timeline.Buckets, sampleCapacityBucket(c.Stages, t))
	}
	withBucketTypes(s, goldenTypes, []int64{1, 1, 8, 2, 1}, []float64{0.6, 0.8, 1, 1.6, 1.2})
	for i, l := range []float64{2000, 99.5} {
		s.Thresholds[i].Limit = l
	}
	return s
}

// sampleCapacityBucket is second t of the search: the stage running then
// (or draining), its rate ramping up through the warm-up.
func sampleCapacityBucket(stages []Stage, t int64) Bucket {
	b := Bucket{AtMs: t * 1000}
	i := int(t / 35)
	if i >= len(stages) {
		return b
	}
	st, into := stages[i], t%35
	wobble := 1 + 0.04*math.Sin(float64(t)*1.7) // deterministic noise
	frac := float64(into) / 30
	switch {
	case into >= 30: // the drain: nothing offered, answers still coming
		b.Attempts = int64(st.EventsPerSec * 0.3 * float64(35-into) / 5)
		b.InFlight = int64(st.CallsPerSec * 8 * float64(34-into) / 5)
	default:
		b.Offered = int64(st.OfferedPerSec * wobble)
		b.Attempts = int64(math.Min(st.OfferedPerSec, st.EventsPerSec*1.08) * wobble)
		b.CallsStarted = int64(st.CallsPerSec * wobble)
		b.InFlight = int64(st.CallsPerSec * 8 * math.Min(1, float64(into+1)/8) * (1 + st.P50/400))
	}
	if b.Attempts == 0 {
		return b
	}
	p50 := st.P50 * wobble
	if st.Growing {
		p50 = st.P50Early + (st.P50Late-st.P50Early)*frac
	}
	b.P50, b.P99, b.Max = round3ms(p50), round3ms(st.P99*wobble), round3ms(st.P99*1.4)
	var errs int64
	switch {
	case st.CallsPerSec == 40 && into < 30:
		b.Causes = map[string]int64{"503": int64(8 * wobble), "timeout": 3, "late": 1}
	case st.Growing && into > 20 && into < 30:
		b.Causes = map[string]int64{"timeout": 1}
	case t%23 == 7:
		b.Causes = map[string]int64{"reset": 1}
	}
	for _, n := range b.Causes {
		errs += n
	}
	b.Errors, b.Timeouts = errs, b.Causes["timeout"]+b.Causes["late"]
	b.Acked = b.Attempts - errs
	return b
}
