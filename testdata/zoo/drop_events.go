// drop-events mimics a Node.js Express receiver that acknowledges first and
// writes without waiting, swallowing the write's failure:
//
//	if (!(await redis.set(key, 1, 'EX', 86400, 'NX'))) return res.json({ received: true, duplicate: true });
//	res.json({ received: true });
//	db.query('INSERT INTO events ...', [...]).catch(() => {});   // fire and forget
//
// Right: the whole Authorization value compared in constant time, 400 for
// bad bodies, the full duplicate key claimed atomically (SET NX), a 10 MB
// body limit, unknown types acknowledged; every answer is what the guide
// recommends.
// Wrong: the 200 goes out before the event is safe, and a failed write is
// ignored. Here the pool drops every 10th insert (a connection reset, a
// full pool), silently: the platform counts those events delivered and
// never sends them again. The probe API shows the nine in ten it stored.
// The fix: await the insert and answer 5xx when it fails.

package main

import (
	"net/http"
	"sync"
	"sync/atomic"
)

func newDropEvents(o options) (http.Handler, error) {
	var (
		mu      sync.Mutex
		claimed = map[string]bool{} // redis SET NX
		inserts atomic.Int64
	)
	return expressApp{
		limit:      10 << 20,
		errHandler: jsonErrors,
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
			key := "hamsa:" + k.callID + ":" + k.eventType + ":" + k.timestamp
			mu.Lock()
			dup := claimed[key]
			claimed[key] = true
			mu.Unlock()
			if dup {
				resJSON(w, http.StatusOK, `{"received":true,"duplicate":true}`)
				return nil
			}
			resJSON(w, http.StatusOK, `{"received":true}`)
			if inserts.Add(1)%10 == 0 {
				o.log.Printf("insert %s/%s failed: ECONNRESET (ignored)", k.callID, k.eventType)
				return nil
			}
			o.ledger.stored(k)
			o.ledger.processed(k)
			return nil
		},
	}, nil
}
