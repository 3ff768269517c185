// Package check holds the catalog of checks hamsasim runs against a receiver
// and turns deliveries into findings. Check ids are part of the interface:
// reports, JUnit output and the docs use them.
package check

import (
	"fmt"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/hamsasim/hamsasim/internal/contract"
	"github.com/hamsasim/hamsasim/internal/deliver"
)

// Severity of a finding. Errors fail a run; warnings fail it with --strict.
type Severity string

// Severities.
const (
	SeverityError   Severity = "error"
	SeverityWarning Severity = "warning"
	SeverityNote    Severity = "note"
)

// Check ids.
const (
	Status2xx         = "status.2xx"
	Latency5s         = "latency.5s"
	ResponseSchema    = "response.schema"
	TargetUnreachable = "target.unreachable"
)

// Check is one entry of the catalog.
type Check struct {
	ID          string
	Severity    Severity
	Title       string // what it checks, in one line
	Explanation string // why it matters and the usual cause
	Fix         string // what to change
}

var catalog = []Check{
	{
		ID: Status2xx, Severity: SeverityError,
		Title:       "every valid, authenticated event is answered 2xx",
		Explanation: "The platform treats anything but 200-299 as a failed delivery: 5xx, timeouts and connection errors are retried and then dropped; 4xx and 3xx are dropped at once. A handler that throws on a field it did not expect, or a route that redirects, loses the event.",
		Fix:         "Acknowledge with 200 as soon as the event is stored; never let processing errors reach the status code; serve the webhook path without redirects.",
	},
	{
		ID: Latency5s, Severity: SeverityError,
		Title:       "every answer arrives within 5 seconds",
		Explanation: "The platform gives up on an attempt after 5 seconds and redelivers, so slow synchronous processing turns into duplicates and, after the last retry, lost events.",
		Fix:         "Store the event, answer 200 at once, and do the work afterwards (a queue or a background job).",
	},
	{
		ID: ResponseSchema, Severity: SeverityWarning,
		Title:       "the answer's status, content type and body match the contract",
		Explanation: "The platform only needs a 2xx, but a body that does not match the contract (not JSON, no \"received\": true) is a sign the request did not reach the webhook handler: a proxy page, a framework default or a catch-all route.",
		Fix:         "Answer application/json {\"received\": true} (with \"duplicate\": true for redeliveries).",
	},
	{
		ID: TargetUnreachable, Severity: SeverityError,
		Title:       "the target keeps answering",
		Explanation: "Several deliveries in a row got no answer at all (timeouts or connection failures), so the run stopped sending, as a delivery platform's circuit breaker would. The remaining events were not sent.",
		Fix:         "Check that the receiver is running and reachable at the target URL, and that it answers within 5 seconds.",
	},
}

// All returns the catalog, in the order it is documented.
func All() []Check { return append([]Check(nil), catalog...) }

// Lookup finds a check by id.
func Lookup(id string) (Check, bool) {
	for _, c := range catalog {
		if c.ID == id {
			return c, true
		}
	}
	return Check{}, false
}

// Finding is one check that failed, with enough to reproduce and fix it.
type Finding struct {
	Check      string   `json:"check"`
	Severity   Severity `json:"severity"`
	Fixture    string   `json:"fixture,omitempty"`
	Event      string   `json:"event,omitempty"` // event type
	CallID     string   `json:"callId,omitempty"`
	Seq        int      `json:"seq"`              // position of the event in its call
	Offset     string   `json:"offset,omitempty"` // time into the call
	Attempt    int      `json:"attempt,omitempty"`
	Status     int      `json:"status"`
	LatencyMs  int64    `json:"latencyMs"`
	ErrorClass string   `json:"errorClass,omitempty"`
	Message    string   `json:"message"`
	Excerpt    string   `json:"excerpt,omitempty"` // the start of the answer's body
}

// Delivery evaluates one event's delivery: every attempt's status and
// latency, and the acknowledging answer's shape. It returns at most one
// finding per check.
func Delivery(c *contract.Contract, r deliver.Result) []Finding {
	var out []Finding
	base := func(id string, a deliver.Attempt) Finding {
		ch, _ := Lookup(id)
		return Finding{
			Check: id, Severity: ch.Severity, Fixture: r.Event.Fixture, Event: r.Event.Type,
			CallID: r.Event.CallID, Seq: r.Event.Seq, Offset: formatOffset(r.Event.Offset),
			Attempt: a.N, Status: a.Status, LatencyMs: a.Latency.Milliseconds(),
			ErrorClass: string(a.Class), Excerpt: Excerpt(a.Body, 200),
		}
	}
	n := len(r.Attempts)
	var slow, failed []deliver.Attempt
	for _, a := range r.Attempts {
		if a.Class == deliver.ClassCanceled {
			continue
		}
		if a.Class == deliver.ClassTimeout || (a.Class == deliver.ClassNone && a.Latency >= deliver.AckBudget) {
			slow = append(slow, a)
		}
		if !a.OK() {
			failed = append(failed, a)
		}
	}
	final := r.Final()
	if len(failed) > 0 {
		f := base(Status2xx, failed[0])
		f.Message = fmt.Sprintf("%s %s on %s%s", r.Event.Type, Outcome(failed[0]), attemptsWord(len(failed), n), finalWord(final, n))
		out = append(out, f)
	}
	if len(slow) > 0 {
		f := base(Latency5s, slow[0])
		f.Message = fmt.Sprintf("%s took %s on attempt %d (the limit is %s): the platform counts the attempt as failed and delivers the event again",
			r.Event.Type, seconds(slow[0].Latency), slow[0].N, seconds(deliver.AckBudget))
		if len(slow) > 1 {
			f.Message += fmt.Sprintf("; %d of %d attempts were too slow", len(slow), n)
		}
		out = append(out, f)
	}
	if final.OK() && c != nil {
		if v := c.ValidateAnswer(r.Event.Type, r.Event.Body, final.Status, final.Header, final.Body); len(v) > 0 {
			f := base(ResponseSchema, final)
			f.Message = fmt.Sprintf("the %d answer to %s does not match the contract: %s", final.Status, r.Event.Type, joinViolations(v, 3))
			out = append(out, f)
		}
	}
	return out
}

