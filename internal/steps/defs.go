package steps

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/cucumber/godog"

	"github.com/hamsasim/hamsasim/internal/check"
	"github.com/hamsasim/hamsasim/internal/deliver"
	"github.com/hamsasim/hamsasim/internal/event"
	"github.com/hamsasim/hamsasim/internal/fixture"
	"github.com/hamsasim/hamsasim/internal/override"
	"github.com/hamsasim/hamsasim/internal/probe"
	"github.com/hamsasim/hamsasim/internal/report"
	"github.com/hamsasim/hamsasim/internal/sign"
	"github.com/hamsasim/hamsasim/internal/simulate"
)

// Def is one step of the library.
type Def struct {
	Kind    string // Given, When or Then: how it reads best
	Pattern string // the regular expression godog matches
	Example string // a step written with it
	Help    string
	fn      any
	re      *regexp.Regexp
}

// Defs returns the step library, in the order `hamsasim steps` prints it.
func Defs() []Def { return defs }

var defs = []Def{
	// Target and credentials.
	{Kind: "Given", Pattern: `^the webhook URL is "([^"]*)"$`, Example: `Given the webhook URL is "http://127.0.0.1:8080/webhook"`,
		Help: "sends this scenario's events there instead of --target (the probe API stays --probe-url)", fn: webhookURL},
	{Kind: "Given", Pattern: `^the platform sends the Bearer token from "([^"]*)"$`, Example: `Given the platform sends the Bearer token from "WEBHOOK_SECRET"`,
		Help: "Authorization is the variable's whole value (\"Bearer <token>\"), as the dashboard stores it", fn: bearerFromEnv},
	{Kind: "Given", Pattern: `^the platform sends the Authorization "([^"]*)"$`, Example: `Given the platform sends the Authorization "Bearer sk_test_123"`,
		Help: "an explicit header value (for tests only: it is written in the feature file)", fn: bearerLiteral},
	{Kind: "Given", Pattern: `^the platform sends no credentials$`, Example: `Given the platform sends no credentials`,
		Help: "no Authorization and no signature", fn: noCredentials},
	{Kind: "Given", Pattern: `^the platform sends a wrong Bearer token$`, Example: `Given the platform sends a wrong Bearer token`, fn: wrongBearer},
	{Kind: "Given", Pattern: `^the platform signs with the secret from "([^"]*)"$`, Example: `Given the platform signs with the secret from "WEBHOOK_SIGNING_SECRET"`,
		Help: "Standard Webhooks signatures keyed with the variable's whsec_ secret", fn: hmacFromEnv},
	{Kind: "Given", Pattern: `^the platform signs with a wrong key$`, Example: `Given the platform signs with a wrong key`, fn: hmacWrong},
	{Kind: "Given", Pattern: `^the platform signs 10 minutes in the past$`, Example: `Given the platform signs 10 minutes in the past`,
		Help: "a correct signature with a stale webhook-timestamp (needs signing set up first)", fn: hmacStale},

	// The call.
	{Kind: "Given", Pattern: `^the call "([^"]*)"$`, Example: `Given the call "job-interview"`,
		Help: "the fixture whose lifecycle the scenario delivers (hamsasim fixtures validate lists them)", fn: theCall},
	{Kind: "Given", Pattern: `^the call's param "([^"]*)" is "([^"]*)"$`, Example: `Given the call's param "application_id" is "A-1"`,
		Help: "a custom param, sent in call.started and echoed in call.ended's outcomeResult", fn: setParam},
	{Kind: "Given", Pattern: `^the call's params are:$`, Example: "Given the call's params are:\n  | param          | value |\n  | application_id | A-1   |",
		Help: "several params from a table with the columns param and value", fn: setParams},
	{Kind: "Given", Pattern: `^field "([^"]*)" of the "([^"]*)" event is set to (.+)$`, Example: `Given field "data.data.speaker" of the "transcription.update" event is set to "bot"`,
		Help: "changes a field of every event of that type; the value is JSON (\"text\", 3, true, null, {...}) or plain text", fn: setField},
	{Kind: "Given", Pattern: `^field "([^"]*)" of the "([^"]*)" event is removed$`, Example: `Given field "data.data.outcomeResult.intent" of the "call.ended" event is removed`, fn: removeField},

	// Deliveries.
	{Kind: "When", Pattern: `^the platform delivers the whole call$`, Example: `When the platform delivers the whole call`,
		Help: "every event of the call, in order, each after the previous answer", fn: deliverCall},
	{Kind: "When", Pattern: `^the platform delivers the whole call without the "([^"]*)" events?$`, Example: `When the platform delivers the whole call without the "call.answered" event`, fn: deliverCallWithout},
	{Kind: "When", Pattern: `^the platform delivers the "([^"]*)" event$`, Example: `When the platform delivers the "call.ended" event`,
		Help: "the call's first event of that type", fn: deliverOne},
	{Kind: "When", Pattern: `^the platform delivers the "([^"]*)" event (\d+) times$`, Example: `When the platform delivers the "call.ended" event 3 times`,
		Help: "the same event again and again: same callId, eventType and timestamp, as on redelivery", fn: deliverTimes},
	{Kind: "When", Pattern: `^the platform delivers the call's events in this order:$`, Example: "When the platform delivers the call's events in this order:\n  | event                |\n  | call.started         |\n  | call.ended           |\n  | transcription.update |",
		Help: "a table with the column event; a type named twice sends its next occurrence", fn: deliverInOrder},
	{Kind: "When", Pattern: `^the platform sends a body that is not JSON$`, Example: `When the platform sends a body that is not JSON`, fn: sendMalformed},
	{Kind: "When", Pattern: `^the platform sends the "([^"]*)" event without "([^"]*)"$`, Example: `When the platform sends the "transcription.update" event without "callId"`, fn: sendWithout},
	{Kind: "When", Pattern: `^the platform sends an event of the unknown type "([^"]*)"$`, Example: `When the platform sends an event of the unknown type "call.transferred"`, fn: sendUnknown},
	{Kind: "When", Pattern: `^the platform sends a call\.ended event with a transcript of (\d+) (KB|MB)$`, Example: `When the platform sends a call.ended event with a transcript of 1 MB`, fn: sendLarge},

	// Answers.
	{Kind: "Then", Pattern: `^every event is acknowledged$`, Example: `Then every event is acknowledged`, Help: "every answer in the scenario was 2xx", fn: everyAcked},
	{Kind: "Then", Pattern: `^the answer status is (\d{3})$`, Example: `Then the answer status is 401`, Help: "the last answer", fn: statusIs},
	{Kind: "Then", Pattern: `^the answer status is (\d)xx$`, Example: `Then the answer status is 4xx`, fn: statusClass},
	{Kind: "Then", Pattern: `^every answer arrives within (\d+(?:\.\d+)?) seconds?$`, Example: `Then every answer arrives within 5 seconds`, fn: withinSeconds},
	{Kind: "Then", Pattern: `^the answer has "([^"]*)" equal to (.+)$`, Example: `Then the answer has "duplicate" equal to true`,
		Help: "a field of the last answer's JSON body; the value is JSON or plain text", fn: answerField},
	{Kind: "Then", Pattern: `^every answer has "([^"]*)" equal to (.+)$`, Example: `Then every answer has "received" equal to true`, fn: everyAnswerField},
	{Kind: "Then", Pattern: `^the answer has no "([^"]*)"$`, Example: `Then the answer has no "duplicate"`, fn: answerLacks},
	{Kind: "Then", Pattern: `^every answer matches the contract$`, Example: `Then every answer matches the contract`,
		Help: "status declared, content type and body as spec/hamsa-webhooks.yaml says", fn: answersMatchContract},
	{Kind: "Then", Pattern: `^every event sent matches the contract$`, Example: `Then every event sent matches the contract`, fn: eventsMatchContract},
	{Kind: "Then", Pattern: `^the call\.ended event echoes every param in outcomeResult$`, Example: `Then the call.ended event echoes every param in outcomeResult`, fn: echoesParams},

	// What the receiver recorded (the probe API).
	{Kind: "Then", Pattern: `^the receiver recorded (\d+) "([^"]*)" events?$`, Example: `Then the receiver recorded 1 "call.ended" event`,
		Help: "distinct events stored, from the probe API (GET /calls/{callId})", fn: recordedEvents},
	{Kind: "Then", Pattern: `^the "([^"]*)" event took effect (\d+) times?$`, Example: `Then the "call.ended" event took effect 1 time`,
		Help: "times processing ran for that type, from the probe API", fn: tookEffect},
	{Kind: "Then", Pattern: `^the receiver recorded the param "([^"]*)" as "([^"]*)"$`, Example: `Then the receiver recorded the param "application_id" as "A-1"`, fn: recordedParam},
	{Kind: "Then", Pattern: `^the receiver recorded every param in the call's outcome$`, Example: `Then the receiver recorded every param in the call's outcome`, fn: recordedOutcome},
	{Kind: "Then", Pattern: `^the receiver recorded:$`, Example: "Then the receiver recorded:\n  | field           | value |\n  | turns           | 16    |\n  | transcriptTurns | 16    |",
		Help: "fields of the probe API's call record (turns, tools, transcriptTurns, callDuration, ...)", fn: recordedTable},

	// The catalog.
	{Kind: "Then", Pattern: `^the "([^"]*)" check passes$`, Example: `Then the "duplicate.ack" check passes`,
		Help: "runs the probes behind that check of the catalog (hamsasim checks) for the call and asserts it does not fire", fn: checkPasses},
}

