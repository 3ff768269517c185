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

// parseValue reads a step's expected or new value as the --set flag reads
// one (override.ParseValue): JSON if the whole text is one JSON literal,
// else the text itself.
func parseValue(raw string) any { return override.ParseValue(raw) }

// sameJSON compares two JSON values, whatever their field order.
func sameJSON(a, b any) bool {
	x, errx := canonical(a)
	y, erry := canonical(b)
	return errx == nil && erry == nil && bytes.Equal(x, y)
}

// canonical encodes v with objects' fields sorted and numbers as written.
func canonical(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var plain any
	if err := dec.Decode(&plain); err != nil {
		return nil, err
	}
	return json.Marshal(plain)
}

func show(v any) string {
	b, err := event.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}
