package loadreport

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"github.com/hamsasim/hamsasim/internal/report"
	"github.com/hamsasim/hamsasim/internal/tty"
	"github.com/hamsasim/hamsasim/internal/yamlfile"
)

// Verdict is the one-line result of a run.
func Verdict(s *Summary) string {
	switch {
	case s.Interrupted:
		return "INTERRUPTED"
	case s.Passed:
		return "PASSED"
	}
	return "FAILED"
}

// WriteText writes the terminal summary: what ran, the thresholds, and the
// figures per event type. It is built from s alone, in memory first: on
// error nothing is written.
func WriteText(w io.Writer, s *Summary) error { return WriteTextColor(w, s, tty.Palette{}) }

// WriteTextColor is WriteText with the verdict, the thresholds' marks and
// the notes painted with pal (for a terminal).
func WriteTextColor(w io.Writer, s *Summary, pal tty.Palette) error {
	t := &textWriter{pal: pal}
	t.head(s)
	if err := t.typeTable(s); err != nil {
		return err
	}
	if len(s.Health) > 0 {
		t.p("\n")
		if err := report.WriteHealth(&t.b, s.Health); err != nil {
			return err
		}
	}
	if s.Capacity != nil {
		t.capacity(s.Capacity)
	}
	t.findings(s)
	t.p("\n%s\n", t.pal.Word(Verdict(s)))
	_, err := io.WriteString(w, t.b.String())
	return err
}

// textWriter builds the terminal summary.
type textWriter struct {
	b   strings.Builder
	pal tty.Palette
}

func (t *textWriter) p(format string, args ...any) { fmt.Fprintf(&t.b, format, args...) }

// head says what ran and the run's totals.
func (t *textWriter) head(s *Summary) {
	shard := ""
	if s.Merged > 0 {
		shard = fmt.Sprintf(", merged from %d shards", s.Merged)
	} else if s.Shard.Count > 1 {
		shard = fmt.Sprintf(", shard %d/%d", s.Shard.Index, s.Shard.Count)
	}
	t.p("hamsasim load: %s against %s (seed %d%s)\n", s.Scenario, s.Target, s.Seed, shard)
	t.p("  arrival %s, elapsed %s; calls: %d planned, %d started, %d completed, %d incomplete, %d out of order, at most %d in flight\n",
		yamlfile.ShortDuration(time.Duration(s.ArrivalMs)*time.Millisecond), yamlfile.ShortDuration((time.Duration(s.ElapsedMs) * time.Millisecond).Round(100*time.Millisecond)),
		s.Calls.Planned, s.Calls.Started, s.Calls.Completed, s.Calls.Incomplete, s.Calls.OutOfOrder, s.Calls.MaxInFlight)
	o := s.Overall
	t.p("  deliveries %d: %d acknowledged, %d failed, %d unsent; %d attempts (%d retries, %d timeouts, %d errors); duplicates %d sent, %d acknowledged; %d contract violations\n",
		o.Deliveries, o.Acked, o.Failed, o.Unsent, o.Attempts, o.Retries, o.Timeouts, o.Errors, o.Duplicates, o.DuplicatesAcked, o.ContractViolations)
	t.p("  throughput %.1f attempts/s, %.1f acknowledged/s; sent after due: p50 %s, p99 %s, max %s\n\n",
		o.AttemptsPerSec, o.AckedPerSec, report.Millis(s.Lag.P50), report.Millis(s.Lag.P99), report.Millis(s.Lag.Max))
}

// typeTable is one row per event type and one for all.
func (t *textWriter) typeTable(s *Summary) error {
	tw := tabwriter.NewWriter(&t.b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "  event type\tdeliveries\tacked\tattempts\ttimeouts\terrors\tp50\tp90\tp99\tmax\tstatus\t")
	row := func(name string, st Stats) {
		l := st.Latency
		fmt.Fprintf(tw, "  %s\t%d\t%d\t%d\t%d\t%d\t%s\t%s\t%s\t%s\t%s\t\n", name, st.Deliveries, st.Acked, st.Attempts, st.Timeouts, st.Errors,
			report.Millis(l.P50), report.Millis(l.P90), report.Millis(l.P99), report.Millis(l.Max), report.CountList(st.Status))
	}
	for _, ts := range s.PerType {
		row(ts.Type, ts.Stats)
	}
	row("all", s.Overall)
	return tw.Flush()
}

