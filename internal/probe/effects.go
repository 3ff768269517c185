package probe

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/hamsasim/hamsasim/internal/check"
	"github.com/hamsasim/hamsasim/internal/deliver"
	"github.com/hamsasim/hamsasim/internal/event"
	"github.com/hamsasim/hamsasim/internal/report"
)

// CallRecord is the part of the probe API's answer (GET {probe}/calls/{callId})
// hamsasim reads: per event type, the distinct events stored and the times
// processing took effect, and how many events still wait to be processed.
type CallRecord struct {
	Events  map[string]int `json:"events"`
	Effects map[string]int `json:"effects"`
	Pending int            `json:"pending"`
}

// EffectsWait bounds how long Effects waits for the target to finish processing.
const EffectsWait = 10 * time.Second

// Effects asks the probe API what each call recorded and compares it with
// what the replay saw acknowledged: event.lost where an event type has
// fewer events stored than were acknowledged (the receiver acknowledged
// and dropped them), duplicate.effect where processing took effect more
// often than events were stored (a redelivery was processed again). A call
// the probe API answers 404 for recorded nothing. Findings are one per
// call and event type.
func Effects(ctx context.Context, d *deliver.Deliverer, probeURL string, calls []Expected) ([]check.Finding, []Result) {
	var findings []check.Finding
	var results []Result
	base, err := url.Parse(probeURL)
	if err != nil {
		base = &url.URL{}
	}
	deadline := time.Now().Add(EffectsWait)
	hint := "check --probe-url: it is the base URL the probe API answers GET /calls/{callId} under"
	if strings.HasSuffix(strings.TrimRight(base.Path, "/"), "/webhook") {
		hint = "--probe-url ends in /webhook: give the base URL (without /webhook); hamsasim adds /calls/{callId}"
	}
	for _, c := range calls {
		// JoinPath keeps a query (a token, say) where it belongs; reports show
		// the URL redacted.
		target := base.JoinPath("calls", c.CallID).String()
		shown := report.RedactURL(target)
		rec, a, err := readCall(ctx, d, target, shown, deadline)
		res := Result{Probe: check.ProbeEffects, Check: check.EventLost, Status: a.Status, LatencyMs: a.Latency.Milliseconds(), ErrorClass: string(a.Class), Passed: true}
		none := err != nil && a.Status == http.StatusNotFound
		if none {
			rec, err = &CallRecord{}, nil
		}
		if err != nil {
			f := check.New(check.EventLost, fmt.Sprintf("what the receiver recorded could not be checked: %s; %s", err, hint))
			f.Probe, f.CallID, f.Status, f.Request, f.Cause = check.ProbeEffects, c.CallID, a.Status, "GET "+shown, "unreadable"
			findings = append(findings, f)
			res.Passed = false
			results = append(results, res)
			continue
		}
		for _, t := range diff(&c, rec) {
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
			if none {
				msg += fmt.Sprintf(" (GET %s answered 404, no record of the call; if it answers 404 for every call, %s)", shown, hint)
			}
			f := check.New(id, msg)
			f.Probe, f.CallID, f.Event, f.Status, f.Request = check.ProbeEffects, c.CallID, t.typ, a.Status, "GET "+shown
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

// readCall reads one call record, waiting (until deadline) for the target
// to process everything it stored.
func readCall(ctx context.Context, d *deliver.Deliverer, target, shown string, deadline time.Time) (*CallRecord, deliver.Attempt, error) {
	for {
		a := d.Send(ctx, deliver.Request{Method: http.MethodGet, Target: target, MsgID: "probe"}, 1, deliver.TriggerFirst)
		if a.Class != deliver.ClassNone {
			return nil, a, fmt.Errorf("%s", check.Outcome(a))
		}
		if a.Status != http.StatusOK {
			return nil, a, fmt.Errorf("GET %s answered %d", shown, a.Status)
		}
		var rec CallRecord
		if err := json.Unmarshal(a.Body, &rec); err != nil || rec.Effects == nil {
			return nil, a, fmt.Errorf("GET %s did not answer a JSON object with \"effects\"", shown)
		}
		if rec.Pending == 0 || time.Now().After(deadline) {
			return &rec, a, nil
		}
		select {
		case <-ctx.Done():
			return &rec, a, nil
		case <-time.After(100 * time.Millisecond):
		}
	}
}
