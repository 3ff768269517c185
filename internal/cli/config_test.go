package cli

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/spf13/cobra"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hamsasim/hamsasim/internal/receiver"
)

// writeConfig writes a config file into a new temporary folder.
func writeConfig(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), ConfigFileName)
	require.NoError(t, os.WriteFile(path, []byte(content), 0o644))
	return path
}

// columns separates the columns of the config table.
var columns = regexp.MustCompile(`\s{2,}`)

// configRows runs `hamsasim config ARGS` and returns its table: flag ->
// value and origin, with the config file's path written FILE.
func configRows(t *testing.T, vars map[string]string, file string, args ...string) map[string][2]string {
	t.Helper()
	res := runCLI(t, vars, append([]string{"config"}, args...)...)
	require.Equal(t, ExitPassed, res.code, res.stderr)
	rows := map[string][2]string{}
	for _, line := range strings.Split(res.stdout, "\n") {
		f := columns.Split(line, -1)
		if len(f) == 3 && strings.HasPrefix(f[0], "--") {
			rows[f[0]] = [2]string{f[1], strings.ReplaceAll(f[2], file, "FILE")}
		}
	}
	return rows
}

func TestConfigPrecedence(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		file string
		vars map[string]string
		args []string
		want map[string][2]string
	}{
		{
			name: "file only",
			file: "target: http://127.0.0.1:9/hook\nconcurrency: 8\n",
			want: map[string][2]string{"--target": {"http://127.0.0.1:9/hook", "FILE:1"}, "--concurrency": {"8", "FILE:2"}},
		},
		{
			name: "env beats file",
			file: "target: http://127.0.0.1:9/hook\nconcurrency: 8\n",
			vars: map[string]string{"HAMSASIM_CONCURRENCY": "5"},
			want: map[string][2]string{"--target": {"http://127.0.0.1:9/hook", "FILE:1"}, "--concurrency": {"5", "env HAMSASIM_CONCURRENCY"}},
		},
		{
			name: "flag beats env and file",
			file: "concurrency: 8\n",
			vars: map[string]string{"HAMSASIM_CONCURRENCY": "5"},
			args: []string{"simulate", "--concurrency", "3"},
			want: map[string][2]string{"--concurrency": {"3", "flag"}},
		},
		{
			name: "the command's section beats the top level",
			file: "concurrency: 8\nretries: 1\nsimulate:\n  concurrency: 2\n",
			want: map[string][2]string{"--concurrency": {"2", "FILE:4"}, "--retries": {"1", "FILE:2"}},
		},
		{
			name: "another command's section does not apply",
			file: "features:\n  concurrency: 6\nload:\n  scenario: steady\n",
			want: map[string][2]string{},
		},
		{
			name: "top-level keys apply only to commands with the flag",
			file: "scenario: steady\nprobes: [lifecycle, duplicate]\n",
			vars: map[string]string{"HAMSASIM_WORKERS": "9"},
			want: map[string][2]string{"--probes": {"lifecycle,duplicate", "FILE:2"}},
		},
		{
			name: "slice flags from a list and from a variable",
			file: "load:\n  events: [call.started, call.ended]\n",
			vars: map[string]string{"HAMSASIM_SCENARIO": "steady", "HAMSASIM_FIXTURES": "a.yaml,b.yaml"},
			args: []string{"load"},
			want: map[string][2]string{"--events": {"call.started,call.ended", "FILE:2"}, "--scenario": {"steady", "env HAMSASIM_SCENARIO"}, "--fixtures": {"a.yaml,b.yaml", "env HAMSASIM_FIXTURES"}},
		},
		{
			name: "repeatable flags: a list in the file, one value per line in a variable",
			file: "load:\n  threshold: [\"lost == 0\", \"p99 < 2s\"]\nsimulate:\n  param: [\"tags=a,b\"]\n",
			vars: map[string]string{"HAMSASIM_PARAM": "x=1\ny=2\n"},
			args: []string{"load"},
			want: map[string][2]string{"--threshold": {"lost == 0,p99 < 2s", "FILE:2"}},
		},
		{
			name: "a repeatable flag from a variable beats the file",
			file: "simulate:\n  param: [\"tags=a,b\"]\n",
			vars: map[string]string{"HAMSASIM_PARAM": "x=1,2\ny=2\n"},
			want: map[string][2]string{"--param": {"x=1,2,y=2", "env HAMSASIM_PARAM"}},
		},
		{
			name: "a list item may hold a comma",
			file: "simulate:\n  param: [\"tags=a,b\", \"n=1\"]\n",
			want: map[string][2]string{"--param": {"tags=a,b,n=1", "FILE:2"}},
		},
		{
			name: "nested sections: the deepest wins",
			file: "junit: top.xml\nreport:\n  junit: report.xml\n  merge:\n    out: merged\n    quiet: true\n",
			args: []string{"report", "merge"},
			want: map[string][2]string{"--junit": {"report.xml", "FILE:3"}, "--out": {"merged", "FILE:5"}, "--quiet": {"true", "FILE:6"}},
		},
		{
			name: "a key that is both a command and a flag",
			file: "fixtures: [my/calls]\n",
			want: map[string][2]string{"--fixtures": {"my/calls", "FILE:1"}},
		},
		{
			name: "URLs are shown redacted",
			file: "target: https://user:pass@staging.example.com/hook?key=k1\n",
			want: map[string][2]string{"--target": {"https://REDACTED@staging.example.com/hook?REDACTED", "FILE:1"}},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			path := writeConfig(t, tc.file)
			vars := map[string]string{"HAMSASIM_CONFIG": path}
			for k, v := range tc.vars {
				vars[k] = v
			}
			got := configRows(t, vars, path, tc.args...)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestConfigFlagNamesTheFile(t *testing.T) {
	t.Parallel()
	envFile := writeConfig(t, "concurrency: 8\n")
	flagFile := writeConfig(t, "concurrency: 9\n")
	vars := map[string]string{"HAMSASIM_CONFIG": envFile}
	res := runCLI(t, vars, "config", "simulate", "--config", flagFile)
	require.Equal(t, ExitPassed, res.code, res.stderr)
	assert.Contains(t, res.stdout, "config file: "+flagFile+" (from --config)")
	assert.Contains(t, res.stdout, "--concurrency  9")

	res = runCLI(t, vars, "config", "--config", "")
	require.Equal(t, ExitPassed, res.code, res.stderr)
	assert.Contains(t, res.stdout, "config file: none (--config '')")
	assert.Contains(t, res.stdout, "every flag has its default")
}

// tree makes files (content "{}") and folders (ending in /) below a new
// temporary folder and returns it.
func tree(t *testing.T, paths ...string) string {
	t.Helper()
	root := t.TempDir()
	for _, p := range paths {
		full := filepath.Join(root, p)
		if strings.HasSuffix(p, "/") {
			require.NoError(t, os.MkdirAll(full, 0o755))
			continue
		}
		require.NoError(t, os.MkdirAll(filepath.Dir(full), 0o755))
		require.NoError(t, os.WriteFile(full, []byte("{}"), 0o644))
	}
	return root
}

func TestLocateConfig(t *testing.T) {
	t.Parallel()
	// Each tree has a .git, so that no search leaves it for the temporary
	// folder's parents.
	withFile := tree(t, ".git/", ConfigFileName)
	without := tree(t, ".git/", "sub/")
	repo := tree(t, ".git/", ConfigFileName, "a/b/")
	nested := tree(t, ConfigFileName, "repo/.git/", "repo/sub/") // a file above the repository
	worktree := tree(t, ConfigFileName, "wt/.git", "wt/sub/")    // .git a file, as in a worktree
	inner := tree(t, ".git/", ConfigFileName, "a/"+ConfigFileName, "a/b/")
	cases := []struct {
		name      string
		dir       string
		flag      string
		flagGiven bool
		env       string
		wantPath  string
		wantHow   string
	}{
		{name: "found in the folder", dir: withFile, wantPath: filepath.Join(withFile, ConfigFileName), wantHow: howHere},
		{name: "none in the folder or above", dir: filepath.Join(without, "sub")},
		{name: "found in the repository's root from a subfolder", dir: filepath.Join(repo, "a", "b"), wantPath: filepath.Join(repo, ConfigFileName), wantHow: howAbove},
		{name: "the nearest wins", dir: filepath.Join(inner, "a", "b"), wantPath: filepath.Join(inner, "a", ConfigFileName), wantHow: howAbove},
		{name: "not above the repository's root", dir: filepath.Join(nested, "repo", "sub")},
		{name: "not above a worktree's root", dir: filepath.Join(worktree, "wt", "sub")},
		{name: "the variable beats the search", dir: withFile, env: "ci.yaml", wantPath: "ci.yaml", wantHow: "HAMSASIM_CONFIG"},
		{name: "the flag beats the variable", dir: withFile, env: "ci.yaml", flag: "x.yaml", flagGiven: true, wantPath: "x.yaml", wantHow: howFlag},
		{name: "an empty flag reads none", dir: withFile, flagGiven: true, wantHow: howFlag},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			getenv := func(k string) string {
				if k == "HAMSASIM_CONFIG" {
					return tc.env
				}
				return ""
			}
			path, how := locateConfig(tc.flag, tc.flagGiven, getenv, tc.dir)
			assert.Equal(t, tc.wantPath, path)
			assert.Equal(t, tc.wantHow, how)
		})
	}
}

