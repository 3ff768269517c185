package deliver

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/textproto"
	"net/url"
	"sync/atomic"
	"syscall"
	"time"
)

// ErrHTTP2Frames is wrapped by the error of an attempt whose answer began
// with an HTTP/2 frame where an HTTP/1.1 status line belongs: the target
// speaks only HTTP/2, and the platform delivers over HTTP/1.1.
var ErrHTTP2Frames = errors.New("the answer is HTTP/2 frames, not HTTP/1.1")

// ErrNotHTTP is wrapped by the error of an attempt whose answer did not
// begin with an HTTP/1.x status line ("HTTP/1.1 200"): whatever answered is
// not an HTTP/1.1 server, or sent a malformed status line.
var ErrNotHTTP = errors.New("the answer is not HTTP: it does not begin with an HTTP/1.x status line")

// NewHTTPClient returns the client the platform side uses: HTTP/1.1, no
// redirects followed, connections kept alive up to maxConns per host, and
// every connection watched for answers that are not HTTP/1.1 (see
// ErrHTTP2Frames), so an attempt's failure is classified by the type of its
// error. insecure skips certificate verification (--insecure). Change the
// transport's TLSClientConfig in place if needed; a Clone of the transport
// would still dial with the original's.
func NewHTTPClient(maxConns int, insecure bool) *http.Client {
	dialer := &net.Dialer{Timeout: AckBudget, KeepAlive: 30 * time.Second}
	tr := &http.Transport{
		Proxy:               nil,
		TLSClientConfig:     &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: insecure}, //nolint:gosec // insecure only with --insecure
		MaxIdleConns:        maxConns,
		MaxIdleConnsPerHost: maxConns,
		IdleConnTimeout:     60 * time.Second,
		ForceAttemptHTTP2:   false,
	}
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := dialer.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return &sniffConn{Conn: c}, nil
	}
	// TLS is dialled here rather than by the transport, so that the
	// decrypted stream is the one watched. It follows the transport's
	// TLSClientConfig, offering only HTTP/1.1.
	tr.DialTLSContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		raw, err := dialer.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		cfg := &tls.Config{MinVersion: tls.VersionTLS12}
		if tr.TLSClientConfig != nil {
			cfg = tr.TLSClientConfig.Clone()
		}
		if cfg.ServerName == "" {
			cfg.ServerName, _, _ = net.SplitHostPort(addr)
		}
		cfg.NextProtos = []string{"http/1.1"}
		tc := tls.Client(raw, cfg)
		hctx, cancel := context.WithTimeout(ctx, AckBudget)
		defer cancel()
		if err := tc.HandshakeContext(hctx); err != nil {
			raw.Close()
			return nil, err
		}
		return &sniffConn{Conn: tc}, nil
	}
	return &http.Client{
		Transport: tr,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// sniffConn watches the first bytes a connection receives: an HTTP/1.x
// answer starts with a status line, "HTTP/1.D DDD". Anything else fails the
// read with a typed error (ErrHTTP2Frames or ErrNotHTTP), which net/http
// passes on wrapped (its own errors for a malformed status line have no
// type).
// Only the connection's first answer is watched; a connection is read by
// one goroutine at a time.
type sniffConn struct {
	net.Conn
	seen int         // bytes of the head checked so far; -1 once it passed
	eof  atomic.Bool // the peer closed the connection
}

// statusLine is the shape of the start of an HTTP/1.x answer; D is a digit.
const statusLine = "HTTP/1.D DDD"

func fits(b byte, at int) bool {
	if statusLine[at] == 'D' {
		return b >= '0' && b <= '9'
	}
	return b == statusLine[at]
}

func (c *sniffConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n == 0 && errors.Is(err, io.EOF) {
		c.eof.Store(true)
	}
	if c.seen < 0 || n == 0 {
		return n, err
	}
	for i := 0; i < n && c.seen < len(statusLine); i, c.seen = i+1, c.seen+1 {
		if fits(p[i], c.seen) {
			continue
		}
		// A frame starts with a 24-bit length, whose first byte is zero
		// for any frame a server opens with; no HTTP/1.1 answer starts
		// with a NUL.
		if c.seen == 0 && p[i] == 0 {
			return 0, ErrHTTP2Frames
		}
		return 0, ErrNotHTTP
	}
	if c.seen >= len(statusLine) {
		c.seen = -1
	}
	return n, err
}

// connOf remembers the connection an attempt got, so that a failure can be
// told by what happened on it: net/http reports a connection the server
// closed before answering with an error of no exported type.
type connOf struct{ conn atomic.Pointer[sniffConn] }

func (c *connOf) got(info httptrace.GotConnInfo) {
	if sc, ok := info.Conn.(*sniffConn); ok {
		c.conn.Store(sc)
	}
}

// trace is the client trace that fills c.
func (c *connOf) trace(ctx context.Context) context.Context {
	return httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{GotConn: c.got})
}

