// Package loadreport is the report of a load run: the Summary the engine
// produces (what summary.json holds), the judging of thresholds against it,
// the merge of shard summaries, and the formats written from it alone: the
// terminal text, JUnit XML and one offline HTML page. It does no sending
// and no scheduling; a summary read back from summary.json gives the same
// reports as the run that wrote it.
package loadreport

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/hamsasim/hamsasim/internal/report"
)

// SummaryVersion is bumped when summary.json changes shape incompatibly;
// `report merge` refuses summaries of another version.
const SummaryVersion = 1

// Summary is everything a load run measured: summary.json holds it whole,
// and report.html, the JUnit file and `report merge` are built from it
// alone. Latencies are in milliseconds (float64, microsecond precision).
type Summary struct {
	Version     int       `json:"version"`
	Tool        string    `json:"tool"`
	Scenario    string    `json:"scenario"`
	Description string    `json:"description,omitempty"`
	Source      string    `json:"source"`
	Target      string    `json:"target"` // redacted: no credentials, no query
	TargetKind  string    `json:"targetKind"`
	Seed        uint64    `json:"seed"`
	Shard       Shard     `json:"shard"`
	Merged      int       `json:"merged,omitempty"` // how many shard summaries were merged into this one
	StartedAt   time.Time `json:"startedAt"`
	EndedAt     time.Time `json:"endedAt"`
	// ArrivalMs is how long new calls kept arriving (the scenario's duration
	// or --duration); ElapsedMs runs to the last answer, drain included.
	ArrivalMs   int64  `json:"arrivalMs"`
	ElapsedMs   int64  `json:"elapsedMs"`
	Interrupted bool   `json:"interrupted"`
	StopReason  string `json:"stopReason,omitempty"` // why the run ended early, if it did
	// Unreachable is set when the circuit breaker ended the run: the target
	// gave no answer at all for the breaker's window.
	Unreachable bool `json:"unreachable,omitempty"`
	Passed      bool `json:"passed"`

	Delivery DeliveryPolicy `json:"delivery"`
	// Events are the subscribed event types (--events); empty means all.
	Events  []string `json:"events,omitempty"`
	Calls   Calls    `json:"calls"`
	Overall Stats    `json:"overall"`
	// Lag is how late attempts were sent after they were due, waiting for a
	// free worker; above LagLimit the target got less load than the
	// scenario asks (see Notes).
	Lag Latency `json:"lag"`
	// DeadLetters counts the deliveries given up on (written to
	// dead-letters.jsonl when the run had a report folder).
	DeadLetters int64 `json:"deadLetters"`
	// Health is the endpoint's health per event type and for all ("all"),
	// as a delivery portal shows it.
	Health []report.Health `json:"health"`
	// Audit is the end state: what the platform delivered and, with a
	// probe API, what the endpoint recorded.
	Audit Audit `json:"audit"`
	// PerType holds one entry per event type that was sent, in lifecycle order.
	PerType    []TypeStats       `json:"perType"`
	Thresholds []ThresholdResult `json:"thresholds"`
	Timeline   Timeline          `json:"timeline"`
	Capacity   *Capacity         `json:"capacity,omitempty"`
	// Violations are the first distinct contract violations seen in answers.
	Violations []Violation `json:"violations,omitempty"`
	Notes      []string    `json:"notes,omitempty"`
	// Histograms are the HDR latency histograms (microseconds, V2 compressed,
	// base64) keyed "overall" and by event type: what makes a merge exact.
	Histograms map[string]string `json:"histograms"`

	file string // where ReadSummary read it, for messages
}

// where names the summary in messages: its file, or its scenario.
func (s *Summary) where() string {
	if s.file != "" {
		return s.file
	}
	return "the summary of " + s.Scenario
}

// Shard says which slice of the calls a run made: calls whose index k has
// k mod Count == Index. An unsharded run is 0/1.
type Shard struct {
	Index int `json:"index"`
	Count int `json:"count"`
}

