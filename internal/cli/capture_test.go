package cli

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hamsasim/hamsasim/internal/event"
	"github.com/hamsasim/hamsasim/internal/fixture"
)

// waitFor polls until ok holds, for at most 10 s (a busy machine is slow,
// never this slow).
func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	for i := 0; i < 500; i++ {
		if ok() {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("gave up waiting for %s", what)
}

func postEvent(t *testing.T, url string, body []byte) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Authorization", testSecret)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	return resp.StatusCode
}

// TestCaptureGolden runs the command on a loopback port, replays a short
// call into it, sends a call that never ends with a new event type and an
// unknown field, interrupts it, and compares the console output with
// testdata/capture.txt. The captured files then pass fixtures validate and
// replay with simulate.
func TestCaptureGolden(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	out, ready := filepath.Join(dir, "captured"), filepath.Join(dir, "ready")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr bytes.Buffer
	done := make(chan int, 1)
	vars := map[string]string{"WEBHOOK_SECRET": testSecret}
	go func() {
		done <- run(ctx, []string{"capture", "--listen", "127.0.0.1:0", "--out", out, "--ready-file", ready, "--no-redact"},
			&env{stdout: &stdout, stderr: &stderr, getenv: func(k string) string { return vars[k] }})
	}()
	var url string
	waitFor(t, "the ready file", func() bool {
		b, err := os.ReadFile(ready)
		url = strings.TrimSpace(string(b))
		return err == nil && strings.HasSuffix(url, "/webhook")
	})

	f, err := fixture.ReadFile(filepath.Join("..", "..", "fixtures", "calls", "ends-early.yaml"))
	require.NoError(t, err)
	evs, err := f.Expand(fixture.Options{Seed: 7, Start: time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)})
	require.NoError(t, err)
	for _, ev := range evs {
		require.Equal(t, http.StatusOK, postEvent(t, url, ev.Body), ev.Type)
	}
	require.Equal(t, http.StatusOK, postEvent(t, url, evs[1].Body), "a redelivery")
	waitFor(t, "the first fixture", func() bool {
		m, _ := filepath.Glob(filepath.Join(out, "*.yaml"))
		return len(m) == 1
	})

	// A call that never ends, with drift.
	open, err := event.Marshal(event.Envelope{EventType: event.CallStarted, CallID: "open-call", Timestamp: "2026-03-02T10:00:00.000Z",
		ProjectID: "proj_1", AgentID: "agent_1", AgentName: "Front Desk", Data: map[string]any{
			"callStartedAt": "2026-03-02T10:00:00.000Z", "region": "eu",
			"data": map[string]any{"callDirection": "inbound", "fromNumber": "+14155550101", "toNumber": "+14155550199", "params": map[string]any{}}}})
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, postEvent(t, url, open))
	transferred := bytes.Replace(open, []byte(`"call.started"`), []byte(`"call.transferred"`), 1)
	require.Equal(t, http.StatusOK, postEvent(t, url, transferred))
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(string(open)))
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)

	cancel()
	var code int
	select {
	case code = <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("capture did not stop after the interrupt")
	}
	assert.Equal(t, ExitInterrupted, code)
	assert.Equal(t, "hamsasim: interrupted\n", stderr.String())

	got := regexp.MustCompile(`127\.0\.0\.1:\d+`).ReplaceAllString(stdout.String(), "127.0.0.1:PORT")
	got = strings.ReplaceAll(got, dir, "DIR")
	golden := filepath.Join("testdata", "capture.txt")
	if *update {
		require.NoError(t, os.WriteFile(golden, []byte(got), 0o644))
	}
	want, err := os.ReadFile(golden)
	require.NoError(t, err)
	assert.Equal(t, string(want), got)
	assert.NotContains(t, stdout.String()+stderr.String(), "CANARY", "the secret is never printed")

	files, _ := filepath.Glob(filepath.Join(out, "*.yaml"))
	require.Len(t, files, 2)
	for _, file := range files {
		b, err := os.ReadFile(file)
		require.NoError(t, err)
		assert.NotContains(t, string(b), "CANARY", "the secret is never written")
	}
	r := runCLI(t, nil, append([]string{"fixtures", "validate"}, files...)...)
	assert.Equal(t, ExitPassed, r.code, r.stdout+r.stderr)
	assert.Contains(t, r.stdout, "2 fixture(s) valid")
	r = runCLI(t, nil, "simulate", "--fixtures", strings.Join(files, ","), "-q")
	assert.Equal(t, ExitPassed, r.code, r.stdout+r.stderr)
}

func TestCaptureBadInput(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	require.NoError(t, os.WriteFile(file, nil, 0o644))
	secret := map[string]string{"WEBHOOK_SECRET": testSecret}
	cases := []struct {
		name string
		vars map[string]string
		args []string
		want string
	}{
		{"no secret", nil, nil, "hamsasim: --auth bearer: WEBHOOK_SECRET is not set; set it to the whole Authorization value, e.g. export WEBHOOK_SECRET='Bearer <token>'\n"},
		{"bad auth", secret, []string{"--auth", "basic"}, "hamsasim: --auth \"basic\" is not valid (valid: bearer, hmac, none)\n"},
		{"bad idle", secret, []string{"--idle", "0s"}, "hamsasim: --idle 0s: must be longer than 0 (for example 10m)\n"},
		{"idle not a duration", secret, []string{"--idle", "soon"}, "hamsasim: capture: invalid argument \"soon\" for \"--idle\" flag: time: invalid duration \"soon\" (see 'hamsasim capture --help')\n"},
		{"out is a file", secret, []string{"--out", filepath.Join(file, "sub")}, "hamsasim: --out " + filepath.Join(file, "sub") + ": cannot create the folder: not a directory\n"},
		{"bad listen", secret, []string{"--listen", "127.0.0.1:99999"}, "hamsasim: --listen 127.0.0.1:99999: listen tcp: address 99999: invalid port\n"},
		{"missing spec", secret, []string{"--spec", filepath.Join(dir, "nope.yaml")}, "hamsasim: --spec " + filepath.Join(dir, "nope.yaml") + ": no such file or folder\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			args := append([]string{"capture", "--out", filepath.Join(t.TempDir(), "out")}, tc.args...)
			r := runCLI(t, tc.vars, args...)
			assert.Equal(t, ExitUsage, r.code)
			assert.Equal(t, tc.want, r.stderr)
			assert.Empty(t, r.stdout)
		})
	}
}
