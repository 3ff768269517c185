package bench

import (
	"encoding/json"
	"flag"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// sampleReport is a bench of two rounds with fixed numbers.
func sampleReport() *Report {
	r := &Report{
		StartedAt: time.Date(2026, 11, 22, 17, 0, 0, 0, time.UTC), EndedAt: time.Date(2026, 11, 22, 17, 3, 0, 0, time.UTC),
		Runs: 2, DurationMs: 10000, Workers: 64, Scenario: "bench-max-rate", ScenarioFile: DefaultScenario,
		Pinning: Pinning{On: true, Note: "generator on core 0, sink on core 1 (taskset)"},
		Peers: []Peer{
			{Name: "vegeta", Module: "github.com/tsenart/vegeta/v12", Version: VegetaVersion, Path: "/go/bin/vegeta"},
			{Name: "k6", Module: "go.k6.io/k6", Version: K6Version, Path: "/go/bin/k6"},
		},
		Body:  Body{Size: 555, MeanEventSize: 555.106, EventsPerCall: 16.5, From: "transcription.update #2 of support-resolved"},
		Cores: 2,
		Results: []RunResult{
			{Round: 1, Tool: ToolVegeta, EventsPerSec: 25538.8, Rate: 25543.7, Requests: 255400, P50Ms: 1.305, P99Ms: 5.308, PeakRSSMB: 19.5, WallSec: 10.03, CPUPct: 71, SinkCPUPct: 99, OtherCPUPct: 2},
			{Round: 1, Tool: ToolK6, EventsPerSec: 15286.9, Requests: 152900, Errors: 3, P50Ms: 3.511, P99Ms: 16.56, PeakRSSMB: 82.4, WallSec: 10.16, CPUPct: 98},
			{Round: 1, Tool: ToolHamsasim, EventsPerSec: 24100.2, Requests: 482000, P50Ms: 1.5, P99Ms: 9.2, PeakRSSMB: 121.3, WallSec: 20.1, CPUPct: 99,
				MaxInFlight: 10000, CallsStarted: 30000, CallsCompleted: 30000, CallsLate: 18211},
			{Round: 2, Tool: ToolVegeta, EventsPerSec: 26342.3, Rate: 26343.8, Requests: 263400, P50Ms: 1.305, P99Ms: 6.877, PeakRSSMB: 19.8, WallSec: 10.02, CPUPct: 73},
			{Round: 2, Tool: ToolK6, EventsPerSec: 14100.5, Requests: 141000, P50Ms: 4.512, P99Ms: 37.02, PeakRSSMB: 76.6, WallSec: 10.15, CPUPct: 97},
			{Round: 2, Tool: ToolHamsasim, EventsPerSec: 23350.7, Requests: 470000, P50Ms: 1.6, P99Ms: 10.1, PeakRSSMB: 131.9, WallSec: 21.2, CPUPct: 99,
				MaxInFlight: 9800, CallsStarted: 30000, CallsCompleted: 29000, CallsIncomplete: 1000, CallsLate: 17000,
				StopReason: "the drain timeout (30s after arrivals ended) passed with calls unfinished"},
		},
	}
	r.summarize()
	return r
}

func TestSummarize(t *testing.T) {
	t.Parallel()
	r := sampleReport()
	if len(r.Summary) != 3 {
		t.Fatalf("summary has %d tools, want 3", len(r.Summary))
	}
	h := r.Summary[2]
	if h.Tool != ToolHamsasim || h.Runs != 2 || h.MedianPerSec != (24100.2+23350.7)/2 || h.MinPerSec != 23350.7 || h.MaxPerSec != 24100.2 || h.MaxPeakRSSMB != 131.9 {
		t.Errorf("hamsasim summary = %+v", h)
	}
	if k := r.Summary[1]; k.Errors != 3 {
		t.Errorf("k6 errors = %d, want 3", k.Errors)
	}
	vs := r.Ratios[0]
	if vs.Peer != ToolVegeta || vs.Target != TargetVsVegeta || vs.Met || math.Abs(vs.Value-0.9146) > 0.001 {
		t.Errorf("vs vegeta = %+v, want 0.91: not met at 0.95", vs)
	}
	if r.Memory.Verdict != Met || r.Memory.MaxInFlight != 10000 || r.Memory.MaxMB != 131.9 {
		t.Errorf("memory = %+v", r.Memory)
	}
	wantNotes := []string{
		"k6: 3 failed requests over 2 runs (see the logs)",
		"hamsasim: 1,000 calls were left unfinished when runs stopped (events/s is unaffected: it counts the exchanges made)",
		"hamsasim: 1 of 2 runs stopped early: the drain timeout (30s after arrivals ended) passed with calls unfinished",
	}
	if strings.Join(r.Notes, "\n") != strings.Join(wantNotes, "\n") {
		t.Errorf("notes:\n%s\nwant:\n%s", strings.Join(r.Notes, "\n"), strings.Join(wantNotes, "\n"))
	}
}

func TestSummarizeBusyUnpinned(t *testing.T) {
	t.Parallel()
	r := sampleReport()
	r.Pinning = Pinning{Note: "taskset not found (it is in util-linux): running unpinned, so generator and sink share the cores"}
	r.Results[1].OtherCPUPct = 35
	r.Results[4].OtherCPUPct = 10 // at the threshold: not noisy
	r.summarize()
	got := strings.Join(r.Notes, "\n")
	for _, want := range []string{"unpinned: taskset not found", "more than 10% of a core during 1 of 6 runs (round 1 k6 35%)"} {
		if !strings.Contains(got, want) {
			t.Errorf("notes lack %q:\n%s", want, got)
		}
	}
}

func TestWriteTextGolden(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	if err := sampleReport().WriteText(&b); err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "bench.txt.golden")
	if *update {
		if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if b.String() != string(want) {
		t.Errorf("bench.txt differs from %s (go test -update to accept):\n%s", golden, b.String())
	}
}

func TestWriteFiles(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "bench")
	r := sampleReport()
	if err := r.write(dir); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(dir, "bench.json"))
	if err != nil {
		t.Fatal(err)
	}
	var got Report
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatal(err)
	}
	if got.Tool != "hamsasim-bench" || len(got.Results) != 6 || got.Results[5].StopReason == "" || got.Memory.Verdict != Met || got.Body.Size != 555 {
		t.Errorf("bench.json lost data: %+v", got)
	}
	txt, err := os.ReadFile(filepath.Join(dir, "bench.txt"))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	_ = r.WriteText(&b)
	if string(txt) != b.String() {
		t.Error("bench.txt is not the printed table")
	}
}

func TestConfigCheck(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"zero runs", Config{Runs: 0, Duration: time.Second, Workers: 1, Out: "x"}, "-runs must be from 1 to 50, not 0"},
		{"short", Config{Runs: 1, Duration: time.Millisecond, Workers: 1, Out: "x"}, "-duration must be from 1s to 5m0s, not 1ms"},
		{"no workers", Config{Runs: 1, Duration: time.Second, Workers: 0, Out: "x"}, "-workers must be from 1 to 10000, not 0"},
		{"no out", Config{Runs: 1, Duration: time.Second, Workers: 1}, "-out must name a directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.cfg.check()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("check() = %v, want it to say %q", err, tt.want)
			}
		})
	}
	ok := Config{Runs: DefaultRuns, Duration: DefaultDuration, Workers: DefaultWorkers, Out: DefaultOut}
	if err := ok.check(); err != nil || ok.Go != "go" || ok.Scenario != DefaultScenario || ok.Log == nil {
		t.Errorf("defaults: err %v, cfg %+v", err, ok)
	}
}
