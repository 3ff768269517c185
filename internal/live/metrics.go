// Package live shows a load run while it goes: its figures as Prometheus
// metrics (Metrics, a load.Observer), served over HTTP at /metrics
// (Server). The counters are kept as the run's summary counts, so a
// scrape taken after the run ends agrees with summary.json.
package live

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hamsasim/hamsasim/internal/deliver"
	"github.com/hamsasim/hamsasim/internal/event"
	"github.com/hamsasim/hamsasim/internal/load"
)

// Namespace starts every metric's name.
const Namespace = "hamsasim"

// OtherType is the type label of events of a type the platform does not
// document.
const OtherType = "other"

// LatencyBuckets are the upper bounds, in seconds, of the answer latency
// histogram: 1 ms to 30 s, with the platform's 5 s answer budget
// (deliver.AckBudget) as a boundary, so the share answered in time is
// read off one bucket.
var LatencyBuckets = []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, deliver.AckBudget.Seconds(), 10, 30}

// RateWindow is the span the offered and achieved rates are taken over.
const RateWindow = 10 * time.Second

// Metrics holds a run's live figures in a registry of its own (never the
// global default one). It is a load.Observer: give it to the engine with
// load.WithObserver or Plan.Observer. Its Observer methods must be called
// from one goroutine at a time, as the engine does; scrapes may come from
// any goroutine at any time.
type Metrics struct {
	reg *prometheus.Registry

	deliveries, acked, attempts, retries, timeouts, offered, errors *prometheus.CounterVec
	latency                                                         *prometheus.HistogramVec

	callsStarted        prometheus.Counter
	inFlight            prometheus.Gauge
	stage, stageRate    prometheus.Gauge
	types               []*typeMetrics // by type index; the last is OtherType
	offeredN, achievedN atomic.Int64   // totals, for the rates
	rates               rates
}

// typeMetrics are one event type's series, resolved once: the engine's
// hot path only adds to them.
type typeMetrics struct {
	name                                                   string
	deliveries, acked, attempts, retries, timeouts, offers prometheus.Counter
	latency                                                prometheus.Observer
	errors                                                 map[string]prometheus.Counter // by cause, as causes appear
}

// New makes the metrics, every documented event type's series at zero.
func New() *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry(), types: make([]*typeMetrics, len(event.Types)+1)}
	counter := func(name, help string, labels ...string) *prometheus.CounterVec {
		c := prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: name, Help: help}, labels)
		m.reg.MustRegister(c)
		return c
	}
	m.deliveries = counter("deliveries_total", "Deliveries ended (acknowledged, given up, or left unsent when the run stopped), duplicates included.", "type")
	m.acked = counter("acknowledged_total", "Deliveries acknowledged: a 2xx answer within the budget.", "type")
	m.attempts = counter("attempts_total", "Attempts made (first attempts and retries), answered or not.", "type")
	m.retries = counter("retries_total", "Attempts that were retries.", "type")
	m.timeouts = counter("timeouts_total", "Attempts with no answer in time: timed out, or answered after the budget.", "type")
	m.errors = counter("errors_total", `Attempts not acknowledged, by cause: the HTTP status ("503") or the error class ("timeout", "late", "refused", "reset", ...).`, "type", "cause")
	m.offered = counter("offered_total", "Deliveries (first copies and duplicates) whose first attempt fell due by the scenario's schedule.", "type")
	m.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: Namespace, Name: "answer_latency_seconds", Buckets: LatencyBuckets,
		Help: "Time from sending an attempt to its answer, timeout or error.",
	}, []string{"type"})
	m.callsStarted = prometheus.NewCounter(prometheus.CounterOpts{Namespace: Namespace, Name: "calls_started_total", Help: "Calls started."})
	gauge := func(name, help string) prometheus.Gauge {
		return prometheus.NewGauge(prometheus.GaugeOpts{Namespace: Namespace, Name: name, Help: help})
	}
	m.inFlight = gauge("calls_in_flight", "Calls started and not yet ended.")
	m.stage = gauge("stage", "The capacity search's stage running, from 1; 0 outside a search.")
	m.stageRate = gauge("stage_calls_per_second", "The call arrival rate the capacity search's stage offers; 0 outside a search.")
	m.rates.reset(time.Now())
	rate := func(name, help string, total *atomic.Int64, of func(rateSample) int64) prometheus.GaugeFunc {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: Namespace, Name: name, Help: help},
			func() float64 { return m.rates.rate(time.Now(), total.Load(), of) })
	}
	m.reg.MustRegister(m.latency, m.callsStarted, m.inFlight, m.stage, m.stageRate,
		rate("offered_events_per_second", "Deliveries falling due per second, over the last 10 s: the load the scenario asks for.",
			&m.offeredN, func(s rateSample) int64 { return s.offered }),
		rate("achieved_events_per_second", "Deliveries acknowledged per second, over the last 10 s: the load the target took.",
			&m.achievedN, func(s rateSample) int64 { return s.achieved }))
	for i := range event.Types {
		m.of(i)
	}
	return m
}

