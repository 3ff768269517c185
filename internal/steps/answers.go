package steps

// Then steps about the endpoint's answers.

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/hamsasim/hamsasim/internal/check"
	"github.com/hamsasim/hamsasim/internal/deliver"
	"github.com/hamsasim/hamsasim/internal/event"
)

func everyAcked(ctx context.Context) error {
	w := get(ctx)
	if len(w.answers) == 0 {
		return fmt.Errorf("nothing was sent")
	}
	var bad []string
	for _, a := range w.answers {
		if !a.attempt.OK() {
			bad = append(bad, fmt.Sprintf("%s %s", a.what, check.Outcome(a.attempt)))
		}
	}
	return failIf(bad, len(w.answers), "not acknowledged")
}

func statusIs(ctx context.Context, want int) error {
	a, err := get(ctx).last()
	if err != nil {
		return err
	}
	if a.attempt.Class != deliver.ClassNone || a.attempt.Status != want {
		return fmt.Errorf("%s %s, expected %d%s", a.what, check.Outcome(a.attempt), want, excerpt(a))
	}
	return nil
}

func statusClass(ctx context.Context, class int) error {
	a, err := get(ctx).last()
	if err != nil {
		return err
	}
	if a.attempt.Class != deliver.ClassNone || a.attempt.Status/100 != class {
		return fmt.Errorf("%s %s, expected %dxx%s", a.what, check.Outcome(a.attempt), class, excerpt(a))
	}
	return nil
}

func withinSeconds(ctx context.Context, secs string) error {
	limit, _ := strconv.ParseFloat(secs, 64)
	w := get(ctx)
	var bad []string
	for _, a := range w.answers {
		if check.Slow(a.attempt, time.Duration(limit*float64(time.Second))) {
			bad = append(bad, fmt.Sprintf("%s took %.2f s", a.what, a.attempt.Latency.Seconds()))
		}
	}
	return failIf(bad, len(w.answers), fmt.Sprintf("not answered within %s s", secs))
}

func answerField(ctx context.Context, path, raw string) error {
	a, err := get(ctx).last()
	if err != nil {
		return err
	}
	return fieldEquals(a, path, raw)
}

func everyAnswerField(ctx context.Context, path, raw string) error {
	w := get(ctx)
	for _, a := range w.answers {
		if err := fieldEquals(a, path, raw); err != nil {
			return err
		}
	}
	return nil
}

func fieldEquals(a answer, path, raw string) error {
	got, ok, err := lookup(a.attempt.Body, path)
	if err != nil {
		return fmt.Errorf("%s: %w", a.what, err)
	}
	want := parseValue(raw)
	if !ok {
		return fmt.Errorf("the answer to %s has no %q; it was %s", a.what, path, check.Excerpt(a.attempt.Body, 200))
	}
	if !sameJSON(got, want) {
		return fmt.Errorf("the answer to %s has %q equal to %s, expected %s", a.what, path, show(got), show(want))
	}
	return nil
}

func answerLacks(ctx context.Context, path string) error {
	a, err := get(ctx).last()
	if err != nil {
		return err
	}
	if got, ok, err := lookup(a.attempt.Body, path); err == nil && ok {
		return fmt.Errorf("the answer to %s has %q equal to %s", a.what, path, show(got))
	}
	return nil
}

func answersMatchContract(ctx context.Context) error {
	w := get(ctx)
	var bad []string
	for _, a := range w.answers {
		t := a.ev.Type
		if !w.s.Contract.Has(t) {
			t = event.CallStarted // every webhook declares the same answers
		}
		if a.attempt.Class != deliver.ClassNone {
			bad = append(bad, fmt.Sprintf("%s %s", a.what, check.Outcome(a.attempt)))
			continue
		}
		if v := w.s.Contract.ValidateAnswer(t, a.ev.Body, a.attempt.Status, a.attempt.Header, a.attempt.Body); len(v) > 0 {
			bad = append(bad, fmt.Sprintf("the %d answer to %s: %s", a.attempt.Status, a.what, v[0]))
		}
	}
	return failIf(bad, len(w.answers), "not as the contract says")
}

func eventsMatchContract(ctx context.Context) error {
	w := get(ctx)
	var bad []string
	for _, a := range w.answers {
		if v := w.s.Contract.ValidateEvent(a.ev.Type, a.ev.Body); len(v) > 0 {
			bad = append(bad, fmt.Sprintf("%s: %s", a.what, v[0]))
		}
	}
	return failIf(bad, len(w.answers), "events not as the contract says")
}

func echoesParams(ctx context.Context) error {
	w := get(ctx)
	e, err := w.first(event.CallEnded)
	if err != nil {
		return err
	}
	outcome, _, err := lookup(e.Body, "data.data.outcomeResult")
	if err != nil {
		return err
	}
	return containsParams(w.call.Params, outcome, "call.ended's outcomeResult")
}

func containsParams(params map[string]any, outcome any, where string) error {
	m, _ := outcome.(map[string]any)
	var bad []string
	for k, v := range params {
		got, ok := m[k]
		if !ok {
			bad = append(bad, fmt.Sprintf("%s is missing", k))
		} else if !sameJSON(got, v) {
			bad = append(bad, fmt.Sprintf("%s is %s, sent %s", k, show(got), show(v)))
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("%s does not echo the params: %s", where, strings.Join(bad, "; "))
	}
	return nil
}
