// Package sign implements Standard Webhooks signatures, hamsasim's second
// auth mode: webhook-id, webhook-timestamp and webhook-signature headers,
// where the signature is v1,<base64 HMAC-SHA256 of "id.timestamp.body">.
// The deliverer signs with it and the reference receiver verifies with it.
package sign

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Header names.
const (
	HeaderID        = "webhook-id"
	HeaderTimestamp = "webhook-timestamp"
	HeaderSignature = "webhook-signature"
)

// Tolerance is how far a webhook-timestamp may be from the receiver's clock.
const Tolerance = 5 * time.Minute

// SecretPrefix starts every signing secret: whsec_ followed by the base64 key.
const SecretPrefix = "whsec_"

// Errors returned by Verify.
var (
	ErrMissing   = errors.New("signature headers missing")
	ErrStale     = errors.New("timestamp outside the tolerance")
	ErrSignature = errors.New("no matching signature")
	ErrSecret    = errors.New("invalid signing secret")
)

// ParseSecret decodes "whsec_<base64>" (the prefix is optional) into the key.
func ParseSecret(s string) ([]byte, error) {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(s, SecretPrefix))
	if err != nil || len(key) < 16 {
		return nil, fmt.Errorf("%w: expected whsec_ followed by the base64 of at least 16 bytes", ErrSecret)
	}
	return key, nil
}

// FormatSecret renders a key as a signing secret.
func FormatSecret(key []byte) string { return SecretPrefix + base64.StdEncoding.EncodeToString(key) }

// Signature computes v1,<base64 HMAC-SHA256(key, id.timestamp.body)>.
func Signature(key []byte, id string, ts int64, body []byte) string {
	m := hmac.New(sha256.New, key)
	fmt.Fprintf(m, "%s.%d.", id, ts)
	m.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// Sign sets the three headers on h.
func Sign(h http.Header, key []byte, id string, now time.Time, body []byte) {
	ts := now.Unix()
	h.Set(HeaderID, id)
	h.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
	h.Set(HeaderSignature, Signature(key, id, ts, body))
}

// Verify checks h and body against key at time now, in constant time per
// candidate signature. Any of the space-separated signatures may match.
func Verify(h http.Header, key []byte, body []byte, now time.Time) error {
	id, tsStr, sigs := h.Get(HeaderID), h.Get(HeaderTimestamp), h.Get(HeaderSignature)
	if id == "" || tsStr == "" || sigs == "" {
		return ErrMissing
	}
	ts, err := strconv.ParseInt(tsStr, 10, 64)
	if err != nil {
		return ErrMissing
	}
	if d := now.Sub(time.Unix(ts, 0)); d > Tolerance || d < -Tolerance {
		return ErrStale
	}
	want := []byte(Signature(key, id, ts, body))
	for _, s := range strings.Fields(sigs) {
		if hmac.Equal([]byte(s), want) {
			return nil
		}
	}
	return ErrSignature
}
