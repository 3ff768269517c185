// Package override changes fields of webhook event bodies: the --set and
// --unset flags of trigger and simulate, and the --param flag that sets a
// fixture's param before it is expanded. A path is dotted field names with
// optional list indexes, e.g. data.data.outcomeResult.application_id or
// data.data.transcription[0].Agent. A value is JSON when it parses as a JSON
// literal (3, true, null, "text", {...}, [...]) and plain text otherwise.
package override

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/hamsasim/hamsasim/internal/event"
)

// Sentinel errors, matched with errors.Is.
var (
	// ErrSyntax is wrapped when a flag's argument is not path=value or a path.
	ErrSyntax = errors.New("invalid override")
	// ErrNoField is wrapped when a path does not lead to a field of a body.
	ErrNoField = errors.New("no such field")
	// ErrBody is wrapped when an event body is not a JSON object.
	ErrBody = errors.New("the event body is not JSON")
)

// Error is one override that cannot be read or applied. Its text starts
// with the flag and the path, then says what is wrong.
type Error struct {
	Flag, Path string
	Msg        string
	Kind       error // ErrSyntax or ErrNoField
}

func (e *Error) Error() string {
	flag := e.Flag
	if flag == "" {
		flag = "field"
	}
	if e.Path == "" {
		return flag + ": " + e.Msg
	}
	return flag + " " + e.Path + ": " + e.Msg
}

// withFlag names the flag in an *Error from this package.
func withFlag(err error, flag string) error {
	var e *Error
	if errors.As(err, &e) {
		e.Flag = flag
	}
	return err
}

// Unwrap makes errors.Is(err, Kind) hold.
func (e *Error) Unwrap() error { return e.Kind }

func syntaxErr(flag, path, format string, args ...any) error {
	return &Error{Flag: flag, Path: path, Msg: fmt.Sprintf(format, args...), Kind: ErrSyntax}
}

// Op is one change: set the field at Path to Value, or remove it (Unset).
type Op struct {
	Flag  string // the flag it came from, for messages: --set, --unset
	Path  string // as given
	Value any    // decoded JSON (numbers as json.Number); unused by Unset
	Unset bool
	path  Path
}

// String shows the op as it was given on the command line.
func (o Op) String() string {
	if o.Unset {
		return o.Flag + " " + o.Path
	}
	v, _ := event.Marshal(o.Value)
	return fmt.Sprintf("%s %s=%s", o.Flag, o.Path, v)
}

// ParseSet reads a --set argument, path=value.
func ParseSet(flag, arg string) (Op, error) {
	path, raw, ok := strings.Cut(arg, "=")
	if !ok {
		return Op{}, syntaxErr(flag, strconv.Quote(arg), "use path=value, e.g. %s data.data.outcomeResult.application_id=A-1", flag)
	}
	p, err := ParsePath(path)
	if err != nil {
		return Op{}, withFlag(err, flag)
	}
	return Op{Flag: flag, Path: path, Value: ParseValue(raw), path: p}, nil
}

// ParseUnset reads an --unset argument, a path.
func ParseUnset(flag, arg string) (Op, error) {
	if strings.Contains(arg, "=") {
		return Op{}, syntaxErr(flag, strconv.Quote(arg), "give only the field's path (to change a value, use --set path=value)")
	}
	p, err := ParsePath(arg)
	if err != nil {
		return Op{}, withFlag(err, flag)
	}
	if p.ListElement() {
		return Op{}, syntaxErr(flag, arg, "a list element cannot be removed, only replaced with --set")
	}
	return Op{Flag: flag, Path: arg, Unset: true, path: p}, nil
}

// ParseValue reads a value: JSON if it parses as one JSON literal (numbers
// kept exactly, as json.Number), otherwise the text itself as a string.
func ParseValue(raw string) any {
	// A literal followed by more ("3 apples") is text, not JSON.
	v, err := parseJSON([]byte(raw))
	if err != nil {
		return raw
	}
	return v
}

