package loadreport

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/hamsasim/hamsasim/internal/event"
	"github.com/hamsasim/hamsasim/internal/probe"
	"github.com/hamsasim/hamsasim/internal/scenario"
)

// ErrMerge is wrapped by every reason shard summaries cannot be merged.
var ErrMerge = errors.New("cannot merge")

// MaxShards is the most shards one run may be cut into.
const MaxShards = 1000

// maxTimelineBuckets bounds a combined timeline. The longest real one, a
// capacity search of 50 ten-minute stages each drained for an hour, spans
// about 213,000 buckets; a wider span means a damaged summary or shards of
// different runs, and filling it would take unbounded time and memory.
const maxTimelineBuckets = 1_000_000

// Merge combines the summaries of the shards of one run into the summary of
// the whole run. Counts add up; percentiles come from the merged HDR
// histograms, so they are those of the union of all attempts (to the
// histograms' 3 significant digits), not an average of the shards'. The
// timeline aligns shards by their start time. Thresholds are judged again on
// the merged figures.
//
// The shards must come from one run: the same scenario, seed, arrival time
// and shard count, each index once. With partial false, every index must be
// present.
func Merge(parts []*Summary, partial bool) (*Summary, error) {
	if len(parts) == 0 {
		return nil, fmt.Errorf("%w: no summaries given", ErrMerge)
	}
	first := parts[0]
	seen := map[int]string{}
	for _, p := range parts {
		switch {
		case p.Shard.Count < 1 || p.Shard.Count > MaxShards || p.Shard.Index < 0 || p.Shard.Index >= p.Shard.Count:
			return nil, fmt.Errorf("%w: %s: shard %d/%d is not valid (at most %d shards, the index from 0 to count-1)", ErrMerge, p.where(), p.Shard.Index, p.Shard.Count, MaxShards)
		case p.Version != SummaryVersion:
			return nil, fmt.Errorf("%w: %s has summary version %d; this hamsasim reads version %d", ErrMerge, p.where(), p.Version, SummaryVersion)
		case p.Merged > 0:
			return nil, fmt.Errorf("%w: a summary is already merged from %d shards; merge the shard summaries themselves", ErrMerge, p.Merged)
		case p.Scenario != first.Scenario:
			return nil, fmt.Errorf("%w: scenarios differ (%q and %q)", ErrMerge, first.Scenario, p.Scenario)
		case p.Seed != first.Seed:
			return nil, fmt.Errorf("%w: seeds differ (%d and %d); the shards of one run share a seed", ErrMerge, first.Seed, p.Seed)
		case p.Shard.Count != first.Shard.Count:
			return nil, fmt.Errorf("%w: shard counts differ (%d and %d)", ErrMerge, first.Shard.Count, p.Shard.Count)
		case p.ArrivalMs != first.ArrivalMs:
			return nil, fmt.Errorf("%w: arrival times differ (%s and %s)", ErrMerge,
				time.Duration(first.ArrivalMs)*time.Millisecond, time.Duration(p.ArrivalMs)*time.Millisecond)
		case p.Capacity != nil:
			return nil, fmt.Errorf("%w: a capacity search cannot be merged", ErrMerge)
		}
		key := fmt.Sprintf("%d/%d", p.Shard.Index, p.Shard.Count)
		if other, dup := seen[p.Shard.Index]; dup {
			return nil, fmt.Errorf("%w: shard %s is given twice (%s and %s)", ErrMerge, key, other, p.where())
		}
		seen[p.Shard.Index] = p.where()
	}
	var missing []string
	for i := range first.Shard.Count {
		if _, ok := seen[i]; !ok {
			missing = append(missing, fmt.Sprintf("%d/%d", i, first.Shard.Count))
		}
	}
	if len(missing) > 0 && !partial {
		return nil, fmt.Errorf("%w: missing shard %s (merge what there is with --partial)", ErrMerge, strings.Join(missing, ", "))
	}
	ths, err := thresholdsOf(first)
	if err != nil {
		return nil, err
	}
	s, err := Combine(parts)
	if err != nil {
		return nil, err
	}
	s.Merged = len(parts)
	s.Shard = Shard{Index: 0, Count: first.Shard.Count}
	if len(missing) > 0 {
		s.Notes = append(s.Notes, "partial merge: shard "+strings.Join(missing, ", ")+" missing; totals cover the shards given")
	}
	s.Judge(ths)
	s.Passed = s.Passed && len(missing) == 0
	return s, nil
}

