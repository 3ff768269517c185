package report

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"

	"github.com/hamsasim/hamsasim/internal/check"
)

// JUnitSuites is a JUnit XML document, as CI systems read it. Every
// hamsasim command that writes JUnit builds one and calls EncodeJUnit.
type JUnitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []JUnitSuite `xml:"testsuite"`
}

// JUnitSuite is one <testsuite>.
type JUnitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Skipped  int         `xml:"skipped,attr"`
	Time     string      `xml:"time,attr,omitempty"`
	Cases    []JUnitCase `xml:"testcase"`
}

// JUnitCase is one <testcase>: at most one failure, as CI parsers expect.
type JUnitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr,omitempty"`
	Failures  []JUnitResult `xml:"failure,omitempty"`
	Skipped   *JUnitResult  `xml:"skipped,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

// JUnitResult is a <failure> or <skipped>.
type JUnitResult struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr,omitempty"`
	Text    string `xml:",chardata"`
}

// WriteJUnit writes the run as JUnit XML: one suite per fixture, one test
// case per event. Errors (and warnings under --strict) are failures; other
// warnings go to the case's system-out. Findings not tied to an event form
// a suite of their own.
func WriteJUnit(w io.Writer, r *Run) error {
	byEvent, byProbe, general := groupFindings(r.Findings)
	out := JUnitSuites{Name: "hamsasim " + r.Command, Time: secs(r.DurationMs)}
	for _, c := range r.Calls {
		out.Suites = append(out.Suites, r.callSuite(c, byEvent))
	}
	if len(r.Probes) > 0 {
		out.Suites = append(out.Suites, r.probeSuite(byProbe))
		for _, fs := range byProbe {
			general = append(general, fs...)
		}
	}
	check.Sort(general)
	if len(general) > 0 || len(r.Bounds) > 0 {
		s := JUnitSuite{Name: "run"}
		for _, f := range general {
			jc := JUnitCase{Name: f.Check, Classname: "simulate.run", Time: "0.000"}
			r.addFindings(&jc, []check.Finding{f})
			s.Cases = append(s.Cases, jc)
		}
		for _, b := range r.Bounds {
			// The run did less than the platform would: said where CI shows it.
			s.Cases = append(s.Cases, JUnitCase{Name: "bounded", Classname: "simulate.run", Time: "0.000",
				Skipped: &JUnitResult{Message: b}})
			s.Skipped++
		}
		s.tally()
		out.Suites = append(out.Suites, s)
	}
	for _, s := range out.Suites {
		out.Tests += s.Tests
		out.Failures += s.Failures
	}
	return EncodeJUnit(w, out)
}

// groupFindings sorts findings into those of an event (keyed
// "fixture#seq"), those of a probe (keyed "probe|event") and the rest,
// which belong to the run as a whole. A grouped finding counts for each of
// its occurrences, so every event it stands for fails its own case.
func groupFindings(findings []check.Finding) (byEvent, byProbe map[string][]check.Finding, general []check.Finding) {
	byEvent = map[string][]check.Finding{}
	byProbe = map[string][]check.Finding{}
	for _, g := range findings {
		occ := g.Occurs()
		for i, o := range occ {
			f := g
			f.Fixture, f.CallID, f.Event, f.Seq, f.Probe = o.Fixture, o.CallID, o.Event, o.Seq, o.Probe
			f.Occurrences, f.Count = nil, 0
			if i > 0 {
				f.Curl = o.Curl // the group's message, answer and status stand for each
			}
			switch {
			case f.OwnProbe():
				k := f.Probe + "|" + f.Event
				byProbe[k] = append(byProbe[k], f)
			case f.Fixture == "" || f.Event == "" || f.Probe == check.ProbeEffects:
				if i == 0 {
					general = append(general, g)
				}
			default:
				k := fmt.Sprintf("%s#%d", f.Fixture, f.Seq)
				byEvent[k] = append(byEvent[k], f)
			}
		}
	}
	return byEvent, byProbe, general
}