func TestResolvePaths(t *testing.T) {
	t.Parallel()
	cases := []struct {
		flag   string
		values []string
		want   []string
	}{
		{"fixtures", []string{"fixtures/calls", "/abs/x.yaml"}, []string{"../../fixtures/calls", "/abs/x.yaml"}},
		{"json", []string{"-"}, []string{"-"}},
		{"junit", []string{"reports/s.xml"}, []string{"../../reports/s.xml"}},
		{"scenario", []string{"steady"}, []string{"steady"}},
		{"scenario", []string{"qa/soak.yaml"}, []string{"../../qa/soak.yaml"}},
		{"scenario", []string{"mine.yml"}, []string{"../../mine.yml"}},
		{"format", []string{"progress,junit:reports/f.xml,cucumber:-"}, []string{"progress,junit:../../reports/f.xml,cucumber:-"}},
	}
	for _, tc := range cases {
		assert.Equal(t, tc.want, resolvePaths(tc.flag, tc.values, filepath.Join("..", "..")), "%s %v", tc.flag, tc.values)
	}
}

func TestConfigErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		file string
		vars map[string]string
		args []string
		want string
	}{
		{name: "unknown key with a suggestion", file: "concurrency: 2\ntagret: http://127.0.0.1:9/\n", want: "FILE:2: tagret: not a flag of any command; did you mean target?"},
		{name: "unknown key in a section", file: "simulate:\n  retires: 3\n", want: "FILE:2: simulate.retires: not a flag of hamsasim simulate; did you mean retries?"},
		{name: "another command's flag in a section", file: "simulate:\n  scenario: steady\n", want: "FILE:2: simulate.scenario: not a flag of hamsasim simulate; it is a flag of hamsasim load"},
		{name: "unknown section", file: "simulat:\n  target: http://127.0.0.1:9/\n", want: "FILE:1: simulat: not a command; did you mean simulate?"},
		{name: "camelCase", file: "probeUrl: http://127.0.0.1:9/\n", want: "FILE:1: probeUrl: write it as the flag is spelled, probe-url"},
		{name: "secret-like key", file: "target: http://127.0.0.1:9/\ntoken: sk_test_123\n", want: "FILE:2: token: the config file never holds a secret: put it in an environment variable (in CI, the secret store) and name that variable with secret-env"},
		{name: "authorization key", file: "simulate:\n  authorization: x\n", want: "FILE:2: simulate.authorization: the config file never holds a secret"},
		{name: "a secret as a value", file: "secret-env: " + testSecret + "\n", want: "FILE:1: secret-env: this value looks like a secret"},
		{name: "secret-env not a variable name", file: "secret-env: my token\n", want: "FILE:1: secret-env takes the name of the environment variable that holds the secret"},
		{name: "bad value in the file", file: "concurrency: lots\n", want: "FILE:1: concurrency: \"lots\" is not a whole number"},
		{name: "bad duration in a section", file: "load:\n  duration: 5 minutes\n", args: []string{"config", "load"}, want: "FILE:2: duration: \"5 minutes\" is not a duration (such as 500ms, 30s, 2m or 1h30m)"},
		{name: "a list for a one-value flag", file: "target: [http://127.0.0.1:9/a, http://127.0.0.1:9/b]\n", want: "FILE:1: target: \"http://127.0.0.1:9/a\", \"http://127.0.0.1:9/b\" is a list, but the flag takes one value"},
		{name: "no value", file: "target:\n", want: "FILE:1: target: has no value"},
		{name: "empty list", file: "fixtures: []\n", want: "FILE:1: fixtures: an empty list"},
		{name: "given twice", file: "retries: 1\nretries: 2\n", want: "FILE:2: retries: given twice"},
		{name: "not YAML", file: "target: [\n", want: "FILE:1: not valid YAML"},
		{name: "config names a config", file: "config: other.yaml\n", want: "FILE:1: config: a config file cannot name another one"},
		{name: "yes in the file", file: "load:\n  yes: true\n", args: []string{"config", "load"}, want: "FILE:2: load.yes: --yes turns off a safeguard and must be given on the command line each time"},
		{name: "yes from a variable", vars: map[string]string{"HAMSASIM_YES": "true"}, args: []string{"load", "--scenario", "steady"}, want: "HAMSASIM_YES: --yes turns off a safeguard"},
		{name: "bad value from a variable names it", vars: map[string]string{"HAMSASIM_RETRIES": "two"}, want: "HAMSASIM_RETRIES: \"two\" is not a whole number (it sets --retries)"},
		{name: "bad bool from a variable", vars: map[string]string{"HAMSASIM_STRICT": "maybe"}, want: "HAMSASIM_STRICT: \"maybe\" is not true or false (it sets --strict)"},
		{name: "a secret in a variable", vars: map[string]string{"HAMSASIM_SECRET_ENV": testSecret}, want: "HAMSASIM_SECRET_ENV: this value looks like a secret"},
		{name: "a DSN's password in the file", file: "load:\n  effects-db: postgres://audit:CANARY-pw@127.0.0.1:5432/app\n", want: "FILE:2: load.effects-db: this DSN holds a password, and the config file and HAMSASIM_* variables never hold one: leave it out here and set PGPASSWORD (PostgreSQL) or MYSQL_PWD (MySQL)"},
		{name: "a DSN's password in a variable", vars: map[string]string{"HAMSASIM_EFFECTS_DB": "mysql://audit:CANARY-pw@127.0.0.1/app"}, want: "HAMSASIM_EFFECTS_DB: this DSN holds a password"},
		{name: "a run's check names the file", file: "simulate:\n  concurrency: 0\n", args: []string{"simulate"}, want: "--concurrency 0: use 1 to 1000 (--concurrency is from FILE:2)"},
		{name: "a run's check names the variable", vars: map[string]string{"HAMSASIM_RETRIES": "11"}, args: []string{"simulate"}, want: "--retries 11: use 0 to 10 (--retries is from env HAMSASIM_RETRIES)"},
		{name: "errors stop every command", file: "tagret: x\n", args: []string{"version"}, want: "FILE:1: tagret: not a flag of any command"},
		{name: "unknown command for config", args: []string{"config", "siumlate"}, want: "config: \"siumlate\" is not a command it can describe; did you mean simulate?"},
		{name: "missing --config file", args: []string{"config", "--config", "testdata/no-such.yaml"}, want: "testdata/no-such.yaml: cannot read: no such file (the config file from --config)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			path := writeConfig(t, tc.file)
			vars := map[string]string{"HAMSASIM_CONFIG": path, "WEBHOOK_SECRET": testSecret}
			for k, v := range tc.vars {
				vars[k] = v
			}
			args := tc.args
			if args == nil {
				args = []string{"config"}
			}
			res := runCLI(t, vars, args...)
			assert.Equal(t, ExitUsage, res.code, res.stdout+res.stderr)
			assert.Contains(t, strings.ReplaceAll(res.stderr, path, "FILE"), tc.want)
			assert.NotContains(t, res.stdout+res.stderr, "CANARY", "a secret was printed")
			assert.NotContains(t, res.stderr, "panic")
		})
	}
}