// Audit compares what the platform believes it delivered with what the
// endpoint recorded. The platform's side is always there; the endpoint's
// only when a probe API was asked (Probe is set).
type Audit struct {
	Acknowledged int64 `json:"acknowledged"` // distinct events the platform saw acknowledged
	DeadLettered int64 `json:"deadLettered"` // deliveries given up on
	InFlight     int64 `json:"inFlight"`     // deliveries not finished when the run ended
	// Probe is where the endpoint's records were read, redacted: the probe
	// API's base URL or the database's DSN; empty when the endpoint's
	// side was not checked.
	Probe      string `json:"probe,omitempty"`
	Calls      int64  `json:"calls,omitempty"`    // calls asked about
	Checked    int64  `json:"checked,omitempty"`  // calls whose record was read
	Recorded   int64  `json:"recorded,omitempty"` // distinct events the endpoint recorded for them
	Lost       int64  `json:"lost"`               // acknowledged but not recorded
	Duplicated int64  `json:"duplicated"`         // processed beyond the distinct events
	NotFound   int64  `json:"notFound,omitempty"` // calls the endpoint had no record of
	Unchecked  int64  `json:"unchecked,omitempty"`
	// NoEffects: the records did not say what took effect (a query
	// without an effects column): duplicates were not measured.
	NoEffects bool `json:"effectsUnknown,omitempty"`
	// Problems name the first calls with something lost, duplicated or
	// not checked.
	Problems []string `json:"problems,omitempty"`
}

// probed reports whether the endpoint's side was checked.
func (a Audit) probed() bool { return a.Probe != "" }

// DeliveryPolicy is the scenario's delivery policy, as run.
type DeliveryPolicy struct {
	TimeoutMs     int64   `json:"timeoutMs"`
	Retries       int     `json:"retries"`
	Schedule      string  `json:"schedule,omitempty"` // exponential, a preset's name, or list
	BackoffBaseMs int64   `json:"backoffBaseMs"`
	BackoffFactor float64 `json:"backoffFactor"`
	BackoffMaxMs  int64   `json:"backoffMaxMs"`
	WaitsMs       []int64 `json:"waitsMs,omitempty"` // the waits before retry 1, 2, ... of a preset or list (compressed by timeScale)
	JitterPct     float64 `json:"jitterPct"`         // each wait spread over ± this share of itself
}

// Calls counts call lifecycles.
type Calls struct {
	Planned    int64 `json:"planned"`    // calls the arrival rate asks for in this shard
	Started    int64 `json:"started"`    // call.started was sent (first attempt)
	Completed  int64 `json:"completed"`  // every event delivered (acknowledged or given up)
	Incomplete int64 `json:"incomplete"` // stopped by drain timeout or interruption
	OutOfOrder int64 `json:"outOfOrder"` // calls whose events were sent shuffled on purpose
	// Late is how many calls started later than planned because the
	// in-flight limit was reached; LateMaxMs is the worst delay.
	Late        int64 `json:"late"`
	LateMaxMs   int64 `json:"lateMaxMs"`
	MaxInFlight int64 `json:"maxInFlight"` // most calls in flight at once
	// Fixtures counts started calls per fixture name.
	Fixtures map[string]int64 `json:"fixtures"`
}

// Stats are the counters and latency percentiles of a set of deliveries.
//
// A delivery is one copy of an event: the first or a duplicate. An attempt
// is one HTTP exchange; retries are attempts after a delivery's first.
type Stats struct {
	Deliveries int64 `json:"deliveries"`
	Acked      int64 `json:"acked"`    // deliveries some attempt of which got 2xx within the timeout
	Failed     int64 `json:"failed"`   // deliveries given up: retries exhausted or not retryable
	Unsent     int64 `json:"unsent"`   // deliveries never finished: drain timeout or interruption
	Attempts   int64 `json:"attempts"` //
	Retries    int64 `json:"retries"`  //
	// Timeouts counts attempts the platform saw time out: no complete answer
	// within the scenario's timeout, or an answer after the 5-second budget
	// (class late, also counted apart in Status).
	Timeouts int64 `json:"timeouts"`
	// Errors counts attempts that were not acknowledged: non-2xx answers and
	// network failures, timeouts included.
	Errors             int64 `json:"errors"`
	Duplicates         int64 `json:"duplicates"`         // duplicate deliveries sent
	DuplicatesAcked    int64 `json:"duplicatesAcked"`    //
	DuplicatesUnacked  int64 `json:"duplicatesUnacked"`  // duplicates never acknowledged
	ContractViolations int64 `json:"contractViolations"` // answers that break the contract
	BytesOut           int64 `json:"bytesOut"`
	BytesIn            int64 `json:"bytesIn"`
	// Status counts attempts by outcome: the HTTP status ("200", "503") or
	// the error class ("timeout", "refused", "reset", ...).
	Status map[string]int64 `json:"status"`
	// SuccessPct is Acked / Deliveries in percent (unsent deliveries count
	// against it); 100 when there were none.
	SuccessPct float64 `json:"successPct"`
	// AttemptsPerSec and AckedPerSec are over the whole elapsed time.
	AttemptsPerSec float64 `json:"attemptsPerSec"`
	AckedPerSec    float64 `json:"ackedPerSec"`
	Latency        Latency `json:"latency"` // of attempts; timeouts count at their full wait
}

