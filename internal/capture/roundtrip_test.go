package capture_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hamsasim/hamsasim"
	"github.com/hamsasim/hamsasim/internal/capture"
	"github.com/hamsasim/hamsasim/internal/contract"
	"github.com/hamsasim/hamsasim/internal/event"
	"github.com/hamsasim/hamsasim/internal/fixture"
)

var loadContract = sync.OnceValues(func() (*contract.Contract, error) {
	return contract.Load(hamsasim.Contract(), hamsasim.ContractPath)
})

func testContract(t *testing.T) *contract.Contract {
	t.Helper()
	c, err := loadContract()
	require.NoError(t, err)
	return c
}

var replayStart = time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)

const replaySeed = 42

// newCapture serves a Capturer on an httptest server; notices are collected.
func newCapture(t *testing.T, cfg capture.Config) (*capture.Capturer, *httptest.Server, *[]capture.Notice) {
	t.Helper()
	if cfg.Out == "" {
		cfg.Out = t.TempDir()
	}
	if cfg.Contract == nil {
		cfg.Contract = testContract(t)
	}
	var notices []capture.Notice
	cfg.Notify = func(n capture.Notice) { notices = append(notices, n) }
	c, err := capture.New(cfg)
	require.NoError(t, err)
	srv := httptest.NewServer(c.Handler())
	t.Cleanup(func() { srv.Close(); c.Close("test over") })
	return c, srv, &notices
}

// post sends one body and returns the status and the answer's JSON.
func post(t *testing.T, url string, body []byte, header http.Header) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url+"/webhook", bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var m map[string]any
	require.NoError(t, json.Unmarshal(b, &m), "answer %s", b)
	assert.Equal(t, "application/json", resp.Header.Get("Content-Type"))
	return resp.StatusCode, m
}

func expand(t *testing.T, f *fixture.Fixture) []event.Event {
	t.Helper()
	evs, err := f.Expand(fixture.Options{Seed: replaySeed, Start: replayStart})
	require.NoError(t, err)
	return evs
}

// normalised is an event body as a value, without the ids a fixture does
// not carry: callId and call.ended's conversationId are generated on each
// replay from the seed and the fixture's name.
func normalised(t *testing.T, body []byte) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(body, &m))
	m["callId"] = "(generated)"
	if d, ok := m["data"].(map[string]any); ok {
		if dd, ok := d["data"].(map[string]any); ok {
			if _, ok := dd["conversationId"]; ok {
				dd["conversationId"] = "(generated)"
			}
		}
	}
	return m
}

// captureFixture replays f's events into a capture and returns the file
// written and the capture's totals.
func captureFixture(t *testing.T, f *fixture.Fixture, redact bool) (string, []event.Event, capture.Stats) {
	t.Helper()
	out := t.TempDir()
	c, srv, _ := newCapture(t, capture.Config{Out: out, Redact: redact})
	evs := expand(t, f)
	for _, ev := range evs {
		status, ans := post(t, srv.URL, ev.Body, nil)
		require.Equal(t, http.StatusOK, status, "%s", ev.Type)
		assert.Equal(t, map[string]any{"received": true}, ans)
	}
	// A redelivery of the first event is acknowledged and kept once.
	status, ans := post(t, srv.URL, evs[0].Body, nil)
	assert.Equal(t, http.StatusOK, status)
	assert.Equal(t, true, ans["duplicate"])
	srv.Close()
	stats, err := c.Close("test over")
	require.NoError(t, err)
	files, _ := filepath.Glob(filepath.Join(out, "*.yaml"))
	require.Len(t, files, 1)
	return files[0], evs, stats
}

func shippedFixtures(t *testing.T) []*fixture.Fixture {
	t.Helper()
	paths, _ := filepath.Glob(filepath.Join("..", "..", "fixtures", "calls", "*.yaml"))
	require.NotEmpty(t, paths)
	var out []*fixture.Fixture
	for _, p := range paths {
		f, err := fixture.ReadFile(p)
		require.NoError(t, err)
		out = append(out, f)
	}
	return out
}

