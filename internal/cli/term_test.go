package cli

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// runOn runs the command line with stdout and stderr declared terminals
// (or not), and progress heartbeats every heartbeat (0: the default).
func runOn(t *testing.T, terminal bool, heartbeat time.Duration, vars map[string]string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	e := &env{stdout: &out, stderr: &errb, getenv: func(k string) string { return vars[k] },
		terminal: func(io.Writer) bool { return terminal }, heartbeat: heartbeat}
	code := run(context.Background(), args, e)
	return result{code, out.String(), errb.String()}
}

// The commands' runs for the colour tests: short, and passing.
func colourRuns(t *testing.T) map[string][]string {
	return map[string][]string{
		"simulate": {"simulate", "--fixtures", shipped("job-interview", "no-answer")},
		"features": {"features", filepath.Join("..", "..", "features", "duplicates.feature")},
		"load": {"load", "--scenario", writeFile(t, "tiny.yaml", tinyScenario), "--seed", "1",
			"--report-dir", filepath.Join(t.TempDir(), "run")},
		"trigger": {"trigger", "call.started"},
	}
}

// Off a terminal, with NO_COLOR, with --no-color and with TERM=dumb, no
// escape sequence is written, to stdout or to stderr; off a terminal and
// with TERM=dumb no carriage return either (progress is heartbeat lines).
func TestNoEscapeSequences(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		terminal bool
		vars     map[string]string
		flags    []string
		log      bool
	}{
		{"not a terminal", false, map[string]string{"TERM": "xterm-256color"}, nil, true},
		{"NO_COLOR", true, map[string]string{"NO_COLOR": "1", "TERM": "xterm"}, nil, false},
		{"--no-color", true, map[string]string{"TERM": "xterm"}, []string{"--no-color"}, false},
		{"TERM=dumb", true, map[string]string{"TERM": "dumb"}, nil, true},
	}
	for name, args := range colourRuns(t) {
		for _, tc := range cases {
			t.Run(name+"/"+tc.name, func(t *testing.T) {
				t.Parallel()
				r := runOn(t, tc.terminal, 0, tc.vars, append(append([]string{}, tc.flags...), args...)...)
				require.Equal(t, ExitPassed, r.code, r.stdout+r.stderr)
				assert.NotContains(t, r.stdout, "\x1b", "stdout")
				assert.NotContains(t, r.stderr, "\x1b", "stderr")
				if tc.log {
					assert.NotContains(t, r.stderr, "\r", "stderr")
				}
				assert.Contains(t, strings.ToLower(r.stdout), "passed")
			})
		}
	}
}

// On a terminal the verdicts are coloured, and godog colours its output.
func TestColourOnATerminal(t *testing.T) {
	t.Parallel()
	green := func(s string) string { return "\x1b[32m" + s + "\x1b[0m" }
	want := map[string]string{
		"simulate": "\n" + green("PASSED") + ": ",
		"features": green("2 passed"),
		"load":     "\n" + green("PASSED") + "\n",
		"trigger":  "\n" + green("PASSED") + ": call.started acknowledged",
	}
	for name, args := range colourRuns(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			r := runOn(t, true, 0, map[string]string{"TERM": "xterm"}, args...)
			require.Equal(t, ExitPassed, r.code, r.stdout+r.stderr)
			assert.Contains(t, r.stdout, want[name])
		})
	}
	t.Run("findings' severities", func(t *testing.T) {
		t.Parallel()
		target := slowTarget(t, 0, http.StatusServiceUnavailable)
		r := runOn(t, true, 0, map[string]string{"TERM": "xterm"}, "simulate", "--target", target,
			"--fixtures", shipped("no-answer"), "--probes", "lifecycle", "--retries", "0")
		require.Equal(t, ExitFindings, r.code, r.stdout+r.stderr)
		assert.Contains(t, r.stdout, "  \x1b[31merror\x1b[0m   ", "padded outside the colour")
		assert.Contains(t, r.stdout, "  \x1b[31mFAIL\x1b[0m no-answer")
		assert.Contains(t, r.stdout, "\n\x1b[31mFAILED\x1b[0m: ")
	})
}

// slowTarget answers every event after delay with status (and the body
// the contract wants of a 2xx).
func slowTarget(t *testing.T, delay time.Duration, status int) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		_, _ = io.Copy(io.Discard, req.Body)
		time.Sleep(delay)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(`{"received":true}`))
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