func TestConfigGolden(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, golden string
		vars         map[string]string
		args         []string
	}{
		{
			name:   "simulate from file, variable and flag",
			golden: "config-simulate.txt",
			vars:   map[string]string{"HAMSASIM_CONFIG": "testdata/config/hamsasim.yaml", "HAMSASIM_CONCURRENCY": "5", "STAGING_WEBHOOK_SECRET": testSecret},
			args:   []string{"config", "--retries", "1"},
		},
		{
			name:   "load with signatures",
			golden: "config-load.txt",
			vars:   map[string]string{"HAMSASIM_CONFIG": "testdata/config/hamsasim.yaml", "HAMSASIM_AUTH": "hmac"},
			args:   []string{"config", "load"},
		},
		{
			name:   "no config file",
			golden: "config-none.txt",
			args:   []string{"config", "features"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res := runCLI(t, tc.vars, tc.args...)
			require.Equal(t, ExitPassed, res.code, res.stderr)
			assert.NotContains(t, res.stdout, "CANARY")
			assert.NotContains(t, res.stdout, "hunter2", "the URL's password was printed")
			golden(t, tc.golden, res.stdout)
		})
	}
}

// countingTarget is the reference receiver (expecting testSecret) that
// counts the requests it gets.
func countingTarget(t *testing.T) (string, *atomic.Int64) {
	t.Helper()
	rcv, err := receiver.New(receiver.Config{Authorization: testSecret, DBPath: filepath.Join(t.TempDir(), "r.db")})
	require.NoError(t, err)
	var n atomic.Int64
	h := rcv.Handler()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(func() { srv.Close(); rcv.Close() })
	return srv.URL + "/webhook", &n
}

