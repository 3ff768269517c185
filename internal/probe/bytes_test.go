package probe_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hamsasim/hamsasim"
	"github.com/hamsasim/hamsasim/internal/check"
	"github.com/hamsasim/hamsasim/internal/contract"
	"github.com/hamsasim/hamsasim/internal/deliver"
	"github.com/hamsasim/hamsasim/internal/event"
	"github.com/hamsasim/hamsasim/internal/probe"
	"github.com/hamsasim/hamsasim/internal/sign"
)

var bytesStart = time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)

// compactEvent is a transcription.update as event.Marshal writes it, with
// the text the bytes group sends.
func compactEvent(t *testing.T) []byte {
	t.Helper()
	body, err := event.Marshal(event.Envelope{
		EventType: event.TranscriptionUpdate, CallID: "c0ffee00-0000-4000-8000-000000000001", Timestamp: "2025-03-01T09:00:05.000Z",
		ProjectID: "proj_probe", AgentID: "agent_probe", AgentName: "Probe Agent",
		Data: event.TranscriptionData{Data: event.TranscriptionDetails{Speaker: event.SpeakerUser, Text: probe.EquivalentText, Confidence: 0.9}},
	})
	require.NoError(t, err)
	return body
}

func decode(t *testing.T, b []byte) any {
	t.Helper()
	var v any
	require.NoError(t, json.Unmarshal(b, &v), "%s", b)
	return v
}

