package receiver

import (
	"context"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hamsasim/hamsasim/internal/event"
)

// TestRecoveryProcessesStoredEventsOnce stores events the way serveEvent
// does but with no processor running, as if the receiver had stopped between
// acknowledging and processing them, and checks that New catches up: each
// event takes effect once, and again reopening processes nothing twice.
func TestRecoveryProcessesStoredEventsOnce(t *testing.T) {
	t.Parallel()
	dbPath := filepath.Join(t.TempDir(), "receiver.db")

	// One event acknowledged and processed by a running receiver.
	h := newHarness(t, Config{Authorization: testAuth, DBPath: dbPath})
	require.JSONEq(t, wantReceived, h.post(t, testAuth, startedBody(t, "call-rec", at(0))).body)
	h.settled(t, "call-rec")
	h.srv.Close()
	require.NoError(t, h.r.Close())

	// Two more stored, not processed.
	st, err := openStore(dbPath, DurabilityNormal)
	require.NoError(t, err)
	stored := []struct {
		typ, ts string
		body    []byte
	}{
		{event.ToolExecuted, at(6 * time.Second), toolBody(t, "call-rec", at(6*time.Second))},
		{event.CallEnded, at(44 * time.Second), endedBody(t, "call-rec", at(44*time.Second), 0, 0)},
	}
	for _, s := range stored {
		dup, err := st.put(context.Background(), event.Parsed{EventType: s.typ, CallID: "call-rec", Timestamp: s.ts}, s.body)
		require.NoError(t, err)
		require.False(t, dup)
	}
	var unprocessed int
	require.NoError(t, st.db.QueryRow(`SELECT COUNT(*) FROM events WHERE processed_at IS NULL`).Scan(&unprocessed))
	require.Equal(t, 2, unprocessed, "rows stored but not processed")
	require.NoError(t, st.close())

	want := map[string]int{event.CallStarted: 1, event.ToolExecuted: 1, event.CallEnded: 1}
	for _, round := range []string{"first reopen", "second reopen"} {
		h := newHarness(t, Config{Authorization: testAuth, DBPath: dbPath})
		rec := h.settled(t, "call-rec")
		assert.Equal(t, want, rec.Events, "%s: events", round)
		assert.Equal(t, want, rec.Effects, "%s: effects", round)
		assert.Equal(t, 1, rec.Tools, "%s: tools", round)
		assert.Equal(t, at(0), deref(rec.StartedAt), "%s: startedAt", round)
		assert.Equal(t, at(44*time.Second), deref(rec.EndedAt), "%s: endedAt", round)
		if assert.NotNil(t, rec.TranscriptTurns) {
			assert.Equal(t, 3, *rec.TranscriptTurns, "%s: transcriptTurns", round)
		}
		h.srv.Close()
		require.NoError(t, h.r.Close())
	}
}

// TestCloseProcessesWhatIsStored checks Close's promise: whatever was
// acknowledged before Close is processed before the database closes.
func TestCloseProcessesWhatIsStored(t *testing.T) {
	t.Parallel()
	dbPath := filepath.Join(t.TempDir(), "receiver.db")
	h := newHarness(t, Config{Authorization: testAuth, DBPath: dbPath})
	evs := lifecycle(t, "call-cl")
	for i, body := range evs {
		got := h.post(t, testAuth, body)
		require.Equal(t, http.StatusOK, got.status, "event %d", i)
	}
	h.srv.Close()
	require.NoError(t, h.r.Close())

	st, err := openStore(dbPath, DurabilityNormal)
	require.NoError(t, err)
	t.Cleanup(func() { st.close() })
	var stored, unprocessed, effects int
	require.NoError(t, st.db.QueryRow(`SELECT COUNT(*), SUM(processed_at IS NULL) FROM events`).Scan(&stored, &unprocessed))
	require.NoError(t, st.db.QueryRow(`SELECT COUNT(*) FROM effects`).Scan(&effects))
	assert.Equal(t, len(evs), stored, "stored")
	assert.Equal(t, 0, unprocessed, "unprocessed after Close")
	assert.Equal(t, len(evs), effects, "effects")
}
