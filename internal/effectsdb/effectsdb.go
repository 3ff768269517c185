// Package effectsdb reads what a webhook receiver recorded from the
// integrator's own database (PostgreSQL, MySQL/MariaDB, SQLite) instead of
// a probe API: one query, given the call id as its one parameter, returns a
// row per event type with the events stored, the times processing took
// effect and the events still pending. The end-state audit then judges
// those rows exactly as it judges a probe API's answer.
//
// It only reads: the connection is read-only where the database allows it
// (default_transaction_read_only in PostgreSQL, query_only and a read-only
// open in SQLite) and every query runs in a read-only transaction that is
// rolled back; each query has a timeout, and at most MaxConns connections
// are open. A query that writes is refused by the database, and Open says
// so.
package effectsdb

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/hamsasim/hamsasim/internal/probe"
)

// Columns the query returns: event_type and events always, effects and
// pending when the schema has them.
const (
	ColEventType = "event_type"
	ColEvents    = "events"
	ColEffects   = "effects"
	ColPending   = "pending"
)

// MaxRows bounds the rows one call's query may return: a row per event type
// is expected, so many more means the query does not group.
const MaxRows = 1000

// Error is a DSN or a query hamsasim cannot use: bad input, named by its
// flag.
type Error struct {
	Flag string // --effects-db or --effects-query
	Msg  string
}

func (e *Error) Error() string { return e.Flag + ": " + e.Msg }

// DB reads call records from a database.
type DB struct {
	src   *source
	db    *sql.DB
	query string
	cols  columns
}

var _ probe.Records = (*DB)(nil)

// columns are the positions of the query's columns; -1 when absent.
type columns struct{ eventType, events, effects, pending int }

// Open connects to the database dsn names and checks query on a call id
// that does not exist: it must run, read only, return the columns hamsasim
// reads and no row. Every error is an *Error, its message free of the
// DSN's password. Close the DB when done.
func Open(ctx context.Context, dsn, query string) (*DB, error) {
	if strings.TrimSpace(dsn) == "" {
		return nil, &Error{"--effects-db", "is empty: give " + schemes}
	}
	if strings.TrimSpace(query) == "" {
		return nil, &Error{"--effects-query", "is missing: --effects-db needs the query that returns, for a call id, a row per event type (event_type, events, and effects, pending where the schema has them)"}
	}
	src, err := parseDSN(dsn)
	if err != nil {
		return nil, &Error{"--effects-db", err.Error()}
	}
	db, err := src.open()
	if err != nil {
		return nil, &Error{"--effects-db", fmt.Sprintf("%s: %s", src.shown, scrub(err.Error(), src.password))}
	}
	db.SetMaxOpenConns(MaxConns)
	db.SetMaxIdleConns(MaxConns)
	db.SetConnMaxIdleTime(time.Minute)
	d := &DB{src: src, db: db, query: query}
	cctx, cancel := context.WithTimeout(ctx, ConnectTimeout)
	defer cancel()
	if err := db.PingContext(cctx); err != nil {
		db.Close()
		return nil, d.connectError(err)
	}
	if err := d.check(cctx); err != nil {
		db.Close()
		return nil, err
	}
	return d, nil
}

// Close closes the connections.
func (d *DB) Close() error { return d.db.Close() }

// Shown is the DSN, redacted.
func (d *DB) Shown() string { return d.src.shown }

// Hint says what the query must do.
func (d *DB) Hint() string {
	return fmt.Sprintf("check --effects-query: for the call id given as its parameter (%s) it returns a row per event type: %s, %s, and %s, %s where the schema has them",
		d.placeholder(), ColEventType, ColEvents, ColEffects, ColPending)
}

func (d *DB) placeholder() string {
	if d.src.kind == Postgres {
		return "$1"
	}
	return "?"
}

