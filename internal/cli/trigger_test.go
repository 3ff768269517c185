package cli

import (
	"encoding/json"
	"io"
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

	"github.com/hamsasim/hamsasim/internal/deliver"
	"github.com/hamsasim/hamsasim/internal/event"
	"github.com/hamsasim/hamsasim/internal/sign"
)

// sent is one request a recording target received.
type sent struct {
	header http.Header
	body   []byte
}

// recorder is a webhook target that keeps every request and answers with
// status and body.
type recorder struct {
	mu   sync.Mutex
	reqs []sent
}

func (r *recorder) all() []sent {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]sent(nil), r.reqs...)
}

func (r *recorder) byType(t *testing.T, typ string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, s := range r.all() {
		var m map[string]any
		require.NoError(t, json.Unmarshal(s.body, &m))
		if m["eventType"] == typ {
			out = append(out, m)
		}
	}
	return out
}

// recordingTarget serves a recorder; answer writes each answer.
func recordingTarget(t *testing.T, answer func(w http.ResponseWriter, r *http.Request)) (string, *recorder) {
	t.Helper()
	rec := &recorder{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			t.Errorf("reading the body: %v", err)
		}
		rec.mu.Lock()
		rec.reqs = append(rec.reqs, sent{r.Header.Clone(), b})
		rec.mu.Unlock()
		answer(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/webhook", rec
}

func received(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	io.WriteString(w, `{"received":true}`)
}

var fixedRun = []string{"--seed", "1", "--start", "2025-03-01T09:00:00Z"}

func triggerArgs(target string, args ...string) []string {
	out := append([]string{"trigger"}, args...)
	if target != "" {
		out = append(out, "--target", target)
	}
	return append(out, fixedRun...)
}

func field(t *testing.T, m map[string]any, keys ...string) any {
	t.Helper()
	var v any = m
	for _, k := range keys {
		o, ok := v.(map[string]any)
		require.True(t, ok, "%s is not an object", k)
		v = o[k]
	}
	return v
}

// TestTriggerGolden pins trigger's output for an acknowledged event with
// overrides, and checks the target got exactly what was printed.
func TestTriggerGolden(t *testing.T) {
	t.Parallel()
	target, rec := recordingTarget(t, received)
	r := runCLI(t, map[string]string{"WEBHOOK_SECRET": testSecret}, triggerArgs(target, "call.ended", "--fixture", "support-resolved",
		"--set", "data.data.outcomeResult.ticket_id=T-1", "--set", "data.data.outcomeResult.seats=30", "--unset", "data.data.outcomeResult.vip")...)
	require.Equal(t, ExitPassed, r.code, r.stderr+r.stdout)
	golden(t, "trigger/acknowledged.txt", normalise(r.stdout, target))

	reqs := rec.all()
	require.Len(t, reqs, 1)
	assert.Equal(t, testSecret, reqs[0].header.Get("Authorization"), "the secret is sent whole")
	assert.NotContains(t, r.stdout+r.stderr, "CANARY", "and never printed")
	assert.Contains(t, r.stdout, "Authorization: $WEBHOOK_SECRET")
	var body map[string]any
	require.NoError(t, json.Unmarshal(reqs[0].body, &body))
	outcome := field(t, body, "data", "data", "outcomeResult").(map[string]any)
	assert.Equal(t, "T-1", outcome["ticket_id"])
	assert.Equal(t, 30.0, outcome["seats"], "a JSON value is sent as JSON")
	assert.NotContains(t, outcome, "vip")
	assert.Equal(t, true, outcome["resolved"], "other fields are unchanged")
}

// TestTriggerRejectedGolden: an override that breaks the contract is sent
// with a warning, and a 400 answer fails the run.
func TestTriggerRejectedGolden(t *testing.T) {
	t.Parallel()
	target, rec := recordingTarget(t, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, `{"error":"Invalid payload"}`)
	})
	r := runCLI(t, map[string]string{"WEBHOOK_SECRET": testSecret}, triggerArgs(target, "call.started", "--fixture", "no-answer", "--unset", "callId")...)
	require.Equal(t, ExitFindings, r.code, r.stderr)
	golden(t, "trigger/rejected.txt", normalise(r.stdout, target))
	assert.Contains(t, r.stdout, "warning  the request breaks the contract (sent anyway)")
	require.Len(t, rec.all(), 1, "sent despite the warning")
	assert.NotContains(t, string(rec.all()[0].body), "callId")
}

