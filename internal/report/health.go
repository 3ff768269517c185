package report

import (
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
)

// Health is an endpoint's health for one event type, or for all of them
// ("all"), as a delivery portal shows its users: how many deliveries
// succeeded in the end, how fast attempts were answered, and why the
// others failed.
type Health struct {
	EventType  string  `json:"eventType"`
	Deliveries int64   `json:"deliveries"`
	Attempts   int64   `json:"attempts"`
	SuccessPct float64 `json:"successPct"` // deliveries acknowledged in the end, retries included
	MeanMs     float64 `json:"meanMs"`     // answer time of attempts; a timeout counts at its full wait
	P95Ms      float64 `json:"p95Ms"`
	// Failures counts the attempts that failed, by error class ("timeout",
	// "refused", ...) or HTTP status ("503").
	Failures map[string]int64 `json:"failures,omitempty"`
}

// HealthOf is the endpoint's health from a replay's deliveries, per event
// type in the order types gives, then for all of them.
func HealthOf(calls []Call, types []string) []Health {
	type acc struct {
		h    Health
		acks int64
		lat  []float64
		out  map[string]int64
	}
	byType := map[string]*acc{}
	all := &acc{h: Health{EventType: "all"}, out: map[string]int64{}}
	for _, c := range calls {
		for _, d := range c.Deliveries {
			a := byType[d.Event]
			if a == nil {
				a = &acc{h: Health{EventType: d.Event}, out: map[string]int64{}}
				byType[d.Event] = a
			}
			for _, x := range []*acc{a, all} {
				x.h.Deliveries++
				if d.Acked {
					x.acks++
				}
				for _, at := range d.AttemptLog {
					x.h.Attempts++
					x.lat = append(x.lat, float64(at.LatencyMs))
					k := at.ErrorClass
					if k == "" {
						k = strconv.Itoa(at.Status)
					}
					x.out[k]++
				}
			}
		}
	}
	finish := func(a *acc) Health {
		h := a.h
		h.SuccessPct = 100
		if h.Deliveries > 0 {
			h.SuccessPct = float64(a.acks) * 100 / float64(h.Deliveries)
		}
		if n := len(a.lat); n > 0 {
			sort.Float64s(a.lat)
			sum := 0.0
			for _, v := range a.lat {
				sum += v
			}
			h.MeanMs = sum / float64(n)
			h.P95Ms = a.lat[(n*95+99)/100-1] // nearest rank
		}
		h.Failures = Failures(a.out)
		return h
	}
	var out []Health
	for _, t := range types {
		if a := byType[t]; a != nil {
			out = append(out, finish(a))
			delete(byType, t)
		}
	}
	rest := make([]string, 0, len(byType))
	for t := range byType {
		rest = append(rest, t)
	}
	sort.Strings(rest)
	for _, t := range rest {
		out = append(out, finish(byType[t]))
	}
	if all.h.Deliveries == 0 {
		return []Health{}
	}
	return append(out, finish(all))
}

// Failures keeps the failed outcomes of a count of attempt outcomes keyed
// by HTTP status or error class: all but the 2xx statuses. Nil when none
// failed.
func Failures(outcomes map[string]int64) map[string]int64 {
	var out map[string]int64
	for k, n := range outcomes {
		if code, err := strconv.Atoi(k); err == nil && code >= 200 && code < 300 {
			continue
		}
		if out == nil {
			out = map[string]int64{}
		}
		out[k] += n
	}
	return out
}

// WriteHealth writes the health table for a terminal.
func WriteHealth(w io.Writer, hs []Health) error {
	if _, err := io.WriteString(w, "endpoint health:\n"); err != nil {
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  event type\tdeliveries\tsuccess\tmean\tp95\tfailures")
	for _, h := range hs {
		fmt.Fprintf(tw, "  %s\t%d\t%s\t%s\t%s\t%s\n", h.EventType, h.Deliveries, Percent(h.SuccessPct), Millis(h.MeanMs), Millis(h.P95Ms), FailureList(h.Failures))
	}
	return tw.Flush()
}

// FailureList lists failures most frequent first, "timeout×3 503×1", or "-".
func FailureList(m map[string]int64) string {
	if len(m) == 0 {
		return "-"
	}
	return CountList(m)
}

// CountList lists counts most frequent first, "200×41 timeout×3"; "" for none.
func CountList(m map[string]int64) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if m[keys[i]] != m[keys[j]] {
			return m[keys[i]] > m[keys[j]]
		}
		return keys[i] < keys[j]
	})
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s×%d", k, m[k])
	}
	return strings.Join(parts, " ")
}

// Percent shows a share in percent with two decimals, "99.95%".
func Percent(p float64) string { return strconv.FormatFloat(p, 'f', 2, 64) + "%" }

// Millis shows milliseconds at a readable precision: "850µs", "12.3ms", "5.000s".
func Millis(ms float64) string {
	switch {
	case ms >= 1000:
		return strconv.FormatFloat(ms/1000, 'f', 3, 64) + "s"
	case ms >= 1:
		return strconv.FormatFloat(ms, 'f', 1, 64) + "ms"
	}
	return fmt.Sprintf("%.0fµs", ms*1000)
}
