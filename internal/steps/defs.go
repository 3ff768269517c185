package steps

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/cucumber/godog"

	"github.com/hamsasim/hamsasim/internal/check"
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

	// What the receiver recorded (the probe API, or the database for counts).
	{Kind: "Then", Pattern: `^the receiver recorded (\d+) "([^"]*)" events?$`, Example: `Then the receiver recorded 1 "call.ended" event`,
		Help: "distinct events stored, from the probe API (GET /calls/{callId}) or --effects-db", fn: recordedEvents},
	{Kind: "Then", Pattern: `^the "([^"]*)" event took effect (\d+) times?$`, Example: `Then the "call.ended" event took effect 1 time`,
		Help: "times processing ran for that type, from the probe API or --effects-db", fn: tookEffect},
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
	sc.After(auditAfter)
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
