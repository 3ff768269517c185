package deliver_test

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hamsasim/hamsasim/internal/deliver"
)

// hostileTimeout is the per-attempt limit of the hostile-target tests, in
// place of the 5-second budget; hostileSlack is what a busy machine may add.
const (
	hostileTimeout = time.Second
	hostileSlack   = 3 * time.Second
)

// hostile is a target that misbehaves. url is where to deliver; conns counts
// the connections (or requests) the target saw, to check the retry policy
// server-side.
type hostile struct {
	url   string
	conns *atomic.Int32
	// client, if set, replaces the platform's client (a hermetic resolver,
	// or --insecure).
	client *http.Client
}

// listenRaw accepts connections on a loopback port and hands each to serve
// in its own goroutine. Everything stops when the test ends: the listener
// closes, done is closed, and every accepted connection is closed.
func listenRaw(t *testing.T, serve func(c net.Conn, done <-chan struct{})) (addr string, conns *atomic.Int32) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	conns = new(atomic.Int32)
	done := make(chan struct{})
	var (
		mu   sync.Mutex
		open []net.Conn
		wg   sync.WaitGroup
	)
	t.Cleanup(func() {
		close(done)
		ln.Close()
		mu.Lock()
		for _, c := range open {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns.Add(1)
			mu.Lock()
			open = append(open, c)
			mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				serve(c, done)
			}()
		}
	}()
	return ln.Addr().String(), conns
}

// readRequest reads one HTTP request off c, body included.
func readRequest(c net.Conn) bool {
	req, err := http.ReadRequest(bufio.NewReader(c))
	if err != nil {
		return false
	}
	_, err = io.Copy(io.Discard, req.Body)
	return err == nil
}

// trickle writes s one byte every 100 ms until done.
func trickle(c net.Conn, s string, done <-chan struct{}) {
	for i := 0; i < len(s); i++ {
		if _, err := c.Write([]byte{s[i]}); err != nil {
			return
		}
		select {
		case <-done:
			return
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// http2Only plays a server that speaks only HTTP/2: whatever the client
// sends, it writes its SETTINGS frame and a GOAWAY (PROTOCOL_ERROR), and
// hangs up.
func http2Only(c net.Conn) {
	buf := make([]byte, 4096)
	if _, err := c.Read(buf); err != nil {
		return
	}
	settings := []byte{0, 0, 0, 0x4, 0, 0, 0, 0, 0}
	goaway := []byte{0, 0, 8, 0x7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x1}
	_, _ = c.Write(append(settings, goaway...))
}

// countingServer is an httptest server whose new connections are counted.
func countingServer(t *testing.T, h http.HandlerFunc, tlsOn bool) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	conns := new(atomic.Int32)
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Config.ErrorLog = quietLog()
	if tlsOn {
		srv.StartTLS()
	} else {
		srv.Start()
	}
	t.Cleanup(srv.Close)
	return srv, conns
}

// quietLog drops the server's complaints about the hostile clients' hang-ups.
func quietLog() *log.Logger { return log.New(io.Discard, "", 0) }

// nxdomainResolver answers every DNS query with NXDOMAIN from a UDP socket
// on loopback: the lookup fails as a real one would, and no query leaves
// the machine.
func nxdomainResolver(t *testing.T) (*net.Resolver, *atomic.Int32) {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { pc.Close() })
	queries := new(atomic.Int32)
	go func() {
		buf := make([]byte, 1500)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			if n < 12 {
				continue
			}
			queries.Add(1)
			msg := append([]byte(nil), buf[:n]...)
			// Header: keep the id and the question; QR=1, RD copied, RA=1, RCODE=3 (NXDOMAIN);
			// no answer, authority or additional records.
			msg[2] = 0x80 | msg[2]&0x01
			msg[3] = 0x80 | 0x03
			binary.BigEndian.PutUint16(msg[6:], 0)
			binary.BigEndian.PutUint16(msg[8:], 0)
			binary.BigEndian.PutUint16(msg[10:], 0)
			_, _ = pc.WriteTo(msg, from)
		}
	}()
	addr := pc.LocalAddr().String()
	return &net.Resolver{
		PreferGo: true,
		Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "udp", addr)
		},
	}, queries
}

