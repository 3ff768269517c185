// Command hamsasim is a simulated Hamsa voice-agent platform for testing
// webhook receivers. See the README.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/hamsasim/hamsasim/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
