package cli

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCompletion runs cobra's hidden __complete command,
// as the shell scripts do: each case's whole answer, the directive last
// (:4 no file completion, :6 and no space, :8 files with these extensions).
// Values are registered by flag name in completion.go, for every command.
func TestCompletion(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		args []string
		want []string
	}{
		{name: "trigger's event", args: []string{"trigger", ""}, want: []string{"call.started", "call.answered", "transcription.update", "tool.executed", "call.ended", ":4"}},
		{name: "trigger's event by prefix", args: []string{"trigger", "tr"}, want: []string{"transcription.update", ":4"}},
		{name: "one event only", args: []string{"trigger", "call.ended", ""}, want: []string{":4"}},
		{name: "fixtures that produce the event", args: []string{"trigger", "tool.executed", "--fixture", ""}, want: []string{
			"job-interview\t", "long-hour\t", "sales-outbound-tools\t", "support-multilingual\t", "support-resolved\t", "support-urgent-unresolved\t", ":4"}},
		{name: "fixture names from --fixtures", args: []string{"trigger", "--fixtures", "../../fixtures/calls/ends-early.yaml,../../fixtures/calls/no-answer.yaml", "--fixture", ""}, want: []string{"ends-early\t", "no-answer\t", ":4"}},
		{name: "fixture files", args: []string{"trigger", "--fixtures", ""}, want: []string{"yaml", "yml", ":8"}},
		{name: "fixtures validate's paths", args: []string{"fixtures", "validate", ""}, want: []string{"yaml", "yml", ":8"}},
		{name: "a scenario's name", args: []string{"load", "--scenario", "st"}, want: []string{"steady\tshipped scenario", ":4"}},
		{name: "a scenario file", args: []string{"load", "--scenario", "testdata/cap"}, want: []string{"testdata/capacity-fast.yaml", ":4"}},
		{name: "the folder on the way to a scenario file", args: []string{"load", "--scenario", "testd"}, want: []string{"testdata/", ":6"}},
		{name: "feature files", args: []string{"features", ""}, want: []string{"feature", ":8"}},
		{name: "a dead-letter file, once", args: []string{"redeliver", "x.jsonl", ""}, want: []string{":4"}},
		{name: "output formats", args: []string{"checks", "-o", ""}, want: []string{"text\t", "json\t", ":4"}},
		{name: "auth modes", args: []string{"simulate", "--auth", ""}, want: []string{"bearer\t", "hmac\t", "none\t", ":4"}},
		{name: "auth prefix", args: []string{"features", "--auth", "h"}, want: []string{"hmac\t", ":4"}},
		{name: "event types after a comma", args: []string{"load", "--events", "call.started,call.e"}, want: []string{"call.started,call.ended", ":6"}},
		{name: "receiver faults", args: []string{"receiver", "--fault", "slow"}, want: []string{"slow-ack\tanswers after 6 s", ":6"}},
		{name: "shipped scenarios", args: []string{"load", "--scenario", "peak"}, want: []string{"peak-ramp\t", ":4"}},
		{name: "commands for config", args: []string{"config", "sim"}, want: []string{"simulate\t", ":4"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res := runCLI(t, nil, append([]string{"__complete"}, tc.args...)...)
			require.Equal(t, ExitPassed, res.code, res.stderr)
			lines := strings.Split(strings.TrimSpace(res.stdout), "\n")
			require.Len(t, lines, len(tc.want), res.stdout)
			for i, w := range tc.want {
				assert.True(t, strings.HasPrefix(lines[i], w), "line %d: got %q, want it to start with %q", i, lines[i], w)
			}
		})
	}
}
