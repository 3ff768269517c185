package cli

import (
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/hamsasim/hamsasim/internal/deliver"
	"github.com/hamsasim/hamsasim/internal/event"
	"github.com/hamsasim/hamsasim/internal/override"
	"github.com/hamsasim/hamsasim/internal/probe"
	"github.com/hamsasim/hamsasim/internal/report"
	"github.com/hamsasim/hamsasim/internal/simulate"
	"github.com/hamsasim/hamsasim/internal/tty"
)

type simulateCmd struct {
	e           *env
	target      string
	fixtures    []string
	spec        string
	secretEnv   string
	jsonOut     string
	junitOut    string
	concurrency int
	seed        string
	start       string
	timeScale   float64
	retries     int
	fullRetries bool
	strict      bool
	quiet       bool
	auth        string
	probes      []string
	records     recordsFlags
	insecure    bool
	overrides   overrideFlags
	params      []string
	events      []string
}

func newSimulateCmd(e *env) *cobra.Command {
	s := &simulateCmd{e: e}
	cmd := &cobra.Command{
		Use:   "simulate",
		Short: "Replay call lifecycles against a webhook endpoint and check every answer",
		Long: `Replays each fixture's call lifecycle in order against --target (independent
calls concurrently, as the platform does) and checks each answer: 2xx within
5 seconds, and a body that matches the contract.

With no --target, runs against the embedded reference receiver.
The Authorization header is the value of $WEBHOOK_SECRET, sent whole
("Bearer <token>", as the dashboard stores it); unset, no header is sent.

Exit codes: 0 passed, 1 findings of severity error (or warnings with
--strict), 2 bad flags or input files, 130 interrupted.`,
		Example: `  hamsasim simulate
  WEBHOOK_SECRET='Bearer sk_test_123' hamsasim simulate --target https://staging.example.com/webhooks/hamsa --junit reports/simulate.xml
  hamsasim simulate --fixtures fixtures/calls/job-interview.yaml --json out.json
  hamsasim simulate --param application_id=A-1 --set data.data.speaker=bot`,
		Args: cobra.NoArgs,
		RunE: s.run,
	}
	f := cmd.Flags()
	f.StringVar(&s.target, "target", "", "webhook URL to test (default: the embedded reference receiver)")
	f.StringSliceVar(&s.fixtures, "fixtures", nil, "fixture files or folders (default: the shipped fixtures)")
	f.StringVar(&s.spec, "spec", "", "OpenAPI contract (default: the shipped spec/hamsa-webhooks.yaml)")
	f.StringVar(&s.auth, "auth", "", "how the platform authenticates: bearer (Authorization from $WEBHOOK_SECRET), hmac (Standard Webhooks signatures keyed with $WEBHOOK_SIGNING_SECRET) or none (default: bearer when the variable is set or the target is embedded, else none)")
	f.StringVar(&s.secretEnv, "secret-env", "", "environment variable holding the secret (default WEBHOOK_SECRET, or WEBHOOK_SIGNING_SECRET with --auth hmac)")
	f.StringSliceVar(&s.probes, "probes", nil, "probe groups to run (default all): "+strings.Join(probe.Groups, ","))
	s.records.add(f, "to check that every acknowledged event was kept and redeliveries take effect once")
	f.BoolVar(&s.insecure, "insecure", false, "go on when the target's certificate is invalid (tls.valid is still reported)")
	f.StringVar(&s.jsonOut, "json", "", "write the JSON report to this file (- for standard output; the summary then goes to stderr)")
	f.StringVar(&s.junitOut, "junit", "", "write a JUnit XML report to this file (- for standard output; the summary then goes to stderr)")

	f.IntVar(&s.concurrency, "concurrency", simulate.DefaultConcurrency, "calls replayed at once")
	f.StringVar(&s.seed, "seed", "", "seed for call ids (default: random; printed in the report to replay a run)")
	f.StringVar(&s.start, "start", "", "call start time for event timestamps, RFC 3339 (default: now)")
	f.Float64Var(&s.timeScale, "time-scale", 0, "pace events by their offsets: 1 real time, 0.1 ten times faster, 0 back to back")
	f.IntVar(&s.retries, "retries", 2, "retries after a timeout, 5xx, 408, 429 or connection error (4xx are never retried)")
	f.BoolVar(&s.fullRetries, "full-retries", false, fmt.Sprintf("retry every failed event on the platform's schedule; by default, once %d events of one type in a row failed every attempt, later events of that type are sent once each (and the report says so)", simulate.DefaultFailStreak))
	f.StringSliceVar(&s.events, "events", nil, "deliver only these event types, as to an endpoint subscribed to a subset; probes of other types are skipped (default all): "+strings.Join(event.Types, ","))
	f.BoolVar(&s.strict, "strict", false, "fail on warnings too")
	f.BoolVarP(&s.quiet, "quiet", "q", false, "print only the verdict line")
	s.overrides.add(f, "every event of the lifecycle that has the field's parent object (an event without it is sent unchanged; a --set that fits no event is an error)")
	f.StringArrayVar(&s.params, "param", nil, "set a param of every fixture before expansion, key=value (repeatable): sent in call.started and echoed in call.ended's outcomeResult; "+valueHelp+" (a JSON array or object is sent as a JSON string, as params carry them)")
	return cmd
}

