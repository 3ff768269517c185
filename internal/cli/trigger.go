package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/hamsasim/hamsasim/internal/check"
	"github.com/hamsasim/hamsasim/internal/contract"
	"github.com/hamsasim/hamsasim/internal/deliver"
	"github.com/hamsasim/hamsasim/internal/event"
	"github.com/hamsasim/hamsasim/internal/fixture"
	"github.com/hamsasim/hamsasim/internal/override"
	"github.com/hamsasim/hamsasim/internal/simulate"
	"github.com/hamsasim/hamsasim/internal/tty"
)

// triggerExcerpt bounds how much of an answer's body trigger prints.
const triggerExcerpt = 2000

type triggerCmd struct {
	e         *env
	target    string
	fixtures  []string
	fixture   string
	index     int
	events    []string
	spec      string
	auth      string
	secretEnv string
	insecure  bool
	seed      string
	start     string
	overrides overrideFlags
	output    outputFlag
}

func newTriggerCmd(e *env) *cobra.Command {
	t := &triggerCmd{e: e}
	cmd := &cobra.Command{
		Use:   "trigger EVENT",
		Short: "Send one event of a fixture, with field overrides, and show the request, the answer and the verdict",
		Long: `Sends one event (` + strings.Join(event.Types, ", ") + `) of a fixture to
--target, as the platform would, and prints the request (the Authorization
value shown as the variable it came from), the answer, the contract's verdict
on both, and a curl command that sends it again.

The event comes from --fixture (default: the first fixture that produces that
event type); --index picks one of several transcription.update or
tool.executed events. --set and --unset change fields before sending; an
event the change makes invalid is still sent, with a warning, to test how the
endpoint rejects it.

With no --target, sends to the embedded reference receiver.

Exit codes: 0 acknowledged (2xx within 5 seconds) with an answer that meets
the contract, or not sent because of --events; 1 otherwise; 2 bad input.`,
		Example: `  hamsasim trigger call.started
  hamsasim trigger call.ended --fixture job-interview --set data.data.outcomeResult.application_id=A-1
  hamsasim trigger tool.executed --fixture sales-outbound-tools --index 3 --unset data.data.output
  WEBHOOK_SECRET='Bearer sk_test_123' hamsasim trigger call.ended --target https://staging.example.com/webhooks/hamsa`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageError("trigger needs one EVENT, one of: %s", strings.Join(event.Types, ", "))
			}
			return nil
		},
		RunE: t.run,
	}
	f := cmd.Flags()
	f.StringVar(&t.target, "target", "", "webhook URL to send to (default: the embedded reference receiver)")
	f.StringVar(&t.fixture, "fixture", "", "name of the fixture the event comes from (default: the first that produces EVENT)")
	f.StringSliceVar(&t.fixtures, "fixtures", nil, "fixture files or folders to pick from (default: the shipped fixtures)")
	f.IntVar(&t.index, "index", 1, "which of the fixture's EVENT events, from 1 (transcription.update and tool.executed occur several times)")
	f.StringSliceVar(&t.events, "events", nil, "event types the endpoint is subscribed to (default all); EVENT outside them is not sent: "+strings.Join(event.Types, ","))
	f.StringVar(&t.spec, "spec", "", "OpenAPI contract (default: the shipped spec/hamsa-webhooks.yaml)")
	f.StringVar(&t.auth, "auth", "", "how the platform authenticates: bearer, hmac or none (as for simulate)")
	f.StringVar(&t.secretEnv, "secret-env", "", "environment variable holding the secret (default WEBHOOK_SECRET, or WEBHOOK_SIGNING_SECRET with --auth hmac)")
	f.BoolVar(&t.insecure, "insecure", false, "go on when the target's certificate is invalid")
	f.StringVar(&t.seed, "seed", "", "seed for the call id (default: random)")
	f.StringVar(&t.start, "start", "", "call start time for the event's timestamps, RFC 3339 (default: now)")
	t.overrides.add(f, "the event")
	t.output.add(f)
	return cmd
}