// TestRoundTrip captures every shipped fixture's replay unredacted and
// checks that the captured fixture replays the same events: same types,
// timestamps, offsets and bodies (as JSON values), ids aside.
func TestRoundTrip(t *testing.T) {
	t.Parallel()
	for _, f := range shippedFixtures(t) {
		t.Run(f.Name, func(t *testing.T) {
			t.Parallel()
			path, want, stats := captureFixture(t, f, false)
			assert.Equal(t, len(want), stats.Events)
			assert.Equal(t, 1, stats.Duplicates)
			assert.Equal(t, 1, stats.Calls)
			assert.Zero(t, stats.Incomplete)
			assert.Empty(t, stats.Drift, "the shipped fixtures follow the contract")

			data, err := os.ReadFile(path)
			require.NoError(t, err)
			text := string(data)
			assert.Contains(t, text, "# Captured by hamsasim capture at ")
			assert.Contains(t, text, "Not redacted (--no-redact)")
			assert.NotContains(t, text, "Note:", "a replayed lifecycle is captured without loss")
			assert.NotContains(t, text, "INCOMPLETE")

			got, err := fixture.ReadFile(path)
			require.NoError(t, err)
			gotEvs := expand(t, got)
			require.Len(t, gotEvs, len(want))
			c := testContract(t)
			for i := range want {
				assert.Equal(t, want[i].Type, gotEvs[i].Type, "event %d", i)
				assert.Equal(t, want[i].Timestamp, gotEvs[i].Timestamp, "event %d", i)
				assert.Equal(t, want[i].Offset, gotEvs[i].Offset, "event %d", i)
				if !assert.Equal(t, normalised(t, want[i].Body), normalised(t, gotEvs[i].Body), "event %d (%s)", i, want[i].Type) {
					return
				}
			}
			validateSample(t, c, gotEvs)
		})
	}
}

// validateSample checks the captured fixture's events against the contract:
// every event but transcription updates after the first ten (a long call has
// a thousand alike, and each check takes a while under -race).
func validateSample(t *testing.T, c *contract.Contract, evs []event.Event) {
	t.Helper()
	turns := 0
	for _, ev := range evs {
		if ev.Type == event.TranscriptionUpdate {
			if turns++; turns > 10 {
				continue
			}
		}
		assert.Empty(t, c.ValidateEvent(ev.Type, ev.Body), "event %d (%s)", ev.Seq, ev.Type)
	}
}

var wordRE = regexp.MustCompile(`[\p{L}]{2,}`)

// personalData lists what redaction must remove from f: the caller's
// numbers (also as national digits), every e-mail address, and the words of
// every name-holding field.
func personalData(f *fixture.Fixture, evs []event.Event) []string {
	out := []string{f.Call.From, f.Call.To, f.Call.From[len(f.Call.From)-10:], f.Call.To[len(f.Call.To)-10:]}
	email := regexp.MustCompile(`[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}`)
	for _, ev := range evs {
		out = append(out, email.FindAllString(string(ev.Body), -1)...)
	}
	var names func(key string, v any)
	names = func(key string, v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, c := range x {
				names(k, c)
			}
		case []any:
			for _, c := range x {
				names(key, c)
			}
		case string:
			if strings.HasSuffix(key, "name") && key != "company_name" && !strings.Contains(x, "@") {
				out = append(out, wordRE.FindAllString(x, -1)...)
			}
		}
	}
	names("", f.Params)
	for _, tl := range f.Tools {
		names("", tl.Input)
		names("", tl.Output)
	}
	return out
}

// TestRoundTripRedacted captures every shipped fixture with redaction: the
// fixture is still valid, replays the same number and types of events, and
// holds none of the call's phone numbers, e-mail addresses or names.
func TestRoundTripRedacted(t *testing.T) {
	t.Parallel()
	for _, f := range shippedFixtures(t) {
		if f.Name == "long-hour" {
			continue // a thousand turns like the ones TestRoundTrip covers; too slow twice under -race
		}
		t.Run(f.Name, func(t *testing.T) {
			t.Parallel()
			path, want, _ := captureFixture(t, f, true)
			data, err := os.ReadFile(path)
			require.NoError(t, err)
			text := string(data)
			assert.Contains(t, text, "Redacted: ")
			for _, pii := range personalData(f, want) {
				assert.NotRegexp(t, `(^|[^\p{L}\d])`+regexp.QuoteMeta(pii)+`($|[^\p{L}\d])`, text, "%q left in %s", pii, path)
			}
			got, err := fixture.ReadFile(path)
			require.NoError(t, err)
			gotEvs := expand(t, got)
			require.Len(t, gotEvs, len(want))
			c := testContract(t)
			for i := range want {
				assert.Equal(t, want[i].Type, gotEvs[i].Type, "event %d", i)
				assert.Equal(t, want[i].Timestamp, gotEvs[i].Timestamp, "event %d", i)
			}
			validateSample(t, c, gotEvs)
		})
	}
}
