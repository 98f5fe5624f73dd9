package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/lumbunghq/lumbung/collections"
)

// AppMigrations records the app's applied migrations in _app_migrations.
type AppMigrations struct {
	db *DB
}

var _ collections.MigrationStore = (*AppMigrations)(nil)

// NewAppMigrations returns the record of db's applied migrations.
func NewAppMigrations(db *DB) *AppMigrations { return &AppMigrations{db: db} }

// Applied implements collections.MigrationStore: in the order applied.
func (m *AppMigrations) Applied(ctx context.Context) ([]collections.AppliedMigration, error) {
	rows, err := m.db.Pool.Query(ctx, "SELECT name, applied FROM _app_migrations ORDER BY applied, name")
	if err != nil {
		return nil, translate(err, nil)
	}
	defer rows.Close()
	var out []collections.AppliedMigration
	for rows.Next() {
		var a collections.AppliedMigration
		if err := rows.Scan(&a.Name, &a.Applied); err != nil {
			return nil, translate(err, nil)
		}
		out = append(out, a)
	}
	return out, translate(rows.Err(), nil)
}

// Mark implements collections.MigrationStore. The insert waits for a
// transaction inserting the same name, then finds it there.
func (m *AppMigrations) Mark(ctx context.Context, tx collections.SchemaTx, name string) (bool, error) {
	return m.exec(ctx, tx, "INSERT INTO _app_migrations (name) VALUES ($1) ON CONFLICT (name) DO NOTHING", name)
}

// Unmark implements collections.MigrationStore.
func (m *AppMigrations) Unmark(ctx context.Context, tx collections.SchemaTx, name string) (bool, error) {
	return m.exec(ctx, tx, "DELETE FROM _app_migrations WHERE name = $1", name)
}

// MarkApplied implements collections.MigrationStore.
func (m *AppMigrations) MarkApplied(ctx context.Context, name string) error {
	_, err := m.db.Pool.Exec(ctx, "INSERT INTO _app_migrations (name) VALUES ($1) ON CONFLICT (name) DO NOTHING", name)
	return translate(err, nil)
}

// Exec implements collections.MigrationStore: a migration's own
// statement, with $1… parameters, in its transaction.
func (m *AppMigrations) Exec(ctx context.Context, tx collections.SchemaTx, sql string, args ...any) (int64, error) {
	t, ok := tx.(*schemaTx)
	if !ok || t.done {
		return 0, errors.New("app migrations: not in a schema transaction")
	}
	res, err := t.tx.Tx.ExecContext(ctx, sql, args...)
	if err != nil {
		return 0, fmt.Errorf("SQL failed: %w", err)
	}
	return res.RowsAffected()
}

func (m *AppMigrations) exec(ctx context.Context, tx collections.SchemaTx, sql, name string) (bool, error) {
	n, err := m.Exec(ctx, tx, sql, name)
	if err != nil {
		return false, err
	}
	return n == 1, nil
}
