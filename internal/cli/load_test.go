package cli

import (
	"encoding/json"
	"encoding/xml"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hamsasim/hamsasim/internal/loadreport"
	"github.com/hamsasim/hamsasim/internal/receiver"
)

const tinyScenario = `
name: tiny
duration: 1s
arrival: {constant: 4}
mix:
  - {fixture: no-answer, weight: 1}
  - {fixture: ends-early, weight: 1}
timeScale: 0.005
duplicates: 0.2
delivery: {timeout: 1s, retries: 0}
thresholds:
  - p99 < 5s
  - call.ended timeouts == 0
  - contract_violations == 0
`

func writeFile(t *testing.T, name, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(p, []byte(text), 0o644))
	return p
}

func readSummary(t *testing.T, dir string) *loadreport.Summary {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "summary.json"))
	require.NoError(t, err)
	s, err := loadreport.ReadSummary(data, dir)
	require.NoError(t, err)
	return s
}

// With no target, load runs a shipped scenario by name against the
// embedded receiver and writes the three reports.
func TestLoadEmbeddedWritesReports(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "run")
	junit := filepath.Join(t.TempDir(), "load.xml")
	r := runCLI(t, nil, "load", "--scenario", "steady", "--duration", "1s", "--drain", "30s", "--report-dir", dir, "--junit", junit, "--seed", "5")
	require.Equal(t, 0, r.code, r.stdout+r.stderr)
	assert.Contains(t, r.stdout, "PASSED")
	assert.Contains(t, r.stdout, "steady-business-hours")
	s := readSummary(t, dir)
	assert.EqualValues(t, 2, s.Calls.Started)
	assert.Equal(t, "embedded", s.TargetKind)
	assert.True(t, s.Passed)
	html, err := os.ReadFile(filepath.Join(dir, "report.html"))
	require.NoError(t, err)
	assert.Contains(t, string(html), "steady-business-hours")
	info, err := os.Stat(filepath.Join(dir, "results.bin"))
	require.NoError(t, err)
	assert.Positive(t, info.Size())
	var doc struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
	}
	data, err := os.ReadFile(junit)
	require.NoError(t, err)
	require.NoError(t, xml.Unmarshal(data, &doc))
	assert.Equal(t, 4+2, doc.Tests, "the scenario's 4 thresholds, and lost == 0 and duplicated == 0 as the embedded receiver is audited")
	assert.Equal(t, 0, doc.Failures)
}

// A receiver that answers after the budget fails the run (exit 1) with the
// timeouts counted on call.ended, in the summary and the JUnit file.
func TestLoadSlowAckFails(t *testing.T) {
	t.Parallel()
	target := referenceTarget(t, testSecret, receiver.FaultSlowAck)
	dir := filepath.Join(t.TempDir(), "run")
	junit := filepath.Join(t.TempDir(), "load.xml")
	r := runCLI(t, map[string]string{"WEBHOOK_SECRET": testSecret}, "load", "--scenario", writeFile(t, "tiny.yaml", tinyScenario),
		"--target", target, "--report-dir", dir, "--junit", junit, "--seed", "1", "--quiet")
	require.Equal(t, 1, r.code, r.stdout+r.stderr)
	assert.True(t, strings.HasPrefix(r.stdout, "FAILED: tiny"), r.stdout)
	s := readSummary(t, dir)
	var ended loadreport.TypeStats
	for _, ts := range s.PerType {
		if ts.Type == "call.ended" {
			ended = ts
		}
	}
	assert.EqualValues(t, 4, ended.Deliveries)
	assert.EqualValues(t, 4, ended.Timeouts, "%v", ended.Status)
	require.Len(t, s.Thresholds, 3)
	assert.False(t, s.Thresholds[1].Held)
	data, err := os.ReadFile(junit)
	require.NoError(t, err)
	assert.Contains(t, string(data), `threshold call.ended timeouts == 0 did not hold: got 4`)
	assert.NotContains(t, string(data), testSecret)
}

