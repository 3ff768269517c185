package steps

// When steps: what the platform delivers.

import (
	"context"
	"fmt"

	"github.com/cucumber/godog"

	"github.com/hamsasim/hamsasim/internal/event"
	"github.com/hamsasim/hamsasim/internal/probe"
)

func deliverCall(ctx context.Context) error { return deliverCallWithout(ctx, "") }

func deliverCallWithout(ctx context.Context, skip string) error {
	w := get(ctx)
	evs, err := w.lifecycle()
	if err != nil {
		return err
	}
	for _, e := range evs {
		if e.Type == skip {
			continue
		}
		if err := w.send(ctx, e, fmt.Sprintf("%s #%d", e.Type, e.Seq)); err != nil {
			return err
		}
	}
	return nil
}

func deliverOne(ctx context.Context, t string) error { return deliverTimes(ctx, t, 1) }

func deliverTimes(ctx context.Context, t string, n int) error {
	w := get(ctx)
	if n < 1 || n > 100 {
		return fmt.Errorf("deliver 1 to 100 times, not %d", n)
	}
	e, err := w.first(t)
	if err != nil {
		return err
	}
	for i := 0; i < n; i++ {
		if err := w.send(ctx, e, fmt.Sprintf("%s (delivery %d of %d)", t, i+1, n)); err != nil {
			return err
		}
	}
	return nil
}

func deliverInOrder(ctx context.Context, table *godog.Table) error {
	w := get(ctx)
	rows, err := tableRows(table, "event")
	if err != nil {
		return err
	}
	evs, err := w.lifecycle()
	if err != nil {
		return err
	}
	used := map[int]bool{}
	for _, r := range rows {
		found := false
		for i, e := range evs {
			if e.Type == r[0] && !used[i] {
				used[i], found = true, true
				if err := w.send(ctx, e, fmt.Sprintf("%s #%d, out of order", e.Type, e.Seq)); err != nil {
					return err
				}
				break
			}
		}
		if !found {
			return fmt.Errorf("the call %q has no more %s events to send", w.call.Name, r[0])
		}
	}
	return nil
}

func sendMalformed(ctx context.Context) error {
	w := get(ctx)
	e, err := w.first(event.TranscriptionUpdate)
	if err != nil {
		if e, err = w.first(event.CallStarted); err != nil {
			return err
		}
	}
	bad := e
	bad.Body = e.Body[:len(e.Body)/2]
	return w.send(ctx, bad, "a body cut off in the middle")
}

func sendWithout(ctx context.Context, t, field string) error {
	w := get(ctx)
	e, err := w.first(t)
	if err != nil {
		return err
	}
	body, err := applyEdit(e.Body, edit{path: field, remove: true})
	if err != nil {
		return err
	}
	e.Body = body
	return w.send(ctx, e, fmt.Sprintf("%s without %s", t, field))
}

func sendUnknown(ctx context.Context, t string) error {
	w := get(ctx)
	e, err := w.first(event.CallStarted)
	if err != nil {
		return err
	}
	body, err := applyEdit(e.Body, edit{path: "eventType", value: t})
	if err == nil {
		body, err = applyEdit(body, edit{path: "data", value: map[string]any{"data": map[string]any{"reason": "a new event type"}}})
	}
	if err != nil {
		return err
	}
	e.Type, e.Body = t, body
	return w.send(ctx, e, "an event of the unknown type "+t)
}

func sendLarge(ctx context.Context, n int, unit string) error {
	w := get(ctx)
	size := n << 10
	if unit == "MB" {
		size = n << 20
	}
	if size > 32<<20 {
		return fmt.Errorf("at most 32 MB")
	}
	e, err := w.first(event.CallEnded)
	if err != nil {
		return err
	}
	b := probe.Transcript(size)
	body, err := applyEdit(e.Body, edit{path: "data.data.transcription", value: b})
	if err != nil {
		return err
	}
	e.Body = body
	return w.send(ctx, e, fmt.Sprintf("call.ended with a %d %s transcript", n, unit))
}
