package deliver_test

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hamsasim/hamsasim/internal/deliver"
	"github.com/hamsasim/hamsasim/internal/sign"
)

// arrival is one copy as the receiver saw it, once its body was read whole.
type arrival struct {
	at     time.Time
	remote string
	header http.Header
	body   string
}

// recorder is a receiver that records every request's arrival and answers
// 200 {"received": true}.
type recorder struct {
	mu   sync.Mutex
	seen []arrival
}

func (rc *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, err := io.ReadAll(r.Body)
	at := time.Now()
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	rc.mu.Lock()
	rc.seen = append(rc.seen, arrival{at: at, remote: r.RemoteAddr, header: r.Header.Clone(), body: string(b)})
	rc.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.Write([]byte(`{"received":true}`))
}

func (rc *recorder) arrivals() []arrival {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return slices.Clone(rc.seen)
}

// spread is the time between the first and the last arrival.
func spread(as []arrival) time.Duration {
	if len(as) == 0 {
		return 0
	}
	lo, hi := as[0].at, as[0].at
	for _, a := range as[1:] {
		lo, hi = minTime(lo, a.at), maxTime(hi, a.at)
	}
	return hi.Sub(lo)
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// TestSendTogetherCopies sends five copies and checks that each came over a
// connection of its own, byte for byte the request Send builds (headers,
// the whole Authorization value, the body), and was acknowledged.
func TestSendTogetherCopies(t *testing.T) {
	t.Parallel()
	rc := &recorder{}
	srv := newServer(t, rc.ServeHTTP)
	d := newDeliverer(t, deliver.WithAuthorization("Bearer sk_test_x"), deliver.WithHeader("X-Extra", "1"))
	ev := testEvent()
	req := deliver.Request{Target: srv.URL + "/webhook", Body: ev.Body, Header: http.Header{"X-Probe": {"race"}}}

	as, err := d.SendTogether(context.Background(), req, 5, deliver.TriggerRedelivery)

	require.NoError(t, err)
	require.Len(t, as, 5)
	for i, a := range as {
		assert.True(t, a.OK(), "copy %d: %+v", i, a)
		assert.Equal(t, http.StatusOK, a.Status)
		assert.Equal(t, deliver.ClassNone, a.Class)
		assert.Equal(t, `{"received":true}`, string(a.Body))
		assert.Equal(t, "application/json", a.Header.Get("Content-Type"))
		assert.Equal(t, deliver.TriggerRedelivery, a.Trigger)
		assert.Equal(t, 1, a.N)
		assert.Equal(t, len(ev.Body), a.SentBytes)
		assert.False(t, a.Start.IsZero())
	}
	seen := rc.arrivals()
	require.Len(t, seen, 5)
	remotes := map[string]bool{}
	for _, s := range seen {
		remotes[s.remote] = true
		assert.Equal(t, string(ev.Body), s.body)
		assert.Equal(t, []string{"Bearer sk_test_x"}, s.header.Values("Authorization"))
		assert.Equal(t, "application/json", s.header.Get("Content-Type"))
		assert.Equal(t, deliver.DefaultUserAgent, s.header.Get("User-Agent"))
		assert.Equal(t, "1", s.header.Get("X-Extra"))
		assert.Equal(t, "race", s.header.Get("X-Probe"))
	}
	assert.Len(t, remotes, 5, "one connection per copy")
}

// TestSendTogetherHoldsTheLastByte dials through a transport whose last
// connection takes 300 ms to open. Copies sent as soon as their
// connection is up would arrive 300 ms apart; held back by their last
// byte, they arrive together.
func TestSendTogetherHoldsTheLastByte(t *testing.T) {
	t.Parallel()
	const copies, slowDial = 4, 300 * time.Millisecond
	rc := &recorder{}
	srv := newServer(t, rc.ServeHTTP)
	client := deliver.NewHTTPClient(4, false)
	tr := client.Transport.(*http.Transport)
	dial := tr.DialContext
	var dials atomic.Int32
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		if dials.Add(1) == copies {
			time.Sleep(slowDial)
		}
		return dial(ctx, network, addr)
	}
	d, err := deliver.New(deliver.WithHTTPClient(client))
	require.NoError(t, err)
	begin := time.Now()

	as, err := d.SendTogether(context.Background(), deliver.Request{Target: srv.URL, Body: testEvent().Body}, copies, deliver.TriggerRedelivery)

	require.NoError(t, err)
	for i, a := range as {
		require.True(t, a.OK(), "copy %d: %+v", i, a)
		assert.Less(t, a.Latency, slowDial, "latency counts from the release, not from the dial")
	}
	assert.EqualValues(t, copies, dials.Load(), "every connection dialled through the client's transport")
	seen := rc.arrivals()
	require.Len(t, seen, copies)
	for _, s := range seen {
		assert.GreaterOrEqual(t, s.at.Sub(begin), slowDial, "no copy is complete before the slowest connection is open")
	}
	assert.Less(t, spread(seen), slowDial/3, "the copies arrive together")
	t.Logf("arrival spread %s", spread(seen))
}

