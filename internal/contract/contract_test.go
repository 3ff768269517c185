package contract_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hamsasim/hamsasim/internal/contract"
	"github.com/hamsasim/hamsasim/internal/event"
)

const specPath = "../../spec/hamsa-webhooks.yaml"

// shipped loads the shipped contract once; a Contract is safe for concurrent
// use after Load, so parallel tests share it.
var shipped = sync.OnceValues(func() (*contract.Contract, error) {
	data, err := os.ReadFile(specPath)
	if err != nil {
		return nil, err
	}
	return contract.Load(data, "hamsa-webhooks.yaml")
})

func loadShipped(t *testing.T) *contract.Contract {
	t.Helper()
	c, err := shipped()
	require.NoError(t, err)
	return c
}

const ts = "2024-01-15T14:30:00.000Z"

func envelope(eventType, data string) string {
	return `{"eventType":"` + eventType + `","callId":"9b2f4c1e-0000-4000-8000-000000000001","timestamp":"` + ts +
		`","projectId":"proj_1","agentId":"agent_1","agentName":"Sara","data":` + data + `}`
}

// validBodies holds one minimal correct body per event type, written by hand
// from the schema.
var validBodies = map[string]string{
	event.CallStarted: envelope(event.CallStarted, `{"callStartedAt":"`+ts+`","data":{"callDirection":"outbound",`+
		`"fromNumber":"+12025550100","toNumber":"+971501234567",`+
		`"params":{"name":"Ali","age":30,"vip":true,"note":null,"items":"[\"a\",\"b\"]"}}}`),
	event.CallAnswered: envelope(event.CallAnswered, `{"callAnsweredAt":"`+ts+`","data":{"callDirection":"inbound",`+
		`"fromNumber":"+12025550100","toNumber":"+971501234567","ringDuration":4200}}`),
	event.TranscriptionUpdate: envelope(event.TranscriptionUpdate, `{"data":{"speaker":"user","text":"hello","confidence":0.93}}`),
	event.ToolExecuted:        envelope(event.ToolExecuted, `{"data":{"toolName":"lookup_order","input":{"orderId":7},"output":"shipped","duration":120}}`),
	event.CallEnded: envelope(event.CallEnded, `{"timestamp":"`+ts+`","data":{"conversationId":"conv_1",`+
		`"conversationRecording":"https://cdn.example.com/rec/conv_1.mp3","transcription":[{"Agent":"Hello"},{"User":"Hi"}],`+
		`"outcomeResult":{"name":"Ali","rating":null},"callDuration":42,"fromNumber":"+12025550100","toNumber":"+971501234567"}}`),
}

// deleteField as a value in edit removes the field.
type deleteField struct{}

// edit returns body with the field at path (dot-separated, numbers index
// arrays) set to value, or removed when value is deleteField{}.
func edit(t *testing.T, body, path string, value any) []byte {
	t.Helper()
	var root any
	require.NoError(t, json.Unmarshal([]byte(body), &root))
	keys := strings.Split(path, ".")
	cur := root
	for _, k := range keys[:len(keys)-1] {
		switch c := cur.(type) {
		case map[string]any:
			cur = c[k]
		case []any:
			i, err := strconv.Atoi(k)
			require.NoError(t, err)
			cur = c[i]
		default:
			t.Fatalf("edit: %s: cannot descend into %T", path, cur)
		}
	}
	last := keys[len(keys)-1]
	switch c := cur.(type) {
	case map[string]any:
		if _, del := value.(deleteField); del {
			delete(c, last)
		} else {
			c[last] = value
		}
	case []any:
		i, err := strconv.Atoi(last)
		require.NoError(t, err)
		c[i] = value
	default:
		t.Fatalf("edit: %s: cannot set in %T", path, cur)
	}
	out, err := json.Marshal(root)
	require.NoError(t, err)
	return out
}

func fields(vs []contract.Violation) []string {
	var out []string
	for _, v := range vs {
		out = append(out, v.Field)
	}
	return out
}

