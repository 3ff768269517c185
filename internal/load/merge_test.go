package load_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"testing"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/hamsasim/hamsasim/internal/load"
	"github.com/hamsasim/hamsasim/internal/loadreport"
	"github.com/hamsasim/hamsasim/internal/probe"
	"github.com/hamsasim/hamsasim/internal/scenario"
)

const shardable = `
name: shardable
duration: 2s
arrival: {ramp: {from: 4, to: 12, over: 2s}}
mix:
  - {fixture: support-resolved, weight: 1}
  - {fixture: ends-early, weight: 1}
  - {fixture: sales-outbound-tools, weight: 1}
timeScale: 0.005
duplicates: 0.1
outOfOrder: 0.2
thresholds:
  - p99 < 5s
  - duplicates_unacknowledged == 0
`

// Two shards of one seed make exactly the calls of the unsharded run, and
// the merged report's percentiles are those of the union of the shards'
// attempts (read back from their results files).
func TestShardsMergeToTheUnshardedRun(t *testing.T) {
	t.Parallel()
	url := startReceiver(t)
	sc := parseScenario(t, shardable)

	// The schedule runs 10 times faster than real time: the same calls,
	// events and decisions, without the waiting.
	fast := func() load.Option { return load.WithClock(load.NewFastClock(10)) }
	whole, err := newEngine(t, sc, url, load.WithSeed(99), fast()).Run(context.Background())
	require.NoError(t, err)

	parts := make([]*loadreport.Summary, 2)
	results := make([]bytes.Buffer, 2)
	var wg sync.WaitGroup
	for i := range parts {
		e := newEngine(t, sc, url, load.WithSeed(99), load.WithShard(i, 2), load.WithResults(&results[i]), fast())
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := e.Run(context.Background())
			if err != nil {
				t.Errorf("shard %d: %v", i, err)
			}
			parts[i] = s
		}()
	}
	wg.Wait()
	require.NotNil(t, parts[0])
	require.NotNil(t, parts[1])
	assert.Positive(t, parts[0].Calls.Started)
	assert.Positive(t, parts[1].Calls.Started)

	merged, err := loadreport.Merge(parts, false)
	require.NoError(t, err)
	assert.Equal(t, 2, merged.Merged)
	assert.True(t, merged.Passed)

	// Totals: the same calls, events, duplicates and shuffles as one run.
	assert.Equal(t, whole.Calls.Planned, merged.Calls.Planned)
	assert.Equal(t, whole.Calls.Started, merged.Calls.Started)
	assert.Equal(t, whole.Calls.Completed, merged.Calls.Completed)
	assert.Equal(t, whole.Calls.OutOfOrder, merged.Calls.OutOfOrder)
	assert.Equal(t, whole.Calls.Fixtures, merged.Calls.Fixtures)
	assert.Equal(t, whole.Overall.Deliveries, merged.Overall.Deliveries)
	assert.Equal(t, whole.Overall.Duplicates, merged.Overall.Duplicates)
	assert.Equal(t, whole.Overall.Acked, merged.Overall.Acked)
	require.Len(t, merged.PerType, len(whole.PerType))
	for i := range whole.PerType {
		assert.Equal(t, whole.PerType[i].Type, merged.PerType[i].Type)
		assert.Equal(t, whole.PerType[i].Deliveries, merged.PerType[i].Deliveries, whole.PerType[i].Type)
	}

	// Percentiles: exactly those of all the shards' attempts together.
	union := hdr.New(1, 3_600_000_000, 3)
	var n int64
	for i := range results {
		dec := vegeta.NewDecoder(&results[i])
		for {
			var r vegeta.Result
			if err := dec.Decode(&r); err != nil {
				require.True(t, errors.Is(err, io.EOF), "decode: %v", err)
				break
			}
			require.NoError(t, union.RecordValue(max(r.Latency.Microseconds(), 1)))
			n++
		}
	}
	assert.Equal(t, merged.Overall.Attempts, n)
	assert.Equal(t, float64(union.ValueAtPercentile(50))/1000, merged.Overall.Latency.P50)
	assert.Equal(t, float64(union.ValueAtPercentile(99))/1000, merged.Overall.Latency.P99)
	assert.Equal(t, float64(union.Max())/1000, merged.Overall.Latency.Max)
	// And of the same order as the unsharded run's (same machine, same load).
	assert.Less(t, merged.Overall.Latency.P50, 20*whole.Overall.Latency.P50+50)
	assert.Less(t, whole.Overall.Latency.P50, 20*merged.Overall.Latency.P50+50)

	var bucketAttempts int64
	for _, b := range merged.Timeline.Buckets {
		bucketAttempts += b.Attempts
	}
	assert.Equal(t, merged.Overall.Attempts, bucketAttempts)

	// The end-state audit adds up; a shard that was not audited leaves its
	// calls unchecked, so a threshold on lost events cannot pass on the
	// other shard's word.
	ths := []scenario.Threshold{{Metric: scenario.MetricLost, Op: scenario.OpEqual}}
	parts[0].Audited("http://127.0.0.1:1", "check --probe-url", int(parts[0].Calls.Started),
		probe.AuditResult{Checked: parts[0].Calls.Started, Recorded: parts[0].Audit.Acknowledged}, ths)
	require.True(t, parts[0].Passed)
	half, err := loadreport.Merge(parts, false)
	require.NoError(t, err)
	assert.Equal(t, parts[1].Calls.Started, half.Audit.Unchecked)
	assert.Contains(t, half.Notes, fmt.Sprintf("%d calls of shards run without --probe-url or --effects-db were not audited", parts[1].Calls.Started))
	parts[1].Audited("http://127.0.0.1:1", "check --probe-url", int(parts[1].Calls.Started),
		probe.AuditResult{Checked: parts[1].Calls.Started, Recorded: parts[1].Audit.Acknowledged - 1, Lost: 1, Problems: []string{"call x: lost"}}, ths)
	both, err := loadreport.Merge(parts, false)
	require.NoError(t, err)
	assert.Zero(t, both.Audit.Unchecked)
	assert.EqualValues(t, 1, both.Audit.Lost)
	assert.Equal(t, whole.Audit.Acknowledged, both.Audit.Acknowledged)
	assert.Equal(t, []string{"call x: lost"}, both.Audit.Problems)
}

