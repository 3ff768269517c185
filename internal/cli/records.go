package cli

import (
	"context"
	"errors"

	"github.com/spf13/pflag"

	"github.com/hamsasim/hamsasim/internal/effectsdb"
	"github.com/hamsasim/hamsasim/internal/probe"
	"github.com/hamsasim/hamsasim/internal/report"
)

// recordsFlags say where a command reads what the endpoint recorded: its
// probe API (--probe-url) or the integrator's own database (--effects-db
// with --effects-query). simulate, load and features take them alike.
type recordsFlags struct {
	probeURL string
	db       string
	query    string
}

// add declares the flags; probeHelp says what the command uses them for.
func (r *recordsFlags) add(f *pflag.FlagSet, probeHelp string) {
	f.StringVar(&r.probeURL, "probe-url", "", "base URL of the target's probe API (GET /calls/{callId}), "+probeHelp+" (automatic for the embedded receiver)")
	f.StringVar(&r.db, "effects-db", "", "instead of a probe API, read what the receiver recorded from its database, read-only: postgres://, mysql:// or sqlite: DSN (needs --effects-query)")
	f.StringVar(&r.query, "effects-query", "", "SQL run once per call on --effects-db, the call id its one parameter ($1 in PostgreSQL, ? in MySQL and SQLite), returning a row per event type: event_type, events, and effects, pending where the schema has them")
}

// check refuses combinations that cannot work, before anything is opened.
func (r *recordsFlags) check() error {
	switch {
	case r.db != "" && r.probeURL != "":
		return usageError("--probe-url and --effects-db both say where to read what the receiver recorded: give one")
	case r.query != "" && r.db == "":
		return usageError("--effects-query runs on --effects-db: give the database's DSN too")
	case r.db != "" && r.query == "":
		return usageError("--effects-db needs --effects-query: the SQL that returns, for a call id, a row per event type (event_type, events, and effects, pending where the schema has them); see the README's examples")
	}
	if r.probeURL != "" {
		if _, err := parseTarget(r.probeURL); err != nil {
			return usageError("--probe-url %s is not an http:// or https:// URL", report.RedactURL(r.probeURL))
		}
	}
	return nil
}

// set reports whether the endpoint's records are to be read.
func (r *recordsFlags) set() bool { return r.probeURL != "" || r.db != "" }

// open checks the flags and opens the database, so that a bad DSN or query
// stops the command before any event is sent. embeddedBase is the embedded
// receiver's probe API, used when neither flag is given ("" for a real
// target). The returned func closes the database.
func (r *recordsFlags) open(ctx context.Context, embeddedBase string) (probe.Source, func(), error) {
	if err := r.check(); err != nil {
		return probe.Source{}, func() {}, err
	}
	if r.db == "" {
		url := r.probeURL
		if url == "" {
			url = embeddedBase
		}
		return probe.Source{URL: url}, func() {}, nil
	}
	db, err := effectsdb.Open(ctx, r.db, r.query)
	if err != nil {
		var de *effectsdb.Error
		if errors.As(err, &de) {
			return probe.Source{}, func() {}, usageError("%s", de)
		}
		return probe.Source{}, func() {}, err
	}
	return probe.Source{DB: db}, func() { db.Close() }, nil
}