func (s *simulateCmd) run(cmd *cobra.Command, _ []string) error {
	cfg, err := s.config(cmd)
	if err != nil {
		return err
	}
	start := cfg.Start
	a, err := resolveAuth(s.e, s.auth, s.secretEnv, s.target == "")
	if err != nil {
		return err
	}
	if err := s.records.check(); err != nil {
		return err
	}
	target, kind, embeddedBase := s.target, "url", ""
	if s.target == "" {
		em, err := startEmbedded(a.bearer, a.key)
		if err != nil {
			return err
		}
		defer em.stop()
		target, kind, embeddedBase = em.URL, "embedded", em.Base
	} else {
		if _, err := parseTarget(s.target); err != nil {
			return err
		}
	}
	records, closeRecords, err := s.records.open(cmd.Context(), embeddedBase)
	if err != nil {
		return err
	}
	defer closeRecords()
	for _, w := range a.warnings {
		fmt.Fprintf(s.e.stderr, "warning: %s\n", w)
	}
	d, client, err := newDeliverer(a, s.retries, s.concurrency, s.insecure)
	if err != nil {
		return err
	}
	// Connections the client opened but never used would hold the embedded
	// receiver's graceful shutdown for seconds: close them first.
	defer client.CloseIdleConnections()
	u, _ := parseTarget(target)
	shown := displayURL(u)

	cfg.Target, cfg.Shown, cfg.Deliverer, cfg.ProbeAuth, cfg.Records = target, shown, d, a.probe, records
	live := s.showProgress(&cfg)
	r, err := simulate.Run(cmd.Context(), cfg)
	live.Stop()
	if err != nil {
		// Run checks fixtures and overrides before it sends anything.
		if errors.Is(err, simulate.ErrInvalidEvent) || errors.Is(err, override.ErrNoField) {
			return usageError("%s", err)
		}
		return err
	}
	r.Scrub(a.scrubber())
	r.Version, r.Target, r.TargetKind, r.Strict = Version(), shown, kind, s.strict
	if kind == "embedded" {
		r.Target = "embedded reference receiver (" + r.Target + ")"
	}
	r.Start = event.FormatTime(start)
	r.Tally()

	if err := s.write(r); err != nil {
		return err
	}
	if r.Interrupted {
		return errInterrupted
	}
	if !r.Passed {
		return errFindings
	}
	return nil
}

