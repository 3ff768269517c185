package cli

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestUnknownFlagSuggests: a misspelled flag names the flag meant, as
// misspelled commands and config keys do; exit 2.
func TestUnknownFlagSuggests(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"one letter off", []string{"load", "--duraton", "10s"}, "hamsasim: load: unknown flag: --duraton; did you mean --duration? (see 'hamsasim load --help')\n"},
		{"two letters swapped", []string{"load", "--drian", "3s"}, "hamsasim: load: unknown flag: --drian; did you mean --drain? (see 'hamsasim load --help')\n"},
		{"with a value after =", []string{"simulate", "--concurrecny=3"}, "hamsasim: simulate: unknown flag: --concurrecny; did you mean --concurrency? (see 'hamsasim simulate --help')\n"},
		{"a subcommand's path", []string{"report", "merge", "--partail", "x"}, "hamsasim: report merge: unknown flag: --partail; did you mean --partial? (see 'hamsasim report merge --help')\n"},
		{"the start of a flag", []string{"load", "--dur", "3s"}, "unknown flag: --dur; did you mean --duration?"},
		{"a long flag with one dash", []string{"load", "-duration", "3s"}, "unknown shorthand flag: 'd' in -duration; did you mean --duration (two dashes)?"},
		{"another command's flag", []string{"simulate", "--scenario", "steady"}, "unknown flag: --scenario; it is a flag of hamsasim load"},
		{"--json where -o json is meant", []string{"checks", "--json"}, "unknown flag: --json; this command prints JSON with -o json"},
		{"the root's flags", []string{"--verison"}, "hamsasim: unknown flag: --verison; did you mean --version? (see 'hamsasim --help')\n"},
		{"config names the described command", []string{"config", "load", "--duraton", "10s"}, "hamsasim: config load: unknown flag: --duraton; did you mean --duration? (see 'hamsasim load --help')\n"},
		{"nothing near", []string{"simulate", "--zzzzzz"}, "hamsasim: simulate: unknown flag: --zzzzzz (see 'hamsasim simulate --help')\n"},
		{"an unknown shorthand", []string{"simulate", "-x"}, "hamsasim: simulate: unknown shorthand flag: 'x' in -x (see 'hamsasim simulate --help')\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := runCLI(t, nil, tc.args...)
			assert.Equal(t, ExitUsage, r.code)
			assert.Empty(t, r.stdout)
			if tc.want[len(tc.want)-1] == '\n' {
				assert.Equal(t, tc.want, r.stderr)
			} else {
				assert.Contains(t, r.stderr, tc.want)
			}
		})
	}
}
