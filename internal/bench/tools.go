package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"

	"github.com/hamsasim/hamsasim/internal/deliver"
	"github.com/hamsasim/hamsasim/internal/loadreport"
)

// The tools of the comparison, in the order every round runs them.
const (
	ToolVegeta   = "vegeta"
	ToolK6       = "k6"
	ToolHamsasim = "hamsasim"
)

// Tools lists the tools in round order.
var Tools = []string{ToolVegeta, ToolK6, ToolHamsasim}

// RunResult is one tool's measurement in one round. EventsPerSec is the
// figure compared: vegeta's throughput (successful requests/s), k6's
// http_reqs rate, hamsasim's attempts/s (one attempt is one HTTP exchange).
type RunResult struct {
	Round        int     `json:"round"`
	Tool         string  `json:"tool"`
	EventsPerSec float64 `json:"eventsPerSec"`
	Requests     int64   `json:"requests"`
	Errors       int64   `json:"errors"`
	P50Ms        float64 `json:"p50Ms"`
	P99Ms        float64 `json:"p99Ms"`
	PeakRSSMB    float64 `json:"peakRssMB"`
	WallSec      float64 `json:"wallSec"` // from start to exit, as the driver saw it
	// CPUPct is the generator's CPU time (user + system) over its wall
	// time: near 100 on its one core means it is CPU-bound; far below,
	// it waited on something else.
	CPUPct float64 `json:"cpuPct"`
	// SinkCPUPct is the sink's CPU time over the run's wall time (100: the
	// sink's core was saturated, the sink set the pace) and OtherCPUPct
	// what every other process on the machine took, both in percent of
	// one core: noise when it is high.
	SinkCPUPct  float64 `json:"sinkCpuPct"`
	OtherCPUPct float64 `json:"otherCpuPct"`

	Rate float64 `json:"rate,omitempty"` // vegeta: every request, failed ones too, per second

	// hamsasim only.
	MaxInFlight        int64  `json:"maxInFlight,omitempty"`
	CallsStarted       int64  `json:"callsStarted,omitempty"`
	CallsCompleted     int64  `json:"callsCompleted,omitempty"`
	CallsIncomplete    int64  `json:"callsIncomplete,omitempty"`
	CallsLate          int64  `json:"callsLate,omitempty"`
	ContractViolations int64  `json:"contractViolations,omitempty"`
	ElapsedMs          int64  `json:"elapsedMs,omitempty"`
	StopReason         string `json:"stopReason,omitempty"`
}

// ErrReport is wrapped when a tool's report cannot be read.
var ErrReport = errors.New("unreadable report")

// vegetaReport is the part of `vegeta report -type=json` the bench reads.
type vegetaReport struct {
	Latencies struct {
		P50 int64 `json:"50th"` // nanoseconds
		P99 int64 `json:"99th"`
	} `json:"latencies"`
	Requests   *int64           `json:"requests"`
	Rate       float64          `json:"rate"`
	Throughput float64          `json:"throughput"`
	Success    float64          `json:"success"` // a ratio, 0..1
	Status     map[string]int64 `json:"status_codes"`
}

// ParseVegetaReport reads `vegeta report -type=json`.
func ParseVegetaReport(data []byte) (RunResult, error) {
	var v vegetaReport
	if err := json.Unmarshal(data, &v); err != nil {
		return RunResult{}, fmt.Errorf("%w: vegeta report: %w", ErrReport, err)
	}
	if v.Requests == nil {
		return RunResult{}, fmt.Errorf("%w: vegeta report has no requests field", ErrReport)
	}
	n := *v.Requests
	return RunResult{
		Tool:         ToolVegeta,
		EventsPerSec: v.Throughput,
		Rate:         v.Rate,
		Requests:     n,
		Errors:       n - int64(math.Round(v.Success*float64(n))),
		P50Ms:        float64(v.Latencies.P50) / 1e6,
		P99Ms:        float64(v.Latencies.P99) / 1e6,
	}, nil
}

// k6Summary is the part of k6's --summary-export file the bench reads.
type k6Summary struct {
	Metrics struct {
		Reqs *struct {
			Count int64   `json:"count"`
			Rate  float64 `json:"rate"`
		} `json:"http_reqs"`
		Failed struct {
			Passes int64 `json:"passes"` // requests that failed
		} `json:"http_req_failed"`
		Duration struct {
			Med float64 `json:"med"` // milliseconds
			P99 float64 `json:"p(99)"`
		} `json:"http_req_duration"`
	} `json:"metrics"`
}

// ParseK6Summary reads k6's --summary-export JSON.
func ParseK6Summary(data []byte) (RunResult, error) {
	var s k6Summary
	if err := json.Unmarshal(data, &s); err != nil {
		return RunResult{}, fmt.Errorf("%w: k6 summary: %w", ErrReport, err)
	}
	if s.Metrics.Reqs == nil {
		return RunResult{}, fmt.Errorf("%w: k6 summary has no http_reqs metric: did the script send anything?", ErrReport)
	}
	return RunResult{
		Tool:         ToolK6,
		EventsPerSec: s.Metrics.Reqs.Rate,
		Requests:     s.Metrics.Reqs.Count,
		Errors:       s.Metrics.Failed.Passes,
		P50Ms:        s.Metrics.Duration.Med,
		P99Ms:        s.Metrics.Duration.P99,
	}, nil
}

