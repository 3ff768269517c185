package capture

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/hamsasim/hamsasim/internal/event"
	"github.com/hamsasim/hamsasim/internal/fixture"
)

// received is one distinct event of a call, as it arrived.
type received struct {
	typ  string
	at   time.Time // the event's timestamp; its arrival when the timestamp does not parse
	body []byte
}

// placeholderPhone stands for a number the captured events did not carry.
const placeholderPhone = "+15550000000"

// decode reads a JSON body keeping numbers exact.
func decode(body []byte) map[string]any {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var m map[string]any
	if dec.Decode(&m) != nil {
		return nil
	}
	return m
}

// dig follows object keys.
func dig(m map[string]any, keys ...string) any {
	var v any = m
	for _, k := range keys {
		o, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = o[k]
	}
	return v
}

func digString(m map[string]any, keys ...string) (string, bool) {
	s, ok := dig(m, keys...).(string)
	return s, ok
}

func digNumber(m map[string]any, keys ...string) (float64, bool) {
	n, ok := dig(m, keys...).(json.Number)
	if !ok {
		return 0, false
	}
	f, err := n.Float64()
	return f, err == nil
}

// plain converts a decoded JSON value into the values a fixture holds:
// int64 for integers that fit, float64 for other numbers.
func plain(v any) any {
	switch x := v.(type) {
	case json.Number:
		if i, err := strconv.ParseInt(x.String(), 10, 64); err == nil {
			return i
		}
		f, _ := x.Float64()
		return f
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, c := range x {
			out[k] = plain(c)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, c := range x {
			out[i] = plain(c)
		}
		return out
	}
	return v
}

// build turns the distinct events of one call into a fixture. The fixture's
// expansion reproduces the events' bodies except for what the format
// derives itself: callId and conversationId (generated from the seed, the
// fixture's name and the instance, so that a fixture replayed many times
// makes distinct calls) and whatever the notes name.
func build(evs []received, incomplete bool, endAfter time.Duration) (*fixture.Fixture, []string) {
	b := newBuilder(evs)
	b.envelope()
	b.caller()
	b.params()
	b.turnsAndTools()
	b.answer()
	b.end(incomplete, endAfter)
	f := b.f
	if !f.Call.Answered {
		f.Call.Ring = 0
	}
	fixTimeline(f, b.note)
	if f.Call.Answered {
		if d, ok := digNumber(b.ended, "data", "data", "callDuration"); ok {
			want := int64((f.End.At - f.Call.Ring).Round(time.Second) / time.Second)
			if int64(d) != want {
				b.note("callDuration %v s differs from the time from answer to hang-up (%d s): the replay sends %d", d, want, want)
			}
		}
	}
	return f, b.notes
}

// builder holds one call's events while build makes its fixture.
type builder struct {
	evs                      []received       // in time order
	bodies                   []map[string]any // evs' decoded bodies
	first                    map[string]int   // index of each known type's first event
	started, answered, ended map[string]any   // first body of each; nil when none arrived
	start                    time.Time        // the call's start: call.started's, else the first event's
	f                        *fixture.Fixture
	notes                    []string
}

func newBuilder(evs []received) *builder {
	evs = append([]received(nil), evs...)
	sort.SliceStable(evs, func(i, j int) bool { return evs[i].at.Before(evs[j].at) })
	b := &builder{evs: evs, bodies: make([]map[string]any, len(evs)), first: map[string]int{},
		f: &fixture.Fixture{Params: map[string]any{}, Outcome: map[string]any{}, Call: fixture.Call{Answered: true}}}
	unknown := map[string]int{}
	for i, e := range evs {
		b.bodies[i] = decode(e.body)
		if !event.Known(e.typ) {
			unknown[e.typ]++
			continue
		}
		if _, ok := b.first[e.typ]; !ok {
			b.first[e.typ] = i
		}
	}
	for _, t := range sortedKeys(unknown) {
		b.note("%d %s event(s) not kept: the fixture format has no place for event types it does not know", unknown[t], t)
	}
	b.started, b.answered, b.ended = b.pick(event.CallStarted), b.pick(event.CallAnswered), b.pick(event.CallEnded)
	b.start = evs[0].at
	if i, ok := b.first[event.CallStarted]; ok {
		b.start = evs[i].at
	} else {
		b.note("call.started was not received: the call starts at the first event received")
	}
	return b
}

func (b *builder) note(format string, args ...any) {
	b.notes = append(b.notes, fmt.Sprintf(format, args...))
}

// pick is the first body of type typ, or nil.
func (b *builder) pick(typ string) map[string]any {
	if i, ok := b.first[typ]; ok {
		return b.bodies[i]
	}
	return nil
}

// offset is event i's time since the call's start, never negative.
func (b *builder) offset(i int) time.Duration {
	d := b.evs[i].at.Sub(b.start).Truncate(time.Millisecond)
	if d < 0 {
		return 0
	}
	return d
}

// envelope takes project and agent from the first event that names each.
func (b *builder) envelope() {
	f := b.f
	for _, body := range append([]map[string]any{b.started, b.answered, b.ended}, b.bodies...) {
		if f.Project == "" {
			f.Project, _ = digString(body, "projectId")
		}
		if f.Agent.ID == "" {
			f.Agent.ID, _ = digString(body, "agentId")
		}
		if f.Agent.Name == "" {
			f.Agent.Name, _ = digString(body, "agentName")
		}
	}
	for _, fld := range []struct {
		v    *string
		name string
	}{{&f.Project, "projectId"}, {&f.Agent.ID, "agentId"}, {&f.Agent.Name, "agentName"}} {
		if *fld.v == "" {
			*fld.v = "unknown"
			b.note("%s was empty or missing: the fixture says %q", fld.name, "unknown")
		}
	}
}

// caller takes the direction and numbers from call.started, else from the
// other events that repeat them.
func (b *builder) caller() {
	c := &b.f.Call
	for _, body := range []map[string]any{b.started, b.answered, b.ended} {
		if c.Direction == "" {
			c.Direction, _ = digString(body, "data", "data", "callDirection")
		}
		if c.From == "" {
			c.From, _ = digString(body, "data", "data", "fromNumber")
		}
		if c.To == "" {
			c.To, _ = digString(body, "data", "data", "toNumber")
		}
	}
	if c.Direction != "inbound" && c.Direction != "outbound" {
		b.note("callDirection %q is not inbound or outbound: the fixture says inbound", c.Direction)
		c.Direction = "inbound"
	}
	for _, n := range []*string{&c.From, &c.To} {
		if !validPhone(*n) {
			b.note("a caller number missing or not in E.164 form was replaced by %s", placeholderPhone)
			*n = placeholderPhone
		}
	}
}

// params takes the params as call.started sent them.
func (b *builder) params() {
	p, ok := dig(b.started, "data", "data", "params").(map[string]any)
	if !ok {
		return
	}
	for k, v := range p {
		v = plain(v)
		switch v.(type) {
		case map[string]any, []any:
			j, _ := event.Marshal(v)
			v = string(j)
			b.note("param %q was an array or object: the fixture sends it as a JSON string", k)
		}
		b.f.Params[k] = v
	}
}

// turnsAndTools takes the turns and tools, in time order.
func (b *builder) turnsAndTools() {
	for i, e := range b.evs {
		switch e.typ {
		case event.TranscriptionUpdate:
			b.f.Turns = append(b.f.Turns, b.turn(i))
		case event.ToolExecuted:
			b.f.Tools = append(b.f.Tools, b.tool(i))
		}
	}
}

func (b *builder) turn(i int) fixture.Turn {
	body := b.bodies[i]
	speaker, _ := digString(body, "data", "data", "speaker")
	text, _ := digString(body, "data", "data", "text")
	t := fixture.Turn{At: b.offset(i), Speaker: event.SpeakerAgent, Text: text, Confidence: 1}
	if speaker == event.SpeakerUser {
		t.Speaker, t.Confidence = event.SpeakerUser, 0.92
	} else if speaker != event.SpeakerAgent {
		b.note("speaker %q at +%s is kept as agent", speaker, t.At)
	}
	if c, ok := digNumber(body, "data", "data", "confidence"); ok && c >= 0 && c <= 1 {
		t.Confidence = c
	}
	return t
}

func (b *builder) tool(i int) fixture.Tool {
	body := b.bodies[i]
	name, _ := digString(body, "data", "data", "toolName")
	if name == "" {
		name = "unknown"
		b.note("a tool.executed without toolName at +%s is named %q", b.offset(i), name)
	}
	ms, _ := digNumber(body, "data", "data", "duration")
	if ms < 0 || math.IsNaN(ms) || ms > float64(7*24*time.Hour/time.Millisecond) {
		ms = 0
	}
	return fixture.Tool{
		At: b.offset(i), Name: name,
		Input: plain(dig(body, "data", "data", "input")), Output: plain(dig(body, "data", "data", "output")),
		Duration: time.Duration(ms) * time.Millisecond,
	}
}

// answer sets when the call was answered, or that it was not.
func (b *builder) answer() {
	f := b.f
	if i, ok := b.first[event.CallAnswered]; ok {
		f.Call.Ring = b.offset(i)
		if ms, ok := digNumber(b.answered, "data", "data", "ringDuration"); ok && time.Duration(ms)*time.Millisecond != f.Call.Ring {
			b.note("ringDuration %v ms differs from call.answered's offset (%s): the fixture replays the offset", ms, f.Call.Ring)
		}
	} else if len(f.Turns) > 0 || len(f.Tools) > 0 {
		b.note("call.answered was not received but the call has speech or tools: the replay sends one")
		f.Call.Ring = time.Millisecond
	} else {
		f.Call.Answered = false
	}
}

// end sets the hang-up, recording, outcome and, without updates, the turns
// of call.ended's transcript. Without call.ended the call ends endAfter
// after its last event.
func (b *builder) end(incomplete bool, endAfter time.Duration) {
	f := b.f
	i, ok := b.first[event.CallEnded]
	if !ok {
		last := time.Duration(0)
		for i := range b.evs {
			if d := b.offset(i); d > last {
				last = d
			}
		}
		f.End.At = last + endAfter
		if !incomplete {
			b.note("call.ended was not received")
		}
		return
	}
	f.End.At = b.offset(i)
	if rec, ok := digString(b.ended, "data", "data", "conversationRecording"); ok && rec != "" {
		f.End.Recording = recording(rec, b.note)
	}
	if res, ok := dig(b.ended, "data", "data", "outcomeResult").(map[string]any); ok {
		b.outcome(res)
	}
	if len(f.Turns) == 0 {
		f.Turns = transcriptTurns(dig(b.ended, "data", "data", "transcription"), f.Call.Ring, f.End.At, b.note)
	} else if tr, ok := dig(b.ended, "data", "data", "transcription").([]any); ok && len(tr) != len(f.Turns) {
		b.note("call.ended's transcript has %d turns and %d transcription.update events arrived: the replay's transcript is the updates'", len(tr), len(f.Turns))
	}
}

// outcome keeps the outcome fields that are not params; params are echoed.
func (b *builder) outcome(res map[string]any) {
	for k, v := range res {
		v = plain(v)
		pv, isParam := b.f.Params[k]
		switch {
		case !isParam:
			b.f.Outcome[k] = v
		case !reflect.DeepEqual(pv, v):
			b.note("outcomeResult.%s differs from the param sent in call.started: the replay echoes the param", k)
		}
	}
	for k := range b.f.Params {
		if _, ok := res[k]; !ok {
			b.note("param %q was not echoed in outcomeResult: the replay echoes it", k)
		}
	}
}

// transcriptTurns makes turns from call.ended's transcript when no
// transcription.update arrived: spread evenly between answer and hang-up.
func transcriptTurns(v any, ring, end time.Duration, note func(string, ...any)) []fixture.Turn {
	list, _ := v.([]any)
	var out []fixture.Turn
	for _, item := range list {
		m, _ := item.(map[string]any)
		if s, ok := m["Agent"].(string); ok {
			out = append(out, fixture.Turn{Speaker: event.SpeakerAgent, Text: s, Confidence: 1})
		} else if s, ok := m["User"].(string); ok {
			out = append(out, fixture.Turn{Speaker: event.SpeakerUser, Text: s, Confidence: 0.92})
		}
	}
	if len(out) == 0 {
		return nil
	}
	if len(out) > fixture.MaxTurns {
		out = out[:fixture.MaxTurns]
	}
	step := (end - ring) / time.Duration(len(out)+1)
	step = step.Truncate(time.Millisecond)
	if step < time.Millisecond {
		step = time.Millisecond
	}
	for i := range out {
		out[i].At = ring + time.Duration(i+1)*step
	}
	note("no transcription.update arrived: the %d turns of call.ended's transcript are spread evenly between answer and hang-up", len(out))
	return out
}

// recording keeps a recording URL the fixture format accepts: https, ending
// in .mp3 or .wav. A query (often a signed, secret token) is dropped.
func recording(raw string, note func(string, ...any)) string {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		note("conversationRecording is not an https URL: the replay sends null")
		return ""
	}
	if u.RawQuery != "" || u.Fragment != "" {
		u.RawQuery, u.Fragment, u.RawFragment = "", "", ""
		note("conversationRecording's query was dropped (it may hold an access token)")
	}
	s := u.String()
	low := strings.ToLower(s)
	if !strings.HasSuffix(low, ".mp3") && !strings.HasSuffix(low, ".wav") {
		note("conversationRecording does not end in .mp3 or .wav: the replay sends null")
		return ""
	}
	return s
}

