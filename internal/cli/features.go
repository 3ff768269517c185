package cli

import (
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/cucumber/godog"
	"github.com/spf13/cobra"

	"github.com/hamsasim/hamsasim"
	"github.com/hamsasim/hamsasim/internal/fixture"
	"github.com/hamsasim/hamsasim/internal/report"
	"github.com/hamsasim/hamsasim/internal/steps"
)

type featuresCmd struct {
	e           *env
	target      string
	records     recordsFlags
	spec        string
	fixtures    []string
	auth        string
	secretEnv   string
	tags        string
	format      string
	concurrency int
	strict      bool
	insecure    bool
}

func newFeaturesCmd(e *env) *cobra.Command {
	f := &featuresCmd{e: e}
	cmd := &cobra.Command{
		Use:   "features [PATH...]",
		Short: "Run Gherkin scenarios (QA's .feature files) against a webhook endpoint",
		Long: `Runs .feature files (default: the shipped features/) with hamsasim's step
library ('hamsasim steps' lists it) against --target, or the embedded
reference receiver when there is none.

Exit codes: 0 passed, 1 a scenario failed (or, with --strict, a step is
undefined or pending), 2 bad flags, files or a tag expression that selects
no scenario.`,
		Example: `  hamsasim features
  hamsasim features features/duplicates.feature --tags @duplicates
  WEBHOOK_SECRET='Bearer sk_test_123' hamsasim features qa/ --target https://staging.example.com/hooks/hamsa --format progress,junit:reports/features.xml`,
		RunE: f.run,
	}
	fl := cmd.Flags()
	fl.StringVar(&f.target, "target", "", "webhook URL (default: the embedded reference receiver)")
	f.records.add(fl, "for steps about what the receiver recorded and the end-state audit after each scenario")
	fl.StringVar(&f.spec, "spec", "", "OpenAPI contract (default: the shipped one)")
	fl.StringSliceVar(&f.fixtures, "fixtures", nil, "fixture files or folders the scenarios may name (default: the shipped ones)")
	fl.StringVar(&f.auth, "auth", "", "default credentials: bearer, hmac or none (as for simulate)")
	fl.StringVar(&f.secretEnv, "secret-env", "", "environment variable holding the secret (default WEBHOOK_SECRET, or WEBHOOK_SIGNING_SECRET with --auth hmac)")
	fl.StringVar(&f.tags, "tags", "", "run scenarios matching a tag expression: @a, ~@a (not), @a && @b, @a,@b (or); 'not', 'and', 'or' also work")
	fl.StringVar(&f.format, "format", "pretty", "pretty, progress, junit:FILE, cucumber:FILE; several separated by commas")
	fl.IntVar(&f.concurrency, "concurrency", 1, "scenarios run at once")
	fl.BoolVar(&f.strict, "strict", false, "fail on undefined or pending steps")
	fl.BoolVar(&f.insecure, "insecure", false, "accept an invalid certificate")
	return cmd
}

func (f *featuresCmd) run(cmd *cobra.Command, args []string) error {
	if f.concurrency < 1 || f.concurrency > 64 {
		return usageError("--concurrency %d: use 1 to 64", f.concurrency)
	}
	format, err := checkFormat(f.format)
	if err != nil {
		return err
	}
	tags, err := steps.NormalizeTags(f.tags)
	if err != nil {
		return usageError("%s", err)
	}
	fsys, roots, err := f.preflight(args, tags)
	if err != nil {
		return err
	}
	c, err := loadContract(f.spec)
	if err != nil {
		return err
	}
	fixtures, err := fixturesFlag(cmd, f.fixtures)
	if err != nil {
		return err
	}
	byName := map[string]*fixture.Fixture{}
	for _, fx := range fixtures {
		byName[fx.Name] = fx
	}
	a, err := resolveAuth(f.e, f.auth, f.secretEnv, f.target == "")
	if err != nil {
		return err
	}
	if err := f.records.check(); err != nil {
		return err
	}
	target, embeddedBase := f.target, ""
	if target == "" {
		em, err := startEmbedded(a.bearer, a.key)
		if err != nil {
			return err
		}
		defer em.stop()
		target, embeddedBase = em.URL, em.Base
	} else if _, err := parseTarget(target); err != nil {
		return err
	}
	records, closeRecords, err := f.records.open(cmd.Context(), embeddedBase)
	if err != nil {
		return err
	}
	defer closeRecords()
	for _, w := range a.warnings {
		fmt.Fprintf(f.e.stderr, "warning: %s\n", w)
	}
	u, _ := parseTarget(target)
	client := steps.NewClient(f.concurrency*4, f.insecure)
	defer client.Close()
	suite := &steps.Suite{
		Target: target, Shown: displayURL(u), Records: records, Contract: c, Fixtures: byName,
		Signer: a.signer, ProbeAuth: a.probe, Getenv: f.e.getenv,
		Client: client, Seed: rand.Uint64(), Scenario: loadScenario,
	}
	return f.runSuite(cmd, suite, fsys, roots, format, tags, a.scrubber())
}

