package scenario

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hamsasim/hamsasim/internal/yamlfile"
	yaml "go.yaml.in/yaml/v3"
)

// ReadFile reads and parses the scenario at path.
func ReadFile(path string) (*Scenario, error) {
	data, err := yamlfile.ReadFile(path, ErrInvalid)
	if err != nil {
		return nil, err
	}
	return Parse(data, path)
}

// Parse parses and validates one scenario and fills in the defaults. source
// names it in errors. On failure the error is an ErrorList
// (errors.Is(err, ErrInvalid) holds).
func Parse(data []byte, source string) (*Scenario, error) {
	p := &parser{Reader: yamlfile.Reader{File: source, Kind: ErrInvalid}}
	s := p.parse(data)
	if err := p.Err(); err != nil {
		return nil, err
	}
	s.Source = source
	return s, nil
}

type parser struct {
	yamlfile.Reader
}

const arrivalKindsSentence = "constant, ramp or steps"

var topFields = []string{"name", "description", "duration", "arrival", "mix", "timeScale", "duplicates", "outOfOrder", "delivery", "drain", "thresholds", "faults"}

func (p *parser) parse(data []byte) *Scenario {
	root := p.Root(data, "a scenario needs at least name, duration, arrival and mix")
	if root == nil {
		return nil
	}
	fields := p.Mapping(root, "", topFields...)
	if fields == nil {
		return nil
	}
	s := &Scenario{
		TimeScale: DefaultTimeScale,
		Delivery: Delivery{
			Timeout:  DefaultTimeout,
			Retries:  DefaultRetries,
			Backoff:  Backoff{Base: DefaultBackoffBase, Factor: DefaultBackoffFactor, Max: DefaultBackoffMax},
			Schedule: ScheduleExponential,
			Jitter:   DefaultJitter,
		},
		Drain:           DefaultDrain,
		DuplicateCopies: DefaultDuplicateCopies,
	}
	if n := p.Required(root, fields, "", "name"); n != nil {
		s.Name = p.str(n, "name")
		if s.Name != "" && !validName.MatchString(s.Name) {
			p.Errf(n, "name", "%q is not a valid name: use lowercase letters, digits and dashes, starting with a letter", s.Name)
		}
	}
	if n, ok := fields["description"]; ok {
		s.Description = p.str(n, "description")
	}
	if n := p.Required(root, fields, "", "duration"); n != nil {
		s.Duration, _ = p.positiveDuration(n, "duration", MaxDuration)
	}
	if n := p.Required(root, fields, "", "arrival"); n != nil {
		s.Arrival = p.arrival(n, s.Duration)
	}
	if n := p.Required(root, fields, "", "mix"); n != nil {
		s.Mix = p.mix(n)
	}
	if n, ok := fields["timeScale"]; ok {
		if v, ok := p.number(n, "timeScale"); ok {
			if v <= 0 || v > 1 {
				p.Errf(n, "timeScale", "must be greater than 0 and at most 1 (0.05 plays a 3-minute call in 9 s; a scenario cannot slow calls down), not %s", yamlfile.Deref(n).Value)
			} else {
				s.TimeScale = v
			}
		}
	}
	if n, ok := fields["duplicates"]; ok {
		p.duplicates(n, s)
	}
	s.OutOfOrder = p.fraction(fields, "outOfOrder")
	if n, ok := fields["delivery"]; ok {
		p.delivery(n, &s.Delivery)
	}
	if w, ok := SchedulePresets[s.Delivery.Schedule]; ok {
		s.Delivery.Waits = make([]time.Duration, len(w))
		for i, d := range w {
			s.Delivery.Waits[i] = time.Duration(float64(d) * s.TimeScale)
		}
	}
	if n, ok := fields["drain"]; ok {
		if d, ok := p.Duration(n, "drain", MaxDrain); ok {
			s.Drain = d
		}
	}
	if n, ok := fields["thresholds"]; ok {
		s.Thresholds = p.thresholds(n)
	}
	if n, ok := fields["faults"]; ok {
		s.Faults = p.faults(n, s.Duration)
	}
	return s
}