// fixTimeline moves offsets the fixture format would refuse (a turn or tool
// not after the answer, two in the same millisecond, the end not after the
// last event) by the least amount, and says so.
func fixTimeline(f *fixture.Fixture, note func(string, ...any)) {
	moved := 0
	if !f.Call.Answered {
		if len(f.Turns)+len(f.Tools) > 0 {
			f.Turns, f.Tools = nil, nil
		}
	} else if f.Call.Ring <= 0 {
		f.Call.Ring = time.Millisecond
		moved++
	}
	if len(f.Turns) > fixture.MaxTurns {
		note("%d turns beyond the format's %d were dropped", len(f.Turns)-fixture.MaxTurns, fixture.MaxTurns)
		f.Turns = f.Turns[:fixture.MaxTurns]
	}
	prev := f.Call.Ring
	for i := range f.Turns {
		if f.Turns[i].At < prev+time.Millisecond {
			f.Turns[i].At = prev + time.Millisecond
			moved++
		}
		prev = f.Turns[i].At
	}
	last := prev
	prev = f.Call.Ring
	for i := range f.Tools {
		if f.Tools[i].At < prev+time.Millisecond {
			f.Tools[i].At = prev + time.Millisecond
			moved++
		}
		prev = f.Tools[i].At
	}
	if prev > last {
		last = prev
	}
	if last < f.Call.Ring {
		last = f.Call.Ring
	}
	if f.End.At <= last {
		f.End.At = last + time.Millisecond
		moved++
	}
	if moved > 0 {
		note("%d offset(s) moved by the least amount to keep the events in an order the fixture format accepts", moved)
	}
}

func validPhone(s string) bool {
	if len(s) < 8 || len(s) > 16 || s[0] != '+' || s[1] < '1' || s[1] > '9' {
		return false
	}
	return digits(s) == s[1:]
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
