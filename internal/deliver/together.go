package deliver

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"
)

// MaxTogether bounds the copies SendTogether sends at once.
const MaxTogether = 64

// ErrCopies is returned by SendTogether for a number of copies outside
// 1..MaxTogether.
var ErrCopies = errors.New("invalid number of copies")

// SendTogether sends copies identical copies of r at the same instant, each
// over a connection of its own, so that they overlap on the receiver: what
// happens when the platform's retry races a slow first attempt, or two of
// its delivery workers pick up the same event. It makes one attempt per
// copy (no retries) and returns them in connection order; each is
// classified as Send classifies, with its latency measured from the moment
// its copy was complete. The error is only for copies out of range.
//
// The copies are released by last-byte synchronisation: every connection
// is dialled (with the Deliverer's own dialer and TLS settings) and sent
// the whole request but its last byte; once all of them hold that much,
// the last bytes go out one after another in a tight loop, a few
// microseconds apart. A receiver cannot act on a request before its last
// byte, so the copies become complete on the receiver within that spread,
// whatever the time it took to dial or to send the bodies. No HTTP library
// does this (a client sends a request whole, and its connection pool
// decides which connection carries it), so SendTogether writes the
// serialized request itself and reads the answers with http.ReadResponse.
//
// Safe for concurrent use.
func (d *Deliverer) SendTogether(ctx context.Context, r Request, copies int, trig Trigger) ([]Attempt, error) {
	if copies < 1 || copies > MaxTogether {
		return nil, fmt.Errorf("%w: %d; send from 1 to %d copies together", ErrCopies, copies, MaxTogether)
	}
	out := make([]Attempt, copies)
	for i := range out {
		out[i] = Attempt{N: 1, Trigger: trig, Start: d.clock.Now(), SentBytes: len(r.Body)}
	}
	// Dialling and sending all but the last byte get the attempt's own
	// time limit; the answers get it again from the release.
	setup, cancel := context.WithTimeout(ctx, d.timeout)
	defer cancel()
	begin := time.Now()
	req, wire, err := d.serialize(setup, r)
	if err != nil {
		for i := range out {
			out[i].Class, out[i].Err = ClassTransport, "cannot build the request: "+err.Error()
		}
		return out, nil
	}
	t := together{d: d, req: req, wire: wire, copies: make([]*copyOf, copies)}
	t.open(ctx, setup)
	released := d.clock.Now()
	release := t.release(ctx)
	t.wait()
	for i, c := range t.copies {
		if c.failed == nil {
			out[i].Start = released
		}
		c.attempt(&out[i], ctx, setup, release, begin)
	}
	return out, nil
}

// serialize builds the request as Send does, asking the receiver to close
// the connection after its answer (each connection carries one request),
// and writes it out as it goes on the wire.
func (d *Deliverer) serialize(ctx context.Context, r Request) (*http.Request, []byte, error) {
	req, err := d.request(ctx, r)
	if err != nil {
		return nil, nil, err
	}
	req.Close = true
	var b bytes.Buffer
	if err := req.Write(&b); err != nil {
		return nil, nil, err
	}
	return req, b.Bytes(), nil
}

// together is one SendTogether in progress.
type together struct {
	d       *Deliverer
	req     *http.Request
	wire    []byte
	copies  []*copyOf
	readers sync.WaitGroup
}

// copyOf is one copy's connection and what happened on it. Its fields are
// written by the goroutine that dials it, then (after the barrier) by the
// releasing loop and its reader, and read once all have finished.
type copyOf struct {
	conn    net.Conn
	watch   connOf
	stop    func() bool // unregisters the cancellation hook
	failed  error       // dialling or sending all but the last byte
	lastErr error       // sending the last byte
	sentAt  time.Time   // when the last byte was written
	resp    *http.Response
	readErr error
	endedAt time.Time
	answer  Attempt // status, headers and body, as readAnswer fills them
}

// open dials every connection and sends each all but the last byte, at
// once, and returns when every copy holds that much or has failed. Each
// connection's reader starts as soon as its copy is in place, so that an
// answer the receiver sends early (a 401 after the headers) is read.
func (t *together) open(ctx, setup context.Context) {
	var wg sync.WaitGroup
	deadline, _ := setup.Deadline()
	head := t.wire[:len(t.wire)-1]
	for i := range t.copies {
		c := &copyOf{}
		t.copies[i] = c
		wg.Go(func() {
			conn, err := t.d.dial(setup, t.req.URL)
			if err != nil {
				c.failed = err
				return
			}
			if sc, ok := conn.(*sniffConn); ok {
				c.watch.conn.Store(sc)
			}
			// Bounded until the release sets the answers' own limit.
			conn.SetDeadline(deadline.Add(t.d.timeout))
			conn.SetWriteDeadline(deadline)
			// An interruption unblocks whatever the copy is waiting for (set
			// after the deadlines above, so that it is not undone by them).
			c.stop = context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
			if _, err := conn.Write(head); err != nil {
				c.stop()
				conn.Close()
				c.failed = err
				return
			}
			c.conn = conn
			t.readers.Go(func() { t.read(c) })
		})
	}
	wg.Wait()
}

