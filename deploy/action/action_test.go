// Package action_test runs the GitHub Action's scripts (action.yml at the
// repository root, deploy/action/*.sh) the way action.yml runs them: every
// input as an INPUT_* variable, GITHUB_OUTPUT and GITHUB_STEP_SUMMARY as
// files, against hamsasim's embedded reference receiver, on loopback only.
package action_test

import (
	"archive/tar"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"go.yaml.in/yaml/v3"
)

// canary stands for the secret; it must never be printed or written.
const canary = "Bearer sk_test_ACTION_CANARY_0123456789"

// root is the repository root, the action's own checkout.
var root = func() string {
	p, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		panic(err)
	}
	return p
}()

// script is the outcome of one run of a script.
type script struct {
	code           int
	stdout, stderr string
	output         map[string]string // what it wrote to GITHUB_OUTPUT
	summary        string            // what it wrote to GITHUB_STEP_SUMMARY
}

// runScript runs deploy/action/NAME in dir with vars on top of an
// environment cleared of anything the runner or the developer's shell
// could add: hamsasim's own variables, secrets, GitHub's, make's.
func runScript(t *testing.T, name, dir string, vars map[string]string) script {
	t.Helper()
	files := t.TempDir()
	out, summary := filepath.Join(files, "output"), filepath.Join(files, "summary")
	env := slices.DeleteFunc(os.Environ(), func(kv string) bool {
		for _, p := range []string{"HAMSASIM_", "WEBHOOK_", "GITHUB_", "RUNNER_", "INPUT_", "ACTION_", "MAKE", "MFLAGS="} {
			if strings.HasPrefix(kv, p) {
				return true
			}
		}
		return false
	})
	env = append(env, "GITHUB_OUTPUT="+out, "GITHUB_STEP_SUMMARY="+summary, "RUNNER_TEMP="+files)
	for k, v := range vars {
		env = append(env, k+"="+v)
	}
	cmd := exec.Command("bash", filepath.Join(root, "deploy", "action", name))
	cmd.Dir, cmd.Env = dir, env
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	s := script{stdout: stdout.String(), stderr: stderr.String(), output: map[string]string{}}
	var xe *exec.ExitError
	switch {
	case errors.As(err, &xe):
		s.code = xe.ExitCode()
	case err != nil:
		t.Fatalf("%s: %v", name, err)
	}
	if b, err := os.ReadFile(out); err == nil {
		for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
			if k, v, ok := strings.Cut(line, "="); ok {
				s.output[k] = v
			}
		}
	}
	if b, err := os.ReadFile(summary); err == nil {
		s.summary = string(b)
	}
	return s
}

var (
	installOnce sync.Once
	installDir  string
	installRun  script
	installErr  error
)

// installed runs install.sh once for the whole package, as action.yml does
// with an empty version: make install from the action's checkout.
func installed(t *testing.T) (bin string, run script) {
	t.Helper()
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("make is not on PATH")
	}
	installOnce.Do(func() {
		installDir, installErr = os.MkdirTemp("", "hamsasim-action-")
		if installErr != nil {
			return
		}
		installRun = runScript(t, "install.sh", root, map[string]string{
			"ACTION_PATH": root,
			"INSTALL_DIR": installDir,
		})
	})
	if installErr != nil {
		t.Fatal(installErr)
	}
	if installRun.code != 0 {
		t.Fatalf("install.sh: exit code %d\n%s\n%s", installRun.code, installRun.stdout, installRun.stderr)
	}
	return filepath.Join(installDir, "hamsasim"), installRun
}

func TestMain(m *testing.M) {
	code := m.Run()
	if installDir != "" {
		os.RemoveAll(installDir)
	}
	os.Exit(code)
}

