package collections

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Migration is one step of an app's schema history, PocketBase's
// migrate(up, down): Up makes the change and Down reverts it, each in the
// transaction of a SchemaBatch together with the row that records it.
// Migrations apply in the order of their names (a JS file's name, such
// as 1717000000_create_posts.js, or the name a Go migration registers).
type Migration struct {
	Name string
	Up   func(ctx context.Context, sb *SchemaBatch) error
	// Down may be nil: reverting the migration then only forgets it.
	Down func(ctx context.Context, sb *SchemaBatch) error
}

// AppliedMigration is a migration a database has applied.
type AppliedMigration struct {
	Name    string    `json:"name"`
	Applied time.Time `json:"applied"`
}

// MigrationStore records which migrations a database has applied, and
// runs a migration's own SQL in its transaction.
type MigrationStore interface {
	// Applied lists the applied migrations by name.
	Applied(ctx context.Context) ([]AppliedMigration, error)
	// Mark records name as applied in tx; false when it already was (a
	// node that started at the same time applied it first).
	Mark(ctx context.Context, tx SchemaTx, name string) (bool, error)
	// Unmark forgets name in tx; false when it was not applied.
	Unmark(ctx context.Context, tx SchemaTx, name string) (bool, error)
	// MarkApplied records name as applied on its own (a migration file
	// written of a change already made).
	MarkApplied(ctx context.Context, name string) error
	// Exec runs a statement of a migration in tx and returns the rows it
	// affected.
	Exec(ctx context.Context, tx SchemaTx, sql string, args ...any) (int64, error)
}

// migrating marks the context of a migration's schema changes.
type migrating struct{}

// InMigration reports whether ctx is that of a migration being applied or
// reverted: schema changes made by migrations are not written as new
// migrations.
func InMigration(ctx context.Context) bool { return ctx.Value(migrating{}) != nil }

// Migrator applies and reverts migrations, recording them in a store.
type Migrator struct {
	svc   *Service
	store MigrationStore
	list  []Migration
}

// NewMigrator returns a migrator of list (sorted by name here; two of
// one name are refused).
func (s *Service) NewMigrator(store MigrationStore, list []Migration) (*Migrator, error) {
	list = slices.Clone(list)
	slices.SortFunc(list, func(a, b Migration) int { return strings.Compare(a.Name, b.Name) })
	for i := 1; i < len(list); i++ {
		if list[i].Name == list[i-1].Name {
			return nil, fmt.Errorf("migration %q is defined twice", list[i].Name)
		}
	}
	return &Migrator{svc: s, store: store, list: list}, nil
}

// Migrations returns the known migrations in order.
func (m *Migrator) Migrations() []Migration { return slices.Clone(m.list) }

// Applied lists the applied migrations in the order they were applied.
func (m *Migrator) Applied(ctx context.Context) ([]AppliedMigration, error) {
	return m.store.Applied(ctx)
}

// Pending returns the known migrations not applied yet, in order.
func (m *Migrator) Pending(ctx context.Context) ([]Migration, error) {
	applied, err := m.store.Applied(ctx)
	if err != nil {
		return nil, err
	}
	done := map[string]bool{}
	for _, a := range applied {
		done[a.Name] = true
	}
	var out []Migration
	for _, mg := range m.list {
		if !done[mg.Name] {
			out = append(out, mg)
		}
	}
	return out, nil
}

// Up applies the pending migrations in order, each in its own
// transaction with the row that records it, and returns the names it
// applied. It stops at the first that fails, which leaves nothing behind;
// the ones before it stay applied.
func (m *Migrator) Up(ctx context.Context) ([]string, error) {
	pending, err := m.Pending(ctx)
	if err != nil {
		return nil, err
	}
	var done []string
	for _, mg := range pending {
		ran, err := m.run(ctx, mg, true)
		if err != nil {
			return done, err
		}
		if ran {
			done = append(done, mg.Name)
		}
	}
	return done, nil
}

