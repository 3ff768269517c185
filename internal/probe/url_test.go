package probe_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hamsasim/hamsasim/internal/check"
	"github.com/hamsasim/hamsasim/internal/probe"
)

func ids(fs []check.Finding) map[string]check.Severity {
	out := map[string]check.Severity{}
	for _, f := range fs {
		out[f.Check] = f.Severity
	}
	return out
}

// No test here sends traffic anywhere but loopback: the private-address
// cases are plain http:// IP literals, judged without a connection.
func TestURL(t *testing.T) {
	t.Parallel()
	cases := []struct {
		target string
		want   map[string]check.Severity
	}{
		{"http://127.0.0.1:8080/webhook", map[string]check.Severity{check.URLHTTPS: check.SeverityNote, check.URLPublic: check.SeverityNote}},
		{"http://localhost:8080/webhook", map[string]check.Severity{check.URLHTTPS: check.SeverityNote, check.URLPublic: check.SeverityNote}},
		{"http://[::1]:8080/webhook", map[string]check.Severity{check.URLHTTPS: check.SeverityNote, check.URLPublic: check.SeverityNote}},
		{"http://192.168.1.100/webhook", map[string]check.Severity{check.URLHTTPS: check.SeverityError, check.URLPublic: check.SeverityError}},
		{"http://10.2.3.4/webhook", map[string]check.Severity{check.URLHTTPS: check.SeverityError, check.URLPublic: check.SeverityError}},
		{"http://169.254.1.1/webhook", map[string]check.Severity{check.URLHTTPS: check.SeverityError, check.URLPublic: check.SeverityError}},
		{"http://webhooks.internal/x", map[string]check.Severity{check.URLHTTPS: check.SeverityError, check.URLPublic: check.SeverityError}},
		{"http://203.0.113.9/webhook", map[string]check.Severity{check.URLHTTPS: check.SeverityError}},
	}
	for _, tc := range cases {
		tc := tc
		t.Run(tc.target, func(t *testing.T) {
			t.Parallel()
			fs, tlsErr := probe.URL(context.Background(), tc.target)
			assert.NoError(t, tlsErr)
			assert.Equal(t, tc.want, ids(fs))
		})
	}
}

func TestURLSelfSignedCertificate(t *testing.T) {
	t.Parallel()
	srv := httptest.NewTLSServer(http.NotFoundHandler())
	t.Cleanup(srv.Close)
	fs, tlsErr := probe.URL(context.Background(), srv.URL+"/webhook?token=CANARY")
	require.Error(t, tlsErr)
	got := ids(fs)
	assert.Equal(t, check.SeverityNote, got[check.TLSValid], "loopback: a note")
	_, plain := got[check.URLHTTPS]
	assert.False(t, plain, "https is https")
	for _, f := range fs {
		assert.NotContains(t, f.Request+f.Message, "CANARY", "query values are never shown")
	}
	assert.Contains(t, tlsErr.Error(), "certificate")
}

func TestIsLoopback(t *testing.T) {
	t.Parallel()
	for host, want := range map[string]bool{
		"localhost": true, "LOCALHOST": true, "api.localhost": true, "127.0.0.1": true, "127.9.9.9": true, "::1": true,
		"10.0.0.1": false, "example.com": false, "0.0.0.0": false,
	} {
		assert.Equal(t, want, probe.IsLoopback(host), host)
	}
}
