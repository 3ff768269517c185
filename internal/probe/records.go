package probe

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/hamsasim/hamsasim/internal/check"
	"github.com/hamsasim/hamsasim/internal/deliver"
	"github.com/hamsasim/hamsasim/internal/report"
)

// Records is where hamsasim reads what the endpoint recorded for a call:
// its probe API (GET {probe}/calls/{callId}) or the integrator's own
// database (internal/effectsdb). The end-state audit, the race probe and
// the Gherkin steps about what was recorded read through it and judge the
// same way, whichever it is.
type Records interface {
	// Read reads what the endpoint recorded for one call, once.
	Read(ctx context.Context, callID string) Reading
	// Shown says where the records are read, secrets redacted, as
	// reports show it: the probe API's base URL or the database's DSN.
	Shown() string
	// Hint says what to check when a call's record cannot be read, or
	// when the endpoint has a record of no call at all.
	Hint() string
}

// Reading is one read of one call's record.
type Reading struct {
	Record CallRecord
	// Found is false when the endpoint has no record of the call at all
	// (the probe API answered 404; the query returned no rows).
	Found bool
	// Request is what was asked, as findings show it; Absent says how the
	// answer said there is no record ("answered 404").
	Request string
	Absent  string
	// The probe API's answer; zero for a database.
	Status  int
	Latency time.Duration
	Class   deliver.Class
	// Err is set when the record could not be read.
	Err error
}

// Source says where the endpoint's records are read: a probe API's base
// URL, read with the deliverer of whoever asks, or an opened database. The
// zero Source reads nothing.
type Source struct {
	URL string  // the probe API's base URL (--probe-url)
	DB  Records // the integrator's database (--effects-db), opened and checked
}

// Set reports whether the source reads anything.
func (s Source) Set() bool { return s.URL != "" || s.DB != nil }

// Records reads the source; d sends the probe API's requests (with the
// probe's credentials) and is not used for a database.
func (s Source) Records(d *deliver.Deliverer) Records {
	if s.DB != nil {
		return s.DB
	}
	return NewAPI(d, s.URL)
}

// Shown says where the source reads, secrets redacted; "" when unset.
func (s Source) Shown() string {
	switch {
	case s.DB != nil:
		return s.DB.Shown()
	case s.URL != "":
		return report.RedactURL(s.URL)
	}
	return ""
}

// Describe names where the source reads, for logs: "the probe API at
// URL" or "the database DSN", redacted.
func (s Source) Describe() string {
	if s.DB != nil {
		return "the database " + s.Shown()
	}
	return "the probe API at " + s.Shown()
}

// API reads call records from the target's probe API.
type API struct {
	d    *deliver.Deliverer
	base *url.URL
	hint string
}

// NewAPI reads the probe API at probeURL with d.
func NewAPI(d *deliver.Deliverer, probeURL string) *API {
	base, err := url.Parse(probeURL)
	if err != nil {
		base = &url.URL{}
	}
	hint := "check --probe-url: it is the base URL the probe API answers GET /calls/{callId} under"
	if strings.HasSuffix(strings.TrimRight(base.Path, "/"), "/webhook") {
		hint = "--probe-url ends in /webhook: give the base URL (without /webhook); hamsasim adds /calls/{callId}"
	}
	return &API{d: d, base: base, hint: hint}
}

// Shown is the probe API's base URL, redacted.
func (p *API) Shown() string { return report.RedactURL(p.base.String()) }

// Hint says what --probe-url must be.
func (p *API) Hint() string { return p.hint }

// Read asks GET {base}/calls/{callID} once.
func (p *API) Read(ctx context.Context, callID string) Reading {
	a, shown := p.get(ctx, callID)
	r := Reading{Request: "GET " + shown, Status: a.Status, Latency: a.Latency, Class: a.Class}
	switch {
	case a.Class != deliver.ClassNone:
		r.Err = fmt.Errorf("%s", check.Outcome(a))
	case a.Status == http.StatusNotFound:
		r.Record = CallRecord{Events: map[string]int{}, Effects: map[string]int{}}
		r.Absent = "answered 404"
	case a.Status != http.StatusOK:
		r.Err = fmt.Errorf("GET %s answered %d", shown, a.Status)
	default:
		if err := json.Unmarshal(a.Body, &r.Record); err != nil || r.Record.Effects == nil {
			r.Err = fmt.Errorf("GET %s did not answer a JSON object with \"effects\"", shown)
			break
		}
		r.Found = true
	}
	return r
}

// get asks GET {base}/calls/{callID} once, and says the URL as reports
// show it (redacted).
func (p *API) get(ctx context.Context, callID string) (deliver.Attempt, string) {
	// JoinPath keeps a query (a token, say) where it belongs.
	target := p.base.JoinPath("calls", callID).String()
	a := p.d.Send(ctx, deliver.Request{Method: http.MethodGet, Target: target, MsgID: "probe"}, 1, deliver.TriggerFirst)
	return a, report.RedactURL(target)
}

// Fields reads the probe API's whole answer for callID: the counts and
// whatever else the receiver keeps (params, outcomeResult, ...).
func (p *API) Fields(ctx context.Context, callID string) (map[string]any, error) {
	a, shown := p.get(ctx, callID)
	if a.Class != deliver.ClassNone || a.Status != http.StatusOK {
		return nil, fmt.Errorf("GET %s %s", shown, check.Outcome(a))
	}
	var rec map[string]any
	if err := json.Unmarshal(a.Body, &rec); err != nil {
		return nil, fmt.Errorf("GET %s did not answer JSON", shown)
	}
	return rec, nil
}

// readCall reads one call's record, again while the endpoint still has
// work pending for it (until deadline): an endpoint that stores first and
// processes later is judged once it is done.
func readCall(ctx context.Context, recs Records, callID string, deadline time.Time) Reading {
	for {
		r := recs.Read(ctx, callID)
		if r.Err != nil || !r.Found || !r.Record.waiting() || time.Now().After(deadline) {
			return r
		}
		select {
		case <-ctx.Done():
			return r
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// ReadSettled reads one call's record once the endpoint has finished
// processing it (or EffectsWait has passed).
func ReadSettled(ctx context.Context, recs Records, callID string) Reading {
	return readCall(ctx, recs, callID, time.Now().Add(EffectsWait))
}
