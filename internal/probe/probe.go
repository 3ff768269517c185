// Package probe sends the requests a lifecycle replay never sends: missing
// and wrong credentials, malformed and invalid bodies, an unknown event type,
// a transcript of a megabyte, events out of order; it checks the target's
// URL as the platform would, and reads the probe API to see whether a
// redelivery took effect twice. Each probe is judged by the check catalog.
package probe

import (
	"context"
	"crypto/rand"
	"fmt"
	"strings"
	"time"

	"github.com/hamsasim/hamsasim/internal/check"
	"github.com/hamsasim/hamsasim/internal/contract"
	"github.com/hamsasim/hamsasim/internal/deliver"
	"github.com/hamsasim/hamsasim/internal/event"
	"github.com/hamsasim/hamsasim/internal/fixture"
	"github.com/hamsasim/hamsasim/internal/report"
)

// Groups of probes, selectable with --probes. "lifecycle" is the replay
// itself and "duplicate" the redelivery of each call's events; both run
// inside simulate. The others run after the replay, "url" before it.
const (
	GroupLifecycle = "lifecycle"
	GroupDuplicate = "duplicate"
	GroupAuth      = "auth"
	GroupPayload   = "payload"
	GroupUnknown   = "unknown"
	GroupLarge     = "large"
	GroupOrder     = "order"
	GroupURL       = "url"
	GroupRace      = "race"
	GroupBytes     = "bytes"
)

// Groups lists every group, in the order they run.
var Groups = []string{GroupURL, GroupLifecycle, GroupDuplicate, GroupAuth, GroupPayload, GroupUnknown, GroupLarge, GroupOrder, GroupRace, GroupBytes}

// AuthMode is how the target authenticates the platform.
type AuthMode string

// Auth modes.
const (
	AuthNone   AuthMode = "none"
	AuthBearer AuthMode = "bearer"
	AuthHMAC   AuthMode = "hmac"
)

// Auth tells the probes which credentials to forge. It holds the signing
// key (needed to sign a stale timestamp correctly) but no bearer token.
type Auth struct {
	Mode AuthMode
	Key  []byte // HMAC key
	Env  string // the variable that holds the secret, for reproductions
}

// LargeTranscriptBytes is the size the large probe's transcript reaches.
const LargeTranscriptBytes = 1 << 20

// Config is what the probes need.
type Config struct {
	Target    string
	Shown     string // the target as reproductions show it (secrets redacted); empty means Target
	Deliverer *deliver.Deliverer
	Contract  *contract.Contract
	Template  *fixture.Fixture // supplies project, agent, caller and params
	Seed      uint64
	Start     time.Time
	Auth      Auth
	// Observe, if set, sees every probe attempt (simulate's circuit breaker).
	Observe func(deliver.Attempt)
	// Acked holds the event types the target acknowledged in the replay.
	// A probe event of a type the target failed in order is sent but not
	// judged: its failure is the replay's finding, not the probe's.
	Acked map[string]bool
	// Events are the subscribed event types; a probe of another type (or
	// of a type the platform does not know yet) is skipped, never sent, as
	// the platform would not deliver it. Nil subscribes to all.
	Events map[string]bool
	// Records is where the endpoint's records are read (its probe API or
	// its database); the race probe reads them to see whether copies sent
	// together took effect once. Unset: judged by the answers.
	Records Source
}

// Result is one probe request and its verdict.
type Result = report.ProbeResult

// Runner sends probes. Results and findings accumulate in it.
type Runner struct {
	cfg      Config
	b        builder
	Results  []Result
	Findings []check.Finding
}

// NewRunner prepares the probes of cfg.
func NewRunner(cfg Config) *Runner {
	return &Runner{cfg: cfg, b: builder{f: cfg.Template, seed: cfg.Seed, start: cfg.Start}}
}

