package bench

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// The peer versions the bench pins. k6 v1.8.1 is the newest release the
// module proxy serves that `go install` builds with Go 1.26.
const (
	VegetaVersion = "v12.13.0"
	K6Version     = "v1.8.1"
)

// Peer is a load generator the bench compares hamsasim with, at one pinned
// version.
type Peer struct {
	Name    string `json:"name"`    // the binary's name
	Module  string `json:"module"`  // its main module, as `go version -m` prints it
	Version string `json:"version"` // the pinned version
	Path    string `json:"path"`    // where the binary is, once Ensure found or built it
}

// Peers returns vegeta and k6 at their pinned versions.
func Peers() []Peer {
	return []Peer{
		{Name: "vegeta", Module: "github.com/tsenart/vegeta/v12", Version: VegetaVersion},
		{Name: "k6", Module: "go.k6.io/k6", Version: K6Version},
	}
}

// installTimeout bounds one `go install`; k6 takes about 3 minutes on two
// cores with an empty module cache.
const installTimeout = 15 * time.Minute

// ErrPeer is wrapped by every failure to find or install a peer.
var ErrPeer = errors.New("peer")

// Ensure sets p.Path to a binary of p at p.Version: $(go env GOPATH)/bin's
// when it is that version, else cacheDir/NAME@VERSION/NAME, which it
// installs with `go install` when it is not there yet. installed reports
// whether it ran go install.
func (p *Peer) Ensure(ctx context.Context, goCmd, gopath, cacheDir string, log io.Writer) (installed bool, err error) {
	candidates := []string{filepath.Join(cacheDir, p.Name+"@"+p.Version, p.Name)}
	if gopath != "" {
		candidates = append([]string{filepath.Join(gopath, "bin", p.Name)}, candidates...)
	}
	for _, c := range candidates {
		if p.check(ctx, goCmd, c) == nil {
			p.Path = c
			return false, nil
		}
	}
	dir := filepath.Dir(candidates[len(candidates)-1])
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return false, fmt.Errorf("%w %s: %w", ErrPeer, p.Name, err)
	}
	fmt.Fprintf(log, "installing %s@%s into %s (go install; k6 takes a few minutes the first time)\n", p.Module, p.Version, dir)
	ictx, cancel := context.WithTimeout(ctx, installTimeout)
	defer cancel()
	cmd := exec.CommandContext(ictx, goCmd, "install", p.Module+"@"+p.Version)
	cmd.Env = append(os.Environ(), "GOBIN="+dir)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return false, ctx.Err()
		}
		return false, fmt.Errorf("%w %s: go install %s@%s failed: %w\n%s", ErrPeer, p.Name, p.Module, p.Version, err, tail(out.Bytes(), 20))
	}
	bin := filepath.Join(dir, p.Name)
	if err := p.check(ctx, goCmd, bin); err != nil {
		return true, err
	}
	p.Path = bin
	return true, nil
}

// check says whether the binary at path is p at p.Version.
func (p *Peer) check(ctx context.Context, goCmd, path string) error {
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("%w %s: %w", ErrPeer, p.Name, err)
	}
	out, err := exec.CommandContext(ctx, goCmd, "version", "-m", path).Output()
	if err != nil {
		return fmt.Errorf("%w %s: reading the build info of %s: %w", ErrPeer, p.Name, path, err)
	}
	if got := moduleVersion(out, p.Module); got != p.Version {
		return fmt.Errorf("%w %s: %s is %s %q, want %s", ErrPeer, p.Name, path, p.Module, got, p.Version)
	}
	return nil
}

// moduleVersion finds the version of the main module in `go version -m`
// output ("\tmod\tMODULE\tVERSION\tSUM"); "" when module is not the main
// module.
func moduleVersion(out []byte, module string) string {
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) >= 3 && f[0] == "mod" && f[1] == module {
			return f[2]
		}
	}
	return ""
}

// goEnv returns `go env NAME`, trimmed.
func goEnv(ctx context.Context, goCmd, name string) (string, error) {
	out, err := exec.CommandContext(ctx, goCmd, "env", name).Output()
	if err != nil {
		return "", fmt.Errorf("go env %s: %w", name, err)
	}
	v := strings.TrimSpace(string(out))
	// GOPATH may list several directories; go install uses the first.
	if i := strings.IndexByte(v, os.PathListSeparator); i >= 0 {
		v = v[:i]
	}
	return v, nil
}

// tail returns the last n lines of b, for error messages.
func tail(b []byte, n int) string {
	s := strings.TrimRight(string(b), "\n")
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
