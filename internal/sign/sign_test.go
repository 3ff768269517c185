package sign_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hamsasim/hamsasim/internal/sign"
)

var key = []byte("0123456789abcdef0123456789abcdef")

func TestSignatureKnownValue(t *testing.T) {
	t.Parallel()
	// HMAC-SHA256("0123...cdef", "msg_1.1700000000.{}") in base64, computed independently with openssl.
	got := sign.Signature(key, "msg_1", 1700000000, []byte("{}"))
	assert.Equal(t, "v1,"+expected, got)
}

func TestVerify(t *testing.T) {
	t.Parallel()
	now := time.Unix(1700000000, 0)
	body := []byte(`{"eventType":"call.started"}`)
	signed := http.Header{}
	sign.Sign(signed, key, "msg_1", now, body)

	cases := []struct {
		name   string
		header func() http.Header
		body   []byte
		at     time.Time
		want   error
	}{
		{"valid", func() http.Header { return signed.Clone() }, body, now, nil},
		{"valid within tolerance", func() http.Header { return signed.Clone() }, body, now.Add(4 * time.Minute), nil},
		{"stale", func() http.Header { return signed.Clone() }, body, now.Add(6 * time.Minute), sign.ErrStale},
		{"from the future", func() http.Header { return signed.Clone() }, body, now.Add(-6 * time.Minute), sign.ErrStale},
		{"body changed", func() http.Header { return signed.Clone() }, []byte(`{"eventType":"call.ended"}`), now, sign.ErrSignature},
		{"no headers", func() http.Header { return http.Header{} }, body, now, sign.ErrMissing},
		{"timestamp not a number", func() http.Header {
			h := signed.Clone()
			h.Set(sign.HeaderTimestamp, "yesterday")
			return h
		}, body, now, sign.ErrMissing},
		{"one of several signatures matches", func() http.Header {
			h := signed.Clone()
			h.Set(sign.HeaderSignature, "v1,AAAA "+signed.Get(sign.HeaderSignature))
			return h
		}, body, now, nil},
		{"id changed", func() http.Header {
			h := signed.Clone()
			h.Set(sign.HeaderID, "msg_2")
			return h
		}, body, now, sign.ErrSignature},
	}
	for _, tc := range cases {
		tc := tc
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := sign.Verify(tc.header(), key, tc.body, tc.at)
			if tc.want == nil {
				assert.NoError(t, err)
				return
			}
			assert.ErrorIs(t, err, tc.want)
		})
	}
}

func TestSecrets(t *testing.T) {
	t.Parallel()
	s := sign.FormatSecret(key)
	assert.Regexp(t, `^whsec_[A-Za-z0-9+/=]+$`, s)
	got, err := sign.ParseSecret(s)
	require.NoError(t, err)
	assert.Equal(t, key, got)
	_, err = sign.ParseSecret("whsec_c2hvcnQ=") // "short": under 16 bytes
	assert.ErrorIs(t, err, sign.ErrSecret)
	_, err = sign.ParseSecret("whsec_%%%")
	assert.ErrorIs(t, err, sign.ErrSecret)
}

const expected = "2c4VI0bO4Wd5svqP2unEA9pCk0dTAXr/elrHCJ+/efk="
