package cli

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/hamsasim/hamsasim/internal/deliver"
	"github.com/hamsasim/hamsasim/internal/load"
)

type redeliverCmd struct {
	e         *env
	target    string
	auth      string
	secretEnv string
	retries   int
	insecure  bool
}

func newRedeliverCmd(e *env) *cobra.Command {
	r := &redeliverCmd{e: e}
	cmd := &cobra.Command{
		Use:   "redeliver FILE",
		Short: "Send the dead letters of a load run again (the portal's manual retry)",
		Long: `Sends every event in a dead-letters.jsonl (written by 'hamsasim load' for the
deliveries it gave up on) to --target again, one after the other, with the
body and timestamp it had: a receiver that recorded an event before it
failed to acknowledge it recognises the duplicate key.

Exit codes: 0 every event acknowledged, 1 some were not, 2 bad flags or a
damaged file (its line is named), 130 interrupted.`,
		Example: `  WEBHOOK_SECRET='Bearer sk_test_123' hamsasim redeliver reports/run1/dead-letters.jsonl --target https://staging.example.com/hamsa`,
		Args:    cobra.ExactArgs(1),
		RunE:    r.run,
	}
	f := cmd.Flags()
	f.StringVar(&r.target, "target", "", "webhook URL to send them to (required)")
	f.StringVar(&r.auth, "auth", "", "bearer, hmac or none, as for simulate")
	f.StringVar(&r.secretEnv, "secret-env", "", "environment variable holding the secret (default WEBHOOK_SECRET, or WEBHOOK_SIGNING_SECRET with --auth hmac)")
	f.IntVar(&r.retries, "retries", 2, "retries after a timeout, 5xx, 408, 429 or connection error")
	f.BoolVar(&r.insecure, "insecure", false, "do not verify the target's TLS certificate")
	return cmd
}

func (r *redeliverCmd) run(cmd *cobra.Command, args []string) error {
	if r.target == "" {
		return usageError("redeliver: --target is required")
	}
	if r.retries < 0 || r.retries > 10 {
		return usageError("--retries %d: use 0 to 10", r.retries)
	}
	u, err := parseTarget(r.target)
	if err != nil {
		return err
	}
	f, err := os.Open(args[0])
	if err != nil {
		return usageError("redeliver: %s: cannot read: %s", args[0], ioWords(err))
	}
	letters, err := load.ReadDeadLetters(f, args[0])
	f.Close()
	if err != nil {
		if errors.Is(err, load.ErrDeadLetter) {
			return usageError("%s", err)
		}
		return err
	}
	a, err := resolveAuth(r.e, r.auth, r.secretEnv, false)
	if err != nil {
		return err
	}
	for _, w := range a.warnings {
		fmt.Fprintf(r.e.stderr, "warning: %s\n", w)
	}
	d, client, err := newDeliverer(a, r.retries, 1, r.insecure)
	if err != nil {
		return err
	}
	defer client.CloseIdleConnections()
	scrub := a.scrubber()
	shown := displayURL(u)
	acked := 0
	pal := r.e.stream(r.e.stdout).Palette()
	for i, dl := range letters {
		res := d.Deliver(cmd.Context(), r.target, dl.Event(), nil)
		last := res.Final()
		verdict := fmt.Sprintf("%d", last.Status)
		if last.Class != deliver.ClassNone {
			verdict = string(last.Class)
		}
		mark := "ok  "
		if res.Acked() {
			acked++
		} else {
			mark = "FAIL"
		}
		fmt.Fprintf(r.e.stdout, "%s %d/%d %s %s %s: %s after %s\n", pal.Word(mark), i+1, len(letters), dl.EventType, dl.CallID, dl.Timestamp,
			scrub.Clean(verdict), count(res.Made(), "attempt"))
		if cmd.Context().Err() != nil {
			fmt.Fprintf(r.e.stdout, "interrupted: %d of %d sent to %s\n", i+1, len(letters), shown)
			return errInterrupted
		}
	}
	fmt.Fprintf(r.e.stdout, "%d of %d dead letters acknowledged by %s\n", acked, len(letters), shown)
	if acked < len(letters) {
		return errFindings
	}
	return nil
}
