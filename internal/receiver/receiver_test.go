package receiver

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hamsasim/hamsasim/internal/event"
)

func TestAuthorization(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		configured string // Config.Authorization
		header     string // sent; empty sends none
		wantStatus int
		wantBody   string
	}{
		{"exact token", testAuth, "Bearer tok123", http.StatusOK, wantReceived},
		{"missing header", testAuth, "", http.StatusUnauthorized, `{"error":"Unauthorized"}`},
		{"lowercase scheme", testAuth, "bearer tok123", http.StatusUnauthorized, `{"error":"Unauthorized"}`},
		{"no scheme", testAuth, "tok123", http.StatusUnauthorized, `{"error":"Unauthorized"}`},
		{"wrong token", testAuth, "Bearer other", http.StatusUnauthorized, `{"error":"Unauthorized"}`},
		{"token prefix only", testAuth, "Bearer tok12", http.StatusUnauthorized, `{"error":"Unauthorized"}`},
		{"token with suffix", testAuth, "Bearer tok1234", http.StatusUnauthorized, `{"error":"Unauthorized"}`},
		{"noAuth without header", "", "", http.StatusOK, wantReceived},
		{"noAuth with any header", "", "Bearer whatever", http.StatusOK, wantReceived},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, Config{Authorization: tt.configured})
			got := h.post(t, tt.header, startedBody(t, "call-auth", at(0)))
			assert.Equal(t, tt.wantStatus, got.status)
			assert.Equal(t, "application/json", got.contentType)
			assert.JSONEq(t, tt.wantBody, got.body)
		})
	}
}

// TestAuthorizationTrailingSpace calls the handler directly: over the wire,
// net/http strips trailing whitespace from header values (RFC 9110 OWS), so
// the receiver could never see it there.
func TestAuthorizationTrailingSpace(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		header     string
		wantStatus int
	}{
		{"exact", "Bearer tok123", http.StatusOK},
		{"trailing space", "Bearer tok123 ", http.StatusUnauthorized},
		{"leading space", " Bearer tok123", http.StatusUnauthorized},
		{"double space", "Bearer  tok123", http.StatusUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, Config{Authorization: testAuth})
			req := httptest.NewRequest(http.MethodPost, "/webhook", strings.NewReader(string(startedBody(t, "call-ws", at(0)))))
			req.Header.Set("Authorization", tt.header)
			rec := httptest.NewRecorder()
			h.r.Handler().ServeHTTP(rec, req)
			assert.Equal(t, tt.wantStatus, rec.Code)
			assert.Equal(t, "application/json", rec.Header().Get("Content-Type"))
			if tt.wantStatus == http.StatusUnauthorized {
				assert.JSONEq(t, `{"error":"Unauthorized"}`, rec.Body.String())
			}
		})
	}
}

