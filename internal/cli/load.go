package cli

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"net"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/hamsasim/hamsasim"
	"github.com/hamsasim/hamsasim/internal/event"
	"github.com/hamsasim/hamsasim/internal/fixture"
	"github.com/hamsasim/hamsasim/internal/load"
	"github.com/hamsasim/hamsasim/internal/loadreport"
	"github.com/hamsasim/hamsasim/internal/probe"
	"github.com/hamsasim/hamsasim/internal/report"
	"github.com/hamsasim/hamsasim/internal/scenario"
	"github.com/hamsasim/hamsasim/internal/suggest"
	"github.com/hamsasim/hamsasim/internal/yamlfile"
)

// Limits above which a load run against a target that is not on this
// machine needs --yes: it could hurt a shared staging system.
const (
	safeRemoteRate     = 5.0 // calls/s
	safeRemoteDuration = 5 * time.Minute
	maxStartAtWait     = time.Hour
)

type loadCmd struct {
	e            *env
	scenario     string
	target       string
	duration     time.Duration
	drain        time.Duration
	reportDir    string
	junitOut     string
	jsonOut      string
	seed         string
	shard        string
	workers      int
	maxInFlight  int
	quiet        bool
	yes          bool
	insecure     bool
	auth         string
	secretEnv    string
	spec         string
	fixtures     []string
	startAt      string
	findCapacity bool
	cpuProfile   string
	stage        time.Duration
	warmup       time.Duration
	maxStages    int
	startRate    float64
	events       []string
	records      recordsFlags
	thresholds   []string
	breaker      time.Duration

	metricsListen string
}

