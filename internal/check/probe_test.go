package check_test

import (
	"net/http"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hamsasim/hamsasim/internal/check"
	"github.com/hamsasim/hamsasim/internal/deliver"
	"github.com/hamsasim/hamsasim/internal/event"
)

func TestLeak(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		"Error: boom\n    at handleEvent (/srv/app/src/handler.js:42:17)":                  "a JavaScript stack trace",
		"Traceback (most recent call last):\n  File \"/app/main.py\", line 3, in <module>": "a Python traceback",
		"panic: x\n\ngoroutine 7 [running]:":                                               "a Go stack dump",
		"java.lang.NullPointerException\n\tat com.acme.Hook.handle(Hook.java:31)":          "a JVM stack trace",
		"<html><body><h1>Whitelabel Error Page</h1>":                                       "a framework's debug error page",
		"cannot open /var/www/app/config.php":                                              "a server file path",
		`{"error":"Unauthorized"}`:                                                         "",
		`{"error":"Invalid payload","details":"callId is required"}`:                       "",
		"": "",
	}
	for body, want := range cases {
		assert.Equal(t, want, check.Leak([]byte(body)), body)
	}
}

func TestProbeJudging(t *testing.T) {
	t.Parallel()
	c := loadContract(t)
	ev := event.Event{Type: event.TranscriptionUpdate, CallID: "c", Body: []byte(`{}`)}
	json400 := deliver.Attempt{N: 1, Status: 400, Header: jsonHeader, Body: []byte(`{"error":"Invalid payload"}`)}
	json401 := deliver.Attempt{N: 1, Status: 401, Header: jsonHeader, Body: []byte(`{"error":"Unauthorized"}`)}
	html401 := deliver.Attempt{N: 1, Status: 401, Header: http.Header{"Content-Type": {"text/html"}}, Body: []byte("<pre>at x (/srv/app/a.js:1:1)</pre>")}
	s500 := deliver.Attempt{N: 1, Status: 500, Header: jsonHeader, Body: []byte(`{"error":"x"}`)}
	s422 := deliver.Attempt{N: 1, Status: 422, Header: jsonHeader, Body: []byte(`{"error":"x"}`)}
	slow := deliver.Attempt{N: 1, Class: deliver.ClassTimeout, Latency: 5 * time.Second}
	cases := []struct {
		name string
		want check.Want
		a    deliver.Attempt
		ids  []string
	}{
		{"rejected as it should be", check.WantReject, json401, nil},
		{"accepted without credentials", check.WantReject, ok(1), []string{check.AuthMissing}},
		{"rejected with an HTML stack trace", check.WantReject, html401, []string{check.ErrorLeak}},
		{"crashes on bad input", check.WantReject, s500, []string{check.ServerError}},
		{"400 as asked", check.WantBadRequest, json400, nil},
		{"422 is a rejection too", check.WantBadRequest, s422, nil},
		{"a 2xx to garbage is not", check.WantBadRequest, ok(1), []string{check.AuthMissing}},
		{"a redirect is not", check.WantBadRequest, deliver.Attempt{N: 1, Status: 302}, []string{check.AuthMissing}},
		{"5xx is a server error, not a wrong 4xx", check.WantBadRequest, s500, []string{check.ServerError}},
		{"any 4xx will do", check.WantClientError, s422, nil},
		{"acknowledged", check.WantAck, ok(1), nil},
		{"not acknowledged", check.WantAck, s500, []string{check.AuthMissing, check.ServerError}},
		{"too slow", check.WantAck, slow, []string{check.AuthMissing, check.Latency5s}},
	}
	for _, tc := range cases {
		tc := tc
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			// The probe's own check is auth.missing in every case, to tell it apart.
			fs := check.Probe(c, check.ProbeSpec{Name: "p", Check: check.AuthMissing, Want: tc.want, Event: ev, Request: "r"}, tc.a)
			var got []string
			for _, f := range fs {
				got = append(got, f.Check)
				assert.Equal(t, "p", f.Probe)
			}
			sort.Strings(got)
			sort.Strings(tc.ids)
			assert.Equal(t, tc.ids, got)
		})
	}
}