var validName = regexp.MustCompile(`^[a-z][a-z0-9-]{0,63}$`)

// list checks n is a sequence of at most maxListLen items and returns them;
// ok is false (and an error recorded) when it is not.
func (p *parser) list(n *yaml.Node, path, what string) (items []*yaml.Node, ok bool) {
	n = yamlfile.Deref(n)
	if n.Kind != yaml.SequenceNode {
		p.Errf(n, path, "must be a list of %s, not %s", what, yamlfile.KindName(n))
		return nil, false
	}
	if len(n.Content) > maxListLen {
		p.Errf(n, path, "has %d entries; at most %d are allowed", len(n.Content), maxListLen)
		return nil, false
	}
	return n.Content, true
}

func (p *parser) str(n *yaml.Node, path string) string {
	n = yamlfile.Deref(n)
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		p.Errf(n, path, "must be a string, not %s", yamlfile.KindName(n))
		return ""
	}
	if n.Tag != "!!str" {
		p.Errf(n, path, "must be a string, not %s %s (quote it: \"%s\")", yamlfile.KindName(n), n.Value, n.Value)
		return ""
	}
	if n.Value == "" {
		p.Errf(n, path, "must not be empty")
	}
	return n.Value
}

// positiveDuration is duration, longer than 0.
func (p *parser) positiveDuration(n *yaml.Node, path string, max time.Duration) (time.Duration, bool) {
	d, ok := p.Duration(n, path, max)
	if ok && d <= 0 {
		p.Errf(n, path, "must be longer than 0")
		return 0, false
	}
	return d, ok
}

func (p *parser) number(n *yaml.Node, path string) (float64, bool) {
	n = yamlfile.Deref(n)
	if n.Kind != yaml.ScalarNode || (n.Tag != "!!int" && n.Tag != "!!float") {
		p.Errf(n, path, "must be a number, not %s", yamlfile.KindName(n))
		return 0, false
	}
	v, err := strconv.ParseFloat(strings.ReplaceAll(n.Value, "_", ""), 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		p.Errf(n, path, "%s is not a finite number", n.Value)
		return 0, false
	}
	return v, true
}

// rate reads calls per second: above 0 (or at 0 when zeroOK) and at most MaxRate.
func (p *parser) rate(n *yaml.Node, path string, zeroOK bool) (float64, bool) {
	v, ok := p.number(n, path)
	if !ok {
		return 0, false
	}
	switch {
	case v < 0 || (v == 0 && !zeroOK):
		lo := "greater than 0"
		if zeroOK {
			lo = "0 or more"
		}
		p.Errf(n, path, "%s is not a rate: calls per second must be %s and at most %s", yamlfile.Deref(n).Value, lo, num(MaxRate))
		return 0, false
	case v > MaxRate:
		p.Errf(n, path, "%s calls per second is above the maximum %s", yamlfile.Deref(n).Value, num(MaxRate))
		return 0, false
	}
	return v, true
}

// fraction reads an optional share from 0 to 1 (default 0).
func (p *parser) fraction(fields map[string]*yaml.Node, key string) float64 {
	n, ok := fields[key]
	if !ok {
		return 0
	}
	return p.share(n, key)
}

// share reads a number from 0 to 1 (0 after recording a problem).
func (p *parser) share(n *yaml.Node, path string) float64 {
	v, ok := p.number(n, path)
	if !ok {
		return 0
	}
	if v < 0 || v > 1 {
		p.Errf(n, path, "must be a fraction from 0 to 1 (0.02 is 2%%), not %s", yamlfile.Deref(n).Value)
		return 0
	}
	return v
}

// duplicatesExample is the mapping form of duplicates, for messages.
const duplicatesExample = "{rate: 0.3, copies: 3, together: true}"

