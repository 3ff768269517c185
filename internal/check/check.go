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

// Check ids. They are part of the interface: reports and docs use them.
const (
	Status2xx         = "status.2xx"
	Latency5s         = "latency.5s"
	ResponseSchema    = "response.schema"
	AuthMissing       = "auth.missing"
	AuthWrong         = "auth.wrong"
	AuthStale         = "auth.stale"
	PayloadMalformed  = "payload.malformed"
	PayloadInvalid    = "payload.invalid"
	EventUnknown      = "event.unknown"
	PayloadLarge      = "payload.large"
	DuplicateAck      = "duplicate.ack"
	DuplicateFlag     = "duplicate.flag"
	DuplicateEffect   = "duplicate.effect"
	DuplicateFirst    = "duplicate.first"
	DuplicateRace     = "duplicate.race"
	EventLost         = "event.lost"
	PayloadEquivalent = "payload.equivalent"
	OrderTolerant     = "order.tolerant"
	ServerError       = "server.error"
	ErrorLeak         = "error.leak"
	URLHTTPS          = "url.https"
	URLPublic         = "url.public"
	TLSValid          = "tls.valid"
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
		Explanation: "The platform reads only the status: any 2xx within 5 seconds acknowledges, whatever the body, and the shipped contract declares just that (2XX and 4XX, any body). A contract of your own (--spec) that declares answer bodies is enforced: an answer that does not match it is often a proxy page, a framework default or a catch-all route rather than the webhook handler.",
		Fix:         "Answer what your contract declares, or loosen the contract.",
	},
	{
		ID: AuthMissing, Severity: SeverityError,
		Title:       "an event with no credentials is rejected",
		Explanation: "Anyone who learns the webhook URL can post fake calls to it when the receiver accepts requests without the Authorization header (or, with signatures, without webhook-signature). The usual cause is an auth check left out in development, or middleware mounted on the wrong route.",
		Fix:         "Compare the whole Authorization header with the dashboard's value (\"Bearer <token>\") before anything else and answer 401 {\"error\": \"Unauthorized\"} when it differs or is missing.",
	},
	{
		ID: AuthWrong, Severity: SeverityError,
		Title:       "an event with wrong credentials is rejected",
		Explanation: "A receiver that accepts a wrong token, a token without the \"Bearer \" prefix or a bad signature only checks that some credential is present. A leaked or guessed value then works forever.",
		Fix:         "Compare the whole header value in constant time against the secret (or verify the HMAC signature); do not just check for the \"Bearer\" prefix.",
	},
	{
		ID: AuthStale, Severity: SeverityError,
		Title:       "a correctly signed event with an old timestamp is rejected",
		Explanation: "With signed webhooks, a captured request can be replayed later unless the receiver rejects webhook-timestamp values outside a few minutes of its clock.",
		Fix:         "Reject signatures whose webhook-timestamp is more than 5 minutes from now (Standard Webhooks' tolerance).",
	},
	{
		ID: PayloadMalformed, Severity: SeverityWarning,
		Title:       "a body that is not JSON is rejected with a 4xx",
		Explanation: "A receiver that acknowledges garbage will silently drop it; one that answers 5xx makes the platform retry a request that can never succeed. A 4xx (400 recommended; 422 from a validating framework is as good) tells the sender the request itself is wrong and must not be retried.",
		Fix:         "Parse the body before processing and answer 400 {\"error\": \"Invalid payload\"} when it is not JSON.",
	},
	{
		ID: PayloadInvalid, Severity: SeverityWarning,
		Title:       "an event without callId or eventType is rejected with 4xx",
		Explanation: "Without callId and eventType an event cannot be matched to a call or deduplicated. Acknowledging it hides the problem; a 5xx causes pointless retries.",
		Fix:         "Validate the envelope (callId, eventType, timestamp) and answer 400 {\"error\": \"Invalid payload\"} when a field is missing.",
	},
	{
		ID: EventUnknown, Severity: SeverityError,
		Title:       "an event type the receiver does not know is acknowledged",
		Explanation: "The platform adds event types over time. A receiver that rejects types it does not handle (a switch with an error default, a strict enum in a schema validator) fails on the first new one, and the platform retries it until it gives up.",
		Fix:         "Answer 200 {\"received\": true, \"warning\": \"Unknown event type\"} for types you do not handle, and log them.",
	},
	{
		ID: PayloadLarge, Severity: SeverityError,
		Title:       "a long call's call.ended (about 1 MB of transcript) is acknowledged",
		Explanation: "call.ended carries the whole transcript. An hour-long call easily exceeds the default body limit of common web frameworks (100 kB in Express's json() and body-parser), so the longest, most valuable calls are the ones rejected with 413.",
		Fix:         "Raise the JSON body limit of the webhook route to several megabytes (for example express.json({limit: \"10mb\"})), and of any proxy in front of it.",
	},
	{
		ID: DuplicateAck, Severity: SeverityError,
		Title:       "a redelivered event (same callId, eventType and timestamp) is acknowledged",
		Explanation: "The platform redelivers an event when an answer is slow or lost. A receiver that answers a redelivery with an error (for example a unique-constraint violation surfacing as 500 or 409) makes the platform retry again and finally report the delivery as failed.",
		Fix:         "Treat a known callId + eventType + timestamp as success: answer 200 {\"received\": true, \"duplicate\": true} without processing it again.",
	},
	{
		ID: DuplicateFlag, Severity: SeverityNote,
		Title:       "a redelivery is answered with \"duplicate\": true (a recommendation)",
		Explanation: "The platform reads only the status, so the flag is optional. Without it hamsasim cannot tell from the answer whether the receiver recognised the redelivery; --probe-url or --effects-db shows whether it was processed twice.",
		Fix:         "Store callId + eventType + timestamp (a unique key) before processing, and flag redeliveries in the answer.",
	},
	{
		ID: DuplicateEffect, Severity: SeverityError,
		Title:       "a redelivered event takes effect once (checked through --probe-url or --effects-db)",
		Explanation: "The probe API showed an event processed more than once after a redelivery: the receiver has no idempotency, so every retry repeats its side effects.",
		Fix:         "Insert the duplicate key with a unique constraint in the same transaction as the event, and skip processing when it already exists.",
	},
	{
		ID: DuplicateFirst, Severity: SeverityError,
		Title:       "a first delivery is not answered as a duplicate",
		Explanation: "The receiver answered \"duplicate\": true to an event it had never been sent: its duplicate key is too coarse (callId + eventType without the timestamp, or callId + timestamp without the event type), so it drops distinct events that share part of the key: every transcription.update after the first, or a tool.executed stamped in the same millisecond as a turn.",
		Fix:         "Key deduplication on callId + eventType + timestamp, all three.",
	},
	{
		ID: DuplicateRace, Severity: SeverityError,
		Title:       "copies of one event arriving at the same instant take effect once",
		Explanation: "The platform sends overlapping copies when a retry races a slow first attempt, or two of its delivery workers pick up the same event. A receiver that checks for the key and then inserts it (EXISTS, then SET; SELECT, then INSERT) lets every copy through the gap between the two.",
		Fix:         "Make the check and the insert one atomic step: SET key NX, INSERT ... ON CONFLICT DO NOTHING, a unique constraint; process only when the insert took effect.",
	},
	{
		ID: EventLost, Severity: SeverityError,
		Title:       "every acknowledged event is recorded (checked through --probe-url or --effects-db)",
		Explanation: "The receiver acknowledged events its probe API does not show as recorded: the platform counts them delivered and never sends them again, so they are lost for good. The usual causes are a duplicate key that merges distinct events, a queue that drops work, or a write that fails after the 200.",
		Fix:         "Store the event (with its full duplicate key) before answering 2xx, and answer 5xx when the store fails so the platform retries.",
	},
	{
		ID: PayloadEquivalent, Severity: SeverityError,
		Title:       "an event whose bytes differ only where JSON does not care is acknowledged",
		Explanation: "The platform's serializer may indent, escape non-ASCII as \\uXXXX, escape slashes or order keys differently from today's. A receiver that verifies the signature over its own re-serialisation of the parsed body (JSON.stringify(req.body)), or compares bytes, rejects every such event.",
		Fix:         "Verify signatures over the raw request bytes, before parsing; never re-serialise the body to check it.",
	},
	{
		ID: OrderTolerant, Severity: SeverityError,
		Title:       "events that arrive out of lifecycle order are acknowledged",
		Explanation: "Deliveries are concurrent and retried, so a transcription.update can arrive after call.ended, and call.answered may never arrive at all. A receiver that rejects events for a call it has not seen start, or that already ended, loses them for good.",
		Fix:         "Upsert the call record from whichever event arrives first; never reject an event because of the call's state.",
	},
	{
		ID: ServerError, Severity: SeverityError,
		Title:       "no probe gets a 5xx",
		Explanation: "A 5xx answer to a bad or unexpected request means the handler crashed on input it should have rejected or tolerated (a null field, a missing header). The platform retries 5xx, so the crash repeats.",
		Fix:         "Validate input up front and answer 4xx for bad requests; catch errors around processing so they never reach the status code.",
	},
	{
		ID: ErrorLeak, Severity: SeverityWarning,
		Title:       "error answers do not expose internals",
		Explanation: "A stack trace, a file path or a framework's debug page in an answer tells an attacker what runs behind the endpoint and where.",
		Fix:         "Answer errors with a short JSON body ({\"error\": \"Invalid payload\"}) and log the details instead; turn off debug error pages in production.",
	},
	{
		ID: URLHTTPS, Severity: SeverityError,
		Title:       "the webhook URL uses HTTPS",
		Explanation: "The platform refuses plain HTTP webhook URLs. (Against a loopback address this is only a note: local testing is what hamsasim is for.)",
		Fix:         "Serve the webhook over HTTPS; for local development expose it through an HTTPS tunnel.",
	},
	{
		ID: URLPublic, Severity: SeverityError,
		Title:       "the webhook URL is publicly reachable",
		Explanation: "The platform refuses localhost and private addresses (10.x, 172.16-31.x, 192.168.x, link-local). (A note only, when testing on loopback.)",
		Fix:         "Use a public host name for the production webhook URL.",
	},
	{
		ID: TLSValid, Severity: SeverityError,
		Title:       "the certificate is valid and not self-signed",
		Explanation: "The platform verifies the certificate; a self-signed, expired or mismatched one fails every delivery. (A note only on loopback.)",
		Fix:         "Use a certificate from a public CA for the webhook's host name, with the full chain.",
	},
	{
		ID: TargetUnreachable, Severity: SeverityError,
		Title:       "the target keeps answering",
		Explanation: "Several attempts in a row got no answer at all (timeouts or connection failures), so the run stopped sending, as a delivery platform's circuit breaker would. The remaining events were not sent.",
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
	Check       string   `json:"check"`
	Severity    Severity `json:"severity"`
	Probe       string   `json:"probe,omitempty"` // the probe that found it; empty for the lifecycle replay
	Fixture     string   `json:"fixture,omitempty"`
	Event       string   `json:"event,omitempty"` // event type
	CallID      string   `json:"callId,omitempty"`
	Seq         int      `json:"seq"`              // position of the event in its call
	Offset      string   `json:"offset,omitempty"` // time into the call
	Attempt     int      `json:"attempt,omitempty"`
	Status      int      `json:"status"`
	LatencyMs   int64    `json:"latencyMs"`
	ErrorClass  string   `json:"errorClass,omitempty"`
	Message     string   `json:"message"`
	Excerpt     string   `json:"excerpt,omitempty"`     // the start of the answer's body
	Request     string   `json:"request,omitempty"`     // what was sent, in a line
	Curl        string   `json:"curl,omitempty"`        // reproduces the request; the secret is a shell variable
	Explanation string   `json:"explanation,omitempty"` // why it matters, the usual cause
	Fix         string   `json:"fix,omitempty"`

	// Payload is the body the curl command refers to as a file, when it is
	// too large to inline. It is written next to the JSON report.
	Payload     []byte `json:"-"`
	PayloadFile string `json:"payloadFile,omitempty"`

	// Cause tells findings of one check and event type apart when they
	// are grouped: "status 500", "timeout"; empty means the answer's
	// status or error class.
	Cause string `json:"cause,omitempty"`
	// Count is how many occurrences Group folded into this finding: the
	// first (whose details the finding carries) and the others, listed in
	// Occurrences. 0 or 1 means this one alone.
	Count       int          `json:"count,omitempty"`
	Occurrences []Occurrence `json:"occurrences,omitempty"`
}

