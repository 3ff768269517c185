// Package deliver POSTs events to a receiver the way the platform does: the
// Authorization header taken whole from the configured secret, a 5-second
// budget per attempt, retries with backoff for failures the platform retries,
// and the event's own timestamp kept on every retry. Every attempt is logged.
package deliver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/hamsasim/hamsasim/internal/event"
	"github.com/hamsasim/hamsasim/internal/sign"
)

// AckBudget is the platform's rule: a receiver must answer 2xx within this
// long, or the platform gives up on the attempt and retries. It is the one
// definition of the 5-second rule in hamsasim: every default, limit and
// message that speaks of it derives from this constant.
const AckBudget = 5 * time.Second

// Acknowledged is the one decision of whether the platform counts an answer
// as a successful delivery: a complete HTTP answer with a 2xx status
// (whatever its body or content type) that arrived within AckBudget. Every
// command, the load engine and the Gherkin steps decide through it.
func Acknowledged(status int, class Class, latency time.Duration) bool {
	return class == ClassNone && status >= 200 && status < 300 && latency < AckBudget
}

// Defaults for New.
const (
	DefaultMaxAnswerBytes = 64 << 10 // bytes of an answer read and kept
	DefaultUserAgent      = "hamsasim"
)

// ErrOption is wrapped by errors from invalid options.
var ErrOption = errors.New("invalid delivery option")

// Class names why an attempt got no usable answer. The empty class means an
// HTTP answer arrived (whatever its status).
type Class string

// The error classes of an attempt.
const (
	ClassNone      Class = ""
	ClassTimeout   Class = "timeout"   // no complete answer within the attempt's time limit
	ClassLate      Class = "late"      // an answer came, but after AckBudget: the platform had given up
	ClassRefused   Class = "refused"   // connection refused
	ClassReset     Class = "reset"     // connection reset or closed mid-answer
	ClassDNS       Class = "dns"       // host name did not resolve
	ClassTLS       Class = "tls"       // TLS handshake or certificate failure
	ClassProtocol  Class = "protocol"  // the answer was not valid HTTP/1.1, or the server speaks only HTTP/2
	ClassCanceled  Class = "canceled"  // the run was interrupted
	ClassTransport Class = "transport" // any other network failure
)

// Trigger says why an attempt was made.
type Trigger string

// Triggers.
const (
	TriggerFirst      Trigger = "first"
	TriggerRetry      Trigger = "retry"
	TriggerRedelivery Trigger = "redelivery" // the same event sent again, as after a lost answer
)

// Attempt is one HTTP exchange. It never holds the Authorization value.
type Attempt struct {
	N          int           // 1 for the first try
	Trigger    Trigger       //
	Start      time.Time     //
	Latency    time.Duration // from sending to the end of the answer (or the failure)
	Status     int           // 0 when no answer arrived
	Class      Class         // why no answer arrived
	Err        string        // the failure, in words
	Header     http.Header   // the answer's headers
	Body       []byte        // the answer's body, at most MaxAnswerBytes
	BodyBytes  int64         // bytes read of the body (may exceed len(Body) if truncated)
	Truncated  bool          // the body was longer than what was read
	SentBytes  int           // request body size
	RetryDelay time.Duration // wait before the next attempt, if one follows
}

// OK reports whether the attempt was acknowledged (see Acknowledged).
func (a Attempt) OK() bool { return Acknowledged(a.Status, a.Class, a.Latency) }

// Answered reports whether a complete answer arrived, late or not: the
// circuit breaker counts only attempts that got none. Headers followed by a
// body cut off or stalled are no answer.
func (a Attempt) Answered() bool {
	return a.Status != 0 && (a.Class == ClassNone || a.Class == ClassLate)
}

// lateIfSlow marks an answer that came after AckBudget. Its status is kept
// for the record, but the platform never saw it: it had given up on the
// attempt and will retry, as after a timeout.
func (a *Attempt) lateIfSlow() {
	if a.Class == ClassNone && a.Status != 0 && a.Latency >= AckBudget {
		a.Class = ClassLate
		a.Err = fmt.Sprintf("answered %d after %.1f s, past the platform's %s budget", a.Status, a.Latency.Seconds(), AckBudget)
	}
}