func TestTriggerEmbedded(t *testing.T) {
	t.Parallel()
	r := runCLI(t, nil, "trigger", "call.started")
	assert.Equal(t, ExitPassed, r.code, r.stderr+r.stdout)
	assert.Contains(t, r.stdout, "call.started #1 of fixture ends-early (+0s) to the embedded reference receiver")
	assert.Contains(t, r.stdout, "status: 200 OK")
	assert.Contains(t, r.stdout, "PASSED: call.started acknowledged with 200")
}

// TestTriggerSecretCanary: a target that echoes the Authorization header
// does not make trigger print it.
func TestTriggerSecretCanary(t *testing.T) {
	t.Parallel()
	target, _ := recordingTarget(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"received": true, "auth": r.Header.Get("Authorization")})
	})
	r := runCLI(t, map[string]string{"MY_SECRET": testSecret}, triggerArgs(target, "call.started", "--secret-env", "MY_SECRET", "--auth", "bearer",
		"--set", "data.data.params.token="+testSecret)...)
	assert.NotContains(t, r.stdout+r.stderr, "CANARY")
	assert.Contains(t, r.stdout, "[REDACTED]")
	assert.Contains(t, r.stdout, "Authorization: $MY_SECRET")
}

func TestTriggerIndex(t *testing.T) {
	t.Parallel()
	target, rec := recordingTarget(t, received)
	r := runCLI(t, nil, triggerArgs(target, "transcription.update", "--fixture", "support-resolved", "--index", "3")...)
	require.Equal(t, ExitPassed, r.code, r.stderr)
	got := rec.byType(t, event.TranscriptionUpdate)
	require.Len(t, got, 1)
	assert.Contains(t, field(t, got[0], "data", "data", "text"), "confirm the email address", "the third turn")
	assert.Contains(t, r.stdout, "transcription.update #3 of fixture support-resolved (+19.5s)")
}

// TestTriggerEventsSkip: an event the endpoint is not subscribed to is not sent.
func TestTriggerEventsSkip(t *testing.T) {
	t.Parallel()
	target, rec := recordingTarget(t, received)
	r := runCLI(t, nil, triggerArgs(target, "call.ended", "--events", "call.started,call.answered")...)
	assert.Equal(t, ExitPassed, r.code, r.stderr)
	assert.Equal(t, "not sent: the endpoint is subscribed to call.started, call.answered (--events), not to call.ended\n", r.stdout)
	assert.Empty(t, rec.all())

	r = runCLI(t, nil, triggerArgs(target, "call.ended", "--events", "call.ended")...)
	assert.Equal(t, ExitPassed, r.code, r.stderr)
	assert.Len(t, rec.all(), 1, "a subscribed event is sent")
}

func TestTriggerBadInput(t *testing.T) {
	t.Parallel()
	target, rec := recordingTarget(t, received)
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"no event", []string{}, "trigger needs one EVENT, one of: call.started, call.answered, transcription.update, tool.executed, call.ended"},
		{"unknown event", []string{"call.ende"}, `EVENT: "call.ende" is not an event type; did you mean call.ended? (valid: call.started, call.answered, transcription.update, tool.executed, call.ended)`},
		{"unknown subscription", []string{"call.ended", "--events", "call.start"}, `--events: "call.start" is not an event type; did you mean call.started?`},
		{"unknown fixture", []string{"call.ended", "--fixture", "nope"}, `--fixture "nope": no such fixture (known: ends-early, job-interview, long-hour, no-answer, sales-outbound-tools, support-multilingual, support-resolved, support-urgent-unresolved)`},
		{"fixture without the event", []string{"call.answered", "--fixture", "no-answer"}, "--fixture no-answer produces no call.answered event (it produces: call.started, call.ended)"},
		{"index 0", []string{"tool.executed", "--index", "0"}, "--index 0: events are counted from 1"},
		{"index past the end", []string{"tool.executed", "--fixture", "support-resolved", "--index", "3"}, "--index 3: fixture support-resolved has 2 tool.executed events (use 1 to 2)"},
		{"set syntax", []string{"call.ended", "--set", "data.data.x"}, `--set "data.data.x": use path=value, e.g. --set data.data.outcomeResult.application_id=A-1`},
		{"set missing parent", []string{"call.ended", "--fixture", "no-answer", "--set", "data.data.outcome.x=1"},
			`--set data.data.outcome.x: data.data has no field "outcome" (fields there: callDuration, conversationId, conversationRecording, fromNumber, outcomeResult, toNumber, transcription)`},
		{"unset missing", []string{"call.started", "--unset", "data.data.params.nope"}, `--unset data.data.params.nope: data.data.params has no field "nope" (fields there: `},
		{"index into an object", []string{"call.started", "--set", "data.data[0]=1"}, `--set data.data[0]: data.data is an object, not a list (fields there: callDirection, fromNumber, params, toNumber)`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			r := runCLI(t, nil, triggerArgs(target, c.args...)...)
			assert.Equal(t, ExitUsage, r.code, r.stdout)
			assert.Contains(t, r.stderr, c.want)
		})
	}
	assert.Empty(t, rec.all(), "bad input sends nothing")
}