func TestLoadShipped(t *testing.T) {
	t.Parallel()
	c := loadShipped(t)
	assert.Equal(t, []string{"call.started", "call.answered", "transcription.update", "tool.executed", "call.ended"}, c.EventTypes())
	assert.Equal(t, event.Types, c.EventTypes(), "the contract and package event agree")
	assert.Equal(t, "1.0.0", c.Version)
	assert.Equal(t, "Hamsa voice-agent call webhooks", c.Title)
	assert.Equal(t, "hamsa-webhooks.yaml", c.Source)
	assert.True(t, c.Has(event.CallEnded))
	assert.False(t, c.Has("call.transferred"))

	got := c.EventTypes()
	got[0] = "mutated"
	assert.Equal(t, "call.started", c.EventTypes()[0], "EventTypes returns a copy")
}

func TestValidateEventValid(t *testing.T) {
	t.Parallel()
	c := loadShipped(t)
	tests := []struct {
		name      string
		eventType string
		body      []byte
	}{
		{name: "call.started", eventType: event.CallStarted, body: []byte(validBodies[event.CallStarted])},
		{name: "call.answered", eventType: event.CallAnswered, body: []byte(validBodies[event.CallAnswered])},
		{name: "transcription.update", eventType: event.TranscriptionUpdate, body: []byte(validBodies[event.TranscriptionUpdate])},
		{name: "tool.executed", eventType: event.ToolExecuted, body: []byte(validBodies[event.ToolExecuted])},
		{name: "call.ended", eventType: event.CallEnded, body: []byte(validBodies[event.CallEnded])},
		{name: "call.ended never answered", eventType: event.CallEnded, body: edit(t, validBodies[event.CallEnded], "data.data.conversationRecording", nil)},
		{name: "call.ended wav recording", eventType: event.CallEnded, body: edit(t, validBodies[event.CallEnded], "data.data.conversationRecording", "https://cdn.example.com/a.wav")},
		{name: "agent speaker", eventType: event.TranscriptionUpdate, body: edit(t, validBodies[event.TranscriptionUpdate], "data.data.speaker", "agent")},
		{name: "unknown fields allowed", eventType: event.ToolExecuted, body: edit(t, validBodies[event.ToolExecuted], "data.data.newField", "x")},
		{name: "empty params", eventType: event.CallStarted, body: edit(t, validBodies[event.CallStarted], "data.data.params", map[string]any{})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := c.ValidateEvent(tt.eventType, tt.body)
			assert.Empty(t, got, "body: %s", tt.body)
		})
	}
}

