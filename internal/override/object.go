package override

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"

	"github.com/hamsasim/hamsasim/internal/event"
)

// object is a JSON object that keeps its fields in order, so that a body
// changed by an override is sent with the platform's field order and only
// the changed field differs.
type object struct {
	keys []string
	m    map[string]any
}

func (o *object) get(k string) (any, bool) { v, ok := o.m[k]; return v, ok }

func (o *object) set(k string, v any) {
	if _, ok := o.m[k]; !ok {
		o.keys = append(o.keys, k)
	}
	o.m[k] = v
}

func (o *object) del(k string) {
	if _, ok := o.m[k]; !ok {
		return
	}
	delete(o.m, k)
	for i, x := range o.keys {
		if x == k {
			o.keys = append(o.keys[:i], o.keys[i+1:]...)
			break
		}
	}
}

// MarshalJSON writes the fields in order, without HTML escaping.
func (o *object) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, k := range o.keys {
		if i > 0 {
			b.WriteByte(',')
		}
		kb, err := event.Marshal(k)
		if err != nil {
			return nil, err
		}
		vb, err := event.Marshal(o.m[k])
		if err != nil {
			return nil, err
		}
		b.Write(kb)
		b.WriteByte(':')
		b.Write(vb)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// maxDepth bounds how deeply a body may nest.
const maxDepth = 256

var errDepth = errors.New("nested too deeply")

// decodeValue reads one JSON value from dec: objects as *object, numbers as
// json.Number.
func decodeValue(dec *json.Decoder, depth int) (any, error) {
	if depth > maxDepth {
		return nil, errDepth
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			o := &object{m: map[string]any{}}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				k, _ := kt.(string)
				v, err := decodeValue(dec, depth+1)
				if err != nil {
					return nil, err
				}
				o.set(k, v)
			}
			_, err := dec.Token() // '}'
			return o, err
		case '[':
			l := []any{}
			for dec.More() {
				v, err := decodeValue(dec, depth+1)
				if err != nil {
					return nil, err
				}
				l = append(l, v)
			}
			_, err := dec.Token() // ']'
			return l, err
		}
		return nil, errors.New("unexpected " + t.String())
	}
	return tok, nil
}

// parseJSON reads exactly one JSON value from s.
func parseJSON(s []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(s))
	dec.UseNumber()
	v, err := decodeValue(dec, 0)
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(string(s[dec.InputOffset():])) != "" {
		return nil, errors.New("more than one JSON value")
	}
	return v, nil
}