// Shards of one seed merge into one report; the merge refuses a mismatch.
func TestLoadShardsAndMerge(t *testing.T) {
	t.Parallel()
	target := referenceTarget(t, testSecret)
	sc := writeFile(t, "tiny.yaml", tinyScenario)
	root := t.TempDir()
	vars := map[string]string{"WEBHOOK_SECRET": testSecret}
	for _, shard := range []string{"0/2", "1/2"} {
		dir := filepath.Join(root, "shard-"+shard[:1])
		r := runCLI(t, vars, "load", "--scenario", sc, "--target", target, "--shard", shard, "--seed", "8", "--report-dir", dir, "--quiet")
		require.Equal(t, 0, r.code, r.stdout+r.stderr)
	}
	out := filepath.Join(root, "merged")
	r := runCLI(t, nil, "report", "merge", "--out", out, filepath.Join(root, "shard-0"), filepath.Join(root, "shard-1", "summary.json"))
	require.Equal(t, 0, r.code, r.stdout+r.stderr)
	assert.Contains(t, r.stdout, "merged from 2 shards")
	s := readSummary(t, out)
	assert.Equal(t, 2, s.Merged)
	assert.EqualValues(t, 4, s.Calls.Started)
	for _, f := range []string{"report.html", "results.bin"} {
		_, err := os.Stat(filepath.Join(out, f))
		assert.NoError(t, err, f)
	}

	r = runCLI(t, nil, "report", "merge", "--out", filepath.Join(root, "again"), filepath.Join(root, "shard-0"), filepath.Join(root, "shard-0"))
	assert.Equal(t, 2, r.code)
	assert.Contains(t, r.stderr, "shard 0/2 is given twice")

	r = runCLI(t, nil, "report", "merge", "--out", filepath.Join(root, "one"), filepath.Join(root, "shard-1"))
	assert.Equal(t, 2, r.code)
	assert.Contains(t, r.stderr, "missing shard 0/2")

	bad := writeFile(t, "summary.json", `{"tool": "something else"}`)
	r = runCLI(t, nil, "report", "merge", "--out", filepath.Join(root, "bad"), bad)
	assert.Equal(t, 2, r.code)
	assert.Contains(t, r.stderr, "is not a hamsasim load summary")
}