// Run sends the probes of the given groups (after the replay), in order.
func (r *Runner) Run(ctx context.Context, groups map[string]bool) {
	steps := []struct {
		group string
		run   func(context.Context)
	}{
		{GroupAuth, r.auth},
		{GroupPayload, r.payload},
		{GroupUnknown, r.unknown},
		{GroupLarge, r.large},
		{GroupOrder, r.order},
		{GroupRace, r.race},
		{GroupBytes, r.equivalent},
	}
	for _, s := range steps {
		if groups[s.group] && ctx.Err() == nil {
			s.run(ctx)
		}
	}
}

// send sends one probe request and judges it. judge false records the
// answer without a verdict (an event that only sets up the probe).
func (r *Runner) send(ctx context.Context, spec check.ProbeSpec, signer deliver.Signer, judge bool, skipWhy string) deliver.Attempt {
	// A body that is not an event (the malformed probe) has no type: it is
	// about parsing, not subscriptions, and is sent.
	if t := spec.Event.Type; r.cfg.Events != nil && t != "" && !r.cfg.Events[t] {
		r.Results = append(r.Results, Result{Probe: spec.Name, Check: spec.Check, Event: spec.Event.Type, Passed: true,
			Skipped: "not sent: the endpoint is not subscribed to " + t + " (--events)"})
		return deliver.Attempt{Class: deliver.ClassCanceled}
	}
	req := deliver.Request{Target: r.cfg.Target, Body: spec.Event.Body, MsgID: deliver.MessageID(spec.Event.Key()), Signer: signer}
	if spec.Event.Key() == "||" {
		req.MsgID = deliver.MessageID(string(spec.Event.Body))
	}
	spec.File = ""
	if len(spec.Event.Body) > 16<<10 {
		spec.File = "payloads/" + strings.ReplaceAll(spec.Name, "/", "-") + ".json"
		spec.Payload = spec.Event.Body
	}
	shown := req
	if r.cfg.Shown != "" {
		shown.Target = r.cfg.Shown
	}
	spec.Curl = r.cfg.Deliverer.Repro(shown, spec.File)
	a := r.cfg.Deliverer.Send(ctx, req, 1, deliver.TriggerFirst)
	if r.cfg.Observe != nil {
		r.cfg.Observe(a)
	}
	if a.Class == deliver.ClassCanceled {
		return a
	}
	res := Result{Probe: spec.Name, Check: spec.Check, Event: spec.Event.Type, Status: a.Status,
		LatencyMs: a.Latency.Milliseconds(), ErrorClass: string(a.Class)}
	if !judge {
		res.Skipped = skipWhy
		res.Passed = true
		if skipWhy != "" {
			r.Results = append(r.Results, res)
		}
		return a
	}
	fs := check.Probe(r.cfg.Contract, spec, a)
	res.Passed = true
	for _, f := range fs {
		if f.Check == spec.Check {
			res.Passed = false
		}
	}
	r.Results = append(r.Results, res)
	r.Findings = append(r.Findings, fs...)
	return a
}

// judged reports whether a probe event of type t is judged, and why not.
func (r *Runner) judged(t string) (bool, string) {
	if r.cfg.Acked == nil || r.cfg.Acked[t] {
		return true, ""
	}
	return false, t + " was not acknowledged in the replay either; that finding stands for this one"
}

// sample is an ordinary event for probes about auth and payloads: a
// transcription.update, or, for an endpoint not subscribed to those, an
// event of a type it is subscribed to.
func (r *Runner) sample(name, text string, at time.Duration) event.Event {
	for _, t := range []string{event.TranscriptionUpdate, event.CallStarted, event.CallAnswered, event.CallEnded} {
		if r.cfg.Events != nil && !r.cfg.Events[t] {
			continue
		}
		switch t {
		case event.CallStarted:
			return r.b.event(t, name, 0, 0, r.b.started())
		case event.CallAnswered:
			return r.b.event(t, name, 0, at, r.b.answered(at))
		case event.CallEnded:
			return r.b.event(t, name, 0, at, r.b.ended(r.b.transcript(512), at))
		}
		break
	}
	return r.b.event(event.TranscriptionUpdate, name, 0, at, r.b.turn(event.SpeakerUser, text))
}