// apply changes d in place. The field's parent must exist; an Unset of a
// field that is not there is an error.
func (o Op) apply(d *Doc) error {
	if o.Unset {
		return withFlag(d.Unset(o.path, Refuse), o.Flag)
	}
	return withFlag(d.Set(o.path, o.Value, Refuse), o.Flag)
}

// Applies reports whether o can change body: the field's parent object (or
// list, with the index in range) exists, and for an Unset the field itself.
func (o Op) Applies(body []byte) bool {
	root, err := decode(body)
	if err != nil {
		return false
	}
	return o.apply(root) == nil
}

// Apply returns body with every op applied in order, re-encoded as the
// platform encodes events. The first op that does not fit the body is an
// error that names its flag and path and says what exists at that level.
// With no ops the body is returned unchanged.
func Apply(body []byte, ops []Op) ([]byte, error) {
	if len(ops) == 0 {
		return body, nil
	}
	root, err := decode(body)
	if err != nil {
		return nil, err
	}
	for _, o := range ops {
		if err := o.apply(root); err != nil {
			return nil, err
		}
	}
	return root.Marshal()
}

// Event returns ev with ops applied to its body. The envelope fields ev
// carries outside the body (eventType, callId, timestamp) are read back
// from the new body, so that the duplicate key and the webhook-id derived
// from it describe what is actually sent.
func Event(ev event.Event, ops []Op) (event.Event, error) {
	body, err := Apply(ev.Body, ops)
	if err != nil {
		return ev, err
	}
	return refresh(ev, body), nil
}

// refresh sets ev's body and reads back its envelope. A field changed to
// a non-string, to "" or removed keeps the value it had: the event still
// needs a duplicate key to be told apart.
func refresh(ev event.Event, body []byte) event.Event {
	ev.Body = body
	env, err := event.ParseEnvelope(body)
	if errors.Is(err, event.ErrNotJSON) {
		return ev
	}
	if env.EventType != "" {
		ev.Type = env.EventType
	}
	if env.CallID != "" {
		ev.CallID = env.CallID
	}
	if env.Timestamp != "" {
		ev.Timestamp = env.Timestamp
	}
	return ev
}

// Lifecycle applies each op to every event whose body it fits (see
// Applies), re-encoding only the events that changed. An op that fits no
// event at all is an error wrapping ErrNoField: a typo in a path must not
// pass silently.
func Lifecycle(calls [][]event.Event, ops []Op) error {
	used := make([]bool, len(ops))
	for _, evs := range calls {
		for i := range evs {
			if len(ops) == 0 {
				break
			}
			root, err := decode(evs[i].Body)
			if err != nil {
				return err
			}
			changed := false
			for k, o := range ops {
				if o.apply(root) == nil {
					used[k], changed = true, true
				}
			}
			if !changed {
				continue
			}
			body, err := root.Marshal()
			if err != nil {
				return err
			}
			evs[i] = refresh(evs[i], body)
		}
	}
	for k, o := range ops {
		if !used[k] {
			what := "the field's parent object"
			if o.Unset {
				what = "the field"
			}
			return &Error{Flag: o.Flag, Path: o.Path, Kind: ErrNoField, Msg: "no event of the run has " + what}
		}
	}
	return nil
}

// Param reads a --param argument, key=value, into a param's value: a
// string, int64, float64, bool or nil, as a fixture's params hold. A JSON
// array or object stays text: params carry them as JSON strings.
func Param(flag, arg string) (string, any, error) {
	key, raw, ok := strings.Cut(arg, "=")
	if !ok || strings.TrimSpace(key) == "" {
		return "", nil, syntaxErr(flag, strconv.Quote(arg), "use key=value, e.g. %s application_id=A-1", flag)
	}
	switch v := ParseValue(raw).(type) {
	case json.Number:
		if i, err := v.Int64(); err == nil {
			return key, i, nil
		}
		f, err := v.Float64()
		if err != nil {
			return "", nil, syntaxErr(flag, key, "%s is not a number JSON can carry", raw)
		}
		return key, f, nil
	case string, bool, nil:
		return key, v, nil
	}
	return key, raw, nil
}
