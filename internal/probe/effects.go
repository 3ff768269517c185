package probe

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/hamsasim/hamsasim/internal/check"
	"github.com/hamsasim/hamsasim/internal/deliver"
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

// Effects asks the probe API what each call recorded and reports
// duplicate.effect where an event type took effect more often than it was
// stored: a redelivery was processed again.
func Effects(ctx context.Context, d *deliver.Deliverer, probeURL string, callIDs []string) ([]check.Finding, []Result) {
	var findings []check.Finding
	var results []Result
	base, err := url.Parse(probeURL)
	if err != nil {
		base = &url.URL{}
	}
	for _, id := range callIDs {
		// JoinPath keeps a query (a token, say) where it belongs; reports show
		// the URL redacted.
		target := base.JoinPath("calls", id).String()
		shown := report.RedactURL(target)
		rec, a, err := readCall(ctx, d, target, shown, time.Now().Add(EffectsWait))
		res := Result{Probe: "duplicate.effect", Check: check.DuplicateEffect, Status: a.Status, LatencyMs: a.Latency.Milliseconds(), ErrorClass: string(a.Class), Passed: true}
		if err != nil {
			hint := "check --probe-url: it is the base URL the probe API answers GET /calls/{callId} under"
			if strings.HasSuffix(strings.TrimRight(base.Path, "/"), "/webhook") {
				hint = "--probe-url ends in /webhook: give the base URL (without /webhook); hamsasim adds /calls/{callId}"
			}
			f := check.New(check.DuplicateEffect, fmt.Sprintf("duplicate.effect could not be checked: %s; %s", err, hint))
			f.Probe, f.CallID, f.Status, f.Request = "duplicate.effect", id, a.Status, "GET "+shown
			findings = append(findings, f)
			res.Passed = false
			results = append(results, res)
			continue
		}
		var extra []string
		types := make([]string, 0, len(rec.Effects))
		for t := range rec.Effects {
			types = append(types, t)
		}
		sort.Strings(types)
		for _, t := range types {
			if n, stored := rec.Effects[t], rec.Events[t]; n > stored {
				extra = append(extra, fmt.Sprintf("%s took effect %d times for %d distinct events", t, n, stored))
			}
		}
		if len(extra) > 0 {
			res.Passed = false
			f := check.New(check.DuplicateEffect, fmt.Sprintf("call %s: %s: redeliveries were processed again", id, strings.Join(extra, "; ")))
			f.Probe, f.CallID, f.Status = "duplicate.effect", id, a.Status
			f.Request = "GET " + shown
			findings = append(findings, f)
		}
		results = append(results, res)
	}
	return findings, results
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
