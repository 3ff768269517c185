package load_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hamsasim/hamsasim/internal/load"
)

// The timeline adds up to the totals: what was offered to the deliveries,
// the causes of failure to the errors, each type's share to the attempts.
func TestTimelineAddsUpToTheTotals(t *testing.T) {
	t.Parallel()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		switch n.Add(1) % 7 {
		case 0:
			w.WriteHeader(http.StatusServiceUnavailable)
		case 3:
			w.WriteHeader(http.StatusTooManyRequests)
		default:
			w.WriteHeader(http.StatusNoContent)
		}
	}))
	t.Cleanup(srv.Close)
	sc := parseScenario(t, quick+`delivery: {retries: 1, backoff: {base: 1ms, max: 1ms}}
`)
	e, err := load.New(sc, fixtures(t), load.WithTarget(srv.URL, "loopback", "url"), load.WithSeed(3))
	require.NoError(t, err)
	s, err := e.Run(context.Background())
	require.NoError(t, err)

	var offered, attempts, acked, causes, typed, typedAcked int64
	for _, b := range s.Timeline.Buckets {
		offered += b.Offered
		attempts += b.Attempts
		acked += b.Acked
		for _, v := range b.Causes {
			causes += v
		}
		for _, bt := range b.PerType {
			typed += bt.Attempts
			typedAcked += bt.Acked
			assert.Positive(t, bt.P99, "%s at %d ms", bt.Type, b.AtMs)
		}
	}
	require.Positive(t, s.Overall.Errors)
	// Every delivery was offered once; a duplicated event's later copies
	// are offered with it but not sent when its first delivery fails.
	assert.GreaterOrEqual(t, offered, s.Overall.Deliveries)
	assert.LessOrEqual(t, offered-s.Overall.Deliveries, s.Overall.Failed*int64(sc.DuplicateCopies))
	assert.Equal(t, s.Overall.Attempts, attempts)
	assert.Equal(t, s.Overall.Errors, causes)
	assert.Equal(t, s.Overall.Attempts, typed)
	assert.Equal(t, acked, typedAcked)
	assert.Equal(t, s.Overall.Status["503"]+s.Overall.Status["429"], causes)
}