func TestInstallFromTheActionsCheckoutStampsGitDescribe(t *testing.T) {
	t.Parallel()
	bin, run := installed(t)
	if got := run.output["bin"]; got != bin {
		t.Errorf("output bin: got %q, want %q", got, bin)
	}
	describe, err := exec.Command("git", "-C", root, "describe", "--tags", "--always", "--dirty").Output()
	if err != nil {
		t.Skipf("not a git checkout: %v", err)
	}
	out, err := exec.Command(bin, "version").Output()
	if err != nil {
		t.Fatal(err)
	}
	first, _, _ := strings.Cut(string(out), "\n")
	if want := "hamsasim " + strings.TrimSpace(string(describe)); first != want {
		t.Errorf("hamsasim version: got %q, want %q (git describe)", first, want)
	}
	if !regexp.MustCompile(`(?m)^built    \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$`).Match(out) {
		t.Errorf("hamsasim version: no build date:\n%s", out)
	}
}

func TestActionPassesAgainstTheEmbeddedReceiver(t *testing.T) {
	t.Parallel()
	bin, _ := installed(t)
	dir := t.TempDir()
	run := runScript(t, "run.sh", dir, map[string]string{
		"ACTION_BIN":       bin,
		"INPUT_COMMANDS":   "simulate, features, load",
		"INPUT_SECRET":     canary,
		"INPUT_SECRET_ENV": "MY_HOOK_SECRET",
		"INPUT_FIXTURES":   filepath.Join(root, "fixtures", "calls"),
		"INPUT_TAGS":       "@lifecycle,@auth",
		"INPUT_SCENARIO":   "steady",
		"INPUT_DURATION":   "2s",
		"INPUT_THRESHOLDS": "lost == 0\nduplicated == 0\n",
		"INPUT_STRICT":     "false",
		"INPUT_YES":        "false",
		"INPUT_REPORTS":    "out",
	})
	if run.code != 0 {
		t.Fatalf("run.sh: exit code %d, want 0\n%s\n%s", run.code, run.stdout, run.stderr)
	}
	for _, want := range []string{"hamsasim simulate: passed (exit code 0)", "hamsasim features: passed (exit code 0)", "hamsasim load: passed (exit code 0)"} {
		if !strings.Contains(run.stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, run.stdout)
		}
	}
	if got := run.output["exit-code"]; got != "0" {
		t.Errorf("output exit-code: got %q, want 0", got)
	}
	if got := run.output["reports"]; got != "out" {
		t.Errorf("output reports: got %q, want out", got)
	}
	for _, want := range []string{"| simulate | 0 | passed |", "| features | 0 | passed |", "| load | 0 | passed |"} {
		if !strings.Contains(run.summary, want) {
			t.Errorf("step summary lacks %q:\n%s", want, run.summary)
		}
	}
	for _, f := range []string{"simulate.json", "simulate.xml", "features.xml", "load.xml", "load/report.html", "load/summary.json"} {
		if _, err := os.Stat(filepath.Join(dir, "out", f)); err != nil {
			t.Errorf("report %s: %v", f, err)
		}
	}
	// The thresholds reached load: its JUnit names them.
	if b, err := os.ReadFile(filepath.Join(dir, "out", "load.xml")); err == nil {
		for _, th := range []string{"lost == 0", "duplicated == 0"} {
			if !strings.Contains(string(b), th) {
				t.Errorf("load.xml does not name the threshold %q", th)
			}
		}
	}
	assertNoCanary(t, dir, run)
}

// assertNoCanary checks that the secret is in no output and no report.
func assertNoCanary(t *testing.T, dir string, run script) {
	t.Helper()
	secret := strings.TrimPrefix(canary, "Bearer ")
	for name, s := range map[string]string{"stdout": run.stdout, "stderr": run.stderr, "step summary": run.summary} {
		if strings.Contains(s, secret) {
			t.Errorf("the secret is in %s", name)
		}
	}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err == nil && strings.Contains(string(b), secret) {
			t.Errorf("the secret is in %s", p)
		}
		return err
	})
	if err != nil {
		t.Error(err)
	}
}

