package cli

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hamsasim/hamsasim/internal/report"
)

// The zoo (testdata/zoo) is a set of webhook receivers written the way
// developers on other stacks write them, independently of hamsasim: four
// correct ones with their stack's own answers (204, 202 queued, FastAPI's
// shapes, text/plain), and one per defect class. TestZoo runs hamsasim
// against each, as a user would, and asserts exactly which checks fire.

// zooDeadline bounds each run: a run against a receiver that fails every
// event of two types must still end within a minute.
const zooDeadline = 60 * time.Second

// zooParallel is how many runs go at once (the receivers are processes of
// their own; two keep a 2-core machine responsive).
const zooParallel = 2

type zooCase struct {
	name string // the row; the receiver's -kind unless the case is a load run
	kind string
	hmac bool // Standard Webhooks signatures instead of a Bearer token
	load bool // hamsasim load --scenario steady --duration 5s instead of simulate
	// want is the set of checks fired with severity error or warning.
	want     []string
	wantExit int
	wantOut  string // a word the output must contain
	// bounded: the run must say it sent a failing event type once per
	// event instead of retrying each (and must say nothing of it otherwise).
	bounded bool
}

var zooCases = []zooCase{
	// Slow ones first, so that the others run beside them.
	// The guide's own sample: a verdict, probes included, in well under a
	// minute (zooDeadline), with the retries it did not make reported.
	{name: "express-sample", want: []string{"status.2xx"}, wantExit: ExitFindings, bounded: true},
	{name: "drop-events (load)", kind: "drop-events", load: true, wantExit: ExitFindings, wantOut: "lost"},
	{name: "cold-start", want: []string{"latency.5s", "status.2xx"}, wantExit: ExitFindings},
	{name: "ok-204", wantExit: ExitPassed},
	{name: "ok-202-queued", wantExit: ExitPassed},
	{name: "ok-fastapi", wantExit: ExitPassed},
	{name: "ok-hmac-raw", hmac: true, wantExit: ExitPassed},
	{name: "dup-key-coarse", want: []string{"duplicate.first", "event.lost"}, wantExit: ExitFindings},
	{name: "race-check-then-insert", want: []string{"duplicate.race"}, wantExit: ExitFindings},
	{name: "hmac-reserialize", hmac: true, want: []string{"payload.equivalent"}, wantExit: ExitFindings},
	{name: "auth-prefix-only", want: []string{"auth.wrong"}, wantExit: ExitFindings},
	// Accepting requests without credentials also accepts wrong ones.
	{name: "no-auth", want: []string{"auth.missing", "auth.wrong"}, wantExit: ExitFindings},
	{name: "order-strict", want: []string{"order.tolerant"}, wantExit: ExitFindings},
	// The multilingual fixture's Arabic and Hindi turns fail in a row: the
	// run sends the later ones once each and says so.
	{name: "ascii-only", want: []string{"status.2xx"}, wantExit: ExitFindings, bounded: true},
	{name: "drop-events", want: []string{"event.lost"}, wantExit: ExitFindings},
	// The long-hour fixture's call.ended is over 100 kB as well: refused
	// in the replay too.
	{name: "small-body-limit", want: []string{"payload.large", "status.2xx"}, wantExit: ExitFindings},
}

// zooRow is one line of the table TestZoo logs.
type zooRow struct {
	name    string
	fired   string
	exit    int
	seconds float64
}

func TestZoo(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("the go command is not on PATH: the zoo receivers (testdata/zoo) cannot be built")
	}
	bin := buildZoo(t, goBin)
	rows := make([]zooRow, len(zooCases))
	// zooParallel workers take the cases in order (t.Run may be called
	// from several goroutines), so the slow ones start first.
	next := make(chan int)
	var wg sync.WaitGroup
	for range zooParallel {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				c := zooCases[i]
				if c.kind == "" {
					c.kind = c.name
				}
				rows[i] = zooRow{name: c.name, fired: "(not run)", exit: -1}
				t.Run(c.name, func(t *testing.T) { rows[i] = runZooCase(t, bin, c) })
			}
		}()
	}
	for i := range zooCases {
		next <- i
	}
	close(next)
	wg.Wait()
	var b strings.Builder
	b.WriteString("| receiver | checks fired | exit | seconds |\n|---|---|---|---|\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "| %s | %s | %d | %.1f |\n", r.name, r.fired, r.exit, r.seconds)
	}
	t.Log("\n" + b.String())
	if path := os.Getenv("HAMSASIM_ZOO_TABLE"); path != "" {
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			t.Errorf("writing the table to $HAMSASIM_ZOO_TABLE: %v", err)
		}
	}
}

