package cli

// A webhook receiver that keeps what it receives in a real database, the
// way integrations commonly do, written for these tests and sharing nothing
// with the reference receiver. It keeps three common shapes at once, so
// that the README's three example queries can each be run against it:
//
//   - webhook_events: an event per row, unique on callId + eventType +
//     timestamp, with processed_at set once processing ran;
//   - calls: a row per call, with a column filled by each event type;
//   - effects_log: a row each time processing ran.
//
// Its defects are deliberate: "drop" acknowledges some events and keeps
// nothing of them; "double" stores each event once but processes every
// delivery, redeliveries included.

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// dialect is what differs between the databases the receiver writes to.
type dialect struct {
	name   string // postgres, mysql, sqlite
	serial string // an auto-increment key column
}

func (d dialect) ph(i int) string {
	if d.name == "postgres" {
		return fmt.Sprintf("$%d", i)
	}
	return "?"
}

// phs is n placeholders from 1, comma-separated.
func (d dialect) phs(n int) string {
	out := make([]string, n)
	for i := range out {
		out[i] = d.ph(i + 1)
	}
	return strings.Join(out, ", ")
}

var dialects = map[string]dialect{
	"postgres": {name: "postgres", serial: "BIGSERIAL PRIMARY KEY"},
	"mysql":    {name: "mysql", serial: "BIGINT AUTO_INCREMENT PRIMARY KEY"},
	"sqlite":   {name: "sqlite", serial: "INTEGER PRIMARY KEY AUTOINCREMENT"},
}

// insertIgnore inserts a row unless the key exists, and says whether it did.
func (d dialect) insertIgnore(tx *sql.Tx, table, cols string, args ...any) (bool, error) {
	q := fmt.Sprintf("INSERT INTO %s (%s) VALUES (%s) ON CONFLICT DO NOTHING", table, cols, d.phs(len(args)))
	if d.name == "mysql" {
		q = fmt.Sprintf("INSERT IGNORE INTO %s (%s) VALUES (%s)", table, cols, d.phs(len(args)))
	}
	res, err := tx.Exec(q, args...)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// schema creates the receiver's tables.
func (d dialect) schema(t *testing.T, db *sql.DB) {
	t.Helper()
	for _, stmt := range []string{
		`CREATE TABLE webhook_events (
			call_id VARCHAR(64) NOT NULL, event_type VARCHAR(64) NOT NULL, event_ts VARCHAR(64) NOT NULL,
			received_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, processed_at TIMESTAMP NULL,
			PRIMARY KEY (call_id, event_type, event_ts))`,
		`CREATE TABLE calls (
			call_id VARCHAR(64) NOT NULL PRIMARY KEY, started_at VARCHAR(64) NULL, answered_at VARCHAR(64) NULL,
			transcript_updates INT NOT NULL DEFAULT 0, tools_executed INT NOT NULL DEFAULT 0, ended_at VARCHAR(64) NULL)`,
		`CREATE TABLE effects_log (id ` + d.serial + `,
			call_id VARCHAR(64) NOT NULL, event_type VARCHAR(64) NOT NULL, event_ts VARCHAR(64) NOT NULL,
			done_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP)`,
	} {
		_, err := db.Exec(stmt)
		require.NoError(t, err, stmt)
	}
}

// dbReceiver is the receiver's state.
type dbReceiver struct {
	d     dialect
	db    *sql.DB
	token string
	mode  string // "", "drop" or "double"
	mu    sync.Mutex
}

func (rc *dbReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/calls/") {
		rc.probe(w, strings.TrimPrefix(r.URL.Path, "/calls/"))
		return
	}
	if r.Header.Get("Authorization") != rc.token {
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	var ev struct {
		CallID    string `json:"callId"`
		EventType string `json:"eventType"`
		Timestamp string `json:"timestamp"`
	}
	if err := json.NewDecoder(r.Body).Decode(&ev); err != nil {
		http.Error(w, "bad json", http.StatusBadRequest)
		return
	}
	if ev.CallID == "" || ev.EventType == "" {
		http.Error(w, "callId and eventType are required", http.StatusUnprocessableEntity)
		return
	}
	if rc.mode == "drop" && dropped(ev.CallID, ev.EventType) {
		w.WriteHeader(http.StatusOK) // acknowledged, and kept nowhere
		return
	}
	if err := rc.store(ev.CallID, ev.EventType, ev.Timestamp); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// dropped picks about one event type in four of each call, the same ones
// on every run with the same seed (call ids repeat, timestamps do not).
func dropped(callID, typ string) bool {
	h := fnv.New32a()
	h.Write([]byte(callID + "|" + typ))
	return (h.Sum32()>>13)%4 == 0
}

// store keeps the event and processes it, in one transaction.
func (rc *dbReceiver) store(callID, typ, ts string) error {
	if rc.d.name == "sqlite" {
		rc.mu.Lock() // one writer at a time
		defer rc.mu.Unlock()
	}
	tx, err := rc.db.Begin()
	if err != nil {
		return err
	}
	defer tx.Rollback()
	fresh, err := rc.d.insertIgnore(tx, "webhook_events", "call_id, event_type, event_ts", callID, typ, ts)
	if err != nil {
		return err
	}
	if !fresh && rc.mode != "double" {
		return tx.Commit() // a redelivery: already processed
	}
	if _, err := rc.d.insertIgnore(tx, "calls", "call_id", callID); err != nil {
		return err
	}
	p := rc.d.ph
	set := map[string]string{
		"call.started":         "started_at = " + p(1),
		"call.answered":        "answered_at = " + p(1),
		"transcription.update": "transcript_updates = transcript_updates + 1",
		"tool.executed":        "tools_executed = tools_executed + 1",
		"call.ended":           "ended_at = " + p(1),
	}[typ]
	if set != "" {
		q := "UPDATE calls SET " + set + " WHERE call_id = " + p(2)
		args := []any{ts, callID}
		if !strings.Contains(set, p(1)) {
			q = "UPDATE calls SET " + set + " WHERE call_id = " + p(1)
			args = []any{callID}
		}
		if _, err := tx.Exec(q, args...); err != nil {
			return err
		}
	}
	if _, err := tx.Exec("INSERT INTO effects_log (call_id, event_type, event_ts) VALUES ("+rc.d.phs(3)+")", callID, typ, ts); err != nil {
		return err
	}
	if _, err := tx.Exec("UPDATE webhook_events SET processed_at = CURRENT_TIMESTAMP WHERE call_id = "+p(1)+" AND event_type = "+p(2)+" AND event_ts = "+p(3), callID, typ, ts); err != nil {
		return err
	}
	return tx.Commit()
}

// probe serves the probe API from the same tables: events from
// webhook_events, effects from effects_log.
func (rc *dbReceiver) probe(w http.ResponseWriter, callID string) {
	rec := map[string]any{"pending": 0}
	total := 0
	for field, q := range map[string]string{
		"events":  "SELECT event_type, COUNT(*) FROM webhook_events WHERE call_id = " + rc.d.ph(1) + " GROUP BY event_type",
		"effects": "SELECT event_type, COUNT(*) FROM effects_log WHERE call_id = " + rc.d.ph(1) + " GROUP BY event_type",
	} {
		rows, err := rc.db.Query(q, callID)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		m := map[string]int{}
		for rows.Next() {
			var t string
			var n int
			if err := rows.Scan(&t, &n); err != nil {
				rows.Close()
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			m[t] = n
			total += n
		}
		rows.Close()
		rec[field] = m
	}
	if total == 0 {
		http.Error(w, "no such call", http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(rec)
}