func TestActionFailsOnTheVerdict(t *testing.T) {
	t.Parallel()
	bin, _ := installed(t)
	tests := []struct {
		name     string
		vars     map[string]string
		code     int
		stderr   string   // in stderr
		stdout   []string // each in stdout
		reports  []string // written all the same
		exitCode string   // the output exit-code, "" when the script stopped before running anything
	}{
		{
			name:     "a fixture that does not exist",
			vars:     map[string]string{"INPUT_COMMANDS": "simulate", "INPUT_FIXTURES": "nope/missing.yaml"},
			code:     2,
			stderr:   "nope/missing.yaml",
			stdout:   []string{"hamsasim simulate: bad input (see the log) (exit code 2)"},
			exitCode: "2",
		},
		{
			name:     "a threshold no receiver meets",
			vars:     map[string]string{"INPUT_COMMANDS": "load", "INPUT_SCENARIO": "steady", "INPUT_DURATION": "1s", "INPUT_THRESHOLDS": "p50 < 1ns"},
			code:     1,
			stdout:   []string{"hamsasim load: failed: findings or thresholds (exit code 1)"},
			reports:  []string{"load.xml", "load/report.html"},
			exitCode: "1",
		},
		{
			name: "one command's failure does not stop the next",
			vars: map[string]string{"INPUT_COMMANDS": "simulate,features", "INPUT_PROBES": "nonsense", "INPUT_TAGS": "@lifecycle"},
			code: 2,
			stdout: []string{
				"hamsasim simulate: bad input (see the log) (exit code 2)",
				"hamsasim features: passed (exit code 0)",
			},
			reports:  []string{"features.xml"},
			exitCode: "2",
		},
		{
			name:   "a command the action does not run",
			vars:   map[string]string{"INPUT_COMMANDS": "simulate,smoke"},
			code:   2,
			stderr: `commands: "smoke" is not a command the action runs (simulate, features, load)`,
		},
		{
			name:   "no command",
			vars:   map[string]string{"INPUT_COMMANDS": " , "},
			code:   2,
			stderr: "commands: name at least one of simulate, features, load",
		},
		{
			name:   "a secret-env that is not a variable name",
			vars:   map[string]string{"INPUT_SECRET_ENV": "MY-SECRET"},
			code:   2,
			stderr: `secret-env: "MY-SECRET" is not an environment variable's name`,
		},
		{
			name:   "strict that is not true or false",
			vars:   map[string]string{"INPUT_STRICT": "yes"},
			code:   2,
			stderr: `strict: "yes" is not true or false`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			vars := map[string]string{"ACTION_BIN": bin, "INPUT_SECRET": canary, "INPUT_REPORTS": "out"}
			for k, v := range tt.vars {
				vars[k] = v
			}
			run := runScript(t, "run.sh", dir, vars)
			if run.code != tt.code {
				t.Errorf("exit code: got %d, want %d\n%s\n%s", run.code, tt.code, run.stdout, run.stderr)
			}
			if !strings.Contains(run.stderr, tt.stderr) {
				t.Errorf("stderr lacks %q:\n%s", tt.stderr, run.stderr)
			}
			for _, want := range tt.stdout {
				if !strings.Contains(run.stdout, want) {
					t.Errorf("stdout lacks %q:\n%s", want, run.stdout)
				}
			}
			for _, f := range tt.reports {
				if _, err := os.Stat(filepath.Join(dir, "out", f)); err != nil {
					t.Errorf("report %s: %v", f, err)
				}
			}
			if got := run.output["exit-code"]; got != tt.exitCode {
				t.Errorf("output exit-code: got %q, want %q", got, tt.exitCode)
			}
			assertNoCanary(t, dir, run)
		})
	}
}

