// Command hamsasim-sink is the minimal webhook receiver `make bench` loads:
// a net/http server on 127.0.0.1 that answers every POST with
// 200 {"received":true} after reading the body. It prints the address it
// listens on as its first line, so -port 0 (any free port) can be used.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/hamsasim/hamsasim/internal/bench"
)

func main() {
	port := flag.Int("port", 8089, "port to listen on, on 127.0.0.1 only (0: any free port)")
	flag.Parse()

	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(*port)))
	if err != nil {
		fmt.Fprintf(os.Stderr, "hamsasim-sink: %v\n", err)
		os.Exit(1)
	}
	fmt.Printf("listening on http://%s\n", ln.Addr())

	srv := &http.Server{Handler: bench.SinkHandler(), ReadHeaderTimeout: 10 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(shut)
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintf(os.Stderr, "hamsasim-sink: %v\n", err)
		os.Exit(1)
	}
}
