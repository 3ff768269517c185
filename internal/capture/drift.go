package capture

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/pb33f/libopenapi/datamodel/high/base"

	"github.com/hamsasim/hamsasim/internal/contract"
)

// Drift kinds: how an event departs from the contract.
const (
	DriftUnknownType  = "unknown event type"
	DriftUnknownField = "unknown field"
	DriftMissingField = "missing field"
	DriftWrongType    = "wrong type"
	DriftInvalidValue = "invalid value"
)

// Drift is one distinct way the platform's events depart from the contract:
// the same kind at the same path (array indices folded to [*]) of the same
// event type is one drift, however many events show it.
type Drift struct {
	EventType string
	Kind      string // one of the Drift* constants
	Path      string // JSON path, e.g. $.data.data.sentiment
	Reason    string // without the event's own values, which may be personal data
	Events    int    // events that showed it so far
}

func (d Drift) key() string {
	return d.EventType + "\x00" + d.Kind + "\x00" + d.Path + "\x00" + d.Reason
}

// shape is what the contract declares about one JSON value: the properties
// of an object (nil when the object is free-form) and the shape of a list's
// items.
type shape struct {
	props map[string]*shape
	items *shape
}

// maxShapeDepth bounds the walk through the contract's schemas ($ref cycles).
const maxShapeDepth = 16

// shapes reads, for each webhook of the contract, which object fields it
// declares, so that fields the contract does not name can be reported (the
// contract itself allows them: the platform may add fields).
func shapes(c *contract.Contract) map[string]*shape {
	out := map[string]*shape{}
	for _, name := range c.EventTypes() {
		if sc := c.RequestSchema(name); sc != nil {
			out[name] = shapeOf([]*base.SchemaProxy{sc}, 0)
		}
	}
	return out
}

// shapeOf merges schemas that all apply to one value (allOf, and the
// alternatives of oneOf and anyOf: a field any of them names is known).
func shapeOf(proxies []*base.SchemaProxy, depth int) *shape {
	if depth > maxShapeDepth {
		return nil
	}
	s := &shape{}
	var itemProxies []*base.SchemaProxy
	open := false
	var walk func(p *base.SchemaProxy, d int)
	walk = func(p *base.SchemaProxy, d int) {
		if p == nil || d > maxShapeDepth {
			return
		}
		sc := p.Schema()
		if sc == nil {
			return
		}
		for _, group := range [][]*base.SchemaProxy{sc.AllOf, sc.OneOf, sc.AnyOf} {
			for _, g := range group {
				walk(g, d+1)
			}
		}
		if sc.AdditionalProperties != nil && (sc.AdditionalProperties.IsA() || sc.AdditionalProperties.B) {
			open = true // a map of names to values: any key is declared
		}
		if sc.Properties != nil {
			for name, prop := range sc.Properties.FromOldest() {
				if s.props == nil {
					s.props = map[string]*shape{}
				}
				child := shapeOf([]*base.SchemaProxy{prop}, depth+1)
				if prev, ok := s.props[name]; ok && prev != nil {
					child = mergeShapes(prev, child)
				}
				s.props[name] = child
			}
		}
		if sc.Items != nil && sc.Items.IsA() {
			itemProxies = append(itemProxies, sc.Items.A)
		}
	}
	for _, p := range proxies {
		walk(p, depth)
	}
	if open {
		s.props = nil
	}
	if len(itemProxies) > 0 {
		s.items = shapeOf(itemProxies, depth+1)
	}
	return s
}

func mergeShapes(a, b *shape) *shape {
	if a == nil {
		return b
	}
	if b == nil {
		return a
	}
	out := &shape{items: mergeShapes(a.items, b.items)}
	if a.props != nil || b.props != nil {
		out.props = map[string]*shape{}
		for k, v := range a.props {
			out.props[k] = v
		}
		for k, v := range b.props {
			out.props[k] = mergeShapes(out.props[k], v)
		}
	}
	return out
}

// unknownFields lists the paths of object fields the shape does not declare.
func unknownFields(v any, s *shape, path string, out *[]string) {
	if s == nil {
		return
	}
	switch x := v.(type) {
	case map[string]any:
		if s.props == nil {
			return
		}
		for k, child := range x {
			p := path + "." + k
			cs, ok := s.props[k]
			if !ok {
				*out = append(*out, p)
				continue
			}
			unknownFields(child, cs, p, out)
		}
	case []any:
		for _, child := range x {
			unknownFields(child, s.items, path+"[*]", out)
		}
	}
}

