package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/hamsasim/hamsasim/internal/check"
	"github.com/hamsasim/hamsasim/internal/tty"
)

// WriteText writes the summary a person reads at the end of a run.
func WriteText(w io.Writer, r *Run) error { return WriteTextColor(w, r, tty.Palette{}) }

// WriteTextColor is WriteText with the verdicts, the calls' marks and the
// findings' severities painted with pal (for a terminal).
func WriteTextColor(w io.Writer, r *Run, pal tty.Palette) error {
	p := &printer{w: w, pal: pal}
	p.f("hamsasim %s against %s\n", r.Command, r.Target)
	p.f("contract %s (version %s), seed %d, calls starting %s\n\n", r.Contract, r.ContractVersion, r.Seed, r.Start)
	p.calls(r)
	if len(r.Probes) > 0 {
		p.probes(r.Probes)
	}
	if len(r.Notes) > 0 {
		p.f("\nnotes:\n")
		for _, n := range r.Notes {
			times := ""
			if n.Count > 1 {
				times = fmt.Sprintf(" (×%d)", n.Count)
			}
			p.f("  %s %-18s %s%s\n", p.pal.Word(fmt.Sprintf("%-7s", "note")), n.Check, n.Message, times)
		}
	}
	if len(r.Findings) > 0 {
		p.f("\nfindings:\n")
		for _, f := range r.Findings {
			p.finding(f)
		}
	}
	if len(r.Health) > 0 && p.err == nil {
		p.f("\n")
		if err := WriteHealth(p.w, r.Health); err != nil {
			p.err = err
		}
	}
	for _, h := range r.Hints {
		p.f("\nhint: %s\n", h)
	}
	if len(r.Bounds) > 0 {
		p.f("\nbounded: the run did less than the platform would, to end in time:\n")
		for _, b := range r.Bounds {
			p.f("  %s\n", b)
		}
	}
	p.f("\n%s: %d events sent, %d acknowledged, %d attempts", p.pal.Word(Verdict(r)), r.Deliveries, r.Acknowledged, r.Attempts)
	if r.NotSent > 0 {
		p.f(", %d not sent", r.NotSent)
	}
	p.f("; %d error%s, %d warning%s in %s\n", r.Summary.Errors, plural(r.Summary.Errors), r.Summary.Warnings, plural(r.Summary.Warnings), ms(r.DurationMs))
	return p.err
}

// calls writes a line a call: ok, FAIL (an error finding or an event not
// acknowledged) or -- (events not sent), its counts and its slowest answer.
func (p *printer) calls(r *Run) {
	width := 0
	for _, c := range r.Calls {
		width = max(width, len(c.Fixture))
	}
	for _, c := range r.Calls {
		mark := "ok  "
		errs := 0
		for _, f := range r.Findings {
			if f.Severity != check.SeverityError {
				continue
			}
			for _, o := range f.Occurs() {
				if o.Fixture == c.Fixture {
					errs++
				}
			}
		}
		if errs > 0 || c.Acked < c.Sent {
			mark = "FAIL"
		}
		if c.Sent < c.Events {
			mark = "--  "
		}
		var maxLat int64
		for _, d := range c.Deliveries {
			maxLat = max(maxLat, d.LatencyMs)
		}
		p.f("  %s %-*s  %4d events  %4d acknowledged  slowest %s", p.pal.Word(mark), width, c.Fixture, c.Events, c.Acked, ms(maxLat))
		if c.Sent < c.Events {
			p.f("  (%d not sent)", c.Events-c.Sent)
		}
		p.f("\n")
	}
}

// probes writes how many probes passed, failed and were not judged.
func (p *printer) probes(probes []ProbeResult) {
	var passed, failed, skipped int
	for _, pr := range probes {
		switch {
		case pr.Skipped != "":
			skipped++
		case pr.Passed:
			passed++
		default:
			failed++
		}
	}
	p.f("\n  probes: %d sent, %d passed, %d failed, %d not judged\n", len(probes), passed, failed, skipped)
}

// finding writes one finding: where it arose (probe, event or the run)
// and how often, its message, the answer's excerpt, a curl command short
// enough to read on a terminal, and for a grouped finding the next
// examples.
func (p *printer) finding(f check.Finding) {
	where := f.Fixture
	switch {
	case f.OwnProbe():
		where = "probe " + f.Probe
		if f.Event != "" {
			where += " " + f.Event
		}
	case f.Event != "" && f.Count > 1:
		where = f.Event
	case f.Event != "" && f.Probe == check.ProbeEffects:
		where += " " + f.Event
	case f.Event != "":
		where += fmt.Sprintf(" %s #%d (+%s)", f.Event, f.Seq, f.Offset)
	}
	if where == "" {
		where = "run"
	}
	if f.Count > 1 {
		where += fmt.Sprintf("  ×%d", f.Count)
	}
	p.f("  %s %-18s %s\n", p.pal.Word(fmt.Sprintf("%-7s", f.Severity)), f.Check, strings.TrimSpace(where))
	p.f("          %s\n", f.Message)
	if f.Excerpt != "" {
		p.f("          answer: %s\n", f.Excerpt)
	}
	if f.Curl != "" && len(f.Curl) <= 400 {
		p.f("          reproduce: %s\n", f.Curl)
	} else if f.Curl != "" {
		p.f("          reproduce: see the JSON report (--json)\n")
	}
	if f.Count > 1 {
		var ids []string
		for i, o := range f.Occurrences {
			if i == check.MaxExamples {
				break
			}
			id := o.ID // a probe's: probe@callId
			switch {
			case o.Fixture != "" && (o.Probe == "" || o.Probe == check.ProbeRedelivery):
				id = fmt.Sprintf("%s #%d", o.Fixture, o.Seq)
			case o.Probe == check.ProbeEffects:
				id = fmt.Sprintf("%s call %s", o.Fixture, o.CallID)
			}
			ids = append(ids, id)
		}
		more := ""
		if f.Count > len(ids) {
			more = fmt.Sprintf(" and %d more (all in the JSON report)", f.Count-len(ids))
		}
		p.f("          %d occurrences: %s%s\n", f.Count, strings.Join(ids, ", "), more)
	}
}

type printer struct {
	w   io.Writer
	pal tty.Palette
	err error
}

func (p *printer) f(format string, args ...any) {
	if p.err == nil {
		_, p.err = fmt.Fprintf(p.w, format, args...)
	}
}

func ms(v int64) string {
	if v >= 1000 {
		return fmt.Sprintf("%.1f s", float64(v)/1000)
	}
	return fmt.Sprintf("%d ms", v)
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// Verdict is the run's one-word outcome.
func Verdict(r *Run) string {
	switch {
	case r.Interrupted:
		return "INTERRUPTED"
	case r.Passed:
		return "PASSED"
	}
	return "FAILED"
}
