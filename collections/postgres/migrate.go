package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/uptrace/bun/migrate"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrationLockKey is the advisory lock that serializes migrations between
// nodes starting at the same time.
const migrationLockKey = 7_346_183_209

// Migrate brings the system schema up to date. Several nodes may call it at
// once: an advisory lock lets one run the migrations while the others wait.
func (db *DB) Migrate(ctx context.Context) error {
	conn, err := db.Pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", migrationLockKey); err != nil {
		return fmt.Errorf("migrate: lock: %w", err)
	}
	defer conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", migrationLockKey) //nolint:errcheck // released with the session anyway

	ms := migrate.NewMigrations()
	if err := ms.Discover(migrationFiles); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	m := migrate.NewMigrator(db.Bun, ms,
		migrate.WithTableName("_migrations"),
		migrate.WithLocksTableName("_migration_locks"),
		migrate.WithMarkAppliedOnSuccess(true))
	if err := m.Init(ctx); err != nil {
		return fmt.Errorf("migrate: init: %w", err)
	}
	if _, err := m.Migrate(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return ensureSQLiteCompat(ctx, conn.Conn())
}

//go:embed sqlite_compat.sql
var sqliteCompatSQL string

// ensureSQLiteCompat creates or updates the _sqlite schema that view
// queries written for SQLite use (see sqlite_compat.sql), on every start.
// A database user that may not create schemas goes without: such views
// are then refused with PostgreSQL's reason.
func ensureSQLiteCompat(ctx context.Context, conn *pgx.Conn) error {
	_, err := conn.Exec(ctx, sqliteCompatSQL)
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "42501" { // insufficient_privilege
		return nil
	}
	if err != nil {
		return fmt.Errorf("migrate: SQLite functions for views: %w", err)
	}
	return nil
}

// MigrateURL connects to the database at dsn, migrates it and disconnects:
// for tools and test templates.
func MigrateURL(ctx context.Context, dsn string) error {
	db, err := Open(ctx, dsn, 2)
	if err != nil {
		return err
	}
	defer db.Close()
	return db.Migrate(ctx)
}
