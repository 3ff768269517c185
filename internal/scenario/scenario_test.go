package scenario_test

import (
	"errors"
	"flag"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hamsasim/hamsasim/internal/fixture"
	"github.com/hamsasim/hamsasim/internal/scenario"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite golden files")

// TestBadScenarios checks every file in testdata/bad gives exactly the error
// recorded in its .err golden file: file, line, field and message.
func TestBadScenarios(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("testdata/bad/*.yaml")
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(files), 20)
	for _, path := range files {
		t.Run(strings.TrimSuffix(filepath.Base(path), ".yaml"), func(t *testing.T) {
			t.Parallel()
			s, err := scenario.ReadFile(path)
			require.Error(t, err, "a bad scenario must not parse")
			assert.Nil(t, s)
			assert.True(t, errors.Is(err, scenario.ErrInvalid), "errors.Is(err, ErrInvalid)")
			got := err.Error() + "\n"
			golden := strings.TrimSuffix(path, ".yaml") + ".err"
			if *update {
				require.NoError(t, os.WriteFile(golden, []byte(got), 0o644))
			}
			want, err := os.ReadFile(golden)
			require.NoError(t, err, "golden file missing: run go test ./internal/scenario -update")
			assert.Equal(t, string(want), got)
			for _, line := range strings.Split(strings.TrimSpace(got), "\n") {
				assert.True(t, strings.HasPrefix(line, path), "every line names the file: %q", line)
			}
		})
	}
}

func TestReadFileMissing(t *testing.T) {
	t.Parallel()
	_, err := scenario.ReadFile("testdata/no-such.yaml")
	require.Error(t, err)
	assert.True(t, errors.Is(err, scenario.ErrInvalid))
	assert.Equal(t, "testdata/no-such.yaml: cannot read: no such file", err.Error())
}

// TestShippedScenarios parses every scenario in the repository, checks it
// replays only fixtures that exist, and checks each does what its name says.
func TestShippedScenarios(t *testing.T) {
	t.Parallel()
	fixtures, err := filepath.Glob("../../fixtures/calls/*.yaml")
	require.NoError(t, err)
	require.NotEmpty(t, fixtures)
	known := map[string]bool{}
	for _, path := range fixtures {
		f, err := fixture.ReadFile(path)
		require.NoError(t, err)
		known[f.Name] = true
	}

	files, err := filepath.Glob("../../scenarios/*.yaml")
	require.NoError(t, err)
	byFile := map[string]*scenario.Scenario{}
	names := map[string]string{}
	for _, path := range files {
		s, err := scenario.ReadFile(path)
		require.NoError(t, err)
		byFile[filepath.Base(path)] = s
		assert.Empty(t, names[s.Name], "%s: name %s is also used by %s", path, s.Name, names[s.Name])
		names[s.Name] = path
		assert.NotEmpty(t, s.Description, path)
		assert.NotEmpty(t, s.Thresholds, "%s: a scenario without thresholds cannot fail", path)
		for _, m := range s.Mix {
			assert.True(t, known[m.Fixture], "%s: fixture %s is not in fixtures/calls", path, m.Fixture)
		}
		for at := time.Duration(0); at < s.Duration; at += time.Second {
			assert.LessOrEqual(t, s.RateAt(at), 6.0, "%s: keep shipped rates modest (2-core CI)", path)
		}
	}
	for _, want := range []string{"steady.yaml", "peak-ramp.yaml", "duplicate-storm.yaml", "slow-consumer.yaml", "soak.yaml", "outage-recovery.yaml"} {
		require.Contains(t, byFile, want)
	}

	steady := byFile["steady.yaml"]
	assert.Equal(t, scenario.ArrivalConstant, steady.Arrival.Kind)
	assert.InDelta(t, 1200.0, steady.ExpectedCalls(), 1e-9)

	peak := byFile["peak-ramp.yaml"]
	assert.Equal(t, scenario.ArrivalRamp, peak.Arrival.Kind)
	assert.Less(t, peak.RateAt(0), peak.RateAt(peak.Duration-time.Second))

	storm := byFile["duplicate-storm.yaml"]
	assert.GreaterOrEqual(t, storm.Duplicates, 0.3)
	assert.True(t, storm.DuplicatesTogether, "the storm sends overlapping copies")
	assert.GreaterOrEqual(t, storm.DuplicateCopies, 3)
	assert.Contains(t, thresholdStrings(storm), "duplicates_unacknowledged == 0")

	slow := byFile["slow-consumer.yaml"]
	assert.Equal(t, 5*time.Second, slow.Delivery.Timeout)
	assert.Contains(t, thresholdStrings(slow), "p99 < 5s")
	assert.Contains(t, thresholdStrings(slow), "timeouts == 0")

	soak := byFile["soak.yaml"]
	assert.GreaterOrEqual(t, soak.Duration, time.Hour)
	assert.LessOrEqual(t, soak.RateAt(0), 1.0)

	outage := byFile["outage-recovery.yaml"]
	require.Len(t, outage.Faults, 1)
	f := outage.Faults[0]
	assert.Equal(t, scenario.FaultBlackhole, f.Kind)
	assert.Equal(t, 20*time.Second, f.Length)
	assert.Greater(t, f.Start, outage.Duration/4, "in the middle, not at the start")
	assert.LessOrEqual(t, f.End()+10*time.Second, outage.Duration, "in the middle, with time to recover")
	assert.Equal(t, []string{"lost == 0", "duplicated == 0"}, thresholdStrings(outage)[1:3], "the audit decides")
}

