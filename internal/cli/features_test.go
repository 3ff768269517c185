package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hamsasim/hamsasim/internal/receiver"
)

// godog runs are kept sequential inside each test: the runner keeps
// package-level state.

func TestShippedFeaturesPass(t *testing.T) {
	t.Parallel()
	junit := filepath.Join(t.TempDir(), "features.xml")
	r := runCLI(t, nil, "features", "--format", "progress,junit:"+junit)
	require.Equal(t, ExitPassed, r.code, r.stdout+r.stderr)
	assert.Regexp(t, `\n(\d+) scenarios \((\d+) passed\)\n`, r.stdout)
	assert.Contains(t, r.stdout, "27 scenarios (27 passed)", "the outage scenario included: nothing lost, nothing processed twice")
	assert.Empty(t, r.stderr, "no undefined steps in the shipped features")
	assert.Contains(t, readFile(t, junit), `failures="0"`)

	// Scenarios keep their state in their context: safe to run at once (-race).
	// (Without the minute-long outage run this time.)
	r = runCLI(t, nil, "features", "--format", "progress", "--concurrency", "4", "--tags", "not @outage")
	require.Equal(t, ExitPassed, r.code, r.stdout+r.stderr)
	assert.Contains(t, r.stdout, "26 scenarios (26 passed)")
}

// TestFeaturesCatchFaults runs the shipped features against receivers with
// a defect: the scenarios about that defect fail, naming the step.
func TestFeaturesCatchFaults(t *testing.T) {
	cases := []struct {
		fault    receiver.Fault
		tags     string
		wantStep string
	}{
		{receiver.FaultAuthOff, "@auth", `Step the answer status is 401: call.started (delivery 1 of 1) answered 200`},
		{receiver.FaultNoDedupe, "@duplicates", `Step the answer has &#34;duplicate&#34; equal to true`},
		{receiver.FaultRejectUnknown, "@robustness", `Step the answer status is 200: an event of the unknown type call.transferred answered 400`},
		{receiver.FaultBodyLimit, "@large", `Step the answer status is 200: call.ended with a 1 MB transcript answered 413, expected 200`},
		{receiver.FaultStrictOrder, "@robustness", `Step every event is acknowledged: 3 of 6 not acknowledged: call.answered #1, out of order answered 409`},
		{receiver.FaultHTMLErrors, "@malformed", `Step the answer has &#34;error&#34; equal to &#34;Invalid payload&#34;: a body cut off in the middle: the answer is not JSON`},
	}
	for _, tc := range cases {
		t.Run(string(tc.fault), func(t *testing.T) {
			target := referenceTarget(t, testSecret, tc.fault)
			base := strings.TrimSuffix(target, "/webhook")
			junit := filepath.Join(t.TempDir(), "f.xml")
			r := runCLI(t, map[string]string{"WEBHOOK_SECRET": testSecret}, "features", "--target", target, "--probe-url", base,
				"--tags", tc.tags, "--format", "progress,junit:"+junit)
			assert.Equal(t, ExitFindings, r.code, r.stdout+r.stderr)
			assert.Contains(t, readFile(t, junit), `<failure message="`+tc.wantStep)
		})
	}
}

