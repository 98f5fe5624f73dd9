package server

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/lumbunghq/lumbung/collections"
	"github.com/lumbunghq/lumbung/collections/postgres"
	"github.com/lumbunghq/lumbung/plugins"
)

// Migrations are the app's migrations of one database: the files of the
// migrations folder (DIR/migrations, or PocketBase's pb_migrations) and
// the Go migrations plugins register, in the order of their names,
// recorded in _app_migrations.
type Migrations struct {
	*collections.Migrator
	// Dir is the migrations folder: where create and automigrate write.
	Dir string

	mu  sync.Mutex // serializes the writes of files, whose names must grow
	svc *collections.Service
}

// MigrationsDir returns the migrations folder of cfg: cfg.MigrationsDir
// when set, else the first that exists of DIR/migrations,
// DIR/pb_migrations and pb_migrations beside DIR (PocketBase's place);
// DIR/migrations when none does.
func MigrationsDir(cfg Config) string {
	if cfg.MigrationsDir != "" {
		return cfg.MigrationsDir
	}
	dir := cfg.Dir
	if dir == "" {
		dir = "lb_data"
	}
	for _, c := range []string{filepath.Join(dir, "migrations"), filepath.Join(dir, "pb_migrations"), filepath.Join(dir, "..", "pb_migrations")} {
		if st, err := os.Stat(c); err == nil && st.IsDir() {
			return filepath.Clean(c)
		}
	}
	return filepath.Join(dir, "migrations")
}

// migrations reads the app's migrations: the folder's files, through the
// readers the binary has (the JS hooks plugin reads *.js), and the Go
// migrations of plugins.
func (s *Server) migrations() (*Migrations, error) {
	dir := MigrationsDir(s.cfg)
	list := plugins.RegisteredMigrations()
	readers := plugins.MigrationFileReaders()
	exts := make([]string, 0, len(readers))
	for ext := range readers {
		exts = append(exts, ext)
	}
	slices.Sort(exts)
	for _, ext := range exts {
		found, err := readers[ext](dir, s.cfg.Logger)
		if err != nil {
			return nil, fmt.Errorf("migrations in %s: %w", dir, err)
		}
		list = append(list, found...)
	}
	if entries, err := os.ReadDir(dir); err == nil {
		for _, e := range entries {
			if ext := filepath.Ext(e.Name()); !e.IsDir() && ext == ".js" && readers[ext] == nil {
				return nil, fmt.Errorf("migrations in %s: %s is a JS migration, and this binary has no JS engine (the jsvm plugin)", dir, e.Name())
			}
		}
	}
	m, err := s.svc.NewMigrator(postgres.NewAppMigrations(s.db), list)
	if err != nil {
		return nil, err
	}
	return &Migrations{Migrator: m, Dir: dir, svc: s.svc}, nil
}

// applyMigrations applies the pending migrations, as a server does when
// it starts; the first that fails stops the start with its name and
// reason (a JS migration's file and line).
func (s *Server) applyMigrations(ctx context.Context) (*Migrations, error) {
	m, err := s.migrations()
	if err != nil {
		return nil, err
	}
	done, err := m.Up(ctx)
	if len(done) > 0 {
		s.cfg.Logger.Info("applied migrations", "dir", m.Dir, "names", strings.Join(done, ", "))
	}
	if err != nil {
		return nil, err
	}
	return m, nil
}

// OpenMigrations returns the app's migrations of the database cfg names,
// for commands: it attaches to the private PostgreSQL of a server running
// on the same data directory (or starts it until close is called). Schema
// changes it applies reach running servers through the notifications
// every schema change sends.
func OpenMigrations(ctx context.Context, cfg Config) (m *Migrations, close func(), err error) {
	cfg.defaults()
	s, err := open(ctx, cfg, true)
	if err != nil {
		return nil, nil, err
	}
	if m, err = s.migrations(); err != nil {
		s.Close(context.WithoutCancel(ctx))
		return nil, nil, err
	}
	return m, func() { s.Close(context.WithoutCancel(ctx)) }, nil
}