// release lays out a release as make release names it, under
// dir/VERSION/, for RELEASE_URL=file://dir. Its hamsasim is a script that
// answers `hamsasim version` (packing the real binary takes long under -race).
func release(t *testing.T, dir, version string) (archive string) {
	t.Helper()
	name := fmt.Sprintf("hamsasim_%s_%s_%s", version, runtime.GOOS, runtime.GOARCH)
	archive = name + ".tar.gz"
	b := []byte("#!/bin/sh\necho \"hamsasim " + version + " (stand-in)\"\n")
	var buf strings.Builder
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, f := range []struct {
		name string
		mode int64
		body []byte
	}{{name + "/", 0o755, nil}, {name + "/hamsasim", 0o755, b}, {name + "/README.md", 0o644, []byte("hamsasim\n")}} {
		h := &tar.Header{Name: f.name, Mode: f.mode, Size: int64(len(f.body)), Typeflag: tar.TypeReg}
		if strings.HasSuffix(f.name, "/") {
			h.Typeflag = tar.TypeDir
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(f.body); err != nil {
			t.Fatal(err)
		}
	}
	if err := errors.Join(tw.Close(), gz.Close()); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(buf.String()))
	sums := hex.EncodeToString(sum[:]) + "  " + archive + "\n" + strings.Repeat("0", 64) + "  hamsasim_" + version + "_plan9_amd64.tar.gz\n"
	if err := os.MkdirAll(filepath.Join(dir, version), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := errors.Join(
		os.WriteFile(filepath.Join(dir, version, archive), []byte(buf.String()), 0o644),
		os.WriteFile(filepath.Join(dir, version, "SHA256SUMS"), []byte(sums), 0o644),
	); err != nil {
		t.Fatal(err)
	}
	return archive
}

func TestInstallFromAReleaseArchive(t *testing.T) {
	t.Parallel()
	for _, tool := range []string{"curl", "tar"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not on PATH", tool)
		}
	}
	if runtime.GOOS == "windows" {
		t.Skip("the Windows archive is a zip")
	}
	// The names install.sh asks for are the ones make release writes.
	for _, f := range []struct{ file, want string }{
		{"Makefile", "name=hamsasim_$(VERSION)_$${os}_$${arch}"},
		{"Makefile", "sha256sum hamsasim_* > SHA256SUMS"},
		{"deploy/action/install.sh", "name=hamsasim_${version}_${os}_${arch}"},
		{"deploy/action/install.sh", `"$release_url/$version/SHA256SUMS"`},
	} {
		b, err := os.ReadFile(filepath.Join(root, f.file))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(b), f.want) {
			t.Errorf("%s lacks %s", f.file, f.want)
		}
	}
	releases := t.TempDir()
	release(t, releases, "v9.9.9")
	tampered := release(t, releases, "v9.9.7")
	f, err := os.OpenFile(filepath.Join(releases, "v9.9.7", tampered), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString("x"); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name, version string
		code          int
		stderr        string
	}{
		{name: "a release whose archive matches SHA256SUMS", version: "v9.9.9", code: 0},
		{name: "an archive that does not match", version: "v9.9.7", code: 1, stderr: "does not match its SHA256SUMS line: not installed"},
		{name: "a release that does not exist", version: "v9.9.8", code: 1, stderr: "could not download"},
		{name: "not a release tag", version: "latest", code: 2, stderr: `version: "latest" is not a release tag such as v1.2.0`},
		{name: "a tag that would leave the release folder", version: "v1/../../x", code: 2, stderr: "is not a release tag"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			run := runScript(t, "install.sh", dir, map[string]string{
				"INPUT_VERSION": tt.version,
				"RELEASE_URL":   "file://" + releases,
				"INSTALL_DIR":   filepath.Join(dir, "bin"),
			})
			if run.code != tt.code {
				t.Fatalf("exit code: got %d, want %d\n%s\n%s", run.code, tt.code, run.stdout, run.stderr)
			}
			if !strings.Contains(run.stderr, tt.stderr) {
				t.Errorf("stderr lacks %q:\n%s", tt.stderr, run.stderr)
			}
			installedBin := filepath.Join(dir, "bin", "hamsasim")
			if tt.code != 0 {
				if _, err := os.Stat(installedBin); err == nil {
					t.Errorf("%s installed all the same", installedBin)
				}
				return
			}
			if got := run.output["bin"]; got != installedBin {
				t.Errorf("output bin: got %q, want %q", got, installedBin)
			}
			// install.sh ends by running the installed hamsasim version.
			if want := "hamsasim " + tt.version + " (stand-in)\n"; !strings.HasSuffix(run.stdout, want) {
				t.Errorf("stdout: got %q, want it to end in %q", run.stdout, want)
			}
		})
	}
}