// Outcome describes an attempt's result in a few words: "answered 500",
// "got no answer within 5.0 s", "could not connect (connection refused)".
func Outcome(a deliver.Attempt) string {
	switch a.Class {
	case deliver.ClassNone:
		switch {
		case a.Status >= 300 && a.Status < 400:
			loc := a.Header.Get("Location")
			if loc != "" {
				return fmt.Sprintf("answered %d redirecting to %s (the platform does not follow redirects)", a.Status, Excerpt([]byte(loc), 80))
			}
			return fmt.Sprintf("answered %d (the platform does not follow redirects)", a.Status)
		case a.OK():
			return fmt.Sprintf("answered %d", a.Status)
		}
		return fmt.Sprintf("answered %d", a.Status)
	case deliver.ClassTimeout:
		return fmt.Sprintf("got no complete answer within %s", seconds(a.Latency.Round(100*time.Millisecond)))
	case deliver.ClassRefused:
		return "could not connect (connection refused)"
	case deliver.ClassReset:
		return "lost the connection before a complete answer"
	case deliver.ClassDNS:
		return "could not resolve the host name"
	case deliver.ClassTLS:
		return "failed the TLS handshake"
	case deliver.ClassProtocol:
		return "got an answer that is not valid HTTP"
	}
	return "failed: " + a.Err
}

func finalWord(final deliver.Attempt, n int) string {
	switch {
	case final.OK():
		return fmt.Sprintf(", then was acknowledged on attempt %d", final.N)
	case final.Class == deliver.ClassNone && !deliver.Retryable(final):
		return fmt.Sprintf("; the platform does not retry a %dxx, so the event is lost", final.Status/100)
	case n > 1:
		return "; the platform gives up after the last attempt and the event is lost"
	}
	return ""
}

// attemptsWord says how many of n attempts failed: "its only attempt",
// "all 3 attempts", "1 of 2 attempts".
func attemptsWord(k, n int) string {
	switch {
	case n == 1:
		return "its only attempt"
	case k == n:
		return fmt.Sprintf("all %d attempts", n)
	}
	return fmt.Sprintf("%d of %d attempts", k, n)
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func joinViolations(v []contract.Violation, max int) string {
	parts := make([]string, 0, max+1)
	for i, x := range v {
		if i == max {
			parts = append(parts, fmt.Sprintf("and %d more", len(v)-max))
			break
		}
		parts = append(parts, x.String())
	}
	return strings.Join(parts, "; ")
}

func seconds(d time.Duration) string { return fmt.Sprintf("%.1f s", d.Seconds()) }

func formatOffset(d time.Duration) string { return d.Truncate(time.Millisecond).String() }

// Excerpt returns the start of an answer's body as printable text, at most
// max runes, with control characters replaced.
func Excerpt(b []byte, max int) string {
	if len(b) == 0 {
		return ""
	}
	var sb strings.Builder
	n := 0
	for len(b) > 0 && n < max {
		r, size := utf8.DecodeRune(b)
		b = b[size:]
		switch {
		case r == utf8.RuneError && size <= 1:
			r = '?'
		case r == '\n' || r == '\r' || r == '\t':
			r = ' '
		case !unicode.IsPrint(r):
			r = '?'
		}
		sb.WriteRune(r)
		n++
	}
	if len(b) > 0 {
		sb.WriteString("...")
	}
	return sb.String()
}

// Sort orders findings: errors first, then by fixture, event position and check.
func Sort(fs []Finding) {
	rank := map[Severity]int{SeverityError: 0, SeverityWarning: 1, SeverityNote: 2}
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := fs[i], fs[j]
		if rank[a.Severity] != rank[b.Severity] {
			return rank[a.Severity] < rank[b.Severity]
		}
		if a.Fixture != b.Fixture {
			return a.Fixture < b.Fixture
		}
		if a.Seq != b.Seq {
			return a.Seq < b.Seq
		}
		return a.Check < b.Check
	})
}