// Read runs the query once for callID.
func (d *DB) Read(ctx context.Context, callID string) probe.Reading {
	r := probe.Reading{Request: fmt.Sprintf("--effects-query for call %s on %s", callID, d.src.shown)}
	start := time.Now()
	names, rows, err := d.run(ctx, callID)
	r.Latency = time.Since(start)
	if err != nil {
		r.Err = fmt.Errorf("%s: %s", r.Request, d.queryMessage(err))
		return r
	}
	if _, err := d.columnsOf(names); err != nil {
		r.Err = fmt.Errorf("%s: %s", r.Request, err)
		return r
	}
	rec, err := d.record(rows)
	if err != nil {
		r.Err = fmt.Errorf("%s: %s", r.Request, err)
		return r
	}
	r.Record, r.Found = rec, recorded(rec)
	if !r.Found {
		r.Absent = "returned no counts"
	}
	return r
}

// check runs the query for a call id that cannot exist.
func (d *DB) check(ctx context.Context) error {
	b := make([]byte, 6)
	rand.Read(b)
	id := "hamsasim-check-" + hex.EncodeToString(b)
	names, rows, err := d.run(ctx, id)
	if err != nil {
		return &Error{"--effects-query", fmt.Sprintf("failed on a test call id (%s) on %s: %s", id, d.src.shown, d.queryMessage(err))}
	}
	cols, err := d.columnsOf(names)
	if err != nil {
		return &Error{"--effects-query", err.Error()}
	}
	d.cols = cols
	rec, err := d.record(rows)
	if err != nil {
		return &Error{"--effects-query", fmt.Sprintf("on a test call id (%s): %s", id, err)}
	}
	if recorded(rec) {
		return &Error{"--effects-query", fmt.Sprintf("counts events for a call id that does not exist (%s): it must count only the rows of the call id given as its parameter (%s)",
			id, d.placeholder())}
	}
	return nil
}

// recorded reports whether a record holds anything: a query may return a
// row per event type with zero counts for a call it has no record of.
func recorded(rec probe.CallRecord) bool {
	if rec.Pending > 0 {
		return true
	}
	for _, n := range rec.Events {
		if n > 0 {
			return true
		}
	}
	for _, n := range rec.Effects {
		if n > 0 {
			return true
		}
	}
	return false
}

// run runs the query for callID in a read-only transaction, rolled back
// at the end, and returns its column names and rows.
func (d *DB) run(ctx context.Context, callID string) ([]string, [][]any, error) {
	ctx, cancel := context.WithTimeout(ctx, QueryTimeout)
	defer cancel()
	tx, err := d.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, nil, err
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, d.query, callID)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	names, err := rows.Columns()
	if err != nil {
		return nil, nil, err
	}
	var out [][]any
	for rows.Next() {
		if len(out) == MaxRows {
			return nil, nil, fmt.Errorf("more than %d rows for one call: the query must return a row per event type (GROUP BY %s)", MaxRows, ColEventType)
		}
		vals := make([]any, len(names))
		ptrs := make([]any, len(names))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, nil, err
		}
		out = append(out, vals)
	}
	return names, out, rows.Err()
}

// columnsOf finds the columns hamsasim reads, and refuses any other: a
// misspelt optional column would otherwise go unread without a word.
func (d *DB) columnsOf(names []string) (columns, error) {
	c := columns{-1, -1, -1, -1}
	var unknown []string
	for i, n := range names {
		switch strings.ToLower(n) {
		case ColEventType:
			c.eventType = i
		case ColEvents:
			c.events = i
		case ColEffects:
			c.effects = i
		case ColPending:
			c.pending = i
		default:
			unknown = append(unknown, n)
		}
	}
	if c.eventType < 0 || c.events < 0 || len(unknown) > 0 {
		found := "no column"
		if len(names) > 0 {
			found = "the columns " + strings.Join(names, ", ")
		}
		return c, fmt.Errorf("returns %s; hamsasim reads %s and %s, and %s and %s where the schema has them, and no other (name them with AS)",
			found, ColEventType, ColEvents, ColEffects, ColPending)
	}
	return c, nil
}

