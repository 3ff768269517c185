package loadreport

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hamsasim/hamsasim/internal/probe"
	"github.com/hamsasim/hamsasim/internal/scenario"
)

var update = flag.Bool("update", false, "rewrite golden files")

// The report formats built from fixed summaries (the fixtures of
// html_test.go, whose times and latencies are fixed by construction), each
// compared whole with its golden file under testdata/<format>/. Run with
// -update to accept a change, and read the diff before committing it.
func TestReportsGolden(t *testing.T) {
	t.Parallel()
	formats := []struct {
		dir, ext string
		write    func(*bytes.Buffer, *Summary) error
	}{
		{"text", "txt", func(b *bytes.Buffer, s *Summary) error { return WriteText(b, s) }},
		{"junit", "xml", func(b *bytes.Buffer, s *Summary) error { return WriteJUnit(b, s) }},
		{"json", "json", func(b *bytes.Buffer, s *Summary) error { return WriteJSON(b, s) }},
	}
	summaries := map[string]func() *Summary{
		"passed": goldenPassed, "failed": goldenFailed, "capacity": goldenCapacity, "audited": goldenAudited,
	}
	for _, f := range formats {
		for name, build := range summaries {
			t.Run(f.dir+"/"+name, func(t *testing.T) {
				t.Parallel()
				var buf bytes.Buffer
				require.NoError(t, f.write(&buf, build()))
				assertGolden(t, filepath.Join("testdata", f.dir, name+".golden."+f.ext), buf.String())
			})
		}
	}
}

// TestTextStatesTheVerdict checks the lines a reader looks for first, apart
// from the golden files, so a wrong -update cannot hide them.
func TestTextStatesTheVerdict(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		s    *Summary
		want []string
	}{
		{"passed", goldenPassed(), []string{
			"hamsasim load: peak-hour-ramp against https://hooks.example.com/hamsa/webhook (seed 20261103, shard 1/4)\n",
			"  ok   p99 < 5s                         got 190ms\n",
			"end state: 0 events acknowledged, 0 dead-lettered, 0 in flight; the endpoint's side was not checked (no --probe-url or --effects-db)\n",
			"\nPASSED\n",
		}},
		{"failed", goldenFailed(), []string{
			"(seed 7, merged from 3 shards)",
			"  FAIL p99 < 2s                         got 5s\n",
			"  n/a  p99[tool.executed] < 1s          got \n",
			"\ncontract: call.answered answered 200: body.received: expected boolean, got string (3 times)\n",
			"\nstopped early: interrupted by SIGINT after 1m12s; 38 calls were in flight\n",
			"\nINTERRUPTED\n",
		}},
		{"capacity", goldenCapacity(), []string{
			"\ncapacity search (each stage: 10s warm-up, then 20s judged at steady state; offered and achieved in events/s):\n",
			"        40        484        484  260.0ms → 286.0ms    4.100s     broke: p99 < 2s; success >= 99.5%\n",
			"  capacity: holds 30 calls/s (363 events/s) ≈ 5400 concurrent 3-minute calls; the scenario's own peak, 2 calls/s, leaves 15.0× headroom; bisected to within 5 calls/s\n",
		}},
		{"audited", goldenAudited(), []string{
			"the endpoint recorded 5497 for the 1099 calls checked: 2 lost, 1 duplicated, 1 calls not checked\n  call 7f3a: call.ended lost\n",
			"\ndead letters: 3 deliveries given up on",
			"\nFAILED\n",
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			require.NoError(t, WriteText(&buf, tc.s))
			for _, w := range tc.want {
				assert.Contains(t, buf.String(), w)
			}
		})
	}
}

// TestJSONReadsBack checks summary.json is read back whole: what a merge
// or `report html` reads is what the run wrote.
func TestJSONReadsBack(t *testing.T) {
	t.Parallel()
	for name, s := range map[string]*Summary{"passed": goldenPassed(), "audited": goldenAudited()} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			require.NoError(t, WriteJSON(&buf, s))
			got, err := ReadSummary(buf.Bytes(), name+".json")
			require.NoError(t, err)
			assert.Equal(t, name+".json", got.file)
			got.file = ""
			assert.Equal(t, s, got)
		})
	}
}

// goldenAudited is goldenPassed checked against a probe API that found
// events lost and duplicated, with dead letters: it fails on its audit
// thresholds, judged here for real.
func goldenAudited() *Summary {
	s := goldenPassed()
	s.Audit = Audit{Acknowledged: 5500, DeadLettered: 3}
	s.DeadLetters = 3
	var ths []scenario.Threshold
	for _, text := range []string{"p99 < 5s", "success >= 99.5%", "tool.executed p99 < 1s", "dead_letters == 0", "lost == 0", "duplicated <= 1"} {
		th, err := scenario.ParseThreshold(text)
		if err != nil {
			panic(err)
		}
		ths = append(ths, th)
	}
	s.Audited("https://probe.example.com", "check --probe-url", 1100, probe.AuditResult{
		Checked: 1099, Recorded: 5497, Lost: 2, Duplicated: 1, Unchecked: 1,
		Problems: []string{"call 7f3a: call.ended lost", "call 91c2: call.started recorded twice"},
	}, ths)
	return s
}

func assertGolden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "golden file missing: run go test ./internal/loadreport -update")
	if string(want) == got {
		return
	}
	wl, gl := strings.Split(string(want), "\n"), strings.Split(got, "\n")
	for i := range max(len(wl), len(gl)) {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			t.Errorf("%s differs first at line %d\nwant: %s\n got: %s\n(run with -update to accept)", path, i+1, w, g)
			return
		}
	}
}
