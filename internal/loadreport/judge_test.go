package loadreport

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/hamsasim/hamsasim/internal/probe"
	"github.com/hamsasim/hamsasim/internal/scenario"
)

// TestAuditFloor: once the end-state audit ran, a loss or a double effect
// fails the run whatever the scenario's thresholds say; without an audit
// nothing is added.
func TestAuditFloor(t *testing.T) {
	t.Parallel()
	p99, err := scenario.ParseThreshold("p99 < 5s")
	assert.NoError(t, err)
	ths := []scenario.Threshold{p99}

	s := goldenPassed()
	s.Judge(ths)
	assert.True(t, s.Passed, "no audit, no floor")
	assert.Len(t, s.Thresholds, 1)

	for _, res := range []probe.AuditResult{{Checked: 3, Lost: 2}, {Checked: 3, Duplicated: 1}} {
		s := goldenPassed()
		s.Audited("http://127.0.0.1:1/probe", "check --probe-url", 3, res, ths)
		assert.False(t, s.Passed, "%+v", res)
		var names []string
		for _, tr := range s.Thresholds {
			names = append(names, tr.Threshold)
		}
		assert.Equal(t, []string{"p99 < 5s", "lost == 0", "duplicated == 0"}, names)
	}

	clean := goldenPassed()
	clean.Audited("http://127.0.0.1:1/probe", "check --probe-url", 3, probe.AuditResult{Checked: 3}, ths)
	assert.True(t, clean.Passed, "an audit that found nothing passes")

	// The scenario's own threshold on the metric is not repeated.
	lost, err := scenario.ParseThreshold("lost == 0")
	assert.NoError(t, err)
	again := goldenPassed()
	again.Audited("http://127.0.0.1:1/probe", "check --probe-url", 3, probe.AuditResult{Checked: 3}, []scenario.Threshold{lost})
	assert.Len(t, again.Thresholds, 2)
}