// TestConfigAppliedToRun runs simulate with hamsasim.yaml in the working
// directory: it changes the directory, so it cannot run in parallel.
func TestConfigAppliedToRun(t *testing.T) {
	fixture, err := filepath.Abs(filepath.Join("..", "..", "fixtures", "calls", "ends-early.yaml"))
	require.NoError(t, err)
	fileTarget, fileHits := countingTarget(t)
	envTarget, envHits := countingTarget(t)
	dir := t.TempDir()
	t.Chdir(dir)
	cfg := "target: " + fileTarget + "\nauth: bearer\nfixtures: [" + fixture + "]\nsimulate:\n  probes: [lifecycle]\n  json: out/report.json\n  quiet: true\n"
	require.NoError(t, os.WriteFile(ConfigFileName, []byte(cfg), 0o644))

	res := runCLI(t, map[string]string{"WEBHOOK_SECRET": testSecret}, "simulate")
	require.Equal(t, ExitPassed, res.code, res.stdout+res.stderr)
	assert.Equal(t, int64(6), fileHits.Load(), "ends-early's 6 events go to the file's target")
	rep := readReport(t, filepath.Join(dir, "out", "report.json"))
	assert.Equal(t, fileTarget, rep["target"])
	assert.EqualValues(t, 6, rep["deliveries"])
	assert.NotContains(t, res.stdout, "findings:", "--quiet from the file")

	res = runCLI(t, map[string]string{"WEBHOOK_SECRET": testSecret, "HAMSASIM_TARGET": envTarget}, "simulate", "--json", "out/env.json")
	require.Equal(t, ExitPassed, res.code, res.stdout+res.stderr)
	assert.Equal(t, int64(6), envHits.Load(), "HAMSASIM_TARGET beats the file")
	assert.Equal(t, int64(6), fileHits.Load())
	assert.Equal(t, envTarget, readReport(t, filepath.Join(dir, "out", "env.json"))["target"])
}

