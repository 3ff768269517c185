package probe

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hamsasim/hamsasim/internal/event"
)

// MaxTypes bounds the event types an Expected counts.
const MaxTypes = 8

// Audit limits.
const (
	AuditWorkers = 8               // probe requests in flight at once
	AuditTimeout = 2 * time.Minute // the whole audit; calls not reached by then are unchecked
	MaxProblems  = 20              // calls named in AuditResult.Problems
)

// Expected is what the platform believes it delivered for one call: per
// event type, in event.Types order, the distinct events acknowledged.
type Expected struct {
	CallID string
	Acked  [MaxTypes]uint32
}

// AuditResult compares what the platform delivered with what the endpoint
// recorded, call by call, through its probe API or its database.
type AuditResult struct {
	Checked    int64 // calls whose record was read
	Recorded   int64 // distinct events the endpoint recorded for them
	Lost       int64 // events acknowledged but not recorded
	Duplicated int64 // times processing took effect beyond the distinct events
	NotFound   int64 // calls the endpoint has no record of at all (404)
	Unchecked  int64 // calls whose record could not be read, or that the audit did not reach
	// NoEffects: the records do not say what took effect (a query without
	// an effects column), so Duplicated was not measured.
	NoEffects bool
	Problems  []string // the first calls with something lost, duplicated or unchecked
}

// Audit reads what the endpoint recorded for each call and compares it
// with what the platform saw acknowledged. A call the endpoint has no
// record of recorded nothing. It waits, across all calls, up to
// EffectsWait for the endpoint to finish processing what it stored, and
// gives up on the rest after AuditTimeout. Safe to call once per run.
func Audit(ctx context.Context, recs Records, calls []Expected) AuditResult {
	ctx, cancel := context.WithTimeout(ctx, AuditTimeout)
	defer cancel()
	deadline := time.Now().Add(EffectsWait)
	var (
		next atomic.Int64
		mu   sync.Mutex
		res  AuditResult
		wg   sync.WaitGroup
	)
	problem := func(format string, args ...any) {
		if len(res.Problems) < MaxProblems {
			res.Problems = append(res.Problems, fmt.Sprintf(format, args...))
		}
	}
	for range min(AuditWorkers, len(calls)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(calls) {
					return
				}
				c := &calls[i]
				if ctx.Err() != nil {
					mu.Lock()
					res.Unchecked++
					problem("call %s: not checked: %s", c.CallID, "the audit ran out of time")
					mu.Unlock()
					continue
				}
				rd := readCall(ctx, recs, c.CallID, deadline)
				mu.Lock()
				switch {
				case rd.Err != nil:
					res.Unchecked++
					problem("call %s: not checked: %s", c.CallID, rd.Err)
				default:
					if !rd.Found {
						res.NotFound++
					}
					res.NoEffects = res.NoEffects || rd.Record.NoEffects
					compare(&res, c, &rd.Record, problem)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return res
}

// compare adds one call's record to res.
func compare(res *AuditResult, c *Expected, rec *CallRecord, problem func(string, ...any)) {
	res.Checked++
	for i, t := range event.Types {
		if i < MaxTypes {
			res.Recorded += int64(rec.Events[t])
		}
	}
	var lost, dup []string
	for _, d := range diff(c, rec) {
		switch d.kind {
		case diffLost, diffUnprocessed:
			res.Lost += int64(d.missing())
			lost = append(lost, d.String())
		case diffPending:
			res.Unchecked++
			problem("call %s: not checked: %s", c.CallID, d.String())
		default:
			res.Duplicated += int64(d.extra())
			dup = append(dup, d.String())
		}
	}
	if len(lost) > 0 {
		problem("call %s: lost: %s", c.CallID, strings.Join(lost, "; "))
	}
	if len(dup) > 0 {
		problem("call %s: duplicated: %s", c.CallID, strings.Join(dup, "; "))
	}
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
