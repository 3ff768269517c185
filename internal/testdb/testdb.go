// Package testdb starts real database servers on loopback for tests: a
// PostgreSQL cluster (initdb into a temporary folder, pg_ctl start) and,
// when installed, a MariaDB/MySQL server. Each is started once per test
// binary, on a free port of 127.0.0.1, with a password-protected role, and
// stopped by StopAll (call it from TestMain).
//
// `make test` installs PostgreSQL when missing and sets
// HAMSASIM_TEST_DB=required, so that a server that cannot start fails the
// tests instead of skipping them; `make test-mysql` does the same for
// MariaDB with HAMSASIM_TEST_MYSQL=required.
package testdb

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	_ "github.com/go-sql-driver/mysql" // the "mysql" driver
	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver
)

// Server is a running database server.
type Server struct {
	Kind     string // "postgres" or "mysql"
	Host     string // 127.0.0.1
	Port     int
	User     string // a role with a password that owns the test databases
	Password string
	admin    *sql.DB
	stop     func()
	mu       sync.Mutex
	n        int
}

// DSN is the URL hamsasim takes for database db, as user:password.
func (s *Server) DSN(user, password, db string) string {
	u := fmt.Sprintf("%s://%s:%s@%s/%s", s.Kind, user, password, net.JoinHostPort(s.Host, strconv.Itoa(s.Port)), db)
	if s.Kind == "postgres" {
		u += "?sslmode=disable"
	}
	return u
}

// NewDatabase creates an empty database owned by the server's role and
// returns its name.
func (s *Server) NewDatabase(t testing.TB) string {
	s.mu.Lock()
	s.n++
	name := fmt.Sprintf("t%d_%s", s.n, randomHex(4))
	s.mu.Unlock()
	stmt := "CREATE DATABASE " + name + " OWNER " + s.User
	if s.Kind == "mysql" {
		stmt = "CREATE DATABASE " + name
	}
	if _, err := s.admin.Exec(stmt); err != nil {
		t.Fatalf("create database %s: %v", name, err)
	}
	if s.Kind == "mysql" {
		if _, err := s.admin.Exec(fmt.Sprintf("GRANT ALL ON %s.* TO '%s'@'127.0.0.1'", name, s.User)); err != nil {
			t.Fatalf("grant on %s: %v", name, err)
		}
	}
	return name
}

