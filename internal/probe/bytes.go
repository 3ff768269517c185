package probe

// The bytes group: events whose bytes differ from the usual serialisation
// only where JSON does not care. The platform's serializer may change
// (indentation, \uXXXX escapes, \/, key order) without notice; a receiver
// that verifies the signature over its own re-serialisation of the parsed
// body (JSON.stringify(req.body) in Express) or compares bytes passes today
// only because hamsasim's bytes happen to equal JavaScript's output.
//
// The rewriting below is written by hand over encoding/json's tokens on
// purpose: it is the product. A general-purpose encoder decides escapes,
// spacing and member order for us, and those decisions are exactly what
// each variant must control one at a time while every other byte stays as
// event.Marshal wrote it.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/hamsasim/hamsasim/internal/check"
	"github.com/hamsasim/hamsasim/internal/deliver"
	"github.com/hamsasim/hamsasim/internal/event"
)

// EquivalentText is what the bytes group's events say: Arabic (right to
// left, with a diacritic), slashes, and an emoji outside the Basic
// Multilingual Plane, so that each variant has something to change.
// ("Hello, my order number is 4471/B and the delivery date was 12/06 🙏")
const EquivalentText = "مرحبًا، رقم طلبي 4471/ب وموعد التسليم كان 12/06 🙏"

// Variant is one serialisation of an event that differs from the compact
// form only where JSON does not care: decoding either gives the same value.
type Variant struct {
	Slug    string // the probe name's suffix: payload.equivalent/<Slug>
	Name    string // how findings name it
	Rewrite func(compact []byte) ([]byte, error)
}

// Variants lists the bytes group's variants, in the order they are sent.
var Variants = []Variant{
	{Slug: "pretty", Name: "pretty-printed", Rewrite: Pretty},
	{Slug: "ascii", Name: `non-ASCII escaped as \uXXXX`, Rewrite: EscapeNonASCII},
	{Slug: "slash", Name: `/ escaped as \/`, Rewrite: EscapeSlash},
	{Slug: "reversed", Name: "keys in reverse order", Rewrite: ReverseKeys},
}

// Pretty writes body indented by two spaces, one member or element a line,
// with a space after each colon (JSON.stringify(v, null, 2), json.dumps(v,
// indent=2)). Strings and member order are untouched.
func Pretty(body []byte) ([]byte, error) { return rewrite(body, style{indent: "  "}) }

// EscapeNonASCII writes body compact with every character above U+007F
// escaped as \uXXXX, characters beyond U+FFFF as a UTF-16 surrogate pair
// (Python's json.dumps default, Jackson's ESCAPE_NON_ASCII).
func EscapeNonASCII(body []byte) ([]byte, error) { return rewrite(body, style{ascii: true}) }

// EscapeSlash writes body compact with every / in a string escaped as \/
// (PHP's json_encode default, some Java and Ruby encoders).
func EscapeSlash(body []byte) ([]byte, error) { return rewrite(body, style{slash: true}) }

// ReverseKeys writes body compact with the members of every object, the
// envelope and each nested one, in reverse order.
func ReverseKeys(body []byte) ([]byte, error) { return rewrite(body, style{reversed: true}) }

// errTrailing is returned for a body with data after its JSON value.
var errTrailing = errors.New("data after the JSON value")

// rewrite reads body as one JSON value and writes it again in style s.
// With the zero style it writes what event.Marshal writes.
func rewrite(body []byte, s style) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber() // numbers keep their literal text: 49.00 stays 49.00
	v, err := readValue(dec)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errTrailing
	}
	var b bytes.Buffer
	s.write(&b, v, 0)
	return b.Bytes(), nil
}

// value is a JSON value read token by token: object members in the order
// they arrived, numbers as their literal text.
type value struct {
	kind  byte     // '{', '[', '"', or 0 for a literal (number, true, false, null)
	text  string   // the string, or the literal's text
	keys  []string // an object's member names, in order
	elems []value  // an object's member values (parallel to keys) or an array's elements
}