func newLoadCmd(e *env) *cobra.Command {
	l := &loadCmd{e: e}
	cmd := &cobra.Command{
		Use:   "load",
		Short: "Run many concurrent call lifecycles against an endpoint and report capacity",
		Long: `Runs a load scenario (see scenarios/README.md): new calls arrive at the
scenario's rate, each replays a fixture's lifecycle in order (events spaced
by the fixture's offsets times timeScale), with duplicates and shuffled calls
as the scenario asks, through vegeta. After the arrival period, calls in
flight finish their lifecycle (bounded by the scenario's drain).

Writes summary.json, results.bin (vegeta results: 'vegeta report results.bin')
and report.html (works offline) to --report-dir.

Progress goes to stderr: on a terminal one line redrawn in place, fitted
to its width; elsewhere (a CI log) a plain line every 10 s. --quiet
silences it. --metrics-listen ADDR serves Prometheus metrics at
http://ADDR/metrics while the run goes.

--scenario is a file, or the name of a shipped scenario (steady,
peak-ramp, duplicate-storm, slow-consumer, soak, outage-recovery).
With no --target, runs against the embedded reference receiver.

Exit codes: 0 every threshold held, 1 a threshold failed (or, with
--find-capacity, no rate held), 2 bad flags or input files, 130 interrupted.`,
		Example: `  hamsasim load --scenario scenarios/steady.yaml --duration 10s
  hamsasim load --scenario steady --find-capacity
  WEBHOOK_SECRET='Bearer sk_test_123' hamsasim load --scenario peak-ramp --target https://staging.example.com/hamsa --yes
  hamsasim load --scenario steady --shard 0/4 --seed 42 --report-dir reports/run1/shard-0`,
		Args: cobra.NoArgs,
		RunE: l.run,
	}
	f := cmd.Flags()
	f.StringVar(&l.scenario, "scenario", "", "scenario file, or a shipped scenario's name (required)")
	f.StringVar(&l.target, "target", "", "webhook URL to load (default: the embedded reference receiver)")
	f.DurationVar(&l.duration, "duration", 0, "how long new calls arrive (default: the scenario's duration)")
	f.DurationVar(&l.drain, "drain", -1, "after arrivals end, how long in-flight calls may take (default: the scenario's drain)")
	f.StringVar(&l.reportDir, "report-dir", "", "where the reports go (default reports/<scenario>-<UTC time>)")
	f.StringVar(&l.junitOut, "junit", "", "also write the threshold verdicts as JUnit XML to this file (- for standard output; the summary then goes to stderr)")
	f.StringVar(&l.jsonOut, "json", "", "also write summary.json to this file (- for standard output; the summary then goes to stderr)")
	f.StringVar(&l.seed, "seed", "", "seed for fixture choice, ids, duplicates and shuffles (default: random; in the summary)")
	f.StringVar(&l.shard, "shard", "", "run one slice of the calls, i/n (0-based: 0/4 to 3/4); merge with 'hamsasim report merge'")
	f.IntVar(&l.workers, "workers", load.DefaultWorkers, "concurrent HTTP exchanges at most")
	f.IntVar(&l.maxInFlight, "max-in-flight", load.DefaultMaxInFlight, "calls in flight at most; later arrivals wait and are reported late")
	f.BoolVarP(&l.quiet, "quiet", "q", false, "print only the verdict line; no progress")
	f.BoolVar(&l.yes, "yes", false, fmt.Sprintf("confirm a heavy run against a target not on this machine (over %g calls/s, longer than %s, or --find-capacity)", safeRemoteRate, yamlfile.ShortDuration(safeRemoteDuration)))
	f.BoolVar(&l.insecure, "insecure", false, "do not verify the target's TLS certificate")
	f.StringVar(&l.auth, "auth", "", "bearer, hmac or none, as for simulate")
	f.StringVar(&l.secretEnv, "secret-env", "", "environment variable holding the secret (default WEBHOOK_SECRET, or WEBHOOK_SIGNING_SECRET with --auth hmac)")
	f.StringVar(&l.spec, "spec", "", "OpenAPI contract answers are checked against (default: the shipped one)")
	f.StringSliceVar(&l.fixtures, "fixtures", nil, "fixture files or folders the mix names (default: the shipped fixtures)")
	f.StringSliceVar(&l.events, "events", nil, "deliver only these event types, as to an endpoint subscribed to a subset (default all): "+strings.Join(event.Types, ","))
	l.records.add(f, "read after the run to audit that every acknowledged event was recorded once")
	f.StringArrayVar(&l.thresholds, "threshold", nil, `extra threshold, as in a scenario (repeatable), e.g. "lost == 0"`)
	f.DurationVar(&l.breaker, "breaker", load.DefaultBreakerWindow, "stop the run when the target has given no answer at all for this long (0: never)")
	f.StringVar(&l.startAt, "start-at", "", "wait until this RFC 3339 time to start (shards started together), at most 1h ahead")
	f.BoolVar(&l.findCapacity, "find-capacity", false, "step the arrival rate up (then narrow) until a threshold breaks; report the highest rate that held")
	f.DurationVar(&l.stage, "stage", load.DefaultStage, "with --find-capacity: the part of each stage judged at steady state, after its warm-up")
	f.DurationVar(&l.warmup, "warmup", 0, "with --find-capacity: the start of each stage not judged (default: the mix's longest call at the scenario's time scale)")
	f.IntVar(&l.maxStages, "max-stages", load.DefaultMaxStages, "with --find-capacity: stages at most")
	f.StringVar(&l.cpuProfile, "cpu-profile", "", "write a CPU profile of the run to this file (go tool pprof reads it)")
	f.Float64Var(&l.startRate, "start-rate", 0, "with --find-capacity: first rate in calls/s (default: the scenario's peak rate)")
	f.StringVar(&l.metricsListen, "metrics-listen", "", "serve Prometheus metrics at http://ADDR/metrics while the run goes, e.g. 127.0.0.1:9464 or :9464")
	return cmd
}