// addAudit adds a shard's audit to the merged one.
func addAudit(to *Audit, a Audit) {
	to.Acknowledged += a.Acknowledged
	to.DeadLettered += a.DeadLettered
	to.InFlight += a.InFlight
	if to.Probe == "" {
		to.Probe = a.Probe
	}
	to.Calls += a.Calls
	to.Checked += a.Checked
	to.Recorded += a.Recorded
	to.Lost += a.Lost
	to.NoEffects = to.NoEffects || a.NoEffects
	to.Duplicated += a.Duplicated
	to.NotFound += a.NotFound
	to.Unchecked += a.Unchecked
	for _, p := range a.Problems {
		if len(to.Problems) < probe.MaxProblems {
			to.Problems = append(to.Problems, p)
		}
	}
}

// thresholdsOf reads back the thresholds a summary was judged by.
func thresholdsOf(s *Summary) ([]scenario.Threshold, error) {
	out := make([]scenario.Threshold, 0, len(s.Thresholds))
	for _, t := range s.Thresholds {
		th, err := scenario.ParseThreshold(t.Threshold)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrMerge, err)
		}
		out = append(out, th)
	}
	return out, nil
}

// Combine adds summaries up, with no check that they belong together (Merge
// is the checked way for shards; a capacity search adds up its stages with
// it). The first summary gives the run's description; the timeline is
// aligned on the earliest start; counts add up and percentiles come from
// the added histograms. It judges no threshold: Thresholds, Health and
// Passed are left for the caller. It fails, wrapping ErrMerge, when a
// histogram is damaged or the timelines cannot be aligned.
func Combine(parts []*Summary) (*Summary, error) {
	first := parts[0]
	s := &Summary{
		Version: SummaryVersion, Tool: first.Tool, Scenario: first.Scenario, Description: first.Description,
		Source: first.Source, Target: first.Target, TargetKind: first.TargetKind, Seed: first.Seed,
		Shard: first.Shard, ArrivalMs: first.ArrivalMs, Delivery: first.Delivery, Events: first.Events,
		Calls:      Calls{Fixtures: map[string]int64{}},
		Histograms: map[string]string{},
	}
	s.StartedAt, s.EndedAt = first.StartedAt, first.EndedAt
	for _, p := range parts {
		if p.StartedAt.Before(s.StartedAt) {
			s.StartedAt = p.StartedAt
		}
		if p.EndedAt.After(s.EndedAt) {
			s.EndedAt = p.EndedAt
		}
	}
	elapsed := s.EndedAt.Sub(s.StartedAt)
	s.ElapsedMs = elapsed.Milliseconds()

	t := newTally()
	for _, p := range parts {
		if err := t.add(s, p); err != nil {
			return nil, err
		}
	}
	t.finish(s, elapsed)
	tl, err := combineTimelines(parts, s.StartedAt)
	if err != nil {
		return nil, err
	}
	s.Timeline = tl
	return s, nil
}

// tally is what Combine gathers from the parts beyond plain sums: the
// histograms to add, per-type stats, and the texts to keep once each.
type tally struct {
	hists      map[string]*hdr.Histogram
	types      map[string]*Stats
	reasons    []string
	notes      []string
	unaudited  int64 // calls of shards whose end state was not audited
	violations map[string]*Violation
	vOrder     []string
}

func newTally() *tally {
	return &tally{hists: map[string]*hdr.Histogram{}, types: map[string]*Stats{}, violations: map[string]*Violation{}}
}