// callSuite is a call's suite: a case per event delivered, with its
// findings, then a skipped case per event the run did not send.
func (r *Run) callSuite(c Call, byEvent map[string][]check.Finding) JUnitSuite {
	s := JUnitSuite{Name: c.Fixture}
	for _, d := range c.Deliveries {
		jc := JUnitCase{
			Name:      fmt.Sprintf("%03d %s +%s", d.Seq, d.Event, d.Offset),
			Classname: "simulate." + c.Fixture,
			Time:      secs(d.LatencyMs),
		}
		r.addFindings(&jc, byEvent[fmt.Sprintf("%s#%d", c.Fixture, d.Seq)])
		s.Cases = append(s.Cases, jc)
	}
	for i := len(c.Deliveries); i < c.Events; i++ {
		s.Cases = append(s.Cases, JUnitCase{
			Name: fmt.Sprintf("%03d (not sent)", i), Classname: "simulate." + c.Fixture, Time: "0.000",
			Skipped: &JUnitResult{Message: "not sent: the run stopped before this event"},
		})
		s.Skipped++
	}
	s.tally()
	return s
}

// probeSuite is the probes' suite, a case per probe request. It deletes
// from byProbe the findings it attaches; those left belong to the run.
func (r *Run) probeSuite(byProbe map[string][]check.Finding) JUnitSuite {
	s := JUnitSuite{Name: "probes"}
	for i, pr := range r.Probes {
		name := fmt.Sprintf("%03d %s", i, pr.Probe)
		if pr.Event != "" {
			name += " " + pr.Event
		}
		jc := JUnitCase{Name: name, Classname: "simulate.probes", Time: secs(pr.LatencyMs)}
		k := pr.Probe + "|" + pr.Event
		if !pr.Passed || (pr.Skipped == "" && len(byProbe[k]) > 0) {
			r.addFindings(&jc, byProbe[k])
			delete(byProbe, k) // attach a probe's findings to its first request only
		}
		if pr.Skipped != "" {
			jc.Skipped = &JUnitResult{Message: pr.Skipped}
			s.Skipped++
		}
		s.Cases = append(s.Cases, jc)
	}
	s.tally()
	return s
}

// EncodeJUnit writes doc with the XML header, indented.
func EncodeJUnit(w io.Writer, doc JUnitSuites) error {
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// addFindings attaches findings to a test case: those that fail it as one
// <failure> (CI parsers expect at most one per case), the rest as output.
func (r *Run) addFindings(jc *JUnitCase, fs []check.Finding) {
	var notes, texts []string
	var first *check.Finding
	for i, f := range fs {
		text := findingText(f)
		if f.Severity == check.SeverityError || (r.Strict && f.Severity == check.SeverityWarning) {
			if first == nil {
				first = &fs[i]
			}
			texts = append(texts, f.Check+": "+text)
			continue
		}
		notes = append(notes, string(f.Severity)+" "+f.Check+": "+text)
	}
	if first != nil {
		msg := first.Check + ": " + first.Message
		if len(texts) > 1 {
			msg += fmt.Sprintf(" (and %d more findings)", len(texts)-1)
		}
		jc.Failures = []JUnitResult{{Message: msg, Type: first.Check, Text: strings.Join(texts, "\n\n")}}
	}
	jc.SystemOut = strings.Join(notes, "\n")
}

func (s *JUnitSuite) tally() {
	s.Tests = len(s.Cases)
	for _, c := range s.Cases {
		if len(c.Failures) > 0 {
			s.Failures++
		}
	}
}

func findingText(f check.Finding) string {
	var b strings.Builder
	b.WriteString(f.Message)
	if f.CallID != "" {
		fmt.Fprintf(&b, "\ncallId: %s", f.CallID)
	}
	if f.Status != 0 || f.ErrorClass != "" {
		fmt.Fprintf(&b, "\nstatus: %d  latency: %d ms", f.Status, f.LatencyMs)
		if f.ErrorClass != "" {
			fmt.Fprintf(&b, "  error: %s", f.ErrorClass)
		}
	}
	if f.Excerpt != "" {
		fmt.Fprintf(&b, "\nanswer: %s", f.Excerpt)
	}
	return b.String()
}

func secs(ms int64) string { return fmt.Sprintf("%.3f", float64(ms)/1000) }
