// The pieces of Express 4 the Node receivers here are built on, as they
// behave with NODE_ENV=production: express.json() (body-parser) and the
// default error handler (finalhandler). The receivers are the app code a
// developer writes on top; this file is the framework they share.

package main

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
)

// expressReq is req as an Express handler sees it: req.body parsed.
type expressReq struct {
	*http.Request
	body any // what express.json() made of the body; {} when it skipped it
}

// bodyObj is req.body when it is an object (nil otherwise).
func (r *expressReq) bodyObj() *jsObject {
	o, _ := r.body.(*jsObject)
	return o
}

// httpError is an error with a status, as http-errors makes them
// (err.status, err.type, err.message).
type httpError struct {
	status int
	typ    string
	msg    string
}

func (e *httpError) Error() string { return e.msg }

// statusOf is err.status || 500.
func statusOf(err error) int {
	var he *httpError
	if errors.As(err, &he) {
		return he.status
	}
	return http.StatusInternalServerError
}

// expressApp is app.use(express.json({limit})); app.post('/webhook', handler);
// with an optional error-handling middleware, else finalhandler's page.
type expressApp struct {
	limit      int64 // bytes; express.json()'s default is 100 kB
	handler    func(w http.ResponseWriter, req *expressReq) error
	errHandler func(w http.ResponseWriter, req *expressReq, err error)
}

// expressDefaultLimit is bytes.parse('100kb').
const expressDefaultLimit = 100 * 1024

func (app expressApp) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	req := &expressReq{Request: r, body: &jsObject{vals: map[string]any{}}}
	err := app.parseJSON(req)
	if err == nil {
		err = app.handler(w, req)
	}
	if err == nil {
		return
	}
	if app.errHandler != nil {
		app.errHandler(w, req, err)
		return
	}
	finalHandler(w, statusOf(err))
}

// parseJSON is body-parser's json(): only for a JSON content type, a
// limit checked against Content-Length first, strict mode (the body must
// be an object or an array), an empty body read as {}.
func (app expressApp) parseJSON(req *expressReq) error {
	mt, _, _ := mime.ParseMediaType(req.Header.Get("Content-Type"))
	if mt != "application/json" {
		return nil
	}
	tooLarge := &httpError{status: http.StatusRequestEntityTooLarge, typ: "entity.too.large", msg: "request entity too large"}
	if n, err := strconv.ParseInt(req.Header.Get("Content-Length"), 10, 64); err == nil && n > app.limit {
		return tooLarge
	}
	raw, err := io.ReadAll(io.LimitReader(req.Body, app.limit+1))
	if err != nil {
		return &httpError{status: http.StatusBadRequest, typ: "request.aborted", msg: "request aborted"}
	}
	if int64(len(raw)) > app.limit {
		return tooLarge
	}
	raw = []byte(strings.TrimPrefix(string(raw), "\uFEFF"))
	if len(raw) == 0 {
		return nil
	}
	first := strings.TrimLeft(string(raw), " \t\n\r")
	if first == "" || (first[0] != '{' && first[0] != '[') {
		return &httpError{status: http.StatusBadRequest, typ: "entity.parse.failed", msg: "Unexpected token in JSON at position 0"}
	}
	v, err := jsonParse(raw)
	if err != nil {
		return &httpError{status: http.StatusBadRequest, typ: "entity.parse.failed", msg: err.Error()}
	}
	req.body = v
	return nil
}

// resJSON is res.status(status).json(body) for a body given as JSON text.
func resJSON(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-Powered-By", "Express")
	w.WriteHeader(status)
	io.WriteString(w, body)
}

// finalHandler is Express's default error answer in production: a small
// HTML page naming the status, no stack.
func finalHandler(w http.ResponseWriter, status int) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	fmt.Fprintf(w, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>Error</title>\n</head>\n<body>\n<pre>%s</pre>\n</body>\n</html>\n", nodeStatusText(status))
}

// nodeStatusText is http.STATUS_CODES: Go's names, but for the few Node
// names after newer RFCs.
func nodeStatusText(status int) string {
	switch status {
	case http.StatusRequestEntityTooLarge:
		return "Payload Too Large"
	case http.StatusRequestURITooLong:
		return "URI Too Long"
	case http.StatusRequestedRangeNotSatisfiable:
		return "Range Not Satisfiable"
	}
	return http.StatusText(status)
}

// jsonErrors is the error middleware the guide-following apps install:
// app.use((err, req, res, next) => res.status(err.status || 500).json({error: ...})).
func jsonErrors(w http.ResponseWriter, _ *expressReq, err error) {
	switch status := statusOf(err); status {
	case http.StatusBadRequest:
		resJSON(w, status, `{"error":"Invalid payload"}`)
	case http.StatusRequestEntityTooLarge:
		resJSON(w, status, `{"error":"Payload too large"}`)
	default:
		resJSON(w, status, `{"error":"Internal server error"}`)
	}
}

// envelope reads the three fields of the duplicate key from req.body.
func envelope(req *expressReq) (k eventKey, ok bool) {
	b := req.bodyObj()
	var ok1, ok2, ok3 bool
	k.callID, ok1 = b.str("callId")
	k.eventType, ok2 = b.str("eventType")
	k.timestamp, ok3 = b.str("timestamp")
	return k, ok1 && ok2 && ok3
}