func (t *triggerCmd) run(cmd *cobra.Command, args []string) error {
	typ := args[0]
	asJSON, err := t.output.json()
	if err != nil {
		return err
	}
	ev, f, c, err := t.event(cmd, typ)
	if err != nil {
		return err
	}
	if len(t.events) > 0 && !slices.ContainsFunc(t.events, func(s string) bool { return strings.TrimSpace(s) == typ }) {
		why := fmt.Sprintf("the endpoint is subscribed to %s (--events), not to %s", strings.Join(t.events, ", "), typ)
		if asJSON {
			return writeJSON(t.e.stdout, triggerJSON{Event: typ, Fixture: f.Name, Source: f.Source, Index: t.index, Offset: ev.Offset.String(), NotSent: why, Passed: true})
		}
		fmt.Fprintf(t.e.stdout, "not sent: %s\n", why)
		return nil
	}

	a, err := resolveAuth(t.e, t.auth, t.secretEnv, t.target == "")
	if err != nil {
		return err
	}
	target, shownTarget := t.target, ""
	if t.target == "" {
		em, err := startEmbedded(a.bearer, a.key)
		if err != nil {
			return err
		}
		defer em.stop()
		target = em.URL
		shownTarget = "the embedded reference receiver"
	}
	for _, w := range a.warnings {
		fmt.Fprintf(t.e.stderr, "warning: %s\n", w)
	}
	d, client, err := newDeliverer(a, 0, 1, t.insecure)
	if err != nil {
		return err
	}
	defer client.CloseIdleConnections()
	rec := &headerRecorder{next: client.Transport}
	client.Transport = rec
	u, _ := parseTarget(target)
	shown := displayURL(u)

	res := d.Deliver(cmd.Context(), target, ev, nil)
	if res.Final().Class == deliver.ClassCanceled {
		return errInterrupted
	}
	out := triggerOutput{
		ev: ev, fixture: f, index: t.index, shown: shown, targetNote: shownTarget,
		header: rec.header(), authEnv: authEnv(a), res: res, c: c, pal: t.e.stream(t.e.stdout).Palette(),
		curl: d.Repro(deliver.Request{Target: shown, Body: ev.Body, MsgID: deliver.MessageID(ev.Key())}, ""),
	}
	var buf bytes.Buffer
	passed := out.verdicts().passed
	if asJSON {
		if err := writeJSON(&buf, out.json()); err != nil {
			return err
		}
	} else {
		out.write(&buf)
	}
	// Whatever the target answered or a --set value holds, the secret is
	// never printed.
	io.WriteString(t.e.stdout, a.scrubber().Clean(buf.String()))
	if !passed {
		return errFindings
	}
	return nil
}

// event checks the flags, loads the contract and the fixtures, and returns
// the event of type typ to send, with the overrides applied, the fixture
// it comes from and the contract.
func (t *triggerCmd) event(cmd *cobra.Command, typ string) (event.Event, *fixture.Fixture, *contract.Contract, error) {
	fail := func(err error) (event.Event, *fixture.Fixture, *contract.Contract, error) {
		return event.Event{}, nil, nil, err
	}
	if err := checkEventType("EVENT", typ); err != nil {
		return fail(err)
	}
	if _, err := parseEvents(t.events); err != nil {
		return fail(err)
	}
	if t.index < 1 {
		return fail(usageError("--index %d: events are counted from 1", t.index))
	}
	ops, err := t.overrides.ops()
	if err != nil {
		return fail(err)
	}
	seed, start, err := parseSeedStart(t.seed, t.start)
	if err != nil {
		return fail(err)
	}
	c, err := loadContract(t.spec)
	if err != nil {
		return fail(err)
	}
	fixtures, err := fixturesFlag(cmd, t.fixtures)
	if err != nil {
		return fail(err)
	}
	ev, f, err := t.pick(fixtures, typ, c, seed, start)
	if err != nil {
		return fail(err)
	}
	if ev, err = override.Event(ev, ops); err != nil {
		return fail(usageError("%s", err))
	}
	if t.target != "" {
		if _, err := parseTarget(t.target); err != nil {
			return fail(err)
		}
	}
	return ev, f, c, nil
}

