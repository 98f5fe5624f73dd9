package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/lumbunghq/lumbung/collections"
)

// LockAll implements collections.RecordStore. The rows are locked in id
// order, so two transactions locking the same collection do not deadlock
// each other.
func (s *RecordStore) LockAll(ctx context.Context, c *collections.Collection) ([]string, error) {
	rows, err := s.q.Query(ctx, "SELECT r.id FROM "+ident(c.Name)+" AS r ORDER BY r.id FOR UPDATE OF r")
	if err != nil {
		return nil, translate(err, c)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	return ids, translate(err, c)
}
