// race-check-then-insert mimics the integration guide's idempotency
// snippet on Node.js, Express and ioredis:
//
//	const key = `webhook:${callId}:${eventType}:${timestamp}`;
//	if (await redis.exists(key)) return res.json({ received: true, duplicate: true });
//	await redis.setex(key, 86400, '1');
//	await processEvent(req.body);
//	res.json({ received: true });
//
// Right: the full key (callId, eventType, timestamp), the whole
// Authorization value compared in constant time, 400 for bad bodies, a
// body limit raised to 10 MB, unknown types acknowledged. A redelivery that
// arrives after the first copy was answered is recognised and flagged.
// Wrong: EXISTS and SETEX are two round trips (1 ms apart here), and the
// event loop serves other requests between them. Two copies arriving
// together (a retry racing a slow first attempt, two delivery workers) both
// see "not there", both set the key and both are processed: one event,
// two effects. SET key 1 EX 86400 NX, in one step, is the fix.

package main

import (
	"net/http"
	"sync"
	"time"
)

// fakeRedis answers each command atomically, as Redis does; a client
// pays a round trip between two commands.
type fakeRedis struct {
	mu   sync.Mutex
	keys map[string]time.Time // key -> expiry
}

const redisRoundTrip = time.Millisecond

func (rd *fakeRedis) exists(key string) bool {
	rd.mu.Lock()
	defer rd.mu.Unlock()
	exp, ok := rd.keys[key]
	return ok && time.Now().Before(exp)
}

func (rd *fakeRedis) setex(key string, ttl time.Duration) {
	rd.mu.Lock()
	defer rd.mu.Unlock()
	rd.keys[key] = time.Now().Add(ttl)
}

func newRaceCheckThenInsert(o options) (http.Handler, error) {
	redis := &fakeRedis{keys: map[string]time.Time{}}
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
			key := "webhook:" + k.callID + ":" + k.eventType + ":" + k.timestamp
			if redis.exists(key) {
				resJSON(w, http.StatusOK, `{"received":true,"duplicate":true}`)
				return nil
			}
			time.Sleep(redisRoundTrip) // await: the answer travels back, the next command goes out
			redis.setex(key, 24*time.Hour)
			o.ledger.stored(k)
			o.ledger.processed(k) // processEvent(req.body)
			resJSON(w, http.StatusOK, `{"received":true}`)
			return nil
		},
	}, nil
}
