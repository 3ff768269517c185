package scenario

// Parsing of the arrival section: constant, ramp and steps.

import (
	"fmt"
	"strings"
	"time"

	"github.com/hamsasim/hamsasim/internal/yamlfile"
	yaml "go.yaml.in/yaml/v3"
)

func (p *parser) arrival(n *yaml.Node, duration time.Duration) Arrival {
	var a Arrival
	kinds := []string{string(ArrivalConstant), string(ArrivalRamp), string(ArrivalSteps)}
	fields := p.Mapping(n, "arrival", kinds...)
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
		p.Errf(n, "arrival", "needs one of %s", arrivalKindsSentence)
		return a
	case 1:
	default:
		p.Errf(n, "arrival", "gives %s: choose exactly one of %s", strings.Join(given, " and "), arrivalKindsSentence)
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
	fields := p.Mapping(n, "arrival.ramp", "from", "to", "over")
	if fields == nil {
		return r
	}
	if v := p.Required(n, fields, "arrival.ramp", "from"); v != nil {
		r.From, _ = p.rate(v, "arrival.ramp.from", true)
	}
	if v := p.Required(n, fields, "arrival.ramp", "to"); v != nil {
		r.To, _ = p.rate(v, "arrival.ramp.to", false)
	}
	if v := p.Required(n, fields, "arrival.ramp", "over"); v != nil {
		var ok bool
		r.Over, ok = p.positiveDuration(v, "arrival.ramp.over", MaxDuration)
		if ok && duration > 0 && r.Over > duration {
			p.Errf(v, "arrival.ramp.over", "%s is longer than duration (%s): the ramp would not reach %s", yamlfile.ShortDuration(r.Over), yamlfile.ShortDuration(duration), num(r.To))
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
		p.Errf(n, "arrival.steps", "must hold at least one step like {rate: 2, for: 1m}")
		return nil
	}
	out := make([]Step, 0, len(items))
	var total time.Duration
	anyCalls, overrun, before := false, false, len(p.Errs)
	for i, item := range items {
		ip := fmt.Sprintf("arrival.steps[%d]", i)
		fields := p.Mapping(item, ip, "rate", "for")
		if fields == nil {
			continue
		}
		var st Step
		if v := p.Required(item, fields, ip, "rate"); v != nil {
			st.Rate, _ = p.rate(v, ip+".rate", true)
			anyCalls = anyCalls || st.Rate > 0
		}
		if v := p.Required(item, fields, ip, "for"); v != nil {
			var ok bool
			st.For, ok = p.positiveDuration(v, ip+".for", MaxDuration)
			total += st.For
			if ok && duration > 0 && total > duration && !overrun {
				overrun = true
				p.Errf(v, ip+".for", "the steps so far add up to %s, longer than duration (%s)", yamlfile.ShortDuration(total), yamlfile.ShortDuration(duration))
			}
		}
		out = append(out, st)
	}
	if len(p.Errs) == before && !anyCalls {
		p.Errf(n, "arrival.steps", "every rate is 0, so no call would start")
	}
	return out
}