// config reads the flags that say what to send into a simulate.Config;
// the target, credentials and deliverer come later.
func (s *simulateCmd) config(cmd *cobra.Command) (simulate.Config, error) {
	if s.concurrency < 1 || s.concurrency > 1000 {
		return simulate.Config{}, usageError("--concurrency %d: use 1 to 1000", s.concurrency)
	}
	if s.retries < 0 || s.retries > 10 {
		return simulate.Config{}, usageError("--retries %d: use 0 to 10", s.retries)
	}
	if s.timeScale < 0 || s.timeScale > 10 {
		return simulate.Config{}, usageError("--time-scale %v: use 0 (no pacing) up to 10", s.timeScale)
	}
	seed, start, err := parseSeedStart(s.seed, s.start)
	if err != nil {
		return simulate.Config{}, err
	}
	if err := prepareOutputs([][2]string{{"--json", s.jsonOut}, {"--junit", s.junitOut}}); err != nil {
		return simulate.Config{}, err
	}
	c, err := loadContract(s.spec)
	if err != nil {
		return simulate.Config{}, err
	}
	fixtures, err := fixturesFlag(cmd, s.fixtures)
	if err != nil {
		return simulate.Config{}, err
	}

	ops, err := s.overrides.ops()
	if err != nil {
		return simulate.Config{}, err
	}
	params, err := parseParams(s.params)
	if err != nil {
		return simulate.Config{}, err
	}
	events, err := parseEvents(s.events)
	if err != nil {
		return simulate.Config{}, err
	}

	groups, err := parseGroups(s.probes)
	if err != nil {
		return simulate.Config{}, err
	}
	return simulate.Config{
		Fixtures: fixtures, Contract: c, Seed: seed, Start: start, Concurrency: s.concurrency, TimeScale: s.timeScale,
		Groups: groups, Params: params, Overrides: ops, Events: events, FailStreak: failStreak(s.fullRetries),
	}, nil
}

// failStreak is simulate.Config.FailStreak for --full-retries.
func failStreak(full bool) int {
	if full {
		return -1
	}
	return 0
}

func (s *simulateCmd) write(r *report.Run) error {
	// Bodies too large to inline in a curl command go next to the JSON report.
	for i := range r.Findings {
		f := &r.Findings[i]
		if len(f.Payload) == 0 {
			continue
		}
		if s.jsonOut == "" || s.jsonOut == stdoutPath {
			f.Curl += "  # the body is too large to show: run with --json FILE to save it next to the report"
			f.PayloadFile = ""
			continue
		}
		path := filepath.Join(filepath.Dir(s.jsonOut), f.PayloadFile)
		if err := report.WriteFile(path, func(w io.Writer) error { _, err := w.Write(f.Payload); return err }); err != nil {
			return usageError("--json: %s", err)
		}
		// The command refers to the file as written, from wherever it is run.
		if abs, err := filepath.Abs(path); err == nil {
			f.Curl = strings.ReplaceAll(f.Curl, deliver.ShellQuote(f.PayloadFile), deliver.ShellQuote(abs))
			path = abs
		}
		f.PayloadFile = path
	}
	out := summaryOut(s.e, s.jsonOut, s.junitOut)
	pal := s.e.stream(out).Palette()
	if s.quiet {
		fmt.Fprintf(out, "%s: %d events, %d acknowledged, %s, %s\n", pal.Word(report.Verdict(r)), r.Deliveries, r.Acknowledged,
			count(r.Summary.Errors, "error"), count(r.Summary.Warnings, "warning"))
	} else if err := report.WriteTextColor(out, r, pal); err != nil {
		return err
	}
	if s.jsonOut != "" {
		if err := writeReport(s.e, "--json", s.jsonOut, func(w io.Writer) error { return report.WriteJSON(w, r) }); err != nil {
			return err
		}
	}
	if s.junitOut != "" {
		if err := writeReport(s.e, "--junit", s.junitOut, func(w io.Writer) error { return report.WriteJUnit(w, r) }); err != nil {
			return err
		}
	}
	return nil
}

