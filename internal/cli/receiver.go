package cli

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/hamsasim/hamsasim/internal/receiver"
)

type receiverCmd struct {
	e          *env
	listen     string
	db         string
	secretEnv  string
	noAuth     bool
	auth       string
	faults     []string
	durability string
	readyFile  string
	quiet      bool
}

func newReceiverCmd(e *env) *cobra.Command {
	r := &receiverCmd{e: e}
	cmd := &cobra.Command{
		Use:   "receiver",
		Short: "Run the reference webhook receiver (the correct integration)",
		Long: `Runs the reference receiver: POST /webhook takes events, GET /calls/{callId}
shows what was recorded for a call (the probe API), GET /healthz answers ok.

It checks the Authorization header against $WEBHOOK_SECRET (the whole value,
"Bearer <token>") in constant time, answers 400 to malformed events, 200 with
a warning to unknown event types, stores each event under its duplicate key
(callId + eventType + timestamp) in SQLite before answering 200, processes
afterwards, and answers {"received": true, "duplicate": true} to redeliveries.

--fault gives it a real integration's defect, to prove a harness catches it:
` + faultList(),
		Example: `  WEBHOOK_SECRET='Bearer sk_test_123' hamsasim receiver --listen 127.0.0.1:8080 --db receiver.db
  hamsasim receiver --no-auth --fault slow-ack`,
		Args: cobra.NoArgs,
		RunE: r.run,
	}
	f := cmd.Flags()
	f.StringVar(&r.listen, "listen", "127.0.0.1:8080", "address to listen on")
	f.StringVar(&r.db, "db", "receiver.db", "SQLite database file (created if missing)")
	f.StringVar(&r.auth, "auth", "bearer", "bearer (Authorization must equal $WEBHOOK_SECRET), hmac (Standard Webhooks signatures keyed with $WEBHOOK_SIGNING_SECRET) or none")
	f.StringVar(&r.secretEnv, "secret-env", "", "environment variable holding the secret (default WEBHOOK_SECRET, or WEBHOOK_SIGNING_SECRET with --auth hmac)")
	f.BoolVar(&r.noAuth, "no-auth", false, "same as --auth none: accept events without credentials (the platform's noAuth mode)")
	f.StringSliceVar(&r.faults, "fault", nil, "defect to simulate (repeatable): "+strings.Join(receiver.FaultNames(), ", "))
	f.StringVar(&r.durability, "durability", "normal", "normal: survives a crash of the process; full: also a power loss (fsync per commit)")
	f.StringVar(&r.readyFile, "ready-file", "", "write the listening URL to this file once ready")
	f.BoolVarP(&r.quiet, "quiet", "q", false, "do not log each event")
	return cmd
}

func faultList() string {
	var b strings.Builder
	for _, n := range receiver.FaultNames() {
		fmt.Fprintf(&b, "  %-18s %s\n", n, receiver.FaultInfo[receiver.Fault(n)])
	}
	return b.String()
}

func (r *receiverCmd) run(cmd *cobra.Command, _ []string) error {
	faults, err := receiver.ParseFaults(r.faults)
	if err != nil {
		return usageError("--fault: %s", err)
	}
	if r.durability != "normal" && r.durability != "full" {
		return usageError("--durability %q is not valid (valid: normal, full)", r.durability)
	}
	mode := r.auth
	if r.noAuth {
		mode = "none"
	}
	if mode == "bearer" && r.e.getenv(orDefault(r.secretEnv, DefaultSecretEnv)) == "" {
		name := orDefault(r.secretEnv, DefaultSecretEnv)
		return usageError("%s is not set: set it to the whole Authorization value the platform sends, e.g. export %s='Bearer <token>', or pass --auth none", name, name)
	}
	a, err := resolveAuth(r.e, mode, r.secretEnv, false)
	if err != nil {
		return err
	}
	for _, w := range a.warnings {
		if mode != "none" {
			fmt.Fprintf(r.e.stderr, "warning: %s\n", w)
		}
	}
	level := slog.LevelInfo
	if r.quiet {
		level = slog.LevelWarn
	}
	rcv, err := receiver.New(receiver.Config{
		Authorization: a.bearer, SigningKey: a.key, DBPath: r.db, Durability: receiver.Durability(r.durability), Faults: faults,
		Logger: slog.New(slog.NewTextHandler(r.e.stderr, &slog.HandlerOptions{Level: level})),
	})
	if err != nil {
		return usageError("%s", err)
	}
	l, err := net.Listen("tcp", r.listen)
	if err != nil {
		rcv.Close()
		return usageError("--listen %s: %s", r.listen, err)
	}
	url := "http://" + l.Addr().String()
	if r.readyFile != "" {
		if err := os.WriteFile(r.readyFile, []byte(url+"/webhook\n"), 0o644); err != nil {
			l.Close()
			rcv.Close()
			return usageError("--ready-file: %s", err)
		}
	}
	desc := map[string]string{"bearer": "Bearer auth", "hmac": "Standard Webhooks signatures", "none": "no auth"}[mode]
	if len(faults) > 0 {
		desc += ", faults: " + strings.Join(r.faults, ",")
	}
	fmt.Fprintf(r.e.stdout, "ready on %s/webhook (%s)\n", url, desc)
	ctx := cmd.Context()
	if ctx == nil {
		ctx = context.Background()
	}
	if err := rcv.Serve(ctx, l); err != nil && ctx.Err() == nil {
		return err
	}
	return nil
}
