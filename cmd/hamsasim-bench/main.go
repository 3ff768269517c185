// Command hamsasim-bench compares `hamsasim load` with the vegeta and k6
// CLIs on loopback against a minimal Go sink (`make bench`). See
// internal/bench.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/hamsasim/hamsasim/internal/bench"
)

func main() {
	cfg := bench.Config{Log: os.Stderr, Go: os.Getenv("GO")}
	flag.IntVar(&cfg.Runs, "runs", bench.DefaultRuns, "rounds; each runs vegeta, k6 and hamsasim once, in that order")
	flag.DurationVar(&cfg.Duration, "duration", bench.DefaultDuration, "how long each tool loads the sink in each round")
	flag.IntVar(&cfg.Workers, "workers", bench.DefaultWorkers, "vegeta workers, k6 VUs and hamsasim workers (the same for every tool)")
	flag.StringVar(&cfg.Out, "out", bench.DefaultOut, "directory for bench.txt, bench.json and the tools' logs")
	flag.StringVar(&cfg.Hamsasim, "hamsasim", "", "a built hamsasim binary (default: go build ./cmd/hamsasim into a temporary directory)")
	flag.StringVar(&cfg.Scenario, "scenario", bench.DefaultScenario, "the scenario hamsasim runs; its mix also sizes vegeta's and k6's body")
	flag.IntVar(&cfg.InFlight, "in-flight", bench.MaxInFlight, fmt.Sprintf("calls hamsasim holds in flight at most; %d is the large mode (peak RSS under %.0f MB)", bench.LargeInFlight, bench.LargeMemoryLimitMB))
	flag.Parse()
	if flag.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "hamsasim-bench: unexpected arguments %q; it takes flags only (see -h)\n", flag.Args())
		os.Exit(2)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	_, err := bench.Run(ctx, cfg, os.Stdout)
	stop()
	switch {
	case err == nil:
	case errors.Is(err, context.Canceled):
		fmt.Fprintln(os.Stderr, "hamsasim-bench: interrupted; every process it started has been killed")
		os.Exit(130)
	case errors.Is(err, bench.ErrConfig):
		fmt.Fprintf(os.Stderr, "hamsasim-bench: %v\n", err)
		os.Exit(2)
	default:
		fmt.Fprintf(os.Stderr, "hamsasim-bench: %v\n", err)
		os.Exit(1)
	}
}
