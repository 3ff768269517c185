package capture_test

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hamsasim/hamsasim/internal/capture"
	"github.com/hamsasim/hamsasim/internal/deliver"
	"github.com/hamsasim/hamsasim/internal/event"
	"github.com/hamsasim/hamsasim/internal/fixture"
)

// body builds one event of the call "c-1" with the given data.
func body(t *testing.T, typ, ts string, data any) []byte {
	t.Helper()
	b, err := event.Marshal(event.Envelope{EventType: typ, CallID: "c-1", Timestamp: ts, ProjectID: "proj_1", AgentID: "agent_1", AgentName: "Desk", Data: data})
	require.NoError(t, err)
	return b
}

func started(t *testing.T) []byte {
	return body(t, event.CallStarted, "2026-03-02T09:30:00.000Z", event.CallStartedData{
		CallStartedAt: "2026-03-02T09:30:00.000Z",
		Data:          event.CallStartedDetails{CallDirection: "inbound", FromNumber: "+14155550101", ToNumber: "+14155550199", Params: map[string]any{}},
	})
}

func TestAcknowledgements(t *testing.T) {
	t.Parallel()
	const secret = "Bearer sk_test_capture_0123456789"
	key := []byte("0123456789abcdef0123456789abcdef")
	signed := func(b []byte) http.Header {
		h := http.Header{}
		deliver.HMAC{Key: key}.Sign(h, "msg_1", b, time.Now())
		return h
	}
	big := bytes.Repeat([]byte("x"), 2048)
	cases := []struct {
		name       string
		cfg        capture.Config
		body       []byte
		header     http.Header
		wantStatus int
		wantAnswer map[string]any
	}{
		{"bearer accepted", capture.Config{Authorization: secret}, started(t), http.Header{"Authorization": {secret}}, 200, map[string]any{"received": true}},
		{"bearer wrong", capture.Config{Authorization: secret}, started(t), http.Header{"Authorization": {"Bearer sk_test_capture_0123456788"}}, 401, map[string]any{"error": "Unauthorized"}},
		{"bearer lowercase", capture.Config{Authorization: secret}, started(t), http.Header{"Authorization": {strings.ToLower(secret)}}, 401, map[string]any{"error": "Unauthorized"}},
		{"bearer missing", capture.Config{Authorization: secret}, started(t), nil, 401, map[string]any{"error": "Unauthorized"}},
		{"signature valid", capture.Config{SigningKey: key}, started(t), signed(started(t)), 200, map[string]any{"received": true}},
		{"signature of another body", capture.Config{SigningKey: key}, started(t), signed([]byte(`{}`)), 401, map[string]any{"error": "Unauthorized"}},
		{"not JSON", capture.Config{}, []byte(`not json`), nil, 400, map[string]any{"error": "Invalid payload"}},
		{"no callId", capture.Config{}, []byte(`{"eventType":"call.started","timestamp":"2026-03-02T09:30:00.000Z"}`), nil, 400, map[string]any{"error": "Invalid payload"}},
		{"callId a number", capture.Config{}, []byte(`{"eventType":"call.started","callId":7,"timestamp":"2026-03-02T09:30:00.000Z"}`), nil, 400, map[string]any{"error": "Invalid payload"}},
		{"empty timestamp", capture.Config{}, []byte(`{"eventType":"call.started","callId":"c-1","timestamp":""}`), nil, 400, map[string]any{"error": "Invalid payload"}},
		{"a JSON list", capture.Config{}, []byte(`[{"eventType":"call.started","callId":"c-1","timestamp":"2026-03-02T09:30:00.000Z"}]`), nil, 400, map[string]any{"error": "Invalid payload"}},
		{"signature missing", capture.Config{SigningKey: key}, started(t), http.Header{"Authorization": {secret}}, 401, map[string]any{"error": "Unauthorized"}},
		{"too large", capture.Config{MaxBodyBytes: 1024}, big, nil, 413, map[string]any{"error": "Payload too large: events over 1024 bytes are not captured"}},
		{"unknown type", capture.Config{}, body(t, "call.transferred", "2026-03-02T09:30:01.000Z", map[string]any{}), nil, 200, map[string]any{"received": true, "warning": "Unknown event type"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, srv, _ := newCapture(t, tc.cfg)
			status, ans := post(t, srv.URL, tc.body, tc.header)
			assert.Equal(t, tc.wantStatus, status)
			assert.Equal(t, tc.wantAnswer, ans)
		})
	}
}