// capacity is the stages of a capacity search and what it found.
func (t *textWriter) capacity(c *Capacity) {
	warm := time.Duration(c.WarmupMs) * time.Millisecond
	t.p("\ncapacity search (each stage: %s warm-up, then %s judged at steady state; offered and achieved in events/s):\n", yamlfile.ShortDuration(warm), yamlfile.ShortDuration(time.Duration(c.StageMs)*time.Millisecond-warm))
	t.p("  %8s  %9s  %9s  %-19s  %-9s  %s\n", "calls/s", "offered", "achieved", "p50 early → late", "p99", "verdict")
	for _, st := range c.Stages {
		trend := "-"
		if st.P50Early > 0 || st.P50Late > 0 {
			trend = report.Millis(st.P50Early) + " → " + report.Millis(st.P50Late)
		}
		t.p("  %8s  %9s  %9s  %s  %-9s  %s\n", FormatRate(st.CallsPerSec), formatEvents(st.OfferedPerSec), formatEvents(st.EventsPerSec),
			padRight(trend, 19), report.Millis(st.P99), st.Verdict)
	}
	if c.Found {
		t.p("  capacity: %s; %s\n", c.Planning, c.Limit)
	} else {
		t.p("  capacity: no rate held; %s\n", c.Limit)
	}
	if c.GeneratorNote != "" {
		t.p("  note: %s\n", c.GeneratorNote)
	}
}

// findings are the thresholds, contract violations, notes, the end state,
// dead letters and why the run stopped early.
func (t *textWriter) findings(s *Summary) {
	if len(s.Thresholds) > 0 {
		t.p("\nthresholds:\n")
		for _, th := range s.Thresholds {
			mark := "ok  "
			switch {
			case th.NoData:
				mark = "n/a "
			case !th.Held:
				mark = "FAIL"
			}
			t.p("  %s %-32s got %s\n", t.pal.Word(mark), th.Threshold, th.GotText)
		}
	}
	for _, v := range s.Violations {
		t.p("\ncontract: %s answered %d: %s (%d times)", v.EventType, v.Status, v.Reason, v.Count)
	}
	if len(s.Violations) > 0 {
		t.p("\n")
	}
	for _, n := range s.Notes {
		t.p("\n%s: %s\n", t.pal.Word("note"), n)
	}
	t.p("\n%s\n", AuditLine(s.Audit))
	for _, pr := range s.Audit.Problems {
		t.p("  %s\n", pr)
	}
	if s.DeadLetters > 0 {
		t.p("\ndead letters: %d deliveries given up on (dead-letters.jsonl; send them again with 'hamsasim redeliver')\n", s.DeadLetters)
	}
	if s.StopReason != "" {
		t.p("\nstopped early: %s\n", s.StopReason)
	}
}

// AuditLine says the end state in one line: what the platform delivered
// and, when the probe API was asked, what the endpoint recorded.
func AuditLine(a Audit) string {
	line := fmt.Sprintf("end state: %d events acknowledged, %d dead-lettered, %d in flight", a.Acknowledged, a.DeadLettered, a.InFlight)
	if a.Probe == "" {
		return line + "; the endpoint's side was not checked (no --probe-url or --effects-db)"
	}
	line += fmt.Sprintf("; the endpoint recorded %d for the %d calls checked: %d lost, %d duplicated", a.Recorded, a.Checked, a.Lost, a.Duplicated)
	if a.NoEffects {
		line = strings.TrimSuffix(line, fmt.Sprintf(", %d duplicated", a.Duplicated)) + ", duplicates not checked (no effects column)"
	}
	if a.NotFound > 0 {
		line += fmt.Sprintf(", %d calls unknown to it", a.NotFound)
	}
	if a.Unchecked > 0 {
		line += fmt.Sprintf(", %d calls not checked", a.Unchecked)
	}
	return line
}

// FormatRate shows a rate of calls per second as the text report does: at
// most two decimals, trailing zeros trimmed ("2.5", "30").
func FormatRate(r float64) string {
	s := fmt.Sprintf("%.2f", r)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	return s
}

// padRight pads s with spaces to width runes.
func padRight(s string, width int) string {
	if n := utf8.RuneCountInString(s); n < width {
		return s + strings.Repeat(" ", width-n)
	}
	return s
}
