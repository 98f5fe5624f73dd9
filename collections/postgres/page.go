package postgres

import (
	"context"
	"fmt"
	"slices"
	"strconv"

	"github.com/jackc/pgx/v5"
)

// listPage reads one page of the rows of from (a table with its alias)
// that where selects, in order, and how many it selects in all: the
// shape of the system's own lists (request logs, audit). what names them
// in errors.
func listPage[T any](ctx context.Context, db *DB, what, from, columns, where, order string, wargs, sargs []any, limit, offset int,
	scan func(pgx.CollectableRow) (T, error)) ([]T, int, error) {
	var total int
	if err := db.Pool.QueryRow(ctx, "SELECT count(*) FROM "+from+" WHERE "+where, wargs...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count %s: %w", what, err)
	}
	if limit <= 0 || offset >= total {
		return []T{}, total, nil
	}
	args := slices.Concat(wargs, sargs, []any{limit, offset})
	rows, err := db.Pool.Query(ctx, "SELECT "+columns+" FROM "+from+" WHERE "+where+" ORDER BY "+order+
		" LIMIT $"+strconv.Itoa(len(args)-1)+" OFFSET $"+strconv.Itoa(len(args)), args...)
	if err != nil {
		return nil, 0, fmt.Errorf("list %s: %w", what, err)
	}
	out, err := pgx.CollectRows(rows, scan)
	if err != nil {
		return nil, 0, fmt.Errorf("list %s: %w", what, err)
	}
	return out, total, nil
}