// TestAnswersDoNotWaitForTheWriter holds the writer (its notices) and
// checks that events are still answered, call.ended included.
func TestAnswersDoNotWaitForTheWriter(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	var once sync.Once
	out := t.TempDir()
	c, err := capture.New(capture.Config{Out: out, Contract: testContract(t), Notify: func(capture.Notice) { <-release }})
	require.NoError(t, err)
	t.Cleanup(func() { once.Do(func() { close(release) }); c.Close("test over") })
	srv := httptest.NewServer(c.Handler())
	t.Cleanup(srv.Close)
	f, err := fixture.ReadFile(filepath.Join("..", "..", "fixtures", "calls", "ends-early.yaml"))
	require.NoError(t, err)
	// An unknown event type makes a drift notice, on which the writer waits.
	status, _ := post(t, srv.URL, body(t, "call.transferred", "2026-03-02T09:30:01.000Z", map[string]any{}), nil)
	require.Equal(t, http.StatusOK, status)
	for _, ev := range expand(t, f) {
		status, _ := post(t, srv.URL, ev.Body, nil)
		require.Equal(t, http.StatusOK, status, ev.Type)
	}
	files, _ := filepath.Glob(filepath.Join(out, "*.yaml"))
	assert.Empty(t, files, "the writer is held, yet every event was answered")
	once.Do(func() { close(release) })
	srv.Close()
	stats, err := c.Close("test over")
	require.NoError(t, err)
	assert.Equal(t, 1, stats.Calls, "a call of only unknown event types makes no fixture")
}

func TestIdleCallWrittenIncomplete(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	out := t.TempDir()
	c, srv, notices := newCapture(t, capture.Config{Out: out, Idle: time.Minute, Now: clock})
	status, _ := post(t, srv.URL, started(t), nil)
	require.Equal(t, 200, status)
	c.FlushIdle(now.Add(59 * time.Second))
	mu.Lock()
	now = now.Add(time.Minute)
	mu.Unlock()
	c.FlushIdle(now)
	srv.Close()
	stats, err := c.Close("stopped")
	require.NoError(t, err)
	assert.Equal(t, 1, stats.Calls)
	assert.Equal(t, 1, stats.Incomplete)
	var written []*capture.Written
	for _, n := range *notices {
		if n.Written != nil {
			written = append(written, n.Written)
		}
	}
	require.Len(t, written, 1)
	assert.True(t, written[0].Incomplete)
	assert.Equal(t, "no call.ended within 1m0s of the last event", written[0].Reason)
	data, err := os.ReadFile(written[0].Path)
	require.NoError(t, err)
	assert.Contains(t, string(data), "# INCOMPLETE: no call.ended within 1m0s of the last event; the replay hangs up 1s after the last event received.")
	f, err := fixture.Parse(data, written[0].Path)
	require.NoError(t, err)
	assert.False(t, f.Call.Answered)
	assert.Equal(t, time.Second, f.End.At)
	assert.Equal(t, "desk-c1", f.Name)
}

func TestCloseWritesOpenCalls(t *testing.T) {
	t.Parallel()
	out := t.TempDir()
	c, srv, _ := newCapture(t, capture.Config{Out: out})
	post(t, srv.URL, started(t), nil)
	srv.Close()
	stats, err := c.Close("interrupted before call.ended arrived")
	require.NoError(t, err)
	assert.Equal(t, 1, stats.Incomplete)
	data, err := os.ReadFile(filepath.Join(out, "desk-c1.yaml"))
	require.NoError(t, err)
	assert.Contains(t, string(data), "# INCOMPLETE: interrupted before call.ended arrived;")
	_, err = c.Close("again")
	assert.ErrorIs(t, err, capture.ErrClosed)
}

