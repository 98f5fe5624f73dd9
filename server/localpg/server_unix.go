//go:build unix

package localpg

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// fastShutdown is how long Stop waits after SIGINT before sending SIGQUIT.
const fastShutdown = 30 * time.Second

// Start starts the private cluster in cfg.Dir/pg, or attaches to the one
// already running there, and returns once it accepts connections and the
// "lumbung" database exists. ctx bounds only the start-up; postgres keeps
// running until Stop.
//
// A serving process (cfg.Attach false) owns the cluster: it fails with
// ErrInUse while another serving process holds Dir/pg/lumbung.lock, adopts
// a postgres orphaned by a killed process, and stops postgres on Stop.
func Start(ctx context.Context, cfg Config) (*Server, error) {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	l, err := newLayout(cfg.Dir)
	if err != nil {
		return nil, err
	}
	want, err := clusterMajor(l.dataDir)
	if err != nil {
		return nil, err
	}
	bins, err := findBinaries(ctx, search{binDir: cfg.BinDir, usePath: true, globs: defaultGlobs}, want)
	if err != nil {
		return nil, err
	}
	cred, err := serviceCredential(ctx, log)
	if err != nil {
		return nil, err
	}
	if err := l.prepare(cred, log); err != nil {
		return nil, err
	}
	if err := l.checkAccess(ctx, bins, cred); err != nil {
		return nil, err
	}
	mode := "serve"
	if cfg.Attach {
		mode = "attach"
	}
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		lock, holder, err := tryLock(l.lockFile, mode)
		if err != nil {
			return nil, err
		}
		if lock != nil {
			return l.own(ctx, cfg, bins, cred, lock, log)
		}
		if !cfg.Attach {
			return nil, &inUseError{dir: l.root, holder: holder}
		}
		// Another process owns the cluster: use its postgres once it is up.
		pid, _, err := livePostmaster(l.dataDir)
		if err != nil {
			return nil, err
		}
		if pid != 0 {
			s := &Server{dataDir: l.dataDir, log: log, pid: pid}
			err := s.ready(ctx, l)
			if err == nil {
				log.Info("attached to running PostgreSQL", "pid", pid, "owner", holder)
				return s, nil
			}
			if !s.gone() { // postgres runs but will not have us
				return nil, err
			}
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("localpg: waiting for the PostgreSQL of the lumbung process using %s (%s): %w", l.root, holder, ctx.Err())
		case <-tick.C:
		}
	}
}

// own runs with lumbung.lock held: it adopts or attaches to a running
// postgres, or starts one (running initdb first when there is no cluster).
func (l layout) own(ctx context.Context, cfg Config, bins binaries, cred *syscall.Credential, lock *os.File, log *slog.Logger) (_ *Server, err error) {
	defer func() {
		if err != nil {
			_ = unlock(lock)
		}
	}()
	pid, stale, err := livePostmaster(l.dataDir)
	if err != nil {
		return nil, err
	}
	if pid != 0 {
		s := &Server{dataDir: l.dataDir, log: log, pid: pid}
		switch err := s.ready(ctx, l); {
		case err == nil && cfg.Attach:
			log.Info("attached to running PostgreSQL", "pid", pid)
			_ = unlock(lock)
			return s, nil
		case err == nil:
			s.owned, s.lock = true, lock
			log.Info("adopted running PostgreSQL", "pid", pid, "dir", l.dataDir)
			return s, nil
		case !s.gone():
			return nil, err
		}
		// It was shutting down when we came; start a new one.
		log.Info("running PostgreSQL exited while connecting; starting it again", "pid", pid)
	}
	if stale {
		log.Warn("removing stale postmaster.pid", "dir", l.dataDir)
	}
	if err := l.initCluster(ctx, bins, cred, cfg.Fast, log); err != nil {
		return nil, err
	}
	if err := l.removeStaleLocks(); err != nil {
		return nil, err
	}
	cmd, exited, offset, err := l.startPostmaster(bins, cred, cfg.Fast)
	if err != nil {
		return nil, err
	}
	s := &Server{dataDir: l.dataDir, log: log, owned: true, pid: cmd.Process.Pid, cmd: cmd, exited: exited, lock: lock}
	if err := s.ready(ctx, l); err != nil {
		stopErr := stopPostmaster(s.pid, exited, 10*time.Second, nil)
		return nil, fmt.Errorf("%w\n%s:\n%s", errors.Join(err, stopErr), l.logFile, logTail(l.logFile, offset))
	}
	log.Info("started embedded PostgreSQL", "pid", s.pid, "version", bins.major, "dir", l.dataDir, "log", l.logFile)
	return s, nil
}