// detector tracks the distinct drifts seen. Safe for concurrent use.
type detector struct {
	c      *contract.Contract
	shapes map[string]*shape

	mu       sync.Mutex
	seen     map[string]*Drift
	order    []string
	unlisted int // drifts past MaxDrifts, counted only
}

// MaxDrifts bounds the distinct drifts listed: a sender inventing a new
// field in every event cannot grow memory or the output without end.
const MaxDrifts = 1000

func newDetector(c *contract.Contract) *detector {
	d := &detector{c: c, seen: map[string]*Drift{}}
	if c != nil {
		d.shapes = shapes(c)
	}
	return d
}

var (
	indexRE      = regexp.MustCompile(`\[\d+\]`)
	missingRE    = regexp.MustCompile(`^missing propert(?:y|ies) '([^']+)'`)
	additionalRE = regexp.MustCompile(`^additional propert(?:y|ies) '([^']+)' not allowed`)
	wrongTypeRE  = regexp.MustCompile(`^got \w+, want `)
	quotedValRE  = regexp.MustCompile(`^'.*' (does not match|is not)`)
)

// observe checks one event and returns the drifts seen for the first time.
func (d *detector) observe(eventType string, body []byte) []Drift {
	var found []Drift
	if d.c != nil && !d.c.Has(eventType) {
		found = append(found, Drift{EventType: eventType, Kind: DriftUnknownType, Path: "$.eventType",
			Reason: fmt.Sprintf("the contract has no webhook %q", eventType)})
	} else if d.c != nil {
		for _, v := range d.c.ValidateEvent(eventType, body) {
			found = append(found, classify(eventType, v))
		}
		if s := d.shapes[eventType]; s != nil {
			var doc any
			if json.Unmarshal(body, &doc) == nil {
				var paths []string
				unknownFields(doc, s, "$", &paths)
				for _, p := range paths {
					found = append(found, Drift{EventType: eventType, Kind: DriftUnknownField, Path: p, Reason: "not in the contract"})
				}
			}
		}
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	var fresh []Drift
	counted := map[string]bool{}
	for _, f := range found {
		k := f.key()
		if counted[k] {
			continue
		}
		counted[k] = true
		if prev, ok := d.seen[k]; ok {
			prev.Events++
			continue
		}
		if len(d.seen) >= MaxDrifts {
			d.unlisted++ // reported as a count in the summary, not one by one
			continue
		}
		f.Events = 1
		d.seen[k] = &f
		d.order = append(d.order, k)
		fresh = append(fresh, f)
	}
	sort.SliceStable(fresh, func(i, j int) bool { return fresh[i].Path < fresh[j].Path })
	return fresh
}

// classify turns a contract violation into a drift kind and a path that is
// the same for every event showing it.
func classify(eventType string, v contract.Violation) Drift {
	path := indexRE.ReplaceAllString(v.Field, "[*]")
	if path == "" {
		path = "$"
	}
	d := Drift{EventType: eventType, Kind: DriftInvalidValue, Path: path, Reason: v.Reason}
	switch {
	case missingRE.MatchString(v.Reason):
		d.Kind, d.Path, d.Reason = DriftMissingField, path+"."+missingRE.FindStringSubmatch(v.Reason)[1], "required by the contract"
	case additionalRE.MatchString(v.Reason):
		d.Kind, d.Path, d.Reason = DriftUnknownField, path+"."+additionalRE.FindStringSubmatch(v.Reason)[1], "not in the contract"
	case wrongTypeRE.MatchString(v.Reason):
		d.Kind = DriftWrongType
	case quotedValRE.MatchString(v.Reason):
		// The value itself may be a phone number or a name: keep the rule only.
		d.Reason = "value " + strings.SplitN(v.Reason, "' ", 2)[1]
	}
	return d
}

// all returns every drift listed, in the order first seen, and how many
// distinct ones were past MaxDrifts.
func (d *detector) all() ([]Drift, int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]Drift, 0, len(d.order))
	for _, k := range d.order {
		out = append(out, *d.seen[k])
	}
	return out, d.unlisted
}