func TestInvalidPayload(t *testing.T) {
	t.Parallel()
	ts := at(0)
	tests := []struct {
		name string
		body string
	}{
		{"not JSON", `this is not json`},
		{"truncated JSON", `{"eventType":"call.started","callId":"c1"`},
		{"empty body", ``},
		{"JSON null", `null`},
		{"JSON array", `[{"eventType":"call.started","callId":"c1","timestamp":"` + ts + `"}]`},
		{"missing callId", `{"eventType":"call.started","timestamp":"` + ts + `","data":{}}`},
		{"missing eventType", `{"callId":"c1","timestamp":"` + ts + `","data":{}}`},
		{"missing timestamp", `{"eventType":"call.started","callId":"c1","data":{}}`},
		{"empty callId", `{"eventType":"call.started","callId":"","timestamp":"` + ts + `","data":{}}`},
		{"empty eventType", `{"eventType":"","callId":"c1","timestamp":"` + ts + `","data":{}}`},
		{"empty timestamp", `{"eventType":"call.started","callId":"c1","timestamp":"","data":{}}`},
		{"callId is a number", `{"eventType":"call.started","callId":12345,"timestamp":"` + ts + `","data":{}}`},
		{"callId is null", `{"eventType":"call.started","callId":null,"timestamp":"` + ts + `","data":{}}`},
		{"eventType is an object", `{"eventType":{},"callId":"c1","timestamp":"` + ts + `","data":{}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, Config{Authorization: testAuth})
			got := h.post(t, testAuth, []byte(tt.body))
			assert.Equal(t, http.StatusBadRequest, got.status)
			assert.Equal(t, "application/json", got.contentType)
			assert.JSONEq(t, `{"error":"Invalid payload"}`, got.body)
			status, _ := h.probe(t, "c1")
			assert.Equal(t, http.StatusNotFound, status, "a rejected payload must not be stored")
		})
	}
}

func TestBodyLimit(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		limit      int64 // Config.MaxBodyBytes; 0 is the default
		size       int
		wantStatus int
		wantBody   string
	}{
		{"over a configured limit", 10 << 10, 20 << 10, http.StatusRequestEntityTooLarge, `{"error":"Payload too large"}`},
		{"under a configured limit", 10 << 10, 5 << 10, http.StatusOK, wantReceived},
		{"1 MB under the default limit", 0, 1 << 20, http.StatusOK, wantReceived},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, Config{Authorization: testAuth, MaxBodyBytes: tt.limit})
			got := h.post(t, testAuth, bigEndedBody(t, "call-big", tt.size))
			assert.Equal(t, tt.wantStatus, got.status)
			assert.JSONEq(t, tt.wantBody, got.body)
		})
	}
	t.Run("default is 32 MiB", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, Config{})
		assert.Equal(t, int64(32<<20), h.r.cfg.MaxBodyBytes)
	})
}

func TestUnknownEventType(t *testing.T) {
	t.Parallel()
	h := newHarness(t, Config{Authorization: testAuth})
	body := mustJSON(t, "call.transferred", "call-x", at(time.Second), map[string]any{"data": map[string]any{"to": "+14155550123"}})
	got := h.post(t, testAuth, body)
	assert.Equal(t, http.StatusOK, got.status)
	assert.JSONEq(t, `{"received":true,"warning":"Unknown event type"}`, got.body)

	rec := h.settled(t, "call-x")
	assert.Equal(t, map[string]int{"call.transferred": 1}, rec.Events)
	assert.Equal(t, map[string]int{"call.transferred": 1}, rec.Deliveries)
}

func TestDuplicates(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		firstTS    string
		secondTS   string
		wantSecond string
		wantEvents int
	}{
		{"same timestamp is a redelivery", at(0), at(0), wantDuplicate, 1},
		{"other timestamp is a new event", at(0), at(time.Millisecond), wantReceived, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, Config{Authorization: testAuth})
			first := h.post(t, testAuth, transcriptionBody(t, "call-d", tt.firstTS, event.SpeakerUser, "hi"))
			second := h.post(t, testAuth, transcriptionBody(t, "call-d", tt.secondTS, event.SpeakerUser, "hi"))
			assert.Equal(t, http.StatusOK, first.status)
			assert.JSONEq(t, wantReceived, first.body)
			assert.Equal(t, http.StatusOK, second.status)
			assert.JSONEq(t, tt.wantSecond, second.body)

			rec := h.settled(t, "call-d")
			assert.Equal(t, tt.wantEvents, rec.Events[event.TranscriptionUpdate], "events")
			assert.Equal(t, 2, rec.Deliveries[event.TranscriptionUpdate], "deliveries")
			assert.Equal(t, tt.wantEvents, rec.Effects[event.TranscriptionUpdate], "effects")
			assert.Equal(t, tt.wantEvents, rec.Turns, "turns")
		})
	}
}

func TestConcurrentRedeliveries(t *testing.T) {
	t.Parallel()
	const n = 50
	h := newHarness(t, Config{Authorization: testAuth})
	body := toolBody(t, "call-c", at(6*time.Second))

	fresh, dups := deliverConcurrently(t, h, body, n)
	assert.Equal(t, 1, fresh, "answers without duplicate")
	assert.Equal(t, n-1, dups, "answers with duplicate:true")

	rec := h.settled(t, "call-c")
	assert.Equal(t, n, rec.Deliveries[event.ToolExecuted], "deliveries")
	assert.Equal(t, 1, rec.Events[event.ToolExecuted], "events")
	assert.Equal(t, 1, rec.Effects[event.ToolExecuted], "effects")
	assert.Equal(t, 1, rec.Tools, "tools")
}

// deliverConcurrently posts body n times at once and counts the answers
// without and with duplicate:true; any other answer fails the test.
func deliverConcurrently(t *testing.T, h *harness, body []byte, n int) (fresh, dups int) {
	t.Helper()
	replies := make([]reply, n)
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			replies[i], errs[i] = postTo(h.srv.Client(), h.srv.URL, testAuth, body)
		}()
	}
	close(start)
	wg.Wait()
	for i := range n {
		require.NoError(t, errs[i], "delivery %d", i)
		require.Equal(t, http.StatusOK, replies[i].status, "delivery %d: %s", i, replies[i].body)
		switch replies[i].body {
		case wantReceived:
			fresh++
		case wantDuplicate:
			dups++
		default:
			t.Errorf("delivery %d: unexpected answer %s", i, replies[i].body)
		}
	}
	return fresh, dups
}

func TestProbeLifecycle(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		order func(evs [][]byte) [][]byte
	}{
		{"in order", func(evs [][]byte) [][]byte { return evs }},
		{"ended first, then started", func(evs [][]byte) [][]byte {
			last := len(evs) - 1
			return append([][]byte{evs[last], evs[0]}, evs[1:last]...)
		}},
		{"reversed", func(evs [][]byte) [][]byte {
			out := make([][]byte, len(evs))
			for i, e := range evs {
				out[len(evs)-1-i] = e
			}
			return out
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, Config{Authorization: testAuth})
			for i, body := range tt.order(lifecycle(t, "call-1")) {
				got := h.post(t, testAuth, body)
				require.Equal(t, http.StatusOK, got.status, "event %d: %s", i, got.body)
				require.JSONEq(t, wantReceived, got.body, "event %d", i)
			}
			rec := h.settled(t, "call-1")

			assert.Equal(t, "call-1", rec.CallID)
			assert.Equal(t, at(0), deref(rec.StartedAt), "startedAt")
			assert.Equal(t, at(2*time.Second), deref(rec.AnsweredAt), "answeredAt")
			assert.Equal(t, at(44*time.Second), deref(rec.EndedAt), "endedAt")
			assert.Equal(t, "outbound", deref(rec.Direction), "direction")
			assert.Equal(t, 3, rec.Turns, "turns")
			assert.Equal(t, 1, rec.Tools, "tools")
			if assert.NotNil(t, rec.TranscriptTurns) {
				assert.Equal(t, 3, *rec.TranscriptTurns, "transcriptTurns")
			}
			assert.Equal(t, testRecording, deref(rec.Recording), "recording")
			assert.Equal(t, "conv-call-1", deref(rec.ConversationID), "conversationId")
			if assert.NotNil(t, rec.CallDuration) {
				assert.Equal(t, int64(42), *rec.CallDuration, "callDuration")
			}
			var params map[string]any
			require.NoError(t, json.Unmarshal(rec.Params, &params), "params: %s", rec.Params)
			assert.Equal(t, "A-1", params["application_id"], "params.application_id")
			assert.JSONEq(t, testOutcome, string(rec.OutcomeResult), "outcomeResult")

			want := map[string]int{
				event.CallStarted:         1,
				event.CallAnswered:        1,
				event.TranscriptionUpdate: 3,
				event.ToolExecuted:        1,
				event.CallEnded:           1,
			}
			assert.Equal(t, want, rec.Effects, "effects")
			assert.Equal(t, want, rec.Events, "events")
			assert.Equal(t, want, rec.Deliveries, "deliveries")
			assert.Equal(t, 0, rec.Pending, "pending")
		})
	}
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

func TestProbeAnswers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		auth       string // sent with the probe; empty sends none
		callID     string
		wantStatus int
		wantBody   string
	}{
		{"unknown call", testAuth, "no-such-call", http.StatusNotFound, `{"error":"No such call"}`},
		{"missing Authorization", "", "call-p", http.StatusUnauthorized, `{"error":"Unauthorized"}`},
		{"wrong Authorization", "Bearer other", "call-p", http.StatusUnauthorized, `{"error":"Unauthorized"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, Config{Authorization: testAuth})
			require.Equal(t, http.StatusOK, h.post(t, testAuth, startedBody(t, "call-p", at(0))).status)
			h.auth = tt.auth
			req, err := http.NewRequest(http.MethodGet, h.srv.URL+"/calls/"+tt.callID, nil)
			require.NoError(t, err)
			if tt.auth != "" {
				req.Header.Set("Authorization", tt.auth)
			}
			resp, err := h.srv.Client().Do(req)
			require.NoError(t, err)
			defer resp.Body.Close()
			var got map[string]any
			require.NoError(t, json.NewDecoder(resp.Body).Decode(&got))
			assert.Equal(t, tt.wantStatus, resp.StatusCode)
			assert.Equal(t, "application/json", resp.Header.Get("Content-Type"))
			want := map[string]any{}
			require.NoError(t, json.Unmarshal([]byte(tt.wantBody), &want))
			assert.Equal(t, want, got)
		})
	}
}

