package check_test

import (
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hamsasim/hamsasim/internal/check"
	"github.com/hamsasim/hamsasim/internal/contract"
	"github.com/hamsasim/hamsasim/internal/deliver"
	"github.com/hamsasim/hamsasim/internal/event"
)

func loadContract(t *testing.T) *contract.Contract {
	t.Helper()
	data, err := os.ReadFile("../../spec/hamsa-webhooks.yaml")
	require.NoError(t, err)
	c, err := contract.Load(data, "spec/hamsa-webhooks.yaml")
	require.NoError(t, err)
	return c
}

// loadStrict loads a contract that declares the guide's recommended
// answers as requirements, as a team's own --spec may.
func loadStrict(t *testing.T) *contract.Contract {
	t.Helper()
	data, err := os.ReadFile("../contract/testdata/strict-answers.yaml")
	require.NoError(t, err)
	c, err := contract.Load(data, "strict-answers.yaml")
	require.NoError(t, err)
	return c
}

var jsonHeader = http.Header{"Content-Type": {"application/json"}}

func ok(n int) deliver.Attempt {
	return deliver.Attempt{N: n, Status: 200, Header: jsonHeader, Body: []byte(`{"received":true}`), Latency: 3 * time.Millisecond}
}

func TestDelivery(t *testing.T) {
	t.Parallel()
	c := loadContract(t)
	ev := event.Event{Type: event.CallEnded, CallID: "c-1", Seq: 7, Fixture: "job", Offset: 95 * time.Second, Body: []byte(`{}`)}
	cases := []struct {
		name     string
		attempts []deliver.Attempt
		want     map[string]string // check id -> message
	}{
		{"acknowledged at once", []deliver.Attempt{ok(1)}, map[string]string{}},
		{"500 then acknowledged", []deliver.Attempt{{N: 1, Status: 500}, ok(2)}, map[string]string{
			check.Status2xx: "call.ended answered 500 on 1 of 2 attempts, then was acknowledged on attempt 2",
		}},
		{"500 every time", []deliver.Attempt{{N: 1, Status: 503}, {N: 2, Status: 503}, {N: 3, Status: 503}}, map[string]string{
			check.Status2xx: "call.ended answered 503 on all 3 attempts; the platform gives up after the last attempt and the event is lost",
		}},
		{"4xx is final", []deliver.Attempt{{N: 1, Status: 422}}, map[string]string{
			check.Status2xx: "call.ended answered 422 on its only attempt; the platform does not retry a 4xx, so the event is lost",
		}},
		{"redirect", []deliver.Attempt{{N: 1, Status: 301, Header: http.Header{"Location": {"https://x.example/new"}}}}, map[string]string{
			check.Status2xx: "call.ended answered 301 redirecting to https://x.example/new (the platform does not follow redirects) on its only attempt; the platform does not retry a 3xx, so the event is lost",
		}},
		{"timeout then ok", []deliver.Attempt{{N: 1, Class: deliver.ClassTimeout, Latency: 5 * time.Second}, ok(2)}, map[string]string{
			check.Status2xx: "call.ended got no complete answer within 5.0 s on 1 of 2 attempts, then was acknowledged on attempt 2",
			check.Latency5s: "call.ended took 5.0 s on attempt 1 (the limit is 5.0 s): the platform counts the attempt as failed and delivers the event again",
		}},
		{"refused", []deliver.Attempt{{N: 1, Class: deliver.ClassRefused}}, map[string]string{
			check.Status2xx: "call.ended could not connect (connection refused) on its only attempt",
		}},
		{"any 2xx acknowledges: 200 text/plain", []deliver.Attempt{{N: 1, Status: 200, Header: http.Header{"Content-Type": {"text/plain"}}, Body: []byte("OK")}}, map[string]string{}},
		{"any 2xx acknowledges: 204", []deliver.Attempt{{N: 1, Status: 204}}, map[string]string{}},
		{"any 2xx acknowledges: 202 queued", []deliver.Attempt{{N: 1, Status: 202, Header: jsonHeader, Body: []byte(`{"queued":true}`)}}, map[string]string{}},
		{"a first delivery answered as a duplicate", []deliver.Attempt{{N: 1, Trigger: deliver.TriggerFirst, Status: 200, Header: jsonHeader, Body: []byte(`{"received":true,"duplicate":true}`)}}, map[string]string{
			check.DuplicateFirst: "the first delivery of call.ended #7 was answered as a duplicate: the receiver treated a new event as one it already had and dropped it",
		}},
		{"a retry after a timeout may be a duplicate", []deliver.Attempt{{N: 1, Trigger: deliver.TriggerFirst, Class: deliver.ClassTimeout, Latency: 5 * time.Second},
			{N: 2, Trigger: deliver.TriggerRetry, Status: 200, Header: jsonHeader, Body: []byte(`{"received":true,"duplicate":true}`)}}, map[string]string{
			check.Status2xx: "call.ended got no complete answer within 5.0 s on 1 of 2 attempts, then was acknowledged on attempt 2",
			check.Latency5s: "call.ended took 5.0 s on attempt 1 (the limit is 5.0 s): the platform counts the attempt as failed and delivers the event again",
		}},
		{"canceled attempts are not findings", []deliver.Attempt{{N: 1, Class: deliver.ClassCanceled}}, map[string]string{}},
	}
	for _, tc := range cases {
		tc := tc
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := map[string]string{}
			for _, f := range check.Delivery(c, deliver.Result{Event: ev, Attempts: tc.attempts}) {
				got[f.Check] = f.Message
				assert.Equal(t, "job", f.Fixture)
				assert.Equal(t, 7, f.Seq)
				assert.Equal(t, "1m35s", f.Offset)
				ch, known := check.Lookup(f.Check)
				require.True(t, known, "finding %s is in the catalog", f.Check)
				assert.Equal(t, ch.Severity, f.Severity)
			}
			assert.Equal(t, tc.want, got)
		})
	}
}

