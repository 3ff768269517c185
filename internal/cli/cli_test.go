package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hamsasim/hamsasim/internal/receiver"
	"github.com/hamsasim/hamsasim/internal/sign"
)

var update = flag.Bool("update", false, "rewrite golden files")

const testSecret = "Bearer sk_test_CANARY_0123456789abcdef"

type result struct {
	code           int
	stdout, stderr string
}

// runCLI runs the command line in-process with the given environment.
func runCLI(t *testing.T, vars map[string]string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, &env{stdout: &out, stderr: &errb, getenv: func(k string) string { return vars[k] }})
	return result{code, out.String(), errb.String()}
}

// referenceTarget serves the reference receiver (with faults) on loopback.
func referenceTarget(t *testing.T, authorization string, faults ...receiver.Fault) string {
	t.Helper()
	fs := receiver.Faults{}
	for _, f := range faults {
		fs[f] = true
	}
	rcv, err := receiver.New(receiver.Config{Authorization: authorization, DBPath: filepath.Join(t.TempDir(), "r.db"), Faults: fs})
	require.NoError(t, err)
	srv := httptest.NewServer(rcv.Handler())
	t.Cleanup(func() { srv.Close(); rcv.Close() })
	return srv.URL + "/webhook"
}

// testKey is the signing key of the HMAC cases.
var testKey = []byte("0123456789abcdef0123456789abcdef")

// authTarget serves the reference receiver expecting testSecret as a Bearer
// token, or signatures with testKey when hmac is set, and returns the
// environment and flags that make simulate authenticate the same way.
func authTarget(t *testing.T, hmac bool, faults ...receiver.Fault) (srv *httptest.Server, vars map[string]string, args []string) {
	t.Helper()
	cfg := receiver.Config{Authorization: testSecret, DBPath: filepath.Join(t.TempDir(), "r.db"), Faults: receiver.Faults{}}
	vars, args = map[string]string{"WEBHOOK_SECRET": testSecret}, []string{"--auth", "bearer"}
	if hmac {
		cfg.Authorization, cfg.SigningKey = "", testKey
		vars, args = map[string]string{"WEBHOOK_SIGNING_SECRET": sign.FormatSecret(testKey)}, []string{"--auth", "hmac"}
	}
	for _, f := range faults {
		cfg.Faults[f] = true
	}
	rcv, err := receiver.New(cfg)
	require.NoError(t, err)
	srv = httptest.NewServer(rcv.Handler())
	t.Cleanup(func() { srv.Close(); rcv.Close() })
	return srv, vars, args
}

func shipped(names ...string) string {
	var paths []string
	for _, n := range names {
		paths = append(paths, filepath.Join("..", "..", "fixtures", "calls", n+".yaml"))
	}
	return strings.Join(paths, ",")
}

func readReport(t *testing.T, path string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(b, &m))
	return m
}

func TestSimulateEmbeddedDefault(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	r := runCLI(t, nil, "simulate", "--json", filepath.Join(dir, "out.json"), "--junit", filepath.Join(dir, "out.xml"))
	require.Equal(t, ExitPassed, r.code, "stderr: %s\nstdout: %s", r.stderr, r.stdout)
	rep := readReport(t, filepath.Join(dir, "out.json"))
	assert.Equal(t, true, rep["passed"])
	assert.Equal(t, "embedded", rep["targetKind"])
	assert.EqualValues(t, 1262, rep["deliveries"], "every event of the 8 shipped fixtures")
	assert.EqualValues(t, 1262, rep["acknowledged"])
	assert.Empty(t, rep["findings"])
	assert.Contains(t, r.stdout, "PASSED: 1262 events sent, 1262 acknowledged")
	xml, err := os.ReadFile(filepath.Join(dir, "out.xml"))
	require.NoError(t, err)
	assert.Regexp(t, `<testsuites name="hamsasim simulate" tests="\d+" failures="0"`, string(xml))
	assert.Contains(t, string(xml), `<testsuite name="long-hour" tests="1158" failures="0" skipped="0">`)
	assert.Contains(t, string(xml), `<testsuite name="probes"`)
}

func TestSimulateAgainstReferenceReceiverPasses(t *testing.T) {
	t.Parallel()
	target := referenceTarget(t, testSecret)
	r := runCLI(t, map[string]string{"WEBHOOK_SECRET": testSecret}, "simulate", "--target", target, "--fixtures", shipped("job-interview", "ends-early"))
	assert.Equal(t, ExitPassed, r.code, r.stdout+r.stderr)
	assert.Empty(t, r.stderr)
}