// Bad flags and inputs: exit 2 with a message naming the flag or file,
// before anything is sent.
func TestLoadBadInput(t *testing.T) {
	t.Parallel()
	badScenario := writeFile(t, "bad.yaml", "name: bad\nduration: 10s\narrival: {constant: 1}\nmix: [{fixture: job-interview, weight: 1}]\ntimescale: 0.1\n")
	unknownFixture := writeFile(t, "unknown.yaml", "name: unk\nduration: 10s\narrival: {constant: 1}\nmix: [{fixture: job-intervew, weight: 1}]\n")
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"no scenario", []string{"load"}, "--scenario is required"},
		{"unknown name", []string{"load", "--scenario", "stedy"}, "did you mean steady?"},
		{"scenario error", []string{"load", "--scenario", badScenario}, "bad.yaml:5: timescale: unknown field"},
		{"unknown fixture", []string{"load", "--scenario", unknownFixture}, `no fixture is named "job-intervew"; did you mean job-interview?`},
		{"shard shape", []string{"load", "--scenario", "steady", "--shard", "2", "--seed", "1"}, `--shard "2" is not i/n`},
		{"shard range", []string{"load", "--scenario", "steady", "--shard", "2/2", "--seed", "1"}, "i from 0 to n-1"},
		{"shard seed", []string{"load", "--scenario", "steady", "--shard", "0/2"}, "--shard needs --seed"},
		{"duration", []string{"load", "--scenario", "steady", "--duration", "0s"}, "--duration 0s"},
		{"workers", []string{"load", "--scenario", "steady", "--workers", "0"}, "--workers 0"},
		{"remote", []string{"load", "--scenario", "steady", "--target", "https://staging.example.com/hook"}, "add --yes"},
		{"remote capacity", []string{"load", "--scenario", "steady", "--duration", "10s", "--target", "https://staging.example.com/hook", "--find-capacity"}, "capacity search"},
		{"start-at", []string{"load", "--scenario", "steady", "--start-at", "tomorrow"}, "--start-at \"tomorrow\""},
		{"capacity shard", []string{"load", "--scenario", "steady", "--find-capacity", "--shard", "0/2", "--seed", "1"}, "cannot be combined"},
		{"capacity stage", []string{"load", "--scenario", "steady", "--find-capacity", "--stage", "1s"}, "--stage 1s: use 3s to 1h"},
		{"capacity warmup", []string{"load", "--scenario", "steady", "--find-capacity", "--warmup", "-1s"}, "--warmup -1s"},
		{"merge no out", []string{"report", "merge", "x"}, "--out is required"},
		{"merge missing", []string{"report", "merge", "--out", t.TempDir(), filepath.Join(t.TempDir(), "nope")}, "cannot read"},
		{"report bare", []string{"report"}, "name a subcommand: merge"},
		{"threshold", []string{"load", "--scenario", "steady", "--threshold", "call.ended lost == 0"}, `lost is counted over the whole run, not per event type: write "lost == 0"`},
		{"probe-url", []string{"load", "--scenario", "steady", "--probe-url", "ftp://x"}, "--probe-url ftp://x is not an http:// or https:// URL"},
		{"probe capacity", []string{"load", "--scenario", "steady", "--probe-url", "http://127.0.0.1:1", "--find-capacity"}, "--probe-url and --effects-db audit one run"},
		{"breaker", []string{"load", "--scenario", "steady", "--breaker", "-1s"}, "--breaker -1s"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := runCLI(t, map[string]string{"WEBHOOK_SECRET": testSecret}, tc.args...)
			assert.Equal(t, 2, r.code, r.stdout+r.stderr)
			assert.Contains(t, r.stderr, tc.want)
			assert.NotContains(t, r.stderr+r.stdout, "panic")
			assert.NotContains(t, r.stderr+r.stdout, testSecret)
		})
	}
}

// The end-state audit asks the probe API what the endpoint recorded: a
// receiver that processes redeliveries again is caught, and a threshold on
// it fails the run.
func TestLoadAuditCatchesDuplicatedProcessing(t *testing.T) {
	t.Parallel()
	target := referenceTarget(t, testSecret, receiver.FaultNoDedupe)
	dir := filepath.Join(t.TempDir(), "run")
	r := runCLI(t, map[string]string{"WEBHOOK_SECRET": testSecret}, "load", "--scenario", "duplicate-storm", "--duration", "2s",
		"--target", target, "--probe-url", strings.TrimSuffix(target, "/webhook"), "--seed", "4", "--report-dir", dir,
		"--threshold", "duplicated == 0", "--threshold", "lost == 0")
	require.Equal(t, 1, r.code, r.stdout+r.stderr)
	s := readSummary(t, dir)
	a := s.Audit
	assert.Positive(t, a.Duplicated, "duplicates were processed again")
	assert.Zero(t, a.Lost)
	assert.Equal(t, s.Calls.Started, a.Checked)
	assert.Equal(t, a.Acknowledged, a.Recorded, "every acknowledged event recorded once")
	assert.Equal(t, s.Overall.Acked-s.Overall.DuplicatesAcked, a.Acknowledged)
	assert.Contains(t, r.stdout, "FAIL duplicated == 0")
	assert.Regexp(t, `call [0-9a-f-]+: duplicated: .* took effect \d+ times for`, r.stdout)
	byName := map[string]loadreport.ThresholdResult{}
	for _, th := range s.Thresholds {
		byName[th.Threshold] = th
	}
	assert.False(t, byName["duplicated == 0"].Held)
	assert.True(t, byName["lost == 0"].Held)
}

