// express-sample mimics the integration guide's own Node.js Express
// example, copied as it stands:
//
//	app.post('/webhook', (req, res) => {
//	  if (req.headers.authorization !== process.env.WEBHOOK_SECRET) return res.status(401).json({ error: 'Unauthorized' });
//	  const { eventType, callId, timestamp, data } = req.body;
//	  if (!callId || !eventType) return res.status(400).json({ error: 'Invalid payload' });
//	  if (processed.has(key)) return res.status(200).json({ received: true, duplicate: true });
//	  switch (eventType) {
//	    case 'call.started': handleCallStarted(data); break;          // data.callerInfo.phoneNumber
//	    case 'transcription.update': handleTranscription(data); break; // data.transcript.text
//	    ...
//	  }
//	  processed.add(key);
//	  res.status(200).json({ received: true });
//	});
//
// Right: Authorization compared whole, 400 for bad bodies, redeliveries
// flagged (a Set, one thread), unknown types acknowledged with a warning;
// the body limit raised to 10 MB.
// Wrong: two of its handlers read fields the events do not have
// (data.callerInfo, data.transcript: the fields sit in data.data), so every
// call.started and every transcription.update throws a TypeError, which
// Express turns into a 500 page. The platform retries each of them and
// gives up: the call's start and its whole transcript never arrive. (The
// !== comparison is not constant-time either; hamsasim cannot see that.)

package main

import (
	"net/http"
	"sync"
)

func newExpressSample(o options) (http.Handler, error) {
	var mu sync.Mutex
	processed := map[string]bool{}
	return expressApp{
		limit: 10 << 20,
		// No error middleware: finalhandler answers.
		handler: func(w http.ResponseWriter, req *expressReq) error {
			if o.token != "" && req.Header.Get("Authorization") != o.token {
				resJSON(w, http.StatusUnauthorized, `{"error":"Unauthorized"}`)
				return nil
			}
			body := req.bodyObj()
			callID, ok1 := body.str("callId")
			eventType, ok2 := body.str("eventType")
			if !ok1 || !ok2 {
				resJSON(w, http.StatusBadRequest, `{"error":"Invalid payload"}`)
				return nil
			}
			timestamp, _ := body.str("timestamp")
			key := callID + "-" + eventType + "-" + timestamp
			mu.Lock()
			defer mu.Unlock()
			if processed[key] {
				resJSON(w, http.StatusOK, `{"received":true,"duplicate":true}`)
				return nil
			}
			data := body.obj("data")
			switch eventType {
			case "call.started":
				if data.obj("callerInfo") == nil {
					return typeError("phoneNumber")
				}
			case "transcription.update":
				if data.obj("transcript") == nil {
					return typeError("text")
				}
			case "call.answered", "tool.executed", "call.ended":
			default:
				resJSON(w, http.StatusOK, `{"received":true,"warning":"Unknown event type"}`)
				return nil
			}
			processed[key] = true
			k := eventKey{callID, eventType, timestamp}
			o.ledger.stored(k)
			o.ledger.processed(k)
			resJSON(w, http.StatusOK, `{"received":true}`)
			return nil
		},
	}, nil
}

// typeError is what reading a property of undefined throws.
func typeError(prop string) error {
	return &httpError{status: http.StatusInternalServerError, typ: "TypeError",
		msg: "Cannot read properties of undefined (reading '" + prop + "')"}
}
