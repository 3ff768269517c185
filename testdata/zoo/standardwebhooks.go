// A small stand-in for the Standard Webhooks libraries (standard-webhooks
// for Go, Node and Python, svix's Webhook class): Verify(payload, headers)
// checks webhook-signature "v1,<base64 HMAC-SHA256>" over
// "webhook-id.webhook-timestamp.payload" within a 5-minute tolerance. As
// with the real libraries, which bytes the caller passes as payload is the
// caller's business: ok-hmac-raw passes the raw body, hmac-reserialize its
// own re-serialisation of the parsed body.

package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"
)

var (
	errNoSignature    = errors.New("missing required headers")
	errStaleTimestamp = errors.New("message timestamp too old or too new")
	errBadSignature   = errors.New("no matching signature found")
)

const webhookTolerance = 5 * time.Minute

type standardWebhook struct{ key []byte }

func (wh standardWebhook) Verify(payload []byte, h http.Header) error {
	id, ts, sigs := h.Get("webhook-id"), h.Get("webhook-timestamp"), h.Get("webhook-signature")
	if id == "" || ts == "" || sigs == "" {
		return errNoSignature
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return errNoSignature
	}
	if d := time.Since(time.Unix(sec, 0)); d > webhookTolerance || d < -webhookTolerance {
		return errStaleTimestamp
	}
	mac := hmac.New(sha256.New, wh.key)
	mac.Write([]byte(id + "." + ts + "."))
	mac.Write(payload)
	want := mac.Sum(nil)
	for _, s := range strings.Fields(sigs) {
		version, b64, ok := strings.Cut(s, ",")
		if !ok || version != "v1" {
			continue
		}
		got, err := base64.StdEncoding.DecodeString(b64)
		if err == nil && hmac.Equal(got, want) {
			return nil
		}
	}
	return errBadSignature
}
