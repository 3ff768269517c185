package override

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// pathExample is what every path error shows as the valid form.
const pathExample = "data.data.outcomeResult.application_id or data.data.transcription[0].Agent"

// maxPathSteps bounds how deep a path may reach.
const maxPathSteps = 64

// Path is a field path: dotted field names, each with optional list
// indexes, e.g. data.data.outcomeResult.application_id or
// data.data.transcription[0].Agent. It is the one path grammar of hamsasim:
// the --set, --unset flags and the Gherkin steps that edit or read a body
// all parse paths with ParsePath.
type Path struct {
	text  string
	steps []step
}

type step struct {
	key   string
	index int // -1: a key of an object
}

func (s step) String() string {
	if s.index >= 0 {
		return fmt.Sprintf("[%d]", s.index)
	}
	return s.key
}

var segment = regexp.MustCompile(`^([^.\[\]]+)((?:\[\d+\])*)$`)
var index = regexp.MustCompile(`\d+`)

// ParsePath reads a field path. A field name is any text without '.', '['
// or ']'; an index is a decimal number that fits an int. A path is at most
// 64 steps (names and indexes) deep. Errors are *Error wrapping ErrSyntax,
// without a flag (callers that have one set Error.Flag).
func ParsePath(text string) (Path, error) {
	if strings.TrimSpace(text) == "" {
		return Path{}, &Error{Msg: "an empty field path (use a path like " + pathExample + ")", Kind: ErrSyntax}
	}
	bad := func(format string, args ...any) (Path, error) {
		return Path{}, &Error{Path: text, Msg: fmt.Sprintf(format, args...), Kind: ErrSyntax}
	}
	var out []step
	for _, part := range strings.Split(text, ".") {
		m := segment.FindStringSubmatch(part)
		if m == nil {
			return bad("not a field path like %s", pathExample)
		}
		out = append(out, step{key: m[1], index: -1})
		for _, idx := range index.FindAllString(m[2], -1) {
			n, err := strconv.Atoi(idx)
			if err != nil {
				return bad("index %s is too large", idx)
			}
			out = append(out, step{index: n})
		}
	}
	if len(out) > maxPathSteps {
		return bad("at most %d levels deep", maxPathSteps)
	}
	return Path{text: text, steps: out}, nil
}

// String is the path as given.
func (p Path) String() string { return p.text }

// last is the path's final step.
func (p Path) last() step { return p.steps[len(p.steps)-1] }

// ListElement reports whether the path ends at a list element.
func (p Path) ListElement() bool { return len(p.steps) > 0 && p.last().index >= 0 }

// prefix is the path up to (not including) step i, for messages.
func (p Path) prefix(i int) string {
	var b strings.Builder
	for _, s := range p.steps[:i] {
		if s.index < 0 && b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(s.String())
	}
	if b.Len() == 0 {
		return "the event"
	}
	return b.String()
}

func (p Path) missing(i int, c *object) error {
	return &Error{Path: p.text, Kind: ErrNoField,
		Msg: fmt.Sprintf("%s has no field %q (fields there: %s)", p.prefix(i), p.steps[i].key, keys(c))}
}

func (p Path) noField(i int, what, fields string) error {
	if fields != "" {
		what += " (fields there: " + fields + ")"
	}
	return &Error{Path: p.text, Kind: ErrNoField, Msg: p.prefix(i) + " " + what}
}

// fits checks that step i can be taken in cur: an object for a name, a list
// long enough for an index.
func (p Path) fits(cur any, i int) error {
	s := p.steps[i]
	switch c := cur.(type) {
	case *object:
		if s.index >= 0 {
			return p.noField(i, "is an object, not a list", keys(c))
		}
	case []any:
		if s.index < 0 {
			return p.noField(i, fmt.Sprintf("is a list of %d, not an object", len(c)), "")
		}
		if s.index >= len(c) {
			return p.noField(i, fmt.Sprintf("is a list of %d; valid indexes are 0 to %d", len(c), len(c)-1), "")
		}
	default:
		return p.noField(i, "is "+kind(cur)+", which has no fields", "")
	}
	return nil
}

// child takes step i from cur. absent is true (with a nil error) when cur
// is an object without the step's field.
func (p Path) child(cur any, i int) (next any, absent bool, err error) {
	if err := p.fits(cur, i); err != nil {
		return nil, false, err
	}
	s := p.steps[i]
	if c, ok := cur.(*object); ok {
		v, ok := c.get(s.key)
		return v, !ok, nil
	}
	return cur.([]any)[s.index], false, nil
}

func keys(o *object) string {
	if len(o.keys) == 0 {
		return "none"
	}
	ks := append([]string(nil), o.keys...)
	sort.Strings(ks)
	return strings.Join(ks, ", ")
}

func kind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "a boolean"
	}
	return "a value"
}