// TypeStats is Stats for one event type.
type TypeStats struct {
	Type string `json:"type"`
	Stats
}

// Latency percentiles in milliseconds, from an HDR histogram (3 significant
// digits).
type Latency struct {
	Count int64   `json:"count"`
	Min   float64 `json:"min"`
	Mean  float64 `json:"mean"`
	P50   float64 `json:"p50"`
	P90   float64 `json:"p90"`
	P95   float64 `json:"p95"`
	P99   float64 `json:"p99"`
	P999  float64 `json:"p999"`
	Max   float64 `json:"max"`
	// Distribution is the latency at each of DistributionPercentiles, for the
	// distribution chart.
	Distribution []float64 `json:"distribution,omitempty"`
}

// DistributionPercentiles are where Latency.Distribution is sampled.
var DistributionPercentiles = []float64{0, 10, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 99.95, 99.99, 100}

// ThresholdResult is one scenario threshold and whether it held.
type ThresholdResult struct {
	Threshold string  `json:"threshold"` // as written, canonical form
	EventType string  `json:"eventType,omitempty"`
	Metric    string  `json:"metric"`
	Got       float64 `json:"got"`     // ms for latencies, percent for success, a count otherwise
	GotText   string  `json:"gotText"` // Got with its unit, e.g. "412ms", "99.95%", "3"
	// Limit is the threshold's bound in Got's unit (ms, percent, count),
	// for drawing it.
	Limit float64 `json:"limit"`
	Held  bool    `json:"held"`
	// NoData is set when nothing of the event type was sent, so the
	// threshold could not be judged; it counts as held.
	NoData bool `json:"noData,omitempty"`
}

// Timeline is the run cut into equal buckets by the time attempts finished.
type Timeline struct {
	BucketMs int64    `json:"bucketMs"`
	Buckets  []Bucket `json:"buckets"`
}

// Bucket is one slice of the timeline. At is the bucket's start, in
// milliseconds since the run's start.
type Bucket struct {
	AtMs         int64   `json:"atMs"`
	Attempts     int64   `json:"attempts"`
	Acked        int64   `json:"acked"`
	Errors       int64   `json:"errors"`
	Timeouts     int64   `json:"timeouts"`
	CallsStarted int64   `json:"callsStarted"`
	InFlight     int64   `json:"inFlight"` // calls in flight at the bucket's end
	P50          float64 `json:"p50"`
	P99          float64 `json:"p99"`
	Max          float64 `json:"max"`
	// Histogram is the bucket's latencies (2 significant digits, V2
	// compressed, base64), so merged timelines keep exact percentiles.
	Histogram string `json:"histogram,omitempty"`
	// Offered counts the deliveries (first copies and duplicates) whose
	// first attempt fell due in this bucket, by the scenario's schedule:
	// the load asked for, whether or not the target kept up. Acked is
	// what it achieved.
	Offered int64 `json:"offered"`
	// Causes counts the attempts of the bucket that were not acknowledged,
	// by cause: the HTTP status ("503") or the error class ("timeout",
	// "late", "refused", "reset", ...), as Stats.Status names them.
	Causes map[string]int64 `json:"causes,omitempty"`
	// PerType splits the bucket by event type, in lifecycle order; types
	// with no attempt in the bucket are left out.
	PerType []BucketType `json:"perType,omitempty"`
}

// BucketType is one event type's share of a timeline bucket.
type BucketType struct {
	Type     string  `json:"type"`
	Attempts int64   `json:"attempts"`
	Acked    int64   `json:"acked"`
	P50      float64 `json:"p50"`
	P99      float64 `json:"p99"`
	// Histogram as in Bucket, so merges keep exact percentiles.
	Histogram string `json:"histogram,omitempty"`
}

