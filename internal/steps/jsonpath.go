package steps

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/hamsasim/hamsasim/internal/event"
	"github.com/hamsasim/hamsasim/internal/override"
)

// Field paths are override's (override.ParsePath): the steps read and edit
// bodies with the same grammar as the --set and --unset flags.

// lookup finds path in a JSON body.
func lookup(body []byte, path string) (any, bool, error) {
	p, err := override.ParsePath(path)
	if err != nil {
		return nil, false, err
	}
	d, err := override.Decode(body)
	if err != nil {
		return nil, false, fmt.Errorf("the answer is not JSON: %s", strings.TrimSpace(string(body)))
	}
	v, ok := d.Get(p)
	return v, ok, nil
}

// applyEdit sets or removes one field of an event body. A scenario's edit
// describes the body it wants: setting a field makes the objects missing on
// its way, removing a field that is not there changes nothing.
func applyEdit(body []byte, e edit) ([]byte, error) {
	p, err := override.ParsePath(e.path)
	if err != nil {
		return nil, err
	}
	d, err := override.Decode(body)
	if err != nil {
		return nil, err
	}
	if e.remove {
		err = d.Unset(p, override.Create)
	} else {
		err = d.Set(p, e.value, override.Create)
	}
	if err != nil {
		return nil, err
	}
	return d.Marshal()
}

// parseValue reads a step's expected or new value: JSON (true, 3, null,
// "text", {...}) if it parses as JSON, else the text itself.
func parseValue(raw string) any {
	dec := json.NewDecoder(strings.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err == nil {
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
