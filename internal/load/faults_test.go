package load_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A scenario's network faults apply to the harness's own connections: while
// they last, attempts fail with the fault's error class; retries after the
// fault recover every delivery.
func TestScenarioFaults(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		fault string
		class string
	}{
		{"refuse", "{kind: refuse, start: 0s, length: 600ms}", "refused"},
		{"reset", "{kind: reset, start: 0s, length: 600ms}", "reset"},
		{"blackhole", "{kind: blackhole, start: 0s, length: 600ms}", "timeout"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			url := startReceiver(t)
			sc := parseScenario(t, `
name: outage
duration: 1s
arrival: {constant: 4}
mix: [{fixture: no-answer, weight: 1}]
timeScale: 0.01
delivery: {timeout: 300ms, retries: 4, backoff: {base: 200ms, factor: 2, max: 1s}}
faults:
  - `+tc.fault+`
thresholds:
  - success >= 100%
`)
			s, err := newEngine(t, sc, url).Run(context.Background())
			require.NoError(t, err)
			assert.True(t, s.Passed, "%+v", s.Overall.Status)
			assert.Positive(t, s.Overall.Status[tc.class], "%v", s.Overall.Status)
			assert.Positive(t, s.Overall.Retries)
			assert.Equal(t, s.Overall.Deliveries, s.Overall.Acked)
			assert.EqualValues(t, 4, s.Calls.Completed)
		})
	}
}

// A latency fault delays every attempt by its value while it lasts.
func TestLatencyFault(t *testing.T) {
	t.Parallel()
	url := startReceiver(t)
	sc := parseScenario(t, `
name: slow-net
duration: 1s
arrival: {constant: 2}
mix: [{fixture: no-answer, weight: 1}]
timeScale: 0.01
faults:
  - {kind: latency, start: 0s, length: 1s, value: 250ms}
`)
	s, err := newEngine(t, sc, url).Run(context.Background())
	require.NoError(t, err)
	assert.GreaterOrEqual(t, s.Overall.Latency.Min, 250.0)
	assert.Equal(t, s.Overall.Deliveries, s.Overall.Acked)
}