func TestReopenKeepsAcknowledgedEvents(t *testing.T) {
	t.Parallel()
	dbPath := filepath.Join(t.TempDir(), "receiver.db")
	evs := lifecycle(t, "call-r")

	h := newHarness(t, Config{Authorization: testAuth, DBPath: dbPath})
	for i, body := range evs {
		got := h.post(t, testAuth, body)
		require.Equal(t, http.StatusOK, got.status, "event %d: %s", i, got.body)
	}
	h.srv.Close()
	require.NoError(t, h.r.Close())

	h2 := newHarness(t, Config{Authorization: testAuth, DBPath: dbPath})
	rec := h2.settled(t, "call-r")
	want := map[string]int{
		event.CallStarted:         1,
		event.CallAnswered:        1,
		event.TranscriptionUpdate: 3,
		event.ToolExecuted:        1,
		event.CallEnded:           1,
	}
	assert.Equal(t, want, rec.Events, "events")
	assert.Equal(t, want, rec.Effects, "effects: reopening must not process anything again")
	assert.Equal(t, 3, rec.Turns)
	assert.Equal(t, 1, rec.Tools)

	// A redelivery after the restart is still recognised.
	got := h2.post(t, testAuth, evs[0])
	assert.JSONEq(t, wantDuplicate, got.body)
}