func (r *Runner) auth(ctx context.Context) {
	ev := r.sample("auth", "Is anyone checking who sends this?", 2*time.Second)
	desc := func(what string) string { return fmt.Sprintf("%s %s", ev.Type, what) }
	switch r.cfg.Auth.Mode {
	case AuthNone:
		r.Results = append(r.Results, Result{Probe: "auth", Check: check.AuthMissing, Skipped: "no secret is configured: the target is tested in the platform's noAuth mode", Passed: true})
		return
	case AuthBearer:
		r.send(ctx, check.ProbeSpec{Name: "auth.missing", Check: check.AuthMissing, Want: check.WantReject, Event: ev, Request: desc("without Authorization")}, deliver.NoAuth{}, true, "")
		r.send(ctx, check.ProbeSpec{Name: "auth.wrong/token", Check: check.AuthWrong, Want: check.WantReject, Event: ev, Request: desc("with a wrong Bearer token")},
			deliver.Literal{Header: "Authorization", Value: "Bearer hamsasim-wrong-" + randomHex(8)}, true, "")
		r.send(ctx, check.ProbeSpec{Name: "auth.wrong/empty-token", Check: check.AuthWrong, Want: check.WantReject, Event: ev, Request: desc("with \"Bearer \" and no token")},
			deliver.Literal{Header: "Authorization", Value: "Bearer "}, true, "")
	case AuthHMAC:
		r.send(ctx, check.ProbeSpec{Name: "auth.missing", Check: check.AuthMissing, Want: check.WantReject, Event: ev, Request: desc("without signature headers")}, deliver.NoAuth{}, true, "")
		wrong := make([]byte, 32)
		rand.Read(wrong)
		r.send(ctx, check.ProbeSpec{Name: "auth.wrong/signature", Check: check.AuthWrong, Want: check.WantReject, Event: ev, Request: desc("signed with the wrong key")},
			deliver.HMAC{Key: wrong}, true, "")
		r.send(ctx, check.ProbeSpec{Name: "auth.stale", Check: check.AuthStale, Want: check.WantReject, Event: ev, Request: desc("correctly signed 10 minutes ago")},
			deliver.HMAC{Key: r.cfg.Auth.Key, Env: r.cfg.Auth.Env, Skew: -10 * time.Minute}, true, "")
	}
}

func (r *Runner) payload(ctx context.Context) {
	ev := r.sample("payload", "One moment please.", 3*time.Second)
	cut := ev
	cut.Type, cut.CallID, cut.Timestamp = "", "", ""
	cut.Body = ev.Body[:len(ev.Body)/2]
	r.send(ctx, check.ProbeSpec{Name: "payload.malformed", Check: check.PayloadMalformed, Want: check.WantBadRequest, Event: cut, Request: "a body cut off in the middle (not JSON)"}, nil, true, "")
	for _, field := range []string{"callId", "eventType"} {
		bad := ev
		bad.Body = withoutField(ev.Body, field)
		if field == "eventType" {
			bad.Type = ""
		}
		r.send(ctx, check.ProbeSpec{Name: "payload.invalid/no-" + field, Check: check.PayloadInvalid, Want: check.WantClientError, Event: bad, Request: ev.Type + " without " + field}, nil, true, "")
	}
}

// UnknownEventType is the event type the unknown probe sends: plausible,
// and not one the platform documents today.
const UnknownEventType = "call.transferred"

func (r *Runner) unknown(ctx context.Context) {
	start := r.b.event(event.CallStarted, "unknown", 0, 0, r.b.started())
	r.send(ctx, check.ProbeSpec{Name: "unknown/setup", Event: start, Request: "call.started"}, nil, false, "")
	ev := r.b.event(UnknownEventType, "unknown", 0, 20*time.Second, map[string]any{
		"transferredAt": event.FormatTime(r.b.start.Add(20 * time.Second)),
		"data":          map[string]any{"transferTo": "+14155550177", "reason": "caller asked for a human"},
	})
	r.send(ctx, check.ProbeSpec{Name: "event.unknown", Check: check.EventUnknown, Want: check.WantAck, Event: ev, Request: UnknownEventType + " (an event type the platform may add)"}, nil, true, "")
	end := r.b.event(event.CallEnded, "unknown", 0, 30*time.Second, r.b.ended(nil, 30*time.Second))
	r.send(ctx, check.ProbeSpec{Name: "unknown/teardown", Event: end, Request: "call.ended"}, nil, false, "")
}