func TestSimulateNamesTheFailingEvent(t *testing.T) {
	t.Parallel()
	var hits struct{ started, other int }
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.Header.Get("Authorization") != testSecret {
			t.Errorf("Authorization not sent whole: got %q", req.Header.Get("Authorization"))
		}
		body, _ := io.ReadAll(req.Body)
		w.Header().Set("Content-Type", "application/json")
		if bytes.Contains(body, []byte(`"eventType":"call.started"`)) {
			hits.started++
			w.WriteHeader(http.StatusInternalServerError)
			w.Write([]byte(`{"error":"Internal server error"}`))
			return
		}
		hits.other++
		w.Write([]byte(`{"received":true}`))
	}))
	t.Cleanup(srv.Close)
	out := filepath.Join(t.TempDir(), "out.json")
	r := runCLI(t, map[string]string{"WEBHOOK_SECRET": testSecret}, "simulate", "--target", srv.URL, "--fixtures", shipped("job-interview"), "--retries", "0", "--probes", "lifecycle", "--json", out)
	require.Equal(t, ExitFindings, r.code, r.stdout+r.stderr)
	rep := readReport(t, out)
	assert.Equal(t, false, rep["passed"])
	findings := rep["findings"].([]any)
	require.Len(t, findings, 1)
	f := findings[0].(map[string]any)
	assert.Equal(t, "status.2xx", f["check"])
	assert.Equal(t, "error", f["severity"])
	assert.Equal(t, "call.started", f["event"])
	assert.Equal(t, "job-interview", f["fixture"])
	assert.EqualValues(t, 500, f["status"])
	assert.Equal(t, 1, hits.started, "--retries 0: one attempt")
	assert.Equal(t, 19, hits.other, "the platform goes on with the lifecycle after a failed event")
}

func TestFixtureTypeErrorExits2(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	require.NoError(t, os.WriteFile(bad, []byte("name: bad\nproject: p\nagent: {id: a, name: b}\ncall: {direction: inbound, from: \"+14155550101\", to: \"+14155550102\", ring: soon}\nend: {at: 5s}\n"), 0o644))
	for _, args := range [][]string{
		{"simulate", "--fixtures", bad},
		{"fixtures", "validate", bad},
	} {
		r := runCLI(t, nil, args...)
		assert.Equal(t, ExitUsage, r.code, "%v", args)
		assert.Equal(t, "hamsasim: "+bad+":4: call.ring: \"soon\" is not a duration (use 250ms, 9.5s, 1m30s, or a number of seconds)\n", r.stderr)
		assert.Empty(t, r.stdout)
	}
}

func TestFixturesValidateShipped(t *testing.T) {
	t.Parallel()
	r := runCLI(t, nil, "fixtures", "validate")
	require.Equal(t, ExitPassed, r.code, r.stderr)
	assert.Contains(t, r.stdout, "8 fixture(s) valid against spec/hamsa-webhooks.yaml 1.0.0")
	assert.Contains(t, r.stdout, "long-hour: 1158 events (1153 turns, 2 tools)")
	r = runCLI(t, nil, "fixtures", "validate", filepath.Join("..", "..", "fixtures", "calls"))
	require.Equal(t, ExitPassed, r.code, r.stderr)
	assert.Contains(t, r.stdout, "8 fixture(s) valid")
}

func TestFixtureBreakingTheContractExits2(t *testing.T) {
	t.Parallel()
	// The parser accepts this fixture; a stricter contract rejects its events.
	dir := t.TempDir()
	spec, err := os.ReadFile(filepath.Join("..", "..", "spec", "hamsa-webhooks.yaml"))
	require.NoError(t, err)
	strict := strings.Replace(string(spec), "enum: [inbound, outbound]", "enum: [inbound]", 1)
	require.NotEqual(t, string(spec), strict)
	specPath := filepath.Join(dir, "strict.yaml")
	require.NoError(t, os.WriteFile(specPath, []byte(strict), 0o644))
	r := runCLI(t, nil, "fixtures", "validate", "--spec", specPath, shipped("no-answer"))
	assert.Equal(t, ExitUsage, r.code)
	assert.Contains(t, r.stderr, "no-answer.yaml: fixture produces an event the contract rejects: event 0 (call.started at +0s): $.data.data.callDirection")
}

func TestUsageErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"bad target scheme", []string{"simulate", "--target", "ftp://example.com/x"}, `--target ftp://example.com/x is not an http:// or https:// URL`},
		{"bad target with a password", []string{"simulate", "--target", "ftp://user:CANARY@example.com/x"}, `--target ftp://REDACTED@example.com/x is not`},
		{"target without host", []string{"simulate", "--target", "http://"}, "is not an http:// or https:// URL"},
		{"concurrency zero", []string{"simulate", "--concurrency", "0"}, "--concurrency 0: use 1 to 1000"},
		{"seed not a number", []string{"simulate", "--seed", "abc"}, `--seed "abc" is not a whole number`},
		{"start not a time", []string{"simulate", "--start", "yesterday"}, `--start "yesterday" is not an RFC 3339 time`},
		{"missing fixture path", []string{"simulate", "--fixtures", "no/such/dir"}, "--fixtures no/such/dir: no such file or folder"},
		{"missing spec", []string{"simulate", "--spec", "no-such.yaml"}, "--spec no-such.yaml: no such file or folder"},
		{"unknown flag", []string{"simulate", "--targt", "http://x"}, "unknown flag: --targt"},
		{"unknown command", []string{"simulte"}, `unknown command "simulte"`},
		{"not an int", []string{"simulate", "--retries", "many"}, `invalid argument "many"`},
		{"unknown fault", []string{"receiver", "--no-auth", "--fault", "slow"}, `unknown fault mode "slow" (valid: auth-off, body-limit-100k`},
		{"receiver without secret", []string{"receiver"}, "WEBHOOK_SECRET is not set"},
		{"stray argument", []string{"simulate", "extra"}, `unknown command "extra"`},
		{"fixtures subcommand typo", []string{"fixtures", "valdate"}, `unknown command "valdate" for "hamsasim fixtures" (valid: new, validate)`},
		{"fixtures without subcommand", []string{"fixtures"}, "hamsasim fixtures needs a subcommand: new or validate"},
		{"validate a missing path", []string{"fixtures", "validate", "no/such"}, "fixture path no/such: no such file or folder"},
		{"empty fixtures flag", []string{"simulate", "--fixtures", ""}, "--fixtures: an empty path"},
		{"port out of range", []string{"simulate", "--target", "http://localhost:99999/x"}, "port 99999 is not a port number"},
		{"unwritable report, before anything is sent", []string{"simulate", "--json", "/proc/no/such/x.json"}, "--json /proc/no/such/x.json: cannot"},
		{"two reports in one file", []string{"simulate", "--json", "r.out", "--junit", "./r.out"}, "--json and --junit both write ./r.out"},
	}
	for _, tc := range cases {
		tc := tc
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := runCLI(t, nil, tc.args...)
			assert.Equal(t, ExitUsage, r.code)
			assert.Contains(t, r.stderr, tc.want)
			assert.NotContains(t, r.stderr, "goroutine", "no stack trace")
		})
	}
}

func TestBadSpecExits2(t *testing.T) {
	t.Parallel()
	p := filepath.Join(t.TempDir(), "spec.yaml")
	require.NoError(t, os.WriteFile(p, []byte("openapi: 3.1.0\ninfo: {title: x, version: '1'}\npaths: {}\n"), 0o644))
	r := runCLI(t, nil, "simulate", "--spec", p)
	assert.Equal(t, ExitUsage, r.code)
	assert.Contains(t, r.stderr, p+": invalid contract: no webhooks: section")
}

func TestSecretNeverPrinted(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	// A target that rejects every event and echoes the header back: the
	// excerpt of its answer is the one place the secret could leak from.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		w.WriteHeader(http.StatusUnauthorized)
		w.Write([]byte(`{"error":"Unauthorized"}`))
	}))
	t.Cleanup(srv.Close)
	vars := map[string]string{"WEBHOOK_SECRET": testSecret}
	for _, target := range []string{srv.URL, ""} {
		args := []string{"simulate", "--fixtures", shipped("ends-early"), "--json", filepath.Join(dir, "o.json"), "--junit", filepath.Join(dir, "o.xml")}
		if target != "" {
			args = append(args, "--target", target)
		}
		r := runCLI(t, vars, args...)
		for _, s := range []string{r.stdout, r.stderr, readFile(t, filepath.Join(dir, "o.json")), readFile(t, filepath.Join(dir, "o.xml"))} {
			assert.NotContains(t, s, "CANARY")
		}
	}
}

