package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Report is everything one bench measured; bench.json holds it whole and
// bench.txt is WriteText of it.
type Report struct {
	Tool         string        `json:"tool"` // "hamsasim-bench"
	StartedAt    time.Time     `json:"startedAt"`
	EndedAt      time.Time     `json:"endedAt"`
	Runs         int           `json:"runs"`
	DurationMs   int64         `json:"durationMs"` // of each tool's load
	Workers      int           `json:"workers"`
	InFlight     int           `json:"inFlight"` // hamsasim's --max-in-flight
	Scenario     string        `json:"scenario"`
	ScenarioFile string        `json:"scenarioFile"`
	Pinning      Pinning       `json:"pinning"`
	Peers        []Peer        `json:"peers"`
	Body         Body          `json:"body"`
	Results      []RunResult   `json:"results"` // every run, in the order they ran
	Summary      []ToolSummary `json:"summary"` // one per tool, in round order
	Ratios       []Ratio       `json:"ratios"`
	Memory       Memory        `json:"memory"`
	Cores        int           `json:"cores"`
	Notes        []string      `json:"notes,omitempty"`
}

// ToolSummary is one tool over every round: medians, spread and the worst
// of what went wrong.
type ToolSummary struct {
	Tool            string  `json:"tool"`
	Runs            int     `json:"runs"`
	MedianPerSec    float64 `json:"medianEventsPerSec"`
	MinPerSec       float64 `json:"minEventsPerSec"`
	MaxPerSec       float64 `json:"maxEventsPerSec"`
	Errors          int64   `json:"errors"` // over every run
	MedianP50Ms     float64 `json:"medianP50Ms"`
	MedianP99Ms     float64 `json:"medianP99Ms"`
	MedianPeakRSSMB float64 `json:"medianPeakRssMB"`
	MaxPeakRSSMB    float64 `json:"maxPeakRssMB"`
	MedianCPUPct    float64 `json:"medianCpuPct"`
}

// busyCPU is the share of a core (percent) other processes may take
// during a run before the report warns that the numbers are noisy.
const busyCPU = 10.0

// summarize fills Summary, Ratios, Memory and Notes from Results.
func (r *Report) summarize() {
	r.Tool = "hamsasim-bench"
	r.Summary = nil
	median := map[string]float64{}
	for _, tool := range Tools {
		s := r.summarizeTool(tool)
		median[tool] = s.MedianPerSec
		r.Summary = append(r.Summary, s)
	}
	r.Ratios = []Ratio{
		NewRatio(ToolVegeta, median[ToolHamsasim], median[ToolVegeta], TargetVsVegeta),
		NewRatio(ToolK6, median[ToolHamsasim], median[ToolK6], TargetVsK6),
	}

	h := r.hamsasimRuns()
	target := r.InFlight
	if target == 0 {
		target = MaxInFlight
	}
	r.Memory = NewMemory(h.peaks, h.inFlight, MemoryLimitFor(target), int64(target))
	r.Notes = r.notes(h)
}

// summarizeTool is tool's medians, spread and error count over its runs.
func (r *Report) summarizeTool(tool string) ToolSummary {
	var eps, p50, p99, rss, cpu []float64
	s := ToolSummary{Tool: tool}
	for _, x := range r.Results {
		if x.Tool != tool {
			continue
		}
		s.Runs++
		s.Errors += x.Errors
		eps = append(eps, x.EventsPerSec)
		p50 = append(p50, x.P50Ms)
		p99 = append(p99, x.P99Ms)
		rss = append(rss, x.PeakRSSMB)
		cpu = append(cpu, x.CPUPct)
	}
	s.MedianPerSec = Median(eps)
	s.MinPerSec, s.MaxPerSec = MinMax(eps)
	s.MedianP50Ms, s.MedianP99Ms = Median(p50), Median(p99)
	s.MedianPeakRSSMB = Median(rss)
	_, s.MaxPeakRSSMB = MinMax(rss)
	s.MedianCPUPct = Median(cpu)
	return s
}