func thresholdStrings(s *scenario.Scenario) []string {
	out := make([]string, len(s.Thresholds))
	for i, th := range s.Thresholds {
		out[i] = th.String()
	}
	return out
}

func TestParseFull(t *testing.T) {
	t.Parallel()
	got, err := scenario.ReadFile("testdata/good/full.yaml")
	require.NoError(t, err)
	want := &scenario.Scenario{
		Name:        "full",
		Description: "Every field set.",
		Duration:    10 * time.Minute,
		Arrival: scenario.Arrival{Kind: scenario.ArrivalSteps, Steps: []scenario.Step{
			{Rate: 1, For: 2 * time.Minute}, {Rate: 0, For: time.Minute}, {Rate: 4.5, For: 90 * time.Second},
		}},
		Mix:             []scenario.MixEntry{{Fixture: "job-interview", Weight: 3}, {Fixture: "support-resolved", Weight: 1}},
		TimeScale:       0.05,
		Duplicates:      0.02,
		DuplicateCopies: 2,
		OutOfOrder:      1,
		Delivery: scenario.Delivery{
			Timeout:  2500 * time.Millisecond,
			Retries:  0,
			Backoff:  scenario.Backoff{Base: 250 * time.Millisecond, Factor: 1, Max: 250 * time.Millisecond},
			Schedule: scenario.ScheduleExponential,
			Jitter:   0.1,
		},
		Drain: 0,
		Thresholds: []scenario.Threshold{
			{Metric: scenario.MetricP99, Op: scenario.OpLess, Latency: 5 * time.Second},
			{Metric: scenario.MetricSuccess, Op: scenario.OpGreaterEqual, Percent: 99.9},
			{Metric: scenario.MetricTimeouts, Op: scenario.OpEqual, Count: 0},
			{EventType: "call.ended", Metric: scenario.MetricP99, Op: scenario.OpLess, Latency: 2 * time.Second},
			{Metric: scenario.MetricDuplicatesUnacknowledged, Op: scenario.OpLessEqual, Count: 3},
			{EventType: "tool.executed", Metric: scenario.MetricMax, Op: scenario.OpGreater, Latency: 90 * time.Second},
		},
		Faults: []scenario.Fault{
			{Kind: scenario.FaultLatency, Start: 0, Length: time.Minute, Value: 300 * time.Millisecond},
			{Kind: scenario.FaultReset, Start: 9 * time.Minute, Length: time.Minute},
		},
		Source: "testdata/good/full.yaml",
	}
	assert.Equal(t, want, got)
}

