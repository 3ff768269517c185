package cli

import (
	"database/sql"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
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
		t.Logf("receiver %-6q read through %-14s exit %d: %d calls checked, %d recorded, %d lost, %d duplicated",
			c.mode, c.via, o.code, o.a.Checked, o.a.Recorded, o.a.Lost, o.a.Duplicated)
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
	t.Parallel()
	testAuditThroughDatabase(t, postgresBackend(), []auditCase{
		{"", "webhook_events"}, {"", "calls"}, {"", "effects_log"},
		{"drop", "probe"}, {"drop", "webhook_events"}, {"drop", "calls"}, {"drop", "effects_log"},
		{"double", "probe"}, {"double", "effects_log"},
	})
}

// TestEffectsDBSQLite: the same with SQLite files.
func TestEffectsDBSQLite(t *testing.T) {
	t.Parallel()
	testAuditThroughDatabase(t, sqliteBackend(), []auditCase{
		{"", "webhook_events"}, {"", "calls"},
		{"drop", "probe"}, {"drop", "webhook_events"},
		{"double", "probe"}, {"double", "effects_log"},
	})
}

// TestEffectsDBMySQL: the same with MariaDB/MySQL, when a server can start
// here (make test-mysql installs one).
func TestEffectsDBMySQL(t *testing.T) {
	t.Parallel()
	testAuditThroughDatabase(t, mysqlBackend(), []auditCase{
		{"", "webhook_events"}, {"", "calls"},
		{"drop", "probe"}, {"drop", "webhook_events"},
		{"double", "probe"}, {"double", "effects_log"},
	})
}

// TestEffectsDBBadInput: a DSN or query that cannot serve stops the command
// with exit 2 and one message naming what is wrong, before the target is
// sent anything, and never shows the password. The messages are golden
// files (testdata/effects-db; -update rewrites them).
func TestEffectsDBBadInput(t *testing.T) {
	t.Parallel()
	pg := testdb.Postgres(t)
	pgName := pg.NewDatabase(t)
	conn := pg.Open(t, pgName)
	_, err := conn.Exec(`CREATE TABLE webhook_events (call_id TEXT, event_type TEXT, processed_at TIMESTAMP NULL)`)
	require.NoError(t, err)
	_, err = conn.Exec(`INSERT INTO webhook_events VALUES ('c1', 'call.started', NULL)`)
	require.NoError(t, err)
	pgDSN := pg.DSN(pg.User, pg.Password, pgName)

	lite := filepath.Join(t.TempDir(), "app.db")
	ldb, err := sql.Open("sqlite", lite)
	require.NoError(t, err)
	_, err = ldb.Exec(`CREATE TABLE webhook_events (call_id TEXT, event_type TEXT, processed_at TEXT)`)
	require.NoError(t, err)
	_, err = ldb.Exec(`INSERT INTO webhook_events VALUES ('c1', 'call.started', NULL)`)
	require.NoError(t, err)
	require.NoError(t, ldb.Close())
	liteDSN := "sqlite:" + lite

	good := "SELECT event_type, COUNT(*) AS events FROM webhook_events WHERE call_id = $1 GROUP BY event_type"
	cases := []struct{ name, dsn, query string }{
		{"postgres-wrong-password", pg.DSN(pg.User, "not-the-password", pgName), good},
		{"postgres-no-such-database", pg.DSN(pg.User, pg.Password, "no_such_db"), good},
		{"postgres-no-such-table", pgDSN, "SELECT event_type, COUNT(*) AS events FROM webhook_event WHERE call_id = $1 GROUP BY event_type"},
		{"postgres-missing-columns", pgDSN, "SELECT event_type, COUNT(*) FROM webhook_events WHERE call_id = $1 GROUP BY event_type"},
		{"postgres-misspelt-column", pgDSN, "SELECT event_type, COUNT(*) AS events, COUNT(processed_at) AS effect FROM webhook_events WHERE call_id = $1 GROUP BY event_type"},
		{"postgres-no-parameter", pgDSN, "SELECT event_type, COUNT(*) AS events FROM webhook_events GROUP BY event_type"},
		{"postgres-any-call", pgDSN, "SELECT event_type, COUNT(*) AS events FROM webhook_events WHERE call_id = $1 OR true GROUP BY event_type"},
		{"postgres-writes", pgDSN, "DELETE FROM webhook_events WHERE call_id = $1 RETURNING event_type, 1 AS events"},
		{"sqlite-writes", liteDSN, "DELETE FROM webhook_events WHERE call_id = ? RETURNING event_type, 1 AS events"},
		{"sqlite-missing-columns", liteDSN, "SELECT event_type AS type, COUNT(*) AS n FROM webhook_events WHERE call_id = ? GROUP BY event_type"},
		{"sqlite-not-a-count", liteDSN, "SELECT event_type, 'many' AS events FROM webhook_events WHERE call_id = ? OR call_id = 'c1'"},
	}
	var hits atomic.Int64
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { hits.Add(1) }))
	t.Cleanup(target.Close)
	normal := strings.NewReplacer(pgName, "DB", lite, "$TMP/app.db")
	ports := regexp.MustCompile(`127\.0\.0\.1:\d+`)
	ids := regexp.MustCompile(`hamsasim-check-[0-9a-f]{12}`)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := runCLI(t, map[string]string{"WEBHOOK_SECRET": testSecret}, "load", "--scenario", "testdata/effects-db.yaml",
				"--target", target.URL+"/webhook", "--report-dir", t.TempDir(), "--effects-db", c.dsn, "--effects-query", c.query)
			assert.Equal(t, ExitUsage, r.code, "stderr: %s", r.stderr)
			assert.Empty(t, r.stdout)
			for _, pw := range []string{pg.Password, "not-the-password"} {
				assert.NotContains(t, r.stderr, pw, "the password is never shown")
			}
			got := ids.ReplaceAllString(ports.ReplaceAllString(normal.Replace(r.stderr), "127.0.0.1:PORT"), "hamsasim-check-ID")
			path := filepath.Join("testdata", "effects-db", c.name+".err")
			if *update {
				require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
				require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
				return
			}
			want, err := os.ReadFile(path)
			require.NoError(t, err, "run with -update to create it")
			assert.Equal(t, string(want), got)
		})
	}
	assert.Zero(t, hits.Load(), "nothing is sent before the database and the query are checked")
}