func TestCloseIsIdempotent(t *testing.T) {
	t.Parallel()
	r, err := New(Config{DBPath: filepath.Join(t.TempDir(), "receiver.db")})
	require.NoError(t, err)
	assert.NoError(t, r.Close())
	assert.NoError(t, r.Close())
	assert.NoError(t, r.Close())
}

func TestNewNeedsDBPath(t *testing.T) {
	t.Parallel()
	r, err := New(Config{})
	assert.Error(t, err)
	assert.Nil(t, r)
}

func TestFaults(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		faults Faults
		run    func(t *testing.T, h *harness)
	}{
		{"auth-off accepts a wrong token", Faults{FaultAuthOff: true}, func(t *testing.T, h *harness) {
			got := h.post(t, "Bearer wrong", startedBody(t, "call-f", at(0)))
			assert.Equal(t, http.StatusOK, got.status)
			assert.JSONEq(t, wantReceived, got.body)
			got = h.post(t, "", answeredBody(t, "call-f", at(time.Second)))
			assert.Equal(t, http.StatusOK, got.status, "no header at all")
		}},
		{"no-dedupe processes a redelivery again", Faults{FaultNoDedupe: true}, func(t *testing.T, h *harness) {
			body := toolBody(t, "call-f", at(0))
			first := h.post(t, testAuth, body)
			assert.JSONEq(t, wantReceived, first.body)
			h.settled(t, "call-f")
			second := h.post(t, testAuth, body)
			assert.Equal(t, http.StatusOK, second.status)
			assert.JSONEq(t, wantReceived, second.body, "no duplicate:true")
			rec := h.settled(t, "call-f")
			assert.Equal(t, 2, rec.Effects[event.ToolExecuted], "effects")
			assert.Equal(t, 2, rec.Tools, "tools")
			assert.Equal(t, 1, rec.Events[event.ToolExecuted], "events")
			assert.Equal(t, 2, rec.Deliveries[event.ToolExecuted], "deliveries")
		}},
		{"no-dedupe processes back-to-back redeliveries again", Faults{FaultNoDedupe: true}, func(t *testing.T, h *harness) {
			const calls = 20
			for i := range calls {
				body := toolBody(t, fmt.Sprintf("call-%d", i), at(0))
				assert.JSONEq(t, wantReceived, h.post(t, testAuth, body).body)
				assert.JSONEq(t, wantReceived, h.post(t, testAuth, body).body)
			}
			for i := range calls {
				rec := h.settled(t, fmt.Sprintf("call-%d", i))
				assert.Equal(t, 2, rec.Effects[event.ToolExecuted], "call-%d effects", i)
			}
		}},
		{"no-dedupe processes 50 concurrent deliveries 50 times", Faults{FaultNoDedupe: true}, func(t *testing.T, h *harness) {
			fresh, dups := deliverConcurrently(t, h, toolBody(t, "call-f", at(0)), 50)
			assert.Equal(t, 50, fresh, "answers without duplicate")
			assert.Zero(t, dups, "answers with duplicate:true")
			rec := h.settled(t, "call-f")
			assert.Equal(t, 50, rec.Effects[event.ToolExecuted], "effects")
			assert.Equal(t, 50, rec.Deliveries[event.ToolExecuted], "deliveries")
			assert.Equal(t, 1, rec.Events[event.ToolExecuted], "events")
		}},
		{"reject-unknown answers 400 to an unknown type", Faults{FaultRejectUnknown: true}, func(t *testing.T, h *harness) {
			got := h.post(t, testAuth, mustJSON(t, "call.transferred", "call-f", at(0), map[string]any{}))
			assert.Equal(t, http.StatusBadRequest, got.status)
			assert.JSONEq(t, `{"error":"Unsupported event type"}`, got.body)
			got = h.post(t, testAuth, startedBody(t, "call-f", at(0)))
			assert.Equal(t, http.StatusOK, got.status, "known types still pass")
		}},
		{"body-limit-100k refuses 150 kB", Faults{FaultBodyLimit: true}, func(t *testing.T, h *harness) {
			got := h.post(t, testAuth, bigEndedBody(t, "call-f", 150_000))
			assert.Equal(t, http.StatusRequestEntityTooLarge, got.status)
			assert.JSONEq(t, `{"error":"Payload too large"}`, got.body)
		}},
		{"body-limit-100k accepts 50 kB", Faults{FaultBodyLimit: true}, func(t *testing.T, h *harness) {
			got := h.post(t, testAuth, bigEndedBody(t, "call-f", 50_000))
			assert.Equal(t, http.StatusOK, got.status)
			assert.JSONEq(t, wantReceived, got.body)
		}},
		{"fail-call-started answers 500 to call.started only", Faults{FaultFailCallStarted: true}, func(t *testing.T, h *harness) {
			got := h.post(t, testAuth, startedBody(t, "call-f", at(0)))
			assert.Equal(t, http.StatusInternalServerError, got.status)
			assert.JSONEq(t, `{"error":"Internal server error"}`, got.body)
			for _, body := range lifecycle(t, "call-f")[1:] {
				got := h.post(t, testAuth, body)
				assert.Equal(t, http.StatusOK, got.status, got.body)
			}
			rec := h.settled(t, "call-f")
			assert.Zero(t, rec.Events[event.CallStarted], "the refused call.started is not stored")
		}},
		{"html-errors answers 401 with an HTML stack trace", Faults{FaultHTMLErrors: true}, func(t *testing.T, h *harness) {
			got := h.post(t, "Bearer wrong", startedBody(t, "call-f", at(0)))
			assert.Equal(t, http.StatusUnauthorized, got.status)
			assert.Equal(t, "text/html; charset=utf-8", got.contentType)
			assert.Contains(t, got.body, "at handleEvent")
			assert.Contains(t, got.body, "401 Unauthorized")
			ok := h.post(t, testAuth, startedBody(t, "call-f", at(0)))
			assert.Equal(t, "application/json", ok.contentType, "successes stay JSON")
		}},
		{"strict-order refuses transcription before call.started", Faults{FaultStrictOrder: true}, func(t *testing.T, h *harness) {
			got := h.post(t, testAuth, transcriptionBody(t, "call-f", at(3*time.Second), event.SpeakerUser, "hi"))
			assert.Equal(t, http.StatusConflict, got.status)
			assert.JSONEq(t, `{"error":"Call not started"}`, got.body)
		}},
		{"strict-order refuses transcription after call.ended", Faults{FaultStrictOrder: true}, func(t *testing.T, h *harness) {
			for _, body := range [][]byte{startedBody(t, "call-f", at(0)), endedBody(t, "call-f", at(44*time.Second), 0, 0)} {
				got := h.post(t, testAuth, body)
				require.Equal(t, http.StatusOK, got.status, got.body)
			}
			got := h.post(t, testAuth, transcriptionBody(t, "call-f", at(3*time.Second), event.SpeakerUser, "hi"))
			assert.Equal(t, http.StatusConflict, got.status)
			assert.JSONEq(t, `{"error":"Call already ended"}`, got.body)
		}},
		{"strict-order accepts a lifecycle in order", Faults{FaultStrictOrder: true}, func(t *testing.T, h *harness) {
			for i, body := range lifecycle(t, "call-f") {
				got := h.post(t, testAuth, body)
				assert.Equal(t, http.StatusOK, got.status, "event %d: %s", i, got.body)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.run(t, newHarness(t, Config{Authorization: testAuth, Faults: tt.faults}))
		})
	}
}

