package bench

import (
	"io"
	"net/http"
)

// sinkAnswer is the sink's whole answer: valid under the contract for every
// event type (spec/hamsa-webhooks.yaml).
var sinkAnswer = []byte(`{"received":true}`)

// SinkHandler is the minimal webhook receiver the bench loads: every POST is
// read to the end and answered 200 {"received":true} as application/json;
// any other method gets 405. It keeps no state, so it is safe for
// concurrent use and costs the same for every generator.
func SinkHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			w.WriteHeader(http.StatusMethodNotAllowed)
			return
		}
		// Read the body fully, as a real receiver must before it answers;
		// an aborted upload gets no answer worth measuring.
		if _, err := io.Copy(io.Discard, r.Body); err != nil {
			return
		}
		h := w.Header()
		h["Content-Type"] = []string{"application/json"}
		h["Content-Length"] = []string{"17"}
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(sinkAnswer)
	})
}
