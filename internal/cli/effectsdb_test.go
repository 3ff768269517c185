package cli

import (
	"database/sql"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hamsasim/hamsasim/internal/loadreport"
	"github.com/hamsasim/hamsasim/internal/testdb"
)

func TestMain(m *testing.M) {
	code := m.Run()
	testdb.StopAll()
	os.Exit(code)
}

// readmeQueries are the README's example --effects-query texts, by shape.
var readmeQueries = sync.OnceValues(func() (map[string]string, error) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, m := range regexp.MustCompile("(?s)```sql\n-- shape: (\\w+)\n(.*?)```").FindAllStringSubmatch(string(b), -1) {
		out[m[1]] = strings.TrimSpace(m[2])
	}
	return out, nil
})

// query is the README's query for shape, in the dialect's placeholders.
func query(t *testing.T, d dialect, shape string) string {
	t.Helper()
	qs, err := readmeQueries()
	require.NoError(t, err)
	q, ok := qs[shape]
	require.True(t, ok, "the README has no query for the shape %s", shape)
	if d.name != "postgres" {
		q = strings.ReplaceAll(q, "$1", "?")
	}
	return q
}

// dbBackend gives each test a fresh database of one kind: the receiver's
// connection and the DSN hamsasim reads it with.
type dbBackend struct {
	d     dialect
	fresh func(t *testing.T) (*sql.DB, string)
}

func postgresBackend() dbBackend {
	return dbBackend{dialects["postgres"], func(t *testing.T) (*sql.DB, string) {
		s := testdb.Postgres(t)
		name := s.NewDatabase(t)
		return s.Open(t, name), s.DSN(s.User, s.Password, name)
	}}
}

func mysqlBackend() dbBackend {
	return dbBackend{dialects["mysql"], func(t *testing.T) (*sql.DB, string) {
		s := testdb.MySQL(t)
		name := s.NewDatabase(t)
		return s.Open(t, name), s.DSN(s.User, s.Password, name)
	}}
}

func sqliteBackend() dbBackend {
	return dbBackend{dialects["sqlite"], func(t *testing.T) (*sql.DB, string) {
		path := filepath.Join(t.TempDir(), "app.db")
		db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)")
		require.NoError(t, err)
		db.SetMaxOpenConns(1)
		t.Cleanup(func() { db.Close() })
		return db, "sqlite:" + path
	}}
}

// serveDBReceiver starts the database-backed receiver in mode on a fresh
// database and returns its base URL and the DSN of its database.
func serveDBReceiver(t *testing.T, b dbBackend, mode string) (string, string) {
	t.Helper()
	db, dsn := b.fresh(t)
	b.d.schema(t, db)
	srv := httptest.NewServer(&dbReceiver{d: b.d, db: db, token: testSecret, mode: mode})
	t.Cleanup(srv.Close)
	return srv.URL, dsn
}

// auditRun runs a short load against base/webhook, the end-state audit
// read as extra says, and returns the exit code and the summary.
func auditRun(t *testing.T, base string, extra ...string) (int, *loadreport.Summary, result) {
	t.Helper()
	dir := t.TempDir()
	args := append([]string{"load", "--scenario", "testdata/effects-db.yaml", "--seed", "7", "--quiet",
		"--target", base + "/webhook", "--report-dir", dir}, extra...)
	r := runCLI(t, map[string]string{"WEBHOOK_SECRET": testSecret}, args...)
	b, err := os.ReadFile(filepath.Join(dir, "summary.json"))
	require.NoError(t, err, "exit %d: %s", r.code, r.stderr)
	var s loadreport.Summary
	require.NoError(t, json.Unmarshal(b, &s))
	return r.code, &s, r
}

// auditCase is one load run: the receiver's mode and where its records are
// read (the probe API, or a README query's shape through --effects-db).
type auditCase struct{ mode, via string }

