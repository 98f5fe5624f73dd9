//go:build unix

package localpg

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
)

const (
	superuser = "lumbung" // the cluster's superuser role
	database  = "lumbung" // the database URL points at
	port      = 5432      // names the socket file; there is no TCP listener
)

// layout names the files of a cluster below Dir/pg.
type layout struct {
	root     string // Config.Dir, absolute
	pgDir    string // also the socket directory
	dataDir  string
	password string
	logFile  string
	lockFile string
}

// maxSocketPath is the room in sockaddr_un.sun_path (108 on Linux, 104 on
// the BSDs) minus the terminating NUL; the smaller one keeps us portable.
const maxSocketPath = 103

func newLayout(dir string) (layout, error) {
	if dir == "" {
		return layout{}, errors.New("localpg: Config.Dir is required")
	}
	root, err := filepath.Abs(dir)
	if err != nil {
		return layout{}, fmt.Errorf("localpg: %w", err)
	}
	pg := filepath.Join(root, "pg")
	l := layout{
		root:     root,
		pgDir:    pg,
		dataDir:  filepath.Join(pg, "data"),
		password: filepath.Join(pg, "password"),
		logFile:  filepath.Join(pg, "postgres.log"),
		lockFile: filepath.Join(pg, "lumbung.lock"),
	}
	if strings.Contains(pg, ",") { // libpq and pgx split host lists at commas, with no escape
		return layout{}, fmt.Errorf("localpg: %s: a data directory path with a comma cannot be named in a connection string; choose another", root)
	}
	if sock := l.socket(); len(sock) > maxSocketPath {
		return layout{}, fmt.Errorf("localpg: socket path %s is longer than %d bytes; use a shorter data directory", sock, maxSocketPath)
	}
	return l, nil
}

func (l layout) socket() string { return filepath.Join(l.pgDir, fmt.Sprintf(".s.PGSQL.%d", port)) }

// prepare creates Dir and Dir/pg and, when postgres runs as another user,
// hands Dir/pg to it and lets it search Dir and every directory above
// (see reach).
func (l layout) prepare(cred *syscall.Credential, log *slog.Logger) error {
	if err := os.MkdirAll(l.root, 0o700); err != nil {
		return fmt.Errorf("localpg: %w", err)
	}
	if err := os.Mkdir(l.pgDir, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
		return fmt.Errorf("localpg: %w", err)
	}
	if cred == nil {
		return nil
	}
	if err := l.reach(cred, log); err != nil {
		return err
	}
	if err := chown(l.pgDir, cred); err != nil {
		return err
	}
	// A data directory restored or copied as root is handed back whole.
	if ok, err := ownedBy(l.dataDir, cred); err == nil && !ok {
		if err := chownTree(l.dataDir, cred); err != nil {
			return fmt.Errorf("localpg: give %s to %s: %w", l.dataDir, serviceUser, err)
		}
	}
	return nil
}

// checkAccess runs `postgres --version` as the service user from Dir/pg, so
// an unreachable directory is reported before initdb or postgres fail on it.
func (l layout) checkAccess(ctx context.Context, bins binaries, cred *syscall.Credential) error {
	if cred == nil {
		return nil
	}
	cmd := exec.CommandContext(ctx, bins.postgres, "--version")
	cmd.Dir = l.pgDir
	cmd.Env = childEnv()
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	if out, err := cmd.CombinedOutput(); err != nil {
		hint := "make every directory on the way searchable for it"
		if d := unreachableParent(l.pgDir, cred); d != "" {
			hint = fmt.Sprintf("it cannot search %s: %s", d, reachHint(d))
		}
		return fmt.Errorf("localpg: postgres runs as user %s, which cannot run %s from %s: %v %s; %s",
			serviceUser, bins.postgres, l.pgDir, err, bytes.TrimSpace(out), hint)
	}
	return nil
}

// initCluster runs initdb unless the data directory already holds a cluster.
// initdb writes into data.init, renamed on success, so an interrupted
// initdb never leaves a half-made cluster behind.
func (l layout) initCluster(ctx context.Context, bins binaries, cred *syscall.Credential, fast bool, log *slog.Logger) error {
	if _, err := os.Stat(filepath.Join(l.dataDir, "PG_VERSION")); err == nil {
		return nil
	}
	if entries, err := os.ReadDir(l.dataDir); err == nil && len(entries) > 0 {
		return fmt.Errorf("localpg: %s is not empty but holds no cluster (no PG_VERSION); move it away", l.dataDir)
	}
	tmp := l.dataDir + ".init"
	if err := errors.Join(os.RemoveAll(tmp), os.RemoveAll(l.dataDir)); err != nil {
		return fmt.Errorf("localpg: %w", err)
	}
	if err := l.writePassword(cred); err != nil {
		return err
	}
	log.Info("initializing embedded PostgreSQL cluster", "dir", l.dataDir, "initdb", bins.initdb)
	args := []string{
		"--pgdata", tmp,
		"--username", superuser,
		"--pwfile", l.password,
		"--auth", "scram-sha-256",
		"--encoding", "UTF8",
		// Byte-order collation like PocketBase's SQLite (BINARY), stable across
		// libc upgrades; full Unicode character classes for upper/lower/ILIKE.
		"--locale", "C.UTF-8", "--lc-collate", "C",
	}
	if fast {
		args = append(args, "--no-sync")
	}
	cmd := exec.CommandContext(ctx, bins.initdb, args...)
	cmd.Dir = l.pgDir
	cmd.Env = childEnv()
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Credential: cred}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) } // with its bootstrap postgres
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("localpg: initdb failed: %w\n%s", err, bytes.TrimSpace(out))
	}
	if err := os.Rename(tmp, l.dataDir); err != nil {
		return fmt.Errorf("localpg: %w", err)
	}
	return nil
}

// writePassword stores a new random superuser password, readable only by its owner.
func (l layout) writePassword(cred *syscall.Credential) error {
	secret := make([]byte, 24)
	if _, err := rand.Read(secret); err != nil {
		return fmt.Errorf("localpg: %w", err)
	}
	tmp := l.password + ".tmp"
	if err := os.WriteFile(tmp, []byte(hex.EncodeToString(secret)+"\n"), 0o600); err != nil {
		return fmt.Errorf("localpg: %w", err)
	}
	if err := chown(tmp, cred); err != nil {
		return err
	}
	if err := os.Rename(tmp, l.password); err != nil {
		return fmt.Errorf("localpg: %w", err)
	}
	return nil
}

func (l layout) readPassword() (string, error) {
	b, err := os.ReadFile(l.password)
	if err != nil {
		return "", fmt.Errorf("localpg: read superuser password: %w", err)
	}
	pw := strings.TrimSpace(string(b))
	if pw == "" {
		return "", fmt.Errorf("localpg: %s is empty", l.password)
	}
	return pw, nil
}

// childEnv is the environment of initdb and postgres: ours without PG*
// variables, which could point them elsewhere.
func childEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PG") {
			env = append(env, kv)
		}
	}
	return env
}