func TestSlowAckGivesUpWithTheClient(t *testing.T) {
	t.Parallel()
	r, err := New(Config{Authorization: testAuth, DBPath: filepath.Join(t.TempDir(), "receiver.db"), Faults: Faults{FaultSlowAck: true}})
	require.NoError(t, err)
	t.Cleanup(func() { r.Close() })

	returned := make(chan time.Duration, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		start := time.Now()
		r.Handler().ServeHTTP(w, req)
		returned <- time.Since(start)
	}))
	t.Cleanup(srv.Close)

	// No body: net/http notices a client hang-up (and cancels the request's
	// context) only once the body has been read to the end.
	client := &http.Client{Timeout: 200 * time.Millisecond}
	req, err := http.NewRequest(http.MethodPost, srv.URL+"/webhook", http.NoBody)
	require.NoError(t, err)
	req.Header.Set("Authorization", testAuth)
	began := time.Now()
	resp, err := client.Do(req)
	if resp != nil {
		resp.Body.Close()
	}
	require.Error(t, err, "slow-ack must not answer within 200 ms")
	assert.Less(t, time.Since(began), time.Second)

	select {
	case d := <-returned:
		assert.Less(t, d, 2*time.Second, "handler ran on after the client left")
	case <-time.After(3 * time.Second):
		t.Fatal("handler did not return after the request was cancelled")
	}
}