func TestDefaults(t *testing.T) {
	t.Parallel()
	s, err := scenario.Parse([]byte("name: min\nduration: 1m\narrival: {constant: 1}\nmix: [{fixture: a, weight: 1}]\n"), "inline.yaml")
	require.NoError(t, err)
	assert.Equal(t, scenario.DefaultTimeScale, s.TimeScale)
	assert.Equal(t, 0.0, s.Duplicates)
	assert.Equal(t, scenario.DefaultDuplicateCopies, s.DuplicateCopies)
	assert.False(t, s.DuplicatesTogether)
	assert.Equal(t, 0.0, s.OutOfOrder)
	assert.Equal(t, scenario.Delivery{
		Timeout: 5 * time.Second, Retries: 2,
		Backoff:  scenario.Backoff{Base: time.Second, Factor: 2, Max: 30 * time.Second},
		Schedule: scenario.ScheduleExponential, Jitter: 0.2,
	}, s.Delivery)
	assert.Equal(t, 2*time.Minute, s.Drain)
	assert.Empty(t, s.Thresholds)
	assert.Empty(t, s.Faults)
	assert.Equal(t, "inline.yaml", s.Source)
}

// TestDuplicates reads both forms of duplicates: a plain fraction (one
// redelivery after the acknowledgement, as before), and a mapping with the
// number of copies and whether they go together.
func TestDuplicates(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		yaml         string
		wantRate     float64
		wantCopies   int
		wantTogether bool
	}{
		{name: "fraction", yaml: "duplicates: 0.3", wantRate: 0.3, wantCopies: 2},
		{name: "whole number", yaml: "duplicates: 1", wantRate: 1, wantCopies: 2},
		{name: "rate only", yaml: "duplicates: {rate: 0.5}", wantRate: 0.5, wantCopies: 2},
		{name: "copies in turn", yaml: "duplicates: {rate: 0.5, copies: 4}", wantRate: 0.5, wantCopies: 4},
		{name: "together", yaml: "duplicates: {rate: 0.25, copies: 3, together: true}", wantRate: 0.25, wantCopies: 3, wantTogether: true},
		{name: "together, two copies", yaml: "duplicates:\n  rate: 0.1\n  together: True", wantRate: 0.1, wantCopies: 2, wantTogether: true},
		{name: "not together", yaml: "duplicates: {rate: 0.1, copies: 10, together: false}", wantRate: 0.1, wantCopies: 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			doc := "name: d\nduration: 1m\narrival: {constant: 1}\nmix: [{fixture: a, weight: 1}]\n" + tt.yaml + "\n"
			s, err := scenario.Parse([]byte(doc), "inline.yaml")
			require.NoError(t, err)
			assert.Equal(t, tt.wantRate, s.Duplicates)
			assert.Equal(t, tt.wantCopies, s.DuplicateCopies)
			assert.Equal(t, tt.wantTogether, s.DuplicatesTogether)
		})
	}
}

func TestPartialDeliveryKeepsDefaults(t *testing.T) {
	t.Parallel()
	s, err := scenario.Parse([]byte("name: min\nduration: 1m\narrival: {constant: 1}\nmix: [{fixture: a, weight: 1}]\ndelivery: {retries: 5, backoff: {factor: 3}}\n"), "inline.yaml")
	require.NoError(t, err)
	assert.Equal(t, scenario.Delivery{
		Timeout: 5 * time.Second, Retries: 5,
		Backoff:  scenario.Backoff{Base: time.Second, Factor: 3, Max: 30 * time.Second},
		Schedule: scenario.ScheduleExponential, Jitter: 0.2,
	}, s.Delivery)
}

