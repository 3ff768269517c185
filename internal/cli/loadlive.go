package cli

import (
	"errors"
	"fmt"

	"github.com/hamsasim/hamsasim/internal/live"
	"github.com/hamsasim/hamsasim/internal/load"
)

// serveMetrics listens at --metrics-listen, if given, and has the plan's
// run feed it. It listens before any load is sent, so that a malformed
// address or a port in use ends the command (exit 2) first. stop closes
// the server; it may be called more than once.
func (l *loadCmd) serveMetrics(p *load.Plan) (stop func(), err error) {
	if l.metricsListen == "" {
		return func() {}, nil
	}
	m := live.New()
	srv, err := live.Listen(l.metricsListen, m)
	switch {
	case errors.Is(err, live.ErrAddress):
		return nil, usageError("--metrics-listen %q is not an address to listen on: use host:port or :port, with a port from 0 to 65535 (0: any free port), like 127.0.0.1:9464 or :9464", l.metricsListen)
	case errors.Is(err, live.ErrInUse):
		return nil, usageError("--metrics-listen %s: the port is already in use; choose another port, or 0 for any free one", l.metricsListen)
	case err != nil:
		return nil, usageError("--metrics-listen %s: cannot listen there: %s", l.metricsListen, err)
	}
	p.Observer = m
	if !l.quiet {
		fmt.Fprintf(l.e.stderr, "metrics at %s while the run goes\n", srv.URL())
	}
	return func() { _ = srv.Close() }, nil
}
