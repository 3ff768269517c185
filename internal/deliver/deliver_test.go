package deliver_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"

	"github.com/hamsasim/hamsasim/internal/deliver"
	"github.com/hamsasim/hamsasim/internal/deliver/mocks"
	"github.com/hamsasim/hamsasim/internal/event"
)

var t0 = time.Date(2024, 1, 15, 14, 30, 0, 0, time.UTC)

func testEvent() event.Event {
	ts := event.FormatTime(t0)
	return event.Event{
		Type:      event.CallStarted,
		CallID:    "9b2f4c1e-0000-4000-8000-000000000001",
		Timestamp: ts,
		Body:      []byte(`{"eventType":"call.started","callId":"9b2f4c1e-0000-4000-8000-000000000001","timestamp":"` + ts + `"}`),
	}
}

// newServer starts an httptest server closed when the test ends.
func newServer(t *testing.T, h http.HandlerFunc) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// fakeClock is a mocked Clock whose Sleep returns at once; it records the
// waits Deliver asked for, in order.
func fakeClock(t *testing.T) (*mocks.Clock, *[]time.Duration) {
	t.Helper()
	c := mocks.NewClock(t)
	var waits []time.Duration
	c.EXPECT().Now().Return(t0).Maybe()
	c.EXPECT().Sleep(mock.Anything, mock.Anything).RunAndReturn(func(_ context.Context, d time.Duration) error {
		waits = append(waits, d)
		return nil
	}).Maybe()
	return c, &waits
}

func newDeliverer(t *testing.T, opts ...deliver.Option) *deliver.Deliverer {
	t.Helper()
	client := deliver.NewHTTPClient(4, false)
	t.Cleanup(client.CloseIdleConnections)
	d, err := deliver.New(append([]deliver.Option{deliver.WithHTTPClient(client)}, opts...)...)
	require.NoError(t, err)
	return d
}

func TestNewOptions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		opt     deliver.Option
		wantErr bool
	}{
		{name: "bearer value", opt: deliver.WithAuthorization("Bearer sk_test_x")},
		{name: "empty authorization", opt: deliver.WithAuthorization("")},
		{name: "authorization with CR", opt: deliver.WithAuthorization("Bearer x\rX-Evil: 1"), wantErr: true},
		{name: "authorization with LF", opt: deliver.WithAuthorization("Bearer x\nX-Evil: 1"), wantErr: true},
		{name: "authorization with CRLF", opt: deliver.WithAuthorization("Bearer x\r\n"), wantErr: true},
		{name: "zero timeout", opt: deliver.WithTimeout(0), wantErr: true},
		{name: "negative timeout", opt: deliver.WithTimeout(-time.Second), wantErr: true},
		{name: "positive timeout", opt: deliver.WithTimeout(time.Millisecond)},
		{name: "nil retry policy", opt: deliver.WithRetryPolicy(nil), wantErr: true},
		{name: "zero max answer bytes", opt: deliver.WithMaxAnswerBytes(0), wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d, err := deliver.New(tt.opt)
			if !tt.wantErr {
				require.NoError(t, err)
				assert.NotNil(t, d)
				return
			}
			assert.Nil(t, d)
			assert.ErrorIs(t, err, deliver.ErrOption)
		})
	}
}

func TestSendHeaders(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		auth     string
		wantAuth []string
	}{
		{name: "sent whole", auth: "Bearer sk_test_x", wantAuth: []string{"Bearer sk_test_x"}},
		{name: "sent as is without scheme", auth: "sk_test_x", wantAuth: []string{"sk_test_x"}},
		{name: "none when empty", auth: "", wantAuth: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			type seen struct {
				method, contentType string
				auth                []string
				body                string
			}
			got := make(chan seen, 1)
			srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				b, err := io.ReadAll(r.Body)
				if err != nil {
					t.Errorf("reading the request body: %v", err)
				}
				got <- seen{method: r.Method, contentType: r.Header.Get("Content-Type"), auth: r.Header.Values("Authorization"), body: string(b)}
				w.WriteHeader(http.StatusOK)
			})
			d := newDeliverer(t, deliver.WithAuthorization(tt.auth))
			ev := testEvent()

			a := d.Send(context.Background(), deliver.Request{Target: srv.URL, Body: ev.Body}, 1, deliver.TriggerFirst)

			require.True(t, a.OK(), "attempt: %+v", a)
			s := <-got
			assert.Equal(t, http.MethodPost, s.method)
			assert.Equal(t, "application/json", s.contentType)
			assert.Equal(t, tt.wantAuth, s.auth)
			assert.Equal(t, string(ev.Body), s.body)
			assert.Equal(t, len(ev.Body), a.SentBytes)
		})
	}
}