// closed reports whether the attempt's connection was closed by the peer.
func (c *connOf) closed() bool {
	sc := c.conn.Load()
	return sc != nil && sc.eof.Load()
}

// classify turns a transport error into a Class and a sentence, by the
// error's type (syscall errnos, net, TLS and x509 errors), never by its
// text. It never includes the request (and so never the Authorization
// value).
func classify(parent, attempt context.Context, err error) (Class, string) {
	var (
		ne       net.Error
		dnsErr   *net.DNSError
		verify   *tls.CertificateVerificationError
		unknown  x509.UnknownAuthorityError
		hostname x509.HostnameError
		invalid  x509.CertificateInvalidError
		record   tls.RecordHeaderError
		alert    tls.AlertError
		proto    textproto.ProtocolError
	)
	switch {
	case parent.Err() != nil:
		return ClassCanceled, "the run was interrupted"
	case errors.Is(err, context.DeadlineExceeded) || attempt.Err() != nil,
		errors.As(err, &ne) && ne.Timeout():
		return ClassTimeout, "no complete answer within the time limit"
	case errors.As(err, &dnsErr):
		return ClassDNS, "host name did not resolve: " + dnsErr.Name
	case errors.Is(err, syscall.ECONNREFUSED):
		return ClassRefused, "connection refused"
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE), errors.Is(err, syscall.ECONNABORTED),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, net.ErrClosed):
		return ClassReset, "connection closed before a complete answer"
	case errors.Is(err, ErrHTTP2Frames):
		return ClassProtocol, ErrHTTP2Frames.Error() + ": the target speaks only HTTP/2 and the platform delivers over HTTP/1.1"
	case errors.Is(err, ErrNotHTTP):
		return ClassProtocol, ErrNotHTTP.Error()
	case errors.Is(err, http.ErrSchemeMismatch):
		return ClassProtocol, "the target answered plain HTTP to an https:// URL"
	case errors.As(err, &verify), errors.As(err, &unknown), errors.As(err, &hostname), errors.As(err, &invalid),
		errors.As(err, &record), errors.As(err, &alert), remoteTLSAlert(err):
		return ClassTLS, "TLS failed: " + inner(err)
	case errors.As(err, &proto):
		return ClassProtocol, "the answer is not valid HTTP: " + string(proto)
	}
	return ClassTransport, inner(err)
}

// classifyOn is classify with what the attempt's connection saw: a failure
// on a connection the peer closed is a reset, whatever net/http called it.
func classifyOn(parent, attempt context.Context, conn *connOf, err error) (Class, string) {
	class, msg := classify(parent, attempt, err)
	if class == ClassTransport && conn.closed() {
		return ClassReset, "connection closed before a complete answer"
	}
	return class, msg
}

// remoteTLSAlert reports an alert the server sent during the handshake:
// crypto/tls wraps it as a net.OpError whose Op is "remote error" (the
// alert's own type is unexported).
func remoteTLSAlert(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "remote error"
}

// inner is the error without the url.Error's wrapping, which quotes the
// request's URL (and so, perhaps, a token in its query).
func inner(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err.Error()
	}
	return err.Error()
}
