package cli

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hamsasim/hamsasim/internal/receiver"
)

// An endpoint subscribed to call.ended gets call.ended and nothing else:
// not in the replay, not in the probes. The auth probes still run, with a
// call.ended event; probes of other types are reported skipped.
func TestSimulateEventsSubscription(t *testing.T) {
	t.Parallel()
	h, err := receiver.New(receiver.Config{Authorization: testSecret, DBPath: filepath.Join(t.TempDir(), "r.db")})
	require.NoError(t, err)
	var mu sync.Mutex
	types := map[string]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			var ev struct {
				Type string `json:"eventType"`
			}
			body, _ := io.ReadAll(r.Body)
			_ = json.Unmarshal(body, &ev)
			mu.Lock()
			types[ev.Type]++
			mu.Unlock()
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		h.Handler().ServeHTTP(w, r)
	}))
	t.Cleanup(func() { srv.Close(); h.Close() })
	out := filepath.Join(t.TempDir(), "r.json")
	r := runCLI(t, map[string]string{"WEBHOOK_SECRET": testSecret}, "simulate", "--target", srv.URL+"/webhook", "--probe-url", srv.URL,
		"--events", "call.ended", "--json", out, "--seed", "9")
	require.Equal(t, ExitPassed, r.code, r.stdout+r.stderr)
	mu.Lock()
	for typ := range types {
		assert.Contains(t, []string{"call.ended", ""}, typ, "only call.ended (and bodies with no type: the malformed probes) reach the endpoint")
	}
	assert.Positive(t, types["call.ended"])
	mu.Unlock()

	var rep struct {
		Events []string `json:"events"`
		Calls  []struct {
			Events     int `json:"events"`
			Deliveries []struct {
				Event      string `json:"event"`
				AttemptLog []struct {
					Trigger string `json:"trigger"`
					Status  int    `json:"status"`
				} `json:"attemptLog"`
			} `json:"deliveries"`
		} `json:"calls"`
		NotSent int `json:"notSent"`
		Probes  []struct {
			Probe, Event, Skipped string
			Status                int
		} `json:"probes"`
		Health []struct {
			EventType string `json:"eventType"`
		} `json:"health"`
	}
	data, err := os.ReadFile(out)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(data, &rep))
	assert.Equal(t, []string{"call.ended"}, rep.Events)
	assert.Zero(t, rep.NotSent, "unsubscribed events are not 'not sent'")
	for _, c := range rep.Calls {
		assert.Equal(t, 1, c.Events)
		require.Len(t, c.Deliveries, 1)
		assert.Equal(t, "call.ended", c.Deliveries[0].Event)
		require.Len(t, c.Deliveries[0].AttemptLog, 1)
		assert.Equal(t, "first", c.Deliveries[0].AttemptLog[0].Trigger)
		assert.Equal(t, 200, c.Deliveries[0].AttemptLog[0].Status)
	}
	skipped, authSent := 0, 0
	for _, p := range rep.Probes {
		if p.Skipped != "" && p.Status == 0 {
			skipped++
			assert.Contains(t, p.Skipped, "not subscribed")
		}
		if p.Probe == "auth.missing" {
			authSent++
			assert.Equal(t, "call.ended", p.Event)
			assert.Equal(t, 401, p.Status)
		}
	}
	assert.Positive(t, skipped)
	assert.Equal(t, 1, authSent)
	require.Len(t, rep.Health, 2)
	assert.Equal(t, "call.ended", rep.Health[0].EventType)
	assert.Equal(t, "all", rep.Health[1].EventType)
}

// Retries are in the attempt log with their trigger and the wait before them.
func TestSimulateAttemptLogShowsRetries(t *testing.T) {
	t.Parallel()
	target := referenceTarget(t, testSecret, receiver.FaultFailCallStarted)
	out := filepath.Join(t.TempDir(), "r.json")
	r := runCLI(t, map[string]string{"WEBHOOK_SECRET": testSecret}, "simulate", "--target", target, "--probes", "lifecycle",
		"--fixtures", filepath.Join("..", "..", "fixtures", "calls", "no-answer.yaml"), "--retries", "1", "--json", out)
	require.Equal(t, ExitFindings, r.code, r.stdout+r.stderr)
	assert.Contains(t, r.stdout, "endpoint health:")
	var rep struct {
		Calls []struct {
			Deliveries []struct {
				Event      string `json:"event"`
				AttemptLog []struct {
					Trigger string `json:"trigger"`
					Status  int    `json:"status"`
					WaitMs  int64  `json:"waitMs"`
				} `json:"attemptLog"`
			} `json:"deliveries"`
		} `json:"calls"`
	}
	data, err := os.ReadFile(out)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(data, &rep))
	d := rep.Calls[0].Deliveries[0]
	require.Equal(t, "call.started", d.Event)
	require.Len(t, d.AttemptLog, 2)
	assert.Equal(t, "first", d.AttemptLog[0].Trigger)
	assert.Equal(t, 500, d.AttemptLog[0].Status)
	assert.Equal(t, int64(1000), d.AttemptLog[0].WaitMs)
	assert.Equal(t, "retry 1", d.AttemptLog[1].Trigger)
}