// duplicates reads duplicates: the fraction of events delivered again
// (each copy after the previous one's acknowledgement), or a mapping that
// also gives how many copies and whether they go at the same instant.
func (p *parser) duplicates(n *yaml.Node, s *Scenario) {
	v := yamlfile.Deref(n)
	if v.Kind == yaml.ScalarNode && (v.Tag == "!!int" || v.Tag == "!!float") {
		s.Duplicates = p.share(n, "duplicates")
		return
	}
	if v.Kind != yaml.MappingNode {
		p.Errf(n, "duplicates", "must be a fraction from 0 to 1 (0.02 is 2%%) or a mapping like %s, not %s", duplicatesExample, describe(v))
		return
	}
	fields := p.Mapping(n, "duplicates", "rate", "copies", "together")
	if fields == nil {
		return
	}
	if r := p.Required(n, fields, "duplicates", "rate"); r != nil {
		s.Duplicates = p.share(r, "duplicates.rate")
	}
	if c, ok := fields["copies"]; ok {
		cv := yamlfile.Deref(c)
		k, err := strconv.Atoi(cv.Value)
		if cv.Kind != yaml.ScalarNode || cv.Tag != "!!int" || err != nil || k < 2 || k > MaxDuplicateCopies {
			p.Errf(c, "duplicates.copies", "must be a whole number from 2 to %d (the copies of a duplicated event in all, the first delivery included), not %s", MaxDuplicateCopies, describe(cv))
		} else {
			s.DuplicateCopies = k
		}
	}
	if t, ok := fields["together"]; ok {
		tv := yamlfile.Deref(t)
		b, err := strconv.ParseBool(tv.Value)
		if tv.Kind != yaml.ScalarNode || tv.Tag != "!!bool" || err != nil {
			p.Errf(t, "duplicates.together", "must be true (the copies go at the same instant, over connections of their own) or false (each after the previous one's acknowledgement), not %s", describe(tv))
		} else {
			s.DuplicatesTogether = b
		}
	}
}

func (p *parser) mix(n *yaml.Node) []MixEntry {
	items, ok := p.list(n, "mix", "fixtures with weights")
	if !ok {
		return nil
	}
	if len(items) == 0 {
		p.Errf(n, "mix", "must name at least one fixture, like - {fixture: job-interview, weight: 1}")
		return nil
	}
	out := make([]MixEntry, 0, len(items))
	seen := map[string]int{}
	for i, item := range items {
		ip := fmt.Sprintf("mix[%d]", i)
		fields := p.Mapping(item, ip, "fixture", "weight")
		if fields == nil {
			continue
		}
		var m MixEntry
		if v := p.Required(item, fields, ip, "fixture"); v != nil {
			m.Fixture = p.str(v, ip+".fixture")
			switch first, dup := seen[m.Fixture]; {
			case m.Fixture == "":
			case !validName.MatchString(m.Fixture):
				p.Errf(v, ip+".fixture", "%q is not a fixture name: fixture names use lowercase letters, digits and dashes, starting with a letter", m.Fixture)
			case dup:
				p.Errf(v, ip+".fixture", "%s is already mix[%d]: give each fixture one entry and add up the weights", m.Fixture, first)
			default:
				seen[m.Fixture] = i
			}
		}
		if v := p.Required(item, fields, ip, "weight"); v != nil {
			if w, ok := p.number(v, ip+".weight"); ok {
				if w <= 0 || w > MaxWeight {
					p.Errf(v, ip+".weight", "must be greater than 0 and at most %s, not %s; remove the entry to leave the fixture out", num(MaxWeight), yamlfile.Deref(v).Value)
				} else {
					m.Weight = w
				}
			}
		}
		out = append(out, m)
	}
	return out
}

