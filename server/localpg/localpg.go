// Package localpg runs Lumbung's embedded default database: a private
// PostgreSQL cluster that the Lumbung server initializes, starts and stops
// itself when no DATABASE_URL is configured.
//
// The cluster lives in <Dir>/pg:
//
//	<Dir>/pg/data          the data directory (initdb'd on first start)
//	<Dir>/pg/.s.PGSQL.5432 the only listening socket (no TCP)
//	<Dir>/pg/password      the superuser password (mode 0600)
//	<Dir>/pg/postgres.log  postgres' stdout and stderr (appended)
//	<Dir>/pg/lumbung.lock  flock held by the process that owns the cluster
//
// Lumbung connects as the role "lumbung_app", which owns the "lumbung"
// database and everything in it but is no superuser (its password is
// derived from the superuser's); the superuser "lumbung" is used only to
// create that role and hand it the database on each start.
//
// When the Lumbung process runs as root, initdb and postgres run as the
// unprivileged system user "lumbung" (created with useradd when missing)
// because PostgreSQL refuses to run as root. Each directory on the way to
// Dir/pg that this user cannot search gets an ACL entry letting it search
// (setfacl -m u:lumbung:x), and nobody else gains anything: a data root in
// a private home directory works.
//
// A process that serves (Config.Attach false) holds an exclusive flock on
// lumbung.lock for as long as it owns the cluster. After a crash
// (SIGKILL) the postgres child keeps running in its own process group; the
// next serving process adopts it instead of starting a second one, and
// stale postmaster.pid files left by a dead postgres are removed.
package localpg

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"sync"
)

// ErrNoBinaries reports that no PostgreSQL server binaries were found. The
// error returned by Start wraps it and says where it looked.
var ErrNoBinaries = errors.New("no PostgreSQL server binaries (postgres, initdb) found: " +
	"install them (e.g. `apt-get install -y postgresql`) or set DATABASE_URL to an external PostgreSQL server")

// ErrInUse reports that another Lumbung process owns the cluster: one that
// serves, or a command that started it and has not finished yet.
// The error returned by Start wraps it and names the directory.
var ErrInUse = errors.New("cluster in use by another lumbung process")

// Config configures Start.
type Config struct {
	// Dir is the Lumbung data root; the cluster lives in Dir/pg. Required.
	Dir string
	// Logger receives lifecycle messages; nil discards them. Postgres' own
	// output goes to Dir/pg/postgres.log.
	Logger *slog.Logger
	// BinDir, when set, is the only directory searched for postgres and
	// initdb. By default Start looks on PATH, then in
	// /usr/lib/postgresql/*/bin and /usr/pgsql-*/bin (highest version first,
	// preferring the version that created an existing cluster).
	BinDir string
	// Attach is for short-lived commands (e.g. `lumbung superuser upsert`):
	// connect to a running cluster and never stop it; when none runs, start
	// one and stop it again on Stop.
	Attach bool
	// Fast is for throwaway test clusters: initdb skips its final sync,
	// fsync, synchronous_commit and full_page_writes are off (a machine
	// crash may lose data), and on Linux a postgres started by this process
	// shuts down when the process dies, so a crashed or timed-out test
	// leaves no server behind.
	Fast bool
}

// Server is a running private PostgreSQL cluster, started or attached to by
// Start. Its methods are safe for concurrent use.
type Server struct {
	dataDir string
	url     string
	log     *slog.Logger

	owned  bool          // Stop stops postgres
	pid    int           // postmaster PID
	cmd    *exec.Cmd     // non-nil when postgres is this process' child
	exited chan struct{} // closed when cmd has exited
	lock   *os.File      // flock on lumbung.lock, held until Stop

	stopOnce sync.Once
	stopErr  error
}

// URL returns a connection string (URL form, accepted by pgx and libpq) for
// the "lumbung" database over the cluster's unix socket, as the application
// role "lumbung_app" with its password: keep it out of logs.
func (s *Server) URL() string { return s.url }

// inUseError is returned when the lock is held by another process.
type inUseError struct {
	dir    string
	holder string // "pid N serve" as written by the holder, may be empty
}

func (e *inUseError) Error() string {
	who := "serve"
	if strings.HasSuffix(e.holder, " attach") {
		who = "command"
	}
	msg := "localpg: another lumbung " + who + " is using " + e.dir
	if e.holder != "" {
		msg += fmt.Sprintf(" (%s)", e.holder)
	}
	return msg
}

func (e *inUseError) Unwrap() error { return ErrInUse }