// Result is the whole delivery of one event: every attempt, in order.
type Result struct {
	Event    event.Event
	Attempts []Attempt
	// Skipped holds the waits of the retries the policy would have made
	// after the last attempt but the caller chose not to (DeliverOnce):
	// the platform would make them, then drop the event.
	Skipped []time.Duration
}

// Final is the last attempt.
func (r Result) Final() Attempt {
	if len(r.Attempts) == 0 {
		return Attempt{}
	}
	return r.Attempts[len(r.Attempts)-1]
}

// Made counts the attempts that really happened: not those an
// interruption cut short.
func (r Result) Made() int {
	n := 0
	for _, a := range r.Attempts {
		if a.Class != ClassCanceled {
			n++
		}
	}
	return n
}

// Acked reports whether some attempt was acknowledged.
func (r Result) Acked() bool { return r.Final().OK() }

// Deliverer sends events. It is safe for concurrent use.
type Deliverer struct {
	client         *http.Client
	signer         Signer
	timeout        time.Duration
	policy         RetryPolicy
	clock          Clock
	maxAnswerBytes int64
	userAgent      string
	headers        http.Header
}

// Option configures a Deliverer.
type Option func(*Deliverer) error

// WithAuthorization sets the Authorization header value, sent whole (the
// platform stores "Bearer <token>"), read from $WEBHOOK_SECRET. Empty sends
// no Authorization (noAuth).
func WithAuthorization(value string) Option {
	if value == "" {
		return WithSigner(NoAuth{})
	}
	return WithSigner(Bearer{Value: value, Env: "WEBHOOK_SECRET"})
}

// WithSigner sets how requests are authenticated.
func WithSigner(s Signer) Option {
	return func(d *Deliverer) error {
		if s == nil {
			return fmt.Errorf("%w: nil signer", ErrOption)
		}
		if b, ok := s.(Bearer); ok && strings.ContainsAny(b.Value, "\r\n") {
			return fmt.Errorf("%w: the Authorization value contains a line break", ErrOption)
		}
		d.signer = s
		return nil
	}
}

// WithTimeout replaces AckBudget as the per-attempt limit (tests only need this).
func WithTimeout(t time.Duration) Option {
	return func(d *Deliverer) error {
		if t <= 0 {
			return fmt.Errorf("%w: timeout must be positive", ErrOption)
		}
		d.timeout = t
		return nil
	}
}

// WithRetryPolicy sets when and after how long a failed attempt is retried.
func WithRetryPolicy(p RetryPolicy) Option {
	return func(d *Deliverer) error {
		if p == nil {
			return fmt.Errorf("%w: nil retry policy", ErrOption)
		}
		d.policy = p
		return nil
	}
}

// WithClock sets the clock used for timestamps of attempts and retry waits.
func WithClock(c Clock) Option {
	return func(d *Deliverer) error {
		if c == nil {
			return fmt.Errorf("%w: nil clock", ErrOption)
		}
		d.clock = c
		return nil
	}
}

// WithMaxAnswerBytes bounds how much of an answer is read.
func WithMaxAnswerBytes(n int64) Option {
	return func(d *Deliverer) error {
		if n <= 0 {
			return fmt.Errorf("%w: max answer bytes must be positive", ErrOption)
		}
		d.maxAnswerBytes = n
		return nil
	}
}

// WithHeader adds a header to every request.
func WithHeader(name, value string) Option {
	return func(d *Deliverer) error { d.headers.Add(name, value); return nil }
}

// WithHTTPClient replaces the HTTP client. Its redirect policy should not follow redirects.
func WithHTTPClient(c *http.Client) Option {
	return func(d *Deliverer) error { d.client = c; return nil }
}

