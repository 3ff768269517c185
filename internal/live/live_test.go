package live_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hamsasim/hamsasim/internal/deliver"
	"github.com/hamsasim/hamsasim/internal/fixture"
	"github.com/hamsasim/hamsasim/internal/live"
	"github.com/hamsasim/hamsasim/internal/load"
	"github.com/hamsasim/hamsasim/internal/loadreport"
	"github.com/hamsasim/hamsasim/internal/receiver"
	"github.com/hamsasim/hamsasim/internal/scenario"
)

// fixtures are the two shipped fixtures the scenario mixes.
func fixtures(t *testing.T) map[string]*fixture.Fixture {
	t.Helper()
	out := map[string]*fixture.Fixture{}
	for _, name := range []string{"support-resolved", "no-answer"} {
		f, err := fixture.ReadFile(filepath.Join("..", "..", "fixtures", "calls", name+".yaml"))
		require.NoError(t, err)
		out[f.Name] = f
	}
	return out
}

const token = "Bearer live-test-token"

// failingReceiver is the reference receiver answering 500 to every
// call.started.
func failingReceiver(t *testing.T) string {
	t.Helper()
	rcv, err := receiver.New(receiver.Config{Authorization: token, DBPath: filepath.Join(t.TempDir(), "r.db"),
		Faults: receiver.Faults{receiver.FaultFailCallStarted: true}})
	require.NoError(t, err)
	srv := httptest.NewServer(rcv.Handler())
	t.Cleanup(func() { srv.Close(); rcv.Close() })
	return srv.URL + "/webhook"
}

// The run's own network faults refuse connections for a while and
// blackhole them for another, so that errors have three causes: 500,
// refused and timeout.
const scenarioText = `
name: live
duration: 3s
arrival: {constant: 20}
mix:
  - {fixture: support-resolved, weight: 2}
  - {fixture: no-answer, weight: 1}
timeScale: 0.01
duplicates: 0.1
delivery: {timeout: 200ms, retries: 1, backoff: {base: 50ms, factor: 2, max: 200ms}}
faults:
  - {kind: refuse, start: 500ms, length: 300ms}
  - {kind: blackhole, start: 1500ms, length: 300ms}
drain: 30s
`

// scrape reads the served metrics.
func scrape(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(resp.Body)
	require.NoError(t, err)
	return fams
}

// value is the sample of family name with exactly these labels (0 if none).
func value(fams map[string]*dto.MetricFamily, name string, labels ...string) float64 {
	f := fams[name]
	if f == nil {
		return 0
	}
	for _, m := range f.GetMetric() {
		if !hasLabels(m, labels) {
			continue
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue()
		case m.Gauge != nil:
			return m.Gauge.GetValue()
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount())
		}
	}
	return 0
}

func hasLabels(m *dto.Metric, labels []string) bool {
	if len(m.GetLabel()) != len(labels)/2 {
		return false
	}
	for i := 0; i < len(labels); i += 2 {
		found := false
		for _, l := range m.GetLabel() {
			found = found || (l.GetName() == labels[i] && l.GetValue() == labels[i+1])
		}
		if !found {
			return false
		}
	}
	return true
}

// A load run served at --metrics-listen: scraped while it goes, the
// figures move; scraped once it has ended, they equal the summary's, type
// by type and cause by cause; after Close nothing listens.
func TestScrapeDuringARunMatchesTheSummary(t *testing.T) {
	t.Parallel()
	m := live.New()
	srv, err := live.Listen("127.0.0.1:0", m)
	require.NoError(t, err)
	sc, err := scenario.Parse([]byte(scenarioText), "live.yaml")
	require.NoError(t, err)
	target := failingReceiver(t)
	type ran struct {
		s   *loadreport.Summary
		err error
	}
	done := make(chan ran, 1)
	go func() {
		s, err := load.Run(context.Background(), load.Plan{Scenario: sc, Fixtures: fixtures(t), Target: target, Shown: "loopback", Seed: 9,
			Signer: deliver.Bearer{Value: token, Env: "WEBHOOK_SECRET"}, Observer: m})
		done <- ran{s, err}
	}()

	var during []map[string]*dto.MetricFamily
	var r ran
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
wait:
	for {
		select {
		case r = <-done:
			break wait
		case <-tick.C:
			if len(during) < 40 {
				during = append(during, scrape(t, srv.URL()))
			}
		}
	}
	require.NotNil(t, r.s, "%v", r.err)
	final := scrape(t, srv.URL())
	require.NoError(t, srv.Close())

	require.GreaterOrEqual(t, len(during), 4)
	mid := during[len(during)/2]
	assert.Positive(t, value(mid, "hamsasim_calls_started_total"), "calls counted while the run goes")
	assert.Less(t, value(during[0], "hamsasim_calls_started_total"), float64(r.s.Calls.Started))
	sawInFlight, sawRate := false, false
	for _, f := range during {
		sawInFlight = sawInFlight || value(f, "hamsasim_calls_in_flight") > 0
		sawRate = sawRate || value(f, "hamsasim_offered_events_per_second") > 0
	}
	assert.True(t, sawInFlight)
	assert.True(t, sawRate)

	assertFinal(t, final, r.s)
	_, err = http.Get(srv.URL())
	assert.Error(t, err, "closed: nothing listens")
}