// ParseHamsasimSummary reads the summary.json of `hamsasim load`.
func ParseHamsasimSummary(data []byte) (RunResult, error) {
	var s loadreport.Summary
	if err := json.Unmarshal(data, &s); err != nil {
		return RunResult{}, fmt.Errorf("%w: hamsasim summary.json: %w", ErrReport, err)
	}
	if s.Version != loadreport.SummaryVersion {
		return RunResult{}, fmt.Errorf("%w: hamsasim summary.json is version %d, this bench reads version %d", ErrReport, s.Version, loadreport.SummaryVersion)
	}
	o := s.Overall
	return RunResult{
		Tool:               ToolHamsasim,
		EventsPerSec:       o.AttemptsPerSec,
		Requests:           o.Attempts,
		Errors:             o.Errors,
		P50Ms:              o.Latency.P50,
		P99Ms:              o.Latency.P99,
		MaxInFlight:        s.Calls.MaxInFlight,
		CallsStarted:       s.Calls.Started,
		CallsCompleted:     s.Calls.Completed,
		CallsIncomplete:    s.Calls.Incomplete,
		CallsLate:          s.Calls.Late,
		ContractViolations: o.ContractViolations,
		ElapsedMs:          s.ElapsedMs,
		StopReason:         s.StopReason,
	}, nil
}

// K6Script is the k6 script of the bench: workers VUs, each POSTing body
// (read from bodyFile) to target with the same headers as vegeta and
// hamsasim, for d. Response bodies are read, as k6 does by default.
func K6Script(target, bodyFile, authorization string, workers int, d time.Duration) string {
	q := func(s string) string { b, _ := json.Marshal(s); return string(b) }
	return fmt.Sprintf(`// Generated by hamsasim-bench: %d VUs POST the bench body to the sink for %s.
import http from 'k6/http';

const body = open(%s);
const params = {
  headers: { 'Content-Type': 'application/json', 'Authorization': %s },
  timeout: '%s',
};

export const options = {
  scenarios: {
    bench: { executor: 'constant-vus', vus: %d, duration: '%dms', gracefulStop: '%s' },
  },
  summaryTrendStats: ['avg', 'min', 'med', 'max', 'p(90)', 'p(95)', 'p(99)'],
};

export default function () {
  http.post(%s, body, params);
}
`, workers, d, q(bodyFile), q(authorization), requestTimeout, workers, d.Milliseconds(), requestTimeout.String(), q(target))
}

// VegetaTarget is the one line of vegeta's JSON targets file: a POST of
// body to target with the bench's headers.
func VegetaTarget(target string, body []byte, authorization string) ([]byte, error) {
	t := struct {
		Method string              `json:"method"`
		URL    string              `json:"url"`
		Body   []byte              `json:"body"` // base64, as vegeta wants
		Header map[string][]string `json:"header"`
	}{
		Method: "POST", URL: target, Body: body,
		Header: map[string][]string{
			"Content-Type":  {"application/json"},
			"Authorization": {authorization},
		},
	}
	b, err := json.Marshal(t)
	return append(b, '\n'), err
}

// Bounds on every run, so a stuck tool cannot hold the bench.
const (
	requestTimeout = deliver.AckBudget // per request, as the scenario's delivery timeout
	peerGrace      = 30 * time.Second  // on top of -duration, for start-up and stop
	reportTimeout  = 60 * time.Second  // vegeta report
	sampleEvery    = 50 * time.Millisecond
)

// measured is a finished generator process.
type measured struct {
	wall              time.Duration
	peakMB            float64
	cpuPct            float64
	sinkPct, otherPct float64
	proc              *process
	exit              int // the exit code; -1 if killed
}

// runGenerator runs one generator pinned to the generator core, bounded by
// limit, sampling its memory; exits with a code okExit accepts count as
// success.
func (b *bench) runGenerator(ctx context.Context, name string, args, env []string, limit time.Duration, okExit func(int) bool) (measured, error) {
	rctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	busy0, sink0 := machineCPU(), procCPU(b.sinkPid)
	began := time.Now()
	p, err := start(rctx, b.pin, procSpec{
		Name: name, Args: args, Env: env, Core: generatorCore,
		Log: filepath.Join(b.logDir, fmt.Sprintf("%s-%d.log", name, b.round)),
	})
	if err != nil {
		return measured{}, toolErr("%v", err)
	}
	wctx, stopWatch := context.WithCancel(ctx)
	mem := watchMemory(wctx, p.cmd.Process.Pid, sampleEvery)
	werr := p.wait()
	stopWatch()
	m := <-mem
	out := measured{wall: time.Since(began), exit: p.cmd.ProcessState.ExitCode(), proc: p}
	busy, sink := machineCPU()-busy0, procCPU(b.sinkPid)-sink0
	out.peakMB = float64(max(m.PeakKB(), p.maxRSSKB())) / 1024
	if secs := out.wall.Seconds(); secs > 0 {
		st := p.cmd.ProcessState
		gen := (st.UserTime() + st.SystemTime()).Seconds()
		out.cpuPct = 100 * gen / secs
		out.sinkPct = 100 * sink.Seconds() / secs
		out.otherPct = max(0, 100*(busy-sink).Seconds()/secs-out.cpuPct)
	}
	switch {
	case ctx.Err() != nil:
		return out, ctx.Err()
	case rctx.Err() != nil:
		return out, p.failure("did not finish", fmt.Errorf("still running after %s: killed", limit))
	case werr != nil && !okExit(out.exit):
		return out, p.failure("failed", werr)
	}
	return out, nil
}

