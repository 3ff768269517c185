package receiver

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/hamsasim/hamsasim/internal/event"
	_ "modernc.org/sqlite" // database/sql driver "sqlite"
)

// Durability chooses SQLite's synchronous setting. Both survive a crash of
// the process (the row is committed before the 200); only "full" also
// survives a power loss, at the cost of an fsync per commit.
type Durability string

// Durability levels.
const (
	DurabilityNormal Durability = "normal"
	DurabilityFull   Durability = "full"
)

const schema = `
CREATE TABLE IF NOT EXISTS events (
	key          TEXT PRIMARY KEY,  -- callId|eventType|timestamp: the duplicate key
	call_id      TEXT NOT NULL,
	event_type   TEXT NOT NULL,
	ts           TEXT NOT NULL,
	body         BLOB NOT NULL,
	received_at  TEXT NOT NULL,
	deliveries   INTEGER NOT NULL DEFAULT 1,
	processed_at TEXT
);
CREATE INDEX IF NOT EXISTS events_pending ON events(processed_at) WHERE processed_at IS NULL;
CREATE INDEX IF NOT EXISTS events_call ON events(call_id);
CREATE TABLE IF NOT EXISTS effects (
	id         INTEGER PRIMARY KEY,
	call_id    TEXT NOT NULL,
	event_key  TEXT NOT NULL,
	event_type TEXT NOT NULL,
	applied_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS effects_call ON effects(call_id);
CREATE TABLE IF NOT EXISTS calls (
	call_id          TEXT PRIMARY KEY,
	project_id       TEXT,
	agent_id         TEXT,
	direction        TEXT,
	from_number      TEXT,
	to_number        TEXT,
	params           TEXT,
	started_at       TEXT,
	answered_at      TEXT,
	ended_at         TEXT,
	turns            INTEGER NOT NULL DEFAULT 0,
	tools            INTEGER NOT NULL DEFAULT 0,
	transcript_turns INTEGER,
	recording        TEXT,
	conversation_id  TEXT,
	call_duration    INTEGER,
	outcome          TEXT
);
`

// store keeps every received event, keyed by its duplicate key, and the
// effects of processing them. Writes of acknowledgements go through one
// goroutine that commits them in groups, so many concurrent deliveries cost
// one commit, and each is answered only after its commit.
type store struct {
	db       *sql.DB
	inserts  chan *insert
	closing  chan struct{}
	done     chan struct{}
	notify   chan struct{} // wakes the processor
	closeErr error
	closed   bool
	once     sync.Once
	dupes    bool // fault: no-dedupe
}

type insert struct {
	env   event.Parsed
	body  []byte
	reply chan insertResult
}

type insertResult struct {
	duplicate bool
	err       error
}

var errClosed = errors.New("receiver is shutting down")

// ErrDBPath is returned for a database path the SQLite driver would misread.
var ErrDBPath = errors.New("database path may not contain ? or #")

func openStore(path string, dur Durability) (*store, error) {
	if strings.ContainsAny(path, "?#") {
		return nil, fmt.Errorf("%s: %w", path, ErrDBPath)
	}
	if dur == "" {
		dur = DurabilityNormal
	}
	if dur != DurabilityNormal && dur != DurabilityFull {
		return nil, fmt.Errorf("durability %q is not valid (valid: normal, full)", dur)
	}
	q := url.Values{}
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "synchronous("+string(dur)+")")
	q.Add("_txlock", "immediate")
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("opening database %s: %w", path, err)
	}
	db.SetMaxOpenConns(4)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := db.ExecContext(ctx, schema); err != nil {
		db.Close()
		return nil, fmt.Errorf("preparing database %s: %w", path, err)
	}
	s := &store{
		db:      db,
		inserts: make(chan *insert, 1024),
		closing: make(chan struct{}),
		done:    make(chan struct{}),
		notify:  make(chan struct{}, 1),
	}
	go s.writeLoop()
	return s, nil
}

// put records an event under its duplicate key. It returns once the row is
// committed; duplicate is true when the key was already there.
func (s *store) put(ctx context.Context, env event.Parsed, body []byte) (bool, error) {
	in := &insert{env: env, body: body, reply: make(chan insertResult, 1)}
	select {
	case s.inserts <- in:
	case <-s.closing:
		return false, errClosed
	case <-ctx.Done():
		return false, ctx.Err()
	}
	select {
	case r := <-in.reply:
		return r.duplicate, r.err
	case <-s.done:
		select {
		case r := <-in.reply:
			return r.duplicate, r.err
		default:
			return false, errClosed
		}
	case <-ctx.Done():
		// The write may still commit; the sender will retry and get duplicate: true.
		return false, ctx.Err()
	}
}

const maxBatch = 256