func TestValidateEventInvalid(t *testing.T) {
	t.Parallel()
	c := loadShipped(t)
	tests := []struct {
		name       string
		eventType  string
		path       string // edited field in the valid body
		value      any
		wantField  string
		wantReason string // a substring of the violation's reason
	}{
		{name: "speaker bot", eventType: event.TranscriptionUpdate, path: "data.data.speaker", value: "bot",
			wantField: "$.data.data.speaker", wantReason: "'user', 'agent'"},
		{name: "confidence above 1", eventType: event.TranscriptionUpdate, path: "data.data.confidence", value: 1.5,
			wantField: "$.data.data.confidence", wantReason: "maximum"},
		{name: "timestamp without milliseconds", eventType: event.CallStarted, path: "timestamp", value: "2024-01-15T14:30:00Z",
			wantField: "$.timestamp", wantReason: "does not match pattern"},
		{name: "callStartedAt without milliseconds", eventType: event.CallStarted, path: "data.callStartedAt", value: "2024-01-15T14:30:00Z",
			wantField: "$.data.callStartedAt", wantReason: "does not match pattern"},
		{name: "timestamp not UTC", eventType: event.ToolExecuted, path: "timestamp", value: "2024-01-15T14:30:00.000+04:00",
			wantField: "$.timestamp", wantReason: "does not match pattern"},
		{name: "turn with both Agent and User", eventType: event.CallEnded, path: "data.data.transcription.0", value: map[string]any{"Agent": "a", "User": "b"},
			wantField: "$.data.data.transcription[0]", wantReason: "additional properties"},
		{name: "turn with lowercase key", eventType: event.CallEnded, path: "data.data.transcription.1", value: map[string]any{"user": "b"},
			wantField: "$.data.data.transcription[1]", wantReason: "additional properties 'user' not allowed"},
		{name: "recording over http", eventType: event.CallEnded, path: "data.data.conversationRecording", value: "http://x/a.mp3",
			wantField: "$.data.data.conversationRecording", wantReason: "does not match pattern"},
		{name: "recording not audio", eventType: event.CallEnded, path: "data.data.conversationRecording", value: "https://x/a.txt",
			wantField: "$.data.data.conversationRecording", wantReason: "does not match pattern"},
		{name: "negative ringDuration", eventType: event.CallAnswered, path: "data.data.ringDuration", value: -1,
			wantField: "$.data.data.ringDuration", wantReason: "minimum: got -1, want 0"},
		{name: "fractional ringDuration", eventType: event.CallAnswered, path: "data.data.ringDuration", value: 1.5,
			wantField: "$.data.data.ringDuration", wantReason: "want integer"},
		{name: "missing callId", eventType: event.ToolExecuted, path: "callId", value: deleteField{},
			wantField: "$", wantReason: "missing property 'callId'"},
		{name: "empty callId", eventType: event.ToolExecuted, path: "callId", value: "",
			wantField: "$.callId", wantReason: "minLength"},
		{name: "missing ringDuration", eventType: event.CallAnswered, path: "data.data.ringDuration", value: deleteField{},
			wantField: "$.data.data", wantReason: "missing property 'ringDuration'"},
		{name: "params value is an object", eventType: event.CallStarted, path: "data.data.params.items", value: map[string]any{"a": 1},
			wantField: "$.data.data.params.items", wantReason: "got object"},
		{name: "params value is an array", eventType: event.CallStarted, path: "data.data.params.items", value: []any{"a", "b"},
			wantField: "$.data.data.params.items", wantReason: "got array"},
		{name: "phone number without plus", eventType: event.CallStarted, path: "data.data.fromNumber", value: "12025550100",
			wantField: "$.data.data.fromNumber", wantReason: "does not match pattern"},
		{name: "callDirection unknown", eventType: event.CallAnswered, path: "data.data.callDirection", value: "sideways",
			wantField: "$.data.data.callDirection", wantReason: "'inbound', 'outbound'"},
		{name: "eventType of another webhook", eventType: event.ToolExecuted, path: "eventType", value: event.CallEnded,
			wantField: "$.eventType", wantReason: "tool.executed"},
		{name: "negative callDuration", eventType: event.CallEnded, path: "data.data.callDuration", value: -3,
			wantField: "$.data.data.callDuration", wantReason: "minimum"},
		{name: "missing toolName", eventType: event.ToolExecuted, path: "data.data.toolName", value: deleteField{},
			wantField: "$.data.data", wantReason: "missing property 'toolName'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			body := edit(t, validBodies[tt.eventType], tt.path, tt.value)

			got := c.ValidateEvent(tt.eventType, body)

			require.NotEmpty(t, got, "body: %s", body)
			var match *contract.Violation
			for i := range got {
				if got[i].Field == tt.wantField && strings.Contains(got[i].Reason, tt.wantReason) {
					match = &got[i]
					break
				}
			}
			require.NotNil(t, match, "want a violation on %s with %q, got %q", tt.wantField, tt.wantReason, got)
			assert.Positive(t, match.SpecLine, "the violation names the rule's line")
			for _, v := range got {
				assert.True(t, v.Field == "$" || strings.HasPrefix(tt.wantField, v.Field) || strings.HasPrefix(v.Field, tt.wantField),
					"violation %q is not about the edited field %s", v, tt.wantField)
			}
		})
	}
}

func TestValidateEventNotJSON(t *testing.T) {
	t.Parallel()
	c := loadShipped(t)
	got := c.ValidateEvent(event.CallStarted, []byte(`{"eventType":`))
	require.Len(t, got, 1)
	assert.Empty(t, got[0].Field)
	assert.Contains(t, got[0].Reason, "could not be decoded")
}

// strict loads a contract of the kind a team passes with --spec: the
// guide's recommended answers declared as requirements.
var strict = sync.OnceValues(func() (*contract.Contract, error) {
	data, err := os.ReadFile("testdata/strict-answers.yaml")
	if err != nil {
		return nil, err
	}
	return contract.Load(data, "strict-answers.yaml")
})

