package receiver

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hamsasim/hamsasim/internal/event"
)

// testAuth is the Authorization header value the tests configure.
const testAuth = "Bearer tok123"

// t0 is the start of every test call; event times are offsets from it.
var t0 = time.Date(2024, 1, 15, 14, 30, 0, 0, time.UTC)

// at renders t0+d in the platform's timestamp format.
func at(d time.Duration) string { return event.FormatTime(t0.Add(d)) }

// harness is one Receiver on its own SQLite file, served by an httptest server.
type harness struct {
	r    *Receiver
	srv  *httptest.Server
	auth string // the header value the harness's probe sends
}

// newHarness starts a receiver with cfg; DBPath defaults to a file in t.TempDir().
func newHarness(t *testing.T, cfg Config) *harness {
	t.Helper()
	if cfg.DBPath == "" {
		cfg.DBPath = filepath.Join(t.TempDir(), "receiver.db")
	}
	r, err := New(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { r.Close() })
	srv := httptest.NewServer(r.Handler())
	t.Cleanup(srv.Close) // runs before r.Close: no request is in flight when the store closes
	return &harness{r: r, srv: srv, auth: cfg.Authorization}
}

// reply is an HTTP answer, read in full.
type reply struct {
	status      int
	contentType string
	body        string
}

// post sends body to POST /webhook; an empty auth sends no Authorization header.
func (h *harness) post(t *testing.T, auth string, body []byte) reply {
	t.Helper()
	got, err := postTo(h.srv.Client(), h.srv.URL, auth, body)
	require.NoError(t, err)
	return got
}

// postTo is post without t, for use from other goroutines.
func postTo(c *http.Client, base, auth string, body []byte) (reply, error) {
	req, err := http.NewRequest(http.MethodPost, base+"/webhook", bytes.NewReader(body))
	if err != nil {
		return reply{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := c.Do(req)
	if err != nil {
		return reply{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return reply{}, err
	}
	return reply{status: resp.StatusCode, contentType: resp.Header.Get("Content-Type"), body: string(b)}, nil
}

// probe asks GET /calls/{callID} with the harness's Authorization. The
// record is nil unless the status is 200.
func (h *harness) probe(t *testing.T, callID string) (int, *CallRecord) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, h.srv.URL+"/calls/"+callID, nil)
	require.NoError(t, err)
	if h.auth != "" {
		req.Header.Set("Authorization", h.auth)
	}
	resp, err := h.srv.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return resp.StatusCode, nil
	}
	var rec CallRecord
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&rec))
	return resp.StatusCode, &rec
}

// settled polls the probe until the call has events and none is pending,
// and returns that record. It fails the test after a few seconds.
func (h *harness) settled(t *testing.T, callID string) *CallRecord {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		status, rec := h.probe(t, callID)
		if status == http.StatusOK && rec.Pending == 0 {
			return rec
		}
		if time.Now().After(deadline) {
			require.FailNowf(t, "call never settled", "call %s: last status %d, record %+v", callID, status, rec)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// mustJSON builds an event body as the platform sends it: the envelope with
// data as given.
func mustJSON(t *testing.T, typ, callID, ts string, data any) []byte {
	t.Helper()
	b, err := event.Marshal(event.Envelope{
		EventType: typ,
		CallID:    callID,
		Timestamp: ts,
		ProjectID: "proj-1",
		AgentID:   "agent-1",
		AgentName: "Test agent",
		Data:      data,
	})
	require.NoError(t, err)
	return b
}

func startedBody(t *testing.T, callID, ts string) []byte {
	return mustJSON(t, event.CallStarted, callID, ts, event.CallStartedData{
		CallStartedAt: ts,
		Data: event.CallStartedDetails{
			CallDirection: "outbound",
			FromNumber:    "+14155550100",
			ToNumber:      "+14155550199",
			Params:        map[string]any{"application_id": "A-1"},
		},
	})
}

func answeredBody(t *testing.T, callID, ts string) []byte {
	return mustJSON(t, event.CallAnswered, callID, ts, event.CallAnsweredData{
		CallAnsweredAt: ts,
		Data: event.CallAnsweredDetails{
			CallDirection: "outbound",
			FromNumber:    "+14155550100",
			ToNumber:      "+14155550199",
			RingDuration:  2000,
		},
	})
}

func transcriptionBody(t *testing.T, callID, ts, speaker, text string) []byte {
	return mustJSON(t, event.TranscriptionUpdate, callID, ts, event.TranscriptionData{
		Data: event.TranscriptionDetails{Speaker: speaker, Text: text, Confidence: 0.93},
	})
}

func toolBody(t *testing.T, callID, ts string) []byte {
	return mustJSON(t, event.ToolExecuted, callID, ts, event.ToolExecutedData{
		Data: event.ToolDetails{
			ToolName: "lookup_application",
			Input:    map[string]any{"application_id": "A-1"},
			Output:   map[string]any{"status": "approved"},
			Duration: 350,
		},
	})
}

// testRecording and testOutcome are what endedBody sends and the probe must echo.
const (
	testRecording = "https://recordings.example.com/call-1.mp3"
	testOutcome   = `{"application_id":"A-1","interested":true,"callback_time":null}`
)

// endedBody is call.ended with a transcript of 3 turns (plus padding turns
// of padTurns, each padBytes long, to make big bodies).
func endedBody(t *testing.T, callID, ts string, padTurns, padBytes int) []byte {
	t.Helper()
	rec := testRecording
	var outcome map[string]any
	require.NoError(t, json.Unmarshal([]byte(testOutcome), &outcome))
	turns := []event.TranscriptTurn{
		{"Agent": "Hello, this is Hamsa calling about your application."},
		{"User": "Yes, go ahead."},
		{"Agent": "It has been approved."},
	}
	for i := range padTurns {
		turns = append(turns, event.TranscriptTurn{"User": fmt.Sprintf("%d %s", i, strings.Repeat("x", padBytes))})
	}
	return mustJSON(t, event.CallEnded, callID, ts, event.CallEndedData{
		Timestamp: ts,
		Data: event.CallEndedDetail{
			ConversationID:        "conv-" + callID,
			ConversationRecording: &rec,
			Transcription:         turns,
			OutcomeResult:         outcome,
			CallDuration:          42,
			FromNumber:            "+14155550100",
			ToNumber:              "+14155550199",
		},
	})
}

// bigEndedBody is a valid call.ended of about size bytes.
func bigEndedBody(t *testing.T, callID string, size int) []byte {
	t.Helper()
	const turn = 1000
	b := endedBody(t, callID, at(time.Minute), size/turn, turn-30)
	require.InDelta(t, size, len(b), float64(size)/10, "body size")
	return b
}

// lifecycle is a whole call's events in the order they happen: started,
// answered, 3 transcription updates, 1 tool run, ended.
func lifecycle(t *testing.T, callID string) [][]byte {
	return [][]byte{
		startedBody(t, callID, at(0)),
		answeredBody(t, callID, at(2*time.Second)),
		transcriptionBody(t, callID, at(3*time.Second), event.SpeakerAgent, "Hello, this is Hamsa calling about your application."),
		transcriptionBody(t, callID, at(5*time.Second), event.SpeakerUser, "Yes, go ahead."),
		toolBody(t, callID, at(6*time.Second)),
		transcriptionBody(t, callID, at(7*time.Second), event.SpeakerAgent, "It has been approved."),
		endedBody(t, callID, at(44*time.Second), 0, 0),
	}
}

const (
	wantReceived  = `{"received":true}`
	wantDuplicate = `{"received":true,"duplicate":true}`
)
