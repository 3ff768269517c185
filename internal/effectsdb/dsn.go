package effectsdb

import (
	"database/sql"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	_ "modernc.org/sqlite" // the "sqlite" driver
)

// Kinds of database, picked by the DSN's scheme.
const (
	Postgres = "postgres"
	MySQL    = "mysql"
	SQLite   = "sqlite"
)

// source is a parsed DSN: how to open it and how to show it.
type source struct {
	kind     string
	shown    string // the DSN with its password (and secret parameters) redacted
	password string // scrubbed from every message
	open     func() (*sql.DB, error)
}

// schemes is what --effects-db accepts, for messages.
const schemes = "postgres://user:password@host:5432/db, mysql://user:password@host:3306/db, or sqlite:path/to/file.db"

// parseDSN reads a DSN. The scheme picks the driver; the connection is set
// up read-only wherever the database allows it, with connect and statement
// timeouts.
func parseDSN(dsn string) (*source, error) {
	scheme, _, ok := strings.Cut(dsn, ":")
	if !ok || scheme == "" {
		return nil, fmt.Errorf("%q has no scheme: give %s", redactLoose(dsn), schemes)
	}
	switch strings.ToLower(scheme) {
	case "postgres", "postgresql":
		return postgresSource(dsn)
	case "mysql", "mariadb":
		return mysqlSource(dsn)
	case "sqlite", "sqlite3", "file":
		return sqliteSource(dsn)
	}
	return nil, fmt.Errorf("%s is not a database hamsasim reads (scheme %q): give %s", RedactDSN(dsn), scheme, schemes)
}

func postgresSource(dsn string) (*source, error) {
	u, err := url.Parse(dsn)
	if err != nil {
		return nil, fmt.Errorf("%s does not parse as a URL", redactLoose(dsn))
	}
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("%s: %s", RedactDSN(dsn), scrub(err.Error(), password(u)))
	}
	cfg.ConnectTimeout = ConnectTimeout
	// Every transaction read-only, whatever the query says; a query that
	// runs too long is stopped by the server too.
	cfg.RuntimeParams["default_transaction_read_only"] = "on"
	cfg.RuntimeParams["statement_timeout"] = fmt.Sprint(QueryTimeout.Milliseconds())
	cfg.RuntimeParams["application_name"] = "hamsasim"
	return &source{kind: Postgres, shown: RedactDSN(dsn), password: cfg.Password,
		open: func() (*sql.DB, error) { return stdlib.OpenDB(*cfg), nil }}, nil
}

func mysqlSource(dsn string) (*source, error) {
	u, err := url.Parse(dsn)
	if err != nil || u.Opaque != "" {
		return nil, fmt.Errorf("%s does not parse as mysql://user:password@host:3306/db", redactLoose(dsn))
	}
	addr, network := u.Host, "tcp"
	q := u.Query()
	if sock := q.Get("socket"); sock != "" {
		addr, network = sock, "unix"
		q.Del("socket")
	} else if u.Port() == "" {
		addr = net.JoinHostPort(u.Hostname(), "3306")
	}
	// The driver's own DSN syntax for the parameters, without the
	// credentials, which are set on the config as they are.
	cfg, err := mysql.ParseDSN(fmt.Sprintf("%s(%s)%s?%s", network, addr, "/"+strings.TrimPrefix(u.Path, "/"), q.Encode()))
	if err != nil {
		return nil, fmt.Errorf("%s: %s", RedactDSN(dsn), err)
	}
	cfg.User = u.User.Username()
	cfg.Passwd = password(u)
	if cfg.Passwd == "" {
		// As the mysql client does: the password kept out of the DSN.
		cfg.Passwd = os.Getenv("MYSQL_PWD")
	}
	cfg.Timeout, cfg.ReadTimeout, cfg.WriteTimeout = ConnectTimeout, QueryTimeout, QueryTimeout
	conn, err := mysql.NewConnector(cfg)
	if err != nil {
		return nil, fmt.Errorf("%s: %s", RedactDSN(dsn), scrub(err.Error(), cfg.Passwd))
	}
	return &source{kind: MySQL, shown: RedactDSN(dsn), password: cfg.Passwd,
		open: func() (*sql.DB, error) { return sql.OpenDB(conn), nil }}, nil
}

// sqliteSource opens a file read-only: sqlite:path, sqlite:///abs/path or
// file:path. The file must exist; query_only refuses any write.
func sqliteSource(dsn string) (*source, error) {
	_, rest, _ := strings.Cut(dsn, ":")
	path := rest
	if strings.HasPrefix(path, "//") {
		path = strings.TrimPrefix(path, "//")
	}
	if strings.ContainsAny(path, "?#") {
		return nil, fmt.Errorf("%q: a sqlite: DSN is a file path only (hamsasim opens it read-only itself)", dsn)
	}
	if path == "" {
		return nil, fmt.Errorf("%q names no file: give sqlite:path/to/file.db", dsn)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("%q: %s", dsn, err)
	}
	if st, err := os.Stat(abs); err != nil || st.IsDir() {
		return nil, fmt.Errorf("%s: no such database file (hamsasim reads an existing database and never creates one)", "sqlite:"+path)
	}
	open := (&url.URL{Scheme: "file", Path: abs, RawQuery: fmt.Sprintf("mode=ro&_pragma=query_only(1)&_pragma=busy_timeout(%d)", QueryTimeout.Milliseconds())}).String()
	return &source{kind: SQLite, shown: "sqlite:" + path,
		open: func() (*sql.DB, error) { return sql.Open("sqlite", open) }}, nil
}

// password is u's password, or "".
func password(u *url.URL) string {
	if u == nil || u.User == nil {
		return ""
	}
	p, _ := u.User.Password()
	return p
}

// secretParams are DSN parameters whose values are redacted.
var secretParams = []string{"pass", "secret", "token", "key", "cert"}

// RedactDSN shows a DSN with its password, and the values of parameters
// that look secret (password=, sslkey=, ...), replaced by REDACTED; user,
// host, port, database and other parameters stay, to tell DSNs apart.
func RedactDSN(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return redactLoose(dsn)
	}
	if u.User != nil {
		if _, has := u.User.Password(); has {
			u.User = url.UserPassword(u.User.Username(), "REDACTED")
		}
	}
	if u.RawQuery != "" {
		q := u.Query()
		for k := range q {
			for _, s := range secretParams {
				if strings.Contains(strings.ToLower(k), s) {
					q[k] = []string{"REDACTED"}
				}
			}
		}
		u.RawQuery = q.Encode()
	}
	return u.String()
}

// redactLoose shows what does not parse as a URL without anything between
// "://" and the last "@" (where a password would be).
func redactLoose(dsn string) string {
	if i := strings.LastIndex(dsn, "@"); i >= 0 {
		if j := strings.Index(dsn, "://"); j >= 0 && j < i {
			return dsn[:j+3] + "REDACTED" + dsn[i:]
		}
		return "REDACTED" + dsn[i:]
	}
	if i := strings.Index(dsn, "?"); i >= 0 {
		return dsn[:i] + "?REDACTED"
	}
	return dsn
}

// scrub removes the password from a driver's message, should one ever
// quote it.
func scrub(msg, password string) string {
	if password == "" {
		return msg
	}
	return strings.ReplaceAll(msg, password, "REDACTED")
}

// Timeouts and the pool.
const (
	ConnectTimeout = 10 * time.Second // connecting, and checking the query
	QueryTimeout   = 10 * time.Second // each query
	MaxConns       = 4                // connections open at once
)
