// small-body-limit mimics a Node.js Express app with express.json() left at
// its default limit, 100 kB:
//
//	app.use(express.json());
//
// Right: the whole Authorization value compared in constant time, 400
// {"error":...} for bad bodies, redeliveries flagged (Set.has then add, one
// thread), unknown types acknowledged.
// Wrong: body-parser refuses any body over 100 kB with 413 before the
// handler sees it (Express's production error page, "Payload Too Large").
// call.ended carries the whole transcript: the longest calls, about 40
// minutes of talk and more, are the ones refused, and a 4xx is never
// retried. express.json({ limit: '10mb' }) on the webhook route is the fix.

package main

import (
	"net/http"
	"sync"
)

func newSmallBodyLimit(o options) (http.Handler, error) {
	var mu sync.Mutex
	seen := map[string]bool{}
	return expressApp{
		limit: expressDefaultLimit,
		// Its error middleware only knows about JSON syntax errors.
		errHandler: func(w http.ResponseWriter, req *expressReq, err error) {
			if statusOf(err) == http.StatusBadRequest {
				resJSON(w, http.StatusBadRequest, `{"error":"Invalid payload"}`)
				return
			}
			finalHandler(w, statusOf(err))
		},
		handler: func(w http.ResponseWriter, req *expressReq) error {
			if o.token != "" && !safeEqual(req.Header.Get("Authorization"), o.token) {
				resJSON(w, http.StatusUnauthorized, `{"error":"Unauthorized"}`)
				return nil
			}
			k, ok := envelope(req)
			if !ok {
				resJSON(w, http.StatusBadRequest, `{"error":"Invalid payload"}`)
				return nil
			}
			id := k.callID + ":" + k.eventType + ":" + k.timestamp
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
			resJSON(w, http.StatusOK, `{"received":true}`)
			return nil
		},
	}, nil
}
