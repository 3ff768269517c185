package load

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/hamsasim/hamsasim/internal/deliver"
	"github.com/hamsasim/hamsasim/internal/scenario"
)

// The engine tags each attempt with a number in the URL's fragment: it
// travels with vegeta's Target into the request and back in the Result, and
// it never reaches the wire (a fragment is not sent).
func tagURL(base string, tag uint64) string {
	return base + "#" + strconv.FormatUint(tag, 36)
}

func tagOf(rawURL string) (uint64, bool) {
	i := strings.LastIndexByte(rawURL, '#')
	if i < 0 {
		return 0, false
	}
	return parseTag(rawURL[i+1:])
}

func parseTag(fragment string) (uint64, bool) {
	n, err := strconv.ParseUint(fragment, 36, 64)
	return n, err == nil
}

// exchange is what the transport saw of one attempt. The worker goroutine
// writes it; the engine reads it after the attempt's Result arrives, which
// orders the two.
type exchange struct {
	sent  time.Time
	ended time.Time
	err   error
	class deliver.Class // set when the transport knows better than the error
	// injected is set when the scenario's network fault, not the target,
	// decided the attempt's fate.
	injected bool
}

// taggedTransport times each attempt from the moment it is sent to the end
// of its answer's body (vegeta's own latency also counts the time a worker
// waited for the next ready event), records transport errors with their
// type intact, strips vegeta's own headers (the platform sends none), and
// applies the scenario's network faults.
type taggedTransport struct {
	inner   http.RoundTripper
	lookup  func(tag uint64) *exchange
	faults  []scenario.Fault
	start   time.Time
	timeout time.Duration // the client's; a failure this late is a timeout
}

// failed records a transport failure. The client's timeout cancels the
// request in ways that do not always say so ("request canceled"), so a
// failure at the timeout, or once the request's context is done, is a timeout.
func (t *taggedTransport) failed(x *exchange, ctx context.Context, err error) {
	x.ended, x.err = time.Now(), err
	if x.class == deliver.ClassNone && (ctx.Err() != nil || (t.timeout > 0 && x.ended.Sub(x.sent) >= t.timeout-timeoutSlack)) {
		x.class = deliver.ClassTimeout
	}
}

// timeoutSlack absorbs timer jitter when telling a timeout by its length.
const timeoutSlack = 5 * time.Millisecond

var errFaultRefused = &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
var errFaultReset = &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}

func (t *taggedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	tag, ok := parseTag(req.URL.Fragment)
	var x *exchange
	if ok {
		x = t.lookup(tag)
	}
	if x == nil {
		x = &exchange{} // not one of ours: time it anyway, nobody reads it
	}
	// vegeta builds a new request for every attempt and never looks at it
	// again, so its own headers are taken out in place (the platform sends
	// none) instead of copying every header of every request.
	delete(req.Header, "X-Vegeta-Attack")
	delete(req.Header, "X-Vegeta-Seq")
	x.sent = time.Now()
	if err := t.fault(req.Context(), x); err != nil {
		t.failed(x, req.Context(), err)
		return nil, err
	}
	resp, err := t.inner.RoundTrip(req)
	if err != nil {
		t.failed(x, req.Context(), err)
		return nil, err
	}
	resp.Body = &timedBody{ReadCloser: resp.Body, x: x, ctx: req.Context(), t: t}
	return resp, nil
}

// fault applies the network fault active now, if any: it returns the error
// the attempt fails with, or nil to send it (after a latency fault's delay).
func (t *taggedTransport) fault(ctx context.Context, x *exchange) error {
	if len(t.faults) == 0 {
		return nil
	}
	at := time.Since(t.start)
	for _, f := range t.faults {
		if at < f.Start || at >= f.End() {
			continue
		}
		x.injected = true
		switch f.Kind {
		case scenario.FaultBlackhole:
			<-ctx.Done() // the request's timeout ends it
			x.class = deliver.ClassTimeout
			return ctx.Err()
		case scenario.FaultRefuse:
			x.class = deliver.ClassRefused
			return errFaultRefused
		case scenario.FaultReset:
			x.class = deliver.ClassReset
			return errFaultReset
		case scenario.FaultLatency:
			timer := time.NewTimer(f.Value)
			select {
			case <-timer.C:
			case <-ctx.Done():
				timer.Stop()
				x.class = deliver.ClassTimeout
				return ctx.Err()
			}
		}
	}
	return nil
}

// timedBody marks when the answer's body ended, and how.
type timedBody struct {
	io.ReadCloser
	x   *exchange
	ctx context.Context
	t   *taggedTransport
}

func (b *timedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil && b.x.ended.IsZero() {
		if errors.Is(err, io.EOF) {
			b.x.ended = time.Now()
		} else {
			b.t.failed(b.x, b.ctx, err)
		}
	}
	return n, err
}

func (b *timedBody) Close() error {
	if b.x.ended.IsZero() {
		b.x.ended = time.Now()
	}
	return b.ReadCloser.Close()
}