func TestNeverOverwrites(t *testing.T) {
	t.Parallel()
	out := t.TempDir()
	for _, n := range []string{"desk-c1.yaml", "desk-c1-2.yaml"} {
		require.NoError(t, os.WriteFile(filepath.Join(out, n), []byte("keep me\n"), 0o644))
	}
	c, srv, _ := newCapture(t, capture.Config{Out: out})
	post(t, srv.URL, started(t), nil)
	srv.Close()
	_, err := c.Close("stopped")
	require.NoError(t, err)
	for _, n := range []string{"desk-c1.yaml", "desk-c1-2.yaml"} {
		b, _ := os.ReadFile(filepath.Join(out, n))
		assert.Equal(t, "keep me\n", string(b))
	}
	f, err := fixture.ReadFile(filepath.Join(out, "desk-c1-3.yaml"))
	require.NoError(t, err)
	assert.Equal(t, "desk-c1-3", f.Name)
}

func TestOpenCallsBounded(t *testing.T) {
	t.Parallel()
	c, srv, notices := newCapture(t, capture.Config{MaxOpenCalls: 1})
	status, _ := post(t, srv.URL, started(t), nil)
	require.Equal(t, 200, status)
	other := bytes.Replace(started(t), []byte(`"c-1"`), []byte(`"c-2"`), 1)
	status, ans := post(t, srv.URL, other, nil)
	assert.Equal(t, http.StatusServiceUnavailable, status)
	assert.Equal(t, "Capture is full: 1 calls are open at once", ans["error"])
	// The open call itself still takes events.
	status, _ = post(t, srv.URL, body(t, event.CallAnswered, "2026-03-02T09:30:02.000Z", event.CallAnsweredData{CallAnsweredAt: "2026-03-02T09:30:02.000Z",
		Data: event.CallAnsweredDetails{CallDirection: "inbound", FromNumber: "+14155550101", ToNumber: "+14155550199", RingDuration: 2000}}), nil)
	assert.Equal(t, 200, status)
	srv.Close()
	stats, _ := c.Close("stopped")
	assert.Equal(t, 1, stats.Refused[503])
	var refused []string
	for _, n := range *notices {
		if n.Refused != nil {
			refused = append(refused, n.Refused.Reason)
		}
	}
	assert.Equal(t, []string{"events answered 503 (the platform retries them later): 1 calls are open at once"}, refused)
}

func TestLateEventAfterTheCallWasWritten(t *testing.T) {
	t.Parallel()
	f, err := fixture.ReadFile(filepath.Join("..", "..", "fixtures", "calls", "no-answer.yaml"))
	require.NoError(t, err)
	evs := expand(t, f)
	c, srv, notices := newCapture(t, capture.Config{})
	for _, ev := range evs {
		post(t, srv.URL, ev.Body, nil)
	}
	// A redelivery after the call was written is still a duplicate...
	_, ans := post(t, srv.URL, evs[len(evs)-1].Body, nil)
	assert.Equal(t, map[string]any{"received": true, "duplicate": true}, ans)
	// ...and an event not seen before is acknowledged and reported.
	late := bytes.Replace(evs[0].Body, []byte(`"call.started"`), []byte(`"call.answered"`), 1)
	status, ans := post(t, srv.URL, late, nil)
	assert.Equal(t, 200, status)
	assert.Equal(t, "Call already written", ans["warning"])
	srv.Close()
	stats, _ := c.Close("stopped")
	assert.Equal(t, 1, stats.Late)
	assert.Equal(t, 1, stats.Calls)
	var lates []capture.Late
	for _, n := range *notices {
		if n.Late != nil {
			lates = append(lates, *n.Late)
		}
	}
	assert.Equal(t, []capture.Late{{CallID: evs[0].CallID, EventType: "call.answered"}}, lates)
}