// add adds part p into s and the tally.
func (t *tally) add(s, p *Summary) error {
	s.Interrupted = s.Interrupted || p.Interrupted
	s.Unreachable = s.Unreachable || p.Unreachable
	if p.StopReason != "" && !slices.Contains(t.reasons, p.StopReason) {
		t.reasons = append(t.reasons, p.StopReason)
	}
	for _, n := range p.Notes {
		if !slices.Contains(t.notes, n) {
			t.notes = append(t.notes, n)
		}
	}
	addCalls(&s.Calls, p.Calls)
	s.DeadLetters += p.DeadLetters
	addAudit(&s.Audit, p.Audit)
	if p.Audit.Probe == "" {
		t.unaudited += p.Calls.Started
	}
	addStats(&s.Overall, p.Overall)
	for _, ts := range p.PerType {
		if t.types[ts.Type] == nil {
			t.types[ts.Type] = &Stats{}
		}
		addStats(t.types[ts.Type], ts.Stats)
	}
	for k, enc := range p.Histograms {
		h := t.hists[k]
		if err := mergeHist(&h, enc, histDigits); err != nil {
			return fmt.Errorf("%w: %s: histogram %q is damaged: %v", ErrMerge, p.where(), k, err)
		}
		t.hists[k] = h
	}
	for _, v := range p.Violations {
		key := v.EventType + "\x00" + fmt.Sprint(v.Status) + "\x00" + v.Reason
		if got, ok := t.violations[key]; ok {
			got.Count += v.Count
		} else if len(t.violations) < MaxViolations {
			t.violations[key] = &v
			t.vOrder = append(t.vOrder, key)
		}
	}
	return nil
}

// finish puts the tally into s: stop reasons, notes, violations, and the
// stats derived from the added histograms over elapsed.
func (t *tally) finish(s *Summary, elapsed time.Duration) {
	s.StopReason = strings.Join(t.reasons, "; ")
	if s.Audit.Probe != "" && t.unaudited > 0 {
		// Some shards were audited, others not: their calls are unchecked,
		// so a threshold on lost events cannot pass on the others' word.
		s.Audit.Unchecked += t.unaudited
		t.notes = append(t.notes, fmt.Sprintf("%d calls of shards run without --probe-url or --effects-db were not audited", t.unaudited))
	}
	s.Notes = t.notes
	for _, k := range t.vOrder {
		s.Violations = append(s.Violations, *t.violations[k])
	}
	finish := func(st *Stats, key string) {
		h := t.hists[key]
		if h == nil {
			h = NewHistogram()
		}
		st.Finish(h, elapsed)
		s.Histograms[key] = EncodeHistogram(h)
	}
	finish(&s.Overall, "overall")
	if h := t.hists["lag"]; h != nil {
		s.Lag = Latencies(h)
		s.Histograms["lag"] = EncodeHistogram(h)
	}
	for _, typ := range event.Types {
		if st := t.types[typ]; st != nil {
			finish(st, typ)
			s.PerType = append(s.PerType, TypeStats{Type: typ, Stats: *st})
		}
	}
}

func addCalls(dst *Calls, c Calls) {
	dst.Planned += c.Planned
	dst.Started += c.Started
	dst.Completed += c.Completed
	dst.Incomplete += c.Incomplete
	dst.OutOfOrder += c.OutOfOrder
	dst.Late += c.Late
	dst.LateMaxMs = max(dst.LateMaxMs, c.LateMaxMs)
	dst.MaxInFlight += c.MaxInFlight // the shards' peaks, added: an upper bound
	for k, v := range c.Fixtures {
		dst.Fixtures[k] += v
	}
}

func addStats(dst *Stats, st Stats) {
	dst.Deliveries += st.Deliveries
	dst.Acked += st.Acked
	dst.Failed += st.Failed
	dst.Unsent += st.Unsent
	dst.Attempts += st.Attempts
	dst.Retries += st.Retries
	dst.Timeouts += st.Timeouts
	dst.Errors += st.Errors
	dst.Duplicates += st.Duplicates
	dst.DuplicatesAcked += st.DuplicatesAcked
	dst.DuplicatesUnacked += st.DuplicatesUnacked
	dst.ContractViolations += st.ContractViolations
	dst.BytesOut += st.BytesOut
	dst.BytesIn += st.BytesIn
	if dst.Status == nil {
		dst.Status = map[string]int64{}
	}
	for k, v := range st.Status {
		dst.Status[k] += v
	}
}