func TestSchedules(t *testing.T) {
	t.Parallel()
	head := "name: s\nduration: 1m\narrival: {constant: 1}\nmix: [{fixture: a, weight: 1}]\ntimeScale: 0.05\n"
	tests := []struct {
		name        string
		delivery    string
		wantName    string
		wantRetries int
		wantWaits   []time.Duration
		wantJitter  float64
	}{
		{"a preset is compressed by timeScale and retries once per wait", "delivery: {schedule: standard-webhooks}", "standard-webhooks", 7,
			[]time.Duration{250 * time.Millisecond, 15 * time.Second, 90 * time.Second, 6 * time.Minute, 15 * time.Minute, 30 * time.Minute, 30 * time.Minute}, 0.2},
		{"retries given bound a preset", "delivery: {schedule: standard-webhooks, retries: 2, jitter: 0%}", "standard-webhooks", 2,
			[]time.Duration{250 * time.Millisecond, 15 * time.Second, 90 * time.Second, 6 * time.Minute, 15 * time.Minute, 30 * time.Minute, 30 * time.Minute}, 0},
		{"written-out waits are taken as written", "delivery: {schedule: [1s, 30s, 2m], jitter: 50%}", scenario.ScheduleList, 3,
			[]time.Duration{time.Second, 30 * time.Second, 2 * time.Minute}, 0.5},
		{"exponential by name", "delivery: {schedule: exponential, backoff: {base: 2s}}", scenario.ScheduleExponential, 2, nil, 0.2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, err := scenario.Parse([]byte(head+tt.delivery+"\n"), "inline.yaml")
			require.NoError(t, err)
			assert.Equal(t, tt.wantName, s.Delivery.Schedule)
			assert.Equal(t, tt.wantRetries, s.Delivery.Retries)
			assert.Equal(t, tt.wantWaits, s.Delivery.Waits)
			assert.InDelta(t, tt.wantJitter, s.Delivery.Jitter, 1e-9)
		})
	}
}

func constant(rate float64, d time.Duration) *scenario.Scenario {
	return &scenario.Scenario{Duration: d, Arrival: scenario.Arrival{Kind: scenario.ArrivalConstant, Constant: rate}}
}

func ramp(from, to float64, over, d time.Duration) *scenario.Scenario {
	return &scenario.Scenario{Duration: d, Arrival: scenario.Arrival{Kind: scenario.ArrivalRamp, Ramp: scenario.Ramp{From: from, To: to, Over: over}}}
}

func steps(d time.Duration, st ...scenario.Step) *scenario.Scenario {
	return &scenario.Scenario{Duration: d, Arrival: scenario.Arrival{Kind: scenario.ArrivalSteps, Steps: st}}
}

func TestRateAt(t *testing.T) {
	t.Parallel()
	stepped := steps(10*time.Minute, scenario.Step{Rate: 1, For: 2 * time.Minute}, scenario.Step{Rate: 5, For: 2 * time.Minute}, scenario.Step{Rate: 0.5, For: time.Minute})
	cases := []struct {
		name string
		s    *scenario.Scenario
		at   time.Duration
		want float64
	}{
		{"constant at start", constant(2.5, time.Minute), 0, 2.5},
		{"constant just before the end", constant(2.5, time.Minute), time.Minute - time.Nanosecond, 2.5},
		{"constant at duration", constant(2.5, time.Minute), time.Minute, 0},
		{"constant after duration", constant(2.5, time.Minute), time.Hour, 0},
		{"before start", constant(2.5, time.Minute), -time.Second, 0},
		{"ramp at start", ramp(0.5, 20, 5*time.Minute, 10*time.Minute), 0, 0.5},
		{"ramp a fifth of the way", ramp(0, 20, 5*time.Minute, 10*time.Minute), time.Minute, 4},
		{"ramp half way", ramp(0.5, 20, 5*time.Minute, 10*time.Minute), 150 * time.Second, 10.25},
		{"ramp at over", ramp(0.5, 20, 5*time.Minute, 10*time.Minute), 5 * time.Minute, 20},
		{"ramp holds to", ramp(0.5, 20, 5*time.Minute, 10*time.Minute), 9 * time.Minute, 20},
		{"ramp down", ramp(8, 2, time.Minute, 2*time.Minute), 30 * time.Second, 5},
		{"ramp after duration", ramp(0.5, 20, 5*time.Minute, 10*time.Minute), 10 * time.Minute, 0},
		{"first step", stepped, 0, 1},
		{"first step end", stepped, 2*time.Minute - time.Nanosecond, 1},
		{"second step start", stepped, 2 * time.Minute, 5},
		{"third step", stepped, 4*time.Minute + 30*time.Second, 0.5},
		{"last step holds", stepped, 9 * time.Minute, 0.5},
		{"steps after duration", stepped, 10 * time.Minute, 0},
		{"zero value", &scenario.Scenario{}, 0, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tc.want, tc.s.RateAt(tc.at))
		})
	}
}

