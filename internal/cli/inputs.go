package cli

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/hamsasim/hamsasim"
	"github.com/hamsasim/hamsasim/internal/contract"
	"github.com/hamsasim/hamsasim/internal/deliver"
	"github.com/hamsasim/hamsasim/internal/fixture"
	"github.com/hamsasim/hamsasim/internal/probe"
	"github.com/hamsasim/hamsasim/internal/receiver"
	"github.com/hamsasim/hamsasim/internal/report"
	"github.com/hamsasim/hamsasim/internal/sign"
	"github.com/hamsasim/hamsasim/internal/yamlfile"
)

// DefaultSecretEnv names the variable that holds the Authorization value.
const DefaultSecretEnv = "WEBHOOK_SECRET"

// loadContract reads the contract at path, or the embedded one for "".
func loadContract(path string) (*contract.Contract, error) {
	data, source := hamsasim.Contract(), hamsasim.ContractPath
	if path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, usageError("--spec %s: %s", path, ioWords(err))
		}
		data, source = b, path
	}
	c, err := contract.Load(data, source)
	if err != nil {
		if errors.Is(err, contract.ErrInvalid) {
			return nil, usageError("%s", err)
		}
		return nil, usageError("%s: %s", source, err)
	}
	return c, nil
}

// loadFixtures reads fixtures from files and folders (all *.yaml and *.yml
// below a folder), or the shipped ones when paths is empty. Names must be
// unique across the set.
func loadFixtures(paths []string) ([]*fixture.Fixture, error) {
	return loadFixturesAs("--fixtures", paths)
}

// fixturesFlag is loadFixtures for a command's --fixtures flag: given but
// empty is a mistake, not a request for the shipped fixtures.
func fixturesFlag(cmd *cobra.Command, paths []string) ([]*fixture.Fixture, error) {
	if cmd.Flags().Changed("fixtures") && len(paths) == 0 {
		return nil, usageError("--fixtures: an empty path (omit the flag to use the shipped fixtures)")
	}
	return loadFixtures(paths)
}

// loadFixturesAs is loadFixtures naming the paths' source (a flag, or
// "fixture path" for arguments) in messages. The same file named twice is
// read once.
func loadFixturesAs(label string, paths []string) ([]*fixture.Fixture, error) {
	var out []*fixture.Fixture
	var problems []error
	add := func(f *fixture.Fixture, err error) {
		if err != nil {
			problems = append(problems, err)
			return
		}
		out = append(out, f)
	}
	if len(paths) == 0 {
		fsys := hamsasim.Fixtures()
		names, _ := fs.Glob(fsys, "fixtures/calls/*.yaml")
		for _, n := range names {
			data, err := fs.ReadFile(fsys, n)
			if err != nil {
				return nil, err
			}
			add(fixture.Parse(data, n))
		}
	}
	read := map[string]bool{}
	readFile := func(p string) {
		abs, _ := filepath.Abs(p)
		if !read[abs] {
			read[abs] = true
			add(fixture.ReadFile(p))
		}
	}
	for _, p := range paths {
		if strings.TrimSpace(p) == "" {
			return nil, usageError("%s: an empty path", label)
		}
		info, err := os.Stat(p)
		if err != nil {
			return nil, usageError("%s %w", label, &yamlfile.Error{File: p, Msg: ioWords(err), Kind: fixture.ErrInvalid})
		}
		if !info.IsDir() {
			readFile(p)
			continue
		}
		var files []string
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			ext := strings.ToLower(filepath.Ext(path))
			if !d.IsDir() && (ext == ".yaml" || ext == ".yml") {
				files = append(files, path)
			}
			return nil
		})
		if err != nil {
			return nil, usageError("%s %w", label, &yamlfile.Error{File: p, Msg: ioWords(err), Kind: fixture.ErrInvalid})
		}
		if len(files) == 0 {
			return nil, usageError("%s %w", label, &yamlfile.Error{File: p, Msg: "the folder holds no fixtures (.yaml or .yml files)", Kind: fixture.ErrInvalid})
		}
		sort.Strings(files)
		for _, f := range files {
			readFile(f)
		}
	}
	if len(problems) > 0 {
		return nil, usageError("%w", errors.Join(problems...))
	}
	seen := map[string]string{}
	for _, f := range out {
		if prev, dup := seen[f.Name]; dup {
			return nil, usageError("%w", &yamlfile.Error{File: f.Source, Msg: fmt.Sprintf("fixture name %q is already used by %s; names must be unique in a run", f.Name, prev), Kind: fixture.ErrInvalid})
		}
		seen[f.Name] = f.Source
	}
	return out, nil
}