// New returns a Deliverer with the platform's defaults: AckBudget per
// attempt, DefaultBackoff, redirects not followed (a 3xx is a failure).
func New(opts ...Option) (*Deliverer, error) {
	d := &Deliverer{
		signer:         NoAuth{},
		timeout:        AckBudget,
		policy:         DefaultBackoff(),
		clock:          SystemClock{},
		maxAnswerBytes: DefaultMaxAnswerBytes,
		userAgent:      DefaultUserAgent,
		headers:        http.Header{},
	}
	for _, o := range opts {
		if err := o(d); err != nil {
			return nil, err
		}
	}
	if d.client == nil {
		d.client = NewHTTPClient(64, false)
	}
	return d, nil
}

// Deliver sends ev to target, retrying as the policy says. It returns when
// an attempt is acknowledged, the policy gives up, or ctx is done. observe,
// if not nil, sees each attempt as soon as it ends.
func (d *Deliverer) Deliver(ctx context.Context, target string, ev event.Event, observe func(Attempt)) Result {
	res := Result{Event: ev}
	req := Request{Target: target, Body: ev.Body, MsgID: MessageID(ev.Key())}
	for n := 1; ; n++ {
		trig := TriggerFirst
		if n > 1 {
			trig = TriggerRetry
		}
		a := d.Send(ctx, req, n, trig)
		var wait time.Duration
		again := false
		if !a.OK() && a.Class != ClassCanceled {
			if wait, again = d.policy.Next(n, a); again {
				a.RetryDelay = wait
			}
		}
		if observe != nil {
			observe(a)
		}
		res.Attempts = append(res.Attempts, a)
		if !again {
			return res
		}
		if err := d.clock.Sleep(ctx, wait); err != nil {
			return res
		}
	}
}

// DeliverOnce sends ev a single time. When the attempt fails, the retries
// the policy would make after it (assuming each fails the same way) are
// recorded in Result.Skipped, not made: a run bounded in time uses it for
// an event type that has failed every attempt several times in a row.
func (d *Deliverer) DeliverOnce(ctx context.Context, target string, ev event.Event, observe func(Attempt)) Result {
	req := Request{Target: target, Body: ev.Body, MsgID: MessageID(ev.Key())}
	a := d.Send(ctx, req, 1, TriggerFirst)
	if observe != nil {
		observe(a)
	}
	res := Result{Event: ev, Attempts: []Attempt{a}}
	if !a.OK() && a.Class != ClassCanceled {
		for n := 1; n <= maxScheduled; n++ {
			wait, again := d.policy.Next(n, a)
			if !again {
				break
			}
			res.Skipped = append(res.Skipped, wait)
		}
	}
	return res
}

// maxScheduled bounds the skipped retries DeliverOnce records, against a
// policy that never gives up.
const maxScheduled = 32

// Request is one message to send.
type Request struct {
	Method string // default POST
	Target string
	Body   []byte
	MsgID  string // webhook-id for signatures; the same on every attempt
	Signer Signer // nil: the Deliverer's own
	// Header holds extra headers, set after signing (a probe may override).
	Header http.Header
}

// Repro returns a shell command that sends req again, with the secret as
// a shell variable. Bodies over inlineLimit bytes are read from bodyFile.
// With signatures the command computes them itself (it needs openssl).
func (d *Deliverer) Repro(req Request, bodyFile string) string {
	s := req.Signer
	if s == nil {
		s = d.signer
	}
	body, file := shellQuote(string(req.Body)), ""
	if len(req.Body) > inlineLimit && bodyFile != "" {
		// Too long for one argument (the kernel caps each at 128 KiB).
		file = shellQuote(bodyFile)
		body = "@" + file
	}
	var b strings.Builder
	headers := s.Repro(req.MsgID)
	if h, ok := s.(HMAC); ok {
		if file != "" {
			b.WriteString(h.prelude(req.MsgID, "", file))
		} else {
			b.WriteString(h.prelude(req.MsgID, body, ""))
			body = `"$body"`
		}
		headers = []string{
			sign.HeaderID + ": " + req.MsgID,
			sign.HeaderTimestamp + ": $ts",
			sign.HeaderSignature + ": v1,$sig",
		}
	}
	method := req.Method
	if method == "" {
		method = http.MethodPost
	}
	fmt.Fprintf(&b, "curl -sS -i -X %s %s -H 'Content-Type: application/json'", method, shellQuote(req.Target))
	for _, h := range headers {
		fmt.Fprintf(&b, " -H \"%s\"", h)
	}
	for k, vs := range req.Header {
		for _, v := range vs {
			fmt.Fprintf(&b, " -H %s", shellQuote(k+": "+v))
		}
	}
	fmt.Fprintf(&b, " --data-binary %s", body)
	return b.String()
}