// TestDrift sends events that depart from the contract in every way and
// checks each distinct drift is reported once, however many events show it.
func TestDrift(t *testing.T) {
	t.Parallel()
	c, srv, notices := newCapture(t, capture.Config{})
	turn := func(ts, speaker string, extra map[string]any) []byte {
		d := map[string]any{"speaker": speaker, "text": "hi", "confidence": 0.9}
		for k, v := range extra {
			d[k] = v
		}
		return body(t, event.TranscriptionUpdate, ts, map[string]any{"data": d})
	}
	for i, b := range [][]byte{
		started(t),
		turn("2026-03-02T09:30:03.000Z", "user", map[string]any{"language": "en"}),
		turn("2026-03-02T09:30:04.000Z", "user", map[string]any{"language": "en"}),
		turn("2026-03-02T09:30:05.000Z", "bot", nil),
		body(t, event.TranscriptionUpdate, "2026-03-02T09:30:06.000Z", map[string]any{"data": map[string]any{"speaker": "agent", "text": 5}}),
		body(t, "call.transferred", "2026-03-02T09:30:07.000Z", map[string]any{}),
		body(t, "call.transferred", "2026-03-02T09:30:08.000Z", map[string]any{}),
	} {
		status, _ := post(t, srv.URL, b, nil)
		require.Equal(t, 200, status, "event %d", i)
	}
	srv.Close()
	stats, _ := c.Close("stopped")
	var lines []string
	for _, d := range stats.Drift {
		lines = append(lines, fmt.Sprintf("%s %s %s: %s (%d)", d.EventType, d.Path, d.Kind, d.Reason, d.Events))
	}
	assert.Equal(t, []string{
		"transcription.update $.data.data.language unknown field: not in the contract (2)",
		"transcription.update $.data.data.speaker invalid value: value must be one of 'user', 'agent' (1)",
		"transcription.update $.data.data.confidence missing field: required by the contract (1)",
		"transcription.update $.data.data.text wrong type: got number, want string (1)",
		"call.transferred $.eventType unknown event type: the contract has no webhook \"call.transferred\" (2)",
	}, lines)
	var printed int
	for _, n := range *notices {
		if n.Drift != nil {
			printed++
		}
	}
	assert.Equal(t, len(stats.Drift), printed, "each drift is told once")
}