// Open opens database db as the server's role, with the driver's own DSN.
func (s *Server) Open(t testing.TB, db string) *sql.DB {
	var conn *sql.DB
	var err error
	if s.Kind == "postgres" {
		conn, err = sql.Open("pgx", s.DSN(s.User, s.Password, db))
	} else {
		conn, err = sql.Open("mysql", fmt.Sprintf("%s:%s@tcp(%s:%d)/%s", s.User, s.Password, s.Host, s.Port, db))
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

var (
	mu      sync.Mutex
	servers = map[string]*Server{}
	failed  = map[string]string{}
)

// Postgres returns the PostgreSQL server, starting it the first time.
func Postgres(t testing.TB) *Server { return get(t, "postgres", "HAMSASIM_TEST_DB", startPostgres) }

// MySQL returns the MariaDB/MySQL server, starting it the first time.
func MySQL(t testing.TB) *Server { return get(t, "mysql", "HAMSASIM_TEST_MYSQL", startMySQL) }

func get(t testing.TB, kind, required string, start func() (*Server, error)) *Server {
	t.Helper()
	mu.Lock()
	defer mu.Unlock()
	if s := servers[kind]; s != nil {
		return s
	}
	why := failed[kind]
	if why == "" {
		s, err := start()
		if err == nil {
			servers[kind] = s
			return s
		}
		why = err.Error()
		failed[kind] = why
	}
	if os.Getenv(required) == "required" {
		t.Fatalf("%s is required here (%s=required) and could not start: %s", kind, required, why)
	}
	t.Skipf("no %s server: %s (make test installs and starts one)", kind, why)
	return nil
}

// StopAll stops every server started.
func StopAll() {
	mu.Lock()
	defer mu.Unlock()
	for k, s := range servers {
		s.admin.Close()
		s.stop()
		delete(servers, k)
	}
}

func startPostgres() (*Server, error) {
	bin, err := findBin("initdb", "/usr/lib/postgresql/*/bin")
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "hamsasim-pg-")
	if err != nil {
		return nil, err
	}
	cred, err := runAs(dir)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	data := filepath.Join(dir, "data")
	super := "pw-" + randomHex(8)
	pwfile := filepath.Join(dir, "pw")
	if err := os.WriteFile(pwfile, []byte(super+"\n"), 0o600); err != nil {
		return nil, err
	}
	if cred != nil {
		os.Chown(pwfile, int(cred.Uid), int(cred.Gid))
	}
	run := func(name string, args ...string) error {
		cmd := exec.Command(filepath.Join(bin, name), args...)
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		if err != nil {
			return fmt.Errorf("%s: %v: %s", name, err, lastLines(string(out)))
		}
		return nil
	}
	if err := run("initdb", "-D", data, "-U", "postgres", "--pwfile", pwfile, "--auth-host=scram-sha-256", "--auth-local=trust", "-E", "UTF8", "--no-sync"); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	opts := fmt.Sprintf("-k %s -h 127.0.0.1 -p %d -F -c max_connections=60", dir, port)
	if err := run("pg_ctl", "-D", data, "-o", opts, "-l", filepath.Join(dir, "log"), "-w", "-t", "60", "start"); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	stop := func() {
		run("pg_ctl", "-D", data, "-m", "immediate", "-w", "stop")
		os.RemoveAll(dir)
	}
	s := &Server{Kind: "postgres", Host: "127.0.0.1", Port: port, User: "hamsa", Password: "role-pw-" + randomHex(8), stop: stop}
	admin, err := sql.Open("pgx", s.DSN("postgres", super, "postgres"))
	if err == nil {
		_, err = admin.Exec(fmt.Sprintf("CREATE ROLE %s LOGIN PASSWORD '%s'", s.User, s.Password))
	}
	if err != nil {
		stop()
		return nil, fmt.Errorf("create role: %v", err)
	}
	s.admin = admin
	return s, nil
}

func startMySQL() (*Server, error) {
	daemon, err := exec.LookPath("mariadbd")
	if err != nil {
		if daemon, err = exec.LookPath("mysqld"); err != nil {
			if _, err2 := os.Stat("/usr/sbin/mariadbd"); err2 == nil {
				daemon, err = "/usr/sbin/mariadbd", nil
			} else {
				return nil, fmt.Errorf("no mariadbd or mysqld on PATH or in /usr/sbin")
			}
		}
	}
	install, err := exec.LookPath("mariadb-install-db")
	if err != nil {
		return nil, fmt.Errorf("no mariadb-install-db: %v", err)
	}
	dir, err := os.MkdirTemp("", "hamsasim-my-")
	if err != nil {
		return nil, err
	}
	u := "root"
	if os.Geteuid() != 0 {
		cur, err := user.Current()
		if err != nil {
			return nil, err
		}
		u = cur.Username
	}
	data := filepath.Join(dir, "data")
	cmd := exec.Command(install, "--no-defaults", "--datadir="+data, "--user="+u, "--auth-root-authentication-method=normal", "--skip-test-db")
	if out, err := cmd.CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("mariadb-install-db: %v: %s", err, lastLines(string(out)))
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	sock := filepath.Join(dir, "sock")
	d := exec.Command(daemon, "--no-defaults", "--datadir="+data, "--socket="+sock, fmt.Sprintf("--port=%d", port),
		"--bind-address=127.0.0.1", "--user="+u, "--skip-log-bin", "--innodb-buffer-pool-size=32M", "--pid-file="+filepath.Join(dir, "pid"),
		"--log-error="+filepath.Join(dir, "err.log"))
	if err := d.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	stop := func() {
		d.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { d.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			d.Process.Kill()
			<-done
		}
		os.RemoveAll(dir)
	}
	admin, err := sql.Open("mysql", "root@unix("+sock+")/")
	if err != nil {
		stop()
		return nil, err
	}
	if err := waitPing(admin); err != nil {
		admin.Close()
		stop()
		log, _ := os.ReadFile(filepath.Join(dir, "err.log"))
		return nil, fmt.Errorf("mariadbd did not answer: %v: %s", err, lastLines(string(log)))
	}
	s := &Server{Kind: "mysql", Host: "127.0.0.1", Port: port, User: "hamsa", Password: "role-pw-" + randomHex(8), stop: stop, admin: admin}
	if _, err := admin.Exec(fmt.Sprintf("CREATE USER '%s'@'127.0.0.1' IDENTIFIED BY '%s'", s.User, s.Password)); err != nil {
		admin.Close()
		stop()
		return nil, fmt.Errorf("create user: %v", err)
	}
	return s, nil
}

// waitPing waits up to a minute for a server that is starting to answer.
func waitPing(db *sql.DB) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for {
		err := db.PingContext(ctx)
		if err == nil || ctx.Err() != nil {
			return err
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// runAs says whom PostgreSQL runs as (initdb refuses root): as root, the
// postgres user (or nobody), which then owns dir; otherwise the current
// user (nil).
func runAs(dir string) (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			return nil, err
		}
		return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
	}
	return nil, fmt.Errorf("running as root and no postgres or nobody user to run the server as")
}

// findBin finds the folder holding name: on PATH, or in a glob of
// folders (the newest version first).
func findBin(name, glob string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		if real, err := filepath.EvalSymlinks(p); err == nil {
			p = real
		}
		return filepath.Dir(p), nil
	}
	dirs, _ := filepath.Glob(glob)
	for i := len(dirs) - 1; i >= 0; i-- {
		if _, err := os.Stat(filepath.Join(dirs[i], name)); err == nil {
			return dirs[i], nil
		}
	}
	return "", fmt.Errorf("no %s on PATH or in %s", name, glob)
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func lastLines(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > 5 {
		lines = lines[len(lines)-5:]
	}
	return strings.Join(lines, " | ")
}
