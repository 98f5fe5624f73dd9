package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/lumbunghq/lumbung/server/localpg"
)

// database is the PostgreSQL Lumbung and the baseline share: a private
// cluster started for the run, or the external server named by
// DATABASE_URL.
type database struct {
	dsn      string
	adminDSN string          // the private cluster's superuser, for its settings
	pg       *localpg.Server // nil with DATABASE_URL
	dir      string          // the private cluster's data root
}

// localpgSuperuser is the superuser role of a localpg cluster; its password
// is in <data root>/pg/password.
const localpgSuperuser = "lumbung"

// startDatabase starts a private cluster in a temporary directory unless
// DATABASE_URL is set. The cluster starts durable (not localpg's Fast,
// whose settings could not be changed later); setMode picks the mode each
// part of the run measures in.
func startDatabase(ctx context.Context, log *slog.Logger) (*database, error) {
	if dsn := os.Getenv("DATABASE_URL"); dsn != "" {
		return &database{dsn: dsn}, nil
	}
	dir, err := os.MkdirTemp("", "lumbung-bench-pg-")
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	pg, err := localpg.Start(ctx, localpg.Config{Dir: dir, Logger: log})
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	d := &database{dsn: pg.URL(), pg: pg, dir: dir}
	if d.adminDSN, err = superuserDSN(d.dsn, filepath.Join(dir, "pg", "password")); err != nil {
		d.close()
		return nil, err
	}
	return d, nil
}

// superuserDSN returns dsn with the user and password replaced by the
// cluster's superuser and the password in passwordFile.
func superuserDSN(dsn, passwordFile string) (string, error) {
	pw, err := os.ReadFile(passwordFile)
	if err != nil {
		return "", fmt.Errorf("the private cluster's superuser password: %w", err)
	}
	u, err := url.Parse(dsn)
	if err != nil {
		return "", fmt.Errorf("the private cluster's URL: %w", err)
	}
	u.User = url.UserPassword(localpgSuperuser, strings.TrimSpace(string(pw)))
	return u.String(), nil
}

// external reports whether the database was given by DATABASE_URL.
func (d *database) external() bool { return d.pg == nil }

// postmasterPID returns the pid of the private cluster's postmaster, or 0.
func (d *database) postmasterPID() int {
	if d.pg == nil {
		return 0
	}
	b, err := os.ReadFile(filepath.Join(d.dir, "pg", "data", "postmaster.pid"))
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	pid, _ := strconv.Atoi(strings.TrimSpace(line))
	return pid
}

// close stops the private cluster and removes its directory.
func (d *database) close() error {
	if d.pg == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := d.pg.Stop(ctx)
	if rerr := os.RemoveAll(d.dir); err == nil {
		err = rerr
	}
	return err
}
