// Package cli is hamsasim's command line. Commands print; packages below
// return errors. Every error becomes an exit code here, in one place.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"time"

	"github.com/spf13/cobra"

	"github.com/hamsasim/hamsasim/internal/load"
	"github.com/hamsasim/hamsasim/internal/tty"
)

// Exit codes.
const (
	ExitPassed      = 0   // the run passed
	ExitFindings    = 1   // findings of severity error (or warnings with --strict), or thresholds failed
	ExitUsage       = 2   // bad flags, bad input files, unreachable configuration
	ExitInterrupted = 130 // SIGINT or SIGTERM
)

// Set at build time by the Makefile and deploy/Dockerfile with
// -ldflags "-X github.com/hamsasim/hamsasim/internal/cli.version=...", and
// likewise commit and date. A build without them (go build, go install from
// a clone) falls back to what the Go toolchain recorded of the checkout.
var (
	version = "" // git describe --tags --always --dirty
	commit  = "" // git rev-parse HEAD
	date    = "" // the UTC build time, RFC 3339
)

// Version returns the build's version, BuildOf().Version.
func Version() string { return BuildOf().Version }

// BuildOf returns the build's version, commit and date: the values stamped
// at link time, else the build info's VCS data.
func BuildOf() Build {
	bi, _ := debug.ReadBuildInfo()
	return buildOf(version, commit, date, bi)
}

// exitError carries an exit code to Main.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return ""
	}
	return e.err.Error()
}
func (e *exitError) Unwrap() error { return e.err }

// usageError is bad input from the user: exit 2.
func usageError(format string, args ...any) error {
	return &exitError{code: ExitUsage, err: fmt.Errorf(format, args...)}
}

// findingsError is a run that completed and failed: exit 1, nothing more to print.
var errFindings = &exitError{code: ExitFindings}

var errInterrupted = &exitError{code: ExitInterrupted, err: errors.New("interrupted")}

// env is what commands read from the environment; tests replace it.
type env struct {
	stdout, stderr io.Writer
	getenv         func(string) string
	// process is set when hamsasim owns the process (Main), not in tests
	// that run commands in-process: only then may a command tune the runtime.
	process bool
	// terminal says whether an output stream is a terminal; nil asks the
	// stream (tty.IsTerminal). Tests declare their buffers terminals here.
	terminal func(io.Writer) bool
	// heartbeat is how often progress goes to a log; 0: tty.DefaultHeartbeat.
	heartbeat time.Duration
	noColor   bool // --no-color
}

// stream is how w is written to: a terminal or a log, in colour or not
// (tty.Decide, from NO_COLOR, TERM and --no-color).
func (e *env) stream(w io.Writer) tty.Stream {
	return tty.Decide(w, tty.Settings{Getenv: e.getenv, NoColor: e.noColor, IsTerminal: e.terminal})
}

// Main runs the command line and returns the exit code.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return run(ctx, args, &env{stdout: stdout, stderr: stderr, getenv: os.Getenv, process: true})
}

func run(ctx context.Context, args []string, e *env) int {
	root := newRoot(e)
	root.SetArgs(args)
	root.SetOut(e.stdout)
	root.SetErr(e.stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitPassed
	}
	code, msg := exitCode(err)
	if msg != "" {
		fmt.Fprintf(e.stderr, "hamsasim: %s\n", msg)
	}
	var xe *exitError
	var re *ranError
	if !errors.As(err, &xe) && !errors.As(err, &re) {
		// cobra's own: an unknown command or a wrong argument (a bad flag
		// is a usageError already).
		fmt.Fprintf(e.stderr, "Run 'hamsasim --help' for usage.\n")
	}
	return code
}

// exitCode is the one place an error becomes an exit code, with the
// message to print ("" for none).
func exitCode(err error) (int, string) {
	var xe *exitError
	switch {
	case errors.As(err, &xe):
		if xe.err == nil || xe.code == ExitFindings {
			return xe.code, ""
		}
		return xe.code, xe.err.Error()
	case errors.Is(err, load.ErrInterrupted):
		return ExitInterrupted, err.Error()
	case errors.Is(err, load.ErrFailed):
		return ExitFindings, ""
	}
	// load.ErrConfig, errors from cobra, and anything else: usage.
	return ExitUsage, err.Error()
}

// ranError marks an error a command's RunE returned, as opposed to one
// cobra raised while reading the command line.
type ranError struct{ err error }

func (e *ranError) Error() string { return e.err.Error() }
func (e *ranError) Unwrap() error { return e.err }

// markRan wraps every command's RunE so that run can tell their errors
// from cobra's.
func markRan(c *cobra.Command) {
	if f := c.RunE; f != nil {
		c.RunE = func(cmd *cobra.Command, args []string) error {
			if err := f(cmd, args); err != nil {
				return &ranError{err}
			}
			return nil
		}
	}
	for _, sub := range c.Commands() {
		markRan(sub)
	}
}

func newRoot(e *env) *cobra.Command {
	root := &cobra.Command{
		Use:   "hamsasim",
		Short: "A simulated Hamsa voice-agent platform for testing webhook receivers",
		Long: `hamsasim replays whole voice-call lifecycles (call.started, call.answered,
transcription.update, tool.executed, call.ended) against a webhook endpoint,
the way the Hamsa platform delivers them, and checks every answer against the
webhook contract: Bearer auth, 2xx within 5 seconds, idempotent redelivery.

With no --target it runs against its own reference receiver, so every command
works on a fresh machine.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       Version(),
	}
	root.SetFlagErrorFunc(flagError)
	root.AddCommand(
		newTriggerCmd(e),
		newSimulateCmd(e),
		newLoadCmd(e),
		newCaptureCmd(e),
		newReportCmd(e),
		newRedeliverCmd(e),
		newReceiverCmd(e),
		newChecksCmd(e),
		newFeaturesCmd(e),
		newStepsCmd(e),
		newFixturesCmd(e),
		newConfigCmd(e),
		newVersionCmd(e),
	)
	// Values a command was not given on the command line come from
	// HAMSASIM_* variables, then the config file (see 'hamsasim config --help').
	root.PersistentFlags().String(configFlag, "", "config file (default: $"+flagEnv(configFlag)+", else the nearest "+ConfigFileName+" from the working directory up to the repository's root; '' for none)")
	root.PersistentFlags().BoolVar(&e.noColor, "no-color", false, "no colour in the output (as does a non-empty $NO_COLOR); colour is only ever used on a terminal")
	root.PersistentPreRunE = configHook(e)
	registerCompletions(root)
	durationsAsWritten(root)
	markRan(root)
	return root
}

func newVersionCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the build's version, commit and date, and the contract's version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := loadContract("")
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "%scontract %s %s\n", BuildOf(), c.Title, c.Version)
			return nil
		},
	}
}
