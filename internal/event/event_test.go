package event_test

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/hamsasim/hamsasim/internal/event"
)

func TestParseEnvelope(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		body      string
		want      event.Parsed
		wantErr   error
		wantField string // the FieldError's field, when wantErr is a field error
	}{
		{
			name: "whole envelope",
			body: `{"eventType":"call.started","callId":"c-1","timestamp":"2025-03-01T09:00:00.000Z","projectId":"p","agentId":"a","data":{"x":1}}`,
			want: event.Parsed{EventType: "call.started", CallID: "c-1", Timestamp: "2025-03-01T09:00:00.000Z", ProjectID: "p", AgentID: "a", Data: json.RawMessage(`{"x":1}`)},
		},
		{
			name: "unknown type and no data are accepted",
			body: ` {"eventType":"call.transferred","callId":"c","timestamp":"t"}`,
			want: event.Parsed{EventType: "call.transferred", CallID: "c", Timestamp: "t"},
		},
		{
			name: "unicode and escapes",
			body: `{"eventType":"call.ended","callId":"appel-\u00e9t\u00e9-📞","timestamp":"٢٠٢٥"}`,
			want: event.Parsed{EventType: "call.ended", CallID: "appel-été-📞", Timestamp: "٢٠٢٥"},
		},
		{
			name: "whitespace is content",
			body: `{"eventType":" ","callId":"\t","timestamp":" t "}`,
			want: event.Parsed{EventType: " ", CallID: "\t", Timestamp: " t "},
		},
		{
			name: "optional fields of the wrong type are left empty",
			body: `{"eventType":"e","callId":"c","timestamp":"t","projectId":7,"agentId":null}`,
			want: event.Parsed{EventType: "e", CallID: "c", Timestamp: "t"},
		},
		{name: "empty body", body: ``, wantErr: event.ErrNotJSON},
		{name: "not JSON", body: `eventType=call.started`, wantErr: event.ErrNotJSON},
		{name: "cut off", body: `{"eventType":"call.started","callId":"c`, wantErr: event.ErrNotJSON},
		{name: "a list", body: `[{"eventType":"e","callId":"c","timestamp":"t"}]`, wantErr: event.ErrNotJSON},
		{name: "null", body: `null`, wantErr: event.ErrNotJSON},
		{name: "a string", body: `"x"`, wantErr: event.ErrNotJSON},
		{
			name: "eventType missing", body: `{"callId":"c","timestamp":"t"}`,
			want:    event.Parsed{CallID: "c", Timestamp: "t"},
			wantErr: event.ErrMissingField, wantField: "eventType",
		},
		{
			name: "callId null", body: `{"eventType":"e","callId":null,"timestamp":"t"}`,
			want:    event.Parsed{EventType: "e", Timestamp: "t"},
			wantErr: event.ErrMissingField, wantField: "callId",
		},
		{
			name: "timestamp empty", body: `{"eventType":"e","callId":"c","timestamp":""}`,
			want:    event.Parsed{EventType: "e", CallID: "c"},
			wantErr: event.ErrMissingField, wantField: "timestamp",
		},
		{
			name: "callId a number", body: `{"eventType":"e","callId":42,"timestamp":"t"}`,
			want:    event.Parsed{EventType: "e", Timestamp: "t"},
			wantErr: event.ErrFieldType, wantField: "callId",
		},
		{
			name: "eventType an object", body: `{"eventType":{"v":"e"},"callId":"c","timestamp":"t"}`,
			want:    event.Parsed{CallID: "c", Timestamp: "t"},
			wantErr: event.ErrFieldType, wantField: "eventType",
		},
		{
			name: "the first bad field is named", body: `{"eventType":"e","callId":true}`,
			want:    event.Parsed{EventType: "e"},
			wantErr: event.ErrFieldType, wantField: "callId",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := event.ParseEnvelope([]byte(tt.body))
			if tt.wantErr == nil {
				assert.NoError(t, err)
			} else {
				assert.ErrorIs(t, err, tt.wantErr)
			}
			var fe *event.FieldError
			if tt.wantField != "" && assert.True(t, errors.As(err, &fe), "a FieldError") {
				assert.Equal(t, tt.wantField, fe.Field)
			}
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestParsedKeyIsDuplicateKey(t *testing.T) {
	t.Parallel()
	p, err := event.ParseEnvelope([]byte(`{"eventType":"call.ended","callId":"c-9","timestamp":"2025-03-01T09:00:00.000Z"}`))
	assert.NoError(t, err)
	assert.Equal(t, event.DuplicateKey("c-9", "call.ended", "2025-03-01T09:00:00.000Z"), p.Key())
	ev := event.Event{Type: "call.ended", CallID: "c-9", Timestamp: "2025-03-01T09:00:00.000Z"}
	assert.Equal(t, ev.Key(), p.Key(), "a sender and a receiver agree on the key")
}

func TestDuplicateKey(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name            string
		callID, typ, ts string
		want            string
		differentFrom   [3]string // a key that must differ
	}{
		{name: "fields in order", callID: "c-1", typ: "call.started", ts: "2025-03-01T09:00:00.000Z",
			want: "c-1|call.started|2025-03-01T09:00:00.000Z", differentFrom: [3]string{"c-1", "call.started", "2025-03-01T09:00:00.001Z"}},
		{name: "unicode kept", callID: "été", typ: "call.ended", ts: "t",
			want: "été|call.ended|t", differentFrom: [3]string{"ete", "call.ended", "t"}},
		{name: "empty fields", want: "||", differentFrom: [3]string{"", "", " "}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := event.DuplicateKey(tt.callID, tt.typ, tt.ts)
			assert.Equal(t, tt.want, got)
			assert.NotEqual(t, got, event.DuplicateKey(tt.differentFrom[0], tt.differentFrom[1], tt.differentFrom[2]))
		})
	}
}

