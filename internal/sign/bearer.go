package sign

import (
	"crypto/sha256"
	"crypto/subtle"
)

// Bearer checks an Authorization header against the expected whole value
// ("Bearer <token>") in constant time: both are hashed first, so neither
// the content nor the length of the secret leaks through timing. The zero
// value, and one built from "", accepts every request (the platform's noAuth
// mode). Safe for concurrent use.
type Bearer struct {
	set  bool
	hash [sha256.Size]byte
}

// NewBearer returns the check for the expected header value.
func NewBearer(expected string) Bearer {
	if expected == "" {
		return Bearer{}
	}
	return Bearer{set: true, hash: sha256.Sum256([]byte(expected))}
}

// OK reports whether got is the expected value (always, when none is set).
func (b Bearer) OK(got string) bool {
	if !b.set {
		return true
	}
	h := sha256.Sum256([]byte(got))
	return subtle.ConstantTimeCompare(h[:], b.hash[:]) == 1
}