// TestEffectsDBSimulateAndFeatures: simulate and features read the same
// database through --effects-db: the correct receiver passes, the one that
// processes redeliveries again is caught by duplicate.effect and by the
// Gherkin step, as through a probe API.
func TestEffectsDBSimulateAndFeatures(t *testing.T) {
	t.Parallel()
	b := postgresBackend()
	for _, mode := range []string{"", "double"} {
		t.Run("mode-"+mode, func(t *testing.T) {
			t.Parallel()
			base, dsn := serveDBReceiver(t, b, mode)
			db := []string{"--target", base + "/webhook", "--effects-db", dsn, "--effects-query", query(t, b.d, "effects_log")}
			out := filepath.Join(t.TempDir(), "simulate.json")
			sim := runCLI(t, map[string]string{"WEBHOOK_SECRET": testSecret},
				append([]string{"simulate", "--fixtures", shipped("support-resolved", "sales-outbound-tools"), "--probes", "lifecycle,duplicate,race", "--json", out}, db...)...)
			feat := runCLI(t, map[string]string{"WEBHOOK_SECRET": testSecret},
				append([]string{"features", "testdata/effects-db.feature", "--format", "progress"}, db...)...)
			for _, o := range []string{sim.stdout, sim.stderr, feat.stdout, feat.stderr} {
				assert.NotContains(t, o, testdbPassword(dsn))
			}
			rep := readFile(t, out)
			assert.NotContains(t, rep, testdbPassword(dsn))
			if mode == "" {
				assert.Equal(t, ExitPassed, sim.code, "simulate: %s%s", sim.stdout, sim.stderr)
				assert.Equal(t, ExitPassed, feat.code, "features: %s%s", feat.stdout, feat.stderr)
				return
			}
			assert.Equal(t, ExitFindings, sim.code, "simulate: %s%s", sim.stdout, sim.stderr)
			assert.Contains(t, rep, `"duplicate.effect"`)
			assert.Contains(t, rep, "took effect")
			assert.Contains(t, rep, "REDACTED", "findings name the database, password redacted")
			assert.Equal(t, ExitFindings, feat.code, "features: %s%s", feat.stdout, feat.stderr)
			assert.Contains(t, feat.stdout+feat.stderr, "call.ended took effect 3 times at the receiver, expected 1")
		})
	}
}