func (p *parser) delivery(n *yaml.Node, d *Delivery) {
	fields := p.Mapping(n, "delivery", "timeout", "retries", "backoff", "schedule", "jitter")
	if fields == nil {
		return
	}
	if v, ok := fields["timeout"]; ok {
		if t, ok := p.positiveDuration(v, "delivery.timeout", MaxTimeout); ok {
			d.Timeout = t
		}
	}
	_, retriesGiven := fields["retries"]
	if v, ok := fields["retries"]; ok {
		rv := yamlfile.Deref(v)
		r, err := strconv.Atoi(rv.Value)
		if rv.Kind != yaml.ScalarNode || rv.Tag != "!!int" || err != nil || r < 0 || r > MaxRetries {
			p.Errf(v, "delivery.retries", "must be a whole number from 0 to %d, not %s", MaxRetries, describe(rv))
		} else {
			d.Retries = r
		}
	}
	if v, ok := fields["jitter"]; ok {
		d.Jitter = p.percent(v, "delivery.jitter")
	}
	if v, ok := fields["schedule"]; ok {
		p.schedule(v, d, retriesGiven)
	}
	bn, ok := fields["backoff"]
	if !ok {
		return
	}
	if d.Schedule != ScheduleExponential {
		what := "schedule " + d.Schedule
		if d.Schedule == ScheduleList {
			what = "a written-out schedule"
		}
		p.Errf(bn, "delivery.backoff", "is for the exponential schedule; %s sets the waits itself (remove one of the two)", what)
		return
	}
	bf := p.Mapping(bn, "delivery.backoff", "base", "factor", "max")
	if bf == nil {
		return
	}
	b := &d.Backoff
	if v, ok := bf["base"]; ok {
		if t, ok := p.positiveDuration(v, "delivery.backoff.base", MaxBackoff); ok {
			b.Base = t
		}
	}
	if v, ok := bf["factor"]; ok {
		if f, ok := p.number(v, "delivery.backoff.factor"); ok {
			if f < 1 || f > MaxBackoffFactor {
				p.Errf(v, "delivery.backoff.factor", "must be from 1 (a fixed wait) to %s, not %s", num(MaxBackoffFactor), yamlfile.Deref(v).Value)
			} else {
				b.Factor = f
			}
		}
	}
	if v, ok := bf["max"]; ok {
		if t, ok := p.positiveDuration(v, "delivery.backoff.max", MaxBackoff); ok {
			b.Max = t
			if b.Max < b.Base {
				p.Errf(v, "delivery.backoff.max", "%s is shorter than backoff.base (%s)", yamlfile.ShortDuration(b.Max), yamlfile.ShortDuration(b.Base))
			}
		}
	}
}

// schedule reads delivery.schedule: a schedule's name, or the waits before
// retry 1, 2, ... written out. Unless retries is given too, a schedule
// other than the exponential one retries once per wait.
func (p *parser) schedule(n *yaml.Node, d *Delivery, retriesGiven bool) {
	valid := strings.Join(ScheduleNames(), ", ") + ", or a list of waits like [5s, 1m, 10m]"
	v := yamlfile.Deref(n)
	switch {
	case v.Kind == yaml.ScalarNode && v.Tag == "!!str":
		name := v.Value
		if _, ok := SchedulePresets[name]; !ok && name != ScheduleExponential {
			p.Errf(n, "delivery.schedule", "%q is not a schedule%s (valid: %s)", name, yamlfile.DidYouMean(name, ScheduleNames()), valid)
			return
		}
		d.Schedule = name
	case v.Kind == yaml.SequenceNode:
		items, ok := p.list(n, "delivery.schedule", "waits like 5s")
		if !ok {
			return
		}
		if len(items) == 0 || len(items) > MaxRetries {
			p.Errf(n, "delivery.schedule", "needs 1 to %d waits, not %d", MaxRetries, len(items))
			return
		}
		d.Schedule, d.Waits = ScheduleList, make([]time.Duration, 0, len(items))
		for i, item := range items {
			if w, ok := p.positiveDuration(item, fmt.Sprintf("delivery.schedule[%d]", i), MaxWait); ok {
				d.Waits = append(d.Waits, w)
			}
		}
	default:
		p.Errf(n, "delivery.schedule", "must be %s, not %s", valid, describe(v))
		return
	}
	if !retriesGiven && d.Schedule != ScheduleExponential {
		if w, ok := SchedulePresets[d.Schedule]; ok {
			d.Retries = len(w)
		} else {
			d.Retries = len(d.Waits)
		}
	}
}

