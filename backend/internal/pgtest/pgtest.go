// Package pgtest runs Debian's PostgreSQL for tests: initdb and pg_ctl in a temporary
// folder, on a free port on 127.0.0.1, as the postgres user when the tests run as root
// (initdb refuses root), and stopped when the test binary ends. Each test gets a database
// of its own on that one server.
//
// A package whose tests use it runs them through Main:
//
//	func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }
//
// Tests choose the store with GATEHOUSE_TEST_DB: "postgres" runs them on PostgreSQL, anything
// else on SQLite (make test runs the store and server suites both ways). Without PostgreSQL
// installed a test that asks for it is skipped, or fails when CI=true.
package pgtest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver, to create each test's database
)

// Enabled says whether this run keeps the portal's data in PostgreSQL
// (GATEHOUSE_TEST_DB=postgres).
func Enabled() bool { return os.Getenv("GATEHOUSE_TEST_DB") == "postgres" }

var (
	once    sync.Once
	running *cluster
	failure error
	dbs     atomic.Int64
)

type cluster struct {
	dir    string // temporary folder: data/, the socket and the log
	bin    string // the folder of initdb, pg_ctl and postgres
	asUser string // "postgres" when started by root, else ""
	port   int
}

// Main runs the package's tests and stops the server if one was started.
func Main(m *testing.M) int {
	code := m.Run()
	if running != nil {
		if err := running.stop(); err != nil {
			fmt.Fprintln(os.Stderr, "pgtest:", err)
		}
	}
	return code
}

// URL starts the server on first use and returns the address of a new, empty database for
// this test.
func URL(t testing.TB) string {
	t.Helper()
	once.Do(func() { running, failure = start() })
	if failure != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("PostgreSQL is needed and could not be started: %v", failure)
		}
		t.Skipf("PostgreSQL is not available here (%v); install Debian's postgresql package", failure)
	}
	name := fmt.Sprintf("t%d_%d", os.Getpid(), dbs.Add(1))
	admin, err := sql.Open("pgx", running.url("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if _, err := admin.ExecContext(context.Background(), "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create the test database: %v", err)
	}
	return running.url(name)
}

func (c *cluster) url(db string) string {
	return fmt.Sprintf("postgres://gatehouse@127.0.0.1:%d/%s?sslmode=disable", c.port, db)
}

// binDir finds Debian's PostgreSQL programs: on PATH, or in /usr/lib/postgresql/<n>/bin.
func binDir() (string, error) {
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p), nil
	}
	found, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(found) == 0 {
		return "", errors.New("no initdb on PATH or in /usr/lib/postgresql/*/bin")
	}
	return filepath.Dir(found[len(found)-1]), nil
}

func start() (*cluster, error) {
	bin, err := binDir()
	if err != nil {
		return nil, err
	}
	c := &cluster{bin: bin}
	if c.dir, err = os.MkdirTemp("", "gatehouse-pg-"); err != nil {
		return nil, err
	}
	if os.Geteuid() == 0 {
		// initdb will not run as root: the server runs as the postgres user the Debian
		// package made, in a folder it owns.
		u, err := user.Lookup("postgres")
		if err != nil {
			return nil, fmt.Errorf("running as root and there is no postgres user to run PostgreSQL as: %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(c.dir, uid, gid); err != nil {
			return nil, err
		}
		c.asUser = "postgres"
	}
	data := filepath.Join(c.dir, "data")
	if out, err := c.run("initdb", "-D", data, "-U", "gatehouse", "--auth=trust", "--encoding=UTF8", "--locale=C", "-N"); err != nil {
		return nil, fmt.Errorf("initdb: %v: %s", err, out)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	c.port = l.Addr().(*net.TCPAddr).Port
	l.Close()
	// Durability is not what these tests are about: no fsync makes them several times faster.
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200",
		c.port, c.dir)
	if out, err := c.run("pg_ctl", "-D", data, "-o", opts, "-l", filepath.Join(c.dir, "log"), "-w", "-t", "60", "start"); err != nil {
		log, _ := os.ReadFile(filepath.Join(c.dir, "log"))
		return nil, fmt.Errorf("pg_ctl start: %v: %s %s", err, out, log)
	}
	return c, nil
}

func (c *cluster) run(prog string, args ...string) ([]byte, error) {
	path := filepath.Join(c.bin, prog)
	var cmd *exec.Cmd
	if c.asUser != "" {
		cmd = exec.Command("runuser", append([]string{"-u", c.asUser, "--", path}, args...)...)
	} else {
		cmd = exec.Command(path, args...)
	}
	cmd.Dir = c.dir
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	done := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
			if cmd.Process != nil {
				cmd.Process.Kill()
			}
		case <-done:
		}
	}()
	out, err := cmd.CombinedOutput()
	close(done)
	return []byte(strings.TrimSpace(string(out))), err
}

// Stop stops the server now (the kill tests end it under a running portal).
func (c *cluster) stop() error {
	out, err := c.run("pg_ctl", "-D", filepath.Join(c.dir, "data"), "-m", "immediate", "-w", "stop")
	if err != nil {
		return fmt.Errorf("pg_ctl stop: %v: %s", err, out)
	}
	return os.RemoveAll(c.dir)
}
