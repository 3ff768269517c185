package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// badInput is one bad input as a user would give it: the command line, the
// exit code, and the golden file holding the exact message on stderr.
type badInput struct {
	golden string // under testdata/bad, without .err
	args   []string
	code   int
}

// badInputs is the corpus of bad files and flags of the commands (the bad
// fixtures and scenarios have their own, in internal/fixture and
// internal/scenario). Paths are relative to this package's folder; "$TMP"
// in an argument is a fresh temporary folder.
func badInputs() []badInput {
	feature := func(name string, code int, extra ...string) badInput {
		return badInput{golden: "features/" + name, args: append([]string{"features", "testdata/bad/features/" + name + ".feature"}, extra...), code: code}
	}
	spec := func(name string) badInput {
		return badInput{golden: "specs/" + name, args: []string{"fixtures", "validate", "--spec", "testdata/bad/specs/" + name + ".yaml"}, code: ExitUsage}
	}
	flags := func(name string, args ...string) badInput {
		return badInput{golden: "flags/" + name, args: args, code: ExitUsage}
	}
	return []badInput{
		feature("syntax", ExitUsage),
		feature("empty", ExitUsage),
		feature("no-scenario", ExitUsage),
		feature("inconsistent-table", ExitUsage),
		// Undefined steps are named with the nearest ones before anything
		// runs; only --strict makes them fail the run (exit 1, as godog).
		feature("undefined-step", ExitFindings, "--strict", "--format", "progress"),
		feature("wrong-type", ExitFindings, "--strict", "--format", "progress"),

		spec("not-yaml"),
		spec("not-openapi"),
		spec("empty"),
		spec("no-webhooks"),
		spec("no-post"),
		spec("broken-ref"),
		spec("missing-call-ended"),

		flags("simulate-unknown-flag", "simulate", "--targt", "http://127.0.0.1:9/webhook"),
		flags("simulate-bad-auth", "simulate", "--auth", "basic"),
		flags("simulate-target-not-a-url", "simulate", "--target", "127.0.0.1:8080/webhook"),
		flags("simulate-retries-not-a-number", "simulate", "--retries", "many"),
		flags("simulate-bad-time-scale", "simulate", "--time-scale", "fast"),
		flags("simulate-unknown-probe-group", "simulate", "--probes", "lifecycle,autth"),
		flags("simulate-unknown-fixture", "simulate", "--fixtures", "job-intervew"),
		flags("simulate-missing-spec", "simulate", "--spec", "testdata/bad/specs/no-such.yaml"),
		flags("load-bad-duration", "load", "--scenario", "steady", "--duration", "10x"),
		flags("load-shard-without-seed", "load", "--scenario", "steady", "--shard", "0/2"),
		flags("load-unknown-scenario", "load", "--scenario", "stedy"),
		flags("load-unknown-fixture", "load", "--scenario", "testdata/bad/files/scenario-unknown-fixture.yaml"),
		flags("load-target-not-a-url", "load", "--scenario", "steady", "--target", "hamsa.example.com/hook"),
		flags("load-unknown-event-type", "load", "--scenario", "steady", "--events", "call.started,call.ende"),
		flags("load-metrics-listen-malformed", "load", "--scenario", "steady", "--metrics-listen", "localhost"),
		// --effects-db cases that need no server; effectsdb_test.go has
		// those that do (credentials, queries, columns, writes).
		flags("simulate-effects-db-unknown-scheme", "simulate", "--effects-db", "redis://audit:hunter2-secret@127.0.0.1:6379/0", "--effects-query", "SELECT 1"),
		flags("simulate-effects-db-unreachable", "simulate", "--effects-db", "postgres://audit:hunter2-secret@127.0.0.1:1/app?sslmode=disable", "--effects-query", "SELECT event_type, 1 AS events FROM t WHERE id = $1"),
		flags("simulate-effects-db-without-query", "simulate", "--effects-db", "postgres://audit:hunter2-secret@127.0.0.1:1/app"),
		flags("simulate-effects-query-without-db", "simulate", "--effects-query", "SELECT 1"),
		flags("simulate-effects-db-and-probe-url", "simulate", "--probe-url", "http://127.0.0.1:9", "--effects-db", "sqlite:testdata/bad/no-such.db", "--effects-query", "SELECT 1"),
		flags("load-effects-db-find-capacity", "load", "--scenario", "steady", "--find-capacity", "--effects-db", "sqlite:testdata/bad/no-such.db", "--effects-query", "SELECT 1"),
		flags("load-effects-db-no-such-file", "load", "--scenario", "steady", "--effects-db", "sqlite:testdata/bad/no-such.db", "--effects-query", "SELECT 1"),
		flags("features-effects-db-sqlite-params", "features", "--effects-db", "sqlite:app.db?mode=rw", "--effects-query", "SELECT 1"),
		flags("features-bad-tags", "features", "--tags", "@auth,"),
		flags("features-unknown-format", "features", "--format", "html"),
		flags("features-concurrency", "features", "--concurrency", "0"),
		flags("redeliver-no-target", "redeliver", "testdata/bad/files/dead-letters-cut.jsonl"),
		flags("redeliver-cut-file", "redeliver", "testdata/bad/files/dead-letters-cut.jsonl", "--target", "http://127.0.0.1:9/webhook"),
		flags("redeliver-bad-auth", "redeliver", "testdata/bad/files/dead-letters.jsonl", "--target", "http://127.0.0.1:9/webhook", "--auth", "token"),
		flags("merge-no-out", "report", "merge", "testdata/bad/files"),
		flags("merge-missing-run", "report", "merge", "--out", "$TMP", "testdata/bad/no-such-run"),
		flags("receiver-bad-durability", "receiver", "--no-auth", "--durability", "always"),
		flags("receiver-unknown-fault", "receiver", "--no-auth", "--fault", "slow"),
	}
}

