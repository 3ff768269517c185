package cli

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/hamsasim/hamsasim/internal/capture"
)

type captureCmd struct {
	e         *env
	listen    string
	out       string
	auth      string
	secretEnv string
	spec      string
	noRedact  bool
	readyFile string
	idle      time.Duration
	quiet     bool
}

func newCaptureCmd(e *env) *cobra.Command {
	c := &captureCmd{e: e}
	cmd := &cobra.Command{
		Use:   "capture",
		Short: "Record real calls from the platform as fixtures, and report contract drift",
		Long: `Runs an endpoint to give the platform (through a tunnel such as ngrok or
cloudflared): POST /webhook acknowledges each event at once (200 with
{"received": true}; redeliveries get "duplicate": true), checks it against the
contract and prints each distinct drift once (unknown fields, missing fields,
wrong types, new event types), and when call.ended arrives writes the call to
--out as a fixture that 'hamsasim simulate --fixtures FILE' replays.

Phone numbers, e-mail addresses and names are replaced by placeholders unless
--no-redact is given. A call without call.ended is written, marked incomplete,
--idle after its last event, or when capture stops (Ctrl-C: exit 130).
It listens only on the --listen address (loopback by default).`,
		Example: `  WEBHOOK_SECRET='Bearer sk_test_123' hamsasim capture --listen 127.0.0.1:8090 --out fixtures/captured
  ngrok http 127.0.0.1:8090     # then give the platform https://<tunnel>/webhook`,
		Args: cobra.NoArgs,
		RunE: c.run,
	}
	f := cmd.Flags()
	f.StringVar(&c.listen, "listen", "127.0.0.1:8090", "address to listen on")
	f.StringVar(&c.out, "out", "fixtures/captured", "folder the fixtures are written to (created if missing; files are never overwritten)")
	f.StringVar(&c.auth, "auth", "bearer", "bearer (Authorization must equal $WEBHOOK_SECRET), hmac (Standard Webhooks signatures keyed with $WEBHOOK_SIGNING_SECRET) or none")
	f.StringVar(&c.secretEnv, "secret-env", "", "environment variable holding the secret (default WEBHOOK_SECRET, or WEBHOOK_SIGNING_SECRET with --auth hmac)")
	f.StringVar(&c.spec, "spec", "", "OpenAPI contract to check events against (default: the shipped one)")
	f.BoolVar(&c.noRedact, "no-redact", false, "keep phone numbers, e-mail addresses and names as received")
	f.StringVar(&c.readyFile, "ready-file", "", "write the listening URL to this file once ready")
	f.DurationVar(&c.idle, "idle", capture.DefaultIdle, "write a call without call.ended this long after its last event, marked incomplete")
	f.BoolVarP(&c.quiet, "quiet", "q", false, "print only the ready line and the summary")
	return cmd
}

func (c *captureCmd) run(cmd *cobra.Command, _ []string) error {
	if c.idle <= 0 {
		return usageError("--idle %s: must be longer than 0 (for example 10m)", c.idle)
	}
	if strings.TrimSpace(c.out) == "" {
		return usageError("--out: an empty path; give the folder the fixtures are written to")
	}
	a, err := resolveAuth(c.e, c.auth, c.secretEnv, false)
	if err != nil {
		return err
	}
	if c.auth != "none" {
		for _, w := range a.warnings {
			fmt.Fprintf(c.e.stderr, "warning: %s\n", w)
		}
	}
	ct, err := loadContract(c.spec)
	if err != nil {
		return err
	}
	if err := writableDir(c.out); err != nil {
		return err
	}

	p := &capturePrinter{w: c.e.stdout, quiet: c.quiet}
	scrub := a.scrubber()
	cp, err := capture.New(capture.Config{
		Out: c.out, Authorization: a.bearer, SigningKey: a.key,
		Contract: ct, Redact: !c.noRedact, Scrub: scrub.Clean, Idle: c.idle,
		Notify: p.notice,
	})
	if err != nil {
		return usageError("%s", err)
	}
	l, err := net.Listen("tcp", c.listen)
	if err != nil {
		cp.Close("")
		return usageError("--listen %s: %s", c.listen, err)
	}
	url := "http://" + l.Addr().String()
	if c.readyFile != "" {
		if err := os.WriteFile(c.readyFile, []byte(url+"/webhook\n"), 0o644); err != nil {
			l.Close()
			cp.Close("")
			return usageError("--ready-file: %s", ioWords(err))
		}
	}
	desc := map[string]string{"bearer": "Bearer auth", "hmac": "Standard Webhooks signatures", "none": "no auth"}[c.auth]
	redact := "redacted"
	if c.noRedact {
		redact = "not redacted"
	}
	p.printf("ready on %s/webhook (%s); fixtures to %s, %s\n", url, desc, c.out, redact)

	ctx := cmd.Context()
	if ctx == nil {
		ctx = context.Background()
	}
	stats, err := cp.Serve(ctx, l)
	p.summary(stats)
	if ctx.Err() != nil {
		return errInterrupted
	}
	return err
}

