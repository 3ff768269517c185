// Package event holds the shapes of the webhook events the Hamsa platform
// sends, the duplicate key receivers use to recognise a redelivery, and the
// time format of every timestamp in them. Nothing else in hamsasim defines
// these; the fixture expander fills them and everything downstream reads them.
package event

import (
	"bytes"
	"encoding/json"
	"net/http"
	"time"
)

// The event types of a call's lifecycle, in the order they occur.
const (
	CallStarted         = "call.started"
	CallAnswered        = "call.answered"
	TranscriptionUpdate = "transcription.update"
	ToolExecuted        = "tool.executed"
	CallEnded           = "call.ended"
)

// Types lists the known event types in lifecycle order.
var Types = []string{CallStarted, CallAnswered, TranscriptionUpdate, ToolExecuted, CallEnded}

// TypeIndex is the position of t in Types, or len(Types) for a type the
// platform does not document.
func TypeIndex(t string) int {
	for i, k := range Types {
		if k == t {
			return i
		}
	}
	return len(Types)
}

// Known reports whether t is one of the five documented event types.
func Known(t string) bool {
	for _, k := range Types {
		if k == t {
			return true
		}
	}
	return false
}

// TimeLayout is the platform's timestamp format: ISO 8601, UTC, milliseconds.
const TimeLayout = "2006-01-02T15:04:05.000Z"

// FormatTime renders t in TimeLayout, in UTC.
func FormatTime(t time.Time) string { return t.UTC().Format(TimeLayout) }

// DuplicateKey is the platform's idempotency key for one event: callId,
// eventType and the event's timestamp, which is identical on every
// redelivery of the same event. Receivers store it to recognise duplicates.
func DuplicateKey(callID, eventType, timestamp string) string {
	return callID + "|" + eventType + "|" + timestamp
}

// Event is one webhook delivery's content: the JSON body and what hamsasim
// needs to know about it without parsing the body again.
type Event struct {
	Type      string        // eventType
	CallID    string        // callId
	Timestamp string        // timestamp, in TimeLayout
	Offset    time.Duration // time since the call started
	Seq       int           // position in the call's lifecycle, from 0
	Fixture   string        // name of the fixture it was generated from
	Body      []byte        // the JSON body, as sent
}

// Key returns the event's duplicate key.
func (e Event) Key() string { return DuplicateKey(e.CallID, e.Type, e.Timestamp) }

// Envelope is the structure every event shares.
type Envelope struct {
	EventType string `json:"eventType"`
	CallID    string `json:"callId"`
	Timestamp string `json:"timestamp"`
	ProjectID string `json:"projectId"`
	AgentID   string `json:"agentId"`
	AgentName string `json:"agentName"`
	Data      any    `json:"data"`
}

// CallStartedData is the data of call.started.
type CallStartedData struct {
	CallStartedAt string             `json:"callStartedAt"`
	Data          CallStartedDetails `json:"data"`
}

// CallStartedDetails holds the caller and the customer's params.
type CallStartedDetails struct {
	CallDirection string         `json:"callDirection"`
	FromNumber    string         `json:"fromNumber"`
	ToNumber      string         `json:"toNumber"`
	Params        map[string]any `json:"params"`
}

// CallAnsweredData is the data of call.answered.
type CallAnsweredData struct {
	CallAnsweredAt string              `json:"callAnsweredAt"`
	Data           CallAnsweredDetails `json:"data"`
}

// CallAnsweredDetails holds the connection details.
type CallAnsweredDetails struct {
	CallDirection string `json:"callDirection"`
	FromNumber    string `json:"fromNumber"`
	ToNumber      string `json:"toNumber"`
	RingDuration  int64  `json:"ringDuration"` // milliseconds
}

// TranscriptionData is the data of transcription.update.
type TranscriptionData struct {
	Data TranscriptionDetails `json:"data"`
}

// Speakers as transcription.update names them.
const (
	SpeakerUser  = "user"
	SpeakerAgent = "agent"
)

// TranscriptionDetails is one turn of speech.
type TranscriptionDetails struct {
	Speaker    string  `json:"speaker"`
	Text       string  `json:"text"`
	Confidence float64 `json:"confidence"`
}

// ToolExecutedData is the data of tool.executed.
type ToolExecutedData struct {
	Data ToolDetails `json:"data"`
}

// ToolDetails describes one tool run.
type ToolDetails struct {
	ToolName string `json:"toolName"`
	Input    any    `json:"input"`
	Output   any    `json:"output"`
	Duration int64  `json:"duration"` // milliseconds
}

// CallEndedData is the data of call.ended: the complete record of the call.
type CallEndedData struct {
	Timestamp string          `json:"timestamp"`
	Data      CallEndedDetail `json:"data"`
}

// CallEndedDetail holds the transcript, recording and outcome.
type CallEndedDetail struct {
	ConversationID        string           `json:"conversationId"`
	ConversationRecording *string          `json:"conversationRecording"` // null when never answered
	Transcription         []TranscriptTurn `json:"transcription"`
	OutcomeResult         map[string]any   `json:"outcomeResult"`
	CallDuration          int64            `json:"callDuration"` // whole seconds, answer to hang-up
	FromNumber            string           `json:"fromNumber"`
	ToNumber              string           `json:"toNumber"`
}

// TranscriptTurn is one element of call.ended's transcription: an object
// with the single key "Agent" or "User".
type TranscriptTurn map[string]string

// Marshal encodes v as the platform does: compact JSON without HTML escaping.
func Marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

// Answer is the body a receiver answers an event with, as the contract
// describes it: received (or a duplicate of an event already received),
// with a warning, or an error.
type Answer struct {
	Received  bool   `json:"received,omitempty"`
	Duplicate bool   `json:"duplicate,omitempty"`
	Warning   string `json:"warning,omitempty"`
	Error     string `json:"error,omitempty"`
}

// WriteJSON writes v as a JSON answer with the given status; if v cannot be
// encoded, it answers 500 with a JSON error instead.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	body, err := Marshal(v)
	if err != nil {
		status, body = http.StatusInternalServerError, []byte(`{"error":"Internal server error"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
