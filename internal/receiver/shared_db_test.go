package receiver

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hamsasim/hamsasim/internal/event"
)

// TestTwoProcessorsOneDatabase: two receivers on the same file (two
// processes in one folder, or an overlapping restart) must still apply
// every event exactly once.
func TestTwoProcessorsOneDatabase(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "shared.db")
	a, err := openStore(db, DurabilityNormal)
	require.NoError(t, err)
	b, err := openStore(db, DurabilityNormal)
	require.NoError(t, err)
	t.Cleanup(func() { a.close(); b.close() })

	const calls, per = 40, 25
	var wg sync.WaitGroup
	for c := 0; c < calls; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			s := a
			if c%2 == 1 {
				s = b
			}
			id := fmt.Sprintf("call-%d", c)
			for i := 0; i < per; i++ {
				ts := at(0)[:20] + fmt.Sprintf("%03dZ", i)
				_, err := s.put(context.Background(), event.Parsed{EventType: "transcription.update", CallID: id, Timestamp: ts}, []byte(`{}`))
				if err != nil {
					t.Errorf("put: %v", err)
				}
			}
		}(c)
	}
	// Both process at once while events arrive.
	done := make(chan struct{})
	var pw sync.WaitGroup
	for _, s := range []*store{a, b} {
		pw.Add(1)
		go func(s *store) {
			defer pw.Done()
			for {
				select {
				case <-done:
					for {
						if n, err := s.processPending(50); err != nil || n == 0 {
							return
						}
					}
				default:
					if _, err := s.processPending(50); err != nil {
						t.Errorf("process: %v", err)
						return
					}
				}
			}
		}(s)
	}
	wg.Wait()
	close(done)
	pw.Wait()
	for _, s := range []*store{a, b} {
		for {
			n, err := s.processPending(500)
			require.NoError(t, err)
			if n == 0 {
				break
			}
		}
	}
	var events, effects int
	require.NoError(t, a.db.QueryRow(`SELECT COUNT(*) FROM events`).Scan(&events))
	require.NoError(t, a.db.QueryRow(`SELECT COUNT(*) FROM effects`).Scan(&effects))
	assert.Equal(t, calls*per, events)
	assert.Equal(t, calls*per, effects, "every event took effect exactly once")
}

func TestDBPathWithQueryCharacters(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"x#y.db", "q?z.db"} {
		_, err := New(Config{DBPath: filepath.Join(t.TempDir(), name)})
		assert.ErrorIs(t, err, ErrDBPath, name)
	}
}