func TestDeliverRetryThenAck(t *testing.T) {
	t.Parallel()
	var (
		mu     sync.Mutex
		bodies []string
	)
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			t.Errorf("reading the request body: %v", err)
		}
		mu.Lock()
		bodies = append(bodies, string(b))
		n := len(bodies)
		mu.Unlock()
		if n == 1 {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"received":true}`)
	})
	clock, waits := fakeClock(t)
	d := newDeliverer(t, deliver.WithClock(clock))
	ev := testEvent()

	res := d.Deliver(context.Background(), srv.URL, ev, nil)

	require.Len(t, res.Attempts, 2)
	assert.True(t, res.Acked())
	first, second := res.Attempts[0], res.Attempts[1]
	assert.Equal(t, 1, first.N)
	assert.Equal(t, deliver.TriggerFirst, first.Trigger)
	assert.Equal(t, http.StatusInternalServerError, first.Status)
	assert.Equal(t, time.Second, first.RetryDelay)
	assert.Equal(t, 2, second.N)
	assert.Equal(t, deliver.TriggerRetry, second.Trigger)
	assert.Equal(t, http.StatusOK, second.Status)
	assert.Equal(t, `{"received":true}`, string(second.Body))
	assert.Equal(t, t0, second.Start, "attempt times come from the injected clock")
	assert.Equal(t, []time.Duration{time.Second}, *waits)

	mu.Lock()
	defer mu.Unlock()
	require.Len(t, bodies, 2)
	assert.Equal(t, string(ev.Body), bodies[0])
	assert.Equal(t, bodies[0], bodies[1], "a retry resends the same bytes, timestamp included")
	assert.Contains(t, bodies[1], `"timestamp":"2024-01-15T14:30:00.000Z"`)
}

func TestDeliverRetryByStatus(t *testing.T) {
	t.Parallel()
	tests := []struct {
		status       int
		wantAttempts int
		wantWaits    []time.Duration
	}{
		{status: http.StatusBadRequest, wantAttempts: 1},
		{status: http.StatusUnauthorized, wantAttempts: 1},
		{status: http.StatusNotFound, wantAttempts: 1},
		{status: http.StatusGone, wantAttempts: 1},
		{status: http.StatusRequestTimeout, wantAttempts: 3, wantWaits: []time.Duration{time.Second, 2 * time.Second}},
		{status: http.StatusTooManyRequests, wantAttempts: 3, wantWaits: []time.Duration{time.Second, 2 * time.Second}},
		{status: http.StatusInternalServerError, wantAttempts: 3, wantWaits: []time.Duration{time.Second, 2 * time.Second}},
		{status: http.StatusServiceUnavailable, wantAttempts: 3, wantWaits: []time.Duration{time.Second, 2 * time.Second}},
	}
	for _, tt := range tests {
		t.Run(http.StatusText(tt.status), func(t *testing.T) {
			t.Parallel()
			var hits atomic.Int32
			srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				hits.Add(1)
				w.WriteHeader(tt.status)
			})
			clock, waits := fakeClock(t)
			d := newDeliverer(t, deliver.WithClock(clock))

			res := d.Deliver(context.Background(), srv.URL, testEvent(), nil)

			assert.Len(t, res.Attempts, tt.wantAttempts)
			assert.Equal(t, tt.wantAttempts, int(hits.Load()))
			assert.Equal(t, tt.wantWaits, *waits)
			assert.False(t, res.Acked())
			assert.Equal(t, tt.status, res.Final().Status)
			assert.Equal(t, time.Duration(0), res.Final().RetryDelay, "no wait after the last attempt")
		})
	}
}

func TestDeliverRedirectNotFollowed(t *testing.T) {
	t.Parallel()
	var targetHits atomic.Int32
	target := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		targetHits.Add(1)
		w.WriteHeader(http.StatusOK)
	})
	redirect := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.URL+"/moved", http.StatusFound)
	})
	clock, waits := fakeClock(t)
	d := newDeliverer(t, deliver.WithClock(clock))

	res := d.Deliver(context.Background(), redirect.URL, testEvent(), nil)

	require.Len(t, res.Attempts, 1)
	a := res.Final()
	assert.Equal(t, http.StatusFound, a.Status)
	assert.Equal(t, target.URL+"/moved", a.Header.Get("Location"))
	assert.False(t, a.OK())
	assert.Equal(t, deliver.ClassNone, a.Class)
	assert.Zero(t, targetHits.Load(), "the redirect target must never be hit")
	assert.Empty(t, *waits)
}

func TestSendTimeout(t *testing.T) {
	t.Parallel()
	const limit = 150 * time.Millisecond
	tests := []struct {
		name       string
		headers    bool // the handler sends its headers before stalling
		wantStatus int
		wantErr    string
	}{
		{name: "no answer at all", wantStatus: 0, wantErr: "no complete answer within the time limit"},
		{name: "body stalls after headers", headers: true, wantStatus: http.StatusOK, wantErr: "answer cut off: no complete answer within the time limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			release := make(chan struct{})
			srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				if tt.headers {
					w.WriteHeader(http.StatusOK)
					_, _ = io.WriteString(w, `{"rec`)
					w.(http.Flusher).Flush()
				}
				select {
				case <-release:
				case <-time.After(time.Second):
				}
			})
			// Registered after srv.Close, so it runs first and Close does not wait for the handler.
			t.Cleanup(func() { close(release) })
			d := newDeliverer(t, deliver.WithTimeout(limit))

			begin := time.Now()
			a := d.Send(context.Background(), deliver.Request{Target: srv.URL, Body: testEvent().Body}, 1, deliver.TriggerFirst)
			elapsed := time.Since(begin)

			assert.Equal(t, deliver.ClassTimeout, a.Class)
			assert.Equal(t, tt.wantStatus, a.Status)
			assert.Equal(t, tt.wantErr, a.Err)
			assert.False(t, a.OK())
			assert.GreaterOrEqual(t, a.Latency, limit)
			assert.Less(t, a.Latency, 700*time.Millisecond)
			assert.Less(t, elapsed, 700*time.Millisecond)
		})
	}
}

