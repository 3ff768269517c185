package cli

import (
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// --metrics-listen with a malformed address or a port already taken exits
// 2 with a message naming the flag and the address, before any load is
// sent and before any report is written.
func TestLoadMetricsListenBadAddress(t *testing.T) {
	t.Parallel()
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { taken.Close() })
	cases := []struct {
		name, addr, want string
	}{
		{"no port", "9464", `--metrics-listen "9464" is not an address to listen on: use host:port or :port`},
		{"port out of range", "127.0.0.1:70000", `--metrics-listen "127.0.0.1:70000" is not an address to listen on`},
		{"port taken", taken.Addr().String(), "--metrics-listen " + taken.Addr().String() + ": the port is already in use"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var hits atomic.Int64
			target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
			t.Cleanup(target.Close)
			dir := filepath.Join(t.TempDir(), "run")
			r := runCLI(t, nil, "load", "--scenario", writeFile(t, "tiny.yaml", tinyScenario), "--target", target.URL+"/webhook",
				"--auth", "none", "--metrics-listen", tc.addr, "--report-dir", dir)
			assert.Equal(t, ExitUsage, r.code, r.stdout+r.stderr)
			assert.Contains(t, r.stderr, tc.want)
			assert.Empty(t, r.stdout)
			assert.Zero(t, hits.Load(), "no request reached the target")
			_, err := os.Stat(dir)
			assert.True(t, os.IsNotExist(err), "no report written")
		})
	}
}

var metricsAt = regexp.MustCompile(`metrics at (http://127\.0\.0\.1:\d+/metrics) while the run goes\n`)

// A run with --metrics-listen says where the metrics are, runs as usual,
// and stops serving when it ends. Off a terminal its progress has no
// carriage return or escape code.
func TestLoadMetricsListenServesDuringTheRun(t *testing.T) {
	t.Parallel()
	target := referenceTarget(t, testSecret)
	r := runCLI(t, map[string]string{"WEBHOOK_SECRET": testSecret}, "load", "--scenario", writeFile(t, "tiny.yaml", tinyScenario),
		"--target", target, "--report-dir", filepath.Join(t.TempDir(), "run"), "--seed", "1", "--metrics-listen", "127.0.0.1:0")
	require.Equal(t, 0, r.code, r.stdout+r.stderr)
	m := metricsAt.FindStringSubmatch(r.stderr)
	require.NotNil(t, m, r.stderr)
	_, err := http.Get(m[1])
	assert.Error(t, err, "the server stopped with the run")
	assert.NotContains(t, r.stderr, "\r")
	assert.NotContains(t, r.stderr, "\x1b")

	quiet := runCLI(t, map[string]string{"WEBHOOK_SECRET": testSecret}, "load", "--scenario", writeFile(t, "tiny.yaml", tinyScenario),
		"--target", target, "--report-dir", filepath.Join(t.TempDir(), "run"), "--seed", "1", "--metrics-listen", "127.0.0.1:0", "--quiet")
	require.Equal(t, 0, quiet.code, quiet.stdout+quiet.stderr)
	assert.Empty(t, quiet.stderr, "--quiet: no progress, no metrics line")
}
