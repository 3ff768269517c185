package override

import (
	"github.com/hamsasim/hamsasim/internal/event"
)

// Missing says what Doc.Set and Doc.Unset do where a path is not all there.
// Where the path meets a value of the wrong kind (an index into an object,
// a field of a string, an index out of range) both are an error.
type Missing int

const (
	// Refuse makes a missing object on the way, and an unset field that is
	// not there, an error wrapping ErrNoField that says what exists at that
	// level: a typo in a --set path must not pass silently.
	Refuse Missing = iota
	// Create makes Set create the missing objects on the way, and makes
	// Unset of a field (or parent) that is not there change nothing: a
	// Gherkin edit describes the body wanted, whatever the fixture held.
	Create
)

// Doc is a decoded JSON value that keeps its objects' field order and its
// numbers exactly, so that a body changed through it is re-encoded with
// only the changed fields different. Not safe for concurrent use.
type Doc struct {
	root any
}

// Decode reads one JSON value (of any kind). Errors wrap ErrBody.
func Decode(body []byte) (*Doc, error) {
	v, err := parseJSON(body)
	if err != nil {
		return nil, ErrBody
	}
	return &Doc{root: v}, nil
}

// decode reads a body that must be a JSON object, as every event is.
func decode(body []byte) (*Doc, error) {
	d, err := Decode(body)
	if err != nil {
		return nil, err
	}
	if _, ok := d.root.(*object); !ok {
		return nil, ErrBody
	}
	return d, nil
}

// Marshal encodes the document as the platform encodes events.
func (d *Doc) Marshal() ([]byte, error) { return event.Marshal(d.root) }

// Get returns the value at p, with objects as map[string]any and numbers
// as json.Number, and whether it is there. A path that meets a value of the
// wrong kind is not there.
func (d *Doc) Get(p Path) (any, bool) {
	cur := d.root
	for i := range p.steps {
		next, absent, err := p.child(cur, i)
		if err != nil || absent {
			return nil, false
		}
		cur = next
	}
	return plain(cur), true
}

// container follows p to the value that holds its last step, creating
// missing objects on the way when create is set. absent (with a nil error)
// means an object on the way is missing and was not created.
func (d *Doc) container(p Path, create bool) (cur any, absent bool, err error) {
	cur = d.root
	for i := range p.steps[:len(p.steps)-1] {
		next, gone, err := p.child(cur, i)
		if err != nil {
			return nil, false, err
		}
		if gone {
			if !create {
				return cur, true, p.missing(i, cur.(*object))
			}
			next = &object{m: map[string]any{}}
			cur.(*object).set(p.steps[i].key, next)
		}
		cur = next
	}
	return cur, false, p.fits(cur, len(p.steps)-1)
}

// Set puts v at p, replacing what is there. With Refuse the field's parent
// must exist; with Create missing objects on the way are made.
func (d *Doc) Set(p Path, v any, m Missing) error {
	cur, _, err := d.container(p, m == Create)
	if err != nil {
		return err
	}
	switch c := cur.(type) {
	case *object:
		c.set(p.last().key, v)
	case []any:
		c[p.last().index] = v
	}
	return nil
}

// Unset removes the field at p. A list element cannot be removed (an error
// wrapping ErrSyntax). With Refuse the field must exist; with Create a
// field or parent that is not there leaves the document unchanged.
func (d *Doc) Unset(p Path, m Missing) error {
	if p.ListElement() {
		return &Error{Path: p.text, Msg: "a list element cannot be removed, only replaced", Kind: ErrSyntax}
	}
	cur, absent, err := d.container(p, false)
	if absent && m == Create {
		return nil
	}
	if err != nil {
		return err
	}
	c := cur.(*object)
	if _, ok := c.get(p.last().key); !ok {
		if m == Create {
			return nil
		}
		return p.missing(len(p.steps)-1, c)
	}
	c.del(p.last().key)
	return nil
}

// plain turns ordered objects into maps, for callers that compare values.
func plain(v any) any {
	switch x := v.(type) {
	case *object:
		m := make(map[string]any, len(x.keys))
		for _, k := range x.keys {
			m[k] = plain(x.m[k])
		}
		return m
	case []any:
		l := make([]any, len(x))
		for i, e := range x {
			l[i] = plain(e)
		}
		return l
	}
	return v
}
