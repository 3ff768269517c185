package scenario

import (
	"fmt"
	"math"
	"os"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	yaml "go.yaml.in/yaml/v3"
)

// ReadFile reads and parses the scenario at path.
func ReadFile(path string) (*Scenario, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &Error{File: path, Msg: "cannot read: " + describeIOError(err)}
	}
	return Parse(data, path)
}

func describeIOError(err error) string {
	switch {
	case os.IsNotExist(err):
		return "no such file"
	case os.IsPermission(err):
		return "permission denied"
	}
	return err.Error()
}

// Parse parses and validates one scenario and fills in the defaults. source
// names it in errors. On failure the error is an ErrorList
// (errors.Is(err, ErrInvalid) holds).
func Parse(data []byte, source string) (*Scenario, error) {
	p := &parser{file: source}
	s := p.parse(data)
	if len(p.errs) > 0 {
		sort.SliceStable(p.errs, func(i, j int) bool { return p.errs[i].Line < p.errs[j].Line })
		return nil, p.errs
	}
	s.Source = source
	return s, nil
}

type parser struct {
	file string
	errs ErrorList
}

func (p *parser) errf(n *yaml.Node, field, format string, args ...any) {
	line := 0
	if n != nil {
		line = n.Line
	}
	p.errs = append(p.errs, &Error{File: p.file, Line: line, Field: field, Msg: fmt.Sprintf(format, args...)})
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

const arrivalKindsSentence = "constant, ramp or steps"

var topFields = []string{"name", "description", "duration", "arrival", "mix", "timeScale", "duplicates", "outOfOrder", "delivery", "drain", "thresholds", "faults"}

func (p *parser) parse(data []byte) *Scenario {
	// YAML's own message for a tab ("found character that cannot start any
	// token") does not say what is wrong.
	for i, line := range strings.Split(string(data), "\n") {
		indent := line[:len(line)-len(strings.TrimLeft(line, " \t"))]
		if strings.Contains(indent, "\t") {
			p.errs = append(p.errs, &Error{File: p.file, Line: i + 1, Msg: "indented with a tab; YAML indentation must use spaces"})
			return nil
		}
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		msg := err.Error()
		if m := yamlLine.FindStringSubmatch(msg); m != nil {
			line, _ := strconv.Atoi(m[1])
			p.errs = append(p.errs, &Error{File: p.file, Line: line, Msg: "not valid YAML: " + m[2]})
		} else {
			p.errs = append(p.errs, &Error{File: p.file, Msg: "not valid YAML: " + strings.TrimPrefix(msg, "yaml: ")})
		}
		return nil
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		p.errs = append(p.errs, &Error{File: p.file, Msg: "empty file: a scenario needs at least name, duration, arrival and mix"})
		return nil
	}
	root := doc.Content[0]
	fields := p.mapping(root, "", topFields...)
	if fields == nil {
		return nil
	}
	s := &Scenario{
		TimeScale: DefaultTimeScale,
		Delivery: Delivery{
			Timeout: DefaultTimeout,
			Retries: DefaultRetries,
			Backoff: Backoff{Base: DefaultBackoffBase, Factor: DefaultBackoffFactor, Max: DefaultBackoffMax},
		},
		Drain: DefaultDrain,
	}
	if n := p.required(root, fields, "", "name"); n != nil {
		s.Name = p.str(n, "name")
		if s.Name != "" && !validName.MatchString(s.Name) {
			p.errf(n, "name", "%q is not a valid name: use lowercase letters, digits and dashes, starting with a letter", s.Name)
		}
	}
	if n, ok := fields["description"]; ok {
		s.Description = p.str(n, "description")
	}
	if n := p.required(root, fields, "", "duration"); n != nil {
		s.Duration, _ = p.positiveDuration(n, "duration", MaxDuration)
	}
	if n := p.required(root, fields, "", "arrival"); n != nil {
		s.Arrival = p.arrival(n, s.Duration)
	}
	if n := p.required(root, fields, "", "mix"); n != nil {
		s.Mix = p.mix(n)
	}
	if n, ok := fields["timeScale"]; ok {
		if v, ok := p.number(n, "timeScale"); ok {
			if v <= 0 || v > 1 {
				p.errf(n, "timeScale", "must be greater than 0 and at most 1 (0.05 plays a 3-minute call in 9 s; a scenario cannot slow calls down), not %s", p.deref(n).Value)
			} else {
				s.TimeScale = v
			}
		}
	}
	s.Duplicates = p.fraction(fields, "duplicates")
	s.OutOfOrder = p.fraction(fields, "outOfOrder")
	if n, ok := fields["delivery"]; ok {
		p.delivery(n, &s.Delivery)
	}
	if n, ok := fields["drain"]; ok {
		if d, ok := p.duration(n, "drain", MaxDrain); ok {
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

// mapping checks n is a mapping with only known keys and returns its values by key.
func (p *parser) mapping(n *yaml.Node, path string, known ...string) map[string]*yaml.Node {
	n = p.deref(n)
	if n.Kind != yaml.MappingNode {
		p.errf(n, path, "must be a mapping (key: value lines), not %s", kindName(n))
		return nil
	}
	out := make(map[string]*yaml.Node, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		key := k.Value
		if !slices.Contains(known, key) {
			p.errf(k, join(path, key), "unknown field%s (known fields: %s)", didYouMean(key, known), strings.Join(known, ", "))
			continue
		}
		if _, dup := out[key]; dup {
			p.errf(k, join(path, key), "given twice")
			continue
		}
		out[key] = v
	}
	return out
}

// list checks n is a sequence of at most maxListLen items and returns them;
// ok is false (and an error recorded) when it is not.
func (p *parser) list(n *yaml.Node, path, what string) (items []*yaml.Node, ok bool) {
	n = p.deref(n)
	if n.Kind != yaml.SequenceNode {
		p.errf(n, path, "must be a list of %s, not %s", what, kindName(n))
		return nil, false
	}
	if len(n.Content) > maxListLen {
		p.errf(n, path, "has %d entries; at most %d are allowed", len(n.Content), maxListLen)
		return nil, false
	}
	return n.Content, true
}

func (p *parser) required(parent *yaml.Node, fields map[string]*yaml.Node, path, key string) *yaml.Node {
	n, ok := fields[key]
	if !ok {
		p.errf(parent, join(path, key), "missing (required)")
		return nil
	}
	return n
}

func (p *parser) str(n *yaml.Node, path string) string {
	n = p.deref(n)
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		p.errf(n, path, "must be a string, not %s", kindName(n))
		return ""
	}
	if n.Tag != "!!str" {
		p.errf(n, path, "must be a string, not %s %s (quote it: \"%s\")", kindName(n), n.Value, n.Value)
		return ""
	}
	if n.Value == "" {
		p.errf(n, path, "must not be empty")
	}
	return n.Value
}

// durationSyntax matches what time.ParseDuration accepts, so a duration it
// rejects for overflow can be told from a typo.
var durationSyntax = regexp.MustCompile(`^[-+]?(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|ms|s|m|h))+$`)

// duration reads a Go duration (250ms, 1m30s) or a number of seconds, from
// 0 to max.
func (p *parser) duration(n *yaml.Node, path string, max time.Duration) (time.Duration, bool) {
	n = p.deref(n)
	if n.Kind != yaml.ScalarNode {
		p.errf(n, path, "must be a duration like 2.5s or 1m30s, not %s", kindName(n))
		return 0, false
	}
	var d time.Duration
	switch n.Tag {
	case "!!int", "!!float":
		secs, err := strconv.ParseFloat(strings.ReplaceAll(n.Value, "_", ""), 64)
		if err != nil || math.IsNaN(secs) || math.IsInf(secs, 0) {
			p.errf(n, path, "%s is not a finite number of seconds", n.Value)
			return 0, false
		}
		if secs > max.Seconds() {
			p.errf(n, path, "%s seconds is longer than the maximum %s", n.Value, human(max))
			return 0, false
		}
		d = time.Duration(secs * float64(time.Second))
		if secs < 0 {
			d = -1
		}
	case "!!str":
		var err error
		d, err = time.ParseDuration(n.Value)
		if err != nil && durationSyntax.MatchString(n.Value) {
			p.errf(n, path, "%s is longer than the maximum %s", n.Value, human(max))
			return 0, false
		}
		if err != nil {
			p.errf(n, path, "%q is not a duration (use 250ms, 9.5s, 1m30s, or a number of seconds)", n.Value)
			return 0, false
		}
		if d > max {
			p.errf(n, path, "%s is longer than the maximum %s", n.Value, human(max))
			return 0, false
		}
	default:
		p.errf(n, path, "must be a duration like 2.5s or 1m30s, not %s", kindName(n))
		return 0, false
	}
	if d < 0 {
		p.errf(n, path, "%s is negative; a duration is 0 or longer", n.Value)
		return 0, false
	}
	return d, true
}

// positiveDuration is duration, longer than 0.
func (p *parser) positiveDuration(n *yaml.Node, path string, max time.Duration) (time.Duration, bool) {
	d, ok := p.duration(n, path, max)
	if ok && d <= 0 {
		p.errf(n, path, "must be longer than 0")
		return 0, false
	}
	return d, ok
}

func (p *parser) number(n *yaml.Node, path string) (float64, bool) {
	n = p.deref(n)
	if n.Kind != yaml.ScalarNode || (n.Tag != "!!int" && n.Tag != "!!float") {
		p.errf(n, path, "must be a number, not %s", kindName(n))
		return 0, false
	}
	v, err := strconv.ParseFloat(strings.ReplaceAll(n.Value, "_", ""), 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		p.errf(n, path, "%s is not a finite number", n.Value)
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
		p.errf(n, path, "%s is not a rate: calls per second must be %s and at most %s", p.deref(n).Value, lo, num(MaxRate))
		return 0, false
	case v > MaxRate:
		p.errf(n, path, "%s calls per second is above the maximum %s", p.deref(n).Value, num(MaxRate))
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
	v, ok := p.number(n, key)
	if !ok {
		return 0
	}
	if v < 0 || v > 1 {
		p.errf(n, key, "must be a fraction from 0 to 1 (0.02 is 2%%), not %s", p.deref(n).Value)
		return 0
	}
	return v
}

func (p *parser) arrival(n *yaml.Node, duration time.Duration) Arrival {
	var a Arrival
	kinds := []string{string(ArrivalConstant), string(ArrivalRamp), string(ArrivalSteps)}
	fields := p.mapping(n, "arrival", kinds...)
	if fields == nil {
		return a
	}
	var given []string
	for _, k := range kinds {
		if _, ok := fields[k]; ok {
			given = append(given, k)
		}
	}
	switch len(given) {
	case 0:
		p.errf(n, "arrival", "needs one of %s", arrivalKindsSentence)
		return a
	case 1:
	default:
		p.errf(n, "arrival", "gives %s: choose exactly one of %s", strings.Join(given, " and "), arrivalKindsSentence)
		return a
	}
	a.Kind = ArrivalKind(given[0])
	v := fields[given[0]]
	switch a.Kind {
	case ArrivalConstant:
		a.Constant, _ = p.rate(v, "arrival.constant", false)
	case ArrivalRamp:
		a.Ramp = p.ramp(v, duration)
	case ArrivalSteps:
		a.Steps = p.steps(v, duration)
	}
	return a
}

func (p *parser) ramp(n *yaml.Node, duration time.Duration) Ramp {
	var r Ramp
	fields := p.mapping(n, "arrival.ramp", "from", "to", "over")
	if fields == nil {
		return r
	}
	if v := p.required(n, fields, "arrival.ramp", "from"); v != nil {
		r.From, _ = p.rate(v, "arrival.ramp.from", true)
	}
	if v := p.required(n, fields, "arrival.ramp", "to"); v != nil {
		r.To, _ = p.rate(v, "arrival.ramp.to", false)
	}
	if v := p.required(n, fields, "arrival.ramp", "over"); v != nil {
		var ok bool
		r.Over, ok = p.positiveDuration(v, "arrival.ramp.over", MaxDuration)
		if ok && duration > 0 && r.Over > duration {
			p.errf(v, "arrival.ramp.over", "%s is longer than duration (%s): the ramp would not reach %s", human(r.Over), human(duration), num(r.To))
		}
	}
	return r
}

func (p *parser) steps(n *yaml.Node, duration time.Duration) []Step {
	items, ok := p.list(n, "arrival.steps", "steps like {rate: 2, for: 1m}")
	if !ok {
		return nil
	}
	if len(items) == 0 {
		p.errf(n, "arrival.steps", "must hold at least one step like {rate: 2, for: 1m}")
		return nil
	}
	out := make([]Step, 0, len(items))
	var total time.Duration
	anyCalls, overrun, before := false, false, len(p.errs)
	for i, item := range items {
		ip := fmt.Sprintf("arrival.steps[%d]", i)
		fields := p.mapping(item, ip, "rate", "for")
		if fields == nil {
			continue
		}
		var st Step
		if v := p.required(item, fields, ip, "rate"); v != nil {
			st.Rate, _ = p.rate(v, ip+".rate", true)
			anyCalls = anyCalls || st.Rate > 0
		}
		if v := p.required(item, fields, ip, "for"); v != nil {
			var ok bool
			st.For, ok = p.positiveDuration(v, ip+".for", MaxDuration)
			total += st.For
			if ok && duration > 0 && total > duration && !overrun {
				overrun = true
				p.errf(v, ip+".for", "the steps so far add up to %s, longer than duration (%s)", human(total), human(duration))
			}
		}
		out = append(out, st)
	}
	if len(p.errs) == before && !anyCalls {
		p.errf(n, "arrival.steps", "every rate is 0, so no call would start")
	}
	return out
}

func (p *parser) mix(n *yaml.Node) []MixEntry {
	items, ok := p.list(n, "mix", "fixtures with weights")
	if !ok {
		return nil
	}
	if len(items) == 0 {
		p.errf(n, "mix", "must name at least one fixture, like - {fixture: job-interview, weight: 1}")
		return nil
	}
	out := make([]MixEntry, 0, len(items))
	seen := map[string]int{}
	for i, item := range items {
		ip := fmt.Sprintf("mix[%d]", i)
		fields := p.mapping(item, ip, "fixture", "weight")
		if fields == nil {
			continue
		}
		var m MixEntry
		if v := p.required(item, fields, ip, "fixture"); v != nil {
			m.Fixture = p.str(v, ip+".fixture")
			switch first, dup := seen[m.Fixture]; {
			case m.Fixture == "":
			case !validName.MatchString(m.Fixture):
				p.errf(v, ip+".fixture", "%q is not a fixture name: fixture names use lowercase letters, digits and dashes, starting with a letter", m.Fixture)
			case dup:
				p.errf(v, ip+".fixture", "%s is already mix[%d]: give each fixture one entry and add up the weights", m.Fixture, first)
			default:
				seen[m.Fixture] = i
			}
		}
		if v := p.required(item, fields, ip, "weight"); v != nil {
			if w, ok := p.number(v, ip+".weight"); ok {
				if w <= 0 || w > MaxWeight {
					p.errf(v, ip+".weight", "must be greater than 0 and at most %s, not %s; remove the entry to leave the fixture out", num(MaxWeight), p.deref(v).Value)
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
	fields := p.mapping(n, "delivery", "timeout", "retries", "backoff")
	if fields == nil {
		return
	}
	if v, ok := fields["timeout"]; ok {
		if t, ok := p.positiveDuration(v, "delivery.timeout", MaxTimeout); ok {
			d.Timeout = t
		}
	}
	if v, ok := fields["retries"]; ok {
		rv := p.deref(v)
		r, err := strconv.Atoi(rv.Value)
		if rv.Kind != yaml.ScalarNode || rv.Tag != "!!int" || err != nil || r < 0 || r > MaxRetries {
			p.errf(v, "delivery.retries", "must be a whole number from 0 to %d, not %s", MaxRetries, describe(rv))
		} else {
			d.Retries = r
		}
	}
	bn, ok := fields["backoff"]
	if !ok {
		return
	}
	bf := p.mapping(bn, "delivery.backoff", "base", "factor", "max")
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
				p.errf(v, "delivery.backoff.factor", "must be from 1 (a fixed wait) to %s, not %s", num(MaxBackoffFactor), p.deref(v).Value)
			} else {
				b.Factor = f
			}
		}
	}
	if v, ok := bf["max"]; ok {
		if t, ok := p.positiveDuration(v, "delivery.backoff.max", MaxBackoff); ok {
			b.Max = t
			if b.Max < b.Base {
				p.errf(v, "delivery.backoff.max", "%s is shorter than backoff.base (%s)", human(b.Max), human(b.Base))
			}
		}
	}
}

func (p *parser) thresholds(n *yaml.Node) []Threshold {
	items, _ := p.list(n, "thresholds", `conditions like "p99 < 5s"`)
	out := make([]Threshold, 0, len(items))
	for i, item := range items {
		ip := fmt.Sprintf("thresholds[%d]", i)
		item = p.deref(item)
		if item.Kind != yaml.ScalarNode || item.Tag != "!!str" {
			p.errf(item, ip, "must be a string like \"p99 < 5s\", not %s", kindName(item))
			continue
		}
		t, msg := parseThreshold(item.Value)
		if msg != "" {
			p.errf(item, ip, "%s", msg)
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
		fields := p.mapping(item, ip, "kind", "start", "length", "value")
		if fields == nil {
			continue
		}
		var f Fault
		ok := true
		if v := p.required(item, fields, ip, "kind"); v != nil {
			k := p.str(v, ip+".kind")
			if k != "" && !slices.Contains(kinds, k) {
				p.errf(v, ip+".kind", "%q is not a fault kind%s (valid: %s)", k, didYouMean(k, kinds), strings.Join(kinds, ", "))
			}
			f.Kind = FaultKind(k)
		}
		if v := p.required(item, fields, ip, "start"); v != nil {
			var good bool
			f.Start, good = p.duration(v, ip+".start", MaxDuration)
			ok = ok && good
		} else {
			ok = false
		}
		if v := p.required(item, fields, ip, "length"); v != nil {
			var good bool
			f.Length, good = p.positiveDuration(v, ip+".length", MaxDuration)
			ok = ok && good
		} else {
			ok = false
		}
		v, hasValue := fields["value"]
		switch {
		case f.Kind == FaultLatency && !hasValue:
			p.errf(item, ip+".value", "missing (a latency fault needs the delay it adds, like value: 300ms)")
		case f.Kind == FaultLatency:
			f.Value, _ = p.positiveDuration(v, ip+".value", MaxFaultLatency)
		case hasValue && f.Kind != "":
			p.errf(v, ip+".value", "only a latency fault takes a value; a %s fault has none", f.Kind)
		}
		if ok && duration > 0 && f.End() > duration {
			p.errf(item, ip, "runs from %s to %s, past the end of duration (%s); faults must lie within duration", human(f.Start), human(f.End()), human(duration))
		}
		out = append(out, f)
	}
	return out
}

func (p *parser) deref(n *yaml.Node) *yaml.Node {
	for i := 0; n.Kind == yaml.AliasNode && n.Alias != nil && i < 100; i++ {
		n = n.Alias
	}
	return n
}

// num prints a number as written by hand: 10000, not 1e+04.
func num(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// describe names a scalar by its value and anything else by its kind.
func describe(n *yaml.Node) string {
	if n.Kind == yaml.ScalarNode && n.Tag != "!!null" {
		return n.Value
	}
	return kindName(n)
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch n.Tag {
		case "!!null":
			return "empty (null)"
		case "!!int", "!!float":
			return "a number"
		case "!!bool":
			return "a boolean"
		case "!!str":
			return "a string"
		}
		return "a " + strings.TrimPrefix(n.Tag, "!!")
	}
	return "empty"
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}
