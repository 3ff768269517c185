// hmac-reserialize mimics a Node.js Express app verifying Standard Webhooks
// signatures after express.json() has already consumed the body, so it
// signs what it can still reach:
//
//	app.use(express.json({ limit: '10mb' }));
//	app.post('/webhook', (req, res) => {
//	  try { wh.verify(JSON.stringify(req.body), req.headers); }
//	  catch { return res.status(401).json({ error: 'Unauthorized' }); }
//	  ...
//	});
//
// Right: signatures and the 5-minute tolerance through the library, 400 for
// bad bodies, an atomic duplicate check (one thread: Set.has then Set.add),
// unknown types acknowledged.
// Wrong: the HMAC is computed over JSON.stringify(req.body), not over the
// bytes that were signed. It passes while the sender's serialiser writes
// exactly what JSON.stringify writes (compact, keys in order, non-ASCII and
// "/" as is); an indented body, \u00e9 for é, \/ for /, or keys in another
// order parse to the same object and fail verification: 401 for a valid
// event. (js.go mimics JSON.parse and JSON.stringify exactly, property
// order included.) The fix is express.raw() on this route, or
// express.json({ verify: (req, res, buf) => { req.rawBody = buf } }).

package main

import (
	"net/http"
	"sync"
)

func newHMACReserialize(o options) (http.Handler, error) {
	if err := needKey(o, "hmac-reserialize"); err != nil {
		return nil, err
	}
	wh := standardWebhook{key: o.key}
	var mu sync.Mutex
	processed := map[string]bool{} // new Set()
	return expressApp{
		limit:      10 << 20,
		errHandler: jsonErrors,
		handler: func(w http.ResponseWriter, req *expressReq) error {
			if err := wh.Verify(jsonStringify(req.body), req.Header); err != nil {
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
			dup := processed[id]
			processed[id] = true
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
