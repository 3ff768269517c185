package effectsdb

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRedactDSN: the password, and parameters that look secret, are never
// shown; what tells DSNs apart stays.
func TestRedactDSN(t *testing.T) {
	for in, want := range map[string]string{
		"postgres://audit:s3cret@db.internal:5432/app?sslmode=require":     "postgres://audit:REDACTED@db.internal:5432/app?sslmode=require",
		"postgres://audit@db.internal/app?password=s3cret&sslmode=disable": "postgres://audit@db.internal/app?password=REDACTED&sslmode=disable",
		"mysql://root:p%40ss@127.0.0.1:3306/app":                           "mysql://root:REDACTED@127.0.0.1:3306/app",
		"postgres://db.internal/app?sslkey=/k.pem":                         "postgres://db.internal/app?sslkey=REDACTED",
		"sqlite:app.db":              "sqlite:app.db",
		"post gres://a:s3cret@x/%zz": "post gres://REDACTED@x/%zz",
	} {
		assert.Equal(t, want, RedactDSN(in), in)
		assert.NotContains(t, RedactDSN(in), "s3cret")
	}
}

// TestParseDSN: the scheme picks the driver; what cannot be used is said.
func TestParseDSN(t *testing.T) {
	t.Setenv("MYSQL_PWD", "from-env-pw")
	lite := filepath.Join(t.TempDir(), "app.db")
	db, err := sql.Open("sqlite", lite)
	require.NoError(t, err)
	_, err = db.Exec("CREATE TABLE t (x INT)")
	require.NoError(t, err)
	require.NoError(t, db.Close())

	for _, c := range []struct{ dsn, kind, err string }{
		{"postgres://a:b@127.0.0.1:5432/app", Postgres, ""},
		{"postgresql://a@127.0.0.1/app?sslmode=disable", Postgres, ""},
		{"mysql://a:b@127.0.0.1/app?parseTime=true", MySQL, ""},
		{"mysql://a@/app?socket=/run/mysqld/mysqld.sock", MySQL, ""},
		{"sqlite:" + lite, SQLite, ""},
		{"sqlite://" + lite, SQLite, ""},
		{"sqlite:", "", "names no file"},
		{"redis://127.0.0.1/0", "", "is not a database hamsasim reads"},
		{"127.0.0.1:5432", "", "is not a database hamsasim reads"},
		{"app.db", "", "has no scheme"},
	} {
		src, err := parseDSN(c.dsn)
		if c.err != "" {
			require.Error(t, err, c.dsn)
			assert.Contains(t, err.Error(), c.err, c.dsn)
			continue
		}
		require.NoError(t, err, c.dsn)
		assert.Equal(t, c.kind, src.kind, c.dsn)
	}
	src, err := parseDSN("mysql://a@127.0.0.1/app")
	require.NoError(t, err)
	assert.Equal(t, "from-env-pw", src.password, "MYSQL_PWD when the DSN has no password")
}

// TestCount: the counts databases return, and what is not one.
func TestCount(t *testing.T) {
	for _, v := range []any{int64(3), int32(3), float64(3), []byte("3"), "3", "3.0", []byte(" 3 ")} {
		n, err := count(v)
		require.NoError(t, err, "%T %v", v, v)
		assert.Equal(t, 3, n)
	}
	n, err := count(nil)
	require.NoError(t, err)
	assert.Zero(t, n, "NULL counts nothing")
	for _, v := range []any{"many", 2.5, int64(-1), true, []byte("1e12")} {
		_, err := count(v)
		assert.Error(t, err, "%T %v", v, v)
	}
}

// TestSQLiteRecord: rows add up per event type; a call with only zero
// counts recorded nothing; without an effects column, effects are taken as
// the events stored; a write is refused.
func TestSQLiteRecord(t *testing.T) {
	path := filepath.Join(t.TempDir(), "app.db")
	db, err := sql.Open("sqlite", path)
	require.NoError(t, err)
	for _, s := range []string{
		"CREATE TABLE ev (call_id TEXT, event_type TEXT, n INT, done INT)",
		"INSERT INTO ev VALUES ('c1','call.started',1,1), ('c1','transcription.update',2,2), ('c1','transcription.update',3,4), ('c2','call.started',0,0)",
	} {
		_, err := db.Exec(s)
		require.NoError(t, err)
	}
	require.NoError(t, db.Close())
	ctx := context.Background()
	d, err := Open(ctx, "sqlite:"+path, "SELECT event_type, n AS events, done AS effects FROM ev WHERE call_id = ?")
	require.NoError(t, err)
	defer d.Close()
	r := d.Read(ctx, "c1")
	require.NoError(t, r.Err)
	assert.True(t, r.Found)
	assert.Equal(t, map[string]int{"call.started": 1, "transcription.update": 5}, r.Record.Events)
	assert.Equal(t, map[string]int{"call.started": 1, "transcription.update": 6}, r.Record.Effects)
	assert.True(t, r.Record.NoPending)
	assert.False(t, d.Read(ctx, "c2").Found, "only zero counts: no record of the call")
	assert.False(t, d.Read(ctx, "c3").Found)

	d2, err := Open(ctx, "sqlite:"+path, "SELECT event_type, n AS events FROM ev WHERE call_id = ?")
	require.NoError(t, err)
	defer d2.Close()
	r = d2.Read(ctx, "c1")
	assert.True(t, r.Record.NoEffects)
	assert.Equal(t, r.Record.Events, r.Record.Effects)

	_, err = Open(ctx, "sqlite:"+path, "UPDATE ev SET n = n + 1 WHERE call_id = ? RETURNING event_type, n AS events")
	var de *Error
	require.True(t, errors.As(err, &de), "%v", err)
	assert.Contains(t, de.Msg, "the query writes, and the database refused it")
	check, err := sql.Open("sqlite", path)
	require.NoError(t, err)
	defer check.Close()
	var total int
	require.NoError(t, check.QueryRow("SELECT SUM(n) FROM ev").Scan(&total))
	assert.Equal(t, 6, total, "nothing was written")
}