func TestSlowAckHonoursRequestContext(t *testing.T) {
	t.Parallel()
	h := newHarness(t, Config{Authorization: testAuth, Faults: Faults{FaultSlowAck: true}})
	body := startedBody(t, "call-s", at(0))
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	req := httptest.NewRequestWithContext(ctx, http.MethodPost, "/webhook", strings.NewReader(string(body)))
	req.Header.Set("Authorization", testAuth)
	rec := httptest.NewRecorder()

	h.r.Handler().ServeHTTP(rec, req)
	elapsed := time.Since(start)

	assert.GreaterOrEqual(t, elapsed, 200*time.Millisecond, "answered before the deadline")
	assert.Less(t, elapsed, 2*time.Second, "did not return on cancellation")
	assert.Empty(t, rec.Body.String(), "nothing is answered to a cancelled request")
	status, _ := h.probe(t, "call-s")
	assert.Equal(t, http.StatusNotFound, status, "a cancelled slow-ack stores nothing")
}

func TestParseFaults(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      []string
		want    Faults
		wantBad string // the unknown name the error must quote; empty when valid
	}{
		{"none", nil, Faults{}, ""},
		{"one", []string{"slow-ack"}, Faults{FaultSlowAck: true}, ""},
		{"comma list", []string{"auth-off,no-dedupe"}, Faults{FaultAuthOff: true, FaultNoDedupe: true}, ""},
		{"spaces and empty parts", []string{" auth-off , ,strict-order,"}, Faults{FaultAuthOff: true, FaultStrictOrder: true}, ""},
		{"repeated flags", []string{"html-errors", "body-limit-100k,fail-call-started"}, Faults{FaultHTMLErrors: true, FaultBodyLimit: true, FaultFailCallStarted: true}, ""},
		{"unknown", []string{"explode"}, nil, "explode"},
		{"unknown in a list", []string{"auth-off,slow-ack,nope"}, nil, "nope"},
		{"case matters", []string{"Auth-Off"}, nil, "Auth-Off"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseFaults(tt.in)
			if tt.wantBad == "" {
				require.NoError(t, err)
				assert.Equal(t, tt.want, got)
				return
			}
			require.Error(t, err)
			assert.Nil(t, got)
			msg := err.Error()
			assert.Contains(t, msg, fmt.Sprintf("%q", tt.wantBad))
			for _, name := range FaultNames() {
				assert.Contains(t, msg, name, "the message lists every valid mode")
			}
		})
	}
}

