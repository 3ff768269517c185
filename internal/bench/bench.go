// Package bench measures `hamsasim load` against the vegeta and k6 CLIs on
// loopback: each tool in turn loads a minimal Go sink at its maximum rate,
// generator and sink pinned to separate cores, several interleaved rounds;
// the medians, the ratios against the requirement's targets and hamsasim's
// memory with 10,000 calls in flight go to a table, bench.txt and
// bench.json. It is a measurement: targets that are not met are reported,
// not returned as errors; a tool that fails to run is an error.
package bench

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/hamsasim/hamsasim/internal/scenario"
)

// Defaults of the driver's flags.
const (
	DefaultRuns     = 5
	DefaultDuration = 10 * time.Second
	DefaultWorkers  = 64
	DefaultOut      = "reports/bench/"
	DefaultScenario = "internal/bench/testdata/max-rate.yaml"
)

// What the requirement asks of hamsasim, and how the bench loads it.
const (
	TargetVsVegeta = 0.95  // hamsasim's events/s at least 0.95x vegeta's
	TargetVsK6     = 1.5   // and at least 1.5x k6's
	MemoryLimitMB  = 150.0 // peak RSS under this...
	MaxInFlight    = 10_000
	// The large mode (-in-flight 100000): peak RSS under LargeMemoryLimitMB
	// with LargeInFlight calls in flight.
	LargeInFlight      = 100_000
	LargeMemoryLimitMB = 300.0
	// Authorization is the header every tool sends; the sink ignores it.
	Authorization = "Bearer bench-token"
)

// Limits on the flags, so a typo cannot run for hours.
const (
	MaxRuns     = 50
	MaxDuration = 5 * time.Minute
	MaxWorkers  = 10_000
)

// ErrConfig is wrapped by every error about the configuration.
var ErrConfig = errors.New("invalid bench configuration")

// Config is one bench's settings.
type Config struct {
	Runs     int           // rounds; each runs every tool once
	Duration time.Duration // of each tool's load
	Workers  int           // vegeta workers, k6 VUs, hamsasim workers
	Out      string        // directory for bench.json, bench.txt and logs
	Hamsasim string        // a built hamsasim; "" builds ./cmd/hamsasim
	Scenario string        // the hamsasim scenario; it also sizes the peers' body
	InFlight int           // calls in flight at most (hamsasim's --max-in-flight); 0 is MaxInFlight
	Go       string        // the go command; "" is "go"
	Log      io.Writer     // progress; nil discards it
}

func (c *Config) check() error {
	var bad []string
	if c.Runs < 1 || c.Runs > MaxRuns {
		bad = append(bad, fmt.Sprintf("-runs must be from 1 to %d, not %d", MaxRuns, c.Runs))
	}
	if c.Duration < time.Second || c.Duration > MaxDuration {
		bad = append(bad, fmt.Sprintf("-duration must be from 1s to %s, not %s", MaxDuration, c.Duration))
	}
	if c.Workers < 1 || c.Workers > MaxWorkers {
		bad = append(bad, fmt.Sprintf("-workers must be from 1 to %d, not %d", MaxWorkers, c.Workers))
	}
	if c.Out == "" {
		bad = append(bad, "-out must name a directory")
	}
	if c.InFlight == 0 {
		c.InFlight = MaxInFlight
	}
	if c.InFlight < 1 || c.InFlight > LargeInFlight {
		bad = append(bad, fmt.Sprintf("-in-flight must be from 1 to %d, not %d", LargeInFlight, c.InFlight))
	}
	if len(bad) > 0 {
		return fmt.Errorf("%w: %s", ErrConfig, strings.Join(bad, "; "))
	}
	if c.Go == "" {
		c.Go = "go"
	}
	if c.Scenario == "" {
		c.Scenario = DefaultScenario
	}
	if c.Log == nil {
		c.Log = io.Discard
	}
	return nil
}

// MemoryLimitFor is the peak RSS allowed with inFlight calls in flight.
func MemoryLimitFor(inFlight int) float64 {
	if inFlight > MaxInFlight {
		return LargeMemoryLimitMB
	}
	return MemoryLimitMB
}

// bench is one run's fixed inputs.
type bench struct {
	cfg         Config
	pin         Pinning
	dir         string // scratch, removed at the end
	logDir      string
	round       int
	peers       []Peer
	hamsasim    string
	target      string // the sink's webhook URL
	targetsFile string
	scriptFile  string
	drain       time.Duration
	sinkPid     int
}

func (b *bench) peer(name string) string {
	for _, p := range b.peers {
		if p.Name == name {
			return p.Path
		}
	}
	return name
}

// settle is the pause between runs, for the sink to close the last tool's
// connections.
const settle = time.Second

