package server

import (
	"context"
	"path/filepath"

	"github.com/lumbunghq/lumbung/server/backup"
	backuppg "github.com/lumbunghq/lumbung/server/backup/postgres"
)

// newBackups returns the backups of the node's database, kept in
// <Dir>/backups.
func (s *Server) newBackups() (*backup.Manager, error) {
	db, err := backuppg.New(s.db.Pool, s.dsn, "")
	if err != nil {
		return nil, err
	}
	return backup.New(backup.Config{
		Dir:          filepath.Join(s.cfg.Dir, "backups"),
		Database:     db,
		AfterRestore: s.afterRestore,
		Now:          s.cfg.Clock,
		Logger:       s.cfg.Logger,
	}), nil
}

// afterRestore reads everything a restore replaced at once on this node
// (the other nodes hear of it through the notifications the restore
// sends): the settings, the schema and the policies.
func (s *Server) afterRestore(ctx context.Context) error {
	return s.reloadShared(ctx)
}

// Backups returns the node's backups.
func (s *Server) Backups() *backup.Manager { return s.backups }

// OpenBackups returns the backups of the database cfg names, kept in
// <Dir>/backups, for commands: it attaches to the private PostgreSQL of
// a server running on the same data directory (or starts it until close
// is called). A restore made through it reaches running servers through
// the notifications the restore sends.
func OpenBackups(ctx context.Context, cfg Config) (m *backup.Manager, close func(), err error) {
	cfg.defaults()
	s, err := open(ctx, cfg, true)
	if err != nil {
		return nil, nil, err
	}
	if m, err = s.newBackups(); err != nil {
		s.Close(context.WithoutCancel(ctx))
		return nil, nil, err
	}
	return m, func() { s.Close(context.WithoutCancel(ctx)) }, nil
}
