package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// stallingTarget acknowledges the first few events, then holds every
// answer until the client gives up; started is closed when the first held
// request arrives.
func stallingTarget(t *testing.T, ackFirst int) (url string, stalled <-chan struct{}) {
	t.Helper()
	ch := make(chan struct{})
	var once sync.Once
	var mu sync.Mutex
	n := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		mu.Lock()
		n++
		mine := n
		mu.Unlock()
		if mine > ackFirst {
			once.Do(func() { close(ch) })
			select {
			case <-r.Context().Done():
			case <-time.After(10 * time.Second):
			}
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"received":true}`)
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/webhook", ch
}

// runInterrupted runs the command line and interrupts it (as Ctrl-C does
// through main's signal context) once the target holds an answer.
func runInterrupted(t *testing.T, stalled <-chan struct{}, args ...string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-stalled:
			cancel()
		case <-ctx.Done():
		}
	}()
	var out, errb bytes.Buffer
	began := time.Now()
	code := run(ctx, args, &env{stdout: &out, stderr: &errb, getenv: func(string) string { return "" }})
	assert.Less(t, time.Since(began), 30*time.Second, "stopped promptly")
	return code, out.String() + errb.String()
}

// Ctrl-C during simulate stops sending, writes the partial report marked
// interrupted, and exits 130.
func TestSimulateInterruptedWritesPartialReport(t *testing.T) {
	t.Parallel()
	target, stalled := stallingTarget(t, 3)
	out := filepath.Join(t.TempDir(), "r.json")
	code, text := runInterrupted(t, stalled, "simulate", "--target", target, "--auth", "none", "--json", out, "--concurrency", "1")
	require.Equal(t, ExitInterrupted, code, text)
	var rep struct {
		Interrupted  bool `json:"interrupted"`
		Acknowledged int  `json:"acknowledged"`
		NotSent      int  `json:"notSent"`
	}
	data, err := os.ReadFile(out)
	require.NoError(t, err, "the partial report is written")
	require.NoError(t, json.Unmarshal(data, &rep))
	assert.True(t, rep.Interrupted)
	assert.Positive(t, rep.Acknowledged, "what was answered before Ctrl-C is kept")
	assert.Positive(t, rep.NotSent)
}

// Ctrl-C during load writes summary.json and report.html marked
// interrupted, and exits 130.
func TestLoadInterruptedWritesPartialReport(t *testing.T) {
	t.Parallel()
	target, stalled := stallingTarget(t, 10)
	dir := filepath.Join(t.TempDir(), "run")
	code, text := runInterrupted(t, stalled, "load", "--scenario", writeFile(t, "tiny.yaml", tinyScenario), "--target", target,
		"--auth", "none", "--report-dir", dir, "--seed", "1", "--quiet")
	require.Equal(t, ExitInterrupted, code, text)
	s := readSummary(t, dir)
	assert.True(t, s.Interrupted)
	assert.False(t, s.Passed)
	_, err := os.Stat(filepath.Join(dir, "report.html"))
	assert.NoError(t, err)
}