func TestExpectedCalls(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		s    *scenario.Scenario
		want float64
	}{
		{"constant", constant(2.5, 10*time.Minute), 1500},
		{"constant fractional seconds", constant(4, 1500*time.Millisecond), 6},
		{"ramp then hold", ramp(0.5, 20, 5*time.Minute, 10*time.Minute), (0.5+20)/2*300 + 20*300},
		{"ramp over the whole duration", ramp(0, 10, time.Minute, time.Minute), 300},
		{"ramp down", ramp(8, 2, time.Minute, 2*time.Minute), 300 + 120},
		{"ramp longer than duration is cut", ramp(0, 10, 2*time.Minute, time.Minute), 150},
		{"steps filling duration", steps(4*time.Minute, scenario.Step{Rate: 1, For: 2 * time.Minute}, scenario.Step{Rate: 5, For: 2 * time.Minute}), 120 + 600},
		{"last step holds", steps(10*time.Minute, scenario.Step{Rate: 1, For: 2 * time.Minute}, scenario.Step{Rate: 0.5, For: time.Minute}), 120 + 0.5*480},
		{"steps past duration are cut", steps(time.Minute, scenario.Step{Rate: 2, For: 45 * time.Second}, scenario.Step{Rate: 4, For: time.Minute}), 90 + 60},
		{"zero value", &scenario.Scenario{}, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tc.want, tc.s.ExpectedCalls())
		})
	}
}

// TestExpectedCallsIsTheIntegral checks ExpectedCalls against a numeric
// integral of RateAt, so the two cannot drift apart.
func TestExpectedCallsIsTheIntegral(t *testing.T) {
	t.Parallel()
	for _, s := range []*scenario.Scenario{
		constant(3, time.Minute),
		ramp(0.5, 7, 100*time.Second, 5*time.Minute),
		steps(5*time.Minute, scenario.Step{Rate: 1, For: time.Minute}, scenario.Step{Rate: 0, For: 30 * time.Second}, scenario.Step{Rate: 6, For: time.Minute}),
	} {
		const dt = 10 * time.Millisecond
		var sum float64
		for at := dt / 2; at < s.Duration; at += dt {
			sum += s.RateAt(at) * dt.Seconds()
		}
		assert.InDelta(t, s.ExpectedCalls(), sum, 1e-6, "%+v", s.Arrival)
	}
}

func TestPick(t *testing.T) {
	t.Parallel()
	s := &scenario.Scenario{Mix: []scenario.MixEntry{
		{Fixture: "job-interview", Weight: 3},
		{Fixture: "support-resolved", Weight: 1},
	}}
	three := &scenario.Scenario{Mix: []scenario.MixEntry{
		{Fixture: "a", Weight: 0.5}, {Fixture: "b", Weight: 0.25}, {Fixture: "c", Weight: 0.25},
	}}
	cases := []struct {
		name string
		s    *scenario.Scenario
		r    float64
		want string
	}{
		{"zero", s, 0, "job-interview"},
		{"inside first", s, 0.5, "job-interview"},
		{"just below the boundary", s, math.Nextafter(0.75, 0), "job-interview"},
		{"at the boundary", s, 0.75, "support-resolved"},
		{"just below one", s, math.Nextafter(1, 0), "support-resolved"},
		{"one clamps to last", s, 1, "support-resolved"},
		{"negative clamps to first", s, -0.1, "job-interview"},
		{"three: first", three, 0.49, "a"},
		{"three: second starts at 0.5", three, 0.5, "b"},
		{"three: third starts at 0.75", three, 0.75, "c"},
		{"empty mix", &scenario.Scenario{}, 0.3, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tc.want, tc.s.Pick(tc.r))
		})
	}
}

