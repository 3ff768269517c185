package cli

import (
	"encoding/json"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/hamsasim/hamsasim/internal/loadreport"
)

// A target that echoes the Authorization value every way it can (reason
// phrase, body, a reply that is not HTTP) and a token in the target's query:
// neither reaches summary.json, report.html, results.bin, the JUnit file or
// the terminal.
func TestLoadHostileTargetLeaksNoSecret(t *testing.T) {
	t.Parallel()
	var n atomic.Int64
	raw := func(w http.ResponseWriter, text string) {
		c, buf, err := w.(http.Hijacker).Hijack()
		if err != nil {
			t.Errorf("hijack: %v", err)
			return
		}
		_, _ = buf.WriteString(text)
		_ = buf.Flush()
		_ = c.Close()
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		auth := r.Header.Get("Authorization")
		quoted, _ := json.Marshal(auth)
		switch n.Add(1) % 4 {
		case 0:
			body := `{"error":` + string(quoted) + `}`
			raw(w, "HTTP/1.1 401 "+auth+"\r\nContent-Type: application/json\r\nContent-Length: "+strconv.Itoa(len(body))+"\r\nConnection: close\r\n\r\n"+body)
		case 1:
			raw(w, auth+"\r\n\r\n")
		case 2:
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `{"received":`+string(quoted)+`}`)
		default:
			time.Sleep(500 * time.Millisecond) // past the timeout
		}
	}))
	t.Cleanup(srv.Close)
	sc := writeFile(t, "hostile.yaml", `
name: hostile
duration: 1s
arrival: {constant: 4}
mix: [{fixture: no-answer, weight: 1}]
timeScale: 0.001
delivery: {timeout: 300ms, retries: 0}
thresholds: [contract_violations == 0]
`)
	dir := filepath.Join(t.TempDir(), "run")
	junit := filepath.Join(t.TempDir(), "load.xml")
	// A contract that declares answer bodies, so the echoed 200 breaks it.
	r := runCLI(t, map[string]string{"WEBHOOK_SECRET": testSecret}, "load", "--scenario", sc,
		"--spec", "../contract/testdata/strict-answers.yaml",
		"--target", srv.URL+"/hook?key=query-secret-123", "--report-dir", dir, "--junit", junit, "--seed", "1")
	require.Equal(t, 1, r.code, r.stdout+r.stderr)
	s := readSummary(t, dir)
	assert.Positive(t, s.Overall.ContractViolations)
	assert.Positive(t, s.Overall.Timeouts)
	assert.Positive(t, s.Overall.Status["protocol"], "%v", s.Overall.Status)
	token := strings.TrimPrefix(testSecret, "Bearer ")
	texts := map[string]string{"stdout": r.stdout, "stderr": r.stderr}
	for _, f := range []string{filepath.Join(dir, "summary.json"), filepath.Join(dir, "report.html"), filepath.Join(dir, "results.bin"), junit} {
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		texts[f] = string(data)
	}
	for name, text := range texts {
		assert.NotContains(t, text, token, name)
		assert.NotContains(t, text, "query-secret-123", name)
	}
}