// TestBadInputCorpus runs every bad input through the command line as a
// user would and compares stderr with its golden file: one clear message,
// the right exit code, never a panic or a stack trace, nothing on stdout
// for usage errors. go test ./internal/cli -run TestBadInputCorpus -update
// rewrites the goldens.
func TestBadInputCorpus(t *testing.T) {
	t.Parallel()
	wd, err := os.Getwd()
	require.NoError(t, err)
	for _, tc := range badInputs() {
		t.Run(tc.golden, func(t *testing.T) {
			t.Parallel()
			tmp := t.TempDir()
			args := make([]string, len(tc.args))
			for i, a := range tc.args {
				args[i] = strings.ReplaceAll(a, "$TMP", tmp)
			}
			r := runCLI(t, map[string]string{"WEBHOOK_SECRET": testSecret}, args...)

			assert.Equal(t, tc.code, r.code, "stderr: %s", r.stderr)
			for _, s := range []string{r.stdout, r.stderr} {
				assert.NotContains(t, s, "panic")
				assert.NotContains(t, s, "goroutine ")
				assert.NotContains(t, s, testSecret)
				assert.NotContains(t, s, "hunter2", "a DSN's password is never shown")
			}
			if tc.code == ExitUsage {
				assert.Empty(t, r.stdout, "a usage error prints nothing on stdout")
				assert.Equal(t, 1, strings.Count(r.stderr, "hamsasim: "), "one message: %s", r.stderr)
			}
			got := strings.ReplaceAll(strings.ReplaceAll(r.stderr, tmp, "$TMP"), wd, ".")
			golden := filepath.Join("testdata", "bad", filepath.FromSlash(tc.golden)+".err")
			if *update {
				require.NoError(t, os.WriteFile(golden, []byte(got), 0o644))
				return
			}
			want, err := os.ReadFile(golden)
			require.NoError(t, err, "run with -update to create it")
			assert.Equal(t, string(want), got)
		})
	}
}

// TestBadInputCorpusIsComplete keeps the corpus and its files in step: every
// input file has a case, every golden a case.
func TestBadInputCorpusIsComplete(t *testing.T) {
	t.Parallel()
	cases := map[string]bool{}
	for _, tc := range badInputs() {
		cases[tc.golden] = true
	}
	var files []string
	for _, pat := range []string{"features/*.feature", "specs/*.yaml", "*/*.err"} {
		m, err := filepath.Glob(filepath.Join("testdata", "bad", pat))
		require.NoError(t, err)
		files = append(files, m...)
	}
	require.NotEmpty(t, files)
	for _, f := range files {
		rel, err := filepath.Rel(filepath.Join("testdata", "bad"), f)
		require.NoError(t, err)
		name := strings.TrimSuffix(filepath.ToSlash(rel), filepath.Ext(rel))
		assert.True(t, cases[name], "%s has no case in badInputs", f)
	}
	assert.GreaterOrEqual(t, len(cases), 25)
}