// TestPickShares checks that evenly spread r values land in each fixture in
// proportion to its weight.
func TestPickShares(t *testing.T) {
	t.Parallel()
	s := &scenario.Scenario{Mix: []scenario.MixEntry{{Fixture: "a", Weight: 3}, {Fixture: "b", Weight: 1}, {Fixture: "c", Weight: 4}}}
	got := map[string]int{}
	const n = 8000
	for i := range n {
		got[s.Pick((float64(i)+0.5)/n)]++
	}
	assert.Equal(t, map[string]int{"a": 3000, "b": 1000, "c": 4000}, got)
}

func TestThresholds(t *testing.T) {
	t.Parallel()
	cases := []struct {
		text      string
		want      scenario.Threshold
		canonical string
	}{
		{"p99 < 5s", scenario.Threshold{Metric: scenario.MetricP99, Op: scenario.OpLess, Latency: 5 * time.Second}, "p99 < 5s"},
		{"p50<=250ms", scenario.Threshold{Metric: scenario.MetricP50, Op: scenario.OpLessEqual, Latency: 250 * time.Millisecond}, "p50 <= 250ms"},
		{"  max   <   2m  ", scenario.Threshold{Metric: scenario.MetricMax, Op: scenario.OpLess, Latency: 2 * time.Minute}, "max < 2m"},
		{"success >= 99.9%", scenario.Threshold{Metric: scenario.MetricSuccess, Op: scenario.OpGreaterEqual, Percent: 99.9}, "success >= 99.9%"},
		{"success > 0%", scenario.Threshold{Metric: scenario.MetricSuccess, Op: scenario.OpGreater, Percent: 0}, "success > 0%"},
		{"timeouts == 0", scenario.Threshold{Metric: scenario.MetricTimeouts, Op: scenario.OpEqual}, "timeouts == 0"},
		{"errors < 10", scenario.Threshold{Metric: scenario.MetricErrors, Op: scenario.OpLess, Count: 10}, "errors < 10"},
		{"duplicates_unacknowledged <= 1", scenario.Threshold{Metric: scenario.MetricDuplicatesUnacknowledged, Op: scenario.OpLessEqual, Count: 1}, "duplicates_unacknowledged <= 1"},
		{"call.ended p99 < 2s", scenario.Threshold{EventType: "call.ended", Metric: scenario.MetricP99, Op: scenario.OpLess, Latency: 2 * time.Second}, "call.ended p99 < 2s"},
		{"transcription.update p90 > 1m30s", scenario.Threshold{EventType: "transcription.update", Metric: scenario.MetricP90, Op: scenario.OpGreater, Latency: 90 * time.Second}, "transcription.update p90 > 1m30s"},
		{"call.started success >= 100%", scenario.Threshold{EventType: "call.started", Metric: scenario.MetricSuccess, Op: scenario.OpGreaterEqual, Percent: 100}, "call.started success >= 100%"},
	}
	for _, tc := range cases {
		t.Run(tc.text, func(t *testing.T) {
			t.Parallel()
			doc := "name: th\nduration: 1m\narrival: {constant: 1}\nmix: [{fixture: a, weight: 1}]\nthresholds: [\"" + tc.text + "\", \"" + tc.canonical + "\"]\n"
			s, err := scenario.Parse([]byte(doc), "inline.yaml")
			require.NoError(t, err)
			require.Len(t, s.Thresholds, 2)
			assert.Equal(t, tc.want, s.Thresholds[0])
			assert.Equal(t, tc.canonical, s.Thresholds[0].String())
			assert.Equal(t, s.Thresholds[0], s.Thresholds[1], "the canonical form parses to the same threshold")
		})
	}
}

func TestMetricKind(t *testing.T) {
	t.Parallel()
	want := map[scenario.Metric]scenario.ValueKind{
		"p50": scenario.KindLatency, "p90": scenario.KindLatency, "p95": scenario.KindLatency, "p99": scenario.KindLatency, "max": scenario.KindLatency,
		"success":  scenario.KindPercent,
		"timeouts": scenario.KindCount, "errors": scenario.KindCount, "duplicates_unacknowledged": scenario.KindCount, "contract_violations": scenario.KindCount,
		"lost": scenario.KindCount, "duplicated": scenario.KindCount, "dead_letters": scenario.KindCount,
		"p98": 0,
	}
	for m, k := range want {
		assert.Equal(t, k, m.Kind(), string(m))
	}
	assert.Len(t, scenario.Metrics, 13)
}