// assertFinal checks the last scrape against the summary.
func assertFinal(t *testing.T, fams map[string]*dto.MetricFamily, s *loadreport.Summary) {
	t.Helper()
	assert.EqualValues(t, s.Calls.Started, value(fams, "hamsasim_calls_started_total"))
	assert.Zero(t, value(fams, "hamsasim_calls_in_flight"))
	require.NotEmpty(t, s.PerType)
	var errs, timeouts int64
	for _, ts := range s.PerType {
		typ := []string{"type", ts.Type}
		assert.EqualValues(t, ts.Deliveries, value(fams, "hamsasim_deliveries_total", typ...), ts.Type)
		assert.EqualValues(t, ts.Deliveries, value(fams, "hamsasim_offered_total", typ...), ts.Type)
		assert.EqualValues(t, ts.Acked, value(fams, "hamsasim_acknowledged_total", typ...), ts.Type)
		assert.EqualValues(t, ts.Attempts, value(fams, "hamsasim_attempts_total", typ...), ts.Type)
		assert.EqualValues(t, ts.Attempts, value(fams, "hamsasim_answer_latency_seconds", typ...), ts.Type)
		assert.EqualValues(t, ts.Retries, value(fams, "hamsasim_retries_total", typ...), ts.Type)
		assert.EqualValues(t, ts.Timeouts, value(fams, "hamsasim_timeouts_total", typ...), ts.Type)
		var sum float64
		for _, m := range fams["hamsasim_errors_total"].GetMetric() {
			if hasType(m, ts.Type) {
				cause := causeOf(m)
				assert.EqualValues(t, ts.Status[cause], m.Counter.GetValue(), "%s %s", ts.Type, cause)
				sum += m.Counter.GetValue()
			}
		}
		assert.EqualValues(t, ts.Errors, sum, ts.Type)
		errs, timeouts = errs+ts.Errors, timeouts+ts.Timeouts
	}
	assert.Positive(t, errs)
	assert.Positive(t, timeouts)
	for _, cause := range []string{"500", "refused", "timeout"} {
		assert.Positive(t, s.Overall.Status[cause], cause)
	}
}

func hasType(m *dto.Metric, typ string) bool {
	for _, l := range m.GetLabel() {
		if l.GetName() == "type" {
			return l.GetValue() == typ
		}
	}
	return false
}

func causeOf(m *dto.Metric) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == "cause" {
			return l.GetValue()
		}
	}
	return ""
}

// A malformed address and a port already taken are told apart, before
// anything is served.
func TestListenErrors(t *testing.T) {
	t.Parallel()
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { taken.Close() })
	cases := []struct {
		addr string
		want error
	}{
		{"9464", live.ErrAddress},
		{"127.0.0.1", live.ErrAddress},
		{"127.0.0.1:http", live.ErrAddress},
		{"127.0.0.1:99999", live.ErrAddress},
		{"[::1:9464", live.ErrAddress},
		{taken.Addr().String(), live.ErrInUse},
	}
	for _, tc := range cases {
		t.Run(tc.addr, func(t *testing.T) {
			t.Parallel()
			s, err := live.Listen(tc.addr, live.New())
			assert.ErrorIs(t, err, tc.want)
			assert.Nil(t, s)
		})
	}
}

// The latency buckets span 1 ms to 30 s with the 5 s budget a boundary.
func TestLatencyBuckets(t *testing.T) {
	t.Parallel()
	assert.Equal(t, 0.001, live.LatencyBuckets[0])
	assert.Equal(t, 30.0, live.LatencyBuckets[len(live.LatencyBuckets)-1])
	assert.Contains(t, live.LatencyBuckets, 5.0)
	assert.IsIncreasing(t, live.LatencyBuckets)
}
