package loadreport

import (
	"fmt"
	"io"

	"github.com/hamsasim/hamsasim/internal/report"
)

// WriteJUnit writes one test case per threshold (a failure when it did not
// hold), plus one for the run itself when it was interrupted or ended early,
// so a CI system shows which limit broke and by how much.
func WriteJUnit(w io.Writer, s *Summary) error {
	secs := fmt.Sprintf("%.3f", float64(s.ElapsedMs)/1000)
	class := "hamsasim.load." + s.Scenario
	suite := report.JUnitSuite{Name: "load: " + s.Scenario, Time: secs}
	for _, t := range s.Thresholds {
		c := report.JUnitCase{Name: t.Threshold, Classname: class}
		switch {
		case t.NoData:
			c.Skipped = &report.JUnitResult{Message: "no data: nothing of this event type was sent"}
			suite.Skipped++
		case !t.Held:
			c.Failures = []report.JUnitResult{{
				Message: fmt.Sprintf("threshold %s did not hold: got %s", t.Threshold, t.GotText),
				Text:    fmt.Sprintf("%s\ngot: %s\ntarget: %s\n", t.Threshold, t.GotText, s.Target),
			}}
			suite.Failures++
		default:
			c.SystemOut = "got " + t.GotText
		}
		suite.Cases = append(suite.Cases, c)
	}
	if s.Interrupted || s.StopReason != "" {
		reason := s.StopReason
		if reason == "" {
			reason = "interrupted"
		}
		suite.Cases = append(suite.Cases, report.JUnitCase{Name: "run completed", Classname: class,
			Failures: []report.JUnitResult{{Message: "the run ended early: " + reason}}})
		suite.Failures++
	}
	if c := s.Capacity; c != nil {
		jc := report.JUnitCase{Name: "capacity found", Classname: class, SystemOut: c.Limit}
		if !c.Found {
			jc.Failures = []report.JUnitResult{{Message: "no rate held every threshold: " + c.Limit}}
			suite.Failures++
		}
		suite.Cases = append(suite.Cases, jc)
	}
	suite.Tests = len(suite.Cases)
	return report.EncodeJUnit(w, report.JUnitSuites{
		Name: "hamsasim load", Tests: suite.Tests, Failures: suite.Failures, Time: secs,
		Suites: []report.JUnitSuite{suite},
	})
}