// TestSendTogetherArrivalSpread measures how far apart the copies become
// complete on a receiver in this process, for the race probe's choice of
// copies and rounds (see probe.RaceCopies). It asserts only a loose bound:
// the figures are logged.
func TestSendTogetherArrivalSpread(t *testing.T) {
	t.Parallel()
	const rounds = 20
	for _, copies := range []int{2, 3, 5} {
		rc := &recorder{}
		srv := newServer(t, rc.ServeHTTP)
		d := newDeliverer(t)
		var spreads []time.Duration
		for range rounds {
			n := len(rc.arrivals())
			as, err := d.SendTogether(context.Background(), deliver.Request{Target: srv.URL, Body: testEvent().Body}, copies, deliver.TriggerRedelivery)
			require.NoError(t, err)
			for _, a := range as {
				require.True(t, a.OK(), "%+v", a)
			}
			spreads = append(spreads, spread(rc.arrivals()[n:]))
		}
		slices.Sort(spreads)
		t.Logf("%d copies, %d rounds: arrival spread median %s, p90 %s, max %s", copies, rounds, spreads[rounds/2], spreads[rounds*9/10], spreads[rounds-1])
		assert.Less(t, spreads[rounds/2], 50*time.Millisecond)
	}
}

// TestSendTogetherOverlap has every copy's handler wait until all copies
// are in: only copies in flight at the same time can all get there.
func TestSendTogetherOverlap(t *testing.T) {
	t.Parallel()
	const copies = 3
	var (
		mu      sync.Mutex
		in      int
		all     = make(chan struct{})
		overlap atomic.Int32
	)
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		mu.Lock()
		in++
		if in == copies {
			close(all)
		}
		mu.Unlock()
		select {
		case <-all:
			overlap.Add(1)
		case <-time.After(2 * time.Second):
		}
		w.WriteHeader(http.StatusNoContent)
	})
	d := newDeliverer(t)

	as, err := d.SendTogether(context.Background(), deliver.Request{Target: srv.URL, Body: testEvent().Body}, copies, deliver.TriggerRedelivery)

	require.NoError(t, err)
	for _, a := range as {
		assert.Equal(t, http.StatusNoContent, a.Status)
		assert.True(t, a.OK())
		assert.Empty(t, a.Body)
	}
	assert.EqualValues(t, copies, overlap.Load(), "every copy was in the receiver while the others were")
}

// TestSendTogetherSignsEachCopy checks HMAC signing goes through the same
// code as Send: every copy carries a valid signature of its body.
func TestSendTogetherSignsEachCopy(t *testing.T) {
	t.Parallel()
	key := []byte("0123456789abcdef0123456789abcdef")
	rc := &recorder{}
	srv := newServer(t, rc.ServeHTTP)
	d := newDeliverer(t, deliver.WithSigner(deliver.HMAC{Key: key, Env: "WEBHOOK_SIGNING_SECRET"}))
	ev := testEvent()

	as, err := d.SendTogether(context.Background(), deliver.Request{Target: srv.URL, Body: ev.Body, MsgID: deliver.MessageID(ev.Key())}, 2, deliver.TriggerRedelivery)

	require.NoError(t, err)
	require.Len(t, as, 2)
	seen := rc.arrivals()
	require.Len(t, seen, 2)
	for _, s := range seen {
		assert.NoError(t, sign.Verify(s.header, key, []byte(s.body), time.Now()))
		assert.Equal(t, deliver.MessageID(ev.Key()), s.header.Get(sign.HeaderID))
	}
}

