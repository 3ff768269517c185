// Package receiver is the reference webhook receiver: the integration done
// right. It checks the Bearer token in constant time, rejects malformed
// payloads with 400, acknowledges unknown event types, stores every event
// under its duplicate key before answering, answers at once and processes
// afterwards, and tells redeliveries apart. With fault modes it becomes the
// adversary that proves hamsasim catches each class of integration bug.
package receiver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/hamsasim/hamsasim/internal/event"
	"github.com/hamsasim/hamsasim/internal/intake"
	"github.com/hamsasim/hamsasim/internal/sign"
)

// DefaultMaxBodyBytes is the largest event the receiver accepts: far above
// the longest call's transcript.
const DefaultMaxBodyBytes = 32 << 20

// Config configures a Receiver.
type Config struct {
	// Authorization is the whole expected header value ("Bearer <token>").
	// Empty (and no SigningKey) means no authentication (noAuth).
	Authorization string
	// SigningKey, if set, switches to Standard Webhooks signatures: every
	// request must carry a valid webhook-signature no older than sign.Tolerance.
	SigningKey   []byte
	DBPath       string     // SQLite file; created if missing
	Durability   Durability // default normal
	MaxBodyBytes int64      // default DefaultMaxBodyBytes
	Faults       Faults     // defects to simulate; none for the correct receiver
	Logger       *slog.Logger
}

// Receiver is the reference receiver. Create it with New, serve its Handler,
// and Close it to flush and stop processing.
type Receiver struct {
	cfg    Config
	store  *store
	intake *intake.Intake
	bearer sign.Bearer // the probe API's check: faults do not turn it off
	log    *slog.Logger
	stop   chan struct{}
	wg     sync.WaitGroup
	once   sync.Once
}

// New opens the database and starts the processor, which first catches up
// on events stored but not processed before a previous stop.
func New(cfg Config) (*Receiver, error) {
	if cfg.DBPath == "" {
		return nil, errors.New("receiver needs a database path")
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	st, err := openStore(cfg.DBPath, cfg.Durability)
	if err != nil {
		return nil, err
	}
	st.dupes = cfg.Faults.Has(FaultNoDedupe)
	r := &Receiver{cfg: cfg, store: st, log: cfg.Logger, stop: make(chan struct{})}
	r.intake = intake.New(intakeConfig(cfg))
	r.bearer = sign.NewBearer(cfg.Authorization)
	r.wg.Add(1)
	go r.processLoop()
	return r, nil
}

// intakeConfig is what the receiver accepts, with the auth-off and
// body-limit faults applied.
func intakeConfig(cfg Config) intake.Config {
	ic := intake.Config{Authorization: cfg.Authorization, SigningKey: cfg.SigningKey, MaxBodyBytes: cfg.MaxBodyBytes}
	if cfg.Faults.Has(FaultAuthOff) {
		ic.Authorization, ic.SigningKey = "", nil
	}
	if cfg.Faults.Has(FaultBodyLimit) {
		ic.MaxBodyBytes = FrameworkBodyLimit
	}
	return ic
}

// Close stops accepting events, finishes processing what is stored, and
// closes the database. Safe to call more than once.
func (r *Receiver) Close() error {
	var err error
	r.once.Do(func() {
		// Refuse new events first, so that the processor's last pass sees
		// everything that was acknowledged.
		r.store.stopWrites()
		close(r.stop)
		r.wg.Wait()
		err = r.store.close()
	})
	return err
}

func (r *Receiver) processLoop() {
	defer r.wg.Done()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		for {
			n, err := r.store.processPending(500)
			if err != nil {
				r.log.Error("processing failed; will retry", "err", err)
				break
			}
			if n == 0 {
				break
			}
		}
		select {
		case <-r.stop:
			// Last pass: whatever was committed before the stop.
			for {
				n, err := r.store.processPending(500)
				if err != nil || n == 0 {
					return
				}
			}
		case <-r.store.notify:
		case <-tick.C:
		}
	}
}