// pick expands the chosen fixture (or the first that produces typ) and
// returns its index-th event of type typ.
func (t *triggerCmd) pick(fixtures []*fixture.Fixture, typ string, c *contract.Contract, seed uint64, start time.Time) (event.Event, *fixture.Fixture, error) {
	candidates := fixtures
	if t.fixture != "" {
		candidates = nil
		var names []string
		for _, f := range fixtures {
			names = append(names, f.Name)
			if f.Name == t.fixture {
				candidates = []*fixture.Fixture{f}
			}
		}
		if candidates == nil {
			return event.Event{}, nil, usageError("--fixture %q: no such fixture (known: %s)", t.fixture, strings.Join(names, ", "))
		}
	}
	for _, f := range candidates {
		evs, err := f.Expand(fixture.Options{Seed: seed, Start: start})
		if err != nil {
			return event.Event{}, nil, usageError("%s", err)
		}
		var of []event.Event
		produced := map[string]bool{}
		for _, ev := range evs {
			produced[ev.Type] = true
			if ev.Type == typ {
				of = append(of, ev)
			}
		}
		if len(of) == 0 {
			if t.fixture != "" {
				return event.Event{}, nil, usageError("--fixture %s produces no %s event (it produces: %s)", f.Name, typ, strings.Join(inLifecycleOrder(produced), ", "))
			}
			continue
		}
		if t.index > len(of) {
			if t.fixture == "" {
				continue // another fixture may have that many
			}
			return event.Event{}, nil, usageError("--index %d: fixture %s has %d %s event%s (use 1 to %d)", t.index, f.Name, len(of), typ, plural(len(of)), len(of))
		}
		// The fixture itself must be valid: a contract violation here is
		// the fixture's, not an override's.
		if _, err := simulate.Calls(simulate.Config{Fixtures: []*fixture.Fixture{f}, Contract: c, Seed: seed, Start: start}); err != nil {
			return event.Event{}, nil, usageError("%s", err)
		}
		return of[t.index-1], f, nil
	}
	if t.index > 1 {
		return event.Event{}, nil, usageError("--index %d: no fixture has %d %s events; pick one with --fixture", t.index, t.index, typ)
	}
	return event.Event{}, nil, usageError("no fixture produces a %s event; add one with --fixtures", typ)
}

