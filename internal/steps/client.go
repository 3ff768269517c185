package steps

import (
	"net/http"

	"github.com/hamsasim/hamsasim/internal/deliver"
)

// Client builds single-attempt deliverers over one shared connection pool.
type Client struct{ http *http.Client }

// NewClient returns a Client; insecure skips certificate verification.
func NewClient(conns int, insecure bool) *Client {
	return &Client{http: deliver.NewHTTPClient(conns, insecure)}
}

// Close closes the idle connections of the pool.
func (c *Client) Close() { c.http.CloseIdleConnections() }

// New returns a deliverer that signs with signer and never retries: steps
// assert on the first answer.
func (c *Client) New(signer deliver.Signer) (*deliver.Deliverer, error) {
	return deliver.New(deliver.WithSigner(signer), deliver.WithHTTPClient(c.http), deliver.WithRetryPolicy(deliver.Backoff{Attempts: 1}))
}
