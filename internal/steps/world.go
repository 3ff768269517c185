// Package steps is the Gherkin step library QA uses to describe webhook
// behaviour: set up credentials and a call, deliver events (whole, one,
// redelivered, out of order, malformed), and assert on answers, on the
// contract, on what the receiver recorded, and on any check of the catalog.
// Each scenario has its own state in its context, so scenarios may run
// concurrently.
package steps

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/hamsasim/hamsasim/internal/contract"
	"github.com/hamsasim/hamsasim/internal/deliver"
	"github.com/hamsasim/hamsasim/internal/event"
	"github.com/hamsasim/hamsasim/internal/fixture"
	"github.com/hamsasim/hamsasim/internal/loadreport"
	"github.com/hamsasim/hamsasim/internal/probe"
	"github.com/hamsasim/hamsasim/internal/scenario"
)

// Suite is what every scenario of a run shares. It is read-only once the
// run starts.
type Suite struct {
	Target string
	Shown  string // the target as reports may show it
	// Records is where the receiver's records are read: its probe API or
	// its database; unset: steps that need them fail.
	Records  probe.Source
	Contract *contract.Contract
	Fixtures map[string]*fixture.Fixture
	// Signer and ProbeAuth are the default credentials, from the command line.
	Signer    deliver.Signer
	ProbeAuth probe.Auth
	// Getenv reads the environment (for steps that name a variable).
	Getenv func(string) string
	Client deliverClient
	Seed   uint64
	// Scenario reads a load scenario: a file, or a shipped scenario's name.
	Scenario func(name string) (*scenario.Scenario, error)

	instances atomic.Int64
}

// deliverClient builds deliverers that share one connection pool.
type deliverClient interface {
	New(signer deliver.Signer) (*deliver.Deliverer, error)
}

// answer is one request a scenario sent and what came back.
type answer struct {
	ev      event.Event
	attempt deliver.Attempt
	what    string
}

// world is one scenario's state.
type world struct {
	s         *Suite
	target    string // set by a step; empty: the suite's
	signer    deliver.Signer
	probeAuth probe.Auth
	call      *fixture.Fixture // the call under test, a copy the scenario may change
	instance  int
	start     time.Time
	events    []event.Event // the call's events, expanded lazily
	edits     map[string][]edit
	answers   []answer
	load      *loadreport.Summary // the last load run
}

type edit struct {
	path   string
	value  any
	remove bool
}

type worldKey struct{}

func newWorld(s *Suite) *world {
	return &world{
		s: s, signer: s.Signer, probeAuth: s.ProbeAuth,
		instance: int(s.instances.Add(1)), start: time.Now().UTC(),
		edits: map[string][]edit{},
	}
}

func get(ctx context.Context) *world {
	w, _ := ctx.Value(worldKey{}).(*world)
	return w
}

var errNoCall = errors.New(`no call chosen yet: start the scenario with a step like Given the call "job-interview"`)

// theCall returns the call under test, choosing the first shipped fixture
// that is answered if the scenario named none.
func (w *world) theCall() (*fixture.Fixture, error) {
	if w.call == nil {
		return nil, errNoCall
	}
	return w.call, nil
}

// lifecycle expands the call into events, applying the scenario's edits.
func (w *world) lifecycle() ([]event.Event, error) {
	f, err := w.theCall()
	if err != nil {
		return nil, err
	}
	if w.events == nil {
		evs, err := f.Expand(fixture.Options{Seed: w.s.Seed, Instance: w.instance, Start: w.start})
		if err != nil {
			return nil, err
		}
		for i := range evs {
			for _, e := range w.edits[evs[i].Type] {
				body, err := applyEdit(evs[i].Body, e)
				if err != nil {
					return nil, err
				}
				evs[i].Body = body
			}
		}
		w.events = evs
	}
	return w.events, nil
}

// first returns the call's first event of type t.
func (w *world) first(t string) (event.Event, error) {
	evs, err := w.lifecycle()
	if err != nil {
		return event.Event{}, err
	}
	for _, e := range evs {
		if e.Type == t {
			return e, nil
		}
	}
	var types []string
	seen := map[string]bool{}
	for _, e := range evs {
		if !seen[e.Type] {
			seen[e.Type] = true
			types = append(types, e.Type)
		}
	}
	return event.Event{}, fmt.Errorf("the call %q has no %s event (it has: %v)", w.call.Name, t, types)
}

// send delivers one body, once, and records the answer.
func (w *world) send(ctx context.Context, ev event.Event, what string) error {
	d, err := w.s.Client.New(w.signer)
	if err != nil {
		return err
	}
	msgID := deliver.MessageID(ev.Key())
	a := d.Send(ctx, deliver.Request{Target: w.targetURL(), Body: ev.Body, MsgID: msgID}, 1, deliver.TriggerFirst)
	if a.Class == deliver.ClassCanceled {
		return errors.New("interrupted")
	}
	w.answers = append(w.answers, answer{ev: ev, attempt: a, what: what})
	return nil
}

func (w *world) last() (answer, error) {
	if len(w.answers) == 0 {
		return answer{}, errors.New("nothing was sent yet: a When step must deliver something first")
	}
	return w.answers[len(w.answers)-1], nil
}

func (w *world) targetURL() string {
	if w.target != "" {
		return w.target
	}
	return w.s.Target
}