// Occurrence is one place a grouped finding arose: an event of a call, or
// a probe request. The first few carry a curl reproduction.
type Occurrence struct {
	ID      string `json:"id"` // callId#seq, or the probe's name for a probe's own call
	Fixture string `json:"fixture,omitempty"`
	CallID  string `json:"callId,omitempty"`
	Event   string `json:"event,omitempty"`
	Seq     int    `json:"seq"`
	Probe   string `json:"probe,omitempty"`
	Curl    string `json:"curl,omitempty"`
}

// New returns a finding of check id with the catalog's severity,
// explanation and fix filled in.
func New(id, message string) Finding {
	c, _ := Lookup(id)
	return Finding{Check: id, Severity: c.Severity, Message: message, Explanation: c.Explanation, Fix: c.Fix}
}

// Delivery evaluates one event's delivery: every attempt's status and
// latency, and the acknowledging answer's shape. It returns at most one
// finding per check.
func Delivery(c *contract.Contract, r deliver.Result) []Finding {
	var out []Finding
	base := func(id string, a deliver.Attempt) Finding {
		f := New(id, "")
		f.Fixture, f.Event, f.CallID, f.Seq, f.Offset = r.Event.Fixture, r.Event.Type, r.Event.CallID, r.Event.Seq, formatOffset(r.Event.Offset)
		f.Attempt, f.Status, f.LatencyMs, f.ErrorClass, f.Excerpt = a.N, a.Status, a.Latency.Milliseconds(), string(a.Class), Excerpt(a.Body, 200)
		f.Request = fmt.Sprintf("POST %s (%d bytes)", r.Event.Type, len(r.Event.Body))
		return f
	}
	var slow, failed []deliver.Attempt
	n := 0 // attempts that really happened: not cut short by an interruption
	for _, a := range r.Attempts {
		if a.Class == deliver.ClassCanceled {
			continue
		}
		n++
		if Slow(a, deliver.AckBudget) {
			slow = append(slow, a)
		}
		if !a.OK() {
			failed = append(failed, a)
		}
	}
	final := r.Final()
	// The run stopped this delivery if its last attempt was cut short, or
	// if a retry was due when it ended (breaker or interruption).
	stopped := final.Class == deliver.ClassCanceled || (!final.OK() && final.RetryDelay > 0)
	if final.Class == deliver.ClassCanceled && len(r.Attempts) > 1 {
		final = r.Attempts[len(r.Attempts)-2]
	}
	if len(failed) > 0 {
		f := base(Status2xx, failed[0])
		end := finalWord(final, n)
		if stopped {
			end = "; the run stopped before its next retry"
		}
		if len(r.Skipped) > 0 {
			// Its own group: the message of a fully retried event would
			// misstate these.
			f.Cause = CauseOf(f) + ", sent once"
			end = fmt.Sprintf("; sent once, as earlier %s events had failed every attempt: the platform would retry after %s and then drop it", r.Event.Type, waits(r.Skipped))
		}
		f.Message = fmt.Sprintf("%s %s on %s%s", r.Event.Type, Outcome(failed[0]), attemptsWord(len(failed), n), end)
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
	if final.OK() && final.N == 1 && final.Trigger == deliver.TriggerFirst && flaggedDuplicate(final.Body) {
		// Only a first attempt: a retry after a timeout or a 5xx may
		// rightly be a duplicate of what the receiver stored.
		f := base(DuplicateFirst, final)
		f.Cause = "first delivery flagged duplicate"
		f.Message = fmt.Sprintf("the first delivery of %s #%d was answered as a duplicate: the receiver treated a new event as one it already had and dropped it", r.Event.Type, r.Event.Seq)
		out = append(out, f)
	}
	if final.OK() {
		if v := answerViolations(c, r.Event.Type, r.Event.Body, final); len(v) > 0 {
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
	case deliver.ClassLate:
		return fmt.Sprintf("answered %d after %s, past the platform's %s budget (it had given up)", a.Status, seconds(a.Latency), seconds(deliver.AckBudget))
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
	case k == n && n == 2:
		return "both attempts"
	case k == n:
		return fmt.Sprintf("all %d attempts", n)
	}
	return fmt.Sprintf("%d of %d attempts", k, n)
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

// waits lists retry waits in words: "1.0 s, 2.0 s".
func waits(ds []time.Duration) string {
	parts := make([]string, len(ds))
	for i, d := range ds {
		parts[i] = seconds(d)
	}
	return strings.Join(parts, ", ")
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
