package probe

import (
	"context"
	"fmt"
	"time"

	"github.com/hamsasim/hamsasim/internal/check"
	"github.com/hamsasim/hamsasim/internal/deliver"
	"github.com/hamsasim/hamsasim/internal/event"
)

// The race probe's size: RaceRounds rounds, each a fresh
// transcription.update on a probe call of its own, sent as RaceCopies
// copies at the same instant (deliver.SendTogether).
//
// The numbers are chosen to catch a check-then-insert window of 1 ms
// (EXISTS, then SET 1 ms later) in every run. Copies collide when the
// second one becomes complete on the receiver before the first has stored
// its key, so what counts is how far apart they arrive. Measured on a
// 2-core machine shared with other work, over loopback, by a Go receiver
// timing each copy once it has read the whole body, 1000 rounds of 3
// copies: the spread of arrivals (first copy to last) had a median of
// 67 µs, a 90th percentile of 108 µs and a 99th of 0.72 ms; the gap
// between the first two copies, which decides a 1 ms window, a median of
// 38 µs and a 99th percentile of 0.25 ms, and it exceeded 1 ms in 3 rounds
// of 1000, each a stall of the whole machine (up to 5 ms), not of the
// sending. Under -race the figures about double (spread median 186 µs,
// first gap median 90 µs) and a round misses about once in 100 to 1000
// (a run of the race tests caught 449 of 450 rounds). A third copy gives
// each round two chances to land inside the window, and five rounds, 20 ms
// apart so that one stall does not cover them all, leave a miss of the
// whole run at about (1/100)^5, for 5 call.started, 15 copies and 5 reads
// of the probe API. Over a real network the spread grows with the jitter
// between connections; windows of a few ms (a round trip to Redis) are
// the ones real receivers have.
const (
	RaceCopies = 3
	RaceRounds = 5
	raceGap    = 20 * time.Millisecond // between rounds
)

// race sends RaceRounds events, each as RaceCopies copies at once, and
// judges them (check.Race): every copy acknowledged, and each event taken
// effect once, through the probe API or, without one, by the receiver's
// own "duplicate": true (a later copy, sent once the others were
// answered, shows whether it gives the flag at all).
func (r *Runner) race(ctx context.Context) {
	typ := event.TranscriptionUpdate
	if r.cfg.Events != nil && !r.cfg.Events[typ] {
		r.Results = append(r.Results, Result{Probe: check.RaceProbe, Check: check.DuplicateRace, Event: typ, Passed: true,
			Skipped: "not sent: the endpoint is not subscribed to " + typ + " (--events)"})
		return
	}
	var rounds []check.RaceRound
	for i := range RaceRounds {
		if i > 0 && deliver.Wait(ctx, raceGap) != nil {
			return
		}
		start := r.b.event(event.CallStarted, "race", i, 0, r.b.started())
		r.send(ctx, check.ProbeSpec{Name: "race/setup", Event: start, Request: "call.started"}, nil, false, "")
		at := time.Duration(4+i) * time.Second
		ev := r.b.event(typ, "race", i, at, r.b.turn(event.SpeakerUser, fmt.Sprintf("Can you check that for me, round %d?", i+1)))
		round, ok := r.raceRound(ctx, ev)
		if !ok {
			return // interrupted: a round cut short says nothing
		}
		rounds = append(rounds, round)
	}
	r.raceResults(rounds)
}