// platformClient is deliver.NewHTTPClient with tweaks, closed when the test ends.
func platformClient(t *testing.T, tweak func(*http.Transport)) *http.Client {
	t.Helper()
	c := deliver.NewHTTPClient(4, false)
	tweak(c.Transport.(*http.Transport))
	t.Cleanup(c.CloseIdleConnections)
	return c
}

// TestHostileTargets delivers one event to targets that misbehave in every
// way a network can, with the default retry policy (3 attempts) and a clock
// that does not wait between them. Each failure has its own class, every
// attempt ends within the time limit, and the target sees exactly the
// attempts the policy allows.
func TestHostileTargets(t *testing.T) {
	t.Parallel()
	const policyAttempts = 3 // deliver.DefaultBackoff
	tests := []struct {
		name string
		// setup starts the target; it runs inside the subtest.
		setup        func(t *testing.T) hostile
		wantClass    deliver.Class
		wantErr      string // a prefix of Attempt.Err
		wantStatus   int
		wantAttempts int
		// wantConns is what the target counts; -1 skips the check (nothing
		// listens).
		wantConns int32
		wantOK    bool
	}{
		{
			name: "connection refused",
			setup: func(t *testing.T) hostile {
				ln, err := net.Listen("tcp", "127.0.0.1:0")
				require.NoError(t, err)
				addr := ln.Addr().String()
				require.NoError(t, ln.Close())
				return hostile{url: "http://" + addr + "/webhook", conns: new(atomic.Int32)}
			},
			wantClass: deliver.ClassRefused, wantErr: "connection refused",
			wantAttempts: policyAttempts, wantConns: -1,
		},
		{
			name: "host name does not resolve",
			setup: func(t *testing.T) hostile {
				r, queries := nxdomainResolver(t)
				client := platformClient(t, func(tr *http.Transport) {
					tr.DialContext = (&net.Dialer{Timeout: hostileTimeout, Resolver: r}).DialContext
				})
				return hostile{url: "http://webhooks.hamsasim.invalid/webhook", conns: queries, client: client}
			},
			wantClass: deliver.ClassDNS, wantErr: "host name did not resolve: webhooks.hamsasim.invalid",
			wantAttempts: policyAttempts, wantConns: -1,
		},
		{
			name: "reset in the middle of the answer",
			setup: func(t *testing.T) hostile {
				addr, conns := listenRaw(t, func(c net.Conn, _ <-chan struct{}) {
					if !readRequest(c) {
						return
					}
					_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"rece")
					_ = c.(*net.TCPConn).SetLinger(0) // Close sends an RST
				})
				return hostile{url: "http://" + addr + "/webhook", conns: conns}
			},
			wantClass: deliver.ClassReset, wantErr: "answer cut off: connection closed before a complete answer",
			wantStatus: http.StatusOK, wantAttempts: policyAttempts, wantConns: policyAttempts,
		},
		{
			name: "reset in the middle of the headers",
			setup: func(t *testing.T) hostile {
				addr, conns := listenRaw(t, func(c net.Conn, _ <-chan struct{}) {
					if !readRequest(c) {
						return
					}
					// Cut after a whole header line: a line cut in its middle reads
					// as a malformed header (ClassProtocol) to Go's parser.
					_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n")
					_ = c.(*net.TCPConn).SetLinger(0)
				})
				return hostile{url: "http://" + addr + "/webhook", conns: conns}
			},
			wantClass: deliver.ClassReset, wantErr: "connection closed before a complete answer",
			wantAttempts: policyAttempts, wantConns: policyAttempts,
		},
		{
			name: "never answers",
			setup: func(t *testing.T) hostile {
				addr, conns := listenRaw(t, func(c net.Conn, done <-chan struct{}) {
					readRequest(c)
					<-done
				})
				return hostile{url: "http://" + addr + "/webhook", conns: conns}
			},
			wantClass: deliver.ClassTimeout, wantErr: "no complete answer within the time limit",
			wantAttempts: policyAttempts, wantConns: policyAttempts,
		},
		{
			name: "trickles its headers",
			setup: func(t *testing.T) hostile {
				addr, conns := listenRaw(t, func(c net.Conn, done <-chan struct{}) {
					if readRequest(c) {
						trickle(c, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 17\r\n\r\n{\"received\":true}", done)
					}
				})
				return hostile{url: "http://" + addr + "/webhook", conns: conns}
			},
			wantClass: deliver.ClassTimeout, wantErr: "no complete answer within the time limit",
			wantAttempts: policyAttempts, wantConns: policyAttempts,
		},
		{
			name: "trickles its body",
			setup: func(t *testing.T) hostile {
				addr, conns := listenRaw(t, func(c net.Conn, done <-chan struct{}) {
					if readRequest(c) {
						_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 60\r\n\r\n")
						trickle(c, `{"received":true,"padding":"...............................`, done)
					}
				})
				return hostile{url: "http://" + addr + "/webhook", conns: conns}
			},
			wantClass: deliver.ClassTimeout, wantErr: "answer cut off: no complete answer within the time limit",
			wantStatus: http.StatusOK, wantAttempts: policyAttempts, wantConns: policyAttempts,
		},
		{
			name: "redirect loop",
			setup: func(t *testing.T) hostile {
				var hits atomic.Int32
				srv, _ := countingServer(t, func(w http.ResponseWriter, r *http.Request) {
					hits.Add(1)
					http.Redirect(w, r, r.URL.String(), http.StatusFound) // to itself
				}, false)
				return hostile{url: srv.URL + "/webhook", conns: &hits}
			},
			// A 3xx is an answer, and a final one: not followed, not retried.
			wantClass: deliver.ClassNone, wantStatus: http.StatusFound, wantAttempts: 1, wantConns: 1,
		},
		{
			name: "self-signed certificate",
			setup: func(t *testing.T) hostile {
				srv, conns := countingServer(t, func(w http.ResponseWriter, r *http.Request) {
					t.Errorf("a request went through an unverified certificate")
				}, true)
				return hostile{url: srv.URL + "/webhook", conns: conns}
			},
			wantClass: deliver.ClassTLS, wantErr: "TLS failed: ",
			wantAttempts: policyAttempts, wantConns: policyAttempts,
		},
		{
			name: "self-signed certificate with insecure",
			setup: func(t *testing.T) hostile {
				srv, conns := countingServer(t, func(w http.ResponseWriter, r *http.Request) {
					w.Header().Set("Content-Type", "application/json")
					_, _ = io.WriteString(w, `{"received":true}`)
				}, true)
				client := platformClient(t, func(tr *http.Transport) {
					tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // as --insecure does
				})
				return hostile{url: srv.URL + "/webhook", conns: conns, client: client}
			},
			wantClass: deliver.ClassNone, wantStatus: http.StatusOK, wantAttempts: 1, wantConns: 1, wantOK: true,
		},
		{
			// An HTTP/2 server with prior knowledge (h2c) answers the HTTP/1.1
			// request with its SETTINGS frame and a GOAWAY.
			name: "HTTP/2 only, cleartext",
			setup: func(t *testing.T) hostile {
				addr, conns := listenRaw(t, func(c net.Conn, _ <-chan struct{}) { http2Only(c) })
				return hostile{url: "http://" + addr + "/webhook", conns: conns}
			},
			wantClass: deliver.ClassProtocol, wantErr: "the answer is HTTP/2 frames, not HTTP/1.1",
			wantAttempts: policyAttempts, wantConns: policyAttempts,
		},
		{
			name: "HTTP/2 only, over TLS",
			setup: func(t *testing.T) hostile {
				cert := httptest.NewUnstartedServer(nil)
				cert.StartTLS()
				cfg := &tls.Config{Certificates: cert.TLS.Certificates, NextProtos: []string{"h2"}}
				cert.Close()
				addr, conns := listenRaw(t, func(c net.Conn, _ <-chan struct{}) {
					tc := tls.Server(c, cfg)
					if tc.Handshake() == nil {
						http2Only(tc)
					}
				})
				// Past the certificate, as with --insecure: the protocol is what fails.
				client := platformClient(t, func(tr *http.Transport) {
					tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // as --insecure does
				})
				return hostile{url: "https://" + addr + "/webhook", conns: conns, client: client}
			},
			wantClass: deliver.ClassProtocol, wantErr: "the answer is HTTP/2 frames, not HTTP/1.1",
			wantAttempts: policyAttempts, wantConns: policyAttempts,
		},
		{
			// Go's own server with HTTP/1 switched off hangs up right after
			// the TLS handshake when the client does not ask for h2: nothing
			// tells that apart from any other hang-up.
			name: "HTTP/2 only, Go server",
			setup: func(t *testing.T) hostile {
				srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					t.Errorf("an HTTP/2-only server got a request: %s", r.Proto)
				}))
				conns := new(atomic.Int32)
				srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
					if s == http.StateNew {
						conns.Add(1)
					}
				}
				srv.Config.ErrorLog = quietLog()
				srv.EnableHTTP2 = true
				srv.Config.Protocols = new(http.Protocols)
				srv.Config.Protocols.SetHTTP2(true)
				srv.StartTLS()
				t.Cleanup(srv.Close)
				client := platformClient(t, func(tr *http.Transport) {
					tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // as --insecure does
				})
				return hostile{url: srv.URL + "/webhook", conns: conns, client: client}
			},
			wantClass: deliver.ClassReset, wantErr: "connection closed before a complete answer",
			wantAttempts: policyAttempts, wantConns: policyAttempts,
		},
		{
			name: "malformed status code",
			setup: func(t *testing.T) hostile {
				addr, conns := listenRaw(t, func(c net.Conn, _ <-chan struct{}) {
					if readRequest(c) {
						_, _ = io.WriteString(c, "HTTP/1.1 abc OK\r\nContent-Length: 0\r\n\r\n")
					}
				})
				return hostile{url: "http://" + addr + "/webhook", conns: conns}
			},
			wantClass: deliver.ClassProtocol, wantErr: "the answer is not HTTP",
			wantAttempts: policyAttempts, wantConns: policyAttempts,
		},
		{
			name: "unknown HTTP version",
			setup: func(t *testing.T) hostile {
				addr, conns := listenRaw(t, func(c net.Conn, _ <-chan struct{}) {
					if readRequest(c) {
						_, _ = io.WriteString(c, "HTTP/9.x 200 OK\r\nContent-Length: 0\r\n\r\n")
					}
				})
				return hostile{url: "http://" + addr + "/webhook", conns: conns}
			},
			wantClass: deliver.ClassProtocol, wantErr: "the answer is not HTTP",
			wantAttempts: policyAttempts, wantConns: policyAttempts,
		},
		{
			name: "https URL at a plain HTTP port",
			setup: func(t *testing.T) hostile {
				srv, conns := countingServer(t, func(w http.ResponseWriter, r *http.Request) {}, false)
				return hostile{url: "https://" + strings.TrimPrefix(srv.URL, "http://") + "/webhook", conns: conns}
			},
			wantClass: deliver.ClassProtocol, wantErr: "the target answered plain HTTP to an https:// URL",
			wantAttempts: policyAttempts, wantConns: policyAttempts,
		},
		{
			// The server asks for a client certificate the platform does not
			// have, and says so with a TLS alert.
			name: "TLS alert from the server",
			setup: func(t *testing.T) hostile {
				srv := httptest.NewUnstartedServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
					t.Errorf("a request went through without a client certificate")
				}))
				conns := new(atomic.Int32)
				srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
					if s == http.StateNew {
						conns.Add(1)
					}
				}
				srv.Config.ErrorLog = quietLog()
				srv.TLS = &tls.Config{ClientAuth: tls.RequireAnyClientCert}
				srv.StartTLS()
				t.Cleanup(srv.Close)
				client := platformClient(t, func(tr *http.Transport) {
					tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // as --insecure does
				})
				return hostile{url: srv.URL + "/webhook", conns: conns, client: client}
			},
			wantClass: deliver.ClassTLS, wantErr: "TLS failed: ",
			wantAttempts: policyAttempts, wantConns: policyAttempts,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := tt.setup(t)
			opts := []deliver.Option{deliver.WithTimeout(hostileTimeout)}
			if h.client != nil {
				opts = append(opts, deliver.WithHTTPClient(h.client))
			}
			clock, waits := fakeClock(t)
			d := newDeliverer(t, append(opts, deliver.WithClock(clock))...)
			ctx, cancel := context.WithCancel(context.Background())
			t.Cleanup(cancel)

			begin := time.Now()
			res := d.Deliver(ctx, h.url, testEvent(), nil)
			elapsed := time.Since(begin)

			require.Len(t, res.Attempts, tt.wantAttempts, "attempts: %+v", res.Attempts)
			for _, a := range res.Attempts {
				assert.Equal(t, tt.wantClass, a.Class, "attempt %d: %s", a.N, a.Err)
				assert.True(t, strings.HasPrefix(a.Err, tt.wantErr), "attempt %d: error %q, want it to start with %q", a.N, a.Err, tt.wantErr)
				assert.Equal(t, tt.wantStatus, a.Status, "attempt %d", a.N)
				assert.Less(t, a.Latency, hostileTimeout+hostileSlack, "attempt %d is bounded by the time limit", a.N)
				assert.LessOrEqual(t, len(a.Body), deliver.DefaultMaxAnswerBytes)
			}
			assert.Equal(t, tt.wantOK, res.Acked())
			assert.Len(t, *waits, tt.wantAttempts-1, "a wait before each retry")
			assert.Less(t, elapsed, time.Duration(tt.wantAttempts)*(hostileTimeout+hostileSlack))
			if tt.wantConns >= 0 {
				assert.Equal(t, tt.wantConns, h.conns.Load(), "attempts the target saw")
			}
			if tt.wantClass == deliver.ClassDNS {
				assert.Positive(t, h.conns.Load(), "the lookups went to the local resolver")
			}
		})
	}
}