// testAuditThroughDatabase runs each case against its own receiver and
// database, and checks that --effects-db finds what --probe-url finds: the
// same lost and duplicated counts on a defective receiver (same seed, same
// events), and nothing on the correct one.
func testAuditThroughDatabase(t *testing.T, b dbBackend, cases []auditCase) {
	type outcome struct {
		code int
		a    loadreport.Audit
	}
	var mu sync.Mutex
	got := map[auditCase]outcome{}
	t.Run("runs", func(t *testing.T) {
		for _, c := range cases {
			t.Run(c.mode+"-"+c.via, func(t *testing.T) {
				t.Parallel()
				base, dsn := serveDBReceiver(t, b, c.mode)
				extra := []string{"--probe-url", base}
				if c.via != "probe" {
					extra = []string{"--effects-db", dsn, "--effects-query", query(t, b.d, c.via)}
				}
				code, s, r := auditRun(t, base, extra...)
				assert.Zero(t, s.Audit.Unchecked, "every call checked: %v", s.Audit.Problems)
				assert.Equal(t, s.Calls.Started, s.Audit.Checked)
				for _, out := range []string{r.stdout, r.stderr} {
					assert.NotContains(t, out, testdbPassword(dsn), "the DSN's password is never shown")
				}
				if c.via != "probe" {
					assert.Contains(t, s.Audit.Probe, b.d.name)
				}
				mu.Lock()
				got[c] = outcome{code, s.Audit}
				mu.Unlock()
			})
		}
	})
	if t.Failed() {
		return
	}
	for _, c := range cases {
		o := got[c]
		switch c.mode {
		case "":
			assert.Equal(t, ExitPassed, o.code, "%v: a correct receiver passes", c)
			assert.Zero(t, o.a.Lost, "%v", c)
			assert.Zero(t, o.a.Duplicated, "%v", c)
		case "drop":
			assert.Equal(t, ExitFindings, o.code, "%v: lost events fail the run", c)
			assert.Positive(t, o.a.Lost, "%v", c)
			assert.Equal(t, got[auditCase{"drop", "probe"}].a.Lost, o.a.Lost, "%v: the same loss as the probe API", c)
		case "double":
			assert.Equal(t, ExitFindings, o.code, "%v: duplicated effects fail the run", c)
			assert.Positive(t, o.a.Duplicated, "%v", c)
			assert.Equal(t, got[auditCase{"double", "probe"}].a.Duplicated, o.a.Duplicated, "%v: the same duplicates as the probe API", c)
		}
	}
	if o, ok := got[auditCase{"", "calls"}]; ok {
		assert.True(t, o.a.NoEffects, "the calls shape has no effects column")
	}
}

// testdbPassword is the password in a DSN, or a string no output holds.
func testdbPassword(dsn string) string {
	if i, j := strings.Index(dsn, "://"), strings.LastIndex(dsn, "@"); i >= 0 && j > i {
		if _, pw, ok := strings.Cut(dsn[i+3:j], ":"); ok {
			return pw
		}
	}
	return "\x00no password\x00"
}

// TestEffectsDBPostgres: against a real PostgreSQL written by a receiver
// with deliberate defects, the audit through --effects-db with each of the
// README's queries reports lost and duplicated events as --probe-url does,
// fails the run on them, and passes the correct receiver.
func TestEffectsDBPostgres(t *testing.T) {
	testAuditThroughDatabase(t, postgresBackend(), []auditCase{
		{"", "webhook_events"}, {"", "calls"}, {"", "effects_log"},
		{"drop", "probe"}, {"drop", "webhook_events"}, {"drop", "calls"}, {"drop", "effects_log"},
		{"double", "probe"}, {"double", "effects_log"},
	})
}

// TestEffectsDBSQLite: the same with SQLite files.
func TestEffectsDBSQLite(t *testing.T) {
	testAuditThroughDatabase(t, sqliteBackend(), []auditCase{
		{"", "webhook_events"}, {"", "calls"},
		{"drop", "probe"}, {"drop", "webhook_events"},
		{"double", "probe"}, {"double", "effects_log"},
	})
}

// TestEffectsDBMySQL: the same with MariaDB/MySQL, when a server can start
// here (make test-mysql installs one).
func TestEffectsDBMySQL(t *testing.T) {
	testAuditThroughDatabase(t, mysqlBackend(), []auditCase{
		{"", "webhook_events"}, {"", "calls"},
		{"drop", "probe"}, {"drop", "webhook_events"},
		{"double", "probe"}, {"double", "effects_log"},
	})
}