// Run installs the peers if needed, starts the sink, runs cfg.Runs
// interleaved rounds of vegeta, k6 and hamsasim, writes bench.json and
// bench.txt to cfg.Out and prints the table to stdout. Every process it
// starts is dead when it returns, ctx cancelled or not.
func Run(ctx context.Context, cfg Config, stdout io.Writer) (*Report, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	sc, body, err := readInputs(cfg.Scenario)
	if err != nil {
		return nil, err
	}
	b := &bench{cfg: cfg, drain: sc.Drain, logDir: filepath.Join(cfg.Out, "logs")}
	// Logs of an earlier bench would pass for this one's.
	if err := os.RemoveAll(b.logDir); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(b.logDir, 0o755); err != nil {
		return nil, err
	}
	if b.dir, err = os.MkdirTemp("", "hamsasim-bench-"); err != nil {
		return nil, err
	}
	defer os.RemoveAll(b.dir)

	rep := &Report{
		StartedAt: time.Now().UTC(), Runs: cfg.Runs, DurationMs: cfg.Duration.Milliseconds(),
		Workers: cfg.Workers, InFlight: cfg.InFlight, Scenario: sc.Name, ScenarioFile: cfg.Scenario, Body: body,
		Cores: runtime.NumCPU(),
	}
	if err := b.prepareTools(ctx, rep); err != nil {
		return nil, err
	}

	sink, err := b.startSink(ctx)
	if err != nil {
		return nil, err
	}
	defer sink.kill()
	b.sinkPid = sink.cmd.Process.Pid
	if err := b.writeInputs(body); err != nil {
		return nil, err
	}
	fmt.Fprintf(cfg.Log, "sink at %s; body %d bytes; %d rounds of %s per tool, %d workers\n",
		b.target, body.Size, cfg.Runs, cfg.Duration, cfg.Workers)

	if err := b.rounds(ctx, sink, rep); err != nil {
		return nil, err
	}
	rep.EndedAt = time.Now().UTC()
	rep.summarize()
	if err := rep.write(cfg.Out); err != nil {
		return rep, err
	}
	if err := rep.WriteText(stdout); err != nil {
		return rep, err
	}
	fmt.Fprintf(stdout, "\nwritten: %s, %s\n", filepath.Join(cfg.Out, "bench.txt"), filepath.Join(cfg.Out, "bench.json"))
	return rep, nil
}

// readInputs reads the scenario at path and the body vegeta and k6 send,
// sized from that scenario's events.
func readInputs(path string) (*scenario.Scenario, Body, error) {
	sc, err := scenario.ReadFile(path)
	if err != nil {
		return nil, Body{}, err
	}
	fixtures, err := ShippedFixtures()
	if err != nil {
		return nil, Body{}, err
	}
	body, err := BenchBody(sc, fixtures)
	if err != nil {
		return nil, Body{}, err
	}
	return sc, body, nil
}

// prepareTools finds or installs the peers, detects the pinning and builds
// the sink and hamsasim, recording the peers and the pinning in rep.
func (b *bench) prepareTools(ctx context.Context, rep *Report) error {
	if err := b.preparePeers(ctx); err != nil {
		return err
	}
	rep.Peers = b.peers
	b.pin = DetectPinning(ctx)
	rep.Pinning = b.pin
	fmt.Fprintf(b.cfg.Log, "pinning: %s\n", b.pin.Note)
	return b.build(ctx)
}

// rounds runs every tool once a round, cfg.Runs rounds, a settle pause
// before each run, and appends each run's result to rep. It stops at the
// first run that fails, or when the sink exits or ctx is cancelled.
func (b *bench) rounds(ctx context.Context, sink *process, rep *Report) error {
	for b.round = 1; b.round <= b.cfg.Runs; b.round++ {
		for _, tool := range Tools {
			select {
			case <-sink.done:
				return sink.failure("exited during the bench", sink.err)
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(settle):
			}
			r, err := b.runTool(ctx, tool)
			if err != nil {
				return err
			}
			r.Round, r.Tool = b.round, tool
			rep.Results = append(rep.Results, r)
			fmt.Fprintf(b.cfg.Log, "round %d/%d %-8s %s events/s, %s errors, p99 %.2f ms, peak RSS %.1f MB\n",
				b.round, b.cfg.Runs, tool, commas(r.EventsPerSec), commas(float64(r.Errors)), r.P99Ms, r.PeakRSSMB)
		}
	}
	return nil
}