// inputProblem is one problem with an input file, as -o json shows it.
type inputProblem struct {
	File    string `json:"file"`
	Line    int    `json:"line"` // 0: the file as a whole
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
}

// problemsOf lists the problems err holds: every *yamlfile.Error in its
// tree, each with its file and line; an error that holds none is one
// problem of file (which may be "").
func problemsOf(err error, file string) []inputProblem {
	var out []inputProblem
	var walk func(error)
	walk = func(err error) {
		switch e := err.(type) {
		case *yamlfile.Error:
			out = append(out, inputProblem{File: e.File, Line: e.Line, Field: e.Field, Message: e.Msg})
		case interface{ Unwrap() []error }:
			for _, x := range e.Unwrap() {
				walk(x)
			}
		case interface{ Unwrap() error }:
			walk(e.Unwrap())
		}
	}
	walk(err)
	if len(out) == 0 && err != nil {
		var xe *exitError
		msg := err.Error()
		if errors.As(err, &xe) && xe.err != nil {
			msg = xe.err.Error()
		}
		out = append(out, inputProblem{File: file, Message: msg})
	}
	return out
}

func ioWords(err error) string {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "no such file or folder"
	case errors.Is(err, fs.ErrPermission):
		return "permission denied"
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// parseTarget checks a --target URL.
func parseTarget(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" {
		return nil, usageError("--target %s is not an http:// or https:// URL (for example https://api.example.com/webhooks/hamsa)", report.RedactURL(raw))
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return nil, usageError("--target %s: port %s is not a port number (1 to 65535)", report.RedactURL(raw), p)
		}
	}
	return u, nil
}

