// auth-prefix-only mimics an Express middleware that checks the shape of
// the Authorization header and not its value, a common first draft:
//
//	function requireBearer(req, res, next) {
//	  const auth = req.headers.authorization || '';
//	  if (!auth.startsWith('Bearer ')) return res.status(401).json({ error: 'Unauthorized' });
//	  next();
//	}
//
// Right: a missing header is refused; 400 for bad bodies; the full
// duplicate key checked and set in one step (one thread); a 10 MB body
// limit; unknown types acknowledged.
// Wrong: any "Bearer <anything>", even "Bearer " with no token, is let in.
// Whoever learns the URL can post events.

package main

import (
	"net/http"
	"strings"
	"sync"
)

func newAuthPrefixOnly(o options) (http.Handler, error) {
	var mu sync.Mutex
	seen := map[string]bool{}
	return expressApp{
		limit:      10 << 20,
		errHandler: jsonErrors,
		handler: func(w http.ResponseWriter, req *expressReq) error {
			if o.token != "" && !strings.HasPrefix(req.Header.Get("Authorization"), "Bearer ") {
				resJSON(w, http.StatusUnauthorized, `{"error":"Unauthorized"}`)
				return nil
			}
			k, ok := envelope(req)
			if !ok {
				resJSON(w, http.StatusBadRequest, `{"error":"Invalid payload"}`)
				return nil
			}
			id := k.callID + "-" + k.eventType + "-" + k.timestamp
			mu.Lock()
			dup := seen[id]
			seen[id] = true
			mu.Unlock()
			if dup {
				resJSON(w, http.StatusOK, `{"received":true,"duplicate":true}`)
				return nil
			}
			o.ledger.stored(k)
			o.ledger.processed(k)
			if t := k.eventType; t != "call.started" && t != "call.answered" && t != "transcription.update" && t != "tool.executed" && t != "call.ended" {
				resJSON(w, http.StatusOK, `{"received":true,"warning":"Unknown event type"}`)
				return nil
			}
			resJSON(w, http.StatusOK, `{"received":true}`)
			return nil
		},
	}, nil
}