// buildZoo builds testdata/zoo (ignored by ./..., so built by path).
func buildZoo(t *testing.T, goBin string) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "zoo")
	cmd := exec.Command(goBin, "build", "-o", bin, "./testdata/zoo")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./testdata/zoo: %v\n%s", err, out)
	}
	return bin
}

func runZooCase(t *testing.T, bin string, c zooCase) zooRow {
	vars := map[string]string{"WEBHOOK_SECRET": testSecret}
	recvFlags := []string{"-token", testSecret}
	auth := []string{"--auth", "bearer"}
	if c.hmac {
		secret := "whsec_" + base64.StdEncoding.EncodeToString(testKey)
		vars = map[string]string{"WEBHOOK_SIGNING_SECRET": secret}
		recvFlags = []string{"-signing-secret", secret}
		auth = []string{"--auth", "hmac"}
	}
	base, logs := startZoo(t, bin, c.kind, recvFlags...)
	dir := t.TempDir()
	var args []string
	if c.load {
		args = []string{"load", "--scenario", "steady", "--duration", "5s", "--seed", "7",
			"--report-dir", filepath.Join(dir, "load")}
	} else {
		// --strict: a warning fails the run too, so a correct receiver must
		// raise nothing above a note.
		args = []string{"simulate", "--seed", "7", "--strict", "--json", filepath.Join(dir, "report.json")}
	}
	args = append(args, "--target", base+"/webhook", "--probe-url", base)
	args = append(args, auth...)

	ctx, cancel := context.WithTimeout(context.Background(), zooDeadline)
	defer cancel()
	began := time.Now()
	r := runCLIContext(ctx, vars, args...)
	row := zooRow{name: c.name, exit: r.code, seconds: time.Since(began).Seconds()}
	if ctx.Err() != nil {
		t.Errorf("%s did not finish within %s (stopped: exit %d)", args[0], zooDeadline, r.code)
	}

	var fired []string
	var detail string
	if c.load {
		row.fired, detail = loadOutcome(t, filepath.Join(dir, "load", "summary.json"))
		if c.wantOut != "" && !strings.Contains(r.stdout+r.stderr, c.wantOut) {
			t.Errorf("the output does not mention %q:\n%s%s", c.wantOut, r.stdout, r.stderr)
		}
	} else {
		fired, detail = firedChecks(t, filepath.Join(dir, "report.json"))
		row.fired = strings.Join(fired, ", ")
		if row.fired == "" {
			row.fired = "-"
		}
		want := slices.Clone(c.want)
		sort.Strings(want)
		if !slices.Equal(fired, want) {
			t.Errorf("checks fired (error or warning): got %v, want %v", fired, want)
		}
		if rep := readRun(t, filepath.Join(dir, "report.json")); len(rep.Probes) == 0 || rep.NotSent > 0 {
			t.Errorf("the run ended before its probes or events: %d probes, %d events not sent", len(rep.Probes), rep.NotSent)
		} else if c.bounded != (len(rep.Bounds) > 0) {
			t.Errorf("bounds: got %q, want some: %v", rep.Bounds, c.bounded)
		}
	}
	if r.code != c.wantExit {
		t.Errorf("exit code: got %d, want %d", r.code, c.wantExit)
	}
	if t.Failed() {
		t.Logf("hamsasim %s\nfindings:\n%s\nstdout (last lines):\n%s\nstderr:\n%s\nreceiver's log (last lines):\n%s",
			strings.Join(args, " "), detail, tail(r.stdout, 25), r.stderr, tail(logs.String(), 10))
	}
	return row
}

// readRun reads a simulate JSON report.
func readRun(t *testing.T, path string) report.Run {
	t.Helper()
	var r report.Run
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("no report: %v", err)
	}
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatalf("report %s: %v", path, err)
	}
	return r
}

// runCLIContext is runCLI under a context (a deadline here).
func runCLIContext(ctx context.Context, vars map[string]string, args ...string) result {
	var out, errb bytes.Buffer
	code := run(ctx, args, &env{stdout: &out, stderr: &errb, getenv: func(k string) string { return vars[k] }})
	return result{code, out.String(), errb.String()}
}