// TestShippedAcceptsEveryAcknowledgement: the platform reads only the
// status, so the shipped contract accepts any 2xx and any 4xx, whatever the
// body or content type, and still reports a 5xx or a 3xx as undeclared.
func TestShippedAcceptsEveryAcknowledgement(t *testing.T) {
	t.Parallel()
	c := loadShipped(t)
	body := []byte(validBodies[event.CallEnded])
	for _, tt := range []struct {
		status int
		ct     string
		body   string
	}{
		{200, "application/json", `{"received":true}`},
		{200, "application/json", `{"status":"ok"}`},
		{200, "text/plain", "OK"},
		{201, "", ""},
		{202, "application/json", `{"queued":true}`},
		{204, "", ""},
		{400, "application/json", `{"error":"Invalid payload"}`},
		{401, "", ""},
		{403, "text/html", "<h1>Forbidden</h1>"},
		{422, "application/json", `{"detail":[{"loc":["body","callId"],"msg":"field required"}]}`},
	} {
		h := http.Header{}
		if tt.ct != "" {
			h.Set("Content-Type", tt.ct)
		}
		assert.Empty(t, c.ValidateAnswer(event.CallEnded, body, tt.status, h, []byte(tt.body)), "%d %s %s", tt.status, tt.ct, tt.body)
	}
	for _, status := range []int{500, 503, 302} {
		got := c.ValidateAnswer(event.CallEnded, body, status, http.Header{}, nil)
		if assert.Len(t, got, 1, "%d", status) {
			assert.Contains(t, got[0].Reason, fmt.Sprintf("status %d is not an answer the contract declares (2XX, 4XX)", status))
		}
	}
}

// TestValidateAnswer: a contract that declares answer bodies (--spec) is
// enforced.
func TestValidateAnswer(t *testing.T) {
	t.Parallel()
	c, err := strict()
	require.NoError(t, err)
	jsonHeader := http.Header{"Content-Type": {"application/json"}}
	tests := []struct {
		name       string
		status     int
		header     http.Header
		body       string
		wantFields []string // nil: no violation
		wantReason string
	}{
		{name: "received", status: 200, header: jsonHeader, body: `{"received":true}`},
		{name: "duplicate", status: 200, header: jsonHeader, body: `{"received":true,"duplicate":true}`},
		{name: "warning", status: 200, header: jsonHeader, body: `{"received":true,"warning":"Unknown event type"}`},
		{name: "json with charset", status: 200, header: http.Header{"Content-Type": {"application/json; charset=utf-8"}}, body: `{"received":true}`},
		{name: "unauthorized", status: 401, header: jsonHeader, body: `{"error":"Unauthorized"}`},
		{name: "invalid payload", status: 400, header: jsonHeader, body: `{"error":"Invalid payload"}`},
		{name: "plain text OK", status: 200, header: http.Header{"Content-Type": {"text/plain"}}, body: `OK`,
			wantFields: []string{""}, wantReason: "the 200 answer is text/plain; the contract declares application/json"},
		{name: "received is a string", status: 200, header: jsonHeader, body: `{"received":"yes"}`,
			wantFields: []string{"$.received"}, wantReason: "value must be true"},
		{name: "received false", status: 200, header: jsonHeader, body: `{"received":false}`,
			wantFields: []string{"$.received"}, wantReason: "value must be true"},
		{name: "received missing", status: 200, header: jsonHeader, body: `{"ok":true}`,
			wantFields: []string{"$"}, wantReason: "missing property 'received'"},
		{name: "duplicate not boolean", status: 200, header: jsonHeader, body: `{"received":true,"duplicate":"no"}`,
			wantFields: []string{"$.duplicate"}, wantReason: "want boolean"},
		{name: "500 not declared", status: 500, header: jsonHeader, body: `{"error":"boom"}`,
			wantFields: []string{""}, wantReason: "status 500 is not an answer the contract declares (200, 400, 401)"},
		{name: "401 without error", status: 401, header: jsonHeader, body: `{}`,
			wantFields: []string{"$"}, wantReason: "missing property 'error'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := c.ValidateAnswer(event.CallEnded, []byte(validBodies[event.CallEnded]), tt.status, tt.header, []byte(tt.body))
			assert.Equal(t, tt.wantFields, fields(got), "violations: %q", got)
			if tt.wantReason != "" && len(got) > 0 {
				assert.Contains(t, got[0].Reason, tt.wantReason)
			}
		})
	}
}

