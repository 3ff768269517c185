package load_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hamsasim/hamsasim/internal/deliver"
	"github.com/hamsasim/hamsasim/internal/load"
	"github.com/hamsasim/hamsasim/internal/probe"
	"github.com/hamsasim/hamsasim/internal/report"
)

func TestRunAuditsThroughTheProbeAPI(t *testing.T) {
	t.Parallel()
	url := startReceiver(t)
	s, err := load.Run(context.Background(), load.Plan{
		Scenario: parseScenario(t, quick), Fixtures: fixtures(t),
		Target: url, Shown: "loopback",
		Signer:   deliver.Bearer{Value: token, Env: "WEBHOOK_SECRET"},
		Contract: shippedContract(t), Seed: 7, Breaker: load.DefaultBreakerWindow,
		Records: probe.Source{URL: strings.TrimSuffix(url, "/webhook")},
	})
	require.NoError(t, err)
	assert.True(t, s.Passed, "%+v", s.Thresholds)
	assert.EqualValues(t, 20, s.Audit.Calls)
	assert.EqualValues(t, 20, s.Audit.Checked)
	assert.Zero(t, s.Audit.Lost)
	assert.Zero(t, s.Audit.Duplicated)
	assert.Zero(t, s.Audit.Unchecked, "%v", s.Audit.Problems)
}

func TestRunFailedRunReturnsItsSummary(t *testing.T) {
	t.Parallel()
	const secret = "sk_test_never_in_the_summary"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusBadRequest)
		w.Write([]byte("rejected " + secret))
	}))
	t.Cleanup(srv.Close)
	var log strings.Builder
	s, err := load.Run(context.Background(), load.Plan{
		Scenario: parseScenario(t, quick), Fixtures: fixtures(t),
		Target: srv.URL, Shown: "loopback", Contract: shippedContract(t), Seed: 7,
		Scrubber: report.NewScrubber(secret), Log: &log,
	})
	require.ErrorIs(t, err, load.ErrFailed)
	require.NotNil(t, s)
	assert.False(t, s.Passed)
	assert.Empty(t, log.String(), "no audit without a probe URL")
	for _, v := range s.Violations {
		assert.NotContains(t, v.Reason, secret)
	}
}

func TestRunInvalidPlans(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		plan func(p *load.Plan)
	}{
		{"no target", func(p *load.Plan) { p.Target = "" }},
		{"capacity search with an audit", func(p *load.Plan) {
			p.Capacity = &load.CapacitySearch{}
			p.Records = probe.Source{URL: "http://127.0.0.1:1"}
		}},
		{"unknown event type", func(p *load.Plan) { p.Events = []string{"call.transferred"} }},
		{"a fixture the mix names is missing", func(p *load.Plan) { p.Fixtures = nil }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := load.Plan{Scenario: parseScenario(t, quick), Fixtures: fixtures(t), Target: "http://127.0.0.1:1/webhook"}
			tc.plan(&p)
			s, err := load.Run(context.Background(), p)
			assert.Nil(t, s)
			assert.True(t, errors.Is(err, load.ErrConfig), "got %v", err)
		})
	}
}

func TestRunInterrupted(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	s, err := load.Run(ctx, load.Plan{
		Scenario: parseScenario(t, quick), Fixtures: fixtures(t),
		Target: startReceiver(t), Signer: deliver.Bearer{Value: token, Env: "WEBHOOK_SECRET"},
		Records: probe.Source{URL: "http://127.0.0.1:1"},
	})
	require.ErrorIs(t, err, load.ErrInterrupted)
	require.NotNil(t, s)
	assert.True(t, s.Interrupted)
	assert.Empty(t, s.Audit.Probe, "an interrupted run is not audited")
}