// inlineLimit is the largest body a reproduction carries inline.
const inlineLimit = 16 << 10

// ShellQuote quotes s for a POSIX shell.
func ShellQuote(s string) string { return shellQuote(s) }

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// Send makes one attempt: POST the body to the target within the timeout.
func (d *Deliverer) Send(ctx context.Context, r Request, n int, trig Trigger) Attempt {
	a := Attempt{N: n, Trigger: trig, Start: d.clock.Now(), SentBytes: len(r.Body)}
	actx, cancel := context.WithTimeout(ctx, d.timeout)
	defer cancel()
	var conn connOf
	req, err := d.request(conn.trace(actx), r)
	if err != nil {
		a.Class, a.Err = ClassTransport, "cannot build the request: "+err.Error()
		return a
	}
	begin := time.Now()
	resp, err := d.client.Do(req)
	if err != nil {
		a.Latency = time.Since(begin)
		a.Class, a.Err = classifyOn(ctx, actx, &conn, err)
		return a
	}
	readErr := d.readAnswer(&a, resp)
	a.Latency = time.Since(begin)
	if readErr != nil {
		a.Class, a.Err = classifyOn(ctx, actx, &conn, readErr)
		a.Err = "answer cut off: " + a.Err
	}
	a.lateIfSlow()
	return a
}

// request builds the HTTP request of one attempt as the platform sends it:
// the method (POST by default), the body, Content-Type, User-Agent, the
// Deliverer's extra headers, the signer's auth headers, then the
// request's own headers. Every way of sending builds through it.
func (d *Deliverer) request(ctx context.Context, r Request) (*http.Request, error) {
	method := r.Method
	if method == "" {
		method = http.MethodPost
	}
	req, err := http.NewRequestWithContext(ctx, method, r.Target, bytes.NewReader(r.Body))
	if err != nil {
		return nil, err
	}
	if len(r.Body) > 0 || method == http.MethodPost {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("User-Agent", d.userAgent)
	for k, vs := range d.headers {
		req.Header[k] = append([]string(nil), vs...)
	}
	signer := r.Signer
	if signer == nil {
		signer = d.signer
	}
	signer.Sign(req.Header, r.MsgID, r.Body, d.clock.Now())
	for k, vs := range r.Header {
		req.Header[k] = append([]string(nil), vs...)
	}
	return req, nil
}

// readAnswer reads an answer's status, headers and body (at most
// maxAnswerBytes of it) into a, and closes the body. The error is why the
// body could not be read whole.
func (d *Deliverer) readAnswer(a *Attempt, resp *http.Response) error {
	a.Status = resp.StatusCode
	a.Header = resp.Header
	buf, readErr := io.ReadAll(io.LimitReader(resp.Body, d.maxAnswerBytes))
	a.Body = buf
	a.BodyBytes = int64(len(buf))
	if readErr == nil {
		// One byte more tells whether the answer was longer than the cap;
		// an answer that stalls or breaks there is not a complete answer.
		var one [1]byte
		k, err := io.ReadFull(resp.Body, one[:])
		if k > 0 {
			a.Truncated = true
			a.BodyBytes++
		} else if err != nil && !errors.Is(err, io.EOF) {
			readErr = err
		}
	}
	resp.Body.Close()
	return readErr
}
