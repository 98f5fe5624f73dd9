package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/uptrace/bun"

	"github.com/lumbunghq/lumbung/collections"
)

// schemaTx is a schema change of several plans in one transaction: each
// plan is made on the transaction's connection, so it sees the tables,
// columns and views the plans applied before it created (a view reading a
// table of the same import, the impact of a unique index on a table just
// created). Nothing is visible to others until Commit; it holds the schema
// lock from Begin on.
type schemaTx struct {
	s     *SchemaStore
	conn  bun.Conn
	tx    bun.Tx
	done  bool
	wrote bool // records were written through Records
}

var _ collections.SchemaTx = (*schemaTx)(nil)

// Begin implements collections.SchemaStore.
func (s *SchemaStore) Begin(ctx context.Context) (collections.SchemaTx, error) {
	return s.begin(ctx)
}

func (s *SchemaStore) begin(ctx context.Context) (*schemaTx, error) {
	conn, err := s.db.Bun.Conn(ctx)
	if err != nil {
		return nil, translate(err, nil)
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		conn.Close()
		return nil, translate(err, nil)
	}
	t := &schemaTx{s: s, conn: conn, tx: tx}
	// One schema change at a time across all nodes.
	if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(?)", schemaLockKey); err != nil {
		t.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // the lock failed: nothing to keep
		return nil, translate(err, nil)
	}
	// Views created in this transaction may use SQLite's functions.
	if _, err := tx.ExecContext(ctx, sqliteSearchPath); err != nil {
		t.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // nothing done yet
		return nil, translate(err, nil)
	}
	return t, nil
}

// withConn runs fn on the transaction's connection, as pgx sees it.
func (t *schemaTx) withConn(fn func(conn *pgx.Conn) error) error {
	if t.done {
		return errors.New("schema transaction already ended")
	}
	return t.conn.Raw(func(dc any) error {
		return fn(dc.(*stdlib.Conn).Conn())
	})
}

// Plan implements collections.SchemaTx.
func (t *schemaTx) Plan(ctx context.Context, ch collections.Change) (*collections.Plan, error) {
	var plan *collections.Plan
	err := t.withConn(func(conn *pgx.Conn) error {
		var err error
		plan, err = t.s.plan(ctx, conn, ch)
		return err
	})
	return plan, err
}

// Apply implements collections.SchemaTx: each plan's steps, its definition,
// a schema-history row and what OnApply adds, in order.
func (t *schemaTx) Apply(ctx context.Context, plans ...*collections.Plan) error {
	if t.done {
		return errors.New("schema transaction already ended")
	}
	if err := checkBlocked(plans); err != nil {
		return err
	}
	for _, plan := range plans {
		if err := t.s.checkCurrent(ctx, t.tx, plan); err != nil {
			return err
		}
		for _, st := range plan.Steps {
			if _, err := t.tx.Tx.ExecContext(ctx, st.SQL); err != nil {
				return stepError(st, err)
			}
		}
		if err := t.s.saveDefinition(ctx, t.tx, plan); err != nil {
			return err
		}
		if t.s.onApply != nil {
			if err := t.s.onApply(ctx, t.tx, plan); err != nil {
				return err
			}
		}
	}
	return nil
}

// Records implements collections.SchemaTx: a record store whose
// statements run on the transaction's connection, so they join it. The
// connection is this transaction's alone from Begin to Commit or Rollback,
// and is used from one goroutine at a time, so its pgx side may be used
// between Bun's statements; it is not used after the transaction ends.
func (t *schemaTx) Records() collections.RecordStore {
	var conn *pgx.Conn
	t.withConn(func(c *pgx.Conn) error { conn = c; return nil }) //nolint:errcheck // only fails once ended
	return &RecordStore{db: t.s.db, q: conn, conds: newConditionCache(), cols: &columnCache{lists: map[*collections.Collection]string{}},
		inTx: true, wrote: &t.wrote, origin: &txOrigin{}}
}

// Commit implements collections.SchemaTx.
func (t *schemaTx) Commit(ctx context.Context) error {
	if t.done {
		return errors.New("schema transaction already ended")
	}
	t.done = true
	defer t.conn.Close()
	if err := t.tx.Commit(); err != nil {
		return translate(err, nil)
	}
	t.s.db.Announce() // a plan may have deleted or changed records
	return nil
}

// Rollback implements collections.SchemaTx; after Commit it does nothing.
func (t *schemaTx) Rollback(ctx context.Context) error {
	if t.done {
		return nil
	}
	t.done = true
	defer t.conn.Close()
	return t.tx.Rollback()
}
