package cli

import (
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// noDashFile fails the test if a report was written to a file named "-"
// in the working directory instead of to standard output.
func noDashFile(t *testing.T) {
	t.Helper()
	_, err := os.Stat(stdoutPath)
	assert.True(t, os.IsNotExist(err), "a file named - was written")
}

// TestReportToStdout: "-" is standard output for every report flag; the
// human summary then goes to stderr, so stdout is one clean document.
func TestReportToStdout(t *testing.T) {
	t.Parallel()
	isJSON := func(t *testing.T, s string) {
		var v map[string]any
		require.NoError(t, json.Unmarshal([]byte(s), &v), "stdout is not one JSON document: %.300s", s)
		assert.Contains(t, v, "passed")
	}
	isXML := func(t *testing.T, s string) {
		var v struct {
			XMLName xml.Name
		}
		require.NoError(t, xml.Unmarshal([]byte(s), &v), "stdout is not one XML document: %.300s", s)
		assert.Equal(t, "testsuites", v.XMLName.Local)
	}
	tiny := writeFile(t, "tiny.yaml", tinyScenario)
	shard := filepath.Join(t.TempDir(), "shard")
	cases := []struct {
		name    string
		args    []string
		doc     func(*testing.T, string)
		summary string // in stderr
	}{
		{"simulate --json -", []string{"simulate", "--fixtures", shipped("ends-early"), "--probes", "lifecycle", "--json", "-"}, isJSON, "PASSED: 6 events sent"},
		{"simulate --junit -", []string{"simulate", "--fixtures", shipped("ends-early"), "--probes", "lifecycle", "--junit", "-", "--json", filepath.Join(t.TempDir(), "r.json")}, isXML, "PASSED: 6 events sent"},
		{"simulate --quiet --json -", []string{"simulate", "--fixtures", shipped("ends-early"), "--probes", "lifecycle", "--json", "-", "-q"}, isJSON, "PASSED: 6 events, 6 acknowledged"},
		{"load --json -", []string{"load", "--scenario", tiny, "--seed", "3", "--report-dir", shard, "--json", "-"}, isJSON, "hamsasim load: tiny against embedded reference receiver"},
		{"load --junit -", []string{"load", "--scenario", tiny, "--seed", "3", "--report-dir", filepath.Join(t.TempDir(), "r"), "--junit", "-", "-q"}, isXML, "PASSED: tiny"},
		{"features --format junit:-", []string{"features", "../../features/auth.feature", "--format", "junit:-"}, isXML, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := runCLI(t, nil, tc.args...)
			require.Equal(t, ExitPassed, r.code, r.stderr)
			tc.doc(t, r.stdout)
			assert.Contains(t, r.stderr, tc.summary)
			noDashFile(t)
		})
	}
	// report merge reads the load run's shard (the case above ran first: subtests without t.Parallel run in order).
	r := runCLI(t, nil, "report", "merge", "--out", filepath.Join(t.TempDir(), "merged"), "--json", "-", shard)
	require.Equal(t, ExitPassed, r.code, r.stderr)
	isJSON(t, r.stdout)
	assert.Contains(t, r.stderr, "merged from 1 shards")
	noDashFile(t)
}

func TestReportToStdoutUsageErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"two reports to -", []string{"simulate", "--json", "-", "--junit", "-"}, "--json - and --junit - both write to standard output; send one of them to a file"},
		{"load: two reports to -", []string{"load", "--scenario", "steady", "--json", "-", "--junit", "-"}, "--json - and --junit - both write to standard output"},
		{"a report folder is not stdout", []string{"load", "--scenario", "steady", "--report-dir", "-"}, "--report-dir -: --report-dir takes a folder, not standard output; --json - writes the summary there"},
		{"merge: the folder is not stdout", []string{"report", "merge", "--out", "-", "testdata/bad/files"}, "--out -: --out takes a folder, not standard output"},
		{"features: two formatters to stdout", []string{"features", "--format", "pretty,junit:-"}, `--format "pretty,junit:-": pretty and junit both write to standard output`},
		{"a profile is not text", []string{"load", "--scenario", "steady", "--duration", "1s", "--cpu-profile", "-", "--report-dir", t.TempDir()}, "--cpu-profile -: a profile is binary; give it a file"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := runCLI(t, nil, tc.args...)
			assert.Equal(t, ExitUsage, r.code, r.stdout+r.stderr)
			assert.Contains(t, r.stderr, tc.want)
			assert.Empty(t, r.stdout)
			noDashFile(t)
		})
	}
}
