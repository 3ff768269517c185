package cli

import (
	"encoding/json"
	"io"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestOutputJSONGolden pins -o json of the commands that describe
// something: field names are a promise to scripts (see the README's table).
func TestOutputJSONGolden(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, golden string
		vars         map[string]string
		args         []string
		code         int
		stderr       string
	}{
		{name: "checks", golden: "checks.json", args: []string{"checks", "-o", "json"}},
		{name: "fixtures validate", golden: "fixtures-validate.json", args: []string{"fixtures", "validate", "--output", "json", "../../fixtures/calls/ends-early.yaml", "../../fixtures/calls/no-answer.yaml"}},
		{
			name: "fixtures validate with problems", golden: "fixtures-validate-problems.json",
			args: []string{"fixtures", "validate", "-o", "json", "testdata/bad/files/fixture-bad.yaml", "../../fixtures/calls/ends-early.yaml"},
			code: ExitUsage, stderr: "hamsasim: testdata/bad/files/fixture-bad.yaml:4: call.ring: \"soon\" is not a duration",
		},
		{
			name: "config", golden: "config-load.json",
			vars: map[string]string{"HAMSASIM_CONFIG": "testdata/config/hamsasim.yaml", "HAMSASIM_AUTH": "hmac", "STAGING_WEBHOOK_SECRET": testSecret},
			args: []string{"config", "load", "-o", "json", "--threshold", "lost == 0", "--duration", "90s"},
		},
		{name: "config without a file", golden: "config-none.json", args: []string{"config", "--config", "", "checks", "--output=json"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := runCLI(t, tc.vars, tc.args...)
			require.Equal(t, tc.code, r.code, r.stderr)
			if tc.stderr == "" {
				assert.Empty(t, r.stderr)
			}
			assert.Contains(t, r.stderr, tc.stderr)
			assert.True(t, json.Valid([]byte(r.stdout)), "not JSON: %s", r.stdout)
			assert.NotContains(t, r.stdout, "CANARY")
			golden(t, "json/"+tc.golden, r.stdout)
		})
	}
}

// TestTriggerJSONGolden: trigger -o json for an acknowledged event and for
// a rejected one (exit 1 as in text).
func TestTriggerJSONGolden(t *testing.T) {
	t.Parallel()
	rejecting := func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, `{"error":"Invalid payload"}`)
	}
	cases := []struct {
		name, golden string
		answer       http.HandlerFunc
		args         []string
		code         int
	}{
		{"acknowledged", "trigger-acknowledged.json", received, []string{"call.started", "--fixture", "ends-early", "--set", "data.data.params.job_title=QA"}, ExitPassed},
		{"rejected", "trigger-rejected.json", rejecting, []string{"call.started", "--fixture", "no-answer", "--unset", "callId"}, ExitFindings},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			target, _ := recordingTarget(t, tc.answer)
			r := runCLI(t, map[string]string{"WEBHOOK_SECRET": testSecret}, triggerArgs(target, append(tc.args, "-o", "json")...)...)
			require.Equal(t, tc.code, r.code, r.stderr)
			assert.Empty(t, r.stderr)
			assert.NotContains(t, r.stdout, "CANARY")
			var doc map[string]any
			require.NoError(t, json.Unmarshal([]byte(r.stdout), &doc))
			assert.Equal(t, tc.code == ExitPassed, doc["passed"])
			golden(t, "json/"+tc.golden, normalise(r.stdout, target))
		})
	}

	// Not sent because of --events: still one document, exit 0.
	r := runCLI(t, nil, "trigger", "call.ended", "--events", "call.started", "-o", "json")
	require.Equal(t, ExitPassed, r.code, r.stderr)
	var doc map[string]any
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &doc))
	assert.Equal(t, "the endpoint is subscribed to call.started (--events), not to call.ended", doc["notSent"])
	assert.NotContains(t, doc, "request")

	// A bad flag is still exit 2 with the message on stderr, nothing on stdout.
	r = runCLI(t, nil, "trigger", "call.ended", "--index", "0", "-o", "json")
	assert.Equal(t, ExitUsage, r.code)
	assert.Empty(t, r.stdout)
	assert.Contains(t, r.stderr, "--index 0: events are counted from 1")
	r = runCLI(t, nil, "checks", "-o", "yaml")
	assert.Equal(t, ExitUsage, r.code)
	assert.Equal(t, "hamsasim: --output \"yaml\": use text or json\n", r.stderr)
	r = runCLI(t, nil, "config", "load", "-o")
	assert.Equal(t, ExitUsage, r.code)
	assert.Equal(t, "hamsasim: config: --output \"\": use text or json\n", r.stderr)
}
