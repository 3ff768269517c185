package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hamsasim/hamsasim/internal/receiver"
)

// TestCatchPower runs simulate against the reference receiver with each
// fault mode and asserts exactly the expected checks fire: a missed defect
// and a false alarm both fail it. Against the correct receiver nothing may
// fire, not even a warning (--strict).
func TestCatchPower(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		hmac  bool
		fault receiver.Fault
		want  []string
	}{
		{name: "correct receiver", want: nil},
		{name: "slow ack", fault: receiver.FaultSlowAck, want: []string{"latency.5s", "status.2xx", "target.unreachable"}},
		{name: "auth off", fault: receiver.FaultAuthOff, want: []string{"auth.missing", "auth.wrong"}},
		{name: "no dedupe", fault: receiver.FaultNoDedupe, want: []string{"duplicate.effect", "duplicate.race"}}, // duplicate.flag is a note
		{name: "rejects unknown events", fault: receiver.FaultRejectUnknown, want: []string{"event.unknown"}},
		{name: "100 kB body limit", fault: receiver.FaultBodyLimit, want: []string{"payload.large"}},
		{name: "500 on call.started", fault: receiver.FaultFailCallStarted, want: []string{"status.2xx"}},
		{name: "HTML error pages", fault: receiver.FaultHTMLErrors, want: []string{"error.leak"}}, // any body is a valid answer under the shipped contract
		{name: "strict order", fault: receiver.FaultStrictOrder, want: []string{"order.tolerant"}},
		{name: "correct receiver, signatures", hmac: true, want: nil},
		{name: "auth off, signatures", hmac: true, fault: receiver.FaultAuthOff, want: []string{"auth.missing", "auth.stale", "auth.wrong"}},
	}
	for _, tc := range cases {
		tc := tc
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var faults []receiver.Fault
			if tc.fault != "" {
				faults = append(faults, tc.fault)
			}
			srv, vars, args := authTarget(t, tc.hmac, faults...)

			out := filepath.Join(t.TempDir(), "out.json")
			args = append([]string{"simulate", "--target", srv.URL + "/webhook", "--probe-url", srv.URL,
				"--fixtures", shipped("job-interview", "no-answer", "ends-early", "support-resolved", "sales-outbound-tools"),
				"--retries", "0", "--concurrency", "5", "--strict", "--json", out}, args...)
			r := runCLI(t, vars, args...)

			var rep struct {
				Passed   bool `json:"passed"`
				Findings []struct {
					Check, Severity, Message, Curl string
				} `json:"findings"`
			}
			b, err := os.ReadFile(out)
			require.NoError(t, err, r.stderr)
			require.NoError(t, json.Unmarshal(b, &rep))
			got := map[string]bool{}
			for _, f := range rep.Findings {
				got[f.Check] = true
				assert.NotEmpty(t, f.Message)
				assert.NotContains(t, f.Curl, "CANARY", "curl reproductions carry no secret")
			}
			ids := make([]string, 0, len(got))
			for id := range got {
				ids = append(ids, id)
			}
			sort.Strings(ids)
			if tc.want == nil {
				assert.Empty(t, ids, "false alarms against the correct receiver")
				assert.Equal(t, ExitPassed, r.code)
				assert.True(t, rep.Passed)
				return
			}
			assert.Equal(t, tc.want, ids)
			assert.Equal(t, ExitFindings, r.code)
			assert.False(t, rep.Passed)
			assert.NotContains(t, r.stdout+r.stderr+string(b), "CANARY")
		})
	}
}