func TestFeaturesUsage(t *testing.T) {
	dir := t.TempDir()
	typo := filepath.Join(dir, "typo.feature")
	require.NoError(t, os.WriteFile(typo, []byte("Feature: typo\n  Scenario: a typo\n    Given the call \"job-interview\"\n    When the platfrom delivers the whole cal\n"), 0o644))
	unknownCall := filepath.Join(dir, "call.feature")
	require.NoError(t, os.WriteFile(unknownCall, []byte("Feature: x\n  Scenario: y\n    Given the call \"job-interveiw\"\n"), 0o644))
	broken := filepath.Join(dir, "broken.feature")
	require.NoError(t, os.WriteFile(broken, []byte("Feature: x\n  Scenario: y\n    Given the call \"job-interview\"\n    | a |\n    this line is not a step\n"), 0o644))
	empty := filepath.Join(dir, "empty.feature")
	require.NoError(t, os.WriteFile(empty, []byte("Feature: nothing yet\n"), 0o644))

	cases := []struct {
		name   string
		args   []string
		code   int
		stderr string
		stdout string
	}{
		{"tags select nothing", []string{"features", "--tags", "@nope"}, ExitUsage, `--tags "@nope" selects none of the 27 scenarios`, ""},
		{"new tag syntax works", []string{"features", "--tags", "not @lifecycle and not @large and not @outage", "--format", "progress"}, ExitPassed, "", "17 scenarios (17 passed)"},
		{"or", []string{"features", "--tags", "@auth,@duplicates", "--format", "progress"}, ExitPassed, "", "5 scenarios (5 passed)"},
		{"broken tag expression", []string{"features", "--tags", "@a,"}, ExitUsage, `"" is not a tag`, ""},
		{"parentheses", []string{"features", "--tags", "(@a)"}, ExitUsage, "parentheses are not supported", ""},
		{"unknown formatter", []string{"features", "--format", "html"}, ExitUsage, `unknown formatter "html"`, ""},
		{"junit without a file", []string{"features", "--format", "junit:"}, ExitUsage, "needs a file name", ""},
		{"missing path", []string{"features", filepath.Join(dir, "nope.feature")}, ExitUsage, "no such file or folder", ""},
		{"undefined step: suggestions", []string{"features", typo, "--format", "progress"}, ExitPassed,
			typo + ":4: undefined step \"the platfrom delivers the whole cal\"; did you mean:\n      When the platform delivers the whole call", "1 undefined"},
		{"undefined step fails with --strict", []string{"features", typo, "--strict", "--format", "progress"}, ExitFindings, "did you mean", ""},
		{"unknown fixture names the known ones", []string{"features", unknownCall, "--format", "progress"}, ExitFindings, "", `no fixture named "job-interveiw" (known: ends-early, job-interview`},
		{"gherkin syntax error", []string{"features", broken}, ExitUsage, "broken.feature:5: expected:", ""},
		{"no scenario at all", []string{"features", empty}, ExitUsage, "no scenario to run in empty.feature", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := runCLI(t, nil, tc.args...)
			assert.Equal(t, tc.code, r.code, r.stdout+r.stderr)
			assert.Contains(t, r.stderr, tc.stderr)
			assert.Contains(t, r.stdout, tc.stdout)
			assert.NotContains(t, r.stdout, "func ", "no Go snippets for QA")
		})
	}
}

// TestReadmeStepList keeps the README's step list the output of
// 'hamsasim steps --markdown'.
func TestReadmeStepList(t *testing.T) {
	readme := readFile(t, filepath.Join("..", "..", "README.md"))
	const begin, end = "<!-- steps:begin -->", "<!-- steps:end -->"
	i, j := strings.Index(readme, begin), strings.Index(readme, end)
	require.True(t, i >= 0 && j > i, "README.md needs the markers %s and %s", begin, end)
	got := readme[i+len(begin) : j]
	if *update {
		readme = readme[:i+len(begin)] + StepsMarkdown() + "\n" + readme[j:]
		require.NoError(t, os.WriteFile(filepath.Join("..", "..", "README.md"), []byte(readme), 0o644))
		return
	}
	assert.Equal(t, StepsMarkdown()+"\n", got, "run: go test ./internal/cli -run TestReadmeStepList -update")
}

func TestStepsCommand(t *testing.T) {
	r := runCLI(t, nil, "steps")
	assert.Equal(t, ExitPassed, r.code)
	assert.Contains(t, r.stdout, `Then the "duplicate.ack" check passes`)
	assert.Contains(t, r.stdout, "When the platform delivers the call's events in this order:\n  | event")
}

func TestScenarioSetsItsOwnTarget(t *testing.T) {
	faulty := referenceTarget(t, "", receiver.FaultRejectUnknown)
	dir := t.TempDir()
	write := func(name, target string) string {
		p := filepath.Join(dir, name)
		given := ""
		if target != "" {
			given = "    Given the webhook URL is \"" + target + "\"\n"
		}
		body := "Feature: target\n  Scenario: unknown types\n" + given +
			"    Given the call \"job-interview\"\n    When the platform sends an event of the unknown type \"call.transferred\"\n    Then the answer status is 200\n"
		require.NoError(t, os.WriteFile(p, []byte(body), 0o644))
		return p
	}
	r := runCLI(t, nil, "features", write("embedded.feature", ""), "--format", "progress")
	assert.Equal(t, ExitPassed, r.code, r.stdout)
	r = runCLI(t, nil, "features", write("faulty.feature", faulty), "--format", "progress")
	assert.Equal(t, ExitFindings, r.code, r.stdout)
	assert.Contains(t, r.stdout, "answered 400, expected 200")
}