// ready waits until postgres accepts connections, then makes sure the
// "lumbung" database exists and sets s.url.
func (s *Server) ready(ctx context.Context, l layout) error {
	pw, err := l.readPassword()
	if err != nil {
		return err
	}
	conn, err := waitReady(ctx, connURL(l.pgDir, superuser, pw, "postgres"), s.gone)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if err := ensureDatabase(ctx, conn, database); err != nil {
		return err
	}
	db, err := pgx.Connect(ctx, connURL(l.pgDir, superuser, pw, database))
	if err != nil {
		return fmt.Errorf("localpg: %w", err)
	}
	defer db.Close(context.WithoutCancel(ctx))
	if err := ensureAppRole(ctx, db, appPassword(pw)); err != nil {
		return err
	}
	if err := ensureStatements(ctx, db, connURL(l.pgDir, superuser, pw, "template1")); err != nil {
		return err
	}
	s.url = connURL(l.pgDir, appRole, appPassword(pw), database)
	return nil
}

// gone reports whether the postgres this Server uses has exited.
func (s *Server) gone() bool {
	if s.exited == nil {
		return !processAlive(s.pid)
	}
	select {
	case <-s.exited:
		return true
	default:
		return false
	}
}

// unreachableFor is how long waitReady tolerates a running postgres whose
// socket cannot be reached at all. It creates the socket early, before
// crash recovery (during which it answers "starting up" for as long as
// recovery takes), so a longer silence means something is wrong.
const unreachableFor = time.Minute

// waitReady polls until a connection succeeds, postgres exits, or ctx ends.
func waitReady(ctx context.Context, dsn string, gone func() bool) (*pgx.Conn, error) {
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	unreachable := time.Time{}
	for {
		attempt, cancel := context.WithTimeout(ctx, 5*time.Second)
		conn, err := pgx.Connect(attempt, dsn)
		cancel()
		if err == nil {
			return conn, nil
		}
		var pgErr *pgconn.PgError
		switch {
		case errors.As(err, &pgErr) && strings.HasPrefix(pgErr.Code, "28"): // invalid authorization
			return nil, fmt.Errorf("localpg: postgres rejected the superuser credentials: %w", err)
		case pgErr != nil:
			unreachable = time.Time{}
		case unreachable.IsZero():
			unreachable = time.Now()
		case time.Since(unreachable) > unreachableFor:
			return nil, fmt.Errorf("localpg: postgres runs but its socket cannot be reached: %w", err)
		}
		if gone() {
			return nil, fmt.Errorf("localpg: postgres exited before accepting connections (last attempt: %v)", err)
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("localpg: waiting for postgres to accept connections: %w (last attempt: %v)", ctx.Err(), err)
		case <-tick.C:
		}
	}
}

// ensureDatabase creates database name unless it exists.
func ensureDatabase(ctx context.Context, conn *pgx.Conn, name string) error {
	var exists bool
	err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists)
	if err != nil {
		return fmt.Errorf("localpg: %w", err)
	}
	if exists {
		return nil
	}
	_, err = conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize())
	var pgErr *pgconn.PgError
	if err != nil && !(errors.As(err, &pgErr) && pgErr.Code == "42P04") { // duplicate_database: a concurrent Start won
		return fmt.Errorf("localpg: create database %s: %w", name, err)
	}
	return nil
}

// connURL is a postgres:// URL for db over the unix socket in socketDir.
func connURL(socketDir, user, password, db string) string {
	// libpq and pgx decode %XX in query values but not '+': spell spaces %20.
	host := strings.ReplaceAll(url.QueryEscape(socketDir), "+", "%20")
	u := url.URL{Scheme: "postgres", User: url.UserPassword(user, password), Path: "/" + db,
		RawQuery: fmt.Sprintf("host=%s&port=%d&sslmode=disable", host, port)}
	return u.String()
}

// Stop stops postgres if this Server owns it (it started or adopted it) and
// releases the cluster lock; for a Server that merely attached it does
// nothing. It sends SIGINT (fast shutdown) and escalates to SIGQUIT when ctx
// ends or 30 seconds pass. Calls after the first return the first result.
func (s *Server) Stop(ctx context.Context) error {
	s.stopOnce.Do(func() { s.stopErr = s.stop(ctx) })
	return s.stopErr
}

func (s *Server) stop(ctx context.Context) error {
	defer unlock(s.lock)
	if !s.owned {
		return nil
	}
	var exited <-chan struct{} = s.exited
	if exited == nil { // adopted: not our child, so poll for its end
		done := make(chan struct{})
		defer close(done)
		exited = pollExit(s.pid, done)
	}
	err := stopPostmaster(s.pid, exited, fastShutdown, ctx.Done())
	if err != nil {
		s.log.Warn("embedded PostgreSQL shutdown", "err", err)
	} else {
		s.log.Info("stopped embedded PostgreSQL", "pid", s.pid, "dir", s.dataDir)
	}
	return err
}
