package steps

// Then steps about what the receiver recorded, read through its probe API
// or its database.

import (
	"context"
	"fmt"
	"strings"

	"github.com/cucumber/godog"

	"github.com/hamsasim/hamsasim/internal/deliver"
	"github.com/hamsasim/hamsasim/internal/probe"
)

// record reads the whole record the probe API keeps for the scenario's
// call, once processing settled: the counts and whatever else it answers
// (params, outcomeResult).
func (w *world) record(ctx context.Context) (map[string]any, error) {
	if w.s.Records.URL == "" {
		return nil, fmt.Errorf("this step reads fields of the probe API's record: pass --probe-url (the embedded receiver has it; --effects-db only tells counts)")
	}
	if _, err := w.counts(ctx); err != nil {
		return nil, err // waits for the receiver to finish processing
	}
	callID, d, err := w.reader()
	if err != nil {
		return nil, err
	}
	return probe.NewAPI(d, w.s.Records.URL).Fields(ctx, callID)
}

// counts reads what the endpoint recorded for the scenario's call, through
// its probe API or its database, once it has nothing pending.
func (w *world) counts(ctx context.Context) (*probe.CallRecord, error) {
	if !w.s.Records.Set() {
		return nil, fmt.Errorf("this step reads what the receiver recorded: pass --probe-url or --effects-db (the embedded receiver has a probe API)")
	}
	callID, d, err := w.reader()
	if err != nil {
		return nil, err
	}
	rd := probe.ReadSettled(ctx, w.s.Records.Records(d), callID)
	if rd.Err != nil {
		return nil, rd.Err
	}
	return &rd.Record, nil
}

// reader is the scenario's call id and a deliverer with its credentials.
func (w *world) reader() (string, *deliver.Deliverer, error) {
	evs, err := w.lifecycle()
	if err != nil {
		return "", nil, err
	}
	d, err := w.s.Client.New(w.signer)
	return evs[0].CallID, d, err
}

func recordedEvents(ctx context.Context, n int, t string) error {
	rec, err := get(ctx).counts(ctx)
	if err != nil {
		return err
	}
	if got := rec.Events[t]; got != n {
		return fmt.Errorf("the receiver recorded %d %s events, expected %d", got, t, n)
	}
	return nil
}

func tookEffect(ctx context.Context, t string, n int) error {
	rec, err := get(ctx).counts(ctx)
	if err != nil {
		return err
	}
	if rec.NoEffects {
		return fmt.Errorf("what took effect is not known: --effects-query returns no effects column")
	}
	if got := rec.Effects[t]; got != n {
		return fmt.Errorf("%s took effect %d times at the receiver, expected %d", t, got, n)
	}
	return nil
}

func recordedParam(ctx context.Context, name, value string) error {
	rec, err := get(ctx).record(ctx)
	if err != nil {
		return err
	}
	params, _ := rec["params"].(map[string]any)
	if got, ok := params[name]; !ok || !sameJSON(got, value) {
		return fmt.Errorf("the receiver recorded the param %s as %s, expected %q", name, show(got), value)
	}
	return nil
}

func recordedOutcome(ctx context.Context) error {
	w := get(ctx)
	rec, err := w.record(ctx)
	if err != nil {
		return err
	}
	return containsParams(w.call.Params, rec["outcomeResult"], "the receiver's recorded outcomeResult")
}

func recordedTable(ctx context.Context, table *godog.Table) error {
	rows, err := tableRows(table, "field", "value")
	if err != nil {
		return err
	}
	rec, err := get(ctx).record(ctx)
	if err != nil {
		return err
	}
	var bad []string
	for _, r := range rows {
		got, ok := rec[r[0]]
		if !ok || !sameJSON(got, parseValue(r[1])) {
			bad = append(bad, fmt.Sprintf("%s is %s, expected %s", r[0], show(got), r[1]))
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("the receiver's record differs: %s", strings.Join(bad, "; "))
	}
	return nil
}