func init() {
	for i := range defs {
		defs[i].re = regexp.MustCompile(defs[i].Pattern)
	}
}

// Register adds the library to a godog scenario context, with per-scenario state.
func Register(s *Suite, sc *godog.ScenarioContext) {
	sc.Before(func(ctx context.Context, _ *godog.Scenario) (context.Context, error) {
		return context.WithValue(ctx, worldKey{}, newWorld(s)), nil
	})
	for _, d := range defs {
		sc.Step(d.Pattern, d.fn)
	}
}

// Matches reports whether some step of the library matches text.
func Matches(text string) bool {
	for _, d := range defs {
		if d.re.MatchString(text) {
			return true
		}
	}
	return false
}

// --- target and credentials

func webhookURL(ctx context.Context, raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" {
		return fmt.Errorf("%s is not an http:// or https:// URL", report.RedactURL(raw))
	}
	get(ctx).target = raw
	return nil
}

func bearerFromEnv(ctx context.Context, name string) error {
	v := get(ctx).s.Getenv(name)
	if v == "" {
		return fmt.Errorf("%s is not set: export it with the whole Authorization value, e.g. 'Bearer <token>'", name)
	}
	w := get(ctx)
	w.signer, w.probeAuth = deliver.Bearer{Value: v, Env: name}, probe.Auth{Mode: probe.AuthBearer, Env: name}
	return nil
}