func TestValidateAnswerNilHeader(t *testing.T) {
	t.Parallel()
	c, err := strict()
	require.NoError(t, err)
	// No Content-Type at all: not the declared application/json, reported, no panic.
	got := c.ValidateAnswer(event.CallStarted, nil, 200, nil, []byte(`{"received":true}`))
	assert.NotEmpty(t, got)
}

func TestUnknownEventType(t *testing.T) {
	t.Parallel()
	c := loadShipped(t)
	want := []contract.Violation{{Reason: `the contract has no webhook named "call.transferred"`}}

	assert.Equal(t, want, c.ValidateEvent("call.transferred", []byte(`{}`)))
	assert.Equal(t, want, c.ValidateAnswer("call.transferred", nil, 200, http.Header{"Content-Type": {"application/json"}}, []byte(`{"received":true}`)))
	assert.Equal(t, `the contract has no webhook named "call.transferred"`, want[0].String())
}

func TestViolationString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		v    contract.Violation
		want string
	}{
		{name: "field", v: contract.Violation{Field: "$.data.data.speaker", Reason: "bad"}, want: "$.data.data.speaker: bad"},
		{name: "root", v: contract.Violation{Field: "$", Reason: "missing property 'callId'"}, want: "missing property 'callId'"},
		{name: "no field", v: contract.Violation{Reason: "status not declared"}, want: "status not declared"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tt.want, tt.v.String())
		})
	}
}

const docHead = "openapi: 3.1.0\ninfo:\n  title: x\n  version: 1.0.0\n"

func TestLoadInvalid(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		doc      string
		wantLine int // 0: the message names no line
		wantText string
	}{
		{
			name:     "key indented too far",
			doc:      "openapi: 3.1.0\ninfo:\n  title: x\n   version: 1.0.0\n",
			wantLine: 4, wantText: "mapping values are not allowed",
		},
		{
			// libyaml reports the block mapping the bad line broke (line 7,
			// "post:") and the bad line itself (9) as "L7.C5-L9.C6"; like
			// yaml.v3, the first is the line named.
			name:     "key indented too little",
			doc:      docHead + "webhooks:\n  a:\n    post:\n      requestBody:\n     content: {}\n",
			wantLine: 7, wantText: "did not find expected key",
		},
		{
			name: "missing $ref target",
			doc: docHead + "webhooks:\n  call.started:\n    post:\n      requestBody:\n        content:\n          application/json:\n" +
				"            schema:\n              $ref: '#/components/schemas/Nope'\n      responses:\n        '200':\n          description: ok\n",
			wantLine: 12, wantText: "#/components/schemas/Nope",
		},
		{
			name:     "no webhooks",
			doc:      docHead + "paths: {}\n",
			wantText: "no webhooks: section",
		},
		{
			name:     "webhook without post",
			doc:      docHead + "webhooks:\n  call.started:\n    get:\n      responses:\n        '200':\n          description: ok\n",
			wantLine: 6, wantText: `webhook "call.started" has no post operation`,
		},
		{
			name:     "webhook without requestBody",
			doc:      docHead + "webhooks:\n  call.ended:\n    post:\n      responses:\n        '200':\n          description: ok\n",
			wantLine: 6, wantText: `webhook "call.ended" has no requestBody`,
		},
		{
			name:     "info without version",
			doc:      "openapi: 3.1.0\ninfo:\n  title: x\nwebhooks:\n  a:\n    post:\n      requestBody:\n        content: {}\n      responses:\n        '200':\n          description: ok\n",
			wantLine: 2, wantText: "missing property 'version'",
		},
		{
			name:     "empty",
			doc:      "",
			wantText: "empty",
		},
		{
			name:     "swagger 2",
			doc:      "swagger: '2.0'\ninfo:\n  title: x\n  version: 1.0.0\npaths: {}\n",
			wantText: "oas2",
		},
	}
	lineRe := regexp.MustCompile(`spec\.yaml:(\d+):`)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := contract.Load([]byte(tt.doc), "spec.yaml")

			require.Error(t, err)
			assert.Nil(t, c)
			assert.True(t, errors.Is(err, contract.ErrInvalid), "got %v", err)
			msg := err.Error()
			assert.Contains(t, msg, "spec.yaml")
			assert.Contains(t, msg, tt.wantText)
			m := lineRe.FindStringSubmatch(msg)
			if tt.wantLine == 0 {
				assert.Nil(t, m, "no line expected: %s", msg)
				return
			}
			require.NotNil(t, m, "no spec.yaml:N: in %q", msg)
			assert.Equal(t, strconv.Itoa(tt.wantLine), m[1], msg)
		})
	}
}

