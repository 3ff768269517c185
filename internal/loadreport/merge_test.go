package loadreport

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Damaged or foreign summaries are refused with ErrMerge, at once: never a
// panic, never a loop or a timeline as long as a damaged number says.
func TestMergeRefusesDamagedSummaries(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	base := func(i, n int) *Summary {
		return &Summary{Version: SummaryVersion, Tool: "hamsasim", Scenario: "s", Seed: 1,
			Shard: Shard{Index: i, Count: n}, ArrivalMs: 1000, StartedAt: start, EndedAt: start.Add(2 * time.Second),
			Timeline:   Timeline{BucketMs: 1000, Buckets: []Bucket{{AtMs: 0, Attempts: 1}, {AtMs: 1000, Attempts: 1}}},
			Histograms: map[string]string{}}
	}
	farBucket := base(1, 2)
	farBucket.Timeline.Buckets = append(farBucket.Timeline.Buckets, Bucket{AtMs: 1 << 40, Attempts: 1})
	farStart := base(1, 2)
	farStart.StartedAt = start.Add(-30 * 24 * time.Hour)
	zeroStart := base(1, 2)
	zeroStart.StartedAt = time.Time{}
	badHist := base(1, 2)
	badHist.Histograms["overall"] = "%%% not base64"
	cases := []struct {
		name  string
		parts []*Summary
		want  string
	}{
		{"shard count", []*Summary{base(0, 1<<40)}, "shard"},
		{"bucket far away", []*Summary{base(0, 2), farBucket}, "timeline"},
		{"start far away", []*Summary{base(0, 2), farStart}, "timeline"},
		{"zero start", []*Summary{base(0, 2), zeroStart}, "timeline"},
		{"histogram", []*Summary{base(0, 2), badHist}, "damaged"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			done := make(chan error, 1)
			go func() {
				_, err := Merge(tc.parts, true)
				done <- err
			}()
			select {
			case err := <-done:
				require.Error(t, err)
				assert.ErrorIs(t, err, ErrMerge)
				assert.Contains(t, err.Error(), tc.want)
			case <-time.After(3 * time.Second):
				t.Fatal("merge did not end")
			}
		})
	}
	_, err := ReadSummary([]byte(`{"version":1,"tool":"hamsasim","shard":{"index":0,"count":1099511627776}}`), "big.json")
	require.Error(t, err)
	assert.ErrorIs(t, err, ErrMerge)
}