func bearerLiteral(ctx context.Context, value string) error {
	w := get(ctx)
	w.signer, w.probeAuth = deliver.Literal{Header: "Authorization", Value: value}, probe.Auth{Mode: probe.AuthBearer}
	return nil
}

func noCredentials(ctx context.Context) error {
	w := get(ctx)
	w.signer = deliver.NoAuth{}
	return nil
}

func wrongBearer(ctx context.Context) error {
	get(ctx).signer = deliver.Literal{Header: "Authorization", Value: "Bearer hamsasim-wrong-token"}
	return nil
}

func hmacFromEnv(ctx context.Context, name string) error {
	w := get(ctx)
	key, err := sign.ParseSecret(w.s.Getenv(name))
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	w.signer, w.probeAuth = deliver.HMAC{Key: key, Env: name}, probe.Auth{Mode: probe.AuthHMAC, Key: key, Env: name}
	return nil
}

func hmacWrong(ctx context.Context) error {
	get(ctx).signer = deliver.HMAC{Key: []byte("hamsasim-wrong-key-0123456789abcdef"), Env: "WRONG_KEY"}
	return nil
}

func hmacStale(ctx context.Context) error {
	w := get(ctx)
	h, ok := w.signer.(deliver.HMAC)
	if !ok {
		return fmt.Errorf(`a stale signature needs signing first: add Given the platform signs with the secret from "WEBHOOK_SIGNING_SECRET"`)
	}
	h.Skew = -10 * time.Minute
	w.signer = h
	return nil
}

