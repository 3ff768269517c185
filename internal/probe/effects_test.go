package probe_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hamsasim/hamsasim/internal/check"
	"github.com/hamsasim/hamsasim/internal/deliver"
	"github.com/hamsasim/hamsasim/internal/probe"
)

// TestEffectsJudgesEveryWayARecordDisagrees: the end-state audit of a
// simulate run tells a lost event, one stored and never processed, one
// processed twice and work still pending apart, each
// under its own cause, and says nothing of a record that matches.
func TestEffectsJudgesEveryWayARecordDisagrees(t *testing.T) {
	t.Parallel()
	records := map[string]string{
		"ok":          `{"events":{"call.started":1,"call.ended":1},"effects":{"call.started":1,"call.ended":1},"pending":0}`,
		"lost":        `{"events":{"call.started":1},"effects":{"call.started":1},"pending":0}`,
		"unprocessed": `{"events":{"call.started":1,"call.ended":1},"effects":{"call.started":1},"pending":0}`,
		"twice":       `{"events":{"call.started":1,"call.ended":1},"effects":{"call.started":1,"call.ended":2},"pending":0}`,
		// More stored than sent proves nothing: a replayed seed reuses call ids.
		"earlier": `{"events":{"call.started":1,"call.ended":2},"effects":{"call.started":1,"call.ended":2},"pending":0}`,
		"pending": `{"events":{"call.started":1,"call.ended":1},"effects":{"call.started":1},"pending":1}`,
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := strings.TrimPrefix(r.URL.Path, "/calls/")
		body, ok := records[id]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	d, err := deliver.New(deliver.WithRetryPolicy(deliver.Backoff{Attempts: 1}))
	require.NoError(t, err)
	sentBoth := probe.Expected{}
	sentBoth.Acked[0], sentBoth.Acked[4] = 1, 1 // call.started, call.ended
	var calls []probe.Expected
	for _, id := range []string{"ok", "lost", "unprocessed", "twice", "earlier", "nothing"} {
		c := sentBoth
		c.CallID = id
		calls = append(calls, c)
	}
	fs, results := probe.Effects(context.Background(), probe.NewAPI(d, srv.URL), calls)
	assert.Len(t, results, len(calls))
	got := map[string]string{}
	for _, f := range fs {
		got[f.CallID+" "+f.Cause] = f.Check
	}
	assert.Equal(t, map[string]string{
		"lost lost":               check.EventLost,
		"unprocessed unprocessed": check.EventLost,
		"twice duplicated":        check.DuplicateEffect,
		"nothing lost":            check.EventLost, // 404: no record of the call
	}, got)

	// Work still pending when the wait ends is said, not taken for a loss.
	if testing.Short() {
		return
	}
	pending := sentBoth
	pending.CallID = "pending"
	ctx, cancel := context.WithTimeout(context.Background(), probe.EffectsWait+5*time.Second)
	defer cancel()
	fs, _ = probe.Effects(ctx, probe.NewAPI(d, srv.URL), []probe.Expected{pending})
	require.Len(t, fs, 1)
	assert.Equal(t, "pending", fs[0].Cause)
	assert.Contains(t, fs[0].Message, "still pending after 10s, so what took effect could not be judged")
}
