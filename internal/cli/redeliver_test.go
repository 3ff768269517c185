package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hamsasim/hamsasim/internal/load"
	"github.com/hamsasim/hamsasim/internal/receiver"
)

// Deliveries a load run gives up on are written as dead letters; redeliver
// sends them again, unchanged, and a correct receiver takes them.
func TestDeadLettersAndRedeliver(t *testing.T) {
	t.Parallel()
	vars := map[string]string{"WEBHOOK_SECRET": testSecret}
	faulty := referenceTarget(t, testSecret, receiver.FaultFailCallStarted)
	dir := filepath.Join(t.TempDir(), "run")
	r := runCLI(t, vars, "load", "--scenario", writeFile(t, "tiny.yaml", tinyScenario), "--target", faulty,
		"--report-dir", dir, "--seed", "4")
	require.Equal(t, 1, r.code, "the 500s break contract_violations == 0: %s", r.stdout+r.stderr)
	assert.Contains(t, r.stdout, "dead letters: 4 deliveries given up on")
	dead := filepath.Join(dir, "dead-letters.jsonl")
	f, err := os.Open(dead)
	require.NoError(t, err)
	letters, err := load.ReadDeadLetters(f, dead)
	f.Close()
	require.NoError(t, err)
	require.Len(t, letters, 4)
	for _, d := range letters {
		assert.Equal(t, "call.started", d.EventType)
		assert.Equal(t, 500, d.Status)
		assert.Equal(t, 1, d.Attempts)
		assert.Contains(t, string(d.Body), d.Timestamp)
	}
	s := readSummary(t, dir)
	assert.EqualValues(t, 4, s.DeadLetters)
	data, err := os.ReadFile(dead)
	require.NoError(t, err)
	assert.NotContains(t, string(data), testSecret)

	// Again at the same faulty receiver: still refused, exit 1.
	r = runCLI(t, vars, "redeliver", dead, "--target", faulty, "--retries", "0")
	assert.Equal(t, 1, r.code, r.stdout+r.stderr)
	assert.Contains(t, r.stdout, "0 of 4 dead letters acknowledged")

	// At a correct receiver: every one acknowledged, exit 0.
	good := referenceTarget(t, testSecret)
	r = runCLI(t, vars, "redeliver", dead, "--target", good)
	require.Equal(t, 0, r.code, r.stdout+r.stderr)
	assert.Equal(t, 4, strings.Count(r.stdout, "ok  "))
	assert.Contains(t, r.stdout, "4 of 4 dead letters acknowledged")
	assert.NotContains(t, r.stdout+r.stderr, testSecret)
}

func TestRedeliverBadInput(t *testing.T) {
	t.Parallel()
	good := `{"callId":"c","eventType":"call.started","timestamp":"2026-01-01T00:00:00.000Z","attempts":1,"failedAt":"2026-01-01T00:00:00Z","body":{"eventType":"call.started"}}`
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"no target", []string{"redeliver", writeFile(t, "d.jsonl", good)}, "--target is required"},
		{"missing file", []string{"redeliver", filepath.Join(t.TempDir(), "none.jsonl"), "--target", "http://127.0.0.1:9/x"}, "cannot read"},
		{"not json", []string{"redeliver", writeFile(t, "d.jsonl", good+"\nnot json\n"), "--target", "http://127.0.0.1:9/x"}, "d.jsonl:2: not a dead letter"},
		{"no body", []string{"redeliver", writeFile(t, "d.jsonl", `{"callId":"c","eventType":"x","timestamp":"t"}`), "--target", "http://127.0.0.1:9/x"}, "d.jsonl:1: body must be"},
		{"unknown field", []string{"redeliver", writeFile(t, "d.jsonl", `{"call":"c"}`), "--target", "http://127.0.0.1:9/x"}, "d.jsonl:1: not a dead letter"},
		{"bad target", []string{"redeliver", writeFile(t, "d.jsonl", good), "--target", "ftp://x"}, "is not an http:// or https:// URL"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := runCLI(t, nil, tc.args...)
			assert.Equal(t, 2, r.code, r.stdout+r.stderr)
			assert.Contains(t, r.stderr, tc.want)
		})
	}
}

// Merging shards puts their dead letters together.
func TestMergeJoinsDeadLetters(t *testing.T) {
	t.Parallel()
	vars := map[string]string{"WEBHOOK_SECRET": testSecret}
	faulty := referenceTarget(t, testSecret, receiver.FaultFailCallStarted)
	sc := writeFile(t, "tiny.yaml", tinyScenario)
	root := t.TempDir()
	var dirs []string
	for _, shard := range []string{"0/2", "1/2"} {
		dir := filepath.Join(root, "shard-"+shard[:1])
		dirs = append(dirs, dir)
		r := runCLI(t, vars, "load", "--scenario", sc, "--target", faulty, "--shard", shard, "--seed", "4", "--report-dir", dir, "--quiet")
		require.Equal(t, 1, r.code, r.stdout+r.stderr)
	}
	out := filepath.Join(root, "merged")
	r := runCLI(t, nil, append([]string{"report", "merge", "--out", out, "--quiet"}, dirs...)...)
	require.Equal(t, 1, r.code, r.stdout+r.stderr)
	data, err := os.ReadFile(filepath.Join(out, "dead-letters.jsonl"))
	require.NoError(t, err)
	assert.Equal(t, 4, strings.Count(string(data), "\n"))
	assert.EqualValues(t, 4, readSummary(t, out).DeadLetters)
}