func readValue(dec *json.Decoder) (value, error) {
	tok, err := dec.Token()
	if err != nil {
		return value{}, err
	}
	switch t := tok.(type) {
	case json.Delim:
		v := value{kind: byte(t)}
		for dec.More() {
			if t == '{' {
				k, err := dec.Token()
				if err != nil {
					return value{}, err
				}
				key, ok := k.(string)
				if !ok {
					return value{}, fmt.Errorf("object key %v is not a string", k)
				}
				v.keys = append(v.keys, key)
			}
			e, err := readValue(dec)
			if err != nil {
				return value{}, err
			}
			v.elems = append(v.elems, e)
		}
		if _, err := dec.Token(); err != nil { // the closing delimiter
			return value{}, err
		}
		return v, nil
	case string:
		return value{kind: '"', text: t}, nil
	case json.Number:
		return value{text: t.String()}, nil
	case bool:
		if t {
			return value{text: "true"}, nil
		}
		return value{text: "false"}, nil
	case nil:
		return value{text: "null"}, nil
	}
	return value{}, fmt.Errorf("unexpected JSON token %v", tok)
}

// style is how write serialises: each field departs from the compact form
// event.Marshal writes in one way only.
type style struct {
	indent   string // one level of indentation; empty writes compact JSON
	ascii    bool   // escape every non-ASCII character as \uXXXX
	slash    bool   // escape / as \/
	reversed bool   // write object members last to first
}

func (s style) write(b *bytes.Buffer, v value, depth int) {
	switch v.kind {
	case '"':
		s.writeString(b, v.text)
	case '{', '[':
		open, closing := byte('{'), byte('}')
		if v.kind == '[' {
			open, closing = '[', ']'
		}
		b.WriteByte(open)
		for n := range v.elems {
			i := n
			if s.reversed && v.kind == '{' {
				i = len(v.elems) - 1 - n
			}
			if n > 0 {
				b.WriteByte(',')
			}
			s.newline(b, depth+1)
			if v.kind == '{' {
				s.writeString(b, v.keys[i])
				b.WriteByte(':')
				if s.indent != "" {
					b.WriteByte(' ')
				}
			}
			s.write(b, v.elems[i], depth+1)
		}
		if len(v.elems) > 0 {
			s.newline(b, depth)
		}
		b.WriteByte(closing)
	default:
		b.WriteString(v.text)
	}
}

func (s style) newline(b *bytes.Buffer, depth int) {
	if s.indent == "" {
		return
	}
	b.WriteByte('\n')
	for range depth {
		b.WriteString(s.indent)
	}
}

const hexDigits = "0123456789abcdef"

