// ok-fastapi mimics a Python FastAPI service (pydantic v1 era):
//
//	bearer = HTTPBearer()
//	def verify(creds = Depends(bearer)):
//	    if not secrets.compare_digest(creds.credentials, TOKEN):
//	        raise HTTPException(401, "Not authenticated", {"WWW-Authenticate": "Bearer"})
//	class Event(BaseModel):
//	    callId: constr(min_length=1); eventType: constr(min_length=1); timestamp: constr(min_length=1)
//	    data: dict = {}
//	@app.post("/webhook", dependencies=[Depends(verify)])
//	def webhook(evt: Event):
//	    if db.execute(insert(Seen).values(key=...).on_conflict_do_nothing()).rowcount:
//	        HANDLERS.get(evt.eventType, log_unknown)(evt)
//	    return {"status": "ok"}
//
// Right: the token compared in constant time (HTTPBearer strips the scheme,
// which it matches case-insensitively), bad bodies rejected with a 4xx, the
// duplicate key inserted with ON CONFLICT DO NOTHING (atomic), unknown
// types acknowledged, no body limit (uvicorn has none).
// Different, not wrong: FastAPI's own shapes. 200 {"status":"ok"} for every
// event, redeliveries too; 422 with pydantic's error list for a body that
// is not JSON or lacks a field (not 400); 403 {"detail":"Not authenticated"}
// from HTTPBearer when the header or its token is missing, 401 from the
// dependency when the token is wrong.

package main

import (
	"bytes"
	"crypto/hmac"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
)

type fastAPI struct {
	o     options
	token string // the credentials part of -token
	mu    sync.Mutex
	seen  map[eventKey]bool
}

func newOKFastAPI(o options) (http.Handler, error) {
	tok := o.token
	if scheme, cred, ok := strings.Cut(o.token, " "); ok && strings.EqualFold(scheme, "bearer") {
		tok = cred
	}
	return &fastAPI{o: o, token: tok, seen: map[eventKey]bool{}}, nil
}

type pydanticError struct {
	Loc  []any          `json:"loc"`
	Msg  string         `json:"msg"`
	Type string         `json:"type"`
	Ctx  map[string]any `json:"ctx,omitempty"`
}

func (s *fastAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.o.token != "" {
		scheme, cred, _ := strings.Cut(r.Header.Get("Authorization"), " ")
		if !strings.EqualFold(scheme, "bearer") || cred == "" {
			detail(w, http.StatusForbidden, "Not authenticated")
			return
		}
		if !hmac.Equal([]byte(cred), []byte(s.token)) { // secrets.compare_digest
			w.Header().Set("WWW-Authenticate", "Bearer")
			detail(w, http.StatusUnauthorized, "Not authenticated")
			return
		}
	}
	body, _ := io.ReadAll(r.Body)
	evt, errs := s.parse(body)
	if len(errs) > 0 {
		writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"detail": errs})
		return
	}
	k := eventKey{evt["callId"], evt["eventType"], evt["timestamp"]}
	s.mu.Lock()
	inserted := !s.seen[k]
	s.seen[k] = true
	s.mu.Unlock()
	if inserted {
		s.o.ledger.stored(k)
		s.o.ledger.processed(k)
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// parse validates the body as the Event model would, returning pydantic's
// error list when it does not fit.
func (s *fastAPI) parse(body []byte) (map[string]string, []pydanticError) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil || dec.More() {
		pos := int64(0)
		var syn *json.SyntaxError
		if errors.As(err, &syn) {
			pos = syn.Offset
		}
		return nil, []pydanticError{{Loc: []any{"body", pos}, Msg: fmt.Sprintf("Expecting value: line 1 column %d (char %d)", pos+1, pos), Type: "value_error.jsondecode"}}
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, []pydanticError{{Loc: []any{"body"}, Msg: "value is not a valid dict", Type: "type_error.dict"}}
	}
	out := map[string]string{}
	var errs []pydanticError
	for _, f := range []string{"callId", "eventType", "timestamp"} {
		loc := []any{"body", f}
		raw, present := obj[f]
		switch x := raw.(type) {
		case string:
			if x == "" {
				errs = append(errs, pydanticError{Loc: loc, Msg: "ensure this value has at least 1 characters", Type: "value_error.any_str.min_length", Ctx: map[string]any{"limit_value": 1}})
				continue
			}
			out[f] = x
		case json.Number: // pydantic v1 coerces numbers to str
			out[f] = x.String()
		case nil:
			if !present {
				errs = append(errs, pydanticError{Loc: loc, Msg: "field required", Type: "value_error.missing"})
			} else {
				errs = append(errs, pydanticError{Loc: loc, Msg: "none is not an allowed value", Type: "type_error.none.not_allowed"})
			}
		default:
			errs = append(errs, pydanticError{Loc: loc, Msg: "str type expected", Type: "type_error.str"})
		}
	}
	if d, present := obj["data"]; present {
		if _, ok := d.(map[string]any); !ok {
			errs = append(errs, pydanticError{Loc: []any{"body", "data"}, Msg: "value is not a valid dict", Type: "type_error.dict"})
		}
	}
	return out, errs
}

func detail(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"detail": msg})
}

// writeJSON answers compact JSON, as Starlette's JSONResponse does.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"detail":"Internal Server Error"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(b)
}
