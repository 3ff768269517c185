// Package intake is the first half of every endpoint that takes the
// platform's events (the reference receiver and capture): the credential
// check (a Bearer token, or a Standard Webhooks signature), the body size
// cap, reading the body, and the envelope parse. What an endpoint does with
// an event it took stays in its own package.
package intake

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/hamsasim/hamsasim/internal/event"
	"github.com/hamsasim/hamsasim/internal/sign"
)

// Errors of Read, matched with errors.Is. Envelope errors are event's
// (event.ErrNotJSON, event.ErrMissingField, event.ErrFieldType).
var (
	// ErrUnauthorized is wrapped when the Authorization header is not the
	// expected value (Bearer mode).
	ErrUnauthorized = errors.New("unauthorized")
	// ErrSignature is wrapped when the Standard Webhooks signature is
	// missing, stale or does not match (signing mode); the sign error is
	// wrapped too.
	ErrSignature = errors.New("no valid signature")
	// ErrTooLarge is wrapped when the body is over Config.MaxBodyBytes.
	ErrTooLarge = errors.New("body too large")
	// ErrUnreadable is wrapped when the body could not be read.
	ErrUnreadable = errors.New("body could not be read")
)

// Config says what Read accepts.
type Config struct {
	// Authorization is the whole expected header value ("Bearer <token>").
	// Empty (and no SigningKey) accepts requests without credentials.
	Authorization string
	// SigningKey, if set, requires a valid Standard Webhooks signature no
	// older than sign.Tolerance instead; Authorization is then not checked.
	SigningKey []byte
	// MaxBodyBytes bounds the body; it must be above 0.
	MaxBodyBytes int64
	// Now is the clock signatures are checked against; default time.Now.
	Now func() time.Time
}

// Intake checks and reads requests. Safe for concurrent use.
type Intake struct {
	cfg    Config
	bearer sign.Bearer
}

// New returns the intake for cfg.
func New(cfg Config) *Intake {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Intake{cfg: cfg, bearer: sign.NewBearer(cfg.Authorization)}
}

// MaxBodyBytes is the size cap Read applies.
func (in *Intake) MaxBodyBytes() int64 { return in.cfg.MaxBodyBytes }

// Read checks the Bearer token before reading anything, then reads at most
// MaxBodyBytes of the body, checks its signature (signing mode), and parses
// its envelope. The body is returned whenever it was read, even with an
// envelope error. It never writes to w other than through
// http.MaxBytesReader, which closes the connection of a body that is too
// large.
func (in *Intake) Read(w http.ResponseWriter, req *http.Request) (event.Parsed, []byte, error) {
	if in.cfg.SigningKey == nil && !in.bearer.OK(req.Header.Get("Authorization")) {
		return event.Parsed{}, nil, ErrUnauthorized
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, req.Body, in.cfg.MaxBodyBytes))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return event.Parsed{}, nil, fmt.Errorf("%w: over %d bytes", ErrTooLarge, in.cfg.MaxBodyBytes)
		}
		return event.Parsed{}, nil, fmt.Errorf("%w: %w", ErrUnreadable, err)
	}
	if in.cfg.SigningKey != nil {
		if err := sign.Verify(req.Header, in.cfg.SigningKey, body, in.cfg.Now()); err != nil {
			return event.Parsed{}, body, fmt.Errorf("%w: %w", ErrSignature, err)
		}
	}
	env, err := event.ParseEnvelope(body)
	return env, body, err
}

// Status is the HTTP status an endpoint answers err from Read with: 401
// for credentials, 413 for size, 400 for the rest.
func Status(err error) int {
	switch {
	case errors.Is(err, ErrUnauthorized), errors.Is(err, ErrSignature):
		return http.StatusUnauthorized
	case errors.Is(err, ErrTooLarge):
		return http.StatusRequestEntityTooLarge
	}
	return http.StatusBadRequest
}