// showProgress has the run's progress shown on stderr while it goes (not
// with --quiet): on a terminal one line redrawn in place and erased at the
// end, elsewhere (a CI log) a plain line every 10 s.
func (s *simulateCmd) showProgress(cfg *simulate.Config) *tty.Live {
	if s.quiet {
		return nil
	}
	var mu sync.Mutex
	var now simulate.Progress
	cfg.Observe = func(p simulate.Progress) {
		// Told from several goroutines: a figure never goes back.
		mu.Lock()
		defer mu.Unlock()
		now.Calls, now.CallsDone = max(now.Calls, p.Calls), max(now.CallsDone, p.CallsDone)
		now.Events, now.Findings = max(now.Events, p.Events), max(now.Findings, p.Findings)
		now.Probing = now.Probing || p.Probing
	}
	stream := s.e.stream(s.e.stderr)
	return tty.Show(s.e.stderr, stream, s.e.heartbeat, func(elapsed time.Duration) []tty.Field {
		mu.Lock()
		p := now
		mu.Unlock()
		return simulateFields(p, elapsed, stream.Terminal)
	})
}

// simulateFields are a simulate run's figures as its progress line shows
// them, the most important of lowest rank.
func simulateFields(p simulate.Progress, elapsed time.Duration, terminal bool) []tty.Field {
	took := elapsed.Truncate(time.Second).String()
	if !terminal {
		took = "elapsed " + took
	}
	fields := []tty.Field{{Text: took, Rank: 3}}
	if p.Calls > 0 { // none with --probes that leave out the lifecycle
		fields = append(fields, tty.Field{Text: fmt.Sprintf("calls %d/%d", p.CallsDone, p.Calls), Rank: 0})
	}
	fields = append(fields,
		tty.Field{Text: "events " + strconv.Itoa(p.Events), Rank: 1},
		tty.Field{Text: "findings " + strconv.Itoa(p.Findings), Rank: 2},
	)
	if p.Probing {
		fields = append(fields, tty.Field{Text: "sending probes", Rank: 4})
	}
	return fields
}

// parseSeedStart reads --seed (default random) and --start (default now),
// which together make a run's call ids and timestamps reproducible.
func parseSeedStart(seedFlag, startFlag string) (uint64, time.Time, error) {
	seed := rand.Uint64()
	if seedFlag != "" {
		v, err := strconv.ParseUint(seedFlag, 10, 64)
		if err != nil {
			return 0, time.Time{}, usageError("--seed %q is not a whole number from 0 to %d", seedFlag, uint64(1<<64-1))
		}
		seed = v
	}
	start := time.Now().UTC()
	if startFlag != "" {
		t, err := time.Parse(time.RFC3339Nano, startFlag)
		if err != nil {
			return 0, time.Time{}, usageError("--start %q is not an RFC 3339 time like 2025-03-01T09:00:00Z", startFlag)
		}
		start = t.UTC()
	}
	return seed, start, nil
}

func parseGroups(list []string) (map[string]bool, error) {
	if len(list) == 0 {
		return simulate.AllGroups(), nil
	}
	groups := map[string]bool{}
	for _, g := range list {
		g = strings.TrimSpace(g)
		known := false
		for _, k := range probe.Groups {
			known = known || k == g
		}
		if !known {
			return nil, usageError("--probes: unknown group %q (valid: %s)", g, strings.Join(probe.Groups, ", "))
		}
		groups[g] = true
	}
	return groups, nil
}

func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// newDeliverer is the platform's deliverer for a command: the auth mode,
// retries with backoff 1 s, 2 s, 4 s... (at most 30 s), conns connections,
// and with insecure no certificate checks.
func newDeliverer(a *authSetup, retries, conns int, insecure bool) (*deliver.Deliverer, *http.Client, error) {
	client := deliver.NewHTTPClient(conns, insecure)
	d, err := deliver.New(
		deliver.WithSigner(a.signer),
		deliver.WithRetryPolicy(deliver.BackoffOf(retries+1)),
		deliver.WithHTTPClient(client),
	)
	if err != nil {
		return nil, nil, usageError("%s", err)
	}
	return d, client, nil
}