func (s *store) writeLoop() {
	defer close(s.done)
	batch := make([]*insert, 0, maxBatch)
	for {
		select {
		case in := <-s.inserts:
			batch = append(batch[:0], in)
		fill:
			for len(batch) < maxBatch {
				select {
				case more := <-s.inserts:
					batch = append(batch, more)
				default:
					break fill
				}
			}
			s.commit(batch)
		case <-s.closing:
			for {
				select {
				case in := <-s.inserts:
					in.reply <- insertResult{err: errClosed}
				default:
					return
				}
			}
		}
	}
}

func (s *store) commit(batch []*insert) {
	results := make([]insertResult, len(batch))
	err := func() error {
		tx, err := s.db.Begin()
		if err != nil {
			return err
		}
		defer tx.Rollback()
		now := event.FormatTime(time.Now())
		for i, in := range batch {
			res, err := tx.Exec(`INSERT OR IGNORE INTO events(key, call_id, event_type, ts, body, received_at) VALUES (?,?,?,?,?,?)`,
				in.env.Key(), in.env.CallID, in.env.EventType, in.env.Timestamp, in.body, now)
			if err != nil {
				return err
			}
			n, err := res.RowsAffected()
			if err != nil {
				return err
			}
			if n == 0 {
				results[i].duplicate = true
				if s.dupes {
					// Fault no-dedupe: process the redelivery again as if it were new.
					// Applied here rather than by resetting processed_at, which
					// would lose redeliveries that arrive before the first is processed.
					if _, err := tx.Exec(`UPDATE events SET deliveries = deliveries + 1 WHERE key = ?`, in.env.Key()); err != nil {
						return err
					}
					if err := applyEffect(tx, pending{key: in.env.Key(), callID: in.env.CallID, eventType: in.env.EventType, body: in.body}, now); err != nil {
						return err
					}
					results[i].duplicate = false
					continue
				}
				if _, err := tx.Exec(`UPDATE events SET deliveries = deliveries + 1 WHERE key = ?`, in.env.Key()); err != nil {
					return err
				}
			}
		}
		return tx.Commit()
	}()
	for i, in := range batch {
		if err != nil {
			in.reply <- insertResult{err: err}
			continue
		}
		in.reply <- results[i]
	}
	if err == nil {
		select {
		case s.notify <- struct{}{}:
		default:
		}
	}
}

// pending is one stored event not yet processed.
type pending struct {
	rowid     int64
	key       string
	callID    string
	eventType string
	body      []byte
}

