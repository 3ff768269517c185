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
		res := Result{Probe: "effects", Check: check.EventLost, Status: a.Status, LatencyMs: a.Latency.Milliseconds(), ErrorClass: string(a.Class), Passed: true}
		none := err != nil && a.Status == http.StatusNotFound
		if none {
			rec, err = &CallRecord{}, nil
		}
		if err != nil {
			f := check.New(check.EventLost, fmt.Sprintf("what the receiver recorded could not be checked: %s; %s", err, hint))
			f.Probe, f.CallID, f.Status, f.Request, f.Cause = "effects", c.CallID, a.Status, "GET "+shown, "unreadable"
			findings = append(findings, f)
			res.Passed = false
			results = append(results, res)
			continue
		}
		for _, t := range diff(&c, rec) {
			res.Passed = false
			id, msg := check.EventLost, fmt.Sprintf("call %s: %s %d acknowledged, %d recorded: the receiver acknowledged events it did not keep", c.CallID, t.typ, t.acked, t.stored)
			if !t.lost {
				id, msg = check.DuplicateEffect, fmt.Sprintf("call %s: %s took effect %d times for %s: redeliveries were processed again", c.CallID, t.typ, t.effects, plural(t.stored, "distinct event"))
			}
			if none {
				msg += fmt.Sprintf(" (GET %s answered 404, no record of the call; if it answers 404 for every call, %s)", shown, hint)
			}
			f := check.New(id, msg)
			f.Probe, f.CallID, f.Event, f.Status, f.Request = "effects", c.CallID, t.typ, a.Status, "GET "+shown
			findings = append(findings, f)
		}
		results = append(results, res)
	}
	return findings, results
}

// typeDiff is one event type of a call where the record and the
// acknowledgements disagree: fewer stored than acknowledged (lost), or
// more effects than stored (duplicated). A type can be both; it is then
// listed twice, lost first.
type typeDiff struct {
	typ                    string
	lost                   bool // else duplicated
	acked, stored, effects int
}

// diff compares one call's record with what was acknowledged for it.
func diff(c *Expected, rec *CallRecord) []typeDiff {
	var out []typeDiff
	for i, t := range event.Types {
		if i >= MaxTypes {
			break
		}
		d := typeDiff{typ: t, acked: int(c.Acked[i]), stored: rec.Events[t], effects: rec.Effects[t]}
		if d.acked > d.stored {
			lost := d
			lost.lost = true
			out = append(out, lost)
		}
		if d.effects > d.stored {
			out = append(out, d)
		}
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