// percent reads a share written as a percentage, "20%", from 0% to 100%.
func (p *parser) percent(n *yaml.Node, path string) float64 {
	v := yamlfile.Deref(n)
	s, ok := strings.CutSuffix(v.Value, "%")
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if v.Kind != yaml.ScalarNode || !ok || err != nil || f < 0 || f > 100 || math.IsNaN(f) {
		p.Errf(n, path, "must be a percentage from 0%% to 100%%, like 20%%, not %s", describe(v))
		return 0
	}
	return f / 100
}

func (p *parser) thresholds(n *yaml.Node) []Threshold {
	items, _ := p.list(n, "thresholds", `conditions like "p99 < 5s"`)
	out := make([]Threshold, 0, len(items))
	for i, item := range items {
		ip := fmt.Sprintf("thresholds[%d]", i)
		item = yamlfile.Deref(item)
		if item.Kind != yaml.ScalarNode || item.Tag != "!!str" {
			p.Errf(item, ip, "must be a string like \"p99 < 5s\", not %s", yamlfile.KindName(item))
			continue
		}
		t, msg := parseThreshold(item.Value)
		if msg != "" {
			p.Errf(item, ip, "%s", msg)
			continue
		}
		out = append(out, t)
	}
	return out
}

func (p *parser) faults(n *yaml.Node, duration time.Duration) []Fault {
	items, _ := p.list(n, "faults", "faults like {kind: blackhole, start: 2m, length: 20s}")
	kinds := make([]string, len(FaultKinds))
	for i, k := range FaultKinds {
		kinds[i] = string(k)
	}
	out := make([]Fault, 0, len(items))
	for i, item := range items {
		ip := fmt.Sprintf("faults[%d]", i)
		fields := p.Mapping(item, ip, "kind", "start", "length", "value")
		if fields == nil {
			continue
		}
		var f Fault
		ok := true
		if v := p.Required(item, fields, ip, "kind"); v != nil {
			k := p.str(v, ip+".kind")
			if k != "" && !slices.Contains(kinds, k) {
				p.Errf(v, ip+".kind", "%q is not a fault kind%s (valid: %s)", k, yamlfile.DidYouMean(k, kinds), strings.Join(kinds, ", "))
			}
			f.Kind = FaultKind(k)
		}
		if v := p.Required(item, fields, ip, "start"); v != nil {
			var good bool
			f.Start, good = p.Duration(v, ip+".start", MaxDuration)
			ok = ok && good
		} else {
			ok = false
		}
		if v := p.Required(item, fields, ip, "length"); v != nil {
			var good bool
			f.Length, good = p.positiveDuration(v, ip+".length", MaxDuration)
			ok = ok && good
		} else {
			ok = false
		}
		v, hasValue := fields["value"]
		switch {
		case f.Kind == FaultLatency && !hasValue:
			p.Errf(item, ip+".value", "missing (a latency fault needs the delay it adds, like value: 300ms)")
		case f.Kind == FaultLatency:
			f.Value, _ = p.positiveDuration(v, ip+".value", MaxFaultLatency)
		case hasValue && f.Kind != "":
			p.Errf(v, ip+".value", "only a latency fault takes a value; a %s fault has none", f.Kind)
		}
		if ok && duration > 0 && f.End() > duration {
			p.Errf(item, ip, "runs from %s to %s, past the end of duration (%s); faults must lie within duration", yamlfile.ShortDuration(f.Start), yamlfile.ShortDuration(f.End()), yamlfile.ShortDuration(duration))
		}
		out = append(out, f)
	}
	return out
}

// num prints a number as written by hand: 10000, not 1e+04.
func num(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// describe names a scalar by its value and anything else by its kind.
func describe(n *yaml.Node) string {
	if n.Kind == yaml.ScalarNode && n.Tag != "!!null" {
		return n.Value
	}
	return yamlfile.KindName(n)
}