func exitZero(code int) bool { return code == 0 }

func (r *RunResult) setMeasured(m measured) {
	r.WallSec, r.PeakRSSMB = m.wall.Seconds(), m.peakMB
	r.CPUPct, r.SinkCPUPct, r.OtherCPUPct = m.cpuPct, m.sinkPct, m.otherPct
}

// runVegeta attacks the sink at max rate and reads vegeta's report.
func (b *bench) runVegeta(ctx context.Context) (RunResult, error) {
	results := filepath.Join(b.dir, "vegeta.bin")
	defer os.Remove(results)
	w := strconv.Itoa(b.cfg.Workers)
	m, err := b.runGenerator(ctx, ToolVegeta, []string{
		b.peer(ToolVegeta), "attack", "-rate=0", "-max-workers=" + w, "-workers=" + w,
		"-duration=" + b.cfg.Duration.String(), "-timeout=" + requestTimeout.String(),
		"-targets=" + b.targetsFile, "-format=json", "-output=" + results,
	}, nil, b.cfg.Duration+peerGrace, exitZero)
	if err != nil {
		return RunResult{}, err
	}
	rctx, cancel := context.WithTimeout(ctx, reportTimeout)
	defer cancel()
	cmd := exec.CommandContext(rctx, b.peer(ToolVegeta), "report", "-type=json", results)
	var stderr tailBuffer
	stderr.max = 4 << 10
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return RunResult{}, &toolError{msg: fmt.Sprintf("vegeta report failed: %v", err), name: "vegeta report", stderr: tail(stderr.Bytes(), 15)}
	}
	r, err := ParseVegetaReport(out)
	if err != nil {
		return RunResult{}, toolErr("%v", err)
	}
	r.setMeasured(m)
	return r, nil
}

// runK6 runs the k6 script and reads its summary export.
func (b *bench) runK6(ctx context.Context) (RunResult, error) {
	summary := filepath.Join(b.dir, "k6-summary.json")
	_ = os.Remove(summary)
	m, err := b.runGenerator(ctx, ToolK6, []string{
		b.peer(ToolK6), "run", "--no-usage-report", "--quiet", "--summary-export=" + summary, b.scriptFile,
	}, []string{"K6_NO_USAGE_REPORT=true"}, b.cfg.Duration+peerGrace, exitZero)
	if err != nil {
		return RunResult{}, err
	}
	data, err := os.ReadFile(summary)
	if err != nil {
		return RunResult{}, m.proc.failure("wrote no summary", err)
	}
	r, err := ParseK6Summary(data)
	if err != nil {
		return RunResult{}, toolErr("%v", err)
	}
	r.setMeasured(m)
	return r, nil
}

// runHamsasim runs `hamsasim load` with the bench scenario and reads its
// summary.json. Exit 1 (a threshold or finding) still measured the run;
// only a missing summary or another exit code is a failure.
func (b *bench) runHamsasim(ctx context.Context, round int) (RunResult, error) {
	dir := filepath.Join(b.dir, fmt.Sprintf("hamsasim-%d", round))
	defer os.RemoveAll(dir)
	m, err := b.runGenerator(ctx, ToolHamsasim, []string{
		b.hamsasim, "load", "--scenario", b.cfg.Scenario, "--target", b.target,
		"--duration", b.cfg.Duration.String(), "--workers", strconv.Itoa(b.cfg.Workers),
		"--max-in-flight", strconv.Itoa(b.cfg.InFlight), "--report-dir", dir, "--quiet",
	}, []string{"WEBHOOK_SECRET=" + Authorization}, b.cfg.Duration+b.drain+peerGrace,
		func(code int) bool { return code == 0 || code == 1 })
	if err != nil {
		return RunResult{}, err
	}
	data, err := os.ReadFile(filepath.Join(dir, "summary.json"))
	if err != nil {
		return RunResult{}, m.proc.failure(fmt.Sprintf("load exited %d without writing summary.json", m.exit), err)
	}
	r, err := ParseHamsasimSummary(data)
	if err != nil {
		return RunResult{}, toolErr("%v", err)
	}
	r.setMeasured(m)
	return r, nil
}
