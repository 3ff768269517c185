package load

import (
	"net"
	"net/http"
	"syscall"
	"time"

	"github.com/hamsasim/hamsasim/internal/scenario"
)

// faultTransport plays the scenario's network faults in front of the
// target: while a fault is on, an attempt is blackholed (it ends at its
// deadline), refused, reset, or delayed before it is sent. The errors are
// the ones the network would give, so the deliverer classifies them as it
// classifies real ones.
type faultTransport struct {
	inner  http.RoundTripper
	faults []scenario.Fault
	start  time.Time
	clock  Clock
}

var (
	errFaultRefused = &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	errFaultReset   = &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}
)

// RoundTrip applies the fault active now, if any, then sends.
func (t *faultTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	at := t.clock.Now().Sub(t.start)
	for _, f := range t.faults {
		if at < f.Start || at >= f.End() {
			continue
		}
		switch f.Kind {
		case scenario.FaultBlackhole:
			<-ctx.Done() // the attempt's deadline ends it
			return nil, ctx.Err()
		case scenario.FaultRefuse:
			return nil, errFaultRefused
		case scenario.FaultReset:
			return nil, errFaultReset
		case scenario.FaultLatency:
			timer := time.NewTimer(t.clock.Real(f.Value))
			select {
			case <-timer.C:
			case <-ctx.Done():
				timer.Stop()
				return nil, ctx.Err()
			}
		}
	}
	return t.inner.RoundTrip(req)
}