var heartbeatLine = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ  elapsed \d+s  calls [0-2]/2  events \d+  findings 0$`)

// Off a terminal a long simulate run writes a plain line every heartbeat;
// on one, a line redrawn in place within the width, erased at the end.
func TestSimulateProgress(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("a run of a few seconds")
	}
	target := slowTarget(t, 80*time.Millisecond, http.StatusOK)
	args := []string{"simulate", "--target", target, "--fixtures", shipped("job-interview", "no-answer"), "--probes", "lifecycle", "--concurrency", "1"}
	secret := map[string]string{"WEBHOOK_SECRET": testSecret, "TERM": "xterm"}
	t.Run("log", func(t *testing.T) {
		t.Parallel()
		r := runOn(t, false, 200*time.Millisecond, secret, args...)
		require.Equal(t, ExitPassed, r.code, r.stdout+r.stderr)
		lines := strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n")
		require.GreaterOrEqual(t, len(lines), 2, "22 events at 80 ms: about 2 s, a line every 200 ms\n%s", r.stderr)
		for _, l := range lines {
			assert.Regexp(t, heartbeatLine, l)
		}
		assert.NotContains(t, r.stderr, "\x1b")
	})
	t.Run("short run, default heartbeat: no line", func(t *testing.T) {
		t.Parallel()
		r := runOn(t, false, 0, secret, args...)
		require.Equal(t, ExitPassed, r.code, r.stdout+r.stderr)
		assert.Empty(t, r.stderr)
	})
	t.Run("terminal", func(t *testing.T) {
		t.Parallel()
		r := runOn(t, true, 0, secret, args...)
		require.Equal(t, ExitPassed, r.code, r.stdout+r.stderr)
		require.True(t, strings.HasPrefix(r.stderr, "\r\x1b[K"), "%q", r.stderr)
		require.True(t, strings.HasSuffix(r.stderr, "\r\x1b[K"), "erased at the end: %q", r.stderr)
		assert.NotContains(t, r.stderr, "\n")
		for _, l := range strings.Split(strings.Trim(r.stderr, "\r\x1b[K"), "\r\x1b[K") {
			assert.Less(t, utf8.RuneCountInString(l), 80, "%q", l)
			assert.Regexp(t, `^\ds  calls [0-2]/2  events \d+  findings 0$`, l)
		}
	})
	t.Run("quiet", func(t *testing.T) {
		t.Parallel()
		r := runOn(t, true, 0, secret, append(args, "--quiet")...)
		require.Equal(t, ExitPassed, r.code, r.stdout+r.stderr)
		assert.Empty(t, r.stderr)
	})
}

// features' pretty output shows steps, results and failures, without the Go
// source locations of step definitions.
func TestFeaturesShowNoGoLocations(t *testing.T) {
	t.Parallel()
	failing := writeFile(t, "failing.feature", `Feature: a failing step
  Scenario: the status is not what QA expected
    Given the call "job-interview"
    When the platform delivers the "call.ended" event
    Then the answer status is 500
`)
	for _, terminal := range []bool{false, true} {
		r := runOn(t, terminal, 0, map[string]string{"TERM": "xterm"}, "features", failing)
		require.Equal(t, ExitFindings, r.code, r.stdout+r.stderr)
		assert.NotContains(t, r.stdout, ".go:", "terminal %v", terminal)
		assert.NotContains(t, r.stdout, "->")
		assert.Contains(t, r.stdout, `the platform delivers the "call.ended" event`)
		assert.Contains(t, r.stdout, "answered 200, expected 500")
		assert.Contains(t, r.stdout, "failing.feature:2", "the feature file's locations stay")
	}
	r := runOn(t, false, 0, nil, "features", filepath.Join("..", "..", "features", "duplicates.feature"))
	require.Equal(t, ExitPassed, r.code, r.stdout+r.stderr)
	assert.Contains(t, r.stdout, "    Given the call \"support-resolved\"\n", "no padding left behind")
	assert.NotContains(t, r.stdout, ".go:")
}

// The location filter takes a Go location off a line, coloured or not,
// and leaves the rest alone.
func TestStepLocation(t *testing.T) {
	t.Parallel()
	cases := []struct{ in, want string }{
		{"    Given the call \"x\"      # defs.go:113 -> github.com/hamsasim/hamsasim/internal/steps.theCall\n", "    Given the call \"x\"\n"},
		{"    \x1b[32mGiven\x1b[0m \x1b[32mthe call\x1b[0m \x1b[1;30m# defs.go:113 -> github.com/a/b/steps.theCall\x1b[0m\n", "    \x1b[32mGiven\x1b[0m \x1b[32mthe call\x1b[0m\n"},
		{"  Scenario: x # features/a.feature:6\n", "  Scenario: x # features/a.feature:6\n"},
		{"    Then the text is \"# notes.go:3 -> here\" and more\n", "    Then the text is \"# notes.go:3 -> here\" and more\n"},
	}
	for _, tc := range cases {
		var b bytes.Buffer
		f := &snippetFilter{w: &b}
		_, err := f.Write([]byte(tc.in))
		require.NoError(t, err)
		assert.Equal(t, tc.want, b.String())
	}
}