// Capacity is what --find-capacity found: the stages it ran and the highest
// arrival rate at which every stage check held.
type Capacity struct {
	// Found is false when no stage held (even the lowest rate broke a
	// threshold) or the search was interrupted.
	Found        bool    `json:"found"`
	CallsPerSec  float64 `json:"callsPerSec"`  // highest rate that held
	EventsPerSec float64 `json:"eventsPerSec"` // events/s acknowledged at steady state at that rate
	BrokenAt     float64 `json:"brokenAt"`     // lowest rate that broke; 0 if none did
	Limit        string  `json:"limit"`        // why the search stopped
	StageMs      int64   `json:"stageMs"`      // arrival time of each stage, warm-up included
	WarmupMs     int64   `json:"warmupMs"`     // the first part of each stage, not judged
	Stages       []Stage `json:"stages"`       // in the order they ran
	// Planning terms. MeanCallMs is the mix's mean call length in real
	// time (before the scenario's timeScale); ConcurrentCalls is
	// CallsPerSec × MeanCallMs: how many such calls are open at once at
	// capacity. PeakCallsPerSec is the scenario's own peak arrival rate
	// and Headroom is CallsPerSec / PeakCallsPerSec.
	MeanCallMs      int64   `json:"meanCallMs"`
	EventsPerCall   float64 `json:"eventsPerCall"`
	ConcurrentCalls float64 `json:"concurrentCalls"`
	PeakCallsPerSec float64 `json:"peakCallsPerSec"`
	Headroom        float64 `json:"headroom"`
	// Planning is the result in one sentence, e.g. "holds 2.4 calls/s
	// (40 events/s) ≈ 430 concurrent 3-minute calls; the scenario's peak
	// needs 2 calls/s: 1.2× headroom".
	Planning      string `json:"planning,omitempty"`
	GeneratorNote string `json:"generatorNote,omitempty"`
}

// Stage is one constant-rate step of a capacity search. It is judged on
// its steady-state window, after the warm-up: from StartMs+WarmupMs to
// EndMs on the summary's timeline.
type Stage struct {
	CallsPerSec float64 `json:"callsPerSec"` // the call arrival rate offered
	// StartMs and EndMs place the stage's arrival on the summary's
	// timeline (ms since the search's start); its drain follows EndMs.
	StartMs  int64 `json:"startMs"`
	EndMs    int64 `json:"endMs"`
	WarmupMs int64 `json:"warmupMs"`
	// OfferedPerSec is the event rate the schedule offered in the judged
	// window; EventsPerSec is what the target achieved there (events
	// acknowledged per second). Saturated is set when the achieved rate
	// falls short of the offered one by more than SaturationPct.
	OfferedPerSec float64 `json:"offeredPerSec"`
	EventsPerSec  float64 `json:"eventsPerSec"`
	Saturated     bool    `json:"saturated"`
	// P50Early and P50Late are the median latency in the first and the
	// last third of the judged window; Growing is set when it kept
	// rising (a queue building up), whatever the thresholds say.
	P50Early   float64 `json:"p50Early"`
	P50Late    float64 `json:"p50Late"`
	Growing    bool    `json:"growing"`
	P50        float64 `json:"p50"`
	P99        float64 `json:"p99"`
	SuccessPct float64 `json:"successPct"`
	Timeouts   int64   `json:"timeouts"`
	Held       bool    `json:"held"`
	// Broken lists why the stage broke: thresholds that failed,
	// saturation, a growing queue, attempts sent late.
	Broken []string `json:"broken,omitempty"`
	// Verdict says in one line why the stage held or broke.
	Verdict string `json:"verdict"`
	// PerType is the stage's own per-type figures (the summary's PerType
	// adds up every stage).
	PerType []TypeStats `json:"perType,omitempty"`
}

// MaxViolations is how many distinct violations a summary keeps: those
// seen first.
const MaxViolations = 20

// Violation is one distinct way answers broke the contract.
type Violation struct {
	EventType string `json:"eventType"`
	Status    int    `json:"status"`
	Reason    string `json:"reason"`
	Count     int64  `json:"count"`
}

// ms converts a duration to float milliseconds.
func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// WriteJSON writes the summary as indented JSON, as summary.json holds it.
// The field names are part of SummaryVersion: shards and other tools read
// them. <, > and & are written as they are, not escaped.
func WriteJSON(w io.Writer, s *Summary) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(s)
}

// ReadSummary reads a summary.json. A damaged or foreign file is reported
// with where it came from and wraps ErrMerge.
func ReadSummary(data []byte, source string) (*Summary, error) {
	var s Summary
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("%w: %s is not a hamsasim load summary: %v", ErrMerge, source, err)
	}
	if s.Tool != "hamsasim" {
		return nil, fmt.Errorf("%w: %s is not a hamsasim load summary (no \"tool\": \"hamsasim\")", ErrMerge, source)
	}
	if s.Version != SummaryVersion {
		return nil, fmt.Errorf("%w: %s has summary version %d; this hamsasim reads version %d", ErrMerge, source, s.Version, SummaryVersion)
	}
	if s.Shard.Count < 1 || s.Shard.Count > MaxShards || s.Shard.Index < 0 || s.Shard.Index >= s.Shard.Count {
		return nil, fmt.Errorf("%w: %s: shard %d/%d is not valid (at most %d shards, the index from 0 to count-1)", ErrMerge, source, s.Shard.Index, s.Shard.Count, MaxShards)
	}
	s.file = source
	return &s, nil
}