// TestRedaction captures a call full of personal data and checks that none
// of it is left, that the same original always gets the same placeholder,
// and that the placeholders keep their formats.
func TestRedaction(t *testing.T) {
	t.Parallel()
	out := t.TempDir()
	c, srv, _ := newCapture(t, capture.Config{Out: out, Redact: true})
	params := map[string]any{"customer_name": "Olga Brzezinska", "customer_email": "olga.b@mail.example.org", "customer_phone": "+442079460123", "plan": "gold", "mobile": int64(447700900123)}
	evs := [][]byte{
		body(t, event.CallStarted, "2026-03-02T09:30:00.000Z", event.CallStartedData{CallStartedAt: "2026-03-02T09:30:00.000Z",
			Data: event.CallStartedDetails{CallDirection: "inbound", FromNumber: "+442079460123", ToNumber: "+14155550199", Params: params}}),
		body(t, event.CallAnswered, "2026-03-02T09:30:02.000Z", event.CallAnsweredData{CallAnsweredAt: "2026-03-02T09:30:02.000Z",
			Data: event.CallAnsweredDetails{CallDirection: "inbound", FromNumber: "+442079460123", ToNumber: "+14155550199", RingDuration: 2000}}),
		body(t, event.TranscriptionUpdate, "2026-03-02T09:30:03.000Z", event.TranscriptionData{Data: event.TranscriptionDetails{Speaker: "agent", Text: "Hello, am I speaking with Olga? My name is Ellis.", Confidence: 1}}),
		body(t, event.TranscriptionUpdate, "2026-03-02T09:30:06.000Z", event.TranscriptionData{Data: event.TranscriptionDetails{Speaker: "user", Text: "Yes, OLGA here. Mail me at Olga.B@mail.example.org or call 020 7946 0123, or my husband Piotr on +44 7700 900456. This is Piotr Nowak's phone too.", Confidence: 0.9}}),
		body(t, event.ToolExecuted, "2026-03-02T09:30:08.000Z", event.ToolExecutedData{Data: event.ToolDetails{ToolName: "lookup", Input: map[string]any{"email": "olga.b@mail.example.org"}, Output: map[string]any{"contacts": []any{map[string]any{"full_name": "Piotr Nowak", "tel": "+447700900456"}}}, Duration: 120}}),
		body(t, event.CallEnded, "2026-03-02T09:30:20.000Z", event.CallEndedData{Timestamp: "2026-03-02T09:30:20.000Z", Data: event.CallEndedDetail{
			ConversationID: "conv-1", Transcription: []event.TranscriptTurn{{"Agent": "Hello, am I speaking with Olga? My name is Ellis."}, {"User": "Yes, OLGA here. Mail me at Olga.B@mail.example.org or call 020 7946 0123, or my husband Piotr on +44 7700 900456. This is Piotr Nowak's phone too."}},
			OutcomeResult: map[string]any{"customer_name": "Olga Brzezinska", "customer_email": "olga.b@mail.example.org", "customer_phone": "+442079460123", "plan": "gold", "mobile": int64(447700900123), "callback": "+447700900456"},
			CallDuration:  18, FromNumber: "+442079460123", ToNumber: "+14155550199"}}),
	}
	for _, b := range evs {
		status, _ := post(t, srv.URL, b, nil)
		require.Equal(t, 200, status)
	}
	srv.Close()
	stats, err := c.Close("stopped")
	require.NoError(t, err)
	require.Equal(t, 1, stats.Calls)
	files, _ := filepath.Glob(filepath.Join(out, "*.yaml"))
	require.Len(t, files, 1)
	data, err := os.ReadFile(files[0])
	require.NoError(t, err)
	text := string(data)
	for _, pii := range []string{"Olga", "OLGA", "olga", "Brzezinska", "Ellis", "Piotr", "Nowak", "mail.example.org", "2079460123", "7946 0123", "7700900456", "7700 900456", "447700900123", "14155550199"} {
		assert.NotContains(t, text, pii)
	}
	f, err := fixture.Parse(data, files[0])
	require.NoError(t, err, text)
	from := f.Call.From
	assert.Regexp(t, `^\+1555\d{7}$`, from)
	assert.Equal(t, from, f.Params["customer_phone"], "the same number, the same placeholder")
	assert.Regexp(t, `^person\d+@example\.com$`, f.Params["customer_email"])
	assert.Equal(t, f.Params["customer_email"], f.Tools[0].Input.(map[string]any)["email"])
	assert.IsType(t, int64(0), f.Params["mobile"])
	assert.Equal(t, "Name1 Name2", f.Params["customer_name"])
	assert.Equal(t, "Hello, am I speaking with Name1? My name is Name5.", f.Turns[0].Text)
	assert.Contains(t, f.Turns[1].Text, "Name1 here. Mail me at "+f.Params["customer_email"].(string)+" or call "+from)
	assert.Equal(t, f.Outcome["callback"], f.Tools[0].Output.(map[string]any)["contacts"].([]any)[0].(map[string]any)["tel"])
	assert.Contains(t, text, "# Redacted: ")
	// Still valid for the contract and still a replayable fixture.
	evsOut, err := f.Expand(fixture.Options{Seed: 1, Start: replayStart})
	require.NoError(t, err)
	for _, ev := range evsOut {
		assert.Empty(t, testContract(t).ValidateEvent(ev.Type, ev.Body), ev.Type)
	}
}

func TestSecretNeverWritten(t *testing.T) {
	t.Parallel()
	const secret = "Bearer sk_test_capture_SECRET_9876"
	out := t.TempDir()
	c, srv, _ := newCapture(t, capture.Config{Out: out, Authorization: secret,
		Scrub: func(s string) string { return strings.ReplaceAll(s, "sk_test_capture_SECRET_9876", "[REDACTED]") }})
	b := body(t, event.CallStarted, "2026-03-02T09:30:00.000Z", event.CallStartedData{CallStartedAt: "2026-03-02T09:30:00.000Z",
		Data: event.CallStartedDetails{CallDirection: "inbound", FromNumber: "+14155550101", ToNumber: "+14155550199", Params: map[string]any{"echo": "token sk_test_capture_SECRET_9876"}}})
	post(t, srv.URL, b, http.Header{"Authorization": {secret}})
	srv.Close()
	c.Close("stopped")
	data, err := os.ReadFile(filepath.Join(out, "desk-c1.yaml"))
	require.NoError(t, err)
	assert.NotContains(t, string(data), "SECRET_9876")
	assert.Contains(t, string(data), "token [REDACTED]")
}