// runTool runs tool once in the current round. A run in which every
// request failed is an error: its numbers would measure nothing.
func (b *bench) runTool(ctx context.Context, tool string) (RunResult, error) {
	var r RunResult
	var err error
	switch tool {
	case ToolVegeta:
		r, err = b.runVegeta(ctx)
	case ToolK6:
		r, err = b.runK6(ctx)
	case ToolHamsasim:
		r, err = b.runHamsasim(ctx, b.round)
	}
	if err != nil {
		return r, fmt.Errorf("round %d, %s: %w", b.round, tool, err)
	}
	if r.Requests > 0 && r.Errors >= r.Requests {
		return r, toolErr("round %d, %s: every one of its %d requests failed; see %s", b.round, tool, r.Requests, b.logDir)
	}
	return r, nil
}

// preparePeers finds or installs vegeta and k6 at their pinned versions.
func (b *bench) preparePeers(ctx context.Context) error {
	gopath, err := goEnv(ctx, b.cfg.Go, "GOPATH")
	if err != nil {
		return err
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	cache = filepath.Join(cache, "hamsasim-bench")
	for _, p := range Peers() {
		installed, err := p.Ensure(ctx, b.cfg.Go, gopath, cache, b.cfg.Log)
		if err != nil {
			return err
		}
		how := "found"
		if installed {
			how = "installed"
		}
		fmt.Fprintf(b.cfg.Log, "%s %s: %s at %s\n", p.Name, p.Version, how, p.Path)
		b.peers = append(b.peers, p)
	}
	return nil
}

// build builds the sink and, unless one was given, hamsasim.
func (b *bench) build(ctx context.Context) error {
	pkgs := [][2]string{{"hamsasim-sink", "./cmd/hamsasim-sink"}}
	b.hamsasim = b.cfg.Hamsasim
	if b.hamsasim == "" {
		pkgs = append(pkgs, [2]string{"hamsasim", "./cmd/hamsasim"})
		b.hamsasim = filepath.Join(b.dir, "hamsasim")
	} else if _, err := os.Stat(b.hamsasim); err != nil {
		return fmt.Errorf("%w: -hamsasim: %w", ErrConfig, err)
	}
	for _, p := range pkgs {
		fmt.Fprintf(b.cfg.Log, "building %s\n", p[1])
		out, err := exec.CommandContext(ctx, b.cfg.Go, "build", "-o", filepath.Join(b.dir, p[0]), p[1]).CombinedOutput()
		if err != nil {
			return fmt.Errorf("go build %s (run the bench from the repository's root): %w\n%s", p[1], err, tail(out, 20))
		}
	}
	return nil
}

// sinkStartTimeout bounds the wait for the sink's address line.
const sinkStartTimeout = 10 * time.Second

// startSink starts the sink on the sink core on a free port and waits for
// the address it prints.
func (b *bench) startSink(ctx context.Context) (*process, error) {
	addr := make(chan string, 1)
	pr, pw := io.Pipe()
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			if a, ok := strings.CutPrefix(sc.Text(), "listening on "); ok {
				select {
				case addr <- a:
				default:
				}
			}
		}
		_, _ = io.Copy(io.Discard, pr)
	}()
	p, err := start(ctx, b.pin, procSpec{
		Name: "sink", Args: []string{filepath.Join(b.dir, "hamsasim-sink"), "-port", "0"},
		Core: sinkCore, Stdout: pw, Log: filepath.Join(b.logDir, "sink.log"),
	})
	if err != nil {
		pw.Close()
		return nil, err
	}
	go func() { <-p.done; pw.Close() }()
	select {
	case a := <-addr:
		b.target = a + "/webhook"
		return p, nil
	case <-p.done:
		return nil, p.failure("exited at start", p.err)
	case <-time.After(sinkStartTimeout):
		p.kill()
		return nil, p.failure("did not start", fmt.Errorf("no address printed within %s", sinkStartTimeout))
	case <-ctx.Done():
		p.kill()
		return nil, ctx.Err()
	}
}

// writeInputs writes vegeta's targets file, the body and the k6 script.
func (b *bench) writeInputs(body Body) error {
	b.targetsFile = filepath.Join(b.dir, "targets.json")
	b.scriptFile = filepath.Join(b.dir, "bench.js")
	bodyFile := filepath.Join(b.dir, "body.json")
	t, err := VegetaTarget(b.target, body.Bytes, Authorization)
	if err != nil {
		return err
	}
	for _, f := range []struct {
		path string
		data []byte
	}{
		{b.targetsFile, t},
		{bodyFile, body.Bytes},
		{b.scriptFile, []byte(K6Script(b.target, bodyFile, Authorization, b.cfg.Workers, b.cfg.Duration))},
	} {
		if err := os.WriteFile(f.path, f.data, 0o644); err != nil {
			return err
		}
	}
	return nil
}
