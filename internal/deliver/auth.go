package deliver

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"time"

	"github.com/hamsasim/hamsasim/internal/sign"
)

// Signer authenticates a request the way the platform does for the agent's
// auth setting. Implementations never expose the secret: Repro describes
// the headers for a printed reproduction with the secret as a variable.
type Signer interface {
	// Sign sets the auth headers for one attempt of the message msgID.
	Sign(h http.Header, msgID string, body []byte, now time.Time)
	// Repro returns the auth headers as they should appear in a printed curl
	// command, with secrets replaced by shell variables.
	Repro(msgID string) []string
}

// NoAuth sends no credentials (the platform's noAuth setting).
type NoAuth struct{}

// Sign does nothing.
func (NoAuth) Sign(http.Header, string, []byte, time.Time) {}

// Repro returns no headers.
func (NoAuth) Repro(string) []string { return nil }

// Bearer sends Value whole as the Authorization header, as the platform
// sends webhookAuth.authSecret ("Bearer <token>").
type Bearer struct {
	Value string
	Env   string // the variable that holds Value, for reproductions
}

// Sign sets Authorization.
func (b Bearer) Sign(h http.Header, _ string, _ []byte, _ time.Time) { h.Set("Authorization", b.Value) }

// Repro shows the variable, never the value.
func (b Bearer) Repro(string) []string { return []string{"Authorization: $" + b.Env} }

// HMAC signs with Standard Webhooks headers.
type HMAC struct {
	Key []byte
	Env string // the variable that holds the whsec_ secret, for reproductions
	// Skew shifts the signed timestamp (a stale-timestamp probe uses -10m).
	Skew time.Duration
}

// Sign sets webhook-id, webhook-timestamp and webhook-signature.
func (s HMAC) Sign(h http.Header, msgID string, body []byte, now time.Time) {
	sign.Sign(h, s.Key, msgID, now.Add(s.Skew), body)
}

// Repro shows the headers; Deliverer.Repro replaces them with a command
// that computes the signature.
func (s HMAC) Repro(msgID string) []string {
	return []string{sign.HeaderID + ": " + msgID, sign.HeaderTimestamp + ": $ts", sign.HeaderSignature + ": v1,$sig"}
}

// prelude is the shell that sets $ts and $sig (and $body, for an inline
// body) for a reproduction. The key comes from $Env (a whsec_ secret), or
// is written out when Env is empty (a probe's deliberately wrong key, no
// secret). file, if set, is the quoted path the body is read from.
func (s HMAC) prelude(msgID, body, file string) string {
	key := fmt.Sprintf(`$(printf %%s "${%s#%s}" | base64 -d | od -An -v -tx1 | tr -d ' \n')`, s.Env, sign.SecretPrefix)
	if s.Env == "" {
		key = hex.EncodeToString(s.Key)
	}
	ts := "$(date +%s)"
	if s.Skew != 0 {
		ts = fmt.Sprintf("$(( $(date +%%s) %+d ))", int64(s.Skew/time.Second))
	}
	signed := fmt.Sprintf(`printf '%%s' "%s.$ts.$body"`, msgID)
	pre := "body=" + body + "; "
	if file != "" {
		signed = fmt.Sprintf(`{ printf '%%s' "%s.$ts."; cat %s; }`, msgID, file)
		pre = ""
	}
	return fmt.Sprintf(`%sts=%s; sig=$(%s | openssl dgst -sha256 -mac HMAC -macopt hexkey:%s -binary | base64); `, pre, ts, signed, key)
}

// MessageID is the webhook-id of an event: the same on every attempt and
// redelivery, since it derives from the duplicate key.
func MessageID(duplicateKey string) string {
	sum := sha256.Sum256([]byte(duplicateKey))
	return "msg_" + hex.EncodeToString(sum[:12])
}

// Literal sets one header to a fixed value that is not a secret: the wrong
// credentials a probe forges.
type Literal struct{ Header, Value string }

// Sign sets the header.
func (l Literal) Sign(h http.Header, _ string, _ []byte, _ time.Time) { h.Set(l.Header, l.Value) }

// Repro shows the header as sent.
func (l Literal) Repro(string) []string { return []string{l.Header + ": " + l.Value} }
