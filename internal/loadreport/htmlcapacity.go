package loadreport

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/hamsasim/hamsasim/internal/chart"
)

// The capacity section: the stages on the time charts, the knee charts
// and the stage tables.

type htmlCapacity struct {
	Sentence      string
	Planning      string
	Found         bool
	Limit         string
	GeneratorNote string
	StageLen      string
	StagesNote    string
	KneeRate      *chart.Chart
	KneeP99       *chart.Chart
	Stages        []htmlStage
}

type htmlStage struct {
	N                                  int
	Calls, Offered, Achieved, P50, P99 string
	Trend, Success, Timeouts, Window   string
	Held, Saturated, Growing           bool
	Verdict                            string
	Types                              []htmlTypeRow
}

func newHTMLCapacity(s *Summary) *htmlCapacity {
	c := s.Capacity
	v := &htmlCapacity{Found: c.Found, Limit: c.Limit, GeneratorNote: c.GeneratorNote, Planning: c.Planning}
	v.Sentence = capacitySentence(c)
	if c.StageMs > 0 {
		v.StageLen = showDur(c.StageMs)
		if c.WarmupMs > 0 {
			v.StageLen += ", the first " + showDur(c.WarmupMs) + " of it warm-up, not judged"
		}
	}
	for i, st := range c.Stages {
		v.Stages = append(v.Stages, newHTMLStage(i+1, st))
	}
	v.StagesNote = fmt.Sprintf("Figures of each stage's judged window (after its warm-up), in the order the stages ran. "+
		"Achieved in red: saturated, more than %d %% under offered. ↑: p50 kept rising through the window, a queue building up.", SaturationPct)
	v.KneeRate = kneeRateChart(c)
	v.KneeP99 = kneeP99Chart(s)
	return v
}

func capacitySentence(c *Capacity) string {
	if !c.Found {
		if c.BrokenAt > 0 {
			return "No rate held: even " + chart.Num(c.BrokenAt) + " calls/s broke a threshold"
		}
		return "No rate held"
	}
	out := fmt.Sprintf("Highest rate that held: %s calls/s (%s events/s)", chart.Num(c.CallsPerSec), chart.Num(c.EventsPerSec))
	if c.BrokenAt > 0 {
		return out + "; broke at " + chart.Num(c.BrokenAt) + " calls/s"
	}
	return out + "; no rate tried broke a threshold"
}

func newHTMLStage(n int, st Stage) htmlStage {
	h := htmlStage{
		N: n, Calls: chart.Num(st.CallsPerSec), Offered: chart.Num(st.OfferedPerSec), Achieved: chart.Num(st.EventsPerSec),
		P50: chart.Ms(st.P50), P99: chart.Ms(st.P99), Success: chart.Pct(st.SuccessPct), Timeouts: chart.Int(st.Timeouts),
		Held: st.Held, Saturated: st.Saturated, Growing: st.Growing, Verdict: st.Verdict,
	}
	if st.OfferedPerSec == 0 {
		h.Offered = "—" // not recorded by an older summary
	}
	if st.P50Early > 0 || st.P50Late > 0 {
		h.Trend = chart.Ms(st.P50Early) + " → " + chart.Ms(st.P50Late)
	}
	if st.EndMs > st.StartMs {
		h.Window = showDur(st.StartMs+st.WarmupMs) + "–" + showDur(st.EndMs)
	}
	if h.Verdict == "" {
		h.Verdict = "held"
		if !st.Held {
			h.Verdict = strings.TrimSpace("broke " + strings.Join(st.Broken, ", "))
		}
	}
	for _, t := range st.PerType {
		h.Types = append(h.Types, newHTMLTypeRow(t.Type, t.Stats))
	}
	return h
}

// stageBands mark each stage of a capacity search on the time charts: a
// line at its start with its rate and verdict, its warm-up shaded grey and
// its judged window green (held) or red (broke).
func stageBands(c *Capacity) []chart.Band {
	if c == nil {
		return nil
	}
	var out []chart.Band
	for _, st := range c.Stages {
		if st.EndMs <= st.StartMs {
			continue // an older summary does not place its stages
		}
		warm := st.WarmupMs
		if warm == 0 {
			warm = c.WarmupMs
		}
		from, judged, to := chart.Value(float64(st.StartMs)/1000), chart.Value(float64(min(st.StartMs+warm, st.EndMs))/1000), chart.Value(float64(st.EndMs)/1000)
		label, tint := chart.Num(st.CallsPerSec)+" calls/s held", "rgba(46,125,50,0.09)"
		if !st.Held {
			label, tint = chart.Num(st.CallsPerSec)+" calls/s broke", "rgba(198,40,40,0.09)"
		}
		out = append(out,
			chart.Band{From: from, To: judged, Color: "rgba(107,116,128,0.12)"},
			chart.Band{From: judged, To: to, Color: tint},
			chart.Band{From: from, To: to, Label: label, Edge: true},
		)
	}
	return out
}

// kneeStage is a stage placed on the knee charts' x axis.
type kneeStage struct {
	Stage
	n int     // its place in run order, from 1
	x float64 // offered events/s, or calls/s in an older summary
}

