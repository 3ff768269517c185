package event

import (
	"bytes"
	"encoding/json"
	"errors"
)

// Errors of ParseEnvelope, matched with errors.Is. A receiver answers all
// of them 400: a redelivery of the same bytes would fail the same way.
var (
	// ErrNotJSON is wrapped when the body is not one JSON object.
	ErrNotJSON = errors.New("the body is not a JSON object")
	// ErrMissingField is wrapped when eventType, callId or timestamp is
	// absent, null or the empty string.
	ErrMissingField = errors.New("required field missing")
	// ErrFieldType is wrapped when eventType, callId or timestamp is not a
	// string.
	ErrFieldType = errors.New("field is not a string")
)

// FieldError is a required envelope field that is missing or of the wrong
// type. It wraps ErrMissingField or ErrFieldType.
type FieldError struct {
	Field string // eventType, callId or timestamp
	Kind  error
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Kind.Error() }

// Unwrap makes errors.Is(err, Kind) hold.
func (e *FieldError) Unwrap() error { return e.Kind }

// Parsed is an event body's envelope as a receiver reads it: the three
// fields of the duplicate key, the optional project and agent, and the data
// left undecoded.
type Parsed struct {
	EventType string // never empty when ParseEnvelope succeeds
	CallID    string // never empty when ParseEnvelope succeeds
	Timestamp string // as sent, never empty when ParseEnvelope succeeds; not checked against TimeLayout
	ProjectID string // "" when absent or not a string
	AgentID   string // "" when absent or not a string
	Data      json.RawMessage
}

// Key returns the envelope's duplicate key (see DuplicateKey).
func (p Parsed) Key() string { return DuplicateKey(p.CallID, p.EventType, p.Timestamp) }

// ParseEnvelope reads the envelope of an event body, the one rule every
// receiver of hamsasim applies: the body must be a JSON object whose
// eventType, callId and timestamp are non-empty strings (whitespace counts
// as content; the type is not required to be a known one). projectId,
// agentId and data are optional. Field names match as Go's encoding/json
// matches them (exact name preferred, then case-insensitively).
//
// On a field error the returned Parsed still holds every field that was
// read, so that a sender editing a body can keep what is valid. Errors wrap
// ErrNotJSON, or ErrMissingField / ErrFieldType inside a *FieldError naming
// the first bad field in the order eventType, callId, timestamp.
func ParseEnvelope(body []byte) (Parsed, error) {
	var raw struct {
		EventType json.RawMessage `json:"eventType"`
		CallID    json.RawMessage `json:"callId"`
		Timestamp json.RawMessage `json:"timestamp"`
		ProjectID json.RawMessage `json:"projectId"`
		AgentID   json.RawMessage `json:"agentId"`
		Data      json.RawMessage `json:"data"`
	}
	if t := bytes.TrimLeft(body, " \t\r\n"); len(t) == 0 || t[0] != '{' {
		return Parsed{}, ErrNotJSON
	}
	if err := json.Unmarshal(body, &raw); err != nil {
		return Parsed{}, ErrNotJSON
	}
	p := Parsed{Data: raw.Data}
	p.ProjectID, _ = str(raw.ProjectID)
	p.AgentID, _ = str(raw.AgentID)
	var first error
	for _, f := range []struct {
		name string
		raw  json.RawMessage
		dst  *string
	}{
		{"eventType", raw.EventType, &p.EventType},
		{"callId", raw.CallID, &p.CallID},
		{"timestamp", raw.Timestamp, &p.Timestamp},
	} {
		s, err := str(f.raw)
		*f.dst = s
		if err != nil && first == nil {
			first = &FieldError{Field: f.name, Kind: err}
		}
	}
	return p, first
}

// str decodes a raw JSON value that must be a non-empty string.
func str(raw json.RawMessage) (string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return "", ErrMissingField
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return "", ErrFieldType
	}
	if s == "" {
		return "", ErrMissingField
	}
	return s, nil
}