func (r *Runner) large(ctx context.Context) {
	dur := time.Hour
	r.send(ctx, check.ProbeSpec{Name: "large/setup", Event: r.b.event(event.CallStarted, "large", 0, 0, r.b.started())}, nil, false, "")
	r.send(ctx, check.ProbeSpec{Name: "large/setup", Event: r.b.event(event.CallAnswered, "large", 0, 3*time.Second, r.b.answered(3*time.Second))}, nil, false, "")
	ev := r.b.event(event.CallEnded, "large", 0, dur, r.b.ended(r.b.transcript(LargeTranscriptBytes), dur))
	judge, why := r.judged(event.CallEnded)
	r.send(ctx, check.ProbeSpec{Name: "payload.large", Check: check.PayloadLarge, Want: check.WantAck, Event: ev,
		Request: fmt.Sprintf("call.ended of a one-hour call (%d KB)", len(ev.Body)>>10)}, nil, judge, why)
}

// order sends three calls whose events arrive as they do when deliveries
// race and retry: late events after call.ended, no call.answered, and
// call.started arriving after later events.
func (r *Runner) order(ctx context.Context) {
	type step struct {
		typ string
		at  time.Duration
	}
	scenarios := []struct {
		name, what string
		steps      []step
	}{
		{"order/late-after-ended", "transcription.update and tool.executed arriving after call.ended",
			[]step{{event.CallStarted, 0}, {event.CallAnswered, 2 * time.Second}, {event.TranscriptionUpdate, 4 * time.Second},
				{event.CallEnded, 30 * time.Second}, {event.TranscriptionUpdate, 9 * time.Second}, {event.ToolExecuted, 12 * time.Second}}},
		{"order/no-answered", "a call whose call.answered never arrives",
			[]step{{event.CallStarted, 0}, {event.TranscriptionUpdate, 4 * time.Second}, {event.TranscriptionUpdate, 7 * time.Second}, {event.CallEnded, 20 * time.Second}}},
		{"order/started-late", "call.started arriving after the call's first events",
			[]step{{event.CallAnswered, 2 * time.Second}, {event.TranscriptionUpdate, 4 * time.Second}, {event.CallStarted, 0}, {event.CallEnded, 20 * time.Second}}},
	}
	for i, sc := range scenarios {
		var turns []event.TranscriptTurn
		for j, st := range sc.steps {
			var data any
			switch st.typ {
			case event.CallStarted:
				data = r.b.started()
			case event.CallAnswered:
				data = r.b.answered(st.at)
			case event.TranscriptionUpdate:
				data = r.b.turn(event.SpeakerUser, fmt.Sprintf("Turn at %s.", st.at))
				turns = append(turns, event.TranscriptTurn{"User": fmt.Sprintf("Turn at %s.", st.at)})
			case event.ToolExecuted:
				data = event.ToolExecutedData{Data: event.ToolDetails{ToolName: "lookup_account", Input: map[string]any{"id": "A-1"}, Output: map[string]any{"found": true}, Duration: 120}}
			case event.CallEnded:
				data = r.b.ended(turns, st.at)
			}
			ev := r.b.event(st.typ, "order", i, st.at, data)
			ev.Seq = j
			judge, why := r.judged(st.typ)
			r.send(ctx, check.ProbeSpec{Name: sc.name, Check: check.OrderTolerant, Want: check.WantAck, Event: ev,
				Request: fmt.Sprintf("%s, event %d of %d in %s", st.typ, j+1, len(sc.steps), sc.what)}, nil, judge, why)
		}
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return fmt.Sprintf("%x", b)
}
