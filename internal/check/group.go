package check

import (
	"fmt"
	"strconv"
)

// MaxExamples is how many occurrences of a grouped finding keep their curl
// reproduction.
const MaxExamples = 3

// Group folds findings of the same check, probe, event type and cause into
// one, so a receiver that fails every event the same way gets one finding
// with its count, not one per event. The first finding of each group keeps
// its details (message, answer, reproduction); every occurrence is listed
// in Occurrences, the first MaxExamples with their curl command. Notes
// group by check alone. Groups keep
// the order of their first findings. Findings already grouped are merged.
func Group(fs []Finding) []Finding {
	type key struct{ check, probe, event, cause string }
	index := map[key]int{}
	var out []Finding
	for _, f := range fs {
		k := key{f.Check, f.Probe, f.Event, CauseOf(f)}
		if f.Severity == SeverityNote {
			// A note fails nothing: one line per check is enough.
			k = key{check: f.Check, probe: f.Probe}
		}
		occ := f.Occurrences
		if len(occ) == 0 {
			occ = []Occurrence{occurrence(f)}
		}
		i, seen := index[k]
		if !seen {
			index[k] = len(out)
			f.Cause = k.cause
			f.Occurrences = nil
			f.Count = 0
			out = append(out, f)
			i = len(out) - 1
		}
		g := &out[i]
		for _, o := range occ {
			if len(g.Occurrences) >= MaxExamples {
				o.Curl = ""
			}
			g.Occurrences = append(g.Occurrences, o)
		}
		g.Count = len(g.Occurrences)
	}
	for i := range out {
		if out[i].Count <= 1 {
			out[i].Count, out[i].Occurrences = 0, nil
		}
	}
	return out
}

// CauseOf is what tells findings of one check and event type apart: the
// finding's own Cause, else the answer's error class or status.
func CauseOf(f Finding) string {
	switch {
	case f.Cause != "":
		return f.Cause
	case f.ErrorClass != "":
		return f.ErrorClass
	case f.Status != 0:
		return "status " + strconv.Itoa(f.Status)
	}
	return ""
}

// The probes whose findings belong to the replay's calls rather than to a
// probe call of their own: the redelivery of a replayed event, and the
// end-state audit of the replayed calls.
const (
	ProbeRedelivery = "duplicate"
	ProbeEffects    = "effects"
)

// OwnProbe reports whether f arose from a probe's own request (a case of
// the probes' suite), not from a replayed call's event or audit.
func (f Finding) OwnProbe() bool {
	return f.Probe != "" && f.Probe != ProbeRedelivery && f.Probe != ProbeEffects
}

// Times returns how many occurrences a finding stands for: at least 1.
func (f Finding) Times() int { return max(f.Count, 1) }

// Occurs lists the occurrences a finding stands for: its Occurrences, or
// itself when it was not grouped.
func (f Finding) Occurs() []Occurrence {
	if len(f.Occurrences) > 0 {
		return f.Occurrences
	}
	return []Occurrence{occurrence(f)}
}

func occurrence(f Finding) Occurrence {
	o := Occurrence{Fixture: f.Fixture, CallID: f.CallID, Event: f.Event, Seq: f.Seq, Probe: f.Probe, Curl: f.Curl}
	switch {
	case f.CallID != "" && f.Probe == "":
		o.ID = fmt.Sprintf("%s#%d", f.CallID, f.Seq)
	case f.Probe != "" && f.CallID != "":
		o.ID = f.Probe + "@" + f.CallID
	case f.Probe != "":
		o.ID = f.Probe
	default:
		o.ID = f.Check
	}
	return o
}