// TestActionYAMLMatchesTheScripts checks action.yml against the scripts:
// every input reaches a step, each as the INPUT_* variable of its name, and
// every INPUT_* variable a script reads is set by action.yml.
func TestActionYAMLMatchesTheScripts(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile(filepath.Join(root, "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var action struct {
		Inputs map[string]struct {
			Default *string `yaml:"default"`
		} `yaml:"inputs"`
		Runs struct {
			Using string `yaml:"using"`
			Steps []struct {
				ID    string            `yaml:"id"`
				If    string            `yaml:"if"`
				Uses  string            `yaml:"uses"`
				Shell string            `yaml:"shell"`
				Env   map[string]string `yaml:"env"`
				Run   string            `yaml:"run"`
				With  map[string]string `yaml:"with"`
			} `yaml:"steps"`
		} `yaml:"runs"`
	}
	if err := yaml.Unmarshal(b, &action); err != nil {
		t.Fatalf("action.yml: %v", err)
	}
	if action.Runs.Using != "composite" {
		t.Errorf("runs.using: got %q, want composite", action.Runs.Using)
	}
	text := string(b)
	set := map[string]bool{} // INPUT_* variables action.yml sets
	for _, s := range action.Runs.Steps {
		for k, v := range s.Env {
			if name, ok := strings.CutPrefix(k, "INPUT_"); ok {
				input := strings.ReplaceAll(strings.ToLower(name), "_", "-")
				if want := "${{ inputs." + input + " }}"; v != want {
					t.Errorf("env %s: got %q, want %q", k, v, want)
				}
				set[k] = true
			}
		}
		// commands: '' installs only; the reports are uploaded whatever
		// the verdict.
		if s.ID == "run" && s.If != "inputs.commands != ''" {
			t.Errorf("step run: if %q, want it to run only when commands is not empty", s.If)
		}
		if strings.HasPrefix(s.Uses, "actions/upload-artifact@") && (!strings.Contains(s.If, "always()") || !strings.Contains(s.If, "inputs.commands != ''")) {
			t.Errorf("upload step: if %q, want always() and commands not empty", s.If)
		}
		if s.Run != "" {
			if s.Shell != "bash" {
				t.Errorf("step %q: shell %q, want bash", s.ID, s.Shell)
			}
			m := regexp.MustCompile(`deploy/action/[a-z]+\.sh`).FindString(s.Run)
			if _, err := os.Stat(filepath.Join(root, m)); m == "" || err != nil {
				t.Errorf("step %q runs %q: no such script", s.ID, s.Run)
			}
		}
	}
	for name, in := range action.Inputs {
		if in.Default == nil {
			t.Errorf("input %s: no default", name)
		}
		if !strings.Contains(text, "inputs."+name+" ") {
			t.Errorf("input %s reaches no step", name)
		}
	}
	for _, sh := range []string{"install.sh", "run.sh"} {
		b, err := os.ReadFile(filepath.Join(root, "deploy", "action", sh))
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range regexp.MustCompile(`INPUT_[A-Z_]+`).FindAllString(string(b), -1) {
			if !set[v] {
				t.Errorf("%s reads %s, which action.yml does not set", sh, v)
			}
		}
	}
}
