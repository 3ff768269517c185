package steps

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/hamsasim/hamsasim/internal/event"
)

// A path is dotted field names with optional list indexes:
// data.data.outcomeResult.application_id, data.data.transcription[0].Agent.

var segment = regexp.MustCompile(`^([^.\[\]]+)((?:\[\d+\])*)$`)

type step struct {
	key   string
	index int // -1: a key
}

func parsePath(path string) ([]step, error) {
	if path == "" {
		return nil, fmt.Errorf("empty field path")
	}
	var out []step
	for _, part := range strings.Split(path, ".") {
		m := segment.FindStringSubmatch(part)
		if m == nil {
			return nil, fmt.Errorf("%q is not a field path like data.data.outcomeResult.application_id or data.data.transcription[0].Agent", path)
		}
		out = append(out, step{key: m[1], index: -1})
		for _, idx := range regexp.MustCompile(`\d+`).FindAllString(m[2], -1) {
			n, _ := strconv.Atoi(idx)
			out = append(out, step{index: n})
		}
	}
	return out, nil
}

func decode(body []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return v, nil
}

// lookup finds path in a JSON body.
func lookup(body []byte, path string) (any, bool, error) {
	steps, err := parsePath(path)
	if err != nil {
		return nil, false, err
	}
	v, err := decode(body)
	if err != nil {
		return nil, false, fmt.Errorf("the answer is not JSON: %s", strings.TrimSpace(string(body)))
	}
	for _, s := range steps {
		switch {
		case s.index < 0:
			m, ok := v.(map[string]any)
			if !ok {
				return nil, false, nil
			}
			if v, ok = m[s.key]; !ok {
				return nil, false, nil
			}
		default:
			l, ok := v.([]any)
			if !ok || s.index >= len(l) {
				return nil, false, nil
			}
			v = l[s.index]
		}
	}
	return v, true, nil
}

// applyEdit sets or removes one field of an event body.
func applyEdit(body []byte, e edit) ([]byte, error) {
	steps, err := parsePath(e.path)
	if err != nil {
		return nil, err
	}
	root, err := decode(body)
	if err != nil {
		return nil, err
	}
	parent := root
	for i, s := range steps {
		lastStep := i == len(steps)-1
		switch p := parent.(type) {
		case map[string]any:
			if s.index >= 0 {
				return nil, fmt.Errorf("field %s: [%d] applies to a list, and this is an object", e.path, s.index)
			}
			if lastStep {
				if e.remove {
					delete(p, s.key)
				} else {
					p[s.key] = e.value
				}
				break
			}
			next, ok := p[s.key]
			if !ok {
				if e.remove {
					return body, nil
				}
				next = map[string]any{}
				p[s.key] = next
			}
			parent = next
		case []any:
			if s.index < 0 || s.index >= len(p) {
				return nil, fmt.Errorf("field %s: no element %s in a list of %d", e.path, s.key, len(p))
			}
			if lastStep {
				if e.remove {
					return nil, fmt.Errorf("field %s: list elements cannot be removed, only replaced", e.path)
				}
				p[s.index] = e.value
				break
			}
			parent = p[s.index]
		default:
			return nil, fmt.Errorf("field %s: %s is not an object or a list", e.path, s.key)
		}
	}
	return event.Marshal(root)
}

// parseValue reads a step's expected or new value: JSON (true, 3, null,
// "text", {...}) if it parses as JSON, else the text itself.
func parseValue(raw string) any {
	if v, err := decode([]byte(raw)); err == nil {
		return v
	}
	return raw
}

// sameJSON compares two decoded JSON values.
func sameJSON(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}

func show(v any) string {
	b, err := event.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}
