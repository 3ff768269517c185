package probe

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/hamsasim/hamsasim/internal/event"
	"github.com/hamsasim/hamsasim/internal/fixture"
)

// builder makes probe events that look like the template fixture's calls,
// each probe call with ids of its own (derived from the seed).
type builder struct {
	f     *fixture.Fixture
	seed  uint64
	start time.Time
}

func (b builder) ids(name string, i int) fixture.IDs { return fixture.NewIDs(b.seed, "probe-"+name, i) }

func (b builder) tpl() *fixture.Fixture {
	if b.f != nil {
		return b.f
	}
	return &fixture.Fixture{
		Name: "probe", Project: "proj_probe", Agent: fixture.Agent{ID: "agent_probe", Name: "Probe Agent"},
		Call:   fixture.Call{Direction: "inbound", From: "+14155550100", To: "+14155550199", Answered: true, Ring: 2 * time.Second},
		Params: map[string]any{}, Outcome: map[string]any{},
	}
}

// event wraps data in the envelope of probe call (name, i) at offset at.
func (b builder) event(typ, name string, i int, at time.Duration, data any) event.Event {
	f := b.tpl()
	ids := b.ids(name, i)
	ts := event.FormatTime(b.start.Add(at))
	body, err := event.Marshal(event.Envelope{
		EventType: typ, CallID: ids.CallID, Timestamp: ts,
		ProjectID: f.Project, AgentID: f.Agent.ID, AgentName: f.Agent.Name, Data: data,
	})
	if err != nil {
		panic(fmt.Sprintf("probe: encoding %s: %v", typ, err)) // only values built here: cannot fail
	}
	return event.Event{Type: typ, CallID: ids.CallID, Timestamp: ts, Offset: at, Fixture: f.Name, Body: body}
}

func (b builder) started() event.CallStartedData {
	f := b.tpl()
	return event.CallStartedData{CallStartedAt: event.FormatTime(b.start), Data: event.CallStartedDetails{
		CallDirection: f.Call.Direction, FromNumber: f.Call.From, ToNumber: f.Call.To, Params: f.Params,
	}}
}

func (b builder) answered(at time.Duration) event.CallAnsweredData {
	f := b.tpl()
	return event.CallAnsweredData{CallAnsweredAt: event.FormatTime(b.start.Add(at)), Data: event.CallAnsweredDetails{
		CallDirection: f.Call.Direction, FromNumber: f.Call.From, ToNumber: f.Call.To, RingDuration: at.Milliseconds(),
	}}
}

func (b builder) turn(speaker, text string) event.TranscriptionData {
	conf := 1.0
	if speaker == event.SpeakerUser {
		conf = 0.9
	}
	return event.TranscriptionData{Data: event.TranscriptionDetails{Speaker: speaker, Text: text, Confidence: conf}}
}

func (b builder) ended(turns []event.TranscriptTurn, at time.Duration) event.CallEndedData {
	f := b.tpl()
	if turns == nil {
		turns = []event.TranscriptTurn{}
	}
	rec := "https://recordings.hamsa.example/probe.mp3"
	return event.CallEndedData{Timestamp: event.FormatTime(b.start.Add(at)), Data: event.CallEndedDetail{
		ConversationID: "conv-probe", ConversationRecording: &rec, Transcription: turns,
		OutcomeResult: f.OutcomeResult(), CallDuration: int64(at / time.Second), FromNumber: f.Call.From, ToNumber: f.Call.To,
	}}
}

// transcript builds turns of natural length until their text reaches size bytes.
func (b builder) transcript(size int) []event.TranscriptTurn { return Transcript(size) }

// Transcript returns call.ended transcript turns of natural speech, agent
// and user in turn, whose text adds up to about size bytes.
func Transcript(size int) []event.TranscriptTurn {
	agent := []string{
		"Thanks for holding. I have your file open now and I can see the policy started in March, with the contents cover added in June.",
		"Let me read back what I have so far, and please stop me if anything is wrong or missing from what you told me earlier.",
		"That is useful. For the next item I need the approximate purchase date and, if you still have it, the receipt or a bank statement.",
	}
	user := []string{
		"Yes, that's right. The water came through the ceiling on the Tuesday night and by the morning the floor in the back room was soaked.",
		"I think it was about two years ago, maybe a little more. I paid by card, so it should be on the statement for that month.",
		"I have photos of all of it from the next morning, before we moved anything, and the plumber gave us a written report as well.",
	}
	var out []event.TranscriptTurn
	n := 0
	for i := 0; n < size; i++ {
		var t event.TranscriptTurn
		if i%2 == 0 {
			t = event.TranscriptTurn{"Agent": agent[(i/2)%len(agent)]}
		} else {
			t = event.TranscriptTurn{"User": user[(i/2)%len(user)]}
		}
		for _, v := range t {
			n += len(v) + 12
		}
		out = append(out, t)
	}
	return out
}

// withoutField returns body with one top-level field removed.
func withoutField(body []byte, field string) []byte {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil {
		return body
	}
	delete(m, field)
	out, err := event.Marshal(m)
	if err != nil {
		return body
	}
	return out
}