// kneeX places the stages by the event rate offered, sorted. An older
// summary without the offered rate places them by calls/s times the mix's
// events per call, or by calls/s alone (byCalls).
func kneeX(c *Capacity) (stages []kneeStage, byCalls bool) {
	recorded := slices.ContainsFunc(c.Stages, func(st Stage) bool { return st.OfferedPerSec > 0 })
	byCalls = !recorded && !(c.EventsPerCall > 0)
	for i, st := range c.Stages {
		x := st.OfferedPerSec
		switch {
		case byCalls:
			x = st.CallsPerSec
		case !recorded:
			x = st.CallsPerSec * c.EventsPerCall
		}
		if chart.Finite(x) && x >= 0 {
			stages = append(stages, kneeStage{Stage: st, n: i + 1, x: x})
		}
	}
	slices.SortStableFunc(stages, func(a, b kneeStage) int { return cmp.Compare(a.x, b.x) })
	return stages, byCalls
}

// newKneeChart is a chart over the stages by offered rate: x starts at 0
// and each stage is named in the legend.
func newKneeChart(id, title string, y chart.Axis, c *Capacity) (*chart.Chart, []kneeStage, bool) {
	stages, byCalls := kneeX(c)
	ch := &chart.Chart{
		ID: id, Title: title, Height: 300, Y: y,
		X:  chart.Axis{Label: "offered events/s", Unit: chart.UnitRate},
		Xs: []chart.Value{0}, XNames: []string{"0"},
	}
	if byCalls {
		ch.X = chart.Axis{Label: "offered calls/s (events/s not recorded)", Unit: chart.UnitRate}
	}
	if len(stages) == 0 {
		ch.Empty = "No stage ran."
	}
	for _, st := range stages {
		ch.Xs = append(ch.Xs, chart.Value(st.x))
		verdict := "held"
		if !st.Held {
			verdict = "broke"
		}
		ch.XNames = append(ch.XNames, fmt.Sprintf("%s/s offered · stage %d, %s calls/s, %s", chart.Num(st.x), st.n, chart.Num(st.CallsPerSec), verdict))
	}
	return ch, stages, byCalls
}

// kneeSeries are f of each stage: a grey line through them all, and
// markers for those that held and those that broke.
func kneeSeries(name string, stages []kneeStage, f func(Stage) float64) []chart.Series {
	line := chart.Series{Label: name, Color: chartColorBound, Width: 1.5, Join: true, Y: []chart.Value{chart.Gap}}
	held := chart.Series{Label: name + ", held", Color: chartColorHeld, Points: true, Y: []chart.Value{chart.Gap}}
	broke := chart.Series{Label: name + ", broke", Color: chartColorBroke, Points: true, Y: []chart.Value{chart.Gap}}
	for _, st := range stages {
		v := chart.Value(f(st.Stage))
		line.Y = append(line.Y, v)
		if st.Held {
			held.Y, broke.Y = append(held.Y, v), append(broke.Y, chart.Gap)
		} else {
			held.Y, broke.Y = append(held.Y, chart.Gap), append(broke.Y, v)
		}
	}
	return []chart.Series{line, held, broke}
}

// kneeRateChart is achieved against offered events/s per stage, with the
// line where they are equal and the one SaturationPct below it: a stage
// under that line is saturated.
func kneeRateChart(c *Capacity) *chart.Chart {
	ch, stages, byCalls := newKneeChart("knee-rate", "Knee: achieved vs offered rate",
		chart.Axis{Label: "achieved events/s", Unit: chart.UnitRate}, c)
	ch.Note = fmt.Sprintf("One point per stage, on its judged window. Below the dashed orange line "+
		"(achieved %d %% under offered) a stage is saturated: the target no longer keeps up.", SaturationPct)
	ch.Series = kneeSeries("achieved", stages, func(st Stage) float64 { return st.EventsPerSec })
	if !byCalls {
		diag := chart.Series{Label: "achieved = offered", Color: chartColorAll, Dash: true, Width: 1}
		sat := chart.Series{Label: fmt.Sprintf("−%d %%: saturated below", SaturationPct), Color: chartColorP99, Dash: true, Width: 1.5}
		for _, x := range ch.Xs {
			diag.Y = append(diag.Y, x)
			sat.Y = append(sat.Y, x*(1-SaturationPct/100.0))
		}
		ch.Series = append(ch.Series, diag, sat)
	} else {
		ch.Note = "One point per stage, on its judged window. This summary does not record the offered event rate: x is the call rate."
	}
	ch.Finish("No stage ran.")
	return ch
}

// kneeP99Chart is the stages' p99 and p50 against the offered rate, with
// the latency thresholds on all event types and the answer budget.
func kneeP99Chart(s *Summary) *chart.Chart {
	ch, stages, _ := newKneeChart("knee-latency", "Knee: p99 vs offered rate",
		chart.Axis{Label: "latency", Unit: chart.UnitMs}, s.Capacity)
	ch.Note = "p99 and p50 (dashed) of each stage's judged window; green held, red broke."
	ch.Series = kneeSeries("p99", stages, func(st Stage) float64 { return st.P99 })
	p50 := chart.Series{Label: "p50", Color: chartColorP50, Dash: true, Width: 1.5, Join: true, Y: []chart.Value{chart.Gap}}
	for _, st := range stages {
		p50.Y = append(p50.Y, chart.Value(st.P50))
	}
	ch.Series = append(ch.Series, p50)
	ch.Lines = latencyLines(s, func(t ThresholdResult) bool { return t.EventType == "" })
	logIfWide(ch)
	ch.Finish("No stage ran.")
	return ch
}