// Registry is where the metrics are registered, for a handler or a test.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// of is event type typ's series, resolved on first use.
func (m *Metrics) of(typ int) *typeMetrics {
	if typ < 0 || typ >= len(m.types) {
		typ = len(m.types) - 1
	}
	if t := m.types[typ]; t != nil {
		return t
	}
	name := OtherType
	if typ < len(event.Types) {
		name = event.Types[typ]
	}
	t := &typeMetrics{
		name:       name,
		deliveries: m.deliveries.WithLabelValues(name),
		acked:      m.acked.WithLabelValues(name),
		attempts:   m.attempts.WithLabelValues(name),
		retries:    m.retries.WithLabelValues(name),
		timeouts:   m.timeouts.WithLabelValues(name),
		offers:     m.offered.WithLabelValues(name),
		latency:    m.latency.WithLabelValues(name),
		errors:     map[string]prometheus.Counter{},
	}
	m.types[typ] = t
	return t
}

var _ load.Observer = (*Metrics)(nil)

// CallStarted counts a call and sets the calls in flight.
func (m *Metrics) CallStarted(inFlight int64) {
	m.callsStarted.Inc()
	m.inFlight.Set(float64(inFlight))
}

// CallEnded sets the calls in flight.
func (m *Metrics) CallEnded(inFlight int64) { m.inFlight.Set(float64(inFlight)) }

// Offered counts deliveries falling due.
func (m *Metrics) Offered(typ, n int) {
	m.of(typ).offers.Add(float64(n))
	m.offeredN.Add(int64(n))
}

// Attempt counts an attempt, its latency and, when it was not
// acknowledged, its cause.
func (m *Metrics) Attempt(a load.AttemptSeen) {
	t := m.of(a.Type)
	t.attempts.Inc()
	t.latency.Observe(a.Latency.Seconds())
	if a.Retry {
		t.retries.Inc()
	}
	if a.TimedOut {
		t.timeouts.Inc()
	}
	if a.Acked {
		return
	}
	c, ok := t.errors[a.Cause]
	if !ok {
		c = m.errors.WithLabelValues(t.name, a.Cause)
		t.errors[a.Cause] = c
	}
	c.Inc()
}

// Delivered counts a delivery's end.
func (m *Metrics) Delivered(typ int, acked bool) {
	t := m.of(typ)
	t.deliveries.Inc()
	if acked {
		t.acked.Inc()
		m.achievedN.Add(1)
	}
}

// Stage sets the capacity stage running and its rate.
func (m *Metrics) Stage(n int, callsPerSec float64) {
	m.stage.Set(float64(n))
	m.stageRate.Set(callsPerSec)
}

// Sample remembers the totals at now, for the rates; Server calls it once
// a second. Without samples the rates are taken since New.
func (m *Metrics) Sample(now time.Time) {
	m.rates.add(now, m.offeredN.Load(), m.achievedN.Load())
}

// rates keeps the totals sampled over the last RateWindow.
type rates struct {
	mu      sync.Mutex
	samples []rateSample // oldest first; the first is at most RateWindow old, or the oldest there is
}

type rateSample struct {
	at                time.Time
	offered, achieved int64
}

func (r *rates) reset(now time.Time) {
	r.mu.Lock()
	r.samples = []rateSample{{at: now}}
	r.mu.Unlock()
}

func (r *rates) add(now time.Time, offered, achieved int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.samples = append(r.samples, rateSample{at: now, offered: offered, achieved: achieved})
	for len(r.samples) > 1 && !r.samples[1].at.After(now.Add(-RateWindow)) {
		r.samples = r.samples[1:]
	}
}

// rate is the rise per second from the oldest sample kept (as of says
// which total) to cur.
func (r *rates) rate(now time.Time, cur int64, of func(rateSample) int64) float64 {
	r.mu.Lock()
	from := r.samples[0]
	r.mu.Unlock()
	dt := now.Sub(from.at).Seconds()
	if dt <= 0 {
		return 0
	}
	return float64(cur-of(from)) / dt
}