// Damaged shard summaries give exit 2 with a message naming what is wrong,
// at once; absurd but well-formed counts still merge without a panic.
func TestReportMergeDamagedSummaries(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	summary := func(i, n int, edit func(*loadreport.Summary)) *loadreport.Summary {
		s := &loadreport.Summary{Version: loadreport.SummaryVersion, Tool: "hamsasim", Scenario: "s", Seed: 1,
			Shard: loadreport.Shard{Index: i, Count: n}, ArrivalMs: 1000, StartedAt: start, EndedAt: start.Add(2 * time.Second),
			Timeline:   loadreport.Timeline{BucketMs: 1000, Buckets: []loadreport.Bucket{{AtMs: 0, Attempts: 1}}},
			Thresholds: []loadreport.ThresholdResult{{Threshold: "p99 < 5s"}, {Threshold: "errors == 0"}},
			Histograms: map[string]string{}}
		if edit != nil {
			edit(s)
		}
		return s
	}
	write := func(t *testing.T, s *loadreport.Summary) string {
		dir := t.TempDir()
		f, err := os.Create(filepath.Join(dir, "summary.json"))
		require.NoError(t, err)
		require.NoError(t, loadreport.WriteJSON(f, s))
		require.NoError(t, f.Close())
		return dir
	}
	huge := func(s *loadreport.Summary) {
		s.Calls.Started, s.Calls.MaxInFlight = math.MaxInt64, math.MaxInt64
		s.Overall.Deliveries, s.Overall.Acked, s.Overall.Attempts = math.MaxInt64, math.MaxInt64, math.MaxInt64
		s.Overall.Status = map[string]int64{"200": math.MaxInt64}
		s.PerType = []loadreport.TypeStats{{Type: "call.started", Stats: s.Overall}}
		s.Timeline.Buckets[0].Attempts = math.MaxInt64
	}
	cases := []struct {
		name  string
		parts []*loadreport.Summary
		code  int
		want  string
	}{
		{"histogram", []*loadreport.Summary{summary(0, 2, nil), summary(1, 2, func(s *loadreport.Summary) { s.Histograms["overall"] = "not base64!" })}, 2, `histogram "overall" is damaged`},
		{"bucket histogram", []*loadreport.Summary{summary(0, 2, nil), summary(1, 2, func(s *loadreport.Summary) { s.Timeline.Buckets[0].Histogram = "AAAA" })}, 2, "timeline histogram is damaged"},
		{"negative shard", []*loadreport.Summary{summary(0, 2, nil), summary(-1, 2, nil)}, 2, "shard -1/2 is not valid"},
		{"huge shard count", []*loadreport.Summary{summary(0, 1<<40, nil)}, 2, "is not valid"},
		{"far bucket", []*loadreport.Summary{summary(0, 2, nil), summary(1, 2, func(s *loadreport.Summary) { s.Timeline.Buckets[0].AtMs = 1 << 50 })}, 2, "timelines span"},
		{"zero start", []*loadreport.Summary{summary(0, 2, nil), summary(1, 2, func(s *loadreport.Summary) { s.StartedAt = time.Time{} })}, 2, "timelines span"},
		{"huge counts", []*loadreport.Summary{summary(0, 2, huge), summary(1, 2, huge)}, 0, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			args := []string{"report", "merge", "--out", filepath.Join(t.TempDir(), "merged")}
			for _, p := range tc.parts {
				args = append(args, write(t, p))
			}
			began := time.Now()
			r := runCLI(t, nil, args...)
			assert.Less(t, time.Since(began), 3*time.Second)
			assert.Equal(t, tc.code, r.code, r.stdout+r.stderr)
			assert.Contains(t, r.stderr, tc.want)
			assert.NotContains(t, r.stdout+r.stderr, "panic")
		})
	}
}

// report merge never writes over a shard it reads: --out naming a shard's
// folder is refused, and the shard's files stay as they were.
func TestReportMergeOutIsAShard(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	root := t.TempDir()
	var dirs []string
	for i := range 2 {
		dir := filepath.Join(root, "shard-"+strconv.Itoa(i))
		require.NoError(t, os.MkdirAll(dir, 0o755))
		s := &loadreport.Summary{Version: loadreport.SummaryVersion, Tool: "hamsasim", Scenario: "s", Seed: 1,
			Shard: loadreport.Shard{Index: i, Count: 2}, ArrivalMs: 1000, StartedAt: start, EndedAt: start.Add(time.Second),
			Histograms: map[string]string{}}
		f, err := os.Create(filepath.Join(dir, "summary.json"))
		require.NoError(t, err)
		require.NoError(t, loadreport.WriteJSON(f, s))
		require.NoError(t, f.Close())
		rf, err := os.Create(filepath.Join(dir, "results.bin"))
		require.NoError(t, err)
		enc := vegeta.NewEncoder(rf)
		for k := range 3 + i {
			require.NoError(t, enc.Encode(&vegeta.Result{Attack: "call.started", Seq: uint64(10*i + k), Code: 200, Timestamp: start}))
		}
		require.NoError(t, rf.Close())
		dirs = append(dirs, dir)
	}
	before, err := os.ReadFile(filepath.Join(dirs[0], "results.bin"))
	require.NoError(t, err)
	r := runCLI(t, nil, "report", "merge", "--out", dirs[0], dirs[0], dirs[1])
	assert.Equal(t, 2, r.code, r.stdout+r.stderr)
	assert.Contains(t, r.stderr, "--out")
	after, err := os.ReadFile(filepath.Join(dirs[0], "results.bin"))
	require.NoError(t, err)
	assert.Equal(t, before, after, "the shard's results are untouched")
	_, err = loadreport.ReadSummary(mustRead(t, filepath.Join(dirs[0], "summary.json")), "shard-0")
	assert.NoError(t, err, "the shard's summary is untouched")
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	return data
}