func (l *loadCmd) run(cmd *cobra.Command, _ []string) error {
	in, err := l.inputs(cmd)
	if err != nil {
		return err
	}
	p, a, err := l.plan(cmd, in)
	if err != nil {
		return err
	}
	// A bad DSN or query stops the run here, before any event is sent.
	records, closeRecords, err := l.records.open(cmd.Context(), "")
	if err != nil {
		return err
	}
	defer closeRecords()
	if l.records.set() {
		p.Records = records
	}
	stopMetrics, err := l.serveMetrics(&p)
	if err != nil {
		return err
	}
	defer stopMetrics()
	files := reportFiles(in.dir)
	if err := prepareOutputs([][2]string{
		{"--report-dir", files.summary}, {"--report-dir", files.results}, {"--report-dir", files.html}, {"--report-dir", files.dead},
		{"--json", l.jsonOut}, {"--junit", l.junitOut},
	}); err != nil {
		return err
	}
	if err := l.waitStart(cmd, in.startAt); err != nil {
		return err
	}
	if l.target == "" {
		em, err := startEmbedded(a.bearer, a.key)
		if err != nil {
			return err
		}
		defer em.stop()
		u, _ := parseTarget(em.URL)
		p.Target, p.Shown, p.Kind = em.URL, "embedded reference receiver ("+displayURL(u)+")", "embedded"
		if !p.Records.Set() && !l.findCapacity {
			p.Records = probe.Source{URL: em.Base}
		}
	}
	for _, w := range a.warnings {
		fmt.Fprintf(l.e.stderr, "warning: %s\n", w)
	}
	closeFiles, err := openLoadFiles(&p, files)
	if err != nil {
		return err
	}
	defer closeFiles()
	tuneGC(l.e, p.MaxInFlight)
	stopProfile, err := startCPUProfile(l.cpuProfile)
	if err != nil {
		return err
	}
	defer stopProfile()
	s, err := load.Run(cmd.Context(), p)
	stopMetrics() // the run has recorded its last figures
	if s == nil {
		return err
	}
	if werr := writeLoadReports(l.e, s, files, l.jsonOut, l.junitOut, l.quiet); werr != nil {
		return werr
	}
	return err
}

// loadInputs are the flags that need parsing, parsed.
type loadInputs struct {
	extra      []scenario.Threshold
	shardIndex int
	shardCount int
	seed       uint64
	startAt    time.Time
	dir        string
	scenario   *scenario.Scenario
}

// inputs checks the flags and parses those that need it.
func (l *loadCmd) inputs(cmd *cobra.Command) (*loadInputs, error) {
	if err := l.checkRanges(cmd); err != nil {
		return nil, err
	}
	in := &loadInputs{}
	for _, t := range l.thresholds {
		th, err := scenario.ParseThreshold(t)
		var te *scenario.ThresholdError
		if errors.As(err, &te) {
			return nil, usageError("--threshold: %s", te.Reason)
		} else if err != nil {
			return nil, usageError("--threshold: %s", err)
		}
		in.extra = append(in.extra, th)
	}
	var err error
	if in.shardIndex, in.shardCount, err = parseShard(l.shard); err != nil {
		return nil, err
	}
	in.seed = rand.Uint64()
	if l.seed != "" {
		v, err := strconv.ParseUint(l.seed, 10, 64)
		if err != nil {
			return nil, usageError("--seed %q is not a whole number from 0 to %d", l.seed, uint64(1<<64-1))
		}
		in.seed = v
	} else if in.shardCount > 1 {
		return nil, usageError("--shard needs --seed: every shard of one run must use the same seed")
	}
	if l.startAt != "" {
		t, err := time.Parse(time.RFC3339Nano, l.startAt)
		if err != nil {
			return nil, usageError("--start-at %q is not an RFC 3339 time like 2026-03-01T09:00:00Z", l.startAt)
		}
		if wait := time.Until(t); wait > maxStartAtWait {
			return nil, usageError("--start-at %s is %s ahead; at most %s", l.startAt, wait.Round(time.Second), yamlfile.ShortDuration(maxStartAtWait))
		}
		in.startAt = t
	}
	return in, nil
}