func TestConcurrentValidation(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile(specPath)
	require.NoError(t, err)
	// A fresh contract, so the goroutines below are its first users after Load.
	c, err := contract.Load(data, "hamsa-webhooks.yaml")
	require.NoError(t, err)

	type check struct {
		eventType string
		body      []byte
		status    int // 0: validate body as an event; otherwise as the answer
	}
	var checks []check
	for _, typ := range event.Types {
		checks = append(checks,
			check{eventType: typ, body: []byte(validBodies[typ])},
			check{eventType: typ, body: edit(t, validBodies[typ], "timestamp", "yesterday")},
			check{eventType: typ, body: []byte(`{"received":true}`), status: 200},
			check{eventType: typ, body: []byte(`{"received":"yes"}`), status: 200},
			check{eventType: typ, body: []byte(`{"error":"Unauthorized"}`), status: 401},
			check{eventType: typ, body: []byte(`{}`), status: 400},
		)
	}
	run := func(k check) []contract.Violation {
		if k.status == 0 {
			return c.ValidateEvent(k.eventType, k.body)
		}
		return c.ValidateAnswer(k.eventType, []byte(validBodies[k.eventType]), k.status, http.Header{"Content-Type": {"application/json"}}, k.body)
	}
	const goroutines, rounds = 16, 3
	results := make([][][]contract.Violation, goroutines)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for g := range goroutines {
		wg.Go(func() {
			got := make([][]contract.Violation, len(checks))
			<-start
			for r := range rounds {
				// Each goroutine walks the checks from a different place,
				// so different schemas are in use at the same moment.
				for i := range checks {
					j := (i + g + r) % len(checks)
					v := run(checks[j])
					if r > 0 {
						if !reflect.DeepEqual(got[j], v) {
							t.Errorf("goroutine %d, check %d: round %d got %q, earlier %q", g, j, r, v, got[j])
						}
						continue
					}
					got[j] = v
				}
			}
			results[g] = got
		})
	}
	close(start)
	wg.Wait()

	want := make([][]contract.Violation, len(checks))
	for i, k := range checks {
		want[i] = run(k)
	}
	for g, got := range results {
		assert.Equal(t, want, got, "goroutine %d", g)
	}
	// Spot-check that the comparison is not between empty results.
	valid, invalid := want[0], want[1]
	assert.Empty(t, valid)
	assert.Equal(t, []string{"$.timestamp"}, uniq(fields(invalid)), fmt.Sprint(invalid))
}

func uniq(s []string) []string {
	var out []string
	for i, v := range s {
		if i == 0 || s[i-1] != v {
			out = append(out, v)
		}
	}
	return out
}

func TestRequestSchema(t *testing.T) {
	t.Parallel()
	c := loadShipped(t)
	for _, typ := range c.EventTypes() {
		sc := c.RequestSchema(typ)
		require.NotNil(t, sc, typ)
		require.NotNil(t, sc.Schema(), typ)
		s := sc.Schema()
		assert.True(t, s.Properties != nil || len(s.AllOf) > 0, "%s: the body's schema declares its fields", typ)
	}
	assert.Nil(t, c.RequestSchema("call.transferred"))
}