// Handler routes POST /webhook (events), GET /calls/{callId} (the probe
// API: what was recorded for a call) and GET /healthz.
func (r *Receiver) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /webhook", r.serveEvent)
	mux.HandleFunc("GET /calls/{callId}", r.serveCall)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		event.WriteJSON(w, http.StatusOK, map[string]any{"ok": true})
	})
	return mux
}

func (r *Receiver) serveEvent(w http.ResponseWriter, req *http.Request) {
	f := r.cfg.Faults
	if f.Has(FaultSlowAck) {
		// The defect: processing synchronously before answering.
		select {
		case <-time.After(SlowAckDelay):
		case <-req.Context().Done():
			return
		}
	}
	env, body, err := r.intake.Read(w, req)
	if err != nil {
		r.fail(w, intake.Status(err), failMessage[intake.Status(err)])
		return
	}
	typ, callID := env.EventType, env.CallID
	known := event.Known(typ)
	if !known && f.Has(FaultRejectUnknown) {
		r.fail(w, http.StatusBadRequest, "Unsupported event type")
		return
	}
	if typ == event.CallStarted && f.Has(FaultFailCallStarted) {
		r.fail(w, http.StatusInternalServerError, "Internal server error")
		return
	}
	if f.Has(FaultStrictOrder) && known {
		if ok, why := r.inOrder(req.Context(), callID, typ); !ok {
			r.fail(w, http.StatusConflict, why)
			return
		}
	}
	dup, err := r.store.put(req.Context(), env, body)
	if err != nil {
		// Not stored, so not acknowledged: the platform will retry.
		if req.Context().Err() != nil {
			r.log.Info("sender gave up before the event was stored", "eventType", typ, "callId", callID)
			return
		}
		r.log.Error("storing event failed", "eventType", typ, "err", err)
		r.fail(w, http.StatusServiceUnavailable, "Temporarily unavailable")
		return
	}
	a := event.Answer{Received: true, Duplicate: dup}
	if !known {
		a.Warning = "Unknown event type"
	}
	r.log.Info("event", "eventType", typ, "callId", callID, "duplicate", dup)
	event.WriteJSON(w, http.StatusOK, a)
}

// failMessage is the error the receiver answers each intake status with.
var failMessage = map[int]string{
	http.StatusUnauthorized:          "Unauthorized",
	http.StatusRequestEntityTooLarge: "Payload too large",
	http.StatusBadRequest:            "Invalid payload",
}

func (r *Receiver) fail(w http.ResponseWriter, status int, msg string) {
	if r.cfg.Faults.Has(FaultHTMLErrors) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(status)
		fmt.Fprintf(w, htmlErrorPage, status, msg)
		return
	}
	event.WriteJSON(w, status, event.Answer{Error: msg})
}

func (r *Receiver) serveCall(w http.ResponseWriter, req *http.Request) {
	ok := r.bearer.OK(req.Header.Get("Authorization"))
	if r.cfg.SigningKey != nil {
		ok = sign.Verify(req.Header, r.cfg.SigningKey, nil, time.Now()) == nil
	}
	if !ok {
		event.WriteJSON(w, http.StatusUnauthorized, event.Answer{Error: "Unauthorized"})
		return
	}
	rec, err := r.store.call(req.Context(), req.PathValue("callId"))
	switch {
	case errors.Is(err, errNoCall):
		event.WriteJSON(w, http.StatusNotFound, event.Answer{Error: "No such call"})
	case err != nil:
		r.log.Error("reading call failed", "err", err)
		event.WriteJSON(w, http.StatusServiceUnavailable, event.Answer{Error: "Temporarily unavailable"})
	default:
		event.WriteJSON(w, http.StatusOK, rec)
	}
}

// Serve answers on l until ctx is done, then shuts down gracefully: it waits
// for answers in flight (up to 10 s) and closes the receiver.
func (r *Receiver) Serve(ctx context.Context, l net.Listener) error {
	srv := &http.Server{
		Handler:           r.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(l) }()
	select {
	case err := <-errc:
		r.Close()
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := srv.Shutdown(sctx)
	if err != nil {
		srv.Close() // answers still running after 10 s are cut off
	}
	if cerr := r.Close(); err == nil {
		err = cerr
	}
	return err
}