func TestSendRefused(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	d := newDeliverer(t)

	a := d.Send(context.Background(), deliver.Request{Target: "http://" + addr + "/webhook", Body: testEvent().Body}, 1, deliver.TriggerFirst)

	assert.Equal(t, deliver.ClassRefused, a.Class)
	assert.Equal(t, "connection refused", a.Err)
	assert.Zero(t, a.Status)
	assert.True(t, deliver.Retryable(a))
}

// TestSendReset covers a receiver that reads the whole request and then
// hangs up without answering: with a FIN the Go transport reports EOF, with
// an RST "connection reset by peer"; both are ClassReset.
func TestSendReset(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		rst  bool
	}{
		{name: "closed without answer"},
		{name: "reset without answer", rst: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			require.NoError(t, err)
			t.Cleanup(func() { _ = ln.Close() })
			gotBody := make(chan string, 1)
			go func() {
				conn, err := ln.Accept()
				if err != nil {
					return
				}
				defer conn.Close()
				req, err := http.ReadRequest(bufio.NewReader(conn))
				if err != nil {
					t.Errorf("reading the request: %v", err)
					gotBody <- ""
					return
				}
				b, _ := io.ReadAll(req.Body)
				if tt.rst {
					_ = conn.(*net.TCPConn).SetLinger(0)
				}
				gotBody <- string(b)
			}()
			d := newDeliverer(t)
			ev := testEvent()

			a := d.Send(context.Background(), deliver.Request{Target: "http://" + ln.Addr().String() + "/webhook", Body: ev.Body}, 1, deliver.TriggerFirst)

			assert.Equal(t, string(ev.Body), <-gotBody, "the receiver read the whole request")
			assert.Equal(t, deliver.ClassReset, a.Class, "err: %s", a.Err)
			assert.Equal(t, "connection closed before a complete answer", a.Err)
			assert.Zero(t, a.Status)
			assert.True(t, deliver.Retryable(a))
		})
	}
}