// Down reverts the last n applied migrations (the most recently applied
// first) with their Down functions and returns their names; one without
// a Down is only forgotten, as in PocketBase. An applied migration that
// is not known (its file is gone) stops it.
func (m *Migrator) Down(ctx context.Context, n int) ([]string, error) {
	applied, err := m.store.Applied(ctx)
	if err != nil {
		return nil, err
	}
	var done []string
	for i := len(applied) - 1; i >= 0 && len(done) < n; i-- {
		name := applied[i].Name
		idx := slices.IndexFunc(m.list, func(mg Migration) bool { return mg.Name == name })
		if idx < 0 {
			return done, fmt.Errorf("migration %s: applied, but its file or registration is missing: cannot revert it", name)
		}
		ran, err := m.run(ctx, m.list[idx], false)
		if err != nil {
			return done, err
		}
		if ran {
			done = append(done, name)
		}
	}
	return done, nil
}

// MarkApplied records name as applied without running anything.
func (m *Migrator) MarkApplied(ctx context.Context, name string) error {
	return m.store.MarkApplied(ctx, name)
}

// run applies (up) or reverts mg in one batch; false when another
// node did it first.
func (m *Migrator) run(ctx context.Context, mg Migration, up bool) (bool, error) {
	ctx = context.WithValue(ctx, migrating{}, true)
	ran := false
	err := m.svc.InSchemaBatch(ctx, SaveOptions{Actor: "migration " + mg.Name}, func(sb *SchemaBatch) error {
		sb.store = m.store
		var err error
		// The row first: it waits for a node applying the same migration,
		// and a second node then finds it recorded and does nothing.
		if up {
			ran, err = m.store.Mark(ctx, sb.Tx(), mg.Name)
		} else {
			ran, err = m.store.Unmark(ctx, sb.Tx(), mg.Name)
		}
		if err != nil || !ran {
			return err
		}
		fn := mg.Up
		if !up {
			fn = mg.Down
		}
		if fn == nil {
			return nil
		}
		return fn(ctx, sb)
	})
	if err != nil {
		what := "failed"
		if !up {
			what = "failed to revert"
		}
		return false, &MigrationError{Name: mg.Name, What: what, Err: err}
	}
	return ran, nil
}

// MigrationError is a migration that failed: its name and why (for a JS
// migration, its file and line).
type MigrationError struct {
	Name string
	What string // "failed" or "failed to revert"
	Err  error
}

// Error says which migration failed and why.
func (e *MigrationError) Error() string {
	// For the operator (the command's output, the server's log): the
	// whole reason, a database's included.
	msg := e.Err.Error()
	if de, ok := e.Err.(*Error); ok {
		msg = FieldErrorsText(de)
	}
	return fmt.Sprintf("migration %s %s: %s", e.Name, e.What, msg)
}

// FieldErrorsText is a domain error's message followed by its field
// errors, in field order, for a log or a terminal.
func FieldErrorsText(de *Error) string {
	msg := de.Message
	if len(de.Data) > 0 {
		keys := make([]string, 0, len(de.Data))
		for k := range de.Data {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			msg += fmt.Sprintf(" %s: %s", k, de.Data[k].Message)
		}
	}
	return msg
}

// Unwrap returns why it failed.
func (e *MigrationError) Unwrap() error { return e.Err }

// Exec runs a statement of the migration in the batch's transaction
// (PocketBase's app.db().newQuery(sql).execute()) and returns the rows it
// affected. The schema Lumbung keeps of the collections does not follow
// DDL run this way: change collections through Create, Update and Delete.
func (sb *SchemaBatch) Exec(sql string, args ...any) (int64, error) {
	if sb.store == nil {
		return 0, Errorf(EINVALID, "SQL can run only in a migration.")
	}
	return sb.store.Exec(sb.ctx, sb.tx, sql, args...)
}