// TestTriggerNoAnswer: a target that does not answer fails the run.
func TestTriggerNoAnswer(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.NotFoundHandler())
	target := srv.URL + "/webhook"
	srv.Close()
	r := runCLI(t, nil, triggerArgs(target, "call.started")...)
	assert.Equal(t, ExitFindings, r.code)
	assert.Contains(t, r.stdout, "none: could not connect (connection refused)")
	assert.Contains(t, r.stdout, "FAILED: call.started not acknowledged (could not connect (connection refused))")
}

// TestSimulateOverrides: --set changes every event that has the field,
// --param is sent in call.started and echoed in call.ended, and the
// signature matches the body as sent.
func TestSimulateOverrides(t *testing.T) {
	t.Parallel()
	target, rec := recordingTarget(t, received)
	vars := map[string]string{"WEBHOOK_SIGNING_SECRET": sign.FormatSecret(testKey)}
	r := runCLI(t, vars, "simulate", "--target", target, "--fixtures", shipped("support-resolved"), "--probes", "lifecycle",
		"--auth", "hmac", "--set", "data.data.speaker=bot", "--set", "data.data.outcomeResult.intent=refund",
		"--param", "ticket_id=T-9", "--param", "priority=3", "--param", "resolved=false", "--seed", "1")
	require.Equal(t, ExitPassed, r.code, r.stdout+r.stderr)

	turns := rec.byType(t, event.TranscriptionUpdate)
	require.Len(t, turns, 14)
	for _, m := range turns {
		assert.Equal(t, "bot", field(t, m, "data", "data", "speaker"))
	}
	// A field is set wherever its parent object exists (data.data is in
	// every event); missing parents are never created.
	for _, typ := range []string{event.CallStarted, event.CallAnswered, event.ToolExecuted} {
		for _, m := range rec.byType(t, typ) {
			details := field(t, m, "data", "data").(map[string]any)
			assert.Equal(t, "bot", details["speaker"], typ)
			assert.NotContains(t, details, "outcomeResult", "%s gets no outcomeResult", typ)
		}
	}
	started := rec.byType(t, event.CallStarted)
	require.Len(t, started, 1)
	params := field(t, started[0], "data", "data", "params").(map[string]any)
	assert.Equal(t, "T-9", params["ticket_id"])
	assert.Equal(t, 3.0, params["priority"])
	assert.Equal(t, false, params["resolved"])
	assert.Equal(t, "cus_8f41a2d0", params["customer_id"], "the fixture's other params stay")
	ended := rec.byType(t, event.CallEnded)
	require.Len(t, ended, 1)
	outcome := field(t, ended[0], "data", "data", "outcomeResult").(map[string]any)
	assert.Equal(t, "T-9", outcome["ticket_id"], "the param is echoed")
	assert.Equal(t, 3.0, outcome["priority"])
	assert.Equal(t, false, outcome["resolved"], "a param replaces the outcome field of its name")
	assert.Equal(t, "refund", outcome["intent"], "--set applies after the echo")

	for _, s := range rec.all() {
		assert.NoError(t, sign.Verify(s.header, testKey, s.body, time.Now()), "the signature covers the body sent")
		var env event.Envelope
		require.NoError(t, json.Unmarshal(s.body, &env))
		assert.Equal(t, deliver.MessageID(event.DuplicateKey(env.CallID, env.EventType, env.Timestamp)), s.header.Get(sign.HeaderID),
			"the webhook-id follows the duplicate key of the body sent")
	}
}

