package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// lazyTx is a record transaction on one connection that begins with its
// first statement. A write (a pipeline, see RecordStore.write) sends BEGIN
// in its own round trip: a transaction of one write — a create whose
// hooks read nothing — costs two round trips, not three, and one that
// runs no statement (a hook refused the write) costs none.
type lazyTx struct {
	conn  *pgxpool.Conn
	begun bool
}

// begin starts the transaction if no statement has.
func (t *lazyTx) begin(ctx context.Context) error {
	if t.begun {
		return nil
	}
	if _, err := t.conn.Exec(ctx, "BEGIN"); err != nil {
		return err
	}
	t.begun = true
	return nil
}

func (t *lazyTx) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	if err := t.begin(ctx); err != nil {
		return pgconn.CommandTag{}, err
	}
	return t.conn.Exec(ctx, sql, args...)
}

func (t *lazyTx) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	if err := t.begin(ctx); err != nil {
		return nil, err
	}
	return t.conn.Query(ctx, sql, args...)
}

func (t *lazyTx) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	if err := t.begin(ctx); err != nil {
		return errRow{err}
	}
	return t.conn.QueryRow(ctx, sql, args...)
}

// SendBatch sends b; the transaction's BEGIN, when no statement has
// begun it, goes first in the same round trip.
func (t *lazyTx) SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults {
	if t.begun {
		return t.conn.SendBatch(ctx, b)
	}
	b.QueuedQueries = append([]*pgx.QueuedQuery{{SQL: "BEGIN"}}, b.QueuedQueries...)
	t.begun = true
	br := t.conn.SendBatch(ctx, b)
	br.Exec() //nolint:errcheck // BEGIN's result: its failure fails the statements after it
	return br
}

// end commits the transaction when ok, else rolls it back, and releases
// the connection (the pool closes one left in a transaction).
func (t *lazyTx) end(ctx context.Context, ok bool) error {
	defer t.conn.Release()
	if !t.begun {
		return nil
	}
	if !ok {
		_, err := t.conn.Exec(context.WithoutCancel(ctx), "ROLLBACK")
		return err
	}
	tag, err := t.conn.Exec(ctx, "COMMIT")
	if err == nil && tag.String() == "ROLLBACK" { // a statement failed and the error was not returned
		err = pgx.ErrTxCommitRollback
	}
	return err
}

// errRow is a Row that fails with err.
type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }
