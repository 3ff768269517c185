package steps

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/hamsasim/hamsasim/internal/load"
	"github.com/hamsasim/hamsasim/internal/loadreport"
	"github.com/hamsasim/hamsasim/internal/scenario"
)

// loadDefs are the steps that run a load scenario and assert on its end
// state: the outage and recovery story in Gherkin.
var loadDefs = []Def{
	{Kind: "When", Pattern: `^the load scenario "([^"]*)" runs$`, Example: `When the load scenario "outage-recovery" runs`,
		Help: "a scenario file or a shipped scenario's name, against the target, then the end-state audit through the probe API or --effects-db", fn: runScenario},
	{Kind: "When", Pattern: `^the load scenario "([^"]*)" runs for (\S+)$`, Example: `When the load scenario "steady" runs for 10s`,
		Help: "the same, with new calls arriving for that long instead of the scenario's duration", fn: runScenarioFor},
	{Kind: "Then", Pattern: `^every event was delivered$`, Example: `Then every event was delivered`,
		Help: "every delivery of the load run was acknowledged in the end, retries included; nothing dead-lettered or unsent", fn: everyDelivered},
	{Kind: "Then", Pattern: `^some deliveries were retried$`, Example: `Then some deliveries were retried`,
		Help: "the run needed retries (a fault did bite)", fn: someRetried},
	{Kind: "Then", Pattern: `^no acknowledged event is lost$`, Example: `Then no acknowledged event is lost`,
		Help: "every event the target acknowledged is recorded by it (end-state audit)", fn: noneLost},
	{Kind: "Then", Pattern: `^no event took effect twice$`, Example: `Then no event took effect twice`,
		Help: "no event was processed more than once (end-state audit)", fn: noneTwice},
	{Kind: "Then", Pattern: `^every threshold of the load scenario holds$`, Example: `Then every threshold of the load scenario holds`, fn: thresholdsHold},
}

func init() {
	for i := range loadDefs {
		loadDefs[i].re = regexp.MustCompile(loadDefs[i].Pattern)
	}
	defs = append(defs, loadDefs...)
}

func runScenario(ctx context.Context, name string) error { return runScenarioFor(ctx, name, "") }

func runScenarioFor(ctx context.Context, name, duration string) error {
	w := get(ctx)
	if w.s.Scenario == nil {
		return errors.New("load scenarios are not available in this run")
	}
	sc, err := w.s.Scenario(name)
	if err != nil {
		return err
	}
	if duration != "" {
		d, err := time.ParseDuration(duration)
		if err != nil || d <= 0 || d > scenario.MaxDuration {
			return fmt.Errorf("%q is not a duration from 1ms to %s (like 10s or 2m)", duration, scenario.MaxDuration)
		}
		sc.Duration = d
	}
	p := load.Plan{
		Scenario: sc, Fixtures: w.s.Fixtures,
		Target: w.targetURL(), Shown: w.s.Shown, Kind: "url",
		Signer: w.signer, Contract: w.s.Contract, Seed: w.s.Seed + uint64(w.instance),
		Breaker: load.DefaultBreakerWindow, Records: w.s.Records,
	}
	if c, ok := w.s.Client.(*Client); ok {
		p.HTTPClient = c.http
	}
	s, err := load.Run(ctx, p)
	if s == nil || errors.Is(err, load.ErrInterrupted) {
		return err
	}
	// A failed threshold is for a Then step to judge, not this one.
	w.load = s
	return nil
}

func (w *world) loadRun() (*loadreport.Summary, error) {
	if w.load == nil {
		return nil, errors.New(`no load run yet: a step like When the load scenario "outage-recovery" runs must come first`)
	}
	return w.load, nil
}

// audited is the load run, with the endpoint's side checked.
func (w *world) audited() (*loadreport.Summary, error) {
	s, err := w.loadRun()
	if err != nil {
		return nil, err
	}
	if s.Audit.Probe == "" {
		return nil, errors.New("this step reads what the receiver recorded: pass --probe-url or --effects-db (the embedded receiver has a probe API)")
	}
	if s.Audit.Unchecked > 0 {
		return nil, fmt.Errorf("%d calls could not be checked through %s: %s", s.Audit.Unchecked, s.Audit.Probe, firstProblems(s.Audit.Problems))
	}
	return s, nil
}

func firstProblems(ps []string) string {
	if len(ps) > 3 {
		return strings.Join(ps[:3], "; ") + fmt.Sprintf("; and %d more", len(ps)-3)
	}
	return strings.Join(ps, "; ")
}

func everyDelivered(ctx context.Context) error {
	s, err := get(ctx).loadRun()
	if err != nil {
		return err
	}
	o := s.Overall
	if o.Acked != o.Deliveries || s.StopReason != "" {
		msg := fmt.Sprintf("%d of %d deliveries acknowledged (%d failed and dead-lettered, %d unsent)", o.Acked, o.Deliveries, o.Failed, o.Unsent)
		if s.StopReason != "" {
			msg += "; the run stopped early: " + s.StopReason
		}
		return errors.New(msg)
	}
	return nil
}

func someRetried(ctx context.Context) error {
	s, err := get(ctx).loadRun()
	if err != nil {
		return err
	}
	if s.Overall.Retries == 0 {
		return fmt.Errorf("no delivery was retried (%d attempts for %d deliveries): the fault did not bite", s.Overall.Attempts, s.Overall.Deliveries)
	}
	return nil
}

func noneLost(ctx context.Context) error {
	s, err := get(ctx).audited()
	if err != nil {
		return err
	}
	if a := s.Audit; a.Lost > 0 {
		return fmt.Errorf("%d acknowledged events are not recorded by the target: %s", a.Lost, firstProblems(a.Problems))
	}
	return nil
}

func noneTwice(ctx context.Context) error {
	s, err := get(ctx).audited()
	if err != nil {
		return err
	}
	if s.Audit.NoEffects {
		return errors.New("what took effect is not known: --effects-query returns no effects column")
	}
	if a := s.Audit; a.Duplicated > 0 {
		return fmt.Errorf("events took effect %d times more than once: %s", a.Duplicated, firstProblems(a.Problems))
	}
	return nil
}

func thresholdsHold(ctx context.Context) error {
	s, err := get(ctx).loadRun()
	if err != nil {
		return err
	}
	var bad []string
	for _, t := range s.Thresholds {
		if !t.Held {
			bad = append(bad, t.Threshold+": got "+t.GotText)
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("thresholds failed: %s", strings.Join(bad, "; "))
	}
	return nil
}