func TestMentionsFlag(t *testing.T) {
	t.Parallel()
	cases := []struct {
		msg, flag string
		want      bool
	}{
		{"--seed x is not a number", "seed", true},
		{"bad --start-at value", "start", false},
		{"--start-at and --start both", "start", true},
		{"ends with --probe", "probe", true},
		{"--probe-url is wrong", "probe", false},
		{"no flag here", "seed", false},
	}
	for _, tc := range cases {
		assert.Equal(t, tc.want, mentionsFlag(tc.msg, tc.flag), "%q %q", tc.msg, tc.flag)
	}
}

func TestConfigListItemsKeepCommas(t *testing.T) {
	t.Parallel()
	root := &cobra.Command{Use: "hamsasim"}
	root.PersistentFlags().String(configFlag, "", "")
	var array, slice []string
	sub := &cobra.Command{Use: "run", RunE: func(*cobra.Command, []string) error { return nil }}
	sub.Flags().StringArrayVar(&array, "param", []string{"default"}, "")
	sub.Flags().StringSliceVar(&slice, "probes", []string{"default"}, "")
	root.AddCommand(sub)
	path := writeConfig(t, "run:\n  param: [\"tags=a,b\", \"n=1\"]\n  probes: [\"x,y\", z]\n")
	require.NoError(t, sub.ParseFlags(nil))
	eff, err := applyConfig(sub, func(k string) string {
		if k == "HAMSASIM_CONFIG" {
			return path
		}
		return ""
	}, t.TempDir())
	require.NoError(t, err)
	assert.Equal(t, []string{"tags=a,b", "n=1"}, array)
	assert.Equal(t, []string{"x,y", "z"}, slice)
	assert.Len(t, eff.origins, 2)
	assert.True(t, sub.Flags().Changed("param"), "a value from the file counts as given, as the flag's own Set would have it")
}