// keysOf returns the member names of the object at path in body, in the
// order they appear in the bytes.
func keysOf(t *testing.T, body []byte, path ...string) []string {
	t.Helper()
	raw := json.RawMessage(body)
	for _, p := range path {
		var m map[string]json.RawMessage
		require.NoError(t, json.Unmarshal(raw, &m))
		raw = m[p]
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	tok, err := dec.Token()
	require.NoError(t, err)
	require.Equal(t, json.Delim('{'), tok)
	var keys []string
	for dec.More() {
		k, err := dec.Token()
		require.NoError(t, err)
		keys = append(keys, k.(string))
		var skip json.RawMessage
		require.NoError(t, dec.Decode(&skip))
	}
	return keys
}

// escapeNonASCII is the expected ascii variant, computed apart from the
// code under test: in compact JSON non-ASCII only occurs inside strings.
func escapeNonASCII(b []byte) []byte {
	var out strings.Builder
	for _, r := range string(b) {
		if r < utf8.RuneSelf {
			out.WriteRune(r)
			continue
		}
		for _, u := range utf16.Encode([]rune{r}) {
			fmt.Fprintf(&out, `\u%04x`, u)
		}
	}
	return []byte(out.String())
}

func reversed(s []string) []string {
	out := slices.Clone(s)
	slices.Reverse(out)
	return out
}

func TestEquivalentTextNeedsEachVariant(t *testing.T) {
	t.Parallel()
	body := compactEvent(t)
	assert.Contains(t, string(body), "مرحبًا", "Arabic travels as UTF-8 in the compact form")
	assert.Contains(t, string(body), "🙏", "the emoji travels as UTF-8 in the compact form")
	assert.Contains(t, string(body), "4471/ب")
	assert.NotContains(t, string(body), `\u`)
	assert.NotContains(t, string(body), "\n")
}

func TestVariants(t *testing.T) {
	t.Parallel()
	body := compactEvent(t)
	cases := map[string]func(t *testing.T, got []byte){
		"pretty-printed": func(t *testing.T, got []byte) {
			assert.True(t, bytes.HasPrefix(got, []byte("{\n  \"eventType\": \"transcription.update\",\n  \"callId\": ")), "%s", got)
			assert.Contains(t, string(got), "\n  \"data\": {\n    \"data\": {\n      \"speaker\": \"user\",\n")
			assert.True(t, bytes.HasSuffix(got, []byte("\n    }\n  }\n}")), "%s", got)
			var compact bytes.Buffer
			require.NoError(t, json.Compact(&compact, got))
			assert.Equal(t, string(body), compact.String(), "only whitespace outside strings differs")
		},
		`non-ASCII escaped as \uXXXX`: func(t *testing.T, got []byte) {
			for i, c := range got {
				require.Less(t, c, byte(utf8.RuneSelf), "byte %d is not ASCII", i)
			}
			assert.Contains(t, string(got), `\u0645\u0631\u062d\u0628\u064b\u0627`, "مرحبًا, diacritic included")
			assert.Contains(t, string(got), `\ud83d\ude4f`, "🙏 as a surrogate pair")
			assert.Equal(t, string(escapeNonASCII(body)), string(got), "only non-ASCII characters differ")
		},
		`/ escaped as \/`: func(t *testing.T, got []byte) {
			assert.Contains(t, string(got), `4471\/ب`)
			assert.Equal(t, strings.ReplaceAll(string(body), "/", `\/`), string(got), "only slashes differ")
		},
		"keys in reverse order": func(t *testing.T, got []byte) {
			assert.Equal(t, reversed(keysOf(t, body)), keysOf(t, got))
			assert.Equal(t, []string{"data", "agentName", "agentId", "projectId", "timestamp", "callId", "eventType"}, keysOf(t, got))
			assert.Equal(t, []string{"confidence", "text", "speaker"}, keysOf(t, got, "data", "data"))
			sortedGot, sortedBody := slices.Clone(got), slices.Clone(body)
			slices.Sort(sortedGot)
			slices.Sort(sortedBody)
			assert.Equal(t, sortedBody, sortedGot, "the same bytes, moved")
			back, err := probe.ReverseKeys(got)
			require.NoError(t, err)
			assert.Equal(t, string(body), string(back), "reversing twice gives the compact form back")
		},
	}
	require.Len(t, probe.Variants, len(cases))
	for _, v := range probe.Variants {
		t.Run(v.Name, func(t *testing.T) {
			t.Parallel()
			check, ok := cases[v.Name]
			require.True(t, ok, "no case for variant %q", v.Name)
			got, err := v.Rewrite(body)
			require.NoError(t, err)
			assert.NotEqual(t, string(body), string(got))
			assert.Equal(t, decode(t, body), decode(t, got), "the same JSON value")
			check(t, got)
		})
	}
}

// TestRewriteKeepsBytes: with nothing to change, the rewriting writes what
// event.Marshal wrote, byte for byte: escapes, numbers, empty containers.
func TestRewriteKeepsBytes(t *testing.T) {
	t.Parallel()
	body, err := event.Marshal(map[string]any{
		"html": "<b> & </b>", "ctl": "a\b\f\n\r\t\x01\x1f\x7f", "quote": `"\`, "sep": "\u2028\u2029",
		"emoji": "😀", "empty": map[string]any{}, "none": []any{}, "null": nil, "yes": true, "n": -1.5e-7, "big": 12345678901234,
	})
	require.NoError(t, err)
	once, err := probe.ReverseKeys(body)
	require.NoError(t, err)
	twice, err := probe.ReverseKeys(once)
	require.NoError(t, err)
	assert.Equal(t, string(body), string(twice))

	literal := []byte(`{"amount":49.00,"e":1E3,"list":[1,2.50,{"k":[]}]}`)
	got, err := probe.EscapeSlash(literal)
	require.NoError(t, err)
	assert.Equal(t, string(literal), string(got), "numbers keep their literal text")
	got, err = probe.Pretty([]byte(`{"a":{},"b":[]}`))
	require.NoError(t, err)
	assert.Equal(t, "{\n  \"a\": {},\n  \"b\": []\n}", string(got))
}

func TestRewriteRejectsNonJSON(t *testing.T) {
	t.Parallel()
	for _, in := range []string{``, `{"a":`, `{"a":1} x`, `{"a":1}{}`, `[1,]`} {
		_, err := probe.Pretty([]byte(in))
		assert.Error(t, err, "%q", in)
	}
}

// jsonStringify re-serialises body as JSON.stringify(JSON.parse(body))
// does for these events: compact, members in the order received, UTF-8 as
// is, no \/.
func jsonStringify(body []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var out bytes.Buffer
	type frame struct {
		object bool
		n      int
	}
	var stack []frame
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return out.Bytes(), nil
		}
		if err != nil {
			return nil, err
		}
		if d, ok := tok.(json.Delim); ok && (d == '}' || d == ']') {
			out.WriteByte(byte(d))
			stack = stack[:len(stack)-1]
			continue
		}
		if len(stack) > 0 {
			f := &stack[len(stack)-1]
			switch {
			case f.object && f.n%2 == 1:
				out.WriteByte(':')
			case f.n > 0:
				out.WriteByte(',')
			}
			f.n++
		}
		switch t := tok.(type) {
		case json.Delim:
			out.WriteByte(byte(t))
			stack = append(stack, frame{object: t == '{'})
		case string:
			s, err := event.Marshal(t)
			if err != nil {
				return nil, err
			}
			out.Write(s)
		case json.Number:
			out.WriteString(t.String())
		case bool:
			fmt.Fprint(&out, t)
		case nil:
			out.WriteString("null")
		}
	}
}

// typedMarshal re-serialises through a struct, as a receiver that binds the
// body to its model and marshals the model again: the struct fixes the
// member order.
func typedMarshal(body []byte) ([]byte, error) {
	var ev struct {
		event.Envelope
		Data event.TranscriptionData `json:"data"`
	}
	if err := json.Unmarshal(body, &ev); err != nil {
		return nil, err
	}
	env := ev.Envelope
	env.Data = ev.Data
	return event.Marshal(env)
}

// hmacReceiver verifies Standard Webhooks signatures over what signed
// returns for the request's bytes, and records every body it gets.
type hmacReceiver struct {
	key    []byte
	signed func([]byte) ([]byte, error)

	mu     sync.Mutex
	bodies [][]byte
}

func (h *hmacReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		event.WriteJSON(w, http.StatusBadRequest, event.Answer{Error: "Invalid payload"})
		return
	}
	h.mu.Lock()
	h.bodies = append(h.bodies, body)
	h.mu.Unlock()
	content := body
	if h.signed != nil {
		if content, err = h.signed(body); err != nil {
			event.WriteJSON(w, http.StatusBadRequest, event.Answer{Error: "Invalid payload"})
			return
		}
	}
	if sign.Verify(r.Header, h.key, content, time.Now()) != nil {
		event.WriteJSON(w, http.StatusUnauthorized, event.Answer{Error: "Unauthorized"})
		return
	}
	event.WriteJSON(w, http.StatusOK, event.Answer{Received: true})
}

func (h *hmacReceiver) received() [][]byte {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.bodies)
}

func runBytes(t *testing.T, h http.Handler, signer deliver.Signer, auth probe.Auth, c *contract.Contract) *probe.Runner {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	d, err := deliver.New(deliver.WithSigner(signer))
	require.NoError(t, err)
	r := probe.NewRunner(probe.Config{Target: srv.URL + "/webhook", Deliverer: d, Contract: c, Seed: 7, Start: bytesStart, Auth: auth})
	r.Run(context.Background(), map[string]bool{probe.GroupBytes: true})
	return r
}

func hmacKey() ([]byte, probe.Auth) {
	key := []byte("0123456789abcdef0123456789abcdef")
	return key, probe.Auth{Mode: probe.AuthHMAC, Key: key, Env: "WEBHOOK_SECRET"}
}

// variantResults maps each variant's probe name to its result.
func variantResults(t *testing.T, r *probe.Runner) map[string]probe.Result {
	t.Helper()
	out := map[string]probe.Result{}
	for _, res := range r.Results {
		out[res.Probe] = res
	}
	require.Len(t, out, len(probe.Variants), "one result per variant, nothing else: %+v", r.Results)
	for _, v := range probe.Variants {
		require.Contains(t, out, "payload.equivalent/"+v.Slug)
	}
	return out
}

func findingsOf(r *probe.Runner, id string) map[string]check.Finding {
	out := map[string]check.Finding{}
	for _, f := range r.Findings {
		if f.Check == id {
			out[f.Probe] = f
		}
	}
	return out
}

func TestBytesRawHMACPasses(t *testing.T) {
	t.Parallel()
	c, err := contract.Load(hamsasim.Contract(), hamsasim.ContractPath)
	require.NoError(t, err)
	key, auth := hmacKey()
	rcv := &hmacReceiver{key: key}
	r := runBytes(t, rcv, deliver.HMAC{Key: key, Env: "WEBHOOK_SECRET"}, auth, c)
	assert.Empty(t, r.Findings)
	for name, res := range variantResults(t, r) {
		assert.True(t, res.Passed, name)
		assert.Empty(t, res.Skipped, name)
		assert.Equal(t, http.StatusOK, res.Status, name)
		assert.Equal(t, event.TranscriptionUpdate, res.Event, name)
	}

	// What went over the wire: call.started, the control, one event per
	// variant, call.ended; each variant the control's value but for its
	// own timestamp, in its own bytes.
	bodies := rcv.received()
	require.Len(t, bodies, len(probe.Variants)+3)
	var types []string
	for _, b := range bodies {
		types = append(types, decode(t, b).(map[string]any)["eventType"].(string))
	}
	assert.Equal(t, []string{"call.started", "transcription.update", "transcription.update", "transcription.update",
		"transcription.update", "transcription.update", "call.ended"}, types)
	control := decode(t, bodies[1]).(map[string]any)
	assert.Contains(t, string(bodies[1]), probe.EquivalentText, "the control is the compact form, UTF-8 as is")
	stamps := map[string]bool{control["timestamp"].(string): true}
	for i, v := range probe.Variants {
		got := decode(t, bodies[i+2]).(map[string]any)
		ts := got["timestamp"].(string)
		assert.False(t, stamps[ts], "%s repeats a timestamp: it would be a duplicate", v.Name)
		stamps[ts] = true
		got["timestamp"] = control["timestamp"]
		assert.Equal(t, control, got, v.Name)
		// The variant's own compact form is the control's with its timestamp;
		// the bytes sent are exactly that form rewritten.
		compact := bytes.Replace(bodies[1], []byte(control["timestamp"].(string)), []byte(ts), 1)
		want, err := v.Rewrite(compact)
		require.NoError(t, err)
		assert.Equal(t, string(want), string(bodies[i+2]), v.Name)
		assert.NotEqual(t, string(compact), string(bodies[i+2]), v.Name)
		for _, c := range c.ValidateEvent(event.TranscriptionUpdate, bodies[i+2]) {
			t.Errorf("%s: the contract rejects the variant: %s", v.Name, c)
		}
	}
}

func TestBytesStringifyReceiverFails(t *testing.T) {
	t.Parallel()
	key, auth := hmacKey()
	// The control passes: today's bytes are JavaScript's re-serialisation.
	r := runBytes(t, &hmacReceiver{key: key, signed: jsonStringify}, deliver.HMAC{Key: key, Env: "WEBHOOK_SECRET"}, auth, nil)
	fs := findingsOf(r, check.PayloadEquivalent)
	res := variantResults(t, r)
	for _, v := range probe.Variants {
		name := "payload.equivalent/" + v.Slug
		if v.Slug == "reversed" {
			// JSON.stringify keeps the order members arrived in, so the
			// reversed body re-serialises to itself and its signature holds.
			assert.NotContains(t, fs, name)
			assert.True(t, res[name].Passed)
			continue
		}
		require.Contains(t, fs, name, "%s should fail a receiver that signs its re-serialisation", v.Name)
		f := fs[name]
		assert.Equal(t, check.SeverityError, f.Severity)
		assert.Equal(t, http.StatusUnauthorized, f.Status)
		assert.Contains(t, f.Message, "transcription.update "+v.Name)
		assert.Contains(t, f.Message, "answered 401")
		assert.Contains(t, f.Curl, "webhook-signature: v1,$sig")
		assert.False(t, res[name].Passed)
		assert.Empty(t, res[name].Skipped)
	}
	assert.Len(t, fs, 3)
}

func TestBytesTypedReceiverFailsEveryVariant(t *testing.T) {
	t.Parallel()
	key, auth := hmacKey()
	r := runBytes(t, &hmacReceiver{key: key, signed: typedMarshal}, deliver.HMAC{Key: key, Env: "WEBHOOK_SECRET"}, auth, nil)
	fs := findingsOf(r, check.PayloadEquivalent)
	for _, v := range probe.Variants {
		assert.Contains(t, fs, "payload.equivalent/"+v.Slug, v.Name)
	}
	assert.Len(t, fs, len(probe.Variants))
}

func TestBytesBearer204Passes(t *testing.T) {
	t.Parallel()
	const token = "Bearer tok_bytes"
	var mu sync.Mutex
	sent := 0
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		sent++
		mu.Unlock()
		if r.Header.Get("Authorization") != token {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	r := runBytes(t, h, deliver.Bearer{Value: token, Env: "WEBHOOK_SECRET"}, probe.Auth{Mode: probe.AuthBearer}, nil)
	assert.Empty(t, r.Findings)
	for name, res := range variantResults(t, r) {
		assert.True(t, res.Passed, name)
		assert.Equal(t, http.StatusNoContent, res.Status, name)
	}
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, len(probe.Variants)+3, sent)
}

// TestBytesControlRejected: when the compact form itself is refused, the
// variants are sent but not judged, and the result says why.
func TestBytesControlRejected(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	updates := 0
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if bytes.Contains(body, []byte("transcription.update")) {
			mu.Lock()
			updates++
			mu.Unlock()
			event.WriteJSON(w, http.StatusInternalServerError, event.Answer{Error: "Internal server error"})
			return
		}
		event.WriteJSON(w, http.StatusOK, event.Answer{Received: true})
	})
	r := runBytes(t, h, deliver.NoAuth{}, probe.Auth{Mode: probe.AuthNone}, nil)
	assert.Empty(t, r.Findings)
	for name, res := range variantResults(t, r) {
		assert.True(t, res.Passed, name)
		assert.Equal(t, http.StatusInternalServerError, res.Status, name)
		assert.Contains(t, res.Skipped, "the control, the same transcription.update in the compact form, answered 500", name)
	}
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, len(probe.Variants)+1, updates, "the variants are sent all the same")
}

// TestBytesSubscriptions: the group sends the first text-carrying type the
// endpoint is subscribed to, and nothing of a type it is not.
func TestBytesSubscriptions(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		events map[string]bool
		want   []string // event types received, in order
	}{
		{"tool.executed", map[string]bool{event.ToolExecuted: true},
			slices.Repeat([]string{event.ToolExecuted}, len(probe.Variants)+1)},
		{"call.ended, each in a call of its own", map[string]bool{event.CallStarted: true, event.CallEnded: true},
			slices.Repeat([]string{event.CallStarted, event.CallEnded}, len(probe.Variants)+1)},
		{"nothing with text", map[string]bool{event.CallAnswered: true}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rcv := &hmacReceiver{key: []byte("k")}
			srv := httptest.NewServer(rcv)
			t.Cleanup(srv.Close)
			d, err := deliver.New(deliver.WithSigner(deliver.HMAC{Key: []byte("k")}))
			require.NoError(t, err)
			r := probe.NewRunner(probe.Config{Target: srv.URL, Deliverer: d, Seed: 7, Start: bytesStart, Events: tc.events})
			r.Run(context.Background(), map[string]bool{probe.GroupBytes: true})
			var got []string
			calls := map[string]bool{}
			for _, b := range rcv.received() {
				m := decode(t, b).(map[string]any)
				got = append(got, m["eventType"].(string))
				calls[m["callId"].(string)] = true
			}
			assert.Equal(t, tc.want, got)
			assert.Empty(t, r.Findings)
			if tc.want == nil {
				require.Len(t, r.Results, 1)
				assert.Contains(t, r.Results[0].Skipped, "subscribed to none of")
				return
			}
			if tc.events[event.CallEnded] {
				assert.Len(t, calls, len(probe.Variants)+1, "one call per call.ended")
			}
			for name, res := range variantResults(t, r) {
				assert.True(t, res.Passed, name)
				assert.Equal(t, tc.want[len(tc.want)-1], res.Event, name)
			}
		})
	}
}