// checkRanges checks the flags that need no parsing.
func (l *loadCmd) checkRanges(cmd *cobra.Command) error {
	if l.scenario == "" {
		return usageError("load: --scenario is required (a file, or one of: %s)", strings.Join(shippedScenarioNames(), ", "))
	}
	if err := checkFolder("--report-dir", l.reportDir, "--json - writes the summary there"); err != nil {
		return err
	}
	written := func(name string) string { return cmd.Flags().Lookup(name).Value.String() }
	if cmd.Flags().Changed("duration") && (l.duration <= 0 || l.duration > scenario.MaxDuration) {
		return usageError("--duration %s: use more than 0 and at most %s", written("duration"), yamlfile.ShortDuration(scenario.MaxDuration))
	}
	if cmd.Flags().Changed("drain") && (l.drain < 0 || l.drain > scenario.MaxDrain) {
		return usageError("--drain %s: use 0 to %s", written("drain"), yamlfile.ShortDuration(scenario.MaxDrain))
	}
	if l.workers < 1 || l.workers > load.MaxWorkers {
		return usageError("--workers %d: use 1 to %d", l.workers, load.MaxWorkers)
	}
	if l.maxInFlight < 1 || l.maxInFlight > load.MaxInFlightLimit {
		return usageError("--max-in-flight %d: use 1 to %d", l.maxInFlight, load.MaxInFlightLimit)
	}
	if err := l.checkCapacityFlags(); err != nil {
		return err
	}
	if _, err := parseEvents(l.events); err != nil {
		return err
	}
	if l.breaker < 0 {
		return usageError("--breaker %s: use 0 (never) or a positive duration", written("breaker"))
	}
	if l.findCapacity && l.records.set() {
		return usageError("--probe-url and --effects-db audit one run; a capacity search runs many stages: drop one of the two")
	}
	return l.records.check()
}

// plan reads the scenario, fixtures, contract and credentials into a load
// plan. The target is left empty when the embedded receiver is to serve.
func (l *loadCmd) plan(cmd *cobra.Command, in *loadInputs) (load.Plan, *authSetup, error) {
	sc, err := loadScenario(l.scenario)
	if err != nil {
		return load.Plan{}, nil, err
	}
	if l.duration > 0 {
		sc.Duration = l.duration
	}
	if l.drain >= 0 {
		sc.Drain = l.drain
	}
	sc.Thresholds = append(sc.Thresholds, in.extra...)
	fixtures, err := fixturesByName(cmd, l.fixtures)
	if err != nil {
		return load.Plan{}, nil, err
	}
	if err := checkMix(sc, fixtures); err != nil {
		return load.Plan{}, nil, err
	}
	c, err := loadContract(l.spec)
	if err != nil {
		return load.Plan{}, nil, err
	}
	a, err := resolveAuth(l.e, l.auth, l.secretEnv, l.target == "")
	if err != nil {
		return load.Plan{}, nil, err
	}
	p := load.Plan{
		Scenario: sc, Fixtures: fixtures, Contract: c, Signer: a.signer, Scrubber: a.scrubber(),
		Seed: in.seed, ShardIndex: in.shardIndex, ShardCount: in.shardCount,
		Workers: l.workers, MaxInFlight: l.maxInFlight, Breaker: l.breaker, Insecure: l.insecure, Events: l.events,
	}
	if l.target != "" {
		u, err := parseTarget(l.target)
		if err != nil {
			return load.Plan{}, nil, err
		}
		if err := l.checkSafety(u, sc); err != nil {
			return load.Plan{}, nil, err
		}
		p.Target, p.Shown, p.Kind = l.target, displayURL(u), "url"
	}
	in.dir = l.reportDir
	if in.dir == "" {
		in.dir = filepath.Join("reports", sc.Name+"-"+time.Now().UTC().Format("20060102T150405Z"))
	}
	if l.findCapacity {
		p.Capacity = &load.CapacitySearch{Start: l.startRate, Stage: l.stage, Warmup: l.warmup, MaxStages: l.maxStages, Refine: load.DefaultRefine}
	}
	if !l.quiet {
		// On a terminal a line redrawn in place; elsewhere (CI) a
		// heartbeat line every load.DefaultHeartbeat.
		p.Log, p.Progress, p.ProgressStream = l.e.stderr, l.e.stderr, l.e.stream(l.e.stderr)
		p.Heartbeat = l.e.heartbeat
	}
	return p, a, nil
}

// checkMix names the fixture a scenario's mix asks for and nobody loaded.
func checkMix(sc *scenario.Scenario, fixtures map[string]*fixture.Fixture) error {
	for i, m := range sc.Mix {
		if _, ok := fixtures[m.Fixture]; !ok {
			names := make([]string, 0, len(fixtures))
			for n := range fixtures {
				names = append(names, n)
			}
			hint := ""
			if s := suggest.Name(m.Fixture, names, 3); s != "" {
				hint = fmt.Sprintf("; did you mean %s?", s)
			}
			return usageError("%s: mix[%d]: no fixture is named %q%s (loaded: %s)", sc.Source, i, m.Fixture, hint, strings.Join(slices.Sorted(slices.Values(names)), ", "))
		}
	}
	return nil
}

