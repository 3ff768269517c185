package cli

import (
	"context"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hamsasim/hamsasim/internal/loadreport"
)

// knownCapacities are zoo receivers (testdata/zoo/capacity.go) whose
// capacity is known exactly, spanning ×10: one worker at 25 ms, a pool of
// 8 workers at 20 ms, and a token bucket that answers 429 past its rate.
var knownCapacities = []struct {
	name  string
	kind  string
	flags []string
	truth float64 // events/s
}{
	{"one queue, 25 ms", "queue", []string{"-workers", "1", "-work", "25ms"}, 40},
	{"8 workers, 20 ms", "queue", []string{"-workers", "8", "-work", "20ms"}, 400},
	{"token bucket, 429 past it", "rate-limit", []string{"-rate", "150", "-burst", "50"}, 150},
}

// capacityTolerance is how far the capacity found may be from the truth.
const capacityTolerance = 0.15

// TestCapacityOfKnownReceivers runs `hamsasim load --find-capacity`, as a
// user would, against receivers of known capacity and checks the
// capacity it reports (events acknowledged per second at the highest rate
// that held) is within ±15% of the truth. The fast version (make test)
// searches with a mix at a hundredth of real time and 4 s stages; with
// HAMSASIM_CAPACITY=long (make capacity) it searches with the shipped
// steady scenario and the default stage settings, and writes the table to
// $HAMSASIM_CAPACITY_TABLE when set.
func TestCapacityOfKnownReceivers(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("the go command is not on PATH: the zoo receivers (testdata/zoo) cannot be built")
	}
	long := os.Getenv("HAMSASIM_CAPACITY") == "long"
	args := []string{"load", "--scenario", filepath.Join("testdata", "capacity-fast.yaml"), "--find-capacity", "--stage", "4s", "--seed", "5"}
	deadline := 4 * time.Minute
	if long {
		args = []string{"load", "--scenario", "steady", "--find-capacity", "--seed", "5"}
		deadline = 30 * time.Minute
	}
	bin := buildZoo(t, goBin)
	rows := make([]string, len(knownCapacities))
	var wg sync.WaitGroup
	for i, kc := range knownCapacities {
		wg.Go(func() {
			t.Run(kc.name, func(t *testing.T) {
				base, logs := startZoo(t, bin, kc.kind, kc.flags...)
				dir := t.TempDir()
				ctx, cancel := context.WithTimeout(context.Background(), deadline)
				defer cancel()
				began := time.Now()
				r := runCLIContext(ctx, nil, append(args, "--target", base+"/webhook", "--report-dir", dir)...)
				took := time.Since(began)
				s := readSummary(t, dir)
				c := s.Capacity
				if c == nil || !c.Found {
					t.Fatalf("no capacity found (exit %d):\n%s\n%s\nreceiver: %s", r.code, tail(r.stdout, 30), r.stderr, tail(logs.String(), 5))
				}
				if long {
					t.Logf("hamsasim %s\n%s", strings.Join(args, " "), capacitySection(r.stdout))
				}
				off := c.EventsPerSec/kc.truth - 1
				rows[i] = fmt.Sprintf("| %s | %.0f | %s calls/s | %.1f | %+.1f%% | %d | %s |",
					kc.name, kc.truth, loadreport.FormatRate(c.CallsPerSec), c.EventsPerSec, 100*off, len(c.Stages), took.Round(time.Second))
				if math.Abs(off) > capacityTolerance {
					t.Errorf("capacity %.1f events/s, the truth is %.0f: %+.1f%% (tolerance ±%.0f%%)\n%s", c.EventsPerSec, kc.truth, 100*off, 100*capacityTolerance, tail(r.stdout, 30))
				}
				if r.code != ExitPassed {
					t.Errorf("exit %d, want %d (a capacity was found)\n%s", r.code, ExitPassed, r.stderr)
				}
				broke := 0
				for _, st := range c.Stages {
					if st.Verdict == "" {
						t.Errorf("stage at %v calls/s has no verdict", st.CallsPerSec)
					}
					if !st.Held {
						broke++
					}
				}
				if broke == 0 {
					t.Errorf("no stage broke: the search never went past the receiver's capacity")
				}
				if ctx.Err() != nil {
					t.Errorf("the search did not end within %s", deadline)
				}
			})
		})
	}
	wg.Wait()
	table := "| receiver | truth events/s | capacity found | events/s | off by | stages | took |\n|---|---|---|---|---|---|---|\n" + strings.Join(rows, "\n") + "\n"
	t.Log("\n" + table)
	if path := os.Getenv("HAMSASIM_CAPACITY_TABLE"); path != "" {
		if err := os.WriteFile(path, []byte(table), 0o644); err != nil {
			t.Errorf("writing the table to $HAMSASIM_CAPACITY_TABLE: %v", err)
		}
	}
}

// capacitySection is the capacity table of load's text output.
func capacitySection(out string) string {
	i := strings.Index(out, "capacity search")
	if i < 0 {
		return tail(out, 30)
	}
	rest := out[i:]
	if j := strings.Index(rest, "\n\n"); j >= 0 {
		rest = rest[:j]
	}
	return rest
}
