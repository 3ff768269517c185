package load

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/hamsasim/hamsasim/internal/deliver"
	"github.com/hamsasim/hamsasim/internal/event"
)

// DeadLetter is one delivery the platform gave up on: its retries ran out,
// or the receiver refused it with an answer the platform does not retry.
// dead-letters.jsonl holds one per line, with the event's body as it was
// sent, so `hamsasim redeliver` can send it again unchanged (same
// timestamp, so the receiver can recognise a delivery it did record).
type DeadLetter struct {
	CallID     string          `json:"callId"`
	EventType  string          `json:"eventType"`
	Timestamp  string          `json:"timestamp"`
	Fixture    string          `json:"fixture,omitempty"`
	Duplicate  bool            `json:"duplicate,omitempty"`
	Attempts   int             `json:"attempts"`
	Status     int             `json:"status,omitempty"`     // the last answer's status; 0 if none came
	ErrorClass string          `json:"errorClass,omitempty"` // why no answer came, if none did
	Error      string          `json:"error,omitempty"`
	FailedAt   time.Time       `json:"failedAt"`
	Body       json.RawMessage `json:"body"`
}

// ErrDeadLetter is wrapped by every problem in a dead-letters file.
var ErrDeadLetter = errors.New("invalid dead letter")

// Event is the dead letter as an event to deliver again.
func (d DeadLetter) Event() event.Event {
	return event.Event{Type: d.EventType, CallID: d.CallID, Timestamp: d.Timestamp, Fixture: d.Fixture, Body: []byte(d.Body)}
}

// ReadDeadLetters reads a dead-letters.jsonl. Blank lines are skipped; any
// other line must be one dead letter, or the error names its line.
func ReadDeadLetters(r io.Reader, source string) ([]DeadLetter, error) {
	var out []DeadLetter
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 64<<20)
	for n := 1; sc.Scan(); n++ {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		var d DeadLetter
		dec := json.NewDecoder(bytes.NewReader(line))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&d); err != nil {
			return nil, fmt.Errorf("%w: %s:%d: not a dead letter: %v", ErrDeadLetter, source, n, err)
		}
		switch {
		case d.CallID == "" || d.EventType == "" || d.Timestamp == "":
			return nil, fmt.Errorf("%w: %s:%d: callId, eventType and timestamp are required", ErrDeadLetter, source, n)
		case len(d.Body) == 0 || !json.Valid(d.Body) || d.Body[0] != '{':
			return nil, fmt.Errorf("%w: %s:%d: body must be the event's JSON object", ErrDeadLetter, source, n)
		}
		out = append(out, d)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrDeadLetter, source, err)
	}
	return out, nil
}

// deadLetters writes dead letters as JSON lines, buffered for one run.
type deadLetters struct {
	bw  *bufio.Writer
	err error
}

func newDeadLetters(w io.Writer) *deadLetters {
	if w == nil {
		return nil
	}
	return &deadLetters{bw: bufio.NewWriterSize(w, 64<<10)}
}

func (d *deadLetters) add(f *flight, a deliver.Attempt, scrub func(string) string) {
	if d == nil || d.err != nil {
		return
	}
	et := &f.c.tpl.events[f.ev]
	dl := DeadLetter{
		CallID: f.c.ids.CallID, EventType: et.typ, Timestamp: f.ts, Fixture: f.c.tpl.fixture.Name,
		Duplicate: f.duplicate, Attempts: f.attempt, Status: a.Status, ErrorClass: string(a.Class),
		Error: scrub(a.Err), FailedAt: time.Now().UTC(), Body: f.body,
	}
	line, err := json.Marshal(dl)
	if err == nil {
		line = append(line, '\n')
		_, err = d.bw.Write(line)
	}
	if err != nil {
		d.err = err
	}
}

func (d *deadLetters) flush() error {
	if d == nil {
		return nil
	}
	if err := d.bw.Flush(); err != nil && d.err == nil {
		d.err = err
	}
	return d.err
}
