package cli

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hamsasim/hamsasim/internal/sign"
)

// The canaries: an Authorization value and an HMAC key that must never
// appear anywhere a run writes.
const canaryBearer = "Bearer canary-7f3a9c-SECRET"

var canaryKey = []byte("canary-hmac-key-7f3a9c-0123456789")

// canaryForms lists the canaries as they could leak: raw, and base64
// (standard and URL alphabets) at each of the three alignments a longer
// encoded text could hold them in, as JSON encodes a []byte.
func canaryForms() map[string]string {
	signing := sign.FormatSecret(canaryKey)
	forms := map[string]string{
		"bearer":         canaryBearer,
		"token":          strings.TrimPrefix(canaryBearer, "Bearer "),
		"signing secret": signing,
		"key, raw":       string(canaryKey),
		"key, hex":       hex.EncodeToString(canaryKey),
		"key, base64":    strings.TrimPrefix(signing, sign.SecretPrefix),
	}
	for name, v := range map[string]string{"bearer": canaryBearer, "token": strings.TrimPrefix(canaryBearer, "Bearer "), "key": string(canaryKey)} {
		for pad := 0; pad < 3; pad++ {
			for enc, e := range map[string]*base64.Encoding{"std": base64.StdEncoding, "url": base64.URLEncoding} {
				s := e.EncodeToString([]byte(strings.Repeat("x", pad) + v))
				// Drop the blocks shared with the bytes around it.
				if pad > 0 {
					s = s[4:]
				}
				s = s[:len(s)-4]
				forms[fmt.Sprintf("%s, base64 %s +%d", name, enc, pad)] = s
			}
		}
	}
	return forms
}

// assertNoCanary greps stdout, stderr and every file under dirs for every
// form of the canaries.
func assertNoCanary(t *testing.T, r result, dirs ...string) {
	t.Helper()
	texts := map[string][]byte{"stdout": []byte(r.stdout), "stderr": []byte(r.stderr)}
	for _, dir := range dirs {
		err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			b, err := os.ReadFile(p)
			texts[p] = b
			return err
		})
		require.NoError(t, err)
	}
	forms := canaryForms()
	for where, b := range texts {
		for name, form := range forms {
			assert.NotContains(t, string(b), form, "%s holds the canary (%s)", where, name)
		}
	}
}

// canaryTarget acknowledges every event but call.started (500), echoes the
// Authorization header and the signature headers in every answer, and
// answers 404 to the probe API, echoing them too: the worst a receiver can do.
func canaryTarget(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		echo, _ := json.Marshal(map[string]string{
			"auth": req.Header.Get("Authorization"), "signature": req.Header.Get(sign.HeaderSignature),
		})
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Echo-Authorization", req.Header.Get("Authorization"))
		switch {
		case req.Method == http.MethodGet:
			w.WriteHeader(http.StatusNotFound)
		case strings.Contains(string(body), `"eventType":"call.started"`):
			w.WriteHeader(http.StatusInternalServerError)
		}
		fmt.Fprintf(w, `{"received":true,"echo":%s}`, echo)
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/webhook"
}

// canaryScenario is a short load run whose every call.started fails: the
// run has findings, and its dead letters hold events.
const canaryScenario = `
name: canary
duration: 2s
arrival: {constant: 3}
mix: [{fixture: no-answer, weight: 1}]
timeScale: 0.001
delivery: {timeout: 2s, retries: 0}
thresholds: [errors == 0]
`

// curls returns the curl reproductions of a simulate JSON report.
func curls(t *testing.T, path string) []string {
	t.Helper()
	var rep struct {
		Findings []struct {
			Curl string `json:"curl"`
		} `json:"findings"`
	}
	require.NoError(t, json.Unmarshal([]byte(readFile(t, path)), &rep))
	var out []string
	for _, f := range rep.Findings {
		if f.Curl != "" {
			out = append(out, f.Curl)
		}
	}
	return out
}