// release writes the last byte of every copy that is in place, in a tight
// loop: the barrier has passed, and nothing else happens between the
// writes. It returns when the loop began.
func (t *together) release(ctx context.Context) time.Time {
	last := t.wire[len(t.wire)-1:]
	now := time.Now()
	for _, c := range t.copies {
		if c.conn != nil {
			c.conn.SetReadDeadline(now.Add(t.d.timeout))
		}
	}
	start := time.Now()
	for _, c := range t.copies {
		if c.conn == nil || ctx.Err() != nil {
			continue
		}
		_, c.lastErr = c.conn.Write(last)
		c.sentAt = time.Now()
	}
	if ctx.Err() != nil {
		// The deadlines above may have replaced the interruption's.
		for _, c := range t.copies {
			if c.conn != nil {
				c.conn.SetDeadline(time.Unix(1, 0))
			}
		}
	}
	return start
}

// read reads one copy's answer: the status line and headers, then the body
// as Send reads it.
func (t *together) read(c *copyOf) {
	resp, err := http.ReadResponse(bufio.NewReader(c.conn), t.req)
	if err == nil {
		c.resp = resp
		err = t.d.readAnswer(&c.answer, resp)
	}
	c.readErr = err
	c.endedAt = time.Now()
}

// wait waits for every reader, then closes the connections.
func (t *together) wait() {
	t.readers.Wait()
	for _, c := range t.copies {
		if c.conn != nil {
			c.stop()
			c.conn.Close()
		}
	}
}

// attempt fills a with what happened to the copy, classified as Send
// classifies: a failure before the release against the setup's limit, one
// after it by the error alone (a read past the answer's limit fails as a
// timeout; an interruption is told by ctx).
func (c *copyOf) attempt(a *Attempt, ctx, setup context.Context, release, begin time.Time) {
	if c.failed != nil {
		a.Latency = time.Since(begin)
		a.Class, a.Err = classifyOn(ctx, setup, &c.watch, c.failed)
		return
	}
	from := c.sentAt
	if from.IsZero() {
		from = release
	}
	// An answer the receiver sent before the last byte took no time.
	a.Latency = max(c.endedAt.Sub(from), 0)
	answering := context.WithoutCancel(ctx)
	switch {
	case c.resp == nil && c.lastErr != nil:
		// The connection failed as the last byte went out.
		a.Class, a.Err = classifyOn(ctx, answering, &c.watch, c.lastErr)
	case c.resp == nil:
		a.Class, a.Err = classifyOn(ctx, answering, &c.watch, c.readErr)
	default:
		a.Status, a.Header, a.Body, a.BodyBytes, a.Truncated = c.answer.Status, c.answer.Header, c.answer.Body, c.answer.BodyBytes, c.answer.Truncated
		if c.readErr != nil {
			a.Class, a.Err = classifyOn(ctx, answering, &c.watch, c.readErr)
			a.Err = "answer cut off: " + a.Err
		}
	}
	a.lateIfSlow()
}

// dial opens one connection to u's host as the Deliverer's client would:
// with its transport's dialers when it is an *http.Transport
// (NewHTTPClient's: its timeouts and TLS settings, --insecure included,
// HTTP/1.1 only), plain ones otherwise. The connection's answer is watched
// as the client's are (see ErrHTTP2Frames, ErrNotHTTP).
func (d *Deliverer) dial(ctx context.Context, u *url.URL) (net.Conn, error) {
	type dialFunc = func(context.Context, string, string) (net.Conn, error)
	var (
		plain, withTLS dialFunc
		cfg            *tls.Config
	)
	if tr, ok := d.client.Transport.(*http.Transport); ok {
		plain, withTLS, cfg = tr.DialContext, tr.DialTLSContext, tr.TLSClientConfig
	}
	if plain == nil {
		plain = (&net.Dialer{Timeout: AckBudget}).DialContext
	}
	addr := hostPort(u)
	switch u.Scheme {
	case "http":
		c, err := plain(ctx, "tcp", addr)
		if err != nil {
			return nil, err
		}
		return watched(c), nil
	case "https":
		if withTLS != nil {
			c, err := withTLS(ctx, "tcp", addr)
			if err != nil {
				return nil, err
			}
			return watched(c), nil
		}
		raw, err := plain(ctx, "tcp", addr)
		if err != nil {
			return nil, err
		}
		if sc, ok := raw.(*sniffConn); ok {
			raw = sc.Conn // the watch belongs above TLS, on the answer
		}
		if cfg == nil {
			cfg = &tls.Config{MinVersion: tls.VersionTLS12}
		}
		cfg = cfg.Clone()
		if cfg.ServerName == "" {
			cfg.ServerName = u.Hostname()
		}
		cfg.NextProtos = []string{"http/1.1"}
		tc := tls.Client(raw, cfg)
		if err := tc.HandshakeContext(ctx); err != nil {
			raw.Close()
			return nil, err
		}
		return &sniffConn{Conn: tc}, nil
	}
	return nil, fmt.Errorf("unsupported protocol scheme %q", u.Scheme)
}

// watched wraps c in a sniffConn unless it is one already.
func watched(c net.Conn) net.Conn {
	if _, ok := c.(*sniffConn); ok {
		return c
	}
	return &sniffConn{Conn: c}
}

// hostPort is u's host with the scheme's default port when it has none.
func hostPort(u *url.URL) string {
	if port := u.Port(); port != "" {
		return net.JoinHostPort(u.Hostname(), port)
	}
	port := "80"
	if u.Scheme == "https" {
		port = "443"
	}
	return net.JoinHostPort(u.Hostname(), port)
}
