package main

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/lumbunghq/lumbung/server/localpg"
)

// database is the PostgreSQL both targets share: a private cluster started
// for the run, or the external server named by DATABASE_URL.
type database struct {
	dsn string
	pg  *localpg.Server // nil with DATABASE_URL
	dir string          // the private cluster's data root
}

// startDatabase starts a private cluster in a temporary directory unless
// DATABASE_URL is set. Unless durable, the cluster runs with fsync and
// synchronous_commit off: it is thrown away after the run.
func startDatabase(ctx context.Context, durable bool, log *slog.Logger) (*database, error) {
	if dsn := os.Getenv("DATABASE_URL"); dsn != "" {
		return &database{dsn: dsn}, nil
	}
	dir, err := os.MkdirTemp("", "lumbung-bench-pg-")
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	pg, err := localpg.Start(ctx, localpg.Config{Dir: dir, Logger: log, Fast: !durable})
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return &database{dsn: pg.URL(), pg: pg, dir: dir}, nil
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