// firedChecks reads a simulate JSON report: the distinct checks of
// severity error or warning, sorted, and a line per such finding.
func firedChecks(t *testing.T, path string) ([]string, string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Errorf("no JSON report: %v", err)
		return nil, ""
	}
	var rep struct {
		Findings []zooFinding `json:"findings"`
		Notes    []zooFinding `json:"notes"`
	}
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Errorf("the JSON report does not parse: %v", err)
		return nil, ""
	}
	// One line per check, probe and event type: the replay reports some
	// checks once per delivery.
	type group struct{ check, probe, event string }
	count := map[group]int{}
	var order []group
	first := map[group]zooFinding{}
	var fired []string
	for _, f := range append(rep.Findings, rep.Notes...) {
		if f.Severity != "error" && f.Severity != "warning" {
			continue
		}
		g := group{f.Check, f.Probe, f.Event}
		if count[g] == 0 {
			order = append(order, g)
			first[g] = f
			if !slices.Contains(fired, f.Check) {
				fired = append(fired, f.Check)
			}
		}
		count[g]++
	}
	sort.Strings(fired)
	var detail strings.Builder
	for i, g := range order {
		if i == 15 {
			fmt.Fprintf(&detail, "  ... and %d more kinds\n", len(order)-i)
			break
		}
		f := first[g]
		fmt.Fprintf(&detail, "  %d× %s %s [%s %s]: %s\n", count[g], f.Severity, f.Check, f.Probe, f.Event, excerpt(f.Message, 200))
	}
	return fired, detail.String()
}

type zooFinding struct {
	Check    string `json:"check"`
	Severity string `json:"severity"`
	Probe    string `json:"probe"`
	Event    string `json:"event"`
	Message  string `json:"message"`
}

// loadOutcome sums up a load run's summary.json for the table: the end
// state's audit and the thresholds that failed.
func loadOutcome(t *testing.T, path string) (string, string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Errorf("no summary.json: %v", err)
		return "-", ""
	}
	var s struct {
		Audit struct {
			Acknowledged int64    `json:"acknowledged"`
			Checked      int64    `json:"checked"`
			Lost         int64    `json:"lost"`
			Duplicated   int64    `json:"duplicated"`
			Problems     []string `json:"problems"`
		} `json:"audit"`
		Thresholds []struct {
			Threshold string `json:"threshold"`
			GotText   string `json:"gotText"`
			Held      bool   `json:"held"`
		} `json:"thresholds"`
	}
	if err := json.Unmarshal(data, &s); err != nil {
		t.Errorf("summary.json does not parse: %v", err)
		return "-", ""
	}
	var failed []string
	for _, th := range s.Thresholds {
		if !th.Held {
			failed = append(failed, fmt.Sprintf("%s (got %s)", th.Threshold, th.GotText))
		}
	}
	out := fmt.Sprintf("audit: %d of %d acknowledged events lost, %d duplicated", s.Audit.Lost, s.Audit.Acknowledged, s.Audit.Duplicated)
	if len(failed) > 0 {
		out += "; thresholds failed: " + strings.Join(failed, ", ")
	}
	return out, "  " + strings.Join(s.Audit.Problems, "\n  ") + "\n"
}

// startZoo starts one receiver on a loopback port and returns its base
// URL and its log; it is killed when the test ends.
func startZoo(t *testing.T, bin, kind string, flags ...string) (string, *zooBuffer) {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"-kind", kind, "-addr", "127.0.0.1:0", "-exit-with-stdin"}, flags...)...)
	// The receiver exits when its stdin ends: if this process dies before
	// its clean-up, the kernel closes hold and the receiver goes too.
	stdin, hold, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout := &firstLine{ready: make(chan string, 1)}
	logs := &zooBuffer{}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, stdout, logs
	cmd.WaitDelay = 2 * time.Second
	err = cmd.Start()
	stdin.Close()
	if err != nil {
		hold.Close()
		t.Fatalf("starting zoo -kind %s: %v", kind, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
		hold.Close()
	})
	select {
	case line := <-stdout.ready:
		base, ok := strings.CutPrefix(line, "listening ")
		if !ok || !strings.HasPrefix(base, "http://127.0.0.1:") {
			t.Fatalf("zoo -kind %s printed %q, not \"listening http://127.0.0.1:PORT\"", kind, line)
		}
		return base, logs
	case err := <-exited:
		exited <- err // for the clean-up
		t.Fatalf("zoo -kind %s exited before listening (%v): %s", kind, err, logs)
	case <-time.After(10 * time.Second):
		t.Fatalf("zoo -kind %s printed no listening line within 10 s: %s", kind, logs)
	}
	return "", nil
}

// firstLine hands over the first line written to it; the rest is kept.
type firstLine struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	sent  bool
	ready chan string
}

func (w *firstLine) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if i := bytes.IndexByte(w.buf.Bytes(), '\n'); i >= 0 && !w.sent {
		w.sent = true
		w.ready <- string(w.buf.Bytes()[:i])
	}
	return len(p), nil
}

// zooBuffer is a bytes.Buffer safe for the process's writer and the test.
type zooBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *zooBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *zooBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func tail(s string, lines int) string {
	parts := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(parts) > lines {
		parts = append([]string{"..."}, parts[len(parts)-lines:]...)
	}
	return strings.Join(parts, "\n")
}

func excerpt(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "..."
	}
	return s
}