func TestSendAnswerCap(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name          string
		answer        int
		wantLen       int
		wantTruncated bool
	}{
		{name: "10 KiB answer cut to 1 KiB", answer: 10 << 10, wantLen: 1 << 10, wantTruncated: true},
		{name: "one byte over the cap", answer: 1<<10 + 1, wantLen: 1 << 10, wantTruncated: true},
		{name: "exactly the cap", answer: 1 << 10, wantLen: 1 << 10},
		{name: "under the cap", answer: 17, wantLen: 17},
		{name: "empty", answer: 0, wantLen: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.WriteString(w, strings.Repeat("a", tt.answer))
			})
			d := newDeliverer(t, deliver.WithMaxAnswerBytes(1<<10))

			a := d.Send(context.Background(), deliver.Request{Target: srv.URL, Body: testEvent().Body}, 1, deliver.TriggerFirst)

			require.Equal(t, deliver.ClassNone, a.Class, "err: %s", a.Err)
			assert.Len(t, a.Body, tt.wantLen)
			assert.Equal(t, tt.wantTruncated, a.Truncated)
			if tt.wantTruncated {
				assert.Greater(t, a.BodyBytes, int64(tt.wantLen))
			} else {
				assert.Equal(t, int64(tt.wantLen), a.BodyBytes)
			}
			assert.True(t, a.OK())
		})
	}
}

func TestDeliverCanceled(t *testing.T) {
	t.Parallel()
	t.Run("while waiting to retry", func(t *testing.T) {
		t.Parallel()
		srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusServiceUnavailable)
		})
		// The real clock and a 30 s wait: only cancellation can end it quickly.
		d := newDeliverer(t, deliver.WithRetryPolicy(deliver.Backoff{Attempts: 3, Base: 30 * time.Second, Factor: 2}))
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		observe := func(deliver.Attempt) { time.AfterFunc(50*time.Millisecond, cancel) }

		begin := time.Now()
		res := d.Deliver(ctx, srv.URL, testEvent(), observe)
		elapsed := time.Since(begin)

		assert.Less(t, elapsed, 2*time.Second)
		require.Len(t, res.Attempts, 1)
		assert.Equal(t, http.StatusServiceUnavailable, res.Final().Status)
		assert.Equal(t, 30*time.Second, res.Final().RetryDelay)
		assert.False(t, res.Acked())
	})
	t.Run("during an attempt", func(t *testing.T) {
		t.Parallel()
		release := make(chan struct{})
		srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-release:
			case <-r.Context().Done():
			}
		})
		t.Cleanup(func() { close(release) })
		clock, waits := fakeClock(t)
		d := newDeliverer(t, deliver.WithClock(clock))
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		time.AfterFunc(50*time.Millisecond, cancel)

		res := d.Deliver(ctx, srv.URL, testEvent(), nil)

		require.Len(t, res.Attempts, 1)
		assert.Equal(t, deliver.ClassCanceled, res.Final().Class)
		assert.Empty(t, *waits, "a cancelled attempt is not retried")
	})
}