func TestOpHolds(t *testing.T) {
	t.Parallel()
	cases := []struct {
		op        scenario.Op
		got, lim  float64
		wantHolds bool
	}{
		{scenario.OpLess, 4, 5, true}, {scenario.OpLess, 5, 5, false},
		{scenario.OpLessEqual, 5, 5, true}, {scenario.OpLessEqual, 6, 5, false},
		{scenario.OpGreater, 6, 5, true}, {scenario.OpGreater, 5, 5, false},
		{scenario.OpGreaterEqual, 5, 5, true}, {scenario.OpGreaterEqual, 4, 5, false},
		{scenario.OpEqual, 0, 0, true}, {scenario.OpEqual, 1, 0, false},
		{scenario.Op("!="), 1, 0, false},
	}
	for _, tc := range cases {
		assert.Equal(t, tc.wantHolds, tc.op.Holds(tc.got, tc.lim), "%v %s %v", tc.got, tc.op, tc.lim)
	}
}

func FuzzParse(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/*/*.yaml")
	shipped, _ := filepath.Glob("../../scenarios/*.yaml")
	for _, s := range append(seeds, shipped...) {
		b, err := os.ReadFile(s)
		if err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := scenario.Parse(data, "fuzz.yaml")
		if err != nil {
			if !errors.Is(err, scenario.ErrInvalid) {
				t.Fatalf("error does not wrap ErrInvalid: %v", err)
			}
			if s != nil {
				t.Fatalf("a scenario returned with an error")
			}
			return
		}
		if s.Duration <= 0 || s.Duration > scenario.MaxDuration {
			t.Fatalf("duration %s out of range", s.Duration)
		}
		n := s.ExpectedCalls()
		if math.IsNaN(n) || n < 0 || n > scenario.MaxRate*s.Duration.Seconds()*(1+1e-9) {
			t.Fatalf("ExpectedCalls %v out of range", n)
		}
		for _, at := range []time.Duration{0, s.Duration / 3, s.Duration / 2, s.Duration - 1} {
			if r := s.RateAt(at); math.IsNaN(r) || r < 0 || r > scenario.MaxRate {
				t.Fatalf("RateAt(%s) = %v", at, r)
			}
		}
		if len(s.Mix) == 0 || s.Pick(0) != s.Mix[0].Fixture || s.Pick(math.Nextafter(1, 0)) == "" {
			t.Fatalf("Pick does not cover the mix %+v", s.Mix)
		}
		for _, fl := range s.Faults {
			if fl.Start < 0 || fl.Length <= 0 || fl.End() > s.Duration {
				t.Fatalf("fault %+v outside duration %s", fl, s.Duration)
			}
		}
		for _, th := range s.Thresholds {
			again, err := scenario.Parse([]byte("name: a\nduration: 1s\narrival: {constant: 1}\nmix: [{fixture: a, weight: 1}]\nthresholds: [\""+th.String()+"\"]\n"), "again.yaml")
			if err != nil || again.Thresholds[0] != th {
				t.Fatalf("threshold %q does not round-trip: %v", th.String(), err)
			}
		}
	})
}

// TestREADMEExample parses the format example in scenarios/README.md, so
// the documentation cannot drift from the parser.
func TestREADMEExample(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile("../../scenarios/README.md")
	require.NoError(t, err)
	_, rest, ok := strings.Cut(string(doc), "```yaml\n")
	require.True(t, ok, "README has a yaml example")
	example, _, ok := strings.Cut(rest, "```")
	require.True(t, ok)
	s, err := scenario.Parse([]byte(example), "README.md")
	require.NoError(t, err)
	assert.Equal(t, 1500.0, s.ExpectedCalls(), "2.5 calls/s for 10 min, as the README says")
	assert.Len(t, s.Thresholds, 4)
	assert.Len(t, s.Faults, 2)
	assert.Equal(t, 9075.0, ramp(0.5, 20, 5*time.Minute, 10*time.Minute).ExpectedCalls(), "the README's ramp arithmetic")
}
