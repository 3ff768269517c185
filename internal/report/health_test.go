package report_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hamsasim/hamsasim/internal/report"
)

func TestHealthOf(t *testing.T) {
	t.Parallel()
	ok := func(ms int64) report.Attempt { return report.Attempt{Trigger: "first", Status: 200, LatencyMs: ms} }
	calls := []report.Call{{Deliveries: []report.Delivery{
		{Event: "call.started", Acked: true, AttemptLog: []report.Attempt{ok(10)}},
		{Event: "call.ended", Acked: true, AttemptLog: []report.Attempt{
			{Trigger: "first", ErrorClass: "timeout", LatencyMs: 5000, WaitMs: 1000},
			{Trigger: "retry 1", Status: 503, LatencyMs: 20, WaitMs: 2000},
			ok(30),
		}},
		{Event: "call.ended", Acked: false, AttemptLog: []report.Attempt{{Trigger: "first", Status: 400, LatencyMs: 40}}},
		{Event: "call.transferred", Acked: true, AttemptLog: []report.Attempt{ok(2)}},
	}}}
	got := report.HealthOf(calls, []string{"call.started", "call.answered", "call.ended"})
	require.Len(t, got, 4, "started, ended, the unknown type after the known ones, all")
	assert.Equal(t, []string{"call.started", "call.ended", "call.transferred", "all"}, []string{got[0].EventType, got[1].EventType, got[2].EventType, got[3].EventType})

	ended := got[1]
	assert.EqualValues(t, 2, ended.Deliveries)
	assert.EqualValues(t, 4, ended.Attempts)
	assert.InDelta(t, 50.0, ended.SuccessPct, 1e-9)
	assert.InDelta(t, (5000.0+20+30+40)/4, ended.MeanMs, 1e-9)
	assert.InDelta(t, 5000.0, ended.P95Ms, 1e-9)
	assert.Equal(t, map[string]int64{"timeout": 1, "503": 1, "400": 1}, ended.Failures, "2xx are not failures")

	all := got[3]
	assert.EqualValues(t, 4, all.Deliveries)
	assert.EqualValues(t, 6, all.Attempts)
	assert.InDelta(t, 75.0, all.SuccessPct, 1e-9)
	assert.Nil(t, got[0].Failures)

	var b strings.Builder
	require.NoError(t, report.WriteHealth(&b, got))
	assert.Contains(t, b.String(), "endpoint health:")
	assert.Regexp(t, `call\.ended\s+2\s+50\.00%\s+1\.27\ds\s+5\.000s\s+400×1 503×1 timeout×1`, b.String())
	assert.Regexp(t, `call\.started\s+1\s+100\.00%\s+10\.0ms\s+10\.0ms\s+-`, b.String())
}

func TestHealthOfNothingSent(t *testing.T) {
	t.Parallel()
	assert.Equal(t, []report.Health{}, report.HealthOf(nil, nil))
}