// --- the call

func theCall(ctx context.Context, name string) error {
	w := get(ctx)
	f, ok := w.s.Fixtures[name]
	if !ok {
		return fmt.Errorf("no fixture named %q (known: %s)", name, strings.Join(fixtureNames(w.s), ", "))
	}
	cp := *f
	cp.Params = copyMap(f.Params)
	cp.Outcome = copyMap(f.Outcome)
	w.call, w.events = &cp, nil
	return nil
}

func setParam(ctx context.Context, name, value string) error {
	w := get(ctx)
	f, err := w.theCall()
	if err != nil {
		return err
	}
	delete(f.Outcome, name) // the param wins: it is what the customer sent
	f.Params[name], w.events = value, nil
	return nil
}

func setParams(ctx context.Context, table *godog.Table) error {
	rows, err := tableRows(table, "param", "value")
	if err != nil {
		return err
	}
	for _, r := range rows {
		if err := setParam(ctx, r[0], r[1]); err != nil {
			return err
		}
	}
	return nil
}

func setField(ctx context.Context, path, eventType, raw string) error {
	w := get(ctx)
	if _, err := override.ParsePath(path); err != nil {
		return err
	}
	w.edits[eventType] = append(w.edits[eventType], edit{path: path, value: parseValue(raw)})
	w.events = nil
	return nil
}

func removeField(ctx context.Context, path, eventType string) error {
	w := get(ctx)
	if _, err := override.ParsePath(path); err != nil {
		return err
	}
	w.edits[eventType] = append(w.edits[eventType], edit{path: path, remove: true})
	w.events = nil
	return nil
}

// --- deliveries

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