// preflight finds the feature files, checks that the tags select some
// scenario, and prints the steps no definition matches.
func (f *featuresCmd) preflight(args []string, tags string) (fs.FS, []string, error) {
	fsys, roots, shownDir := hamsasim.Features(), []string{"features"}, ""
	if len(args) > 0 {
		fsys, roots = os.DirFS("."), nil
		for _, a := range args {
			clean := filepath.ToSlash(filepath.Clean(a))
			if filepath.IsAbs(a) || strings.HasPrefix(clean, "../") {
				// os.DirFS(".") cannot reach it: serve the path's own folder.
				abs, _ := filepath.Abs(a)
				fsys, clean, shownDir = os.DirFS(filepath.Dir(abs)), filepath.Base(abs), filepath.Dir(a)
				if len(args) > 1 {
					return nil, nil, usageError("give paths inside the working folder when naming several (%s is outside it)", a)
				}
			}
			roots = append(roots, clean)
		}
	}
	plan, err := steps.Prepare(fsys, roots, tags)
	if err != nil {
		return nil, nil, usageError("%s", err)
	}
	if plan.Scenarios == 0 {
		return nil, nil, usageError("no scenario to run in %s", strings.Join(plan.Files, ", "))
	}
	if plan.Selected == 0 {
		return nil, nil, usageError("--tags %q selects none of the %d scenarios in %s", f.tags, plan.Scenarios, strings.Join(plan.Files, ", "))
	}
	for _, u := range plan.Undefined {
		if shownDir != "" {
			u.File = filepath.Join(shownDir, u.File)
		}
		fmt.Fprintf(f.e.stderr, "%s\n", u)
	}
	if len(plan.Undefined) > 0 {
		fmt.Fprintf(f.e.stderr, "'hamsasim steps' lists every step with an example.\n")
	}
	return fsys, roots, nil
}

// runSuite runs the scenarios through godog and turns its status into
// the command's error.
func (f *featuresCmd) runSuite(cmd *cobra.Command, suite *steps.Suite, fsys fs.FS, roots []string, format, tags string, scrub report.Scrubber) error {
	opts := &godog.Options{
		Format: format, Output: &snippetFilter{w: f.e.stdout, scrub: scrub}, Paths: roots, Tags: tags,
		Concurrency: f.concurrency, Strict: f.strict, NoColors: !f.e.stream(f.e.stdout).Color,
		DefaultContext: cmd.Context(),
	}
	opts.FS = fsys
	out := opts.Output.(*snippetFilter)
	status := godog.TestSuite{
		Name:                "hamsasim",
		ScenarioInitializer: func(sc *godog.ScenarioContext) { steps.Register(suite, sc) },
		Options:             opts,
	}.Run()
	if len(out.partial) > 0 {
		io.WriteString(f.e.stdout, out.scrub.Clean(string(out.partial)))
	}
	if err := scrubFiles(format, out.scrub); err != nil {
		return err
	}
	if cmd.Context() != nil && cmd.Context().Err() != nil {
		return errInterrupted
	}
	switch status {
	case 0:
		return nil
	case 1:
		return errFindings
	}
	return usageError("the scenarios could not run (godog status %d)", status)
}

// checkFormat validates --format before godog, which would exit on its own.
func checkFormat(spec string) (string, error) {
	if strings.TrimSpace(spec) == "" {
		return "pretty", nil
	}
	parts := strings.Split(spec, ",")
	var toStdout []string
	dash := false
	for i, part := range parts {
		name, file, hasFile := strings.Cut(strings.TrimSpace(part), ":")
		switch name {
		case "pretty", "progress", "junit", "cucumber", "events":
		default:
			return "", usageError("--format %q: unknown formatter %q (valid: pretty, progress, junit:FILE, cucumber:FILE, events)", spec, name)
		}
		if file == stdoutPath {
			// godog writes a formatter without a file to standard output.
			parts[i], hasFile, dash = name, false, true
		}
		if !hasFile {
			toStdout = append(toStdout, name)
		}
		if dash && len(toStdout) > 1 {
			return "", usageError("--format %q: %s and %s both write to standard output; give one of them a file (junit:FILE)", spec, toStdout[0], toStdout[1])
		}
		if hasFile {
			if file == "" {
				return "", usageError("--format %q: %s: needs a file name after the colon", spec, name)
			}
			if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
				return "", usageError("--format %s: %s", part, ioWords(err))
			}
			fh, err := os.Create(file)
			if err != nil {
				return "", usageError("--format %s: cannot write %s: %s", part, file, ioWords(err))
			}
			fh.Close()
		}
	}
	return strings.Join(parts, ","), nil
}