// record adds the rows up into a call record: a type's rows are summed.
func (d *DB) record(rows [][]any) (probe.CallRecord, error) {
	rec := probe.CallRecord{Events: map[string]int{}, Effects: map[string]int{},
		NoEffects: d.cols.effects < 0, NoPending: d.cols.pending < 0}
	for i, row := range rows {
		t, ok := text(row[d.cols.eventType])
		if !ok || t == "" {
			return rec, fmt.Errorf("row %d: %s is %s, not an event type", i+1, ColEventType, show(row[d.cols.eventType]))
		}
		for _, f := range []struct {
			name string
			col  int
			add  func(int)
		}{
			{ColEvents, d.cols.events, func(n int) { rec.Events[t] += n }},
			{ColEffects, d.cols.effects, func(n int) { rec.Effects[t] += n }},
			{ColPending, d.cols.pending, func(n int) { rec.Pending += n }},
		} {
			if f.col < 0 {
				continue
			}
			n, err := count(row[f.col])
			if err != nil {
				return rec, fmt.Errorf("row %d (%s): %s is %s, not a count", i+1, t, f.name, show(row[f.col]))
			}
			f.add(n)
		}
	}
	if rec.NoEffects {
		// Effects unknown: taken as the events stored, so that nothing
		// waits on them and only losses are judged.
		for t, n := range rec.Events {
			rec.Effects[t] = n
		}
	}
	return rec, nil
}

// text reads a column as a string.
func text(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case []byte:
		return string(x), true
	}
	return "", false
}

// count reads a column as a count: an integer, an integral float or
// decimal (SUM in MySQL and PostgreSQL), a numeric string; NULL is 0 (a
// LEFT JOIN with nothing on the right).
func count(v any) (int, error) {
	var f float64
	switch x := v.(type) {
	case nil:
		return 0, nil
	case int64:
		f = float64(x)
	case int32:
		f = float64(x)
	case int:
		f = float64(x)
	case uint64:
		f = float64(x)
	case float64:
		f = x
	case float32:
		f = float64(x)
	case string, []byte:
		s, _ := text(x)
		p, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil {
			return 0, err
		}
		f = p
	default:
		return 0, fmt.Errorf("%T", v)
	}
	if f < 0 || f != math.Trunc(f) || f > math.MaxInt32 {
		return 0, fmt.Errorf("%v", f)
	}
	return int(f), nil
}

func show(v any) string {
	if v == nil {
		return "NULL"
	}
	if s, ok := text(v); ok {
		return strconv.Quote(s)
	}
	return fmt.Sprint(v)
}

// connectError says why the database could not be reached.
func (d *DB) connectError(err error) error {
	msg := scrub(err.Error(), d.src.password)
	var pg *pgconn.PgError
	var my *mysql.MySQLError
	switch {
	case errors.As(err, &pg) && (pg.Code == "28P01" || pg.Code == "28000"):
		return &Error{"--effects-db", fmt.Sprintf("%s: the database refused the credentials: %s", d.src.shown, scrub(pg.Message, d.src.password))}
	case errors.As(err, &my) && (my.Number == 1045 || my.Number == 1044 || my.Number == 1698):
		return &Error{"--effects-db", fmt.Sprintf("%s: the database refused the credentials: %s", d.src.shown, scrub(my.Message, d.src.password))}
	case errors.As(err, &pg) && pg.Code == "3D000", errors.As(err, &my) && my.Number == 1049:
		return &Error{"--effects-db", fmt.Sprintf("%s: no such database: %s", d.src.shown, msg)}
	}
	return &Error{"--effects-db", fmt.Sprintf("%s: cannot connect: %s", d.src.shown, msg)}
}

// queryMessage says why the query failed, saying so plainly when it tried
// to write or did not take the call id.
func (d *DB) queryMessage(err error) string {
	msg := scrub(err.Error(), d.src.password)
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Sprintf("no answer within %s", QueryTimeout)
	}
	if isWrite(err) {
		return "the query writes, and the database refused it: hamsasim only reads (in a read-only transaction, always rolled back): " + msg
	}
	if strings.Contains(msg, "argument") || strings.Contains(msg, "parameter") {
		return fmt.Sprintf("%s (the call id is the query's one parameter: write %s where it goes)", msg, d.placeholder())
	}
	return msg
}

// isWrite reports whether err is the database refusing a write.
func isWrite(err error) bool {
	var pg *pgconn.PgError
	var my *mysql.MySQLError
	var lite interface{ Code() int }
	switch {
	case errors.As(err, &pg):
		return pg.Code == "25006" // read_only_sql_transaction
	case errors.As(err, &my):
		return my.Number == 1792 // ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION
	case errors.As(err, &lite):
		return lite.Code()&0xff == 8 // SQLITE_READONLY
	}
	return false
}