// --- answers

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
		if a.attempt.Class == deliver.ClassTimeout || a.attempt.Latency.Seconds() >= limit {
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

// --- the probe API

func (w *world) record(ctx context.Context) (map[string]any, error) {
	if w.s.ProbeURL == "" {
		return nil, fmt.Errorf("this step reads the probe API: pass --probe-url (the embedded receiver has it)")
	}
	evs, err := w.lifecycle()
	if err != nil {
		return nil, err
	}
	d, err := w.s.Client.New(w.signer)
	if err != nil {
		return nil, err
	}
	base, err := url.Parse(w.s.ProbeURL)
	if err != nil {
		return nil, fmt.Errorf("--probe-url does not parse")
	}
	target := base.JoinPath("calls", evs[0].CallID).String()
	shown := report.RedactURL(target)
	deadline := time.Now().Add(probe.EffectsWait)
	for {
		a := d.Send(ctx, deliver.Request{Method: http.MethodGet, Target: target, MsgID: "probe"}, 1, deliver.TriggerFirst)
		if a.Class != deliver.ClassNone || a.Status != http.StatusOK {
			return nil, fmt.Errorf("GET %s %s", shown, check.Outcome(a))
		}
		var rec map[string]any
		if err := json.Unmarshal(a.Body, &rec); err != nil {
			return nil, fmt.Errorf("GET %s did not answer JSON", shown)
		}
		if p, _ := rec["pending"].(float64); p == 0 || time.Now().After(deadline) {
			return rec, nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func countIn(rec map[string]any, field, t string) int {
	m, _ := rec[field].(map[string]any)
	n, _ := m[t].(float64)
	return int(n)
}

func recordedEvents(ctx context.Context, n int, t string) error {
	rec, err := get(ctx).record(ctx)
	if err != nil {
		return err
	}
	if got := countIn(rec, "events", t); got != n {
		return fmt.Errorf("the receiver recorded %d %s events, expected %d", got, t, n)
	}
	return nil
}

func tookEffect(ctx context.Context, t string, n int) error {
	rec, err := get(ctx).record(ctx)
	if err != nil {
		return err
	}
	if got := countIn(rec, "effects", t); got != n {
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

// --- the catalog

// checkGroups maps each check to the probe groups that exercise it.
var checkGroups = map[string][]string{
	check.Status2xx: {}, check.Latency5s: {}, check.ResponseSchema: {},
	check.AuthMissing: {probe.GroupAuth}, check.AuthWrong: {probe.GroupAuth}, check.AuthStale: {probe.GroupAuth},
	check.PayloadMalformed: {probe.GroupPayload}, check.PayloadInvalid: {probe.GroupPayload},
	check.EventUnknown: {probe.GroupUnknown}, check.PayloadLarge: {probe.GroupLarge},
	check.DuplicateAck: {probe.GroupDuplicate}, check.DuplicateFlag: {probe.GroupDuplicate}, check.DuplicateEffect: {probe.GroupDuplicate},
	check.OrderTolerant: {probe.GroupOrder},
	check.ServerError:   {probe.GroupAuth, probe.GroupPayload, probe.GroupUnknown, probe.GroupLarge, probe.GroupOrder, probe.GroupDuplicate},
	check.ErrorLeak:     {probe.GroupAuth, probe.GroupPayload, probe.GroupUnknown, probe.GroupLarge, probe.GroupOrder},
	check.URLHTTPS:      {probe.GroupURL}, check.URLPublic: {probe.GroupURL}, check.TLSValid: {probe.GroupURL},
	check.TargetUnreachable: {},
}

func checkPasses(ctx context.Context, id string) error {
	w := get(ctx)
	groups, ok := checkGroups[id]
	if !ok {
		var ids []string
		for _, c := range check.All() {
			ids = append(ids, c.ID)
		}
		return fmt.Errorf("no check %q in the catalog (known: %s)", id, strings.Join(ids, ", "))
	}
	f, err := w.theCall()
	if err != nil {
		return err
	}
	sel := map[string]bool{probe.GroupLifecycle: true}
	for _, g := range groups {
		sel[g] = true
	}
	d, err := w.s.Client.New(w.signer)
	if err != nil {
		return err
	}
	r, err := simulate.Run(ctx, simulate.Config{
		Target: w.targetURL(), Shown: report.RedactURL(w.targetURL()), Fixtures: []*fixture.Fixture{f}, Contract: w.s.Contract, Deliverer: d,
		Seed: w.s.Seed + uint64(w.instance)<<20, Start: time.Now().UTC(), Concurrency: 1,
		Groups: sel, ProbeAuth: w.probeAuth, ProbeURL: w.s.ProbeURL,
	})
	if err != nil {
		return err
	}
	var hits []string
	for _, fd := range append(r.Findings, r.Notes...) {
		if fd.Check == id && fd.Severity != check.SeverityNote {
			hits = append(hits, fd.Message)
		}
	}
	if len(hits) > 0 {
		return fmt.Errorf("%s fired: %s", id, strings.Join(hits, "; "))
	}
	return nil
}

// --- helpers

func failIf(bad []string, total int, what string) error {
	if len(bad) == 0 {
		return nil
	}
	shown := bad
	if len(shown) > 3 {
		shown = append(shown[:3:3], fmt.Sprintf("and %d more", len(bad)-3))
	}
	return fmt.Errorf("%d of %d %s: %s", len(bad), total, what, strings.Join(shown, "; "))
}

func excerpt(a answer) string {
	if len(a.attempt.Body) == 0 {
		return ""
	}
	return ": " + check.Excerpt(a.attempt.Body, 120)
}

func tableRows(t *godog.Table, cols ...string) ([][]string, error) {
	if t == nil || len(t.Rows) < 2 {
		return nil, fmt.Errorf("the step needs a table with a header row (%s) and at least one row", strings.Join(cols, " | "))
	}
	head := t.Rows[0].Cells
	if len(head) != len(cols) {
		return nil, fmt.Errorf("the table needs exactly the columns %s", strings.Join(cols, " | "))
	}
	for i, c := range cols {
		if strings.TrimSpace(head[i].Value) != c {
			return nil, fmt.Errorf("column %d of the table must be %q, not %q", i+1, c, head[i].Value)
		}
	}
	var out [][]string
	for _, r := range t.Rows[1:] {
		row := make([]string, len(r.Cells))
		for i, c := range r.Cells {
			row[i] = strings.TrimSpace(c.Value)
		}
		out = append(out, row)
	}
	return out, nil
}

func copyMap(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func fixtureNames(s *Suite) []string {
	names := make([]string, 0, len(s.Fixtures))
	for n := range s.Fixtures {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
