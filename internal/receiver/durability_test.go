package receiver_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hamsasim/hamsasim/internal/event"
	"github.com/hamsasim/hamsasim/internal/fixture"
	"github.com/hamsasim/hamsasim/internal/receiver"
)

const durabilitySecret = "Bearer sk_test_durability"

// buildBinary builds cmd/hamsasim into dir and returns its path. It skips
// the test when no go command is installed.
func buildBinary(t *testing.T, dir string) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("the go command is not installed: cannot build hamsasim to run it as a process")
	}
	bin := filepath.Join(dir, "hamsasim")
	cmd := exec.Command(goBin, "build", "-o", bin, "./cmd/hamsasim")
	cmd.Dir = filepath.Join("..", "..")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "go build: %s", out)
	return bin
}

// receiverProcess is `hamsasim receiver` running as its own process.
type receiverProcess struct {
	cmd    *exec.Cmd
	url    string // the webhook
	base   string // the probe API
	stderr *syncBuffer
	exited chan struct{}
}

// syncBuffer is a bytes.Buffer that the process's output copier and the
// test may use at once.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startReceiver starts the binary on a loopback port with the database db
// and waits for its ready file.
func startReceiver(t *testing.T, bin, db string) *receiverProcess {
	t.Helper()
	ready := filepath.Join(t.TempDir(), "ready")
	cmd := exec.Command(bin, "receiver", "--listen", "127.0.0.1:0", "--ready-file", ready, "--db", db, "--quiet")
	cmd.Env = append(os.Environ(), "WEBHOOK_SECRET="+durabilitySecret)
	p := &receiverProcess{cmd: cmd, stderr: &syncBuffer{}, exited: make(chan struct{})}
	cmd.Stderr = p.stderr
	require.NoError(t, cmd.Start())
	go func() { _ = cmd.Wait(); close(p.exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-p.exited
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		b, err := os.ReadFile(ready)
		if err == nil && strings.HasSuffix(string(b), "\n") {
			p.url = strings.TrimSpace(string(b))
			p.base = strings.TrimSuffix(p.url, "/webhook")
			return p
		}
		select {
		case <-p.exited:
			t.Fatalf("the receiver exited before it was ready: %s", p.stderr)
		case <-time.After(20 * time.Millisecond):
		}
		require.True(t, time.Now().Before(deadline), "the receiver wrote no ready file within 10 s: %s", p.stderr)
	}
}

// post delivers one event; it reports the status and whether the answer
// flagged a duplicate. Any failure to get an answer is status 0.
func post(c *http.Client, url string, body []byte) (int, bool) {
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, false
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", durabilitySecret)
	resp, err := c.Do(req)
	if err != nil {
		return 0, false
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, false
	}
	var ans struct {
		Duplicate bool `json:"duplicate"`
	}
	_ = json.Unmarshal(b, &ans)
	return resp.StatusCode, ans.Duplicate
}

// TestReceiverProcessSurvivesSIGKILL runs the reference receiver as a real
// process, delivers calls to it from several goroutines, kills it with
// SIGKILL mid-stream, restarts it on the same database and redelivers what
// was not acknowledged (and some of what was). Every acknowledged event is
// stored exactly once, and nothing is processed twice.
func TestReceiverProcessSurvivesSIGKILL(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bin := buildBinary(t, dir)
	db := filepath.Join(dir, "receiver.db")

	const calls, senders, killAfter = 40, 4, 250
	fx, err := fixture.ReadFile(filepath.Join("..", "..", "fixtures", "calls", "job-interview.yaml"))
	require.NoError(t, err)
	start := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	lifecycles := make([][]event.Event, calls)
	total := 0
	for i := range lifecycles {
		lifecycles[i], err = fx.Expand(fixture.Options{Seed: 11, Instance: i, Start: start})
		require.NoError(t, err)
		total += len(lifecycles[i])
	}

	began := time.Now() // the build is not counted
	first := startReceiver(t, bin, db)
	client := &http.Client{Timeout: 5 * time.Second}
	t.Cleanup(client.CloseIdleConnections)

	// acked[i][j]: event j of call i was answered 200 by the first process.
	acked := make([][]bool, calls)
	for i := range acked {
		acked[i] = make([]bool, len(lifecycles[i]))
	}
	var ackCount atomic.Int32
	var killOnce sync.Once
	kill := func() {
		killOnce.Do(func() { _ = first.cmd.Process.Signal(syscall.SIGKILL) })
	}
	work := make(chan int)
	var wg sync.WaitGroup
	for s := 0; s < senders; s++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				for j, ev := range lifecycles[i] {
					status, _ := post(client, first.url, ev.Body)
					if status == http.StatusOK {
						acked[i][j] = true
						if ackCount.Add(1) == killAfter {
							kill()
						}
						continue
					}
					if status != 0 {
						t.Errorf("call %d event %d: status %d from the first process", i, j, status)
					}
					break // the platform retries later; the rest of the call waits for it
				}
			}
		}()
	}
	for i := 0; i < calls; i++ {
		work <- i
	}
	close(work)
	wg.Wait()
	kill() // in case every event got through before the count was reached
	select {
	case <-first.exited:
	case <-time.After(10 * time.Second):
		t.Fatal("the first receiver did not die of SIGKILL")
	}
	n := int(ackCount.Load())
	require.GreaterOrEqual(t, n, killAfter)
	require.Less(t, n, total, "the kill must land mid-stream")
	t.Logf("%d of %d events acknowledged before SIGKILL", n, total)

	second := startReceiver(t, bin, db)
	redelivered, duplicates := 0, 0
	for i, evs := range lifecycles {
		for j, ev := range evs {
			// Everything unacknowledged, and every third acknowledged event
			// again, as after an answer lost in the crash.
			if acked[i][j] && j%3 != 0 {
				continue
			}
			status, dup := post(client, second.url, ev.Body)
			require.Equal(t, http.StatusOK, status, "call %d event %d after the restart", i, j)
			if acked[i][j] {
				assert.True(t, dup, "call %d event %d was acknowledged before the kill: its redelivery is a duplicate", i, j)
				duplicates++
			}
			redelivered++
		}
	}
	require.Positive(t, duplicates)

	want := map[string]int{}
	for _, ev := range lifecycles[0] {
		want[ev.Type]++
	}
	for i, evs := range lifecycles {
		rec := settledRecord(t, client, second.base, evs[0].CallID)
		assert.Equal(t, want, rec.Events, "call %d: every event stored exactly once", i)
		assert.Equal(t, want, rec.Effects, "call %d: every event processed exactly once", i)
		for typ, n := range rec.Effects {
			assert.LessOrEqual(t, n, rec.Events[typ], "call %d: %s took effect more often than it was stored", i, typ)
		}
	}
	t.Logf("redelivered %d events (%d duplicates) in %s", redelivered, duplicates, time.Since(began).Round(time.Millisecond))
	assert.Less(t, time.Since(began), 20*time.Second)
	assert.NotContains(t, first.stderr.String()+second.stderr.String(), "panic")
}

// settledRecord reads the probe API until nothing is pending (at most 10 s).
func settledRecord(t *testing.T, c *http.Client, base, callID string) receiver.CallRecord {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("%s/calls/%s", base, callID), nil)
		require.NoError(t, err)
		req.Header.Set("Authorization", durabilitySecret)
		resp, err := c.Do(req)
		require.NoError(t, err)
		var rec receiver.CallRecord
		err = json.NewDecoder(resp.Body).Decode(&rec)
		resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode)
		require.NoError(t, err)
		if rec.Pending == 0 {
			return rec
		}
		select {
		case <-ctx.Done():
			t.Fatalf("call %s: %d events still pending after 10 s", callID, rec.Pending)
		case <-time.After(20 * time.Millisecond):
		}
	}
}
