package receiver

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/hamsasim/hamsasim/internal/event"
)

// Fault is a defect the receiver can be told to have, each one a mistake
// real integrations make.
type Fault string

// The fault modes.
const (
	FaultSlowAck         Fault = "slow-ack"          // processes before answering: every answer takes 6 s
	FaultAuthOff         Fault = "auth-off"          // never checks Authorization
	FaultNoDedupe        Fault = "no-dedupe"         // processes redeliveries again, never flags them
	FaultRejectUnknown   Fault = "reject-unknown"    // answers 400 to event types it does not know
	FaultBodyLimit       Fault = "body-limit-100k"   // a framework's default 100 kB body limit
	FaultFailCallStarted Fault = "fail-call-started" // answers 500 to every call.started
	FaultHTMLErrors      Fault = "html-errors"       // error answers are an HTML page with a stack trace
	FaultStrictOrder     Fault = "strict-order"      // rejects events that arrive out of lifecycle order
)

// SlowAckDelay is how long slow-ack takes to answer: past the 5-second budget.
const SlowAckDelay = 6 * time.Second

// FrameworkBodyLimit is body-limit-100k's limit, the default of common web frameworks.
const FrameworkBodyLimit = 100 << 10

// FaultInfo describes a fault mode.
var FaultInfo = map[Fault]string{
	FaultSlowAck:         "answers after 6 s: processing before acknowledging",
	FaultAuthOff:         "accepts any or no Authorization",
	FaultNoDedupe:        "processes redeliveries again and never flags them as duplicates",
	FaultRejectUnknown:   "answers 400 to event types it does not know",
	FaultBodyLimit:       "refuses bodies over 100 kB (a framework default) with 413",
	FaultFailCallStarted: "answers 500 to every call.started",
	FaultHTMLErrors:      "answers errors with an HTML page that shows a stack trace",
	FaultStrictOrder:     "answers 409 to events that arrive out of lifecycle order",
}

// Faults is a set of fault modes.
type Faults map[Fault]bool

// Has reports whether f is in the set.
func (fs Faults) Has(f Fault) bool { return fs[f] }

// FaultNames lists the valid fault modes, sorted.
func FaultNames() []string {
	out := make([]string, 0, len(FaultInfo))
	for f := range FaultInfo {
		out = append(out, string(f))
	}
	sort.Strings(out)
	return out
}

// ParseFaults reads fault names ("slow-ack", "auth-off", ...).
func ParseFaults(names []string) (Faults, error) {
	fs := Faults{}
	for _, n := range names {
		for _, part := range strings.Split(n, ",") {
			part = strings.TrimSpace(part)
			if part == "" {
				continue
			}
			if _, ok := FaultInfo[Fault(part)]; !ok {
				return nil, fmt.Errorf("unknown fault mode %q (valid: %s)", part, strings.Join(FaultNames(), ", "))
			}
			fs[Fault(part)] = true
		}
	}
	return fs, nil
}

// inOrder is strict-order's check: call.started must come first and nothing
// may follow call.ended.
func (r *Receiver) inOrder(ctx context.Context, callID, typ string) (bool, string) {
	rec, err := r.store.call(ctx, callID)
	if err != nil {
		if typ == event.CallStarted {
			return true, ""
		}
		return false, "Call not started"
	}
	if rec.Events[event.CallEnded] > 0 && typ != event.CallEnded {
		return false, "Call already ended"
	}
	if rec.Events[event.CallStarted] == 0 && typ != event.CallStarted {
		return false, "Call not started"
	}
	return true, ""
}

const htmlErrorPage = `<!DOCTYPE html>
<html><head><title>Error</title></head><body>
<h1>%d %s</h1>
<pre>Error: processing failed
    at handleEvent (/srv/app/src/webhooks/handler.js:42:17)
    at Layer.handle [as handle_request] (/srv/app/node_modules/express/lib/router/layer.js:95:5)
    at next (/srv/app/node_modules/express/lib/router/route.js:137:13)</pre>
</body></html>
`
