// Package pgtest gives every test its own PostgreSQL database: one private
// server per `go test` process (the embedded localpg cluster, or the server
// DATABASE_URL names), and per test a fresh database cloned from a template
// that was migrated once.
//
//	func TestMain(m *testing.M) { pgtest.Main(m, migrate) }
//
//	func TestSomething(t *testing.T) {
//		dsn := pgtest.NewDB(t) // dropped when t ends
//		...
//	}
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/lumbunghq/lumbung/server/localpg"
)

// current is the harness of this test process, set by Main before it runs
// the tests and never changed while they run. It is the package's only
// mutable global: a test binary has exactly one TestMain, so the server it
// starts is process-scoped by nature.
var current *harness

// harness holds a connection to the server's maintenance database and the
// name of the migrated template.
type harness struct {
	base     string // DSN the server was reached with
	template string

	mu    sync.Mutex // serializes CREATE/DROP DATABASE: a template must have no other session while it is cloned
	admin *pgx.Conn
	seq   int
}

// Main is called from TestMain. It starts one private cluster (Fast, in a
// temporary directory, on /dev/shm when that is a roomy tmpfs and TMPDIR is
// not set) unless DATABASE_URL is set, creates a template
// database and runs migrate on it once (migrate may be nil and must close
// its connections), runs the tests, drops the template, stops the cluster,
// removes the directory and exits with the tests' code.
func Main(m *testing.M, migrate func(ctx context.Context, dsn string) error) {
	os.Exit(run(m, migrate))
}

func run(m *testing.M, migrate func(ctx context.Context, dsn string) error) int {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	base := os.Getenv("DATABASE_URL")
	if base == "" {
		parent := tempParent()
		sweep(parent)
		dir, err := os.MkdirTemp(parent, "pgtest-")
		if err != nil {
			fmt.Fprintln(os.Stderr, "pgtest:", err)
			return 1
		}
		defer os.RemoveAll(dir)
		srv, err := localpg.Start(ctx, localpg.Config{Dir: dir, Fast: true})
		if err != nil {
			fmt.Fprintln(os.Stderr, "pgtest:", err)
			return 1
		}
		defer srv.Stop(context.Background())
		base = srv.URL()
	}
	h, err := newHarness(ctx, base, migrate)
	if err != nil {
		fmt.Fprintln(os.Stderr, "pgtest:", err)
		return 1
	}
	defer h.close()
	current = h
	return m.Run()
}

func newHarness(ctx context.Context, base string, migrate func(ctx context.Context, dsn string) error) (_ *harness, err error) {
	admin, err := pgx.Connect(ctx, base)
	if err != nil {
		return nil, err
	}
	suffix := make([]byte, 6)
	_, _ = rand.Read(suffix) // never fails
	// Unique per process, so test processes can share one DATABASE_URL server.
	h := &harness{base: base, admin: admin, template: "pgtest_" + hex.EncodeToString(suffix)}
	tmpl := pgx.Identifier{h.template}.Sanitize()
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+tmpl); err != nil {
		admin.Close(ctx)
		return nil, fmt.Errorf("create template database: %w", err)
	}
	defer func() {
		if err != nil {
			h.close()
		}
	}()
	if migrate != nil {
		dsn, err := withDatabase(base, h.template)
		if err != nil {
			return nil, err
		}
		if err := migrate(ctx, dsn); err != nil {
			return nil, fmt.Errorf("migrate template: %w", err)
		}
	}
	// Nobody may connect to the template again: a session on it makes
	// CREATE DATABASE ... TEMPLATE fail. End any migrate left behind.
	if _, err := admin.Exec(ctx, "ALTER DATABASE "+tmpl+" WITH ALLOW_CONNECTIONS false"); err != nil {
		return nil, fmt.Errorf("seal template: %w", err)
	}
	if _, err := admin.Exec(ctx, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", h.template); err != nil {
		return nil, fmt.Errorf("seal template: %w", err)
	}
	return h, nil
}

// close drops the template and closes the admin connection.
func (h *harness) close() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, err := h.admin.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{h.template}.Sanitize()+" WITH (FORCE)"); err != nil {
		fmt.Fprintln(os.Stderr, "pgtest: drop template:", err)
	}
	h.admin.Close(ctx)
}

// NewDB creates a fresh database cloned from the migrated template,
// registers tb.Cleanup to drop it (WITH (FORCE), so open pools do not block
// it) and returns its DSN. It needs Main in TestMain.
func NewDB(tb testing.TB) string {
	tb.Helper()
	h := current
	if h == nil {
		tb.Fatal("pgtest: NewDB needs pgtest.Main(m, migrate) in TestMain")
	}
	name, err := h.create()
	if err != nil {
		tb.Fatalf("pgtest: %v", err)
	}
	tb.Cleanup(func() {
		if err := h.drop(name); err != nil {
			tb.Errorf("pgtest: %v", err)
		}
	})
	dsn, err := withDatabase(h.base, name)
	if err != nil {
		tb.Fatalf("pgtest: %v", err)
	}
	return dsn
}

func (h *harness) create() (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	h.mu.Lock()
	defer h.mu.Unlock()
	h.seq++
	name := fmt.Sprintf("%s_%d", h.template, h.seq)
	sql := "CREATE DATABASE " + pgx.Identifier{name}.Sanitize() + " TEMPLATE " + pgx.Identifier{h.template}.Sanitize()
	if _, err := h.admin.Exec(ctx, sql); err != nil {
		return "", fmt.Errorf("create database %s: %w", name, err)
	}
	return name, nil
}

func (h *harness) drop(name string) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	h.mu.Lock()
	defer h.mu.Unlock()
	for attempt := 1; ; attempt++ {
		_, err := h.admin.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
		var pgErr *pgconn.PgError
		if err != nil && errors.As(err, &pgErr) && pgErr.Code == "42501" && attempt < 100 {
			// An autovacuum worker was on the database: a process of no
			// role, which FORCE may not end. It ends by itself.
			time.Sleep(50 * time.Millisecond)
			continue
		}
		if err != nil {
			return fmt.Errorf("drop database %s: %w", name, err)
		}
		return nil
	}
}

// withDatabase returns dsn pointed at database db. It takes both forms pgx
// and libpq accept: a postgres:// URL, or keyword=value pairs (where the
// last dbname wins).
func withDatabase(dsn, db string) (string, error) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			return "", errors.New("DATABASE_URL is not a valid URL") // the error would echo the password
		}
		u.Path, u.RawPath = "/"+db, ""
		if q := u.Query(); q.Has("dbname") {
			q.Del("dbname")
			u.RawQuery = q.Encode()
		}
		return u.String(), nil
	}
	quoted := strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(db)
	return strings.TrimSpace(dsn + " dbname='" + quoted + "'"), nil
}
