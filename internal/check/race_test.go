package check_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/hamsasim/hamsasim/internal/check"
	"github.com/hamsasim/hamsasim/internal/deliver"
	"github.com/hamsasim/hamsasim/internal/event"
)

func TestRace(t *testing.T) {
	t.Parallel()
	ev := event.Event{Type: event.TranscriptionUpdate, CallID: "call-1"}
	answer := func(status int, body string) deliver.Attempt {
		return deliver.Attempt{N: 1, Trigger: deliver.TriggerRedelivery, Status: status, Body: []byte(body), Latency: time.Millisecond}
	}
	fresh := answer(http.StatusOK, `{"received":true}`)
	dup := answer(http.StatusOK, `{"received":true,"duplicate":true}`)
	round := func(copies ...deliver.Attempt) check.RaceRound {
		return check.RaceRound{Event: ev, Copies: copies, Request: "transcription.update sent as 3 copies at once"}
	}
	withLater := func(later deliver.Attempt, copies ...deliver.Attempt) check.RaceRound {
		r := round(copies...)
		r.Later = &later
		return r
	}
	probed := func(effects int, copies ...deliver.Attempt) check.RaceRound {
		r := round(copies...)
		r.Probed, r.Effects = true, effects
		return r
	}
	tests := []struct {
		name       string
		rounds     []check.RaceRound
		want       []string // check ids, in order
		wantInMsg  string   // in the last finding's message
		wantJudged bool
	}{
		{name: "once, by the probe API", rounds: []check.RaceRound{probed(1, fresh, dup, dup)}, wantJudged: true},
		{name: "three times, by the probe API", rounds: []check.RaceRound{probed(1, fresh, dup, dup), probed(3, fresh, fresh, fresh)},
			want: []string{check.DuplicateRace}, wantInMsg: "took effect 3 times (copies 1, 2 and 3 of 3 were acknowledged)", wantJudged: true},
		{name: "twice though none acknowledged", rounds: []check.RaceRound{probed(2, answer(500, ""), answer(500, ""), answer(500, ""))},
			want: []string{check.ServerError, check.DuplicateAck, check.DuplicateRace}, wantInMsg: "none of the 3 copies was acknowledged", wantJudged: true},
		{name: "never, though acknowledged", rounds: []check.RaceRound{{Event: ev, Copies: []deliver.Attempt{fresh, dup}, Request: "x", Probed: true, Pending: 2}},
			want: []string{check.EventLost}, wantInMsg: "took effect 0 times although copies 1 and 2 of 2 were acknowledged; 2 events were still waiting to be processed when the wait ended", wantJudged: true},
		{name: "probe API failed", rounds: []check.RaceRound{{Event: ev, Copies: []deliver.Attempt{fresh, dup}, Request: "x", Probed: true, ProbeErr: "GET /calls/call-1 answered 404"}},
			want: []string{check.DuplicateRace}, wantInMsg: "duplicate.race could not be checked: GET /calls/call-1 answered 404", wantJudged: true},
		{name: "a copy rejected", rounds: []check.RaceRound{probed(1, fresh, answer(http.StatusConflict, `{"error":"duplicate key"}`), dup)},
			want: []string{check.DuplicateAck}, wantInMsg: "copy 2 answered 409; every copy must be acknowledged", wantJudged: true},
		{name: "a copy failed on the server", rounds: []check.RaceRound{probed(1, fresh, answer(500, `{"error":"UNIQUE constraint failed"}`), dup)},
			want: []string{check.ServerError, check.DuplicateAck}, wantInMsg: "copy 2 answered 500", wantJudged: true},
		{name: "flags, one new per round", rounds: []check.RaceRound{round(fresh, dup, dup), round(dup, fresh, dup)}, wantJudged: true},
		{name: "flags, two new in one round", rounds: []check.RaceRound{round(fresh, dup, dup), round(fresh, dup, fresh)},
			want: []string{check.DuplicateRace}, wantInMsg: "copies 1 and 3 of 3 were answered without \"duplicate\": true", wantJudged: true},
		{name: "flagged only by the later copy", rounds: []check.RaceRound{withLater(dup, fresh, fresh, fresh)},
			want: []string{check.DuplicateRace}, wantInMsg: "copies 1, 2 and 3 of 3 were answered without \"duplicate\": true", wantJudged: true},
		{name: "later copy flagged, one new", rounds: []check.RaceRound{withLater(dup, fresh, dup, dup)}, wantJudged: true},
		{name: "later copy rejected", rounds: []check.RaceRound{withLater(answer(http.StatusConflict, ""), fresh, dup, dup)},
			want: []string{check.DuplicateAck}, wantInMsg: "the later copy (sent once the others were answered) answered 409", wantJudged: true},
		{name: "never flags, later copy neither", rounds: []check.RaceRound{withLater(fresh, fresh, fresh, fresh)}},
		{name: "never flags", rounds: []check.RaceRound{round(fresh, fresh, fresh), round(fresh, fresh, fresh)}},
		{name: "no body", rounds: []check.RaceRound{round(answer(204, ""), answer(204, ""), answer(204, ""))}},
		{name: "queued", rounds: []check.RaceRound{round(answer(202, `{"queued":true}`), answer(202, `{"queued":true}`))}},
		{name: "a flag on a rejected copy is no flag", rounds: []check.RaceRound{round(fresh, fresh, answer(500, `{"duplicate":true}`))},
			want: []string{check.ServerError, check.DuplicateAck}},
		{name: "interrupted copies", rounds: []check.RaceRound{round(fresh, deliver.Attempt{Class: deliver.ClassCanceled})}},
		{name: "no rounds"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := check.Race(tt.rounds)
			ids := []string{}
			for _, f := range got {
				ids = append(ids, f.Check)
				assert.Equal(t, check.RaceProbe, f.Probe)
				assert.Equal(t, ev.CallID, f.CallID)
				assert.NotEmpty(t, f.Fix)
			}
			if tt.want == nil {
				tt.want = []string{}
			}
			assert.Equal(t, tt.want, ids)
			if tt.wantInMsg != "" && len(got) > 0 {
				assert.Contains(t, got[len(got)-1].Message, tt.wantInMsg)
			}
			assert.Equal(t, tt.wantJudged, check.RaceJudged(tt.rounds))
		})
	}
}