// processPending applies the effects of up to limit unprocessed events, in
// arrival order, each in the same transaction that marks it processed, so
// that every event takes effect exactly once, even across a crash.
func (s *store) processPending(limit int) (int, error) {
	rows, err := s.db.Query(`SELECT rowid, key, call_id, event_type, body FROM events WHERE processed_at IS NULL ORDER BY rowid LIMIT ?`, limit)
	if err != nil {
		return 0, err
	}
	var list []pending
	for rows.Next() {
		var p pending
		if err := rows.Scan(&p.rowid, &p.key, &p.callID, &p.eventType, &p.body); err != nil {
			rows.Close()
			return 0, err
		}
		list = append(list, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(list) == 0 {
		return 0, err
	}
	tx, err := s.db.Begin()
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	now := event.FormatTime(time.Now())
	for _, p := range list {
		// Claim the event inside the write transaction: another process on
		// the same database may have processed it since it was read.
		res, err := tx.Exec(`UPDATE events SET processed_at = ? WHERE rowid = ? AND processed_at IS NULL`, now, p.rowid)
		if err != nil {
			return 0, err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			continue
		}
		if err := applyEffect(tx, p, now); err != nil {
			return 0, fmt.Errorf("processing %s: %w", p.key, err)
		}
	}
	return len(list), tx.Commit()
}

// applyEffect is the receiver's "business logic": it keeps one row per call
// up to date, tolerating any order of arrival, and logs the effect.
func applyEffect(tx *sql.Tx, p pending, now string) error {
	// Validated on receipt; an optional field of the wrong type stays empty.
	env, _ := event.ParseEnvelope(p.body)
	if _, err := tx.Exec(`INSERT INTO effects(call_id, event_key, event_type, applied_at) VALUES (?,?,?,?)`, p.callID, p.key, p.eventType, now); err != nil {
		return err
	}
	if _, err := tx.Exec(`INSERT INTO calls(call_id, project_id, agent_id) VALUES (?,?,?) ON CONFLICT(call_id) DO NOTHING`, p.callID, env.ProjectID, env.AgentID); err != nil {
		return err
	}
	var outer struct {
		Data json.RawMessage `json:"data"`
	}
	_ = json.Unmarshal(env.Data, &outer)
	switch p.eventType {
	case event.CallStarted:
		var d event.CallStartedDetails
		_ = json.Unmarshal(outer.Data, &d)
		params, _ := json.Marshal(d.Params)
		_, err := tx.Exec(`UPDATE calls SET direction=?, from_number=?, to_number=?, params=?, started_at=? WHERE call_id=?`,
			d.CallDirection, d.FromNumber, d.ToNumber, string(params), env.Timestamp, p.callID)
		return err
	case event.CallAnswered:
		_, err := tx.Exec(`UPDATE calls SET answered_at=? WHERE call_id=?`, env.Timestamp, p.callID)
		return err
	case event.TranscriptionUpdate:
		_, err := tx.Exec(`UPDATE calls SET turns = turns + 1 WHERE call_id=?`, p.callID)
		return err
	case event.ToolExecuted:
		_, err := tx.Exec(`UPDATE calls SET tools = tools + 1 WHERE call_id=?`, p.callID)
		return err
	case event.CallEnded:
		var d struct {
			ConversationID        string            `json:"conversationId"`
			ConversationRecording *string           `json:"conversationRecording"`
			Transcription         []json.RawMessage `json:"transcription"`
			OutcomeResult         json.RawMessage   `json:"outcomeResult"`
			CallDuration          *int64            `json:"callDuration"`
		}
		_ = json.Unmarshal(outer.Data, &d)
		outcome := string(d.OutcomeResult)
		if outcome == "" {
			outcome = "null"
		}
		_, err := tx.Exec(`UPDATE calls SET ended_at=?, transcript_turns=?, recording=?, conversation_id=?, call_duration=?, outcome=? WHERE call_id=?`,
			env.Timestamp, len(d.Transcription), d.ConversationRecording, d.ConversationID, d.CallDuration, outcome, p.callID)
		return err
	}
	return nil
}

// stopWrites refuses new events and waits for the writer to finish the
// batch it is committing. Safe to call more than once.
func (s *store) stopWrites() {
	s.once.Do(func() {
		close(s.closing)
		<-s.done
	})
}

// close stops writes and closes the database.
func (s *store) close() error {
	s.stopWrites()
	if !s.closed {
		s.closed = true
		s.closeErr = s.db.Close()
	}
	return s.closeErr
}

// CallRecord is what the receiver recorded about one call: the probe API's
// answer to GET /calls/{callId}.
type CallRecord struct {
	CallID          string          `json:"callId"`
	Deliveries      map[string]int  `json:"deliveries"` // HTTP deliveries accepted, per event type, duplicates included
	Events          map[string]int  `json:"events"`     // distinct events stored, per event type
	Effects         map[string]int  `json:"effects"`    // times an event type's processing took effect
	Pending         int             `json:"pending"`    // stored, not yet processed
	StartedAt       *string         `json:"startedAt"`
	AnsweredAt      *string         `json:"answeredAt"`
	EndedAt         *string         `json:"endedAt"`
	Direction       *string         `json:"direction"`
	Turns           int             `json:"turns"`
	Tools           int             `json:"tools"`
	TranscriptTurns *int            `json:"transcriptTurns"`
	Recording       *string         `json:"recording"`
	ConversationID  *string         `json:"conversationId"`
	CallDuration    *int64          `json:"callDuration"`
	Params          json.RawMessage `json:"params"`
	OutcomeResult   json.RawMessage `json:"outcomeResult"`
}

// errNoCall means nothing was recorded for the call.
var errNoCall = errors.New("no such call")

func (s *store) call(ctx context.Context, callID string) (*CallRecord, error) {
	rec := &CallRecord{CallID: callID, Deliveries: map[string]int{}, Events: map[string]int{}, Effects: map[string]int{}}
	rows, err := s.db.QueryContext(ctx, `SELECT event_type, COUNT(*), SUM(deliveries), SUM(processed_at IS NULL) FROM events WHERE call_id = ? GROUP BY event_type`, callID)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var typ string
		var n, d, p int
		if err := rows.Scan(&typ, &n, &d, &p); err != nil {
			rows.Close()
			return nil, err
		}
		rec.Events[typ], rec.Deliveries[typ] = n, d
		rec.Pending += p
	}
	rows.Close()
	if len(rec.Events) == 0 {
		return nil, errNoCall
	}
	rows, err = s.db.QueryContext(ctx, `SELECT event_type, COUNT(*) FROM effects WHERE call_id = ? GROUP BY event_type`, callID)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var typ string
		var n int
		if err := rows.Scan(&typ, &n); err != nil {
			rows.Close()
			return nil, err
		}
		rec.Effects[typ] = n
	}
	rows.Close()
	var params, outcome *string
	err = s.db.QueryRowContext(ctx, `SELECT started_at, answered_at, ended_at, direction, turns, tools, transcript_turns, recording, conversation_id, call_duration, params, outcome FROM calls WHERE call_id = ?`, callID).
		Scan(&rec.StartedAt, &rec.AnsweredAt, &rec.EndedAt, &rec.Direction, &rec.Turns, &rec.Tools, &rec.TranscriptTurns, &rec.Recording, &rec.ConversationID, &rec.CallDuration, &params, &outcome)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, err
	}
	rec.Params, rec.OutcomeResult = rawOrNull(params), rawOrNull(outcome)
	return rec, nil
}

func rawOrNull(s *string) json.RawMessage {
	if s == nil || *s == "" {
		return json.RawMessage("null")
	}
	return json.RawMessage(*s)
}