func TestSecretWithoutBearerWarns(t *testing.T) {
	t.Parallel()
	r := runCLI(t, map[string]string{"WEBHOOK_SECRET": "sk_test_CANARY"}, "simulate", "--fixtures", shipped("no-answer"))
	assert.Equal(t, ExitPassed, r.code)
	assert.Contains(t, r.stderr, `warning: WEBHOOK_SECRET does not start with "Bearer "`)
	assert.NotContains(t, r.stderr, "CANARY")
}

func TestTargetQueryRedacted(t *testing.T) {
	t.Parallel()
	// A receiver with a defect, so that findings (and their curl commands) are written.
	target := referenceTarget(t, "", receiver.FaultFailCallStarted)
	out := filepath.Join(t.TempDir(), "o.json")
	r := runCLI(t, nil, "simulate", "--target", target+"?token=CANARY", "--fixtures", shipped("no-answer"), "--retries", "0", "--json", out)
	assert.Equal(t, ExitFindings, r.code, r.stderr)
	assert.Contains(t, readFile(t, out), `curl -sS -i -X POST 'http://`, "findings carry a reproduction")
	assert.NotContains(t, r.stdout+readFile(t, out), "CANARY")
	assert.Contains(t, readReport(t, out)["target"], "/webhook?REDACTED")
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return string(b)
}

// TestReportGolden pins the three report formats for a run with findings.
func TestReportGolden(t *testing.T) {
	t.Parallel()
	target := referenceTarget(t, testSecret, receiver.FaultFailCallStarted)
	dir := t.TempDir()
	r := runCLI(t, map[string]string{"WEBHOOK_SECRET": testSecret}, "simulate", "--target", target,
		"--fixtures", shipped("no-answer", "ends-early"), "--seed", "1", "--start", "2025-03-01T09:00:00Z",
		"--retries", "0", "--concurrency", "1",
		"--json", filepath.Join(dir, "simulate.json"), "--junit", filepath.Join(dir, "simulate.xml"))
	require.Equal(t, ExitFindings, r.code, r.stderr)
	golden(t, "simulate.txt", normalise(r.stdout, target))
	golden(t, "simulate.json", normalise(readFile(t, filepath.Join(dir, "simulate.json")), target))
	golden(t, "simulate.xml", normalise(readFile(t, filepath.Join(dir, "simulate.xml")), target))
}

var volatile = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`"(latencyMs|durationMs)": \d+`), `"$1": 0`},
	{regexp.MustCompile(`"startedAt": "[^"]+"`), `"startedAt": "T"`},
	{regexp.MustCompile(`"version": "[^"]+"`), `"version": "V"`},
	{regexp.MustCompile(`time="[0-9.]+"`), `time="0.000"`},
	{regexp.MustCompile(`latency: \d+ ms`), `latency: 0 ms`},
	{regexp.MustCompile(`slowest \d+ ms`), `slowest 0 ms`},
	{regexp.MustCompile(`in \d+(\.\d+)? m?s\n`), "in 0 ms\n"},
	{regexp.MustCompile(`127\.0\.0\.1:\d+`), "127.0.0.1:PORT"},
	{regexp.MustCompile(`"timestamp":"[0-9T:.-]+Z"`), `"timestamp":"TS"`},
	{regexp.MustCompile(`hamsasim-wrong-[0-9a-f]+`), "hamsasim-wrong-X"},
	{regexp.MustCompile(`"(meanMs|p95Ms)": [0-9.e+-]+`), `"$1": 0`},
	// The endpoint health table: its mean and p95 columns.
	{regexp.MustCompile(`(?m)^(  \S+\s+\d+\s+[\d.]+%\s+)\S+\s+\S+\s+(.*)$`), "${1}MEAN  P95  $2"},
	{regexp.MustCompile(`(?m)^(  event type\s+deliveries\s+success\s+)mean\s+p95\s+failures$`), "${1}mean  p95  failures"},
}

func normalise(s, target string) string {
	s = strings.ReplaceAll(s, target, "http://TARGET/webhook")
	for _, v := range volatile {
		s = v.re.ReplaceAllString(s, v.with)
	}
	return s
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test ./internal/cli -update")
	assert.Equal(t, string(want), got)
}