// hamsasimTally is what only hamsasim's runs report: memory, calls in
// flight, the contract and why runs stopped.
type hamsasimTally struct {
	peaks      []float64 // peak RSS, MB, a run each
	inFlight   []int64   // most calls in flight, a run each
	violations int64
	incomplete int64
	stops      map[string]int // runs stopped early, by reason
}

// hamsasimRuns tallies hamsasim's runs in Results.
func (r *Report) hamsasimRuns() hamsasimTally {
	h := hamsasimTally{stops: map[string]int{}}
	for _, x := range r.Results {
		if x.Tool != ToolHamsasim {
			continue
		}
		h.peaks = append(h.peaks, x.PeakRSSMB)
		h.inFlight = append(h.inFlight, x.MaxInFlight)
		h.violations += x.ContractViolations
		h.incomplete += x.CallsIncomplete
		if x.StopReason != "" {
			h.stops[x.StopReason]++
		}
	}
	return h
}

// notes are the warnings under the table: failed requests, hamsasim's
// contract violations, unfinished calls and early stops, missing pinning
// and noisy runs; nil when there are none.
func (r *Report) notes(h hamsasimTally) []string {
	var notes []string
	for _, s := range r.Summary {
		if s.Errors > 0 {
			notes = append(notes, fmt.Sprintf("%s: %s failed requests over %d runs (see the logs)", s.Tool, commas(float64(s.Errors)), s.Runs))
		}
	}
	if h.violations > 0 {
		notes = append(notes, fmt.Sprintf("hamsasim: %s answers broke the contract, though the sink's answer is valid", commas(float64(h.violations))))
	}
	if h.incomplete > 0 {
		notes = append(notes, fmt.Sprintf("hamsasim: %s calls were left unfinished when runs stopped (events/s is unaffected: it counts the exchanges made)", commas(float64(h.incomplete))))
	}
	reasons := make([]string, 0, len(h.stops))
	for reason := range h.stops {
		reasons = append(reasons, reason)
	}
	slices.Sort(reasons)
	for _, reason := range reasons {
		notes = append(notes, fmt.Sprintf("hamsasim: %d of %d runs stopped early: %s", h.stops[reason], len(h.peaks), reason))
	}
	if !r.Pinning.On {
		notes = append(notes, "unpinned: "+r.Pinning.Note)
	}
	if n := r.busyNote(); n != "" {
		notes = append(notes, n)
	}
	return notes
}

// busyNote warns of the runs during which other processes took more than
// busyCPU of a core; "" when there were none.
func (r *Report) busyNote() string {
	var busy []string
	for _, x := range r.Results {
		if x.OtherCPUPct > busyCPU {
			busy = append(busy, fmt.Sprintf("round %d %s %.0f%%", x.Round, x.Tool, x.OtherCPUPct))
		}
	}
	if len(busy) == 0 {
		return ""
	}
	return fmt.Sprintf("other processes took more than %.0f%% of a core during %d of %d runs (%s): those numbers are noisy; the interleaved rounds spread the noise over every tool",
		busyCPU, len(busy), len(r.Results), strings.Join(busy, ", "))
}

// write writes bench.json and bench.txt into dir.
func (r *Report) write(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	js, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "bench.json"), append(js, '\n'), 0o644); err != nil {
		return err
	}
	var txt strings.Builder
	if err := r.WriteText(&txt); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "bench.txt"), []byte(txt.String()), 0o644)
}

