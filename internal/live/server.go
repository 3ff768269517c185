package live

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Errors Listen returns, wrapped.
var (
	// ErrAddress means the address is not host:port with a port from 0 to
	// 65535.
	ErrAddress = errors.New("not a host:port address")
	// ErrInUse means another listener has the port.
	ErrInUse = errors.New("address already in use")
)

// Path is where a Server serves the metrics.
const Path = "/metrics"

const (
	sampleEvery = time.Second
	// closeGrace is how long Close lets a scrape under way finish.
	closeGrace = 2 * time.Second
)

// Server serves a Metrics at Path while a run goes, and samples it once a
// second for the rates. Make it with Listen; Close it once the run has
// ended. Close is idempotent.
type Server struct {
	m     *Metrics
	ln    net.Listener
	srv   *http.Server
	stop  chan struct{}
	wg    sync.WaitGroup
	close sync.Once
}

// Listen opens addr ("host:port" or ":port"; port 0 picks a free one)
// at once, so that a bad address or a port in use is known before any
// load is sent, and serves m there. Its errors wrap ErrAddress or
// ErrInUse, or are the listener's own.
func Listen(addr string, m *Metrics) (*Server, error) {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("%w: %q", ErrAddress, addr)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return nil, fmt.Errorf("%w: %q: the port must be a number from 0 to 65535", ErrAddress, addr)
	}
	ln, err := net.Listen("tcp", addr)
	if errors.Is(err, syscall.EADDRINUSE) {
		return nil, fmt.Errorf("%w: %s", ErrInUse, addr)
	} else if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle(Path, promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError}))
	s := &Server{
		m: m, ln: ln, stop: make(chan struct{}),
		srv: &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second},
	}
	s.wg.Go(func() { _ = s.srv.Serve(ln) })
	s.wg.Go(s.sample)
	return s, nil
}

// URL is where the metrics are served.
func (s *Server) URL() string { return "http://" + s.ln.Addr().String() + Path }

// Addr is the address listened on (with the port chosen, for port 0).
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// sample samples the metrics once a second until Close.
func (s *Server) sample() {
	t := time.NewTicker(sampleEvery)
	defer t.Stop()
	for {
		select {
		case now := <-t.C:
			s.m.Sample(now)
		case <-s.stop:
			return
		}
	}
}

// Close stops serving: a scrape under way may finish (for a short while),
// and no new one is taken.
func (s *Server) Close() error {
	var err error
	s.close.Do(func() {
		close(s.stop)
		ctx, cancel := context.WithTimeout(context.Background(), closeGrace)
		defer cancel()
		if err = s.srv.Shutdown(ctx); err != nil {
			_ = s.srv.Close()
		}
		s.wg.Wait()
	})
	return err
}