func TestMergeRefusesShardsOfDifferentRuns(t *testing.T) {
	t.Parallel()
	base := func(i, n int, seed uint64) *loadreport.Summary {
		return &loadreport.Summary{Version: loadreport.SummaryVersion, Tool: "hamsasim", Scenario: "s", Seed: seed,
			Shard: loadreport.Shard{Index: i, Count: n}, ArrivalMs: 1000, Histograms: map[string]string{}}
	}
	cases := []struct {
		name  string
		parts []*loadreport.Summary
		want  string
	}{
		{"seed", []*loadreport.Summary{base(0, 2, 1), base(1, 2, 2)}, "seeds differ"},
		{"twice", []*loadreport.Summary{base(0, 2, 1), base(0, 2, 1)}, "shard 0/2 is given twice"},
		{"missing", []*loadreport.Summary{base(0, 3, 1), base(2, 3, 1)}, "missing shard 1/3"},
		{"count", []*loadreport.Summary{base(0, 2, 1), base(1, 3, 1)}, "shard counts differ"},
		{"none", nil, "no summaries"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := loadreport.Merge(tc.parts, false)
			require.Error(t, err)
			assert.ErrorIs(t, err, loadreport.ErrMerge)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
	s, err := loadreport.Merge([]*loadreport.Summary{base(0, 3, 1), base(2, 3, 1)}, true)
	require.NoError(t, err)
	assert.False(t, s.Passed, "a partial merge never passes")
	assert.Contains(t, s.Notes[0], "1/3 missing")
}
