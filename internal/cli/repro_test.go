package cli

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hamsasim/hamsasim/internal/receiver"
)

// TestCurlReproduces runs each finding's curl command in a shell, with the
// secret only in the environment, and expects the same answer again: a
// command that does not reproduce is worse than none.
func TestCurlReproduces(t *testing.T) {
	for _, tool := range []string{"bash", "curl", "openssl", "base64", "od"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed", tool)
		}
	}
	cases := []struct {
		name   string
		hmac   bool
		fault  receiver.Fault
		event  string
		status string
	}{
		{"bearer", false, receiver.FaultFailCallStarted, "call.started", "HTTP/1.1 500"},
		{"signatures", true, receiver.FaultFailCallStarted, "call.started", "HTTP/1.1 500"},
		{"a body read from its payload file", false, receiver.FaultBodyLimit, "call.ended", "HTTP/1.1 413"},
		{"a signed body read from its payload file", true, receiver.FaultBodyLimit, "call.ended", "HTTP/1.1 413"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv, vars, args := authTarget(t, tc.hmac, tc.fault)

			out := filepath.Join(t.TempDir(), "o.json")
			r := runCLI(t, vars, append([]string{"simulate", "--target", srv.URL + "/webhook", "--fixtures", shipped("long-hour"),
				"--retries", "0", "--probes", "lifecycle", "--json", out}, args...)...)
			require.Equal(t, ExitFindings, r.code, r.stdout+r.stderr)
			var rep struct {
				Findings []struct{ Check, Event, Curl, PayloadFile string }
			}
			b, err := os.ReadFile(out)
			require.NoError(t, err)
			require.NoError(t, json.Unmarshal(b, &rep))
			require.NotEmpty(t, rep.Findings)
			f := rep.Findings[0]
			require.Equal(t, tc.event, f.Event)
			if tc.fault == receiver.FaultBodyLimit {
				assert.True(t, filepath.IsAbs(f.PayloadFile), f.PayloadFile)
				assert.FileExists(t, f.PayloadFile)
			}
			assert.NotContains(t, f.Curl, "CANARY")

			cmd := exec.Command("bash", "-c", f.Curl)
			cmd.Dir = t.TempDir() // not the report's folder: paths must hold anywhere
			for k, v := range vars {
				cmd.Env = append(cmd.Env, k+"="+v)
			}
			cmd.Env = append(cmd.Env, "PATH="+os.Getenv("PATH"))
			got, err := cmd.CombinedOutput()
			require.NoError(t, err, string(got))
			assert.True(t, strings.HasPrefix(string(got), tc.status), "the reproduction gets the same answer, so its credentials were accepted:\n%.300s", got)

			// Against a correct receiver with the same secret the same command
			// is acknowledged: the credentials it builds are right.
			gsrv, _, _ := authTarget(t, tc.hmac)
			cmd = exec.Command("bash", "-c", strings.ReplaceAll(f.Curl, srv.URL, gsrv.URL))
			cmd.Dir, cmd.Env = t.TempDir(), cmd.Env[:0]
			for k, v := range vars {
				cmd.Env = append(cmd.Env, k+"="+v)
			}
			cmd.Env = append(cmd.Env, "PATH="+os.Getenv("PATH"))
			got, err = cmd.CombinedOutput()
			require.NoError(t, err, string(got))
			assert.True(t, strings.HasPrefix(string(got), "HTTP/1.1 200"), "a correct receiver accepts the reproduction:\n%.300s", got)
		})
	}
}