func TestFaultNames(t *testing.T) {
	t.Parallel()
	want := []string{"auth-off", "body-limit-100k", "fail-call-started", "html-errors", "no-dedupe", "reject-unknown", "slow-ack", "strict-order"}
	assert.Equal(t, want, FaultNames())
}

func TestServe(t *testing.T) {
	t.Parallel()
	r, err := New(Config{Authorization: testAuth, DBPath: filepath.Join(t.TempDir(), "receiver.db")})
	require.NoError(t, err)
	t.Cleanup(func() { r.Close() })
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)

	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	done := make(chan error, 1)
	go func() { done <- r.Serve(ctx, l) }()

	base := "http://" + l.Addr().String()
	client := &http.Client{Timeout: 2 * time.Second}
	resp, err := client.Get(base + "/healthz")
	require.NoError(t, err)
	var health map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&health))
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, map[string]any{"ok": true}, health)

	got, err := postTo(client, base, testAuth, startedBody(t, "call-serve", at(0)))
	require.NoError(t, err)
	assert.JSONEq(t, wantReceived, got.body)

	cancel()
	select {
	case err := <-done:
		assert.NoError(t, err)
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return after its context was cancelled")
	}
	_, err = client.Get(base + "/healthz")
	assert.Error(t, err, "the listener is closed after Serve returns")
	assert.NoError(t, r.Close(), "Serve closed the receiver; closing again is fine")
}
