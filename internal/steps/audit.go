package steps

// The end-state audit after every scenario: what the receiver recorded,
// read through the probe API or the database, against what it
// acknowledged.

import (
	"context"
	"fmt"
	"strings"

	"github.com/cucumber/godog"

	"github.com/hamsasim/hamsasim/internal/event"
	"github.com/hamsasim/hamsasim/internal/probe"
)

// auditAfter fails a scenario whose acknowledged events the receiver did
// not record, or processed more than once, when its records can be read. It
// leaves a scenario that failed already (godog keeps its error), or sent
// nothing, as it is.
func auditAfter(ctx context.Context, _ *godog.Scenario, err error) (context.Context, error) {
	w := get(ctx)
	if err != nil || w == nil || !w.s.Records.Set() || len(w.answers) == 0 || ctx.Err() != nil {
		return ctx, nil
	}
	calls := w.acknowledged()
	if len(calls) == 0 {
		return ctx, nil
	}
	d, derr := w.s.Client.New(w.signer)
	if derr != nil {
		return ctx, derr
	}
	fs, _ := probe.Effects(ctx, w.s.Records.Records(d), calls)
	if len(fs) == 0 {
		return ctx, nil
	}
	msgs := make([]string, len(fs))
	for i, f := range fs {
		msgs[i] = f.Check + ": " + f.Message
	}
	return ctx, fmt.Errorf("the end-state audit after the scenario: %s", strings.Join(msgs, "; "))
}

// acknowledged is what the scenario's answers acknowledged, per call and
// event type: each distinct event (callId, eventType, timestamp of the
// body sent) once.
func (w *world) acknowledged() []probe.Expected {
	index := map[string]int{}
	seen := map[string]bool{}
	var out []probe.Expected
	for _, a := range w.answers {
		if !a.attempt.OK() {
			continue
		}
		p, err := event.ParseEnvelope(a.ev.Body)
		k := event.TypeIndex(p.EventType)
		if err != nil || k >= len(event.Types) || k >= probe.MaxTypes || seen[p.Key()] {
			continue
		}
		seen[p.Key()] = true
		i, ok := index[p.CallID]
		if !ok {
			i = len(out)
			index[p.CallID] = i
			out = append(out, probe.Expected{CallID: p.CallID})
		}
		out[i].Acked[k]++
	}
	return out
}