// WriteText writes the summary table, the verdicts and the per-run numbers.
func (r *Report) WriteText(w io.Writer) error {
	var peers []string
	for _, p := range r.Peers {
		peers = append(peers, p.Name+" "+p.Version)
	}
	fmt.Fprintf(w, "hamsasim bench: %d rounds of %s per tool (interleaved), %d workers/VUs each, loopback sink\n",
		r.Runs, time.Duration(r.DurationMs)*time.Millisecond, r.Workers)
	pin := r.Pinning.Note
	if !r.Pinning.On {
		pin = "UNPINNED: " + pin
	}
	fmt.Fprintf(w, "pinning:  %s\n", pin)
	fmt.Fprintf(w, "peers:    %s\n", strings.Join(peers, ", "))
	fmt.Fprintf(w, "body:     %d bytes for vegeta and k6 (%s, resized to the mean event body of %s: %.1f bytes, %.1f events per call);\n",
		r.Body.Size, r.Body.From, r.Scenario, r.Body.MeanEventSize, r.Body.EventsPerCall)
	fmt.Fprintf(w, "          hamsasim sends the scenario's own events (%s), lifecycle order kept, answers validated\n\n", r.ScenarioFile)

	fmt.Fprintf(w, "%-9s %11s %9s %9s %7s %7s %7s %5s %13s %8s\n",
		"tool", "median ev/s", "min", "max", "errors", "p50 ms", "p99 ms", "CPU%", "peak RSS MB", "max MB")
	for _, s := range r.Summary {
		fmt.Fprintf(w, "%-9s %11s %9s %9s %7s %7.2f %7.2f %5.0f %13.1f %8.1f\n", s.Tool,
			commas(s.MedianPerSec), commas(s.MinPerSec), commas(s.MaxPerSec), commas(float64(s.Errors)),
			s.MedianP50Ms, s.MedianP99Ms, s.MedianCPUPct, s.MedianPeakRSSMB, s.MaxPeakRSSMB)
	}
	fmt.Fprintln(w, "ev/s: vegeta throughput (successful requests/s), k6 http_reqs rate, hamsasim attempts/s (HTTP")
	fmt.Fprintln(w, "exchanges, drain included). p50, p99, CPU% and peak RSS: medians over runs; CPU% is the generator's")
	fmt.Fprintln(w, "CPU time over its wall time (100 = its core was saturated); per run, sink CPU% is the sink's and")
	fmt.Fprintln(w, "other CPU% what every other process took, in percent of one core.")
	fmt.Fprintln(w)

	for _, q := range r.Ratios {
		fmt.Fprintf(w, "hamsasim / %-7s %5.2f   target >= %.2f   %s\n", q.Peer, q.Value, q.Target, verdict(q.Met))
	}
	m := r.Memory
	fmt.Fprintf(w, "hamsasim memory    peak RSS %.1f MB median, %.1f MB max; most calls in flight %s\n",
		m.MedianMB, m.MaxMB, commas(float64(m.MaxInFlight)))
	fmt.Fprintf(w, "                   target < %.0f MB with %s calls in flight   %s\n",
		m.LimitMB, commas(float64(m.InFlightTarget)), m.Verdict)
	for _, n := range r.Notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}

	fmt.Fprintln(w, "\nper run:")
	fmt.Fprintf(w, "%5s  %-9s %9s %10s %7s %7s %7s %5s %9s %10s %8s %7s  %13s %10s\n",
		"round", "tool", "ev/s", "requests", "errors", "p50 ms", "p99 ms", "CPU%", "sink CPU%", "other CPU%", "RSS MB", "wall s", "max in flight", "late calls")
	for _, x := range r.Results {
		inflight, late := "-", "-"
		if x.Tool == ToolHamsasim {
			inflight, late = commas(float64(x.MaxInFlight)), commas(float64(x.CallsLate))
		}
		if _, err := fmt.Fprintf(w, "%5d  %-9s %9s %10s %7s %7.2f %7.2f %5.0f %9.0f %10.0f %8.1f %7.1f  %13s %10s\n", x.Round, x.Tool,
			commas(x.EventsPerSec), commas(float64(x.Requests)), commas(float64(x.Errors)),
			x.P50Ms, x.P99Ms, x.CPUPct, x.SinkCPUPct, x.OtherCPUPct, x.PeakRSSMB, x.WallSec, inflight, late); err != nil {
			return err
		}
	}
	return nil
}

// commas rounds x to a whole number and groups its digits by thousands.
func commas(x float64) string {
	s := strconv.FormatInt(int64(math.Round(x)), 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}