func TestDeliverObserve(t *testing.T) {
	t.Parallel()
	statuses := []int{http.StatusServiceUnavailable, http.StatusBadGateway, http.StatusOK}
	var hits atomic.Int32
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		n := int(hits.Add(1))
		if n > len(statuses) {
			t.Errorf("unexpected attempt %d", n)
			n = len(statuses)
		}
		w.WriteHeader(statuses[n-1])
	})
	clock, waits := fakeClock(t)
	d := newDeliverer(t, deliver.WithClock(clock))
	var seen []deliver.Attempt

	res := d.Deliver(context.Background(), srv.URL, testEvent(), func(a deliver.Attempt) { seen = append(seen, a) })

	require.Len(t, seen, 3)
	require.Len(t, res.Attempts, 3)
	wantTriggers := []deliver.Trigger{deliver.TriggerFirst, deliver.TriggerRetry, deliver.TriggerRetry}
	for i, a := range seen {
		assert.Equal(t, i+1, a.N)
		assert.Equal(t, wantTriggers[i], a.Trigger)
		assert.Equal(t, statuses[i], a.Status)
		assert.Equal(t, res.Attempts[i].Status, a.Status)
	}
	assert.True(t, res.Acked())
	assert.Equal(t, []time.Duration{time.Second, 2 * time.Second}, *waits)
}

func TestDeliverConsultsRetryPolicy(t *testing.T) {
	t.Parallel()
	var hits atomic.Int32
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.WriteHeader(http.StatusNotFound)
	})
	policy := mocks.NewRetryPolicy(t)
	is404 := mock.MatchedBy(func(a deliver.Attempt) bool { return a.Status == http.StatusNotFound })
	// A custom policy may retry what DefaultBackoff would not; Deliver obeys it.
	policy.EXPECT().Next(1, is404).Return(42*time.Second, true).Once()
	policy.EXPECT().Next(2, is404).Return(0, false).Once()
	clock, waits := fakeClock(t)
	d := newDeliverer(t, deliver.WithClock(clock), deliver.WithRetryPolicy(policy))

	res := d.Deliver(context.Background(), srv.URL, testEvent(), nil)

	assert.Len(t, res.Attempts, 2)
	assert.Equal(t, int32(2), hits.Load())
	assert.Equal(t, []time.Duration{42 * time.Second}, *waits)
	assert.Equal(t, 42*time.Second, res.Attempts[0].RetryDelay)
}

func TestBackoffNext(t *testing.T) {
	t.Parallel()
	status := func(s int) deliver.Attempt { return deliver.Attempt{Status: s} }
	class := func(c deliver.Class) deliver.Attempt { return deliver.Attempt{Class: c} }
	def := deliver.DefaultBackoff()
	long := deliver.Backoff{Attempts: 10, Base: time.Second, Factor: 2, Max: 5 * time.Second}
	tests := []struct {
		name      string
		policy    deliver.Backoff
		attempt   int
		last      deliver.Attempt
		wantWait  time.Duration
		wantRetry bool
	}{
		{name: "first failure waits Base", policy: def, attempt: 1, last: status(500), wantWait: time.Second, wantRetry: true},
		{name: "second failure doubles", policy: def, attempt: 2, last: status(500), wantWait: 2 * time.Second, wantRetry: true},
		{name: "attempts exhausted", policy: def, attempt: 3, last: status(500), wantRetry: false},
		{name: "past the limit", policy: def, attempt: 7, last: status(500), wantRetry: false},
		{name: "one attempt means no retry", policy: deliver.Backoff{Attempts: 1, Base: time.Second, Factor: 2}, attempt: 1, last: status(500)},
		{name: "third failure grows to 4s", policy: long, attempt: 3, last: status(503), wantWait: 4 * time.Second, wantRetry: true},
		{name: "capped at Max", policy: long, attempt: 4, last: status(503), wantWait: 5 * time.Second, wantRetry: true},
		{name: "stays capped", policy: long, attempt: 9, last: status(503), wantWait: 5 * time.Second, wantRetry: true},
		{name: "capped even when the growth overflows", policy: deliver.Backoff{Attempts: 100, Base: time.Second, Factor: 2, Max: 30 * time.Second}, attempt: 70, last: status(503), wantWait: 30 * time.Second, wantRetry: true},
		{name: "uncapped growth saturates", policy: deliver.Backoff{Attempts: 100, Base: time.Second, Factor: 2}, attempt: 70, last: status(503), wantWait: time.Duration(math.MaxInt64), wantRetry: true},
		{name: "408 retried", policy: def, attempt: 1, last: status(408), wantWait: time.Second, wantRetry: true},
		{name: "429 retried", policy: def, attempt: 1, last: status(429), wantWait: time.Second, wantRetry: true},
		{name: "502 retried", policy: def, attempt: 1, last: status(502), wantWait: time.Second, wantRetry: true},
		{name: "400 final", policy: def, attempt: 1, last: status(400)},
		{name: "401 final", policy: def, attempt: 1, last: status(401)},
		{name: "404 final", policy: def, attempt: 1, last: status(404)},
		{name: "410 final", policy: def, attempt: 1, last: status(410)},
		{name: "422 final", policy: def, attempt: 1, last: status(422)},
		{name: "302 final", policy: def, attempt: 1, last: status(302)},
		{name: "301 final", policy: def, attempt: 1, last: status(301)},
		{name: "200 not retried", policy: def, attempt: 1, last: status(200)},
		{name: "timeout retried", policy: def, attempt: 1, last: class(deliver.ClassTimeout), wantWait: time.Second, wantRetry: true},
		{name: "refused retried", policy: def, attempt: 1, last: class(deliver.ClassRefused), wantWait: time.Second, wantRetry: true},
		{name: "reset retried", policy: def, attempt: 2, last: class(deliver.ClassReset), wantWait: 2 * time.Second, wantRetry: true},
		{name: "timeout after headers retried", policy: def, attempt: 1, last: deliver.Attempt{Status: 200, Class: deliver.ClassTimeout}, wantWait: time.Second, wantRetry: true},
		{name: "canceled not retried", policy: def, attempt: 1, last: class(deliver.ClassCanceled)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			gotWait, gotRetry := tt.policy.Next(tt.attempt, tt.last)
			assert.Equal(t, tt.wantRetry, gotRetry)
			assert.Equal(t, tt.wantWait, gotWait)
		})
	}
}