// combineTimelines adds the parts' buckets, each shifted by its start's
// offset from start, in whole buckets.
func combineTimelines(parts []*Summary, start time.Time) (Timeline, error) {
	width := parts[0].Timeline.BucketMs
	if width <= 0 {
		width = 1000
	}
	type acc struct {
		b     Bucket
		h     *hdr.Histogram
		types map[string]*typeAcc
	}
	byIndex := map[int64]*acc{}
	for _, p := range parts {
		if p.Timeline.BucketMs != 0 && p.Timeline.BucketMs != width {
			return Timeline{}, fmt.Errorf("%w: timeline buckets differ (%d ms and %d ms)", ErrMerge, width, p.Timeline.BucketMs)
		}
		shift := (p.StartedAt.Sub(start).Milliseconds() + width/2) / width
		for _, b := range p.Timeline.Buckets {
			i := b.AtMs/width + shift
			a := byIndex[i]
			if a == nil {
				a = &acc{b: Bucket{AtMs: i * width}}
				byIndex[i] = a
			}
			a.b.Attempts += b.Attempts
			a.b.Acked += b.Acked
			a.b.Errors += b.Errors
			a.b.Timeouts += b.Timeouts
			a.b.CallsStarted += b.CallsStarted
			a.b.InFlight += b.InFlight
			a.b.Offered += b.Offered
			for k, v := range b.Causes {
				if a.b.Causes == nil {
					a.b.Causes = map[string]int64{}
				}
				a.b.Causes[k] += v
			}
			err := mergeHist(&a.h, b.Histogram, bucketDigits)
			if err == nil {
				if a.types == nil {
					a.types = map[string]*typeAcc{}
				}
				err = addBucketTypes(a.types, b.PerType)
			}
			if err != nil {
				return Timeline{}, fmt.Errorf("%w: %s: a timeline histogram is damaged: %v", ErrMerge, p.where(), err)
			}
		}
	}
	idx := make([]int64, 0, len(byIndex))
	for i := range byIndex {
		idx = append(idx, i)
	}
	sort.Slice(idx, func(a, b int) bool { return idx[a] < idx[b] })
	if n := len(idx); n > 0 && (idx[n-1]-idx[0] < 0 || idx[n-1]-idx[0] >= maxTimelineBuckets) {
		return Timeline{}, fmt.Errorf("%w: the timelines span more than %d buckets of %d ms: a summary is damaged (startedAt, timeline.buckets[].atMs), or the shards did not run together",
			ErrMerge, maxTimelineBuckets, width)
	}
	tl := Timeline{BucketMs: width, Buckets: []Bucket{}}
	// Fill gaps so the timeline stays evenly spaced.
	for n, i := range idx {
		if n > 0 {
			for gap := idx[n-1] + 1; gap < i; gap++ {
				tl.Buckets = append(tl.Buckets, Bucket{AtMs: gap * width})
			}
		}
		a := byIndex[i]
		a.b.SetLatencies(a.h)
		a.b.PerType = bucketTypes(a.types)
		tl.Buckets = append(tl.Buckets, a.b)
	}
	return tl, nil
}

// typeAcc adds up one event type's share of buckets merged into one.
type typeAcc struct {
	bt BucketType
	h  *hdr.Histogram
}

func addBucketTypes(to map[string]*typeAcc, types []BucketType) error {
	for _, bt := range types {
		t := to[bt.Type]
		if t == nil {
			t = &typeAcc{bt: BucketType{Type: bt.Type}}
			to[bt.Type] = t
		}
		t.bt.Attempts += bt.Attempts
		t.bt.Acked += bt.Acked
		if err := mergeHist(&t.h, bt.Histogram, bucketDigits); err != nil {
			return err
		}
	}
	return nil
}

// bucketTypes lists the merged types in lifecycle order (unknown names
// last, by name).
func bucketTypes(types map[string]*typeAcc) []BucketType {
	var out []BucketType
	for _, t := range types {
		t.bt.SetLatencies(t.h)
		out = append(out, t.bt)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := event.TypeIndex(out[i].Type), event.TypeIndex(out[j].Type)
		if a != b {
			return a < b
		}
		return out[i].Type < out[j].Type
	})
	return out
}