// TestConfigFoundAboveWorkingDirectory runs hamsasim from a subfolder of a
// repository whose root holds hamsasim.yaml: the file is found, and its
// relative paths are its folder's, not the working directory's. It
// changes the directory, so it cannot run in parallel.
func TestConfigFoundAboveWorkingDirectory(t *testing.T) {
	shippedFixture, err := os.ReadFile(filepath.Join("..", "..", "fixtures", "calls", "ends-early.yaml"))
	require.NoError(t, err)
	target, hits := countingTarget(t)
	repo := tree(t, ".git/", "qa/deep/")
	require.NoError(t, os.MkdirAll(filepath.Join(repo, "fixtures"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(repo, "fixtures", "mine.yaml"), shippedFixture, 0o644))
	cfg := "target: " + target + "\nauth: bearer\nfixtures: [fixtures/mine.yaml]\nsimulate:\n  probes: [lifecycle]\n  json: reports/run.json\n  quiet: true\n"
	require.NoError(t, os.WriteFile(filepath.Join(repo, ConfigFileName), []byte(cfg), 0o644))
	t.Chdir(filepath.Join(repo, "qa", "deep"))
	vars := map[string]string{"WEBHOOK_SECRET": testSecret}

	res := runCLI(t, vars, "config")
	require.Equal(t, ExitPassed, res.code, res.stderr)
	assert.Contains(t, res.stdout, "config file: ../../hamsasim.yaml (from a folder above the working directory; paths in it are relative to its folder)\n")
	assert.Regexp(t, `--fixtures\s+../../fixtures/mine.yaml\s+../../hamsasim.yaml:3\n`, res.stdout)
	assert.Regexp(t, `--json\s+../../reports/run.json\s+../../hamsasim.yaml:6\n`, res.stdout)

	res = runCLI(t, vars, "config", "-o", "json")
	require.Equal(t, ExitPassed, res.code, res.stderr)
	assert.Contains(t, res.stdout, `"configFile": {
    "path": "../../hamsasim.yaml",
    "from": "search"
  }`)

	res = runCLI(t, vars, "simulate")
	require.Equal(t, ExitPassed, res.code, res.stdout+res.stderr)
	assert.Equal(t, int64(6), hits.Load(), "the file's fixture, read from the repository's root")
	assert.Equal(t, target, readReport(t, filepath.Join(repo, "reports", "run.json"))["target"], "the report written where the file says")
	_, err = os.Stat("reports")
	assert.True(t, os.IsNotExist(err), "nothing written relative to the working directory")

	// A hamsasim.yaml above the repository's root is another project's.
	outer := tree(t, ConfigFileName, "repo/.git/", "repo/sub/")
	require.NoError(t, os.WriteFile(filepath.Join(outer, ConfigFileName), []byte("concurrency: 9\n"), 0o644))
	t.Chdir(filepath.Join(outer, "repo", "sub"))
	res = runCLI(t, nil, "config")
	require.Equal(t, ExitPassed, res.code, res.stderr)
	assert.Contains(t, res.stdout, "config file: none (no hamsasim.yaml in the working directory or above it, up to the repository's root;")
	assert.NotContains(t, res.stdout, "--concurrency")
}
