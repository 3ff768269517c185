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
	evs = append([]received(nil), evs...)
	sort.SliceStable(evs, func(i, j int) bool { return evs[i].at.Before(evs[j].at) })
	var notes []string
	note := func(format string, args ...any) { notes = append(notes, fmt.Sprintf(format, args...)) }

	bodies := make([]map[string]any, len(evs))
	first := map[string]int{}
	unknown := map[string]int{}
	for i, e := range evs {
		bodies[i] = decode(e.body)
		if !event.Known(e.typ) {
			unknown[e.typ]++
			continue
		}
		if _, ok := first[e.typ]; !ok {
			first[e.typ] = i
		}
	}
	for _, t := range sortedKeys(unknown) {
		note("%d %s event(s) not kept: the fixture format has no place for event types it does not know", unknown[t], t)
	}
	pick := func(typ string) map[string]any {
		if i, ok := first[typ]; ok {
			return bodies[i]
		}
		return nil
	}
	started, answered, ended := pick(event.CallStarted), pick(event.CallAnswered), pick(event.CallEnded)

	start := evs[0].at
	if i, ok := first[event.CallStarted]; ok {
		start = evs[i].at
	} else {
		note("call.started was not received: the call starts at the first event received")
	}
	offset := func(i int) time.Duration {
		d := evs[i].at.Sub(start).Truncate(time.Millisecond)
		if d < 0 {
			return 0
		}
		return d
	}

	f := &fixture.Fixture{Params: map[string]any{}, Outcome: map[string]any{}, Call: fixture.Call{Answered: true}}
	// The envelope: the first event that names each field.
	for _, b := range append([]map[string]any{started, answered, ended}, bodies...) {
		if f.Project == "" {
			f.Project, _ = digString(b, "projectId")
		}
		if f.Agent.ID == "" {
			f.Agent.ID, _ = digString(b, "agentId")
		}
		if f.Agent.Name == "" {
			f.Agent.Name, _ = digString(b, "agentName")
		}
	}
	for _, fld := range []struct {
		v    *string
		name string
	}{{&f.Project, "projectId"}, {&f.Agent.ID, "agentId"}, {&f.Agent.Name, "agentName"}} {
		if *fld.v == "" {
			*fld.v = "unknown"
			note("%s was empty or missing: the fixture says %q", fld.name, "unknown")
		}
	}

	// The caller: call.started, else the other events that repeat it.
	for _, b := range []map[string]any{started, answered, ended} {
		if f.Call.Direction == "" {
			f.Call.Direction, _ = digString(b, "data", "data", "callDirection")
		}
		if f.Call.From == "" {
			f.Call.From, _ = digString(b, "data", "data", "fromNumber")
		}
		if f.Call.To == "" {
			f.Call.To, _ = digString(b, "data", "data", "toNumber")
		}
	}
	if f.Call.Direction != "inbound" && f.Call.Direction != "outbound" {
		note("callDirection %q is not inbound or outbound: the fixture says inbound", f.Call.Direction)
		f.Call.Direction = "inbound"
	}
	for _, n := range []*string{&f.Call.From, &f.Call.To} {
		if !validPhone(*n) {
			note("a caller number missing or not in E.164 form was replaced by %s", placeholderPhone)
			*n = placeholderPhone
		}
	}

	// Params, as call.started sent them.
	if p, ok := dig(started, "data", "data", "params").(map[string]any); ok {
		for k, v := range p {
			v = plain(v)
			switch v.(type) {
			case map[string]any, []any:
				b, _ := event.Marshal(v)
				v = string(b)
				note("param %q was an array or object: the fixture sends it as a JSON string", k)
			}
			f.Params[k] = v
		}
	}

	// Turns and tools, in time order.
	for i, e := range evs {
		b := bodies[i]
		switch e.typ {
		case event.TranscriptionUpdate:
			speaker, _ := digString(b, "data", "data", "speaker")
			text, _ := digString(b, "data", "data", "text")
			t := fixture.Turn{At: offset(i), Speaker: event.SpeakerAgent, Text: text, Confidence: 1}
			if speaker == event.SpeakerUser {
				t.Speaker, t.Confidence = event.SpeakerUser, 0.92
			} else if speaker != event.SpeakerAgent {
				note("speaker %q at +%s is kept as agent", speaker, t.At)
			}
			if c, ok := digNumber(b, "data", "data", "confidence"); ok && c >= 0 && c <= 1 {
				t.Confidence = c
			}
			f.Turns = append(f.Turns, t)
		case event.ToolExecuted:
			name, _ := digString(b, "data", "data", "toolName")
			if name == "" {
				name = "unknown"
				note("a tool.executed without toolName at +%s is named %q", offset(i), name)
			}
			ms, _ := digNumber(b, "data", "data", "duration")
			if ms < 0 || math.IsNaN(ms) || ms > float64(7*24*time.Hour/time.Millisecond) {
				ms = 0
			}
			f.Tools = append(f.Tools, fixture.Tool{
				At: offset(i), Name: name,
				Input: plain(dig(b, "data", "data", "input")), Output: plain(dig(b, "data", "data", "output")),
				Duration: time.Duration(ms) * time.Millisecond,
			})
		}
	}

	// The answer.
	last := time.Duration(0)
	for i := range evs {
		if d := offset(i); d > last && evs[i].typ != event.CallEnded {
			last = d
		}
	}
	if i, ok := first[event.CallAnswered]; ok {
		f.Call.Ring = offset(i)
		if ms, ok := digNumber(answered, "data", "data", "ringDuration"); ok && time.Duration(ms)*time.Millisecond != f.Call.Ring {
			note("ringDuration %v ms differs from call.answered's offset (%s): the fixture replays the offset", ms, f.Call.Ring)
		}
	} else if len(f.Turns) > 0 || len(f.Tools) > 0 {
		note("call.answered was not received but the call has speech or tools: the replay sends one")
		f.Call.Ring = time.Millisecond
	} else {
		f.Call.Answered = false
	}

	// The end.
	if i, ok := first[event.CallEnded]; ok {
		f.End.At = offset(i)
		if rec, ok := digString(ended, "data", "data", "conversationRecording"); ok && rec != "" {
			f.End.Recording = recording(rec, note)
		}
		if res, ok := dig(ended, "data", "data", "outcomeResult").(map[string]any); ok {
			for k, v := range res {
				v = plain(v)
				pv, isParam := f.Params[k]
				switch {
				case !isParam:
					f.Outcome[k] = v
				case !reflect.DeepEqual(pv, v):
					note("outcomeResult.%s differs from the param sent in call.started: the replay echoes the param", k)
				}
			}
			for k := range f.Params {
				if _, ok := res[k]; !ok {
					note("param %q was not echoed in outcomeResult: the replay echoes it", k)
				}
			}
		}
		if len(f.Turns) == 0 {
			f.Turns = transcriptTurns(dig(ended, "data", "data", "transcription"), f.Call.Ring, f.End.At, note)
		} else if tr, ok := dig(ended, "data", "data", "transcription").([]any); ok && len(tr) != len(f.Turns) {
			note("call.ended's transcript has %d turns and %d transcription.update events arrived: the replay's transcript is the updates'", len(tr), len(f.Turns))
		}
	} else {
		f.End.At = last + endAfter
		if !incomplete {
			note("call.ended was not received")
		}
	}
	if !f.Call.Answered {
		f.Call.Ring = 0
	}
	fixTimeline(f, note)
	if f.Call.Answered {
		if d, ok := digNumber(ended, "data", "data", "callDuration"); ok {
			want := int64((f.End.At - f.Call.Ring).Round(time.Second) / time.Second)
			if int64(d) != want {
				note("callDuration %v s differs from the time from answer to hang-up (%d s): the replay sends %d", d, want, want)
			}
		}
	}
	return f, notes
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