func inLifecycleOrder(set map[string]bool) []string {
	var out []string
	for _, t := range event.Types {
		if set[t] {
			out = append(out, t)
		}
	}
	return out
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// authEnv names the variable the Authorization value came from.
func authEnv(a *authSetup) string {
	if b, ok := a.signer.(deliver.Bearer); ok {
		return b.Env
	}
	return DefaultSecretEnv
}

// headerRecorder keeps the headers of the request sent, to print them.
type headerRecorder struct {
	next http.RoundTripper
	mu   sync.Mutex
	h    http.Header
}

func (r *headerRecorder) RoundTrip(req *http.Request) (*http.Response, error) {
	r.mu.Lock()
	r.h = req.Header.Clone()
	r.mu.Unlock()
	return r.next.RoundTrip(req)
}

// CloseIdleConnections lets http.Client.CloseIdleConnections reach the transport.
func (r *headerRecorder) CloseIdleConnections() {
	if c, ok := r.next.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

func (r *headerRecorder) header() http.Header {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.h
}

// triggerOutput is what trigger prints.
type triggerOutput struct {
	ev         event.Event
	fixture    *fixture.Fixture
	index      int
	shown      string // the target, redacted
	targetNote string // "the embedded reference receiver", or empty
	header     http.Header
	authEnv    string
	res        deliver.Result
	c          *contract.Contract
	curl       string
	pal        tty.Palette // the verdicts' colours
}

// write prints the request, the answer, the verdicts and the reproduction,
// and reports whether the event was acknowledged with a valid answer.
func (o triggerOutput) write(w io.Writer) bool {
	ev, a := o.ev, o.res.Final()
	o.writeRequest(w)
	o.writeAnswer(w)
	passed := o.judge(w)

	fmt.Fprintf(w, "\nreproduce\n")
	if len(ev.Body) > 16<<10 {
		fmt.Fprintf(w, "  (the body is %d bytes, too long for one command line: save the request body above to a file and send it with curl --data-binary @FILE)\n", len(ev.Body))
	} else {
		fmt.Fprintf(w, "  %s\n", o.curl)
	}
	if passed {
		fmt.Fprintf(w, "\n%s: %s acknowledged with %d, and the answer meets the contract\n", o.pal.Word("PASSED"), ev.Type, a.Status)
	} else if o.res.Acked() {
		fmt.Fprintf(w, "\n%s: %s acknowledged with %d, but the answer does not meet the contract\n", o.pal.Word("FAILED"), ev.Type, a.Status)
	} else {
		fmt.Fprintf(w, "\n%s: %s not acknowledged (%s)\n", o.pal.Word("FAILED"), ev.Type, check.Outcome(a))
	}
	return passed
}

// writeRequest prints which event went where, then the request: its
// headers in name order, the Authorization value as the variable it came
// from, and the body indented (as sent when it is not JSON).
func (o triggerOutput) writeRequest(w io.Writer) {
	ev := o.ev
	fmt.Fprintf(w, "%s #%d of fixture %s (+%s)", ev.Type, o.index, o.fixture.Name, ev.Offset)
	if o.targetNote != "" {
		fmt.Fprintf(w, " to %s", o.targetNote)
	}
	fmt.Fprintf(w, "\n\nrequest\n  POST %s\n", o.shown)
	names := make([]string, 0, len(o.header))
	for k := range o.header {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		for _, v := range o.header[k] {
			if k == "Authorization" {
				v = "$" + o.authEnv
			}
			fmt.Fprintf(w, "  %s: %s\n", k, v)
		}
	}
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, ev.Body, "  ", "  "); err != nil {
		pretty.Reset()
		pretty.Write(ev.Body)
	}
	fmt.Fprintf(w, "\n  %s\n", pretty.String())
}

// writeAnswer prints the final attempt's answer: status, latency,
// content type and an excerpt of the body, or why there was none.
func (o triggerOutput) writeAnswer(w io.Writer) {
	a := o.res.Final()
	fmt.Fprintf(w, "\nanswer\n")
	if a.Class != deliver.ClassNone {
		fmt.Fprintf(w, "  none: %s\n  latency: %d ms\n", check.Outcome(a), a.Latency.Milliseconds())
		return
	}
	fmt.Fprintf(w, "  status: %d %s\n  latency: %d ms\n", a.Status, http.StatusText(a.Status), a.Latency.Milliseconds())
	ct := a.Header.Get("Content-Type")
	if ct == "" {
		ct = "(none)"
	}
	fmt.Fprintf(w, "  content-type: %s\n", ct)
	switch {
	case len(a.Body) == 0:
		fmt.Fprintf(w, "  body: (empty)\n")
	default:
		fmt.Fprintf(w, "  body: %s\n", check.Excerpt(a.Body, triggerExcerpt))
		if a.Truncated || len(a.Body) > triggerExcerpt {
			fmt.Fprintf(w, "  (the body is longer: %d bytes or more)\n", a.BodyBytes)
		}
	}
}

// triggerVerdicts is the contract's verdict on the request and the
// answer, and the delivery's findings.
type triggerVerdicts struct {
	request  []contract.Violation // only a warning: it may be invalid on purpose
	answer   []contract.Violation // nil when no answer came
	findings []check.Finding
	passed   bool // acknowledged, with an answer that meets the contract
}

func (o triggerOutput) verdicts() triggerVerdicts {
	ev, a := o.ev, o.res.Final()
	v := triggerVerdicts{request: o.c.ValidateEvent(ev.Type, ev.Body)}
	if a.Class == deliver.ClassNone {
		v.answer = o.c.ValidateAnswer(ev.Type, ev.Body, a.Status, a.Header, a.Body)
	}
	// Without a contract, Delivery judges status and latency only: the
	// answer's shape is judged above, for any status.
	v.findings = check.Delivery(nil, o.res)
	v.passed = len(v.answer) == 0 && len(v.findings) == 0 && o.res.Acked()
	return v
}

// judge prints the verdicts and reports whether the event passed.
func (o triggerOutput) judge(w io.Writer) bool {
	ev, a := o.ev, o.res.Final()
	v := o.verdicts()
	fmt.Fprintf(w, "\ncontract\n")
	if len(v.request) > 0 {
		fmt.Fprintf(w, "  %s  the request breaks the contract (sent anyway):\n", o.pal.Word("warning"))
		writeViolations(w, v.request)
	} else {
		fmt.Fprintf(w, "  %s       the request is a valid %s\n", o.pal.Word("ok"), ev.Type)
	}
	if a.Class == deliver.ClassNone {
		if len(v.answer) > 0 {
			fmt.Fprintf(w, "  %s    the answer does not match the contract:\n", o.pal.Word("error"))
			writeViolations(w, v.answer)
		} else {
			fmt.Fprintf(w, "  %s       the %d answer matches the contract\n", o.pal.Word("ok"), a.Status)
		}
	}
	for _, f := range v.findings {
		fmt.Fprintf(w, "  %s %s: %s\n", o.pal.Word(fmt.Sprintf("%-8s", f.Severity)), f.Check, f.Message)
	}
	return v.passed
}

func writeViolations(w io.Writer, v []contract.Violation) {
	for i, x := range v {
		if i == 5 {
			fmt.Fprintf(w, "             and %d more\n", len(v)-5)
			return
		}
		fmt.Fprintf(w, "           - %s\n", x)
	}
}

// triggerJSON is what `trigger -o json` prints.
type triggerJSON struct {
	Event             string          `json:"event"`
	Fixture           string          `json:"fixture"`
	Source            string          `json:"source"` // the fixture's file
	Index             int             `json:"index"`
	Offset            string          `json:"offset"` // time into the call
	Target            string          `json:"target,omitempty"`
	TargetKind        string          `json:"targetKind,omitempty"` // "embedded" or "url"
	NotSent           string          `json:"notSent,omitempty"`    // why the event was not sent (--events)
	Request           *triggerRequest `json:"request,omitempty"`
	Answer            *triggerAnswer  `json:"answer,omitempty"`
	RequestViolations []violationJSON `json:"requestViolations"`
	AnswerViolations  []violationJSON `json:"answerViolations"`
	Findings          []check.Finding `json:"findings"`
	Curl              string          `json:"curl,omitempty"`
	Acknowledged      bool            `json:"acknowledged"`
	Passed            bool            `json:"passed"` // exit code 0
}

type triggerRequest struct {
	Method  string            `json:"method"`
	URL     string            `json:"url"`
	Headers map[string]string `json:"headers"` // Authorization as the variable it came from
	Body    json.RawMessage   `json:"body"`
}

type triggerAnswer struct {
	Status      int    `json:"status"` // 0 when none came
	LatencyMs   int64  `json:"latencyMs"`
	ErrorClass  string `json:"errorClass,omitempty"`
	Error       string `json:"error,omitempty"` // why no answer came
	ContentType string `json:"contentType"`
	Body        string `json:"body"`
	BodyBytes   int64  `json:"bodyBytes"`
	Truncated   bool   `json:"truncated"`
}

type violationJSON struct {
	Field  string `json:"field,omitempty"`
	Reason string `json:"reason"`
}

func violationsJSON(vs []contract.Violation) []violationJSON {
	out := []violationJSON{}
	for _, v := range vs {
		out = append(out, violationJSON{Field: v.Field, Reason: v.Reason})
	}
	return out
}

// json is the JSON form of what write prints.
func (o triggerOutput) json() triggerJSON {
	ev, a, v := o.ev, o.res.Final(), o.verdicts()
	kind := "url"
	if o.targetNote != "" {
		kind = "embedded"
	}
	req := &triggerRequest{Method: http.MethodPost, URL: o.shown, Headers: map[string]string{}, Body: ev.Body}
	for k, vals := range o.header {
		if k == "Authorization" {
			vals = []string{"$" + o.authEnv}
		}
		req.Headers[k] = strings.Join(vals, ", ")
	}
	if !json.Valid(ev.Body) {
		req.Body, _ = json.Marshal(string(ev.Body)) // sent as it is: show it as a string
	}
	ans := &triggerAnswer{Status: a.Status, LatencyMs: a.Latency.Milliseconds(), ContentType: a.Header.Get("Content-Type"),
		Body: string(a.Body), BodyBytes: a.BodyBytes, Truncated: a.Truncated}
	if a.Class != deliver.ClassNone {
		ans.ErrorClass, ans.Error = string(a.Class), check.Outcome(a)
	}
	findings := v.findings
	if findings == nil {
		findings = []check.Finding{}
	}
	return triggerJSON{
		Event: ev.Type, Fixture: o.fixture.Name, Source: o.fixture.Source, Index: o.index, Offset: ev.Offset.String(),
		Target: o.shown, TargetKind: kind, Request: req, Answer: ans,
		RequestViolations: violationsJSON(v.request), AnswerViolations: violationsJSON(v.answer), Findings: findings,
		Curl: o.curl, Acknowledged: o.res.Acked(), Passed: v.passed,
	}
}