func newStepsCmd(e *env) *cobra.Command {
	var markdown bool
	cmd := &cobra.Command{
		Use:   "steps",
		Short: "List every Gherkin step of the library, with an example",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			if markdown {
				fmt.Fprint(e.stdout, StepsMarkdown())
				return nil
			}
			for _, d := range steps.Defs() {
				fmt.Fprintf(e.stdout, "%s\n", indentExample(d.Example, ""))
				if d.Help != "" {
					fmt.Fprintf(e.stdout, "    %s\n", d.Help)
				}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&markdown, "markdown", false, "print the list as the README's Markdown")
	return cmd
}

// StepsMarkdown renders the step library for the README.
func StepsMarkdown() string {
	var b strings.Builder
	heading := map[string]string{"Given": "Set-up (Given)", "When": "Deliveries and load runs (When)", "Then": "Assertions (Then)"}
	var defs []steps.Def
	for _, kind := range []string{"Given", "When", "Then"} {
		for _, d := range steps.Defs() {
			if d.Kind == kind {
				defs = append(defs, d)
			}
		}
	}
	kind := ""
	for _, d := range defs {
		if d.Kind != kind {
			kind = d.Kind
			fmt.Fprintf(&b, "\n**%s**\n\n", heading[kind])
		}
		first, rest, _ := strings.Cut(d.Example, "\n")
		fmt.Fprintf(&b, "- `%s`", first)
		if d.Help != "" {
			fmt.Fprintf(&b, ": %s", d.Help)
		}
		b.WriteString("\n")
		if rest != "" {
			b.WriteString("  ```gherkin\n")
			for _, l := range strings.Split(rest, "\n") {
				fmt.Fprintf(&b, "  %s\n", l)
			}
			b.WriteString("  ```\n")
		}
	}
	return b.String()
}

func indentExample(ex, pad string) string {
	return pad + strings.ReplaceAll(ex, "\n", "\n"+pad)
}

// snippetFilter passes godog's output through, up to its advice to write Go
// step definitions for undefined steps: QA writes no Go, and hamsasim has
// already suggested the nearest steps of its library. It also drops the Go
// source location the pretty formatter puts after each step ("# defs.go:113
// -> .../steps.theCall"), which tells QA nothing; the feature file's
// locations stay.
type snippetFilter struct {
	w       io.Writer
	scrub   report.Scrubber
	partial []byte
	cut     bool
}

const snippetMarker = "You can implement step definitions for undefined steps"

// stepLocation is a step definition's Go location at the end of a pretty
// line, with the padding before it and the colour codes around it.
var stepLocation = regexp.MustCompile(`[ \t]*(?:\x1b\[[0-9;]*m)?# [^ ]+\.go:\d+ -> [^ \x1b]+(?:\x1b\[[0-9;]*m)?(\r?\n)$`)

func (s *snippetFilter) Write(p []byte) (int, error) {
	if s.cut {
		return len(p), nil
	}
	s.partial = append(s.partial, p...)
	for {
		i := bytes.IndexByte(s.partial, '\n')
		if i < 0 {
			break
		}
		line := s.partial[:i+1]
		if bytes.Contains(line, []byte(snippetMarker)) {
			s.cut = true
			s.partial = nil
			fmt.Fprintln(s.w, "'hamsasim steps' lists the steps you can use.")
			return len(p), nil
		}
		line = stepLocation.ReplaceAll(line, []byte("$1"))
		if _, err := io.WriteString(s.w, s.scrub.Clean(string(line))); err != nil {
			return 0, err
		}
		s.partial = s.partial[i+1:]
	}
	return len(p), nil
}

// scrubFiles removes secrets from the report files godog wrote itself.
func scrubFiles(format string, s report.Scrubber) error {
	for _, part := range strings.Split(format, ",") {
		_, file, ok := strings.Cut(strings.TrimSpace(part), ":")
		if !ok || file == "" {
			continue
		}
		b, err := os.ReadFile(file)
		if err != nil {
			continue // godog did not write it (no scenario ran)
		}
		if clean := s.Clean(string(b)); clean != string(b) {
			if err := os.WriteFile(file, []byte(clean), 0o644); err != nil {
				return usageError("--format %s: %s", part, ioWords(err))
			}
		}
	}
	return nil
}
