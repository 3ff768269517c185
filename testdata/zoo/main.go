// Command zoo serves one of a set of small webhook receivers for Hamsa's
// voice-agent events, each written the way a developer on another stack
// would write it, habits and mistakes included. hamsasim's tests
// (internal/cli/zoo_test.go) run simulate against each and assert which
// checks fire. It uses the standard library only and nothing of hamsasim:
// these are the receivers hamsasim meets in the wild, not its reference.
//
//	go build -o zoo ./testdata/zoo
//	zoo -kind ok-204 -token 'Bearer sk_test_x'
//	zoo -kind ok-hmac-raw -signing-secret whsec_MDEyMzQ1Njc4OWFiY2RlZg==
//
// It prints "listening http://127.0.0.1:PORT" on one line, then serves
// POST /webhook and the probe API (GET /calls/{callId}) until killed.
package main

import (
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"sort"
	"strings"
	"time"
)

// options are what every receiver is built from.
type options struct {
	token  string  // the whole expected Authorization value; "" checks nothing
	key    []byte  // the Standard Webhooks key (-signing-secret); nil when not set
	ledger *ledger // what the receiver stored and processed, for the probe API
	log    *log.Logger
	// capacity configures the receivers of known capacity (capacity.go).
	capacity capacityOptions
}

// kinds maps each -kind to the receiver it builds. The files named after
// them say which stack each mimics and what is right or wrong with it.
var kinds = map[string]func(options) (http.Handler, error){
	"ok-204":                 newOK204,
	"ok-202-queued":          newOK202Queued,
	"ok-fastapi":             newOKFastAPI,
	"ok-hmac-raw":            newOKHMACRaw,
	"dup-key-coarse":         newDupKeyCoarse,
	"race-check-then-insert": newRaceCheckThenInsert,
	"hmac-reserialize":       newHMACReserialize,
	"auth-prefix-only":       newAuthPrefixOnly,
	"no-auth":                newNoAuth,
	"order-strict":           newOrderStrict,
	"cold-start":             newColdStart,
	"ascii-only":             newASCIIOnly,
	"express-sample":         newExpressSample,
	"drop-events":            newDropEvents,
	"small-body-limit":       newSmallBodyLimit,
	"queue":                  newQueue,
	"rate-limit":             newRateLimit,
}

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintf(os.Stderr, "zoo: %s\n", err)
		os.Exit(2)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("zoo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	kind := fs.String("kind", "", "receiver to serve: "+strings.Join(kindNames(), ", "))
	addr := fs.String("addr", "127.0.0.1:0", "loopback address to listen on")
	token := fs.String("token", "", `whole expected Authorization value, e.g. "Bearer sk_test_x" (empty: no check)`)
	secret := fs.String("signing-secret", "", "Standard Webhooks secret, whsec_<base64 key>: verify signatures instead of a token")
	var capy capacityOptions
	fs.IntVar(&capy.workers, "workers", 1, "queue: workers")
	fs.DurationVar(&capy.work, "work", 25*time.Millisecond, "queue: work per event")
	fs.Float64Var(&capy.rate, "rate", 150, "rate-limit: events/s let through")
	fs.Float64Var(&capy.burst, "burst", 0, "rate-limit: tokens the bucket holds (0: one second's worth)")
	withStdin := fs.Bool("exit-with-stdin", false, "exit when stdin reaches its end (a test holds it open, so a receiver never outlives its test)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *withStdin {
		go func() {
			io.Copy(io.Discard, os.Stdin)
			os.Exit(0)
		}()
	}
	build, ok := kinds[*kind]
	if !ok {
		return fmt.Errorf("-kind %q is not a receiver; valid: %s", *kind, strings.Join(kindNames(), ", "))
	}
	opts := options{token: *token, ledger: newLedger(), log: log.New(stderr, *kind+" ", log.Lmicroseconds), capacity: capy}
	if *secret != "" {
		key, err := parseSigningSecret(*secret)
		if err != nil {
			return err
		}
		opts.key = key
	}
	if err := loopbackOnly(*addr); err != nil {
		return err
	}
	h, err := build(opts)
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.Handle("POST /webhook", h)
	mux.Handle("GET /calls/{callId}", opts.ledger.handler(probeAuth(opts)))
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "listening http://%s\n", ln.Addr())
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ErrorLog: opts.log}
	return srv.Serve(ln)
}

func kindNames() []string {
	names := make([]string, 0, len(kinds))
	for k := range kinds {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// loopbackOnly refuses an address other processes could reach: these
// receivers are for tests on this machine.
func loopbackOnly(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("-addr %q: %w", addr, err)
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("-addr %q: only a loopback address is allowed (127.0.0.1:PORT)", addr)
	}
	return nil
}

// parseSigningSecret decodes "whsec_<base64>" into the HMAC key.
func parseSigningSecret(s string) ([]byte, error) {
	b64, ok := strings.CutPrefix(s, "whsec_")
	if !ok {
		return nil, errors.New("-signing-secret must start with whsec_")
	}
	key, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || len(key) == 0 {
		return nil, errors.New("-signing-secret: the part after whsec_ is not base64")
	}
	return key, nil
}

// needKey is for the receivers that only make sense with signatures.
func needKey(o options, kind string) error {
	if o.key == nil {
		return fmt.Errorf("%s verifies signatures: give -signing-secret whsec_<base64>", kind)
	}
	return nil
}