// TestCanarySecretNeverWritten runs every command that sends events, in
// every output format, with canary secrets and a target that echoes them
// back, and finds them nowhere: not on the terminal, not in any report,
// not in a curl reproduction (which names the variable instead).
func TestCanarySecretNeverWritten(t *testing.T) {
	t.Parallel()
	target := canaryTarget(t)
	signing := sign.FormatSecret(canaryKey)
	scenario := writeFile(t, "canary.yaml", canaryScenario)
	tests := []struct {
		name      string
		vars      map[string]string
		auth      []string // --auth and --secret-env flags
		secretVar string   // what curl reproductions must name
	}{
		{name: "bearer", vars: map[string]string{"WEBHOOK_SECRET": canaryBearer}, auth: []string{"--auth", "bearer"}, secretVar: "$WEBHOOK_SECRET"},
		{name: "bearer from another variable", vars: map[string]string{"HOOK_TOKEN": canaryBearer}, auth: []string{"--auth", "bearer", "--secret-env", "HOOK_TOKEN"}, secretVar: "$HOOK_TOKEN"},
		{name: "hmac", vars: map[string]string{"WEBHOOK_SIGNING_SECRET": signing}, auth: []string{"--auth", "hmac"}, secretVar: "${WEBHOOK_SIGNING_SECRET#whsec_}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			out := t.TempDir()
			run := func(args ...string) result {
				t.Helper()
				r := runCLI(t, tt.vars, append(args, tt.auth...)...)
				assertNoCanary(t, r, out)
				assert.NotContains(t, r.stdout+r.stderr, "panic")
				return r
			}

			// simulate: text, JSON and JUnit, findings with curl commands.
			js := filepath.Join(out, "simulate.json")
			r := run("simulate", "--target", target, "--probe-url", strings.TrimSuffix(target, "/webhook"),
				"--fixtures", shipped("no-answer", "ends-early"), "--retries", "0",
				"--json", js, "--junit", filepath.Join(out, "simulate.xml"))
			require.Equal(t, ExitFindings, r.code, r.stdout+r.stderr)
			cs := curls(t, js)
			require.NotEmpty(t, cs, "findings carry curl reproductions")
			named := 0
			for _, c := range cs {
				if strings.Contains(c, tt.secretVar) {
					named++
				}
			}
			assert.Positive(t, named, "reproductions name %s: %q", tt.secretVar, cs)

			// features: pretty on stdout, JUnit and cucumber files.
			r = run("features", "--target", target, "--tags", "@lifecycle",
				"--format", "pretty,junit:"+filepath.Join(out, "features.xml")+",cucumber:"+filepath.Join(out, "features.json"))
			require.Equal(t, ExitFindings, r.code, r.stdout+r.stderr)
			assert.FileExists(t, filepath.Join(out, "features.json"))

			// load: summary.json, report.html, results.bin, dead letters, JUnit.
			runDir := filepath.Join(out, "load")
			r = run("load", "--scenario", scenario, "--target", target, "--report-dir", runDir,
				"--junit", filepath.Join(out, "load.xml"), "--seed", "5")
			require.Equal(t, ExitFindings, r.code, r.stdout+r.stderr)
			for _, f := range []string{"summary.json", "report.html", "results.bin", "dead-letters.jsonl"} {
				assert.FileExists(t, filepath.Join(runDir, f))
			}
			require.Contains(t, readFile(t, filepath.Join(runDir, "dead-letters.jsonl")), "call.started")

			// redeliver: the dead letters again, still refused.
			r = run("redeliver", filepath.Join(runDir, "dead-letters.jsonl"), "--target", target, "--retries", "0")
			require.Equal(t, ExitFindings, r.code, r.stdout+r.stderr)
		})
	}
}

// TestCanaryFormsCatchEncodedLeaks checks the grep itself: the canary
// inside a JSON-encoded []byte, at any offset, is found.
func TestCanaryFormsCatchEncodedLeaks(t *testing.T) {
	t.Parallel()
	forms := canaryForms()
	for pad := 0; pad < 6; pad++ {
		leak, err := json.Marshal([]byte(strings.Repeat("{", pad) + `"auth":"` + canaryBearer + `"}`))
		require.NoError(t, err)
		found := false
		for _, f := range forms {
			found = found || strings.Contains(string(leak), f)
		}
		assert.True(t, found, "offset %d: %s", pad, leak)
	}
}