func TestFormatTime(t *testing.T) {
	t.Parallel()
	paris := time.FixedZone("CET", 3600)
	tests := []struct {
		name string
		in   time.Time
		want string
	}{
		{"UTC with milliseconds", time.Date(2025, 3, 1, 9, 0, 0, 123_000_000, time.UTC), "2025-03-01T09:00:00.123Z"},
		{"zero milliseconds are written", time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC), "2025-03-01T09:00:00.000Z"},
		{"sub-millisecond truncated", time.Date(2025, 3, 1, 9, 0, 0, 999_999_999, time.UTC), "2025-03-01T09:00:00.999Z"},
		{"another zone converted to UTC", time.Date(2025, 3, 1, 10, 0, 0, 0, paris), "2025-03-01T09:00:00.000Z"},
		{"across midnight", time.Date(2025, 1, 1, 0, 30, 0, 0, paris), "2024-12-31T23:30:00.000Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := event.FormatTime(tt.in)
			assert.Equal(t, tt.want, got)
			back, err := time.Parse(event.TimeLayout, got)
			assert.NoError(t, err)
			assert.True(t, back.Equal(tt.in.Truncate(time.Millisecond)), "parses back to the same instant")
		})
	}
}

func TestKnown(t *testing.T) {
	t.Parallel()
	tests := []struct {
		typ  string
		want bool
	}{
		{event.CallStarted, true},
		{event.CallEnded, true},
		{"tool.executed", true},
		{"call.transferred", false},
		{"Call.Started", false},
		{"", false},
	}
	for _, tt := range tests {
		t.Run(tt.typ, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tt.want, event.Known(tt.typ))
		})
	}
}

func TestMarshal(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   any
		want string
	}{
		{"no HTML escaping", map[string]string{"t": "<a&b>"}, `{"t":"<a&b>"}`},
		{"no trailing newline", []int{1}, `[1]`},
		{"non-ASCII kept", "été", `"été"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := event.Marshal(tt.in)
			assert.NoError(t, err)
			assert.Equal(t, tt.want, string(got))
		})
	}
}