func TestSimulateOverrideNoMatch(t *testing.T) {
	t.Parallel()
	target, rec := recordingTarget(t, received)
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"set", []string{"--set", "data.data.nope.x=1"}, "--set data.data.nope.x: no event of the run has the field's parent object"},
		{"unset", []string{"--unset", "data.data.nope"}, "--unset data.data.nope: no event of the run has the field"},
		{"param", []string{"--param", "x"}, `--param "x": use key=value, e.g. --param application_id=A-1`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			args := append([]string{"simulate", "--target", target, "--fixtures", shipped("no-answer")}, c.args...)
			r := runCLI(t, nil, args...)
			assert.Equal(t, ExitUsage, r.code, r.stdout)
			assert.Contains(t, r.stderr, c.want)
		})
	}
	assert.Empty(t, rec.all(), "nothing is sent")
}

// TestFixturesNew: the scaffold is valid, replays, and is not overwritten
// by accident.
func TestFixturesNew(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "calls")
	file := filepath.Join(dir, "refund-request.yaml")
	r := runCLI(t, nil, "fixtures", "new", "refund-request", "--out", dir)
	require.Equal(t, ExitPassed, r.code, r.stderr)
	assert.Contains(t, r.stdout, "wrote "+file+": refund-request, 6 events")
	data := readFile(t, file)
	assert.Contains(t, data, "name: refund-request")
	assert.NotContains(t, data, "yaml-language-server", "no schema outside a checkout")

	r = runCLI(t, nil, "fixtures", "validate", file)
	assert.Equal(t, ExitPassed, r.code, r.stderr)
	target, rec := recordingTarget(t, received)
	r = runCLI(t, nil, "simulate", "--target", target, "--fixtures", file, "--probes", "lifecycle")
	assert.Equal(t, ExitPassed, r.code, r.stdout+r.stderr)
	assert.Len(t, rec.all(), 6)

	require.NoError(t, os.WriteFile(file, []byte("mine"), 0o644))
	r = runCLI(t, nil, "fixtures", "new", "refund-request", "--out", dir)
	assert.Equal(t, ExitUsage, r.code)
	assert.Contains(t, r.stderr, file+" already exists; choose another NAME or --out, or overwrite it with --force")
	assert.Equal(t, "mine", readFile(t, file))
	r = runCLI(t, nil, "fixtures", "new", "refund-request", "--out", dir, "--force")
	assert.Equal(t, ExitPassed, r.code, r.stderr)
	assert.Contains(t, readFile(t, file), "name: refund-request")
}

func TestFixturesNewInCheckout(t *testing.T) {
	t.Parallel()
	// testdata is inside the checkout: the scaffold points editors at the schema.
	dir := filepath.Join("testdata", "trigger", "tmp-"+strings.ReplaceAll(t.Name(), "/", "-"))
	t.Cleanup(func() { os.RemoveAll(dir) })
	r := runCLI(t, nil, "fixtures", "new", "schema-ref", "--out", dir)
	require.Equal(t, ExitPassed, r.code, r.stderr)
	assert.True(t, strings.HasPrefix(readFile(t, filepath.Join(dir, "schema-ref.yaml")),
		"# yaml-language-server: $schema=../../../../../spec/fixture.schema.json\n"))
}

func TestFixturesNewBadInput(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"bad name", []string{"Job Interview"}, `fixtures new "Job Interview": "Job Interview" is not a valid name: use lowercase letters, digits and dashes, starting with a letter`},
		{"path in the name", []string{"../x"}, `fixtures new "../x": "../x" is not a valid name`},
		{"no name", []string{}, "fixtures new needs one NAME"},
		{"unknown subcommand", nil, `unknown command "neww" for "hamsasim fixtures" (valid: new, validate)`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			args := append([]string{"fixtures", "new"}, c.args...)
			if c.args == nil {
				args = []string{"fixtures", "neww"}
			} else {
				args = append(args, "--out", dir)
			}
			r := runCLI(t, nil, args...)
			assert.Equal(t, ExitUsage, r.code)
			assert.Contains(t, r.stderr, c.want)
		})
	}
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Empty(t, entries, "nothing written")
}
