// ascii-only mimics a receiver on Python's standard library http.server,
// the way a quick script is written:
//
//	class Handler(BaseHTTPRequestHandler):
//	    def do_POST(self):
//	        try:
//	            if not hmac.compare_digest(self.headers.get("Authorization", ""), SECRET):
//	                return self.reply(401, {"error": "Unauthorized"})
//	            body = self.rfile.read(int(self.headers["Content-Length"])).decode("ascii")
//	            ...
//	        except Exception:
//	            self.send_error(500)
//
// Right: the whole header compared in constant time, 400 for bad bodies,
// the full duplicate key checked and added under a lock, unknown types
// acknowledged; HTTP/1.0-style one connection per request is slow but
// fine.
// Wrong: .decode("ascii"). JSON on the wire is UTF-8, and a caller's name
// with an accent, an Arabic or Hindi transcript or an emoji raises
// UnicodeDecodeError, answered by send_error(500) with http.server's HTML
// error page. The platform retries a 5xx, each retry fails the same way,
// and the event is lost. .decode("utf-8"), or json.loads on the bytes, is
// the fix.

package main

import (
	"crypto/hmac"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"unicode/utf8"
)

type pyHTTPServer struct {
	o    options
	lock sync.Mutex
	seen map[string]bool
}

func newASCIIOnly(o options) (http.Handler, error) {
	return &pyHTTPServer{o: o, seen: map[string]bool{}}, nil
}

func (h *pyHTTPServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// HTTP/1.0 habits: a Server header, and the connection closed after
	// each answer.
	w.Header().Set("Server", "BaseHTTP/0.6 Python/3.12.3")
	w.Header().Set("Connection", "close")
	if h.o.token != "" && !hmac.Equal([]byte(r.Header.Get("Authorization")), []byte(h.o.token)) {
		h.reply(w, http.StatusUnauthorized, `{"error": "Unauthorized"}`)
		return
	}
	n, err := strconv.Atoi(r.Header.Get("Content-Length"))
	if err != nil {
		h.sendError(w, http.StatusInternalServerError) // int(None): TypeError
		return
	}
	raw, err := io.ReadAll(io.LimitReader(r.Body, int64(n)))
	if err != nil {
		h.sendError(w, http.StatusInternalServerError)
		return
	}
	if pos := nonASCII(raw); pos >= 0 {
		h.o.log.Printf("UnicodeDecodeError: 'ascii' codec can't decode byte 0x%02x in position %d: ordinal not in range(128)", raw[pos], pos)
		h.sendError(w, http.StatusInternalServerError)
		return
	}
	var event map[string]any
	if err := json.Unmarshal(raw, &event); err != nil { // json.JSONDecodeError
		h.reply(w, http.StatusBadRequest, `{"error": "Invalid payload"}`)
		return
	}
	callID, _ := event["callId"].(string)
	eventType, _ := event["eventType"].(string)
	timestamp, _ := event["timestamp"].(string)
	if callID == "" || eventType == "" || timestamp == "" {
		h.reply(w, http.StatusBadRequest, `{"error": "Invalid payload"}`)
		return
	}
	key := fmt.Sprintf("%s|%s|%s", callID, eventType, timestamp)
	h.lock.Lock()
	duplicate := h.seen[key]
	h.seen[key] = true
	h.lock.Unlock()
	if duplicate {
		h.reply(w, http.StatusOK, `{"received": true, "duplicate": true}`)
		return
	}
	k := eventKey{callID, eventType, timestamp}
	h.o.ledger.stored(k)
	h.o.ledger.processed(k)
	h.reply(w, http.StatusOK, `{"received": true}`)
}

// nonASCII is the position of the first byte .decode("ascii") refuses, or -1.
func nonASCII(b []byte) int {
	for i, c := range b {
		if c >= utf8.RuneSelf {
			return i
		}
	}
	return -1
}

// reply is send_response, send_header("Content-Type", "application/json"),
// end_headers, wfile.write(json.dumps(obj).encode()).
func (h *pyHTTPServer) reply(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	io.WriteString(w, body)
}

// sendError is BaseHTTPRequestHandler.send_error: its HTML error page.
func (h *pyHTTPServer) sendError(w http.ResponseWriter, status int) {
	w.Header().Set("Content-Type", "text/html;charset=utf-8")
	w.WriteHeader(status)
	fmt.Fprintf(w, `<!DOCTYPE HTML>
<html lang="en">
    <head>
        <meta charset="utf-8">
        <title>Error response</title>
    </head>
    <body>
        <h1>Error response</h1>
        <p>Error code: %d</p>
        <p>Message: %s.</p>
        <p>Error code explanation: %d - Server got itself in trouble.</p>
    </body>
</html>
`, status, http.StatusText(status), status)
}
