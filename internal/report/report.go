// Package report writes the results of a run: a readable summary for the
// terminal, JSON for machines, and JUnit XML for CI. Reports hold no secret:
// the Authorization value never reaches this package.
package report

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/hamsasim/hamsasim/internal/check"
)

// Run is the result of one `hamsasim simulate`.
type Run struct {
	Tool            string        `json:"tool"`
	Version         string        `json:"version"`
	Command         string        `json:"command"`
	Target          string        `json:"target"`
	TargetKind      string        `json:"targetKind"` // "embedded" or "url"
	Contract        string        `json:"contract"`
	ContractVersion string        `json:"contractVersion"`
	Seed            uint64        `json:"seed"`
	Start           string        `json:"start"` // call start time the events were stamped from
	StartedAt       time.Time     `json:"startedAt"`
	DurationMs      int64         `json:"durationMs"`
	Passed          bool          `json:"passed"`
	Strict          bool          `json:"strict"`
	Interrupted     bool          `json:"interrupted"`
	Deliveries      int           `json:"deliveries"` // events sent (each counted once, however many attempts)
	Attempts        int           `json:"attempts"`
	Acknowledged    int           `json:"acknowledged"`
	NotSent         int           `json:"notSent"`      // events never sent (run stopped early)
	Redeliveries    int           `json:"redeliveries"` // duplicate deliveries sent by the duplicate probe
	Summary         Summary       `json:"summary"`
	Events          []string      `json:"events,omitempty"` // the subscribed event types (--events); empty: all
	Health          []Health      `json:"health"`
	Calls           []Call        `json:"calls"`
	Probes          []ProbeResult `json:"probes"`
	Hints           []string      `json:"hints,omitempty"` // the likely cause when many findings share one
	// Bounds says where the run did less than the platform would, to end
	// in time: event types sent once instead of retried, a breaker that
	// stopped the run. Empty when the run did everything.
	Bounds   []string        `json:"bounds"`
	Findings []check.Finding `json:"findings"` // errors and warnings
	Notes    []check.Finding `json:"notes"`    // observations that fail nothing
}

// ProbeResult is one probe request and its verdict.
type ProbeResult struct {
	Probe      string `json:"probe"`
	Check      string `json:"check"`
	Event      string `json:"event,omitempty"`
	Status     int    `json:"status"`
	LatencyMs  int64  `json:"latencyMs"`
	ErrorClass string `json:"errorClass,omitempty"`
	Passed     bool   `json:"passed"`
	Skipped    string `json:"skipped,omitempty"` // why it was not judged
}

// Summary counts findings by severity.
type Summary struct {
	Errors   int `json:"errors"`
	Warnings int `json:"warnings"`
	Notes    int `json:"notes"`
}

// Call is one replayed lifecycle.
type Call struct {
	Fixture    string     `json:"fixture"`
	Source     string     `json:"source"`
	CallID     string     `json:"callId"`
	Events     int        `json:"events"`
	Sent       int        `json:"sent"`
	Acked      int        `json:"acknowledged"`
	Deliveries []Delivery `json:"deliveries"`
}

// Delivery is one event's delivery, summarised.
type Delivery struct {
	Seq        int    `json:"seq"`
	Event      string `json:"event"`
	Offset     string `json:"offset"`
	Timestamp  string `json:"timestamp"`
	Bytes      int    `json:"bytes"`
	Attempts   int    `json:"attempts"`
	Status     int    `json:"status"`
	LatencyMs  int64  `json:"latencyMs"`
	ErrorClass string `json:"errorClass,omitempty"`
	Acked      bool   `json:"acknowledged"`
	// AttemptLog is every attempt of the delivery, in order.
	AttemptLog []Attempt `json:"attemptLog"`
}

// Attempt is one HTTP exchange of a delivery: why it was made ("first",
// "retry N"), what came back, and how long the platform waited before the
// next one.
type Attempt struct {
	Trigger    string `json:"trigger"`
	Status     int    `json:"status"`
	LatencyMs  int64  `json:"latencyMs"`
	ErrorClass string `json:"errorClass,omitempty"`
	WaitMs     int64  `json:"waitMs,omitempty"` // before the next attempt
}

// Tally moves notes out of Findings and fills Summary and Passed.
func (r *Run) Tally() {
	r.Summary = Summary{}
	kept := r.Findings[:0]
	for _, f := range r.Findings {
		if f.Severity == check.SeverityNote {
			r.Notes = append(r.Notes, f)
			continue
		}
		kept = append(kept, f)
	}
	r.Findings = kept
	if r.Notes == nil {
		r.Notes = []check.Finding{}
	}
	if r.Probes == nil {
		r.Probes = []ProbeResult{}
	}
	if r.Bounds == nil {
		r.Bounds = []string{}
	}
	r.Summary.Notes = len(r.Notes)
	for _, f := range r.Findings {
		switch f.Severity {
		case check.SeverityError:
			r.Summary.Errors++
		case check.SeverityWarning:
			r.Summary.Warnings++
		}
	}
	r.Passed = r.Summary.Errors == 0 && !(r.Strict && r.Summary.Warnings > 0) && !r.Interrupted
}

// WriteJSON writes the run as indented JSON.
func WriteJSON(w io.Writer, r *Run) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(r)
}

// WriteFile creates path (and its folder) and writes it with write.
func WriteFile(path string, write func(io.Writer) error) error {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("cannot create folder for %s: %w", path, err)
		}
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	if err := write(f); err != nil {
		f.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}
