package check

import (
	"encoding/json"
	"fmt"
	"regexp"

	"github.com/hamsasim/hamsasim/internal/contract"
	"github.com/hamsasim/hamsasim/internal/deliver"
	"github.com/hamsasim/hamsasim/internal/event"
)

// Want is what a probe expects of the answer.
type Want int

// Expectations.
const (
	WantAck         Want = iota // 2xx
	WantReject                  // anything but 2xx (401 recommended)
	WantBadRequest              // a 4xx, not a 2xx or 3xx (400 recommended)
	WantClientError             // anything but 2xx (400 recommended)
)

// ProbeSpec describes one probe request, for judging and reporting.
type ProbeSpec struct {
	Name    string // e.g. auth.wrong/wrong-token
	Check   string // the check that fails when the expectation is not met
	Want    Want
	Event   event.Event // what was sent (Type may be empty for a malformed body)
	Request string      // what was sent, in a line
	Curl    string
	Payload []byte // set when Curl refers to a file
	File    string
}

// Probe judges one probe's answer. Besides the probe's own check it applies
// the checks every answer is subject to: latency.5s, server.error for a
// 5xx, error.leak and response.schema for error answers the contract declares.
func Probe(c *contract.Contract, p ProbeSpec, a deliver.Attempt) []Finding {
	if a.Class == deliver.ClassCanceled {
		return nil
	}
	mk := func(id, msg string) Finding {
		f := New(id, msg)
		f.Probe, f.Event, f.CallID, f.Fixture = p.Name, p.Event.Type, p.Event.CallID, p.Event.Fixture
		f.Attempt, f.Status, f.LatencyMs, f.ErrorClass, f.Excerpt = a.N, a.Status, a.Latency.Milliseconds(), string(a.Class), Excerpt(a.Body, 200)
		f.Request, f.Curl, f.Payload, f.PayloadFile = p.Request, p.Curl, p.Payload, p.File
		return f
	}
	var out []Finding
	if Slow(a, deliver.AckBudget) {
		out = append(out, mk(Latency5s, fmt.Sprintf("%s took %s (the limit is %s)", p.Request, seconds(a.Latency), seconds(deliver.AckBudget))))
	}
	answered := a.Class == deliver.ClassNone
	is5xx := answered && a.Status >= 500
	if is5xx {
		out = append(out, mk(ServerError, fmt.Sprintf("%s was answered %d: the handler failed instead of rejecting or tolerating the request", p.Request, a.Status)))
	}
	switch p.Want {
	case WantAck:
		if !a.OK() {
			out = append(out, mk(p.Check, fmt.Sprintf("%s %s; expected a 2xx acknowledgement", p.Request, Outcome(a))))
		} else if c != nil && p.Event.Type != "" && c.Has(p.Event.Type) {
			if v := answerViolations(c, p.Event.Type, p.Event.Body, a); len(v) > 0 {
				out = append(out, mk(ResponseSchema, fmt.Sprintf("the %d answer to %s does not match the contract: %s", a.Status, p.Request, joinViolations(v, 3))))
			}
		}
	case WantReject:
		if a.OK() {
			out = append(out, mk(p.Check, fmt.Sprintf("%s was accepted with %d; expected a rejection (401 recommended)", p.Request, a.Status)))
		}
	case WantBadRequest:
		if answered && !is5xx && (a.Status < 400 || a.Status >= 500) {
			out = append(out, mk(p.Check, fmt.Sprintf("%s was answered %d; expected a 4xx rejection (400 recommended)", p.Request, a.Status)))
		}
	case WantClientError:
		if a.OK() {
			out = append(out, mk(p.Check, fmt.Sprintf("%s was accepted with %d; expected a rejection (400 recommended)", p.Request, a.Status)))
		}
	}
	if answered && a.Status >= 400 {
		if what := Leak(a.Body); what != "" {
			out = append(out, mk(ErrorLeak, fmt.Sprintf("the %d answer to %s shows %s", a.Status, p.Request, what)))
		}
		if a.Status < 500 {
			// Judge a rejection against the contract's answers for the
			// event's webhook (the first one for a body with no known type).
			if c != nil && len(c.EventTypes()) > 0 {
				typ := p.Event.Type
				if !c.Has(typ) {
					typ = c.EventTypes()[0]
				}
				if v := c.ValidateAnswer(typ, p.Event.Body, a.Status, a.Header, a.Body); len(v) > 0 {
					out = append(out, mk(ResponseSchema, fmt.Sprintf("the %d answer to %s does not match the contract: %s", a.Status, p.Request, joinViolations(v, 3))))
				}
			}
		}
	}
	return out
}

// Redelivery judges the answer to an event sent a second time with the
// same callId, eventType and timestamp.
func Redelivery(ev event.Event, a deliver.Attempt, request, curl string) []Finding {
	p := ProbeSpec{Name: ProbeRedelivery, Check: DuplicateAck, Want: WantAck, Event: ev, Request: request, Curl: curl}
	out := Probe(nil, p, a)
	for i := range out {
		out[i].Seq, out[i].Offset = ev.Seq, formatOffset(ev.Offset)
	}
	if a.OK() && !flaggedDuplicate(a.Body) {
		f := New(DuplicateFlag, fmt.Sprintf("%s was acknowledged without \"duplicate\": true", request))
		f.Probe, f.Event, f.CallID, f.Fixture, f.Seq, f.Offset = ProbeRedelivery, ev.Type, ev.CallID, ev.Fixture, ev.Seq, formatOffset(ev.Offset)
		f.Attempt, f.Status, f.LatencyMs, f.Excerpt, f.Request, f.Curl = a.N, a.Status, a.Latency.Milliseconds(), Excerpt(a.Body, 200), request, curl
		out = append(out, f)
	}
	return out
}

func flaggedDuplicate(body []byte) bool {
	var v struct {
		Duplicate bool `json:"duplicate"`
	}
	return json.Unmarshal(body, &v) == nil && v.Duplicate
}

var leaks = []struct {
	re   *regexp.Regexp
	what string
}{
	{regexp.MustCompile(`\n?\s+at [\w$.<>\[\] ]+ \(?(?:/|[A-Za-z]:\\|node:|file:)`), "a JavaScript stack trace"},
	{regexp.MustCompile(`Traceback \(most recent call last\)|File "[^"]+", line \d+`), "a Python traceback"},
	{regexp.MustCompile(`goroutine \d+ \[`), "a Go stack dump"},
	{regexp.MustCompile(`\bat [\w$.]+\([\w$]+\.(?:java|kt|scala):\d+\)|Exception in thread`), "a JVM stack trace"},
	{regexp.MustCompile(`\.cs:line \d+|System\.[\w.]+Exception`), "a .NET stack trace"},
	{regexp.MustCompile(`(?:/home|/srv|/var/www|/usr/src|/app|/opt|/Users)/[\w./-]+\.(?:js|mjs|ts|py|rb|php|go|java|cs)\b|node_modules/`), "a server file path"},
	{regexp.MustCompile(`Whitelabel Error Page|Werkzeug Debugger|DEBUG = True|Stack trace:|<title>Action Controller: Exception`), "a framework's debug error page"},
}

// Leak reports what internal detail an error answer exposes, or "".
func Leak(body []byte) string {
	if len(body) == 0 {
		return ""
	}
	for _, l := range leaks {
		if l.re.Match(body) {
			return l.what
		}
	}
	return ""
}