// writeString escapes as encoding/json does with SetEscapeHTML(false) (", \,
// control characters, U+2028 and U+2029; \b \f \n \r \t by their short
// forms), plus what the style asks for.
func (s style) writeString(b *bytes.Buffer, str string) {
	b.WriteByte('"')
	for _, r := range str {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\b':
			b.WriteString(`\b`)
		case r == '\f':
			b.WriteString(`\f`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20, r == '\u2028', r == '\u2029':
			writeEscape(b, r)
		case r == '/' && s.slash:
			b.WriteString(`\/`)
		case r >= utf8.RuneSelf && s.ascii:
			if r1, r2 := utf16.EncodeRune(r); r1 != utf8.RuneError {
				writeEscape(b, r1)
				writeEscape(b, r2)
			} else {
				writeEscape(b, r)
			}
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
}

// writeEscape writes \u and four lowercase hex digits of r (at most U+FFFF).
func writeEscape(b *bytes.Buffer, r rune) {
	b.WriteString(`\u`)
	for shift := 12; shift >= 0; shift -= 4 {
		b.WriteByte(hexDigits[(r>>shift)&0xf])
	}
}

// equivalentTypes are the event types that carry free text, in order of
// preference: the group sends the first one the endpoint is subscribed to.
var equivalentTypes = []string{event.TranscriptionUpdate, event.ToolExecuted, event.CallEnded}

// equivalent sends one event in its compact form (the control), then one
// event in each Variant, each with a timestamp of its own. A variant is
// judged only if the control was acknowledged: a failing control is not
// about bytes.
func (r *Runner) equivalent(ctx context.Context) {
	typ := ""
	for _, t := range equivalentTypes {
		if r.cfg.Events == nil || r.cfg.Events[t] {
			typ = t
			break
		}
	}
	if typ == "" {
		r.Results = append(r.Results, Result{Probe: "payload.equivalent", Check: check.PayloadEquivalent, Passed: true,
			Skipped: "not sent: the endpoint is subscribed to none of transcription.update, tool.executed, call.ended, the events that carry text (--events)"})
		return
	}
	const name = "bytes"
	// call.ended ends a call: each of those goes in a call of its own. The
	// others share one call, opened by call.started like any other.
	call := func(i int) int {
		if typ == event.CallEnded {
			return i
		}
		return 0
	}
	subscribed := func(t string) bool { return r.cfg.Events == nil || r.cfg.Events[t] }
	setup := func(i int) {
		if subscribed(event.CallStarted) {
			r.send(ctx, check.ProbeSpec{Name: "payload.equivalent/setup", Event: r.b.event(event.CallStarted, name, i, 0, r.b.started()), Request: "call.started"}, nil, false, "")
		}
	}
	build := func(i int) event.Event { return r.equivalentEvent(typ, name, call(i), i) }

	setup(0)
	control := build(0)
	a := r.send(ctx, check.ProbeSpec{Name: "payload.equivalent/control", Event: control, Request: typ + " in the compact form"}, nil, false, "")
	if a.Class == deliver.ClassCanceled {
		return
	}
	judge, why := r.judged(typ)
	if judge && !a.OK() {
		judge, why = false, fmt.Sprintf("the control, the same %s in the compact form, %s: a failure that is not about bytes", typ, check.Outcome(a))
	}
	for n, v := range Variants {
		i := n + 1
		if call(i) != 0 {
			setup(i)
		}
		ev := build(i)
		body, err := v.Rewrite(ev.Body)
		if err != nil { // only bodies event.Marshal wrote: cannot happen
			r.Results = append(r.Results, Result{Probe: "payload.equivalent/" + v.Slug, Check: check.PayloadEquivalent, Event: typ, Passed: true,
				Skipped: "not sent: " + err.Error()})
			continue
		}
		ev.Body = body
		r.send(ctx, check.ProbeSpec{Name: "payload.equivalent/" + v.Slug, Check: check.PayloadEquivalent, Want: check.WantAck, Event: ev,
			Request: fmt.Sprintf("%s %s (the compact form was acknowledged)", typ, v.Name)}, nil, judge, why)
		if ctx.Err() != nil {
			return
		}
	}
	if typ != event.CallEnded && subscribed(event.CallEnded) {
		r.equivalentTeardown(ctx, typ, name)
	}
}

// equivalentAt is the offset into the call of the i-th event of the group
// (from 5,000 ms, after call.started), 1.5 s apart, so each has a timestamp
// of its own. An offset, not the platform's budget.
func equivalentAt(i int) time.Duration { return time.Duration(5000+1500*i) * time.Millisecond }

// equivalentEvent is the i-th event of the group, of type typ, in call c,
// carrying EquivalentText.
func (r *Runner) equivalentEvent(typ, name string, c, i int) event.Event {
	var data any
	switch typ {
	case event.ToolExecuted:
		data = event.ToolExecutedData{Data: event.ToolDetails{ToolName: "track_order",
			Input:  map[string]any{"orderId": "4471/ب", "note": EquivalentText},
			Output: map[string]any{"status": "تم الشحن 📦", "trackingUrl": "https://track.hamsa.example/orders/4471"}, Duration: 230}}
	case event.CallEnded:
		data = r.b.ended([]event.TranscriptTurn{{"User": EquivalentText}}, equivalentAt(i))
	default:
		data = r.b.turn(event.SpeakerUser, EquivalentText)
	}
	return r.b.event(typ, name, c, equivalentAt(i), data)
}

// equivalentTeardown ends the group's shared call with a call.ended.
func (r *Runner) equivalentTeardown(ctx context.Context, typ, name string) {
	var turns []event.TranscriptTurn
	if typ == event.TranscriptionUpdate {
		for range len(Variants) + 1 {
			turns = append(turns, event.TranscriptTurn{"User": EquivalentText})
		}
	}
	end := equivalentAt(len(Variants) + 1)
	r.send(ctx, check.ProbeSpec{Name: "payload.equivalent/teardown", Event: r.b.event(event.CallEnded, name, 0, end, r.b.ended(turns, end)), Request: "call.ended"}, nil, false, "")
}