func TestSelfSignedTarget(t *testing.T) {
	t.Parallel()
	rcv, err := receiver.New(receiver.Config{Authorization: testSecret, DBPath: filepath.Join(t.TempDir(), "r.db")})
	require.NoError(t, err)
	srv := httptest.NewTLSServer(rcv.Handler())
	t.Cleanup(func() { srv.Close(); rcv.Close() })
	vars := map[string]string{"WEBHOOK_SECRET": testSecret}
	out := filepath.Join(t.TempDir(), "o.json")

	// As the platform: the certificate is refused and nothing is delivered.
	r := runCLI(t, vars, "simulate", "--target", srv.URL+"/webhook", "--fixtures", shipped("no-answer"), "--retries", "0", "--json", out)
	assert.Equal(t, ExitFindings, r.code)
	assert.Contains(t, readFile(t, out), `"errorClass": "tls"`)

	// With --insecure the rest is checked; the certificate stays a note.
	r = runCLI(t, vars, "simulate", "--target", srv.URL+"/webhook", "--fixtures", shipped("no-answer"), "--insecure", "--json", out)
	assert.Equal(t, ExitPassed, r.code, r.stdout)
	assert.Contains(t, r.stdout, "note    tls.valid")
}

func TestAuthFlags(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		vars map[string]string
		args []string
		code int
		want string
	}{
		{"hmac without a secret", nil, []string{"simulate", "--target", "http://127.0.0.1:1/x", "--auth", "hmac"}, ExitUsage, "--auth hmac: WEBHOOK_SIGNING_SECRET is not set"},
		{"hmac secret not base64", map[string]string{"WEBHOOK_SIGNING_SECRET": "whsec_%%%CANARY"}, []string{"simulate", "--auth", "hmac"}, ExitUsage, "WEBHOOK_SIGNING_SECRET: invalid signing secret"},
		{"bearer without a secret", nil, []string{"simulate", "--target", "http://127.0.0.1:1/x", "--auth", "bearer"}, ExitUsage, "--auth bearer: WEBHOOK_SECRET is not set"},
		{"unknown mode", nil, []string{"simulate", "--auth", "basic"}, ExitUsage, `--auth "basic" is not valid (valid: bearer, hmac, none)`},
		{"unknown probe group", nil, []string{"simulate", "--probes", "lifecycle,fuzz"}, ExitUsage, `--probes: unknown group "fuzz"`},
		{"embedded hmac generates a key", nil, []string{"simulate", "--auth", "hmac", "--fixtures", shipped("no-answer")}, ExitPassed, ""},
	}
	for _, tc := range cases {
		tc := tc
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := runCLI(t, tc.vars, tc.args...)
			assert.Equal(t, tc.code, r.code, r.stderr)
			assert.Contains(t, r.stderr, tc.want)
			assert.NotContains(t, r.stdout+r.stderr, "CANARY")
		})
	}
}

func TestChecksCommand(t *testing.T) {
	t.Parallel()
	r := runCLI(t, nil, "checks", "-v")
	assert.Equal(t, ExitPassed, r.code)
	for _, id := range []string{"status.2xx", "latency.5s", "auth.missing", "auth.stale", "duplicate.effect", "order.tolerant", "tls.valid", "target.unreachable"} {
		assert.Contains(t, r.stdout, id)
	}
	assert.Contains(t, r.stdout, "fix: ")
}

func TestWrongProbeURLFails(t *testing.T) {
	t.Parallel()
	target := referenceTarget(t, testSecret)
	out := filepath.Join(t.TempDir(), "o.json")
	// A likely slip: the webhook URL given as the probe API's base.
	r := runCLI(t, map[string]string{"WEBHOOK_SECRET": testSecret}, "simulate", "--target", target, "--probe-url", target,
		"--fixtures", shipped("no-answer"), "--probes", "duplicate", "--json", out)
	assert.Equal(t, ExitFindings, r.code, r.stdout)
	assert.Contains(t, r.stdout, "answered 404, no record of the call")
	assert.Contains(t, r.stdout, "--probe-url ends in /webhook: give the base URL")
}

func TestProbesWithoutLifecycle(t *testing.T) {
	t.Parallel()
	out := filepath.Join(t.TempDir(), "o.json")
	r := runCLI(t, nil, "simulate", "--probes", "auth,payload", "--json", out)
	require.Equal(t, ExitPassed, r.code, r.stdout)
	rep := readReport(t, out)
	assert.EqualValues(t, 0, rep["deliveries"], "no replay")
	assert.EqualValues(t, 0, rep["notSent"])
	assert.Len(t, rep["probes"], 6, "3 auth and 3 payload probes")
}