// TestProbeStrictContract: a team's contract that declares error bodies
// is enforced on rejections.
func TestProbeStrictContract(t *testing.T) {
	t.Parallel()
	ev := event.Event{Type: event.TranscriptionUpdate, CallID: "c", Body: []byte(`{}`)}
	html401 := deliver.Attempt{N: 1, Status: 401, Header: http.Header{"Content-Type": {"text/html"}}, Body: []byte("<p>no</p>")}
	fs := check.Probe(loadStrict(t), check.ProbeSpec{Name: "p", Check: check.AuthMissing, Want: check.WantReject, Event: ev, Request: "r"}, html401)
	require.Len(t, fs, 1)
	assert.Equal(t, check.ResponseSchema, fs[0].Check)
}

func TestRedelivery(t *testing.T) {
	t.Parallel()
	ev := event.Event{Type: event.CallEnded, CallID: "c"}
	flagged := deliver.Attempt{N: 1, Status: 200, Header: jsonHeader, Body: []byte(`{"received":true,"duplicate":true}`)}
	assert.Empty(t, check.Redelivery(ev, flagged, "r", "curl"))
	fs := check.Redelivery(ev, ok(1), "r", "curl")
	if assert.Len(t, fs, 1) {
		assert.Equal(t, check.DuplicateFlag, fs[0].Check)
		assert.Equal(t, check.SeverityNote, fs[0].Severity, "the flag is a recommendation")
	}
	fs = check.Redelivery(ev, deliver.Attempt{N: 1, Status: 409, Header: jsonHeader, Body: []byte(`{"error":"exists"}`)}, "r", "curl")
	if assert.Len(t, fs, 1) {
		assert.Equal(t, check.DuplicateAck, fs[0].Check)
	}
}

func TestGroup(t *testing.T) {
	t.Parallel()
	in := []check.Finding{
		{Check: "a", Event: "e", Status: 500, CallID: "c1", Seq: 1, Message: "first", Curl: "curl 1"},
		{Check: "a", Event: "e", Status: 500, CallID: "c2", Seq: 4, Message: "second", Curl: "curl 2"},
		{Check: "b", Event: "e", Status: 500, Message: "other check"},
		{Check: "a", Event: "e", ErrorClass: "timeout", CallID: "c3", Message: "other cause"},
		{Check: "a", Event: "f", Status: 500, CallID: "c4", Message: "other event type"},
		{Check: "a", Event: "e", Status: 500, CallID: "c5", Seq: 9, Message: "third", Curl: "curl 3"},
		{Check: "a", Event: "e", Status: 500, CallID: "c6", Seq: 2, Message: "fourth", Curl: "curl 4"},
	}
	out := check.Group(in)
	require.Len(t, out, 4)
	g := out[0]
	assert.Equal(t, "first", g.Message)
	assert.Equal(t, 4, g.Count)
	assert.Equal(t, "status 500", g.Cause)
	var ids, curls []string
	for _, o := range g.Occurrences {
		ids = append(ids, o.ID)
		curls = append(curls, o.Curl)
	}
	assert.Equal(t, []string{"c1#1", "c2#4", "c5#9", "c6#2"}, ids)
	assert.Equal(t, []string{"curl 1", "curl 2", "curl 3", ""}, curls, "the first examples keep their reproduction")
	assert.Equal(t, "other check", out[1].Message)
	assert.Zero(t, out[1].Count, "a finding alone is not marked grouped")
	assert.Equal(t, "timeout", out[2].Cause)
	assert.Equal(t, "other event type", out[3].Message)
	// Grouping again changes nothing.
	again := check.Group(out)
	assert.Equal(t, out, again)
}