func TestDefaultBackoff(t *testing.T) {
	t.Parallel()
	got := deliver.DefaultBackoff()
	want := deliver.Backoff{Attempts: 3, Base: time.Second, Factor: 2, Max: 30 * time.Second}
	assert.Equal(t, want, got)
}

func TestSystemClockSleep(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		cancel  bool
		d       time.Duration
		wantErr error
	}{
		{name: "waits the duration", d: 10 * time.Millisecond},
		{name: "zero returns at once", d: 0},
		{name: "canceled returns at once", cancel: true, d: time.Hour, wantErr: context.Canceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tt.cancel {
				cancel()
			}
			begin := time.Now()
			err := deliver.SystemClock{}.Sleep(ctx, tt.d)
			elapsed := time.Since(begin)
			assert.True(t, errors.Is(err, tt.wantErr), "got %v, want %v", err, tt.wantErr)
			if !tt.cancel {
				assert.GreaterOrEqual(t, elapsed, tt.d)
			}
			assert.Less(t, elapsed, time.Second)
		})
	}
}

// An answer that stops after the part hamsasim reads is not a complete
// answer: it must not count as acknowledged.
func TestSendAnswerStallsAfterCap(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "200000")
		w.WriteHeader(http.StatusOK)
		w.Write(make([]byte, 2048))
		w.(http.Flusher).Flush()
		<-release // never finishes the body
	}))
	t.Cleanup(func() { close(release); srv.Close() })
	d, err := deliver.New(deliver.WithTimeout(300*time.Millisecond), deliver.WithMaxAnswerBytes(1024))
	require.NoError(t, err)
	// 1 KiB is read, then the next byte does arrive: truncated, complete enough.
	a := d.Send(context.Background(), deliver.Request{Target: srv.URL, Body: []byte(`{}`)}, 1, deliver.TriggerFirst)
	assert.True(t, a.Truncated)

	d, err = deliver.New(deliver.WithTimeout(300*time.Millisecond), deliver.WithMaxAnswerBytes(2048))
	require.NoError(t, err)
	// Exactly the 2 KiB sent are read; the next byte never comes.
	a = d.Send(context.Background(), deliver.Request{Target: srv.URL, Body: []byte(`{}`)}, 1, deliver.TriggerFirst)
	assert.False(t, a.OK(), "a stalled answer is not an acknowledgement")
	assert.Equal(t, deliver.ClassTimeout, a.Class)
}
