// Package postgres keeps the runs of cron jobs in PostgreSQL, in the
// _cron_runs table of the system schema (collections/postgres migrates
// it), where every node sees them.
package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/lumbunghq/lumbung/server/cron"
)

// Runs records the runs of cron jobs in _cron_runs: the first node to
// claim a scheduled run runs it.
type Runs struct{ pool *pgxpool.Pool }

var _ cron.Runs = (*Runs)(nil)

// NewRuns returns the cron run log kept in pool's database.
func NewRuns(pool *pgxpool.Pool) *Runs { return &Runs{pool: pool} }

// Claim records that r starts on this node; it reports false when that
// run (job, scheduled minute, manual or not) was claimed already.
func (s *Runs) Claim(ctx context.Context, r cron.Run) (bool, error) {
	tag, err := s.pool.Exec(ctx, `INSERT INTO _cron_runs (job, scheduled, manual, node, started)
		VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`, r.Job, r.Scheduled, r.Manual, r.Node, r.Started)
	if err != nil {
		return false, fmt.Errorf("claim cron run: %w", err)
	}
	return tag.RowsAffected() == 1, nil
}

// Finish records the end of the claimed run r: r.Finished and r.Error.
func (s *Runs) Finish(ctx context.Context, r cron.Run) error {
	var errText *string
	if r.Error != "" {
		errText = &r.Error
	}
	if _, err := s.pool.Exec(ctx, `UPDATE _cron_runs SET finished = $4, error = $5
		WHERE job = $1 AND scheduled = $2 AND manual = $3`, r.Job, r.Scheduled, r.Manual, r.Finished, errText); err != nil {
		return fmt.Errorf("finish cron run: %w", err)
	}
	return nil
}

// Last returns the latest started run of each job that has one.
func (s *Runs) Last(ctx context.Context) (map[string]cron.Run, error) {
	rows, err := s.pool.Query(ctx, `SELECT DISTINCT ON (job) job, scheduled, manual, node, started, finished, coalesce(error, '')
		FROM _cron_runs ORDER BY job, started DESC`)
	if err != nil {
		return nil, fmt.Errorf("cron runs: %w", err)
	}
	defer rows.Close()
	out := map[string]cron.Run{}
	for rows.Next() {
		var r cron.Run
		var finished *time.Time
		if err := rows.Scan(&r.Job, &r.Scheduled, &r.Manual, &r.Node, &r.Started, &finished, &r.Error); err != nil {
			return nil, fmt.Errorf("cron runs: %w", err)
		}
		if finished != nil {
			r.Finished = *finished
		}
		out[r.Job] = r
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("cron runs: %w", err)
	}
	return out, nil
}

// Prune deletes the runs started before the time before, except the
// latest of each job, and returns how many went.
func (s *Runs) Prune(ctx context.Context, before time.Time) (int64, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM _cron_runs r WHERE r.started < $1
		AND EXISTS (SELECT 1 FROM _cron_runs n WHERE n.job = r.job AND n.started > r.started)`, before)
	if err != nil {
		return 0, fmt.Errorf("prune cron runs: %w", err)
	}
	return tag.RowsAffected(), nil
}
