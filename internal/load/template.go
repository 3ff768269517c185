package load

import (
	"bytes"
	"fmt"
	"time"

	"github.com/hamsasim/hamsasim/internal/event"
	"github.com/hamsasim/hamsasim/internal/fixture"
)

// A callTemplate is one fixture expanded once, with the parts that differ from
// call to call (call id, conversation id, each event's timestamp) marked, so
// a call's event bodies are spliced when they are sent instead of being held
// for the whole call. It keeps memory proportional to calls in flight, not
// to their events: a call is a few hundred bytes until its next event goes.
type callTemplate struct {
	fixture *fixture.Fixture
	events  []eventTemplate
	// spliced is false when the fixture's own text happens to contain a
	// marked value; such calls are expanded whole when they start.
	spliced bool
}

type eventTemplate struct {
	typ     string
	typIdx  int
	idx     int           // position in the fixture's full expansion
	offset  time.Duration // from the call's start, as in the fixture
	parts   [][]byte      // literal text between slots; len(parts) == len(slots)+1
	slots   []slot
	bodyLen int // length of the body once spliced (ids and timestamps are fixed width)
}

type slot uint8

const (
	slotCallID slot = iota
	slotConversationID
	slotTimestamp
)

// Two expansions with different ids and starts: the first is cut into
// parts, the second proves the cut right.
var (
	templateStartA = time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)
	templateStartB = time.Date(2002, 3, 4, 5, 6, 7, 0, time.UTC)
)

// newTemplate expands f and marks its variable parts. It fails only if the
// fixture cannot be expanded at all.
func newTemplate(f *fixture.Fixture) (*callTemplate, error) {
	a, err := f.Expand(fixture.Options{Seed: 1, Instance: 0, Start: templateStartA})
	if err != nil {
		return nil, err
	}
	b, err := f.Expand(fixture.Options{Seed: 2, Instance: 1, Start: templateStartB})
	if err != nil {
		return nil, err
	}
	if len(a) != len(b) {
		return nil, fmt.Errorf("%s: expansion is not stable (%d then %d events)", f.Source, len(a), len(b))
	}
	idsA := fixture.NewIDs(1, f.Name, 0)
	idsB := fixture.NewIDs(2, f.Name, 1)
	t := &callTemplate{fixture: f, spliced: true, events: make([]eventTemplate, len(a))}
	for i, ev := range a {
		et := cut(ev.Body, map[slot][]byte{
			slotCallID:         []byte(idsA.CallID),
			slotConversationID: []byte(idsA.ConversationID),
			slotTimestamp:      []byte(ev.Timestamp),
		})
		et.typ, et.typIdx, et.offset, et.idx = ev.Type, event.TypeIndex(ev.Type), ev.Offset, i
		got := et.render(nil, idsB, b[i].Timestamp)
		if !bytes.Equal(got, b[i].Body) {
			t.spliced = false
		}
		t.events[i] = et
	}
	if !t.spliced {
		// Keep types and offsets; bodies come from a full expansion.
		for i := range t.events {
			t.events[i].parts, t.events[i].slots = nil, nil
		}
	}
	return t, nil
}

// cut splits body at every occurrence of the marked values.
func cut(body []byte, marks map[slot][]byte) eventTemplate {
	var et eventTemplate
	rest := body
	for {
		at, which := -1, slot(0)
		for s, v := range marks {
			if i := bytes.Index(rest, v); i >= 0 && (at < 0 || i < at) {
				at, which = i, s
			}
		}
		if at < 0 {
			break
		}
		et.parts = append(et.parts, rest[:at])
		et.slots = append(et.slots, which)
		rest = rest[at+len(marks[which]):]
	}
	et.parts = append(et.parts, rest)
	et.bodyLen = len(body)
	return et
}

// render appends the event's body for a call with ids and the event's
// timestamp to dst.
func (et *eventTemplate) render(dst []byte, ids fixture.IDs, ts string) []byte {
	if dst == nil {
		dst = make([]byte, 0, et.bodyLen)
	}
	for i, p := range et.parts {
		dst = append(dst, p...)
		if i < len(et.slots) {
			switch et.slots[i] {
			case slotCallID:
				dst = append(dst, ids.CallID...)
			case slotConversationID:
				dst = append(dst, ids.ConversationID...)
			case slotTimestamp:
				dst = append(dst, ts...)
			}
		}
	}
	return dst
}

// only keeps the events of the subscribed types, in order; nil keeps all.
// An endpoint subscribed to a subset of event types receives only those.
func (t *callTemplate) only(types map[string]bool) *callTemplate {
	if types == nil {
		return t
	}
	out := *t
	out.events = nil
	for _, et := range t.events {
		if types[et.typ] {
			out.events = append(out.events, et)
		}
	}
	return &out
}