// writableDir creates dir if needed and checks a file can be created in it,
// so that a wrong --out stops capture before the platform is pointed at it.
func writableDir(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return usageError("--out %s: cannot create the folder: %s", dir, ioWords(err))
	}
	f, err := os.CreateTemp(dir, ".hamsasim-capture-*")
	if err != nil {
		return usageError("--out %s: cannot write there: %s", dir, ioWords(err))
	}
	f.Close()
	os.Remove(f.Name())
	return nil
}

// capturePrinter prints the capture's notices as they come.
type capturePrinter struct {
	mu    sync.Mutex
	w     io.Writer
	quiet bool
}

func (p *capturePrinter) printf(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.w, format, args...)
}

func (p *capturePrinter) notice(n capture.Notice) {
	if p.quiet && n.Err == nil {
		return
	}
	switch {
	case n.Drift != nil:
		d := n.Drift
		p.printf("drift    %-20s %-36s %s: %s\n", d.EventType, d.Path, d.Kind, d.Reason)
	case n.Written != nil:
		w := n.Written
		state := "complete"
		if w.Incomplete {
			state = "incomplete: " + w.Reason
		}
		extra := ""
		if len(w.Notes) > 0 {
			extra = fmt.Sprintf("; %d note(s) in the file", len(w.Notes))
		}
		p.printf("wrote    %s  call %s, %d event(s), %s%s\n", w.Path, w.CallID, w.Events, state, extra)
	case n.Refused != nil:
		p.printf("refused  %d: %s\n", n.Refused.Status, n.Refused.Reason)
	case n.Late != nil:
		p.printf("late     %s for call %s arrived after the call was written; it is not in the fixture\n", n.Late.EventType, n.Late.CallID)
	case n.Err != nil:
		p.printf("error    %s\n", n.Err)
	}
}

func (p *capturePrinter) summary(s capture.Stats) {
	var b strings.Builder
	fmt.Fprintf(&b, "\ncaptured %d call(s) (%d incomplete) from %d event(s); %d duplicate(s), %d late", s.Calls, s.Incomplete, s.Events, s.Duplicates, s.Late)
	if len(s.Refused) > 0 {
		codes := make([]int, 0, len(s.Refused))
		for k := range s.Refused {
			codes = append(codes, k)
		}
		sort.Ints(codes)
		var parts []string
		for _, k := range codes {
			parts = append(parts, fmt.Sprintf("%d answered %d", s.Refused[k], k))
		}
		fmt.Fprintf(&b, "; refused %s", strings.Join(parts, ", "))
	}
	b.WriteString("\n")
	if len(s.Drift) == 0 {
		b.WriteString("drift: none; every event matched the contract\n")
	} else {
		fmt.Fprintf(&b, "drift: %d kind(s)\n", len(s.Drift))
		for _, d := range s.Drift {
			fmt.Fprintf(&b, "  %-18s %-20s %-36s %d event(s)\n", d.Kind, d.EventType, d.Path, d.Events)
		}
		if s.DriftUnlisted > 0 {
			fmt.Fprintf(&b, "  and %d more findings past the first %d kinds, not listed\n", s.DriftUnlisted, capture.MaxDrifts)
		}
	}
	p.printf("%s", b.String())
}