// TestDeliveryStrictContract: a contract of the team's own that declares
// answer bodies is enforced.
func TestDeliveryStrictContract(t *testing.T) {
	t.Parallel()
	ev := event.Event{Type: event.CallEnded, Body: []byte(`{}`)}
	fs := check.Delivery(loadStrict(t), deliver.Result{Event: ev, Attempts: []deliver.Attempt{{N: 1, Status: 200, Header: http.Header{"Content-Type": {"text/plain"}}, Body: []byte("OK")}}})
	require.Len(t, fs, 1)
	assert.Equal(t, check.ResponseSchema, fs[0].Check)
	assert.Equal(t, "the 200 answer to call.ended does not match the contract: the 200 answer is text/plain; the contract declares application/json", fs[0].Message)
}

// TestDeliverySentOnce: an event sent once because its type kept failing
// says what the platform would still have done.
func TestDeliverySentOnce(t *testing.T) {
	t.Parallel()
	ev := event.Event{Type: event.TranscriptionUpdate, Body: []byte(`{}`)}
	fs := check.Delivery(nil, deliver.Result{Event: ev, Attempts: []deliver.Attempt{{N: 1, Status: 500}}, Skipped: []time.Duration{time.Second, 2 * time.Second}})
	require.Len(t, fs, 1)
	assert.Equal(t, "transcription.update answered 500 on its only attempt; sent once, as earlier transcription.update events had failed every attempt: the platform would retry after 1.0 s, 2.0 s and then drop it", fs[0].Message)
}

func TestExcerpt(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "", check.Excerpt(nil, 10))
	assert.Equal(t, "a b", check.Excerpt([]byte("a\nb"), 10))
	assert.Equal(t, "abc...", check.Excerpt([]byte("abcdef"), 3))
	assert.Equal(t, "?x", check.Excerpt([]byte{0xff, 'x'}, 10))
	assert.Equal(t, "é?", check.Excerpt([]byte("é\x00"), 10))
}

func TestCatalogIsComplete(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for _, c := range check.All() {
		assert.False(t, seen[c.ID], "duplicate id %s", c.ID)
		seen[c.ID] = true
		assert.NotEmpty(t, c.Title, c.ID)
		assert.NotEmpty(t, c.Explanation, c.ID)
		assert.NotEmpty(t, c.Fix, c.ID)
		assert.Contains(t, []check.Severity{check.SeverityError, check.SeverityWarning, check.SeverityNote}, c.Severity)
	}
}

func TestDeliveryStoppedByTheRun(t *testing.T) {
	t.Parallel()
	ev := event.Event{Type: event.CallEnded, Body: []byte(`{}`)}
	// The breaker tripped while a retry was due.
	fs := check.Delivery(nil, deliver.Result{Event: ev, Attempts: []deliver.Attempt{
		{N: 1, Class: deliver.ClassRefused, RetryDelay: time.Second},
		{N: 2, Class: deliver.ClassRefused, RetryDelay: 2 * time.Second},
	}})
	require.Len(t, fs, 1)
	assert.Equal(t, "call.ended could not connect (connection refused) on both attempts; the run stopped before its next retry", fs[0].Message)
}