// waitStart waits for --start-at, or warns that it has passed.
func (l *loadCmd) waitStart(cmd *cobra.Command, startAt time.Time) error {
	if startAt.IsZero() {
		return nil
	}
	wait := time.Until(startAt)
	if wait <= 0 {
		if wait < -time.Second {
			fmt.Fprintf(l.e.stderr, "warning: --start-at %s passed %s ago; starting now (shards started this way do not start together)\n",
				l.startAt, (-wait).Round(time.Second))
		}
		return nil
	}
	if !l.quiet {
		fmt.Fprintf(l.e.stderr, "waiting %s for --start-at %s\n", wait.Round(time.Second), l.startAt)
	}
	select {
	case <-time.After(wait):
		return nil
	case <-cmd.Context().Done():
		return errInterrupted
	}
}

// openLoadFiles creates results.bin and dead-letters.jsonl for the plan.
func openLoadFiles(p *load.Plan, files loadFiles) (func(), error) {
	results, err := os.Create(files.results)
	if err != nil {
		return nil, usageError("--report-dir %s: cannot write: %s", files.dir, ioWords(err))
	}
	dead, err := os.Create(files.dead)
	if err != nil {
		results.Close()
		return nil, usageError("--report-dir %s: cannot write: %s", files.dir, ioWords(err))
	}
	p.Results, p.DeadLetters = results, dead
	return func() { results.Close(); dead.Close() }, nil
}

// checkSafety asks for --yes before a heavy run against another machine.
func (l *loadCmd) checkSafety(u *url.URL, sc *scenario.Scenario) error {
	if isLoopbackHost(u.Hostname()) || l.yes {
		return nil
	}
	var why []string
	if r := sc.PeakRate(); r > safeRemoteRate {
		why = append(why, fmt.Sprintf("up to %g calls/s (more than %g)", r, safeRemoteRate))
	}
	if sc.Duration > safeRemoteDuration {
		why = append(why, fmt.Sprintf("calls arriving for %s (longer than %s)", yamlfile.ShortDuration(sc.Duration), yamlfile.ShortDuration(safeRemoteDuration)))
	}
	if l.findCapacity {
		why = append(why, "a capacity search, which raises the rate until something breaks")
	}
	if len(why) == 0 {
		return nil
	}
	return usageError("--target %s is not on this machine and the run asks for %s; a load like this can hurt a shared system: add --yes to go ahead",
		report.RedactURL(u.String()), strings.Join(why, " and "))
}