// TestSendTogetherFailures classifies each copy's failure as Send does.
func TestSendTogetherFailures(t *testing.T) {
	t.Parallel()
	closed := func(t *testing.T) string {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		addr := ln.Addr().String()
		ln.Close()
		return "http://" + addr
	}
	raw := func(serve func(c net.Conn, done <-chan struct{})) func(t *testing.T) string {
		return func(t *testing.T) string {
			addr, _ := listenRaw(t, serve)
			return "http://" + addr
		}
	}
	handler := func(h http.HandlerFunc) func(t *testing.T) string {
		return func(t *testing.T) string { return newServer(t, h).URL }
	}
	tests := []struct {
		name      string
		target    func(t *testing.T) string
		wantClass deliver.Class
		wantCode  int
	}{
		{name: "refused", target: closed, wantClass: deliver.ClassRefused},
		{name: "no answer in time", target: handler(func(w http.ResponseWriter, r *http.Request) {
			io.Copy(io.Discard, r.Body)
			select {
			case <-r.Context().Done():
			case <-time.After(2 * time.Second):
			}
		}), wantClass: deliver.ClassTimeout},
		{name: "closed without answer", target: raw(func(c net.Conn, _ <-chan struct{}) { readRequest(c) }), wantClass: deliver.ClassReset},
		{name: "not HTTP", target: raw(func(c net.Conn, _ <-chan struct{}) {
			readRequest(c)
			c.Write([]byte("hello there\r\n\r\n"))
		}), wantClass: deliver.ClassProtocol},
		{name: "HTTP/2 only", target: raw(func(c net.Conn, _ <-chan struct{}) { http2Only(c) }), wantClass: deliver.ClassProtocol},
		{name: "server error", target: handler(func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(http.StatusInternalServerError)
		}), wantCode: http.StatusInternalServerError},
		{name: "rejected before the body", target: handler(func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(http.StatusUnauthorized)
		}), wantCode: http.StatusUnauthorized},
		{name: "bad URL", target: func(*testing.T) string { return "http://[::1" }, wantClass: deliver.ClassTransport},
		{name: "unknown scheme", target: func(*testing.T) string { return "ftp://127.0.0.1:21/" }, wantClass: deliver.ClassTransport},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d := newDeliverer(t, deliver.WithTimeout(300*time.Millisecond))
			begin := time.Now()

			as, err := d.SendTogether(context.Background(), deliver.Request{Target: tt.target(t), Body: testEvent().Body}, 3, deliver.TriggerRedelivery)

			require.NoError(t, err)
			require.Len(t, as, 3)
			for i, a := range as {
				assert.Equal(t, tt.wantClass, a.Class, "copy %d: %s", i, a.Err)
				assert.Equal(t, tt.wantCode, a.Status, "copy %d", i)
				assert.False(t, a.OK())
			}
			assert.Less(t, time.Since(begin), 2*time.Second, "every copy ends within its limits")
		})
	}
}

// TestSendTogetherTLS dials through the client's TLS settings: a
// self-signed certificate fails unless the client is insecure (--insecure)
// or trusts it.
func TestSendTogetherTLS(t *testing.T) {
	t.Parallel()
	rc := &recorder{}
	srv := httptest.NewUnstartedServer(rc)
	srv.Config.ErrorLog = quietLog() // the failed handshakes are the point
	srv.StartTLS()
	t.Cleanup(srv.Close)
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}))
	tests := []struct {
		name      string
		client    func() *http.Client
		wantClass deliver.Class
	}{
		{name: "verified", client: func() *http.Client { return deliver.NewHTTPClient(2, false) }, wantClass: deliver.ClassTLS},
		{name: "insecure", client: func() *http.Client { return deliver.NewHTTPClient(2, true) }},
		{name: "trusted", client: func() *http.Client {
			c := deliver.NewHTTPClient(2, false)
			c.Transport.(*http.Transport).TLSClientConfig.RootCAs = pool
			return c
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d, err := deliver.New(deliver.WithHTTPClient(tt.client()))
			require.NoError(t, err)
			as, err := d.SendTogether(context.Background(), deliver.Request{Target: srv.URL, Body: testEvent().Body}, 2, deliver.TriggerRedelivery)
			require.NoError(t, err)
			for _, a := range as {
				assert.Equal(t, tt.wantClass, a.Class, a.Err)
				assert.Equal(t, tt.wantClass == deliver.ClassNone, a.OK())
			}
		})
	}
}

func TestSendTogetherCanceled(t *testing.T) {
	t.Parallel()
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body) // then the server sees the client hang up
		select {
		case <-r.Context().Done():
		case <-time.After(3 * time.Second):
		}
	})
	d := newDeliverer(t)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	begin := time.Now()

	as, err := d.SendTogether(ctx, deliver.Request{Target: srv.URL, Body: testEvent().Body}, 3, deliver.TriggerRedelivery)

	require.NoError(t, err)
	for _, a := range as {
		assert.Equal(t, deliver.ClassCanceled, a.Class, a.Err)
	}
	assert.Less(t, time.Since(begin), time.Second, "an interruption ends the copies at once")

	done, cancelDone := context.WithCancel(context.Background())
	cancelDone()
	as, err = d.SendTogether(done, deliver.Request{Target: srv.URL, Body: testEvent().Body}, 2, deliver.TriggerRedelivery)
	require.NoError(t, err)
	for _, a := range as {
		assert.Equal(t, deliver.ClassCanceled, a.Class, a.Err)
	}
}

func TestSendTogetherCopiesOutOfRange(t *testing.T) {
	t.Parallel()
	d := newDeliverer(t)
	for _, n := range []int{-1, 0, deliver.MaxTogether + 1} {
		as, err := d.SendTogether(context.Background(), deliver.Request{Target: "http://127.0.0.1:1"}, n, deliver.TriggerRedelivery)
		assert.Nil(t, as)
		assert.True(t, errors.Is(err, deliver.ErrCopies), "%d copies: %v", n, err)
	}
}
