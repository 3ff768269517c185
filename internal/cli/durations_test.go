package cli

import (
	"regexp"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestHelpDurationDefaults: no command's --help shows a sentinel (-1ns) or
// a duration as Go spells it (10m0s) as a flag's default.
func TestHelpDurationDefaults(t *testing.T) {
	t.Parallel()
	machine := regexp.MustCompile(`\(default -|\(default [0-9.]+(ns|µs)\)|\(default \S*[hm]0s\)|\(default \S*h0m\)`)
	var paths [][]string
	var walk func(c *cobra.Command, path []string)
	walk = func(c *cobra.Command, path []string) {
		paths = append(paths, path)
		for _, sub := range c.Commands() {
			if !sub.Hidden {
				walk(sub, append(append([]string{}, path...), sub.Name()))
			}
		}
	}
	walk(newRoot(&env{getenv: func(string) string { return "" }}), nil)
	require.Greater(t, len(paths), 10)
	for _, p := range paths {
		r := runCLI(t, nil, append(p, "--help")...)
		require.Equal(t, ExitPassed, r.code, "%v: %s", p, r.stderr)
		for _, line := range strings.Split(r.stdout, "\n") {
			assert.NotRegexp(t, machine, line, "hamsasim %s --help", strings.Join(p, " "))
		}
	}
	r := runCLI(t, nil, "load", "--help")
	assert.Regexp(t, `--drain duration +after arrivals end, how long in-flight calls may take \(default: the scenario's drain\)\n`, r.stdout)
	assert.Regexp(t, `--breaker duration .*\(default 30s\)\n`, r.stdout)
	assert.Contains(t, r.stdout, "longer than 5m, or --find-capacity")
	r = runCLI(t, nil, "capture", "--help")
	assert.Regexp(t, `--idle duration .*\(default 10m\)\n`, r.stdout)
}

// TestDurationsAsWritten: hamsasim config echoes a duration as the flag,
// the variable or the file wrote it.
func TestDurationsAsWritten(t *testing.T) {
	t.Parallel()
	file := writeConfig(t, "load:\n  drain: 120s\n")
	rows := configRows(t, map[string]string{"HAMSASIM_CONFIG": file, "HAMSASIM_BREAKER": "1m30s"}, file, "load", "--duration", "90s")
	assert.Equal(t, [2]string{"90s", "flag"}, rows["--duration"])
	assert.Equal(t, [2]string{"1m30s", "env HAMSASIM_BREAKER"}, rows["--breaker"])
	assert.Equal(t, [2]string{"120s", "FILE:2"}, rows["--drain"])

	r := runCLI(t, nil, "load", "--scenario", "steady", "--duration", "1500m")
	assert.Equal(t, ExitUsage, r.code)
	assert.Equal(t, "hamsasim: --duration 1500m: use more than 0 and at most 24h\n", r.stderr)
}