// prepareOutputs creates (empty) every report file a run will write, so
// that an unwritable path stops the run before anything is sent. A path of
// "-" is standard output and creates nothing; only one report may go there.
func prepareOutputs(outputs [][2]string) error {
	seen := map[string]string{}
	for _, o := range outputs {
		flag, path := o[0], o[1]
		if path == "" {
			continue
		}
		if path == stdoutPath {
			if other, dup := seen[stdoutPath]; dup {
				return usageError("%s - and %s - both write to standard output; send one of them to a file", other, flag)
			}
			seen[stdoutPath] = flag
			continue
		}
		abs, _ := filepath.Abs(path)
		if other, dup := seen[abs]; dup {
			return usageError("%s and %s both write %s", other, flag, path)
		}
		seen[abs] = flag
	}
	for _, o := range outputs {
		flag, path := o[0], o[1]
		if path == "" || path == stdoutPath {
			continue
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return usageError("%s %s: cannot create its folder: %s", flag, path, ioWords(err))
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
		if err != nil {
			return usageError("%s %s: cannot write: %s", flag, path, ioWords(err))
		}
		f.Close()
	}
	return nil
}

// displayURL is a URL safe to print and report: no user info, no query.
func displayURL(u *url.URL) string { return report.RedactURL(u.String()) }

// Default variables for the secrets.
const (
	DefaultSigningSecretEnv = "WEBHOOK_SIGNING_SECRET"
)

// scrubber removes the run's secrets from whatever the target answered.
func (a *authSetup) scrubber() report.Scrubber {
	var values []string
	if a.bearer != "" {
		values = append(values, a.bearer, strings.TrimPrefix(a.bearer, "Bearer "))
	}
	if a.key != nil {
		s := sign.FormatSecret(a.key)
		values = append(values, s, strings.TrimPrefix(s, sign.SecretPrefix))
	}
	if b, ok := a.signer.(deliver.Bearer); ok {
		values = append(values, b.Value, strings.TrimPrefix(b.Value, "Bearer "))
	}
	return report.NewScrubber(values...)
}

// authSetup is the resolved auth mode: how to sign, what the embedded
// receiver expects, and what the probes may forge.
type authSetup struct {
	signer   deliver.Signer
	bearer   string // expected Authorization, for the embedded receiver
	key      []byte // HMAC key, for the embedded receiver
	probe    probe.Auth
	warnings []string
}

// resolveAuth reads the secret for the mode from the environment. It never
// puts the secret in an error or a warning. embedded means hamsasim starts
// its own receiver, so a missing secret is generated.
func resolveAuth(e *env, mode, envName string, embedded bool) (*authSetup, error) {
	if mode == "" {
		mode = string(probe.AuthBearer)
		if !embedded && e.getenv(orDefault(envName, DefaultSecretEnv)) == "" {
			mode = string(probe.AuthNone)
		}
	}
	a := &authSetup{}
	switch probe.AuthMode(mode) {
	case probe.AuthNone:
		a.signer, a.probe = deliver.NoAuth{}, probe.Auth{Mode: probe.AuthNone}
		if !embedded {
			a.warnings = append(a.warnings, fmt.Sprintf("%s is not set: sending no Authorization header (the platform's noAuth mode); auth probes are skipped", orDefault(envName, DefaultSecretEnv)))
		}
	case probe.AuthBearer:
		name := orDefault(envName, DefaultSecretEnv)
		v := e.getenv(name)
		switch {
		case v == "" && embedded:
			v = randomSecret()
		case v == "":
			return nil, usageError("--auth bearer: %s is not set; set it to the whole Authorization value, e.g. export %s='Bearer <token>'", name, name)
		case strings.ContainsAny(v, "\r\n"):
			return nil, usageError("%s contains a line break; it must be one header value", name)
		case !strings.HasPrefix(v, "Bearer "):
			a.warnings = append(a.warnings, fmt.Sprintf("%s does not start with \"Bearer \" (capital B, one space); the platform sends the dashboard's value whole, so the receiver must expect exactly that", name))
		}
		a.signer, a.bearer = deliver.Bearer{Value: v, Env: name}, v
		a.probe = probe.Auth{Mode: probe.AuthBearer, Env: name}
	case probe.AuthHMAC:
		name := orDefault(envName, DefaultSigningSecretEnv)
		v := e.getenv(name)
		if v == "" && embedded {
			k := make([]byte, 32)
			rand.Read(k)
			v = sign.FormatSecret(k)
		}
		if v == "" {
			return nil, usageError("--auth hmac: %s is not set; set it to the signing secret, e.g. export %s='whsec_<base64 key>'", name, name)
		}
		key, err := sign.ParseSecret(v)
		if err != nil {
			return nil, usageError("%s: %s", name, err)
		}
		a.signer, a.key = deliver.HMAC{Key: key, Env: name}, key
		a.probe = probe.Auth{Mode: probe.AuthHMAC, Key: key, Env: name}
	default:
		return nil, usageError("--auth %q is not valid (valid: bearer, hmac, none)", mode)
	}
	return a, nil
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

func randomSecret() string {
	var b [24]byte
	rand.Read(b[:])
	return "Bearer hs_" + hex.EncodeToString(b[:])
}

// embedded is the reference receiver started in-process as the default target.
type embedded struct {
	URL    string // the webhook
	Base   string // the probe API's base URL
	dir    string
	cancel context.CancelFunc
	done   chan error
}

// startEmbedded starts the reference receiver on a loopback port with a
// fresh database in a temporary folder.
func startEmbedded(authorization string, key []byte) (*embedded, error) {
	dir, err := os.MkdirTemp("", "hamsasim-receiver-")
	if err != nil {
		return nil, fmt.Errorf("cannot create a folder for the embedded receiver: %w", err)
	}
	rcv, err := receiver.New(receiver.Config{Authorization: authorization, SigningKey: key, DBPath: filepath.Join(dir, "receiver.db")})
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		rcv.Close()
		os.RemoveAll(dir)
		return nil, fmt.Errorf("cannot listen on loopback for the embedded receiver: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	base := "http://" + l.Addr().String()
	em := &embedded{URL: base + "/webhook", Base: base, dir: dir, cancel: cancel, done: make(chan error, 1)}
	go func() { em.done <- rcv.Serve(ctx, l) }()
	return em, nil
}

func (em *embedded) stop() {
	em.cancel()
	<-em.done
	os.RemoveAll(em.dir)
}