func TestWrongSecretIsNamed(t *testing.T) {
	t.Parallel()
	target := referenceTarget(t, testSecret)
	r := runCLI(t, map[string]string{"WEBHOOK_SECRET": "Bearer sk_test_not_the_one"}, "simulate", "--target", target,
		"--fixtures", shipped("ends-early"), "--retries", "0", "--probes", "lifecycle")
	assert.Equal(t, ExitFindings, r.code)
	assert.Contains(t, r.stdout, "hint: all 6 events were answered 401/403: check that $WEBHOOK_SECRET is exactly the receiver's value")
}

func TestJUnitOneFailurePerCase(t *testing.T) {
	t.Parallel()
	target := referenceTarget(t, testSecret, receiver.FaultHTMLErrors)
	out := filepath.Join(t.TempDir(), "o.xml")
	r := runCLI(t, map[string]string{"WEBHOOK_SECRET": testSecret}, "simulate", "--target", target, "--strict",
		"--fixtures", shipped("no-answer"), "--junit", out)
	require.Equal(t, ExitFindings, r.code)
	var doc struct {
		Failures int `xml:"failures,attr"`
		Suites   []struct {
			Cases []struct {
				Name     string     `xml:"name,attr"`
				Failures []struct{} `xml:"failure"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	require.NoError(t, xml.Unmarshal([]byte(readFile(t, out)), &doc))
	failed := 0
	for _, s := range doc.Suites {
		for _, c := range s.Cases {
			assert.LessOrEqual(t, len(c.Failures), 1, "test case %q", c.Name)
			failed += len(c.Failures)
		}
	}
	assert.Positive(t, failed)
	assert.Equal(t, doc.Failures, failed, "the header counts what the file holds")
}

// TestEchoedSecretsAreScrubbed: a target that echoes the request's headers
// in its answers, and a probe URL with a token in its query and user info,
// leave no secret in any output.
func TestEchoedSecretsAreScrubbed(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if req.Method == http.MethodGet { // the probe API is not there
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprintf(w, `{"error":"no route %s","auth":%q}`, req.URL.String(), req.Header.Get("Authorization"))
			return
		}
		// Acknowledged, with the header echoed (and no duplicate flag).
		fmt.Fprintf(w, `{"received":true,"auth":%q}`, req.Header.Get("Authorization"))
	}))
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	u, _ := url.Parse(srv.URL)
	u.User = url.UserPassword("probeuser", "CANARYPW")
	probeURL := u.String() + "/probe?token=CANARYQ"
	r := runCLI(t, map[string]string{"WEBHOOK_SECRET": testSecret}, "simulate", "--target", srv.URL+"/webhook?CANARYKEY",
		"--probe-url", probeURL, "--fixtures", shipped("no-answer"), "--retries", "0",
		"--json", filepath.Join(dir, "o.json"), "--junit", filepath.Join(dir, "o.xml"))
	assert.Equal(t, ExitFindings, r.code)
	all := r.stdout + r.stderr + readFile(t, filepath.Join(dir, "o.json")) + readFile(t, filepath.Join(dir, "o.xml"))
	assert.NotContains(t, all, "CANARY")
	assert.Contains(t, all, `\"auth\":\"[REDACTED]\"`, "the echoed header is scrubbed, not dropped")
	assert.Contains(t, all, "GET http://REDACTED@127.0.0.1:", "the probe URL is shown redacted")
	assert.Contains(t, all, "/probe/calls/", "the call path is joined to the probe URL's path, not its query")
}

func TestEchoedSecretsScrubbedFromFeatures(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
		fmt.Fprintf(w, `{"auth":%q}`, req.Header.Get("Authorization"))
	}))
	t.Cleanup(srv.Close)
	junit := filepath.Join(t.TempDir(), "f.xml")
	r := runCLI(t, map[string]string{"WEBHOOK_SECRET": testSecret}, "features", "--target", srv.URL, "--tags", "@lifecycle",
		"--format", "pretty,junit:"+junit)
	assert.Equal(t, ExitFindings, r.code)
	assert.NotContains(t, r.stdout+r.stderr+readFile(t, junit), "CANARY")
	assert.Contains(t, r.stdout, "[REDACTED]")
}
