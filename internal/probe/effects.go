package probe

import (
	"context"
	"fmt"
	"time"

	"github.com/hamsasim/hamsasim/internal/check"
	"github.com/hamsasim/hamsasim/internal/event"
)

// CallRecord is what the endpoint recorded for one call: per event type,
// the distinct events stored and the times processing took effect, and how
// many events still wait to be processed. The probe API answers it as JSON
// (GET {probe}/calls/{callId}); a database query returns it a row per event
// type.
type CallRecord struct {
	Events  map[string]int `json:"events"`
	Effects map[string]int `json:"effects"`
	Pending int            `json:"pending"`
	// NoEffects: the source does not say what took effect (a query
	// without an effects column): only lost events are judged.
	NoEffects bool `json:"-"`
	// NoPending: the source does not say what is pending (a query without
	// a pending column): hamsasim waits, up to EffectsWait, for effects
	// to catch up with the events stored.
	NoPending bool `json:"-"`
}

// waiting reports whether the endpoint still has work to do for the call,
// as far as the record tells.
func (r *CallRecord) waiting() bool {
	if r.Pending > 0 {
		return true
	}
	if !r.NoPending || r.NoEffects {
		return false
	}
	for t, n := range r.Events {
		if r.Effects[t] < n {
			return true
		}
	}
	return false
}

// EffectsWait bounds how long Effects waits for the target to finish processing.
const EffectsWait = 10 * time.Second

// Effects reads what each call recorded and compares it with what the
// replay saw acknowledged: event.lost where an event type has fewer events
// stored than were acknowledged (the receiver acknowledged and dropped
// them), duplicate.effect where processing took effect more often than
// events were stored (a redelivery was processed again). A call the
// endpoint has no record of recorded nothing. Findings are one per call
// and event type.
func Effects(ctx context.Context, recs Records, calls []Expected) ([]check.Finding, []Result) {
	var findings []check.Finding
	var results []Result
	deadline := time.Now().Add(EffectsWait)
	for _, c := range calls {
		rd := readCall(ctx, recs, c.CallID, deadline)
		res := Result{Probe: check.ProbeEffects, Check: check.EventLost, Status: rd.Status, LatencyMs: rd.Latency.Milliseconds(), ErrorClass: string(rd.Class), Passed: true}
		if rd.Err != nil {
			f := check.New(check.EventLost, fmt.Sprintf("what the receiver recorded could not be checked: %s; %s", rd.Err, recs.Hint()))
			f.Probe, f.CallID, f.Status, f.Request, f.Cause = check.ProbeEffects, c.CallID, rd.Status, rd.Request, "unreadable"
			findings = append(findings, f)
			res.Passed = false
			results = append(results, res)
			continue
		}
		for _, t := range diff(&c, &rd.Record) {
			res.Passed = false
			id := check.DuplicateEffect
			switch t.kind {
			case diffLost, diffUnprocessed, diffPending:
				id = check.EventLost
			}
			msg := fmt.Sprintf("call %s: %s", c.CallID, t)
			switch t.kind {
			case diffLost:
				msg += ": the receiver acknowledged events it did not keep"
			case diffDuplicated:
				msg += ": redeliveries were processed again"
			}
			if !rd.Found {
				msg += fmt.Sprintf(" (%s %s, no record of the call; if there is none for any call, %s)", rd.Request, rd.Absent, recs.Hint())
			}
			f := check.New(id, msg)
			f.Probe, f.CallID, f.Event, f.Status, f.Request = check.ProbeEffects, c.CallID, t.typ, rd.Status, rd.Request
			f.Cause = [...]string{"lost", "unprocessed", "pending", "duplicated"}[t.kind]
			findings = append(findings, f)
		}
		results = append(results, res)
	}
	return findings, results
}

// diffKind says how a call's record and what was sent disagree.
type diffKind int

const (
	diffLost        diffKind = iota // fewer events stored than acknowledged
	diffUnprocessed                 // stored, nothing pending, fewer effects than events
	diffPending                     // events still pending when the wait ended: not judged
	diffDuplicated                  // more effects than events stored
)

// typeDiff is one way one event type of a call disagrees with what was
// sent; a type can disagree in several ways.
type typeDiff struct {
	typ                    string
	kind                   diffKind
	acked, stored, effects int
	pending                int
}

// missing is how many events a lost or unprocessed diff stands for.
func (d typeDiff) missing() int {
	if d.kind == diffUnprocessed {
		return d.stored - d.effects
	}
	return d.acked - d.stored
}

// extra is how many effects a duplicated diff stands for.
func (d typeDiff) extra() int { return d.effects - d.stored }

func (d typeDiff) String() string {
	switch d.kind {
	case diffLost:
		return fmt.Sprintf("%s %d acknowledged, %d recorded", d.typ, d.acked, d.stored)
	case diffUnprocessed:
		return fmt.Sprintf("%s %s stored, %d took effect, none pending: processing failed after the acknowledgement", d.typ, plural(d.stored, "event"), d.effects)
	case diffPending:
		return fmt.Sprintf("%d events still pending after %s, so what took effect could not be judged", d.pending, EffectsWait)
	}
	return fmt.Sprintf("%s took effect %d times for %s", d.typ, d.effects, plural(d.stored, "event"))
}

// diff compares one call's record with what was sent and acknowledged for
// it. A record with events still pending is judged on what was stored, and
// its effects are not judged: one diffPending says so. Stored events are
// not compared with the distinct events sent: a call id repeats when a run
// is replayed with its seed against a receiver that kept the earlier run's
// events (under other timestamps), so more stored than sent proves nothing.
func diff(c *Expected, rec *CallRecord) []typeDiff {
	var out []typeDiff
	for i, t := range event.Types {
		if i >= MaxTypes {
			break
		}
		d := typeDiff{typ: t, acked: int(c.Acked[i]), stored: rec.Events[t], effects: rec.Effects[t]}
		add := func(k diffKind) { d.kind = k; out = append(out, d) }
		if d.acked > d.stored {
			add(diffLost)
		}
		if rec.NoEffects {
			continue
		}
		if d.effects > d.stored {
			add(diffDuplicated)
		} else if rec.Pending == 0 && d.effects < min(d.stored, d.acked) {
			add(diffUnprocessed)
		}
	}
	if rec.Pending > 0 {
		out = append(out, typeDiff{kind: diffPending, pending: rec.Pending})
	}
	return out
}