func isLoopbackHost(h string) bool {
	if strings.EqualFold(h, "localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// parseShard reads "i/n"; empty means 0/1.
func parseShard(v string) (int, int, error) {
	if v == "" {
		return 0, 1, nil
	}
	a, b, ok := strings.Cut(v, "/")
	i, err1 := strconv.Atoi(strings.TrimSpace(a))
	n, err2 := strconv.Atoi(strings.TrimSpace(b))
	if !ok || err1 != nil || err2 != nil {
		return 0, 0, usageError("--shard %q is not i/n, e.g. 0/4 for the first of four shards", v)
	}
	if n < 1 || n > loadreport.MaxShards || i < 0 || i >= n {
		return 0, 0, usageError("--shard %s: n must be 1 to %d and i from 0 to n-1 (shards of 4 are 0/4, 1/4, 2/4 and 3/4)", v, loadreport.MaxShards)
	}
	return i, n, nil
}

// loadScenario reads a scenario file from disk or, when no such file
// exists, a shipped scenario by its file name or its name: field.
func loadScenario(arg string) (*scenario.Scenario, error) {
	if _, err := os.Stat(arg); err == nil {
		sc, err := scenario.ReadFile(arg)
		if err != nil {
			return nil, usageError("%s", err) // unreadable or invalid: the user's input either way
		}
		return sc, nil
	}
	fsys := hamsasim.Scenarios()
	paths, _ := fs.Glob(fsys, "scenarios/*.yaml")
	want := strings.TrimSuffix(path.Base(filepath.ToSlash(arg)), ".yaml")
	for _, p := range paths {
		data, err := fs.ReadFile(fsys, p)
		if err != nil {
			return nil, err
		}
		sc, err := scenario.Parse(data, p)
		if err != nil {
			return nil, err // shipped scenarios parse: embed_test.go
		}
		if strings.TrimSuffix(path.Base(p), ".yaml") == want || sc.Name == want {
			return sc, nil
		}
	}
	names := shippedScenarioNames()
	hint := ""
	if s := suggest.Name(want, names, 3); s != "" {
		hint = fmt.Sprintf("; did you mean %s?", s)
	}
	return nil, usageError("--scenario %s: no such file, and no shipped scenario has that name%s (shipped: %s)", arg, hint, strings.Join(names, ", "))
}

func shippedScenarioNames() []string {
	paths, _ := fs.Glob(hamsasim.Scenarios(), "scenarios/*.yaml")
	names := make([]string, 0, len(paths))
	for _, p := range paths {
		names = append(names, strings.TrimSuffix(path.Base(p), ".yaml"))
	}
	return names
}

// fixturesByName loads the fixtures and indexes them by name.
func fixturesByName(cmd *cobra.Command, paths []string) (map[string]*fixture.Fixture, error) {
	list, err := fixturesFlag(cmd, paths)
	if err != nil {
		return nil, err
	}
	out := make(map[string]*fixture.Fixture, len(list))
	for _, f := range list {
		if prev, dup := out[f.Name]; dup {
			return nil, usageError("--fixtures: %s and %s are both named %q; names must be unique", prev.Source, f.Source, f.Name)
		}
		out[f.Name] = f
	}
	return out, nil
}

type loadFiles struct{ dir, summary, results, html, dead string }

func reportFiles(dir string) loadFiles {
	return loadFiles{
		dir:     dir,
		summary: filepath.Join(dir, "summary.json"),
		results: filepath.Join(dir, "results.bin"),
		html:    filepath.Join(dir, "report.html"),
		dead:    filepath.Join(dir, "dead-letters.jsonl"),
	}
}

// writeLoadReports writes summary.json, report.html, the JSON and JUnit
// files asked for, and the terminal summary (to stderr when a report goes
// to standard output).
func writeLoadReports(e *env, s *loadreport.Summary, files loadFiles, jsonOut, junitOut string, quiet bool) error {
	if err := report.WriteFile(files.summary, func(w io.Writer) error { return loadreport.WriteJSON(w, s) }); err != nil {
		return usageError("--report-dir: %s", err)
	}
	if err := report.WriteFile(files.html, func(w io.Writer) error { return loadreport.WriteHTML(w, s) }); err != nil {
		return usageError("--report-dir: %s", err)
	}
	if jsonOut != "" {
		if err := writeReport(e, "--json", jsonOut, func(w io.Writer) error { return loadreport.WriteJSON(w, s) }); err != nil {
			return err
		}
	}
	if junitOut != "" {
		if err := writeReport(e, "--junit", junitOut, func(w io.Writer) error { return loadreport.WriteJUnit(w, s) }); err != nil {
			return err
		}
	}
	out := summaryOut(e, jsonOut, junitOut)
	pal := e.stream(out).Palette()
	if quiet {
		fmt.Fprintf(out, "%s: %s, %d calls, %d deliveries, %d acknowledged, p99 %.1f ms; report %s\n",
			pal.Word(loadreport.Verdict(s)), s.Scenario, s.Calls.Started, s.Overall.Deliveries, s.Overall.Acked, s.Overall.Latency.P99, files.html)
		return nil
	}
	if err := loadreport.WriteTextColor(out, s, pal); err != nil {
		return err
	}
	fmt.Fprintf(out, "reports: %s, %s, %s\n", files.summary, files.results, files.html)
	if s.DeadLetters > 0 {
		fmt.Fprintf(out, "dead letters: %s (hamsasim redeliver %s --target URL)\n", files.dead, files.dead)
	}
	return nil
}