// Without a probe API the endpoint's side is unknown: a threshold on lost
// events fails saying so, never passes unchecked.
func TestLoadAuditWithoutProbeFailsLostThreshold(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"received":true}`))
	}))
	t.Cleanup(srv.Close)
	dir := filepath.Join(t.TempDir(), "run")
	r := runCLI(t, map[string]string{"WEBHOOK_SECRET": testSecret}, "load", "--scenario", writeFile(t, "tiny.yaml", tinyScenario),
		"--target", srv.URL, "--seed", "2", "--report-dir", dir, "--threshold", "lost == 0", "--threshold", "dead_letters == 0")
	require.Equal(t, 1, r.code, r.stdout+r.stderr)
	s := readSummary(t, dir)
	assert.Empty(t, s.Audit.Probe)
	assert.Positive(t, s.Audit.Acknowledged)
	assert.Contains(t, r.stdout, "the endpoint's side was not checked")
	last := s.Thresholds[len(s.Thresholds)-2:]
	assert.False(t, last[0].Held)
	assert.Contains(t, last[0].GotText, "needs --probe-url")
	assert.True(t, last[1].Held, "dead letters are the platform's own side")
}

func TestLoadSummaryJSONIsStable(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "run")
	r := runCLI(t, nil, "load", "--scenario", writeFile(t, "tiny.yaml", tinyScenario), "--report-dir", dir, "--seed", "3", "--quiet")
	require.Equal(t, 0, r.code, r.stdout+r.stderr)
	var raw map[string]any
	data, err := os.ReadFile(filepath.Join(dir, "summary.json"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(data, &raw))
	for _, k := range []string{"version", "scenario", "seed", "shard", "calls", "overall", "perType", "thresholds", "timeline", "histograms"} {
		assert.Contains(t, raw, k)
	}
}

// A --start-at already past starts at once, with a warning.
func TestLoadStartAtPastWarns(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "run")
	r := runCLI(t, nil, "load", "--scenario", writeFile(t, "tiny.yaml", tinyScenario), "--report-dir", dir, "--seed", "3", "--quiet",
		"--start-at", "2020-01-01T00:00:00Z")
	require.Equal(t, 0, r.code, r.stdout+r.stderr)
	assert.Contains(t, r.stderr, "warning: --start-at 2020-01-01T00:00:00Z passed")
}

func TestLoadEventsFlag(t *testing.T) {
	t.Parallel()
	r := runCLI(t, nil, "load", "--scenario", "steady", "--events", "call.started,call.ende")
	assert.Equal(t, 2, r.code)
	assert.Contains(t, r.stderr, `--events: "call.ende" is not an event type; did you mean call.ended?`)

	dir := filepath.Join(t.TempDir(), "run")
	r = runCLI(t, nil, "load", "--scenario", writeFile(t, "tiny.yaml", tinyScenario), "--events", "call.ended", "--report-dir", dir, "--seed", "2", "--quiet")
	require.Equal(t, 0, r.code, r.stdout+r.stderr)
	s := readSummary(t, dir)
	require.Len(t, s.PerType, 1)
	assert.Equal(t, "call.ended", s.PerType[0].Type)
}

// A target that stops answering trips the breaker; the audit is then not
// attempted (it would only wait out its time limit): every call is
// unchecked and the run fails at once.
func TestLoadBreakerSkipsTheAudit(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	dir := filepath.Join(t.TempDir(), "run")
	began := time.Now()
	r := runCLI(t, nil, "load", "--scenario", "steady", "--duration", "2m", "--auth", "none", "--target", "http://"+addr+"/webhook",
		"--probe-url", "http://"+addr, "--breaker", "1s", "--report-dir", dir, "--seed", "3", "--threshold", "lost == 0")
	require.Equal(t, ExitFindings, r.code, r.stdout+r.stderr)
	assert.Less(t, time.Since(began), time.Minute)
	s := readSummary(t, dir)
	assert.True(t, strings.HasPrefix(s.StopReason, "target.unreachable: "), s.StopReason)
	assert.Equal(t, s.Calls.Started, s.Audit.Unchecked)
	assert.Equal(t, []string{"not audited: the target stopped answering (target.unreachable)"}, s.Audit.Problems)
	assert.Contains(t, r.stdout, "stopped early: target.unreachable")
}