// TestHugeAnswerIsCapped answers 1 GB of zeros, streamed without allocating
// it: the deliverer reads the cap and one byte more, then hangs up, so the
// attempt ends quickly and the target gets to write only a small part.
func TestHugeAnswerIsCapped(t *testing.T) {
	t.Parallel()
	const huge = 1 << 30
	var written atomic.Int64
	srv, conns := countingServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", "1073741824")
		w.WriteHeader(http.StatusOK)
		zeros := make([]byte, 32<<10)
		for written.Load() < huge {
			n, err := w.Write(zeros)
			written.Add(int64(n))
			if err != nil {
				return
			}
		}
	}, false)
	d := newDeliverer(t, deliver.WithTimeout(hostileTimeout))

	begin := time.Now()
	a := d.Send(context.Background(), deliver.Request{Target: srv.URL, Body: testEvent().Body}, 1, deliver.TriggerFirst)
	elapsed := time.Since(begin)

	assert.Equal(t, deliver.ClassNone, a.Class, a.Err)
	assert.Equal(t, http.StatusOK, a.Status)
	assert.Len(t, a.Body, deliver.DefaultMaxAnswerBytes, "the answer is read up to the cap")
	assert.Equal(t, int64(deliver.DefaultMaxAnswerBytes+1), a.BodyBytes, "and one byte more, to know it was longer")
	assert.True(t, a.Truncated)
	assert.Less(t, elapsed, hostileTimeout+hostileSlack)
	assert.Equal(t, int32(1), conns.Load())
	// The connection is closed, not drained: the handler's writes fail
	// long before 1 GB (socket buffers hold a few MB at most).
	require.Eventually(t, func() bool {
		w := written.Load()
		return w > 0 && w < 64<<20
	}, 5*time.Second, 20*time.Millisecond, "the target wrote %d bytes", written.Load())
}

// TestHostileTargetCancel stops a delivery to a target that never answers
// when the run is interrupted, without waiting out the time limit.
func TestHostileTargetCancel(t *testing.T) {
	t.Parallel()
	addr, _ := listenRaw(t, func(c net.Conn, done <-chan struct{}) {
		readRequest(c)
		<-done
	})
	d := newDeliverer(t) // the real 5-second budget
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	time.AfterFunc(200*time.Millisecond, cancel)

	begin := time.Now()
	res := d.Deliver(ctx, "http://"+addr+"/webhook", testEvent(), nil)

	require.Len(t, res.Attempts, 1)
	assert.Equal(t, deliver.ClassCanceled, res.Final().Class)
	assert.Less(t, time.Since(begin), deliver.AckBudget)
	assert.True(t, errors.Is(ctx.Err(), context.Canceled))
}
