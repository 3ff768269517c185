package intake_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/hamsasim/hamsasim/internal/event"
	"github.com/hamsasim/hamsasim/internal/intake"
	"github.com/hamsasim/hamsasim/internal/sign"
)

const good = `{"eventType":"call.started","callId":"c-1","timestamp":"2025-03-01T09:00:00.000Z"}`

var (
	key = []byte("0123456789abcdef0123")
	now = time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
)

func TestRead(t *testing.T) {
	t.Parallel()
	bearer := intake.Config{Authorization: "Bearer tok", MaxBodyBytes: 1 << 10}
	signing := intake.Config{SigningKey: key, MaxBodyBytes: 1 << 10, Now: func() time.Time { return now }}
	signed := func(at time.Time, body string) http.Header {
		h := http.Header{}
		sign.Sign(h, key, "msg_1", at, []byte(body))
		return h
	}
	tests := []struct {
		name       string
		cfg        intake.Config
		header     http.Header
		body       string
		wantErr    error
		wantStatus int
		wantCallID string
	}{
		{name: "bearer accepted", cfg: bearer, header: http.Header{"Authorization": {"Bearer tok"}}, body: good, wantStatus: http.StatusOK, wantCallID: "c-1"},
		{name: "bearer wrong", cfg: bearer, header: http.Header{"Authorization": {"Bearer nope"}}, body: good, wantErr: intake.ErrUnauthorized, wantStatus: http.StatusUnauthorized},
		{name: "bearer missing", cfg: bearer, body: good, wantErr: intake.ErrUnauthorized, wantStatus: http.StatusUnauthorized},
		{name: "no auth configured", cfg: intake.Config{MaxBodyBytes: 1 << 10}, body: good, wantStatus: http.StatusOK, wantCallID: "c-1"},
		{name: "signature accepted", cfg: signing, header: signed(now, good), body: good, wantStatus: http.StatusOK, wantCallID: "c-1"},
		{name: "signing ignores Authorization", cfg: signing, header: http.Header{"Authorization": {"Bearer tok"}}, body: good,
			wantErr: sign.ErrMissing, wantStatus: http.StatusUnauthorized},
		{name: "signature of another body", cfg: signing, header: signed(now, good), body: strings.Replace(good, "c-1", "c-2", 1),
			wantErr: sign.ErrSignature, wantStatus: http.StatusUnauthorized},
		{name: "stale signature", cfg: signing, header: signed(now.Add(-sign.Tolerance-time.Second), good), body: good,
			wantErr: sign.ErrStale, wantStatus: http.StatusUnauthorized},
		{name: "too large", cfg: intake.Config{MaxBodyBytes: 10}, body: good, wantErr: intake.ErrTooLarge, wantStatus: http.StatusRequestEntityTooLarge},
		{name: "exactly the limit", cfg: intake.Config{MaxBodyBytes: int64(len(good))}, body: good, wantStatus: http.StatusOK, wantCallID: "c-1"},
		{name: "not JSON", cfg: bearer, header: http.Header{"Authorization": {"Bearer tok"}}, body: "{", wantErr: event.ErrNotJSON, wantStatus: http.StatusBadRequest},
		{name: "missing callId", cfg: intake.Config{MaxBodyBytes: 1 << 10}, body: `{"eventType":"e","timestamp":"t"}`,
			wantErr: event.ErrMissingField, wantStatus: http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req := httptest.NewRequest(http.MethodPost, "/webhook", strings.NewReader(tt.body))
			for k, v := range tt.header {
				req.Header[k] = v
			}
			env, body, err := intake.New(tt.cfg).Read(httptest.NewRecorder(), req)
			if tt.wantErr == nil {
				assert.NoError(t, err)
				assert.Equal(t, tt.body, string(body))
			} else {
				assert.ErrorIs(t, err, tt.wantErr)
			}
			if errors.Is(tt.wantErr, sign.ErrMissing) || errors.Is(tt.wantErr, sign.ErrSignature) || errors.Is(tt.wantErr, sign.ErrStale) {
				assert.ErrorIs(t, err, intake.ErrSignature, "a signature failure is also an intake error")
			}
			if err != nil {
				assert.Equal(t, tt.wantStatus, intake.Status(err))
			}
			assert.Equal(t, tt.wantCallID, env.CallID)
		})
	}
}

// A wrong token is refused before the body is read: an unauthenticated
// sender cannot make the endpoint read 32 MB.
func TestReadRefusesBeforeReading(t *testing.T) {
	t.Parallel()
	r := &countingReader{}
	req := httptest.NewRequest(http.MethodPost, "/webhook", r)
	_, _, err := intake.New(intake.Config{Authorization: "Bearer tok", MaxBodyBytes: 1 << 20}).Read(httptest.NewRecorder(), req)
	assert.ErrorIs(t, err, intake.ErrUnauthorized)
	assert.Equal(t, 0, r.reads)
}

type countingReader struct{ reads int }

func (c *countingReader) Read(p []byte) (int, error) {
	c.reads++
	return copy(p, good), nil
}