// raceRound sends ev's copies together and, with a probe API, reads what
// the event did. ok is false when the run was interrupted.
func (r *Runner) raceRound(ctx context.Context, ev event.Event) (check.RaceRound, bool) {
	req := deliver.Request{Target: r.cfg.Target, Body: ev.Body, MsgID: deliver.MessageID(ev.Key())}
	shown := req
	if r.cfg.Shown != "" {
		shown.Target = r.cfg.Shown
	}
	round := check.RaceRound{
		Event:   ev,
		Request: fmt.Sprintf("%s sent as %d copies at the same instant, over %d connections", ev.Type, RaceCopies, RaceCopies),
		// The shell cannot hold back last bytes; copies started together
		// still overlap on a slow enough check.
		Curl: fmt.Sprintf("for i in $(seq %d); do %s & done; wait", RaceCopies, r.cfg.Deliverer.Repro(shown, "")),
	}
	copies, err := r.cfg.Deliverer.SendTogether(ctx, req, RaceCopies, deliver.TriggerRedelivery)
	if err != nil {
		return round, false // RaceCopies is in range: cannot happen
	}
	round.Copies = copies
	for _, a := range copies {
		if r.cfg.Observe != nil {
			r.cfg.Observe(a)
		}
		if a.Class == deliver.ClassCanceled {
			return round, false
		}
	}
	if r.cfg.Records.Set() {
		rd := readCall(ctx, r.cfg.Records.Records(r.cfg.Deliverer), ev.CallID, time.Now().Add(EffectsWait))
		if ctx.Err() != nil {
			return round, false
		}
		switch {
		case rd.Err != nil:
			round.Probed, round.ProbeErr = true, rd.Err.Error()
			return round, true
		case !rd.Found:
			// The copies were answered: no record at all means the records
			// are not where hamsasim reads them.
			recs := r.cfg.Records.Records(r.cfg.Deliverer)
			round.Probed, round.ProbeErr = true, fmt.Sprintf("%s %s, no record of the call; %s", rd.Request, rd.Absent, recs.Hint())
			return round, true
		case !rd.Record.NoEffects:
			round.Probed = true
			round.Effects, round.Pending = rd.Record.Effects[ev.Type], rd.Record.Pending
			return round, true
		}
		// The records do not say what took effect: judged by the answers.
	}
	// Without a record of effects the answers are the only evidence, and
	// copies that all got past the duplicate check carry no "duplicate":
	// true to show the receiver marks redeliveries at all: one more copy,
	// once the others were answered, does.
	later := r.cfg.Deliverer.Send(ctx, req, 1, deliver.TriggerRedelivery)
	if r.cfg.Observe != nil {
		r.cfg.Observe(later)
	}
	if later.Class == deliver.ClassCanceled {
		return round, false
	}
	round.Later = &later
	return round, true
}

// raceResults judges the rounds and records a result per copy and per
// round. Rounds of a type the target already failed in the replay are
// recorded, not judged.
func (r *Runner) raceResults(rounds []check.RaceRound) {
	judge, why := r.judged(event.TranscriptionUpdate)
	var fs []check.Finding
	if judge {
		fs = check.Race(rounds)
	}
	if why == "" && !check.RaceJudged(rounds) {
		why = "no probe API (--probe-url) or effects column (--effects-db) and the receiver never answered \"duplicate\": true: whether the copies took effect once cannot be told from the answers"
	}
	raced := map[string]bool{}
	for _, f := range fs {
		if f.Check == check.DuplicateRace {
			raced[f.CallID] = true
		}
	}
	for i, round := range rounds {
		name := fmt.Sprintf("%s/round-%d", check.RaceProbe, i+1)
		copies := round.Copies
		if round.Later != nil {
			copies = append(copies[:len(copies):len(copies)], *round.Later)
		}
		for k, a := range copies {
			res := Result{Probe: fmt.Sprintf("%s/copy-%d", name, k+1), Check: check.DuplicateAck, Event: round.Event.Type, Status: a.Status,
				LatencyMs: a.Latency.Milliseconds(), ErrorClass: string(a.Class), Passed: !judge || a.OK()}
			if k == len(round.Copies) {
				res.Probe = name + "/later"
			}
			if !judge {
				res.Skipped = why
			}
			r.Results = append(r.Results, res)
		}
		r.Results = append(r.Results, Result{Probe: name, Check: check.DuplicateRace, Event: round.Event.Type,
			Passed: !raced[round.Event.CallID], Skipped: why})
	}
	r.Findings = append(r.Findings, fs...)
}
