package check

import (
	"fmt"
	"strings"

	"github.com/hamsasim/hamsasim/internal/deliver"
	"github.com/hamsasim/hamsasim/internal/event"
)

// RaceProbe names the race probe in findings and probe results.
const RaceProbe = "duplicate.race"

// RaceRound is one event sent as several copies at the same instant (see
// deliver.SendTogether): the answer to each copy and, when the target has
// a probe API, what it said the event did.
type RaceRound struct {
	Event   event.Event
	Copies  []deliver.Attempt
	Request string // what was sent, in a line
	Curl    string // reproduces the copies; the secret is a shell variable
	// Later, if not nil, is one more copy sent once the others were
	// answered, as an ordinary redelivery: a receiver that marks
	// redeliveries marks this one, even when every copy sent together got
	// past its duplicate check.
	Later *deliver.Attempt

	// Probed says the probe API was asked about the event's call. Effects
	// is then the times the event took effect, Pending the call's events
	// stored but not processed yet, and ProbeErr, if not empty, why the
	// probe API could not tell.
	Probed   bool
	Effects  int
	Pending  int
	ProbeErr string
}

// Race judges rounds of the race probe. Every copy must be acknowledged
// (duplicate.ack, with latency.5s, server.error and error.leak as for any
// probe). With the probe API, each round's event must have taken effect
// exactly once (duplicate.race); a probe API that cannot tell is a
// duplicate.race finding too, so a check that was asked for never passes
// unchecked. Without one, a receiver that marks redeliveries with
// "duplicate": true (in any copy of any round, the later ones included) and
// answered more than one copy sent together without it has said itself
// that it took two copies as new: duplicate.race. A receiver that never
// marks them gives no evidence either way, and nothing is reported.
func Race(rounds []RaceRound) []Finding {
	flags := RaceJudged(rounds)
	var out []Finding
	for _, r := range rounds {
		out = append(out, raceAnswers(r)...)
		switch {
		case r.Probed:
			if f, ok := raceEffects(r); ok {
				out = append(out, f)
			}
		case flags:
			if f, ok := raceFlags(r); ok {
				out = append(out, f)
			}
		}
	}
	return out
}

// RaceJudged reports whether Race can tell if rounds took effect once: a
// probe API was asked, or the receiver marks duplicates in its answers.
func RaceJudged(rounds []RaceRound) bool {
	for _, r := range rounds {
		if r.Probed {
			return true
		}
		for _, a := range r.all() {
			if a.OK() && flaggedDuplicate(a.Body) {
				return true
			}
		}
	}
	return false
}

// all is every copy of the round, the later one last.
func (r RaceRound) all() []deliver.Attempt {
	if r.Later == nil {
		return r.Copies
	}
	return append(r.Copies[:len(r.Copies):len(r.Copies)], *r.Later)
}

// raceFinding is a finding about round r, with the details of copy a.
func raceFinding(id, msg string, r RaceRound, a deliver.Attempt) Finding {
	f := New(id, msg)
	f.Probe, f.Event, f.CallID, f.Fixture = RaceProbe, r.Event.Type, r.Event.CallID, r.Event.Fixture
	f.Attempt, f.Status, f.LatencyMs, f.ErrorClass, f.Excerpt = a.N, a.Status, a.Latency.Milliseconds(), string(a.Class), Excerpt(a.Body, 200)
	f.Request, f.Curl = r.Request, r.Curl
	return f
}

// raceAnswers judges each copy's answer: acknowledged, in time, no 5xx, no
// leak. A check fires once per round, naming every copy it concerns.
func raceAnswers(r RaceRound) []Finding {
	var out []Finding
	seen := map[string]bool{}
	p := ProbeSpec{Name: RaceProbe, Check: DuplicateAck, Want: WantAck, Event: r.Event, Request: r.Request, Curl: r.Curl}
	var failed []string
	first := -1
	all := r.all()
	for i, a := range all {
		if a.Class == deliver.ClassCanceled {
			continue
		}
		name := fmt.Sprintf("copy %d", i+1)
		if i == len(r.Copies) {
			name = "the later copy (sent once the others were answered)"
		}
		if !a.OK() {
			failed = append(failed, name+" "+Outcome(a))
			if first < 0 {
				first = i
			}
		}
		for _, f := range Probe(nil, p, a) {
			if f.Check == DuplicateAck || seen[f.Check] {
				continue
			}
			seen[f.Check] = true
			f.Message = fmt.Sprintf("%s: %s", name, f.Message)
			out = append(out, f)
		}
	}
	if len(failed) > 0 {
		msg := fmt.Sprintf("%s: %s; every copy must be acknowledged, or the platform retries it and finally counts the event failed",
			r.Request, strings.Join(failed, ", "))
		out = append(out, raceFinding(DuplicateAck, msg, r, all[first]))
	}
	return out
}

// raceEffects judges what the probe API said: the event took effect once.
func raceEffects(r RaceRound) (Finding, bool) {
	var acked []int
	for i, a := range r.Copies {
		if a.OK() {
			acked = append(acked, i+1)
		}
	}
	ref := deliver.Attempt{}
	if len(r.Copies) > 0 {
		ref = r.Copies[0]
	}
	switch {
	case r.ProbeErr != "":
		return raceFinding(DuplicateRace, fmt.Sprintf("%s could not be checked: %s", DuplicateRace, r.ProbeErr), r, ref), true
	case r.Effects > 1:
		return raceFinding(DuplicateRace, fmt.Sprintf("%s: the event took effect %d times (%s acknowledged): copies arriving together all got past the duplicate check (a check and an insert in two steps, or no check at all)",
			r.Request, r.Effects, copiesWord(acked, len(r.Copies))), r, ref), true
	case r.Effects == 0 && len(acked) > 0:
		msg := fmt.Sprintf("%s: the event took effect 0 times although %s acknowledged", r.Request, copiesWord(acked, len(r.Copies)))
		if r.Pending > 0 {
			// Not a loss yet: the receiver is still at work.
			msg += fmt.Sprintf("; %d events were still waiting to be processed when the wait ended, so whether it takes effect once could not be judged", r.Pending)
		}
		// Acknowledged and never processed: a loss, not a race.
		return raceFinding(EventLost, msg, r, ref), true
	}
	return Finding{}, false
}

// raceFlags judges the answers of a receiver that marks duplicates: at most
// one copy of a round may be answered as new.
func raceFlags(r RaceRound) (Finding, bool) {
	var fresh []int
	for i, a := range r.Copies {
		if a.OK() && !flaggedDuplicate(a.Body) {
			fresh = append(fresh, i+1)
		}
	}
	if len(fresh) < 2 {
		return Finding{}, false
	}
	msg := fmt.Sprintf("%s: %s answered without \"duplicate\": true, though this receiver marks redeliveries: it took %d copies as new and so processed the event %d times",
		r.Request, copiesWord(fresh, len(r.Copies)), len(fresh), len(fresh))
	return raceFinding(DuplicateRace, msg, r, r.Copies[fresh[1]-1]), true
}

// copiesWord names copies by number: "copy 2 of 3 was", "copies 1, 2 and
// 3 of 3 were", "none of the 3 copies was".
func copiesWord(nums []int, of int) string {
	switch len(nums) {
	case 0:
		return fmt.Sprintf("none of the %d copies was", of)
	case 1:
		return fmt.Sprintf("copy %d of %d was", nums[0], of)
	}
	parts := make([]string, len(nums))
	for i, n := range nums {
		parts[i] = fmt.Sprint(n)
	}
	list := strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1]
	return fmt.Sprintf("copies %s of %d were", list, of)
}
