package postgres

import (
	"context"
	"fmt"
	"time"
)

// RateLimits counts requests per key in fixed windows in _rate_limits,
// where every node sees the counts: the rate limiter of one node counts
// the requests made through all of them.
type RateLimits struct{ db *DB }

// NewRateLimits returns the rate limit counters of db.
func NewRateLimits(db *DB) *RateLimits { return &RateLimits{db: db} }

// hitSQL counts one request in one round trip: a key whose window ended
// (or that has none) starts a new one of the given length at now.
const hitSQL = `INSERT INTO _rate_limits AS r (key, ends, hits) VALUES ($1, $2, 1)
ON CONFLICT (key) DO UPDATE SET
	ends = CASE WHEN r.ends <= $3 THEN excluded.ends ELSE r.ends END,
	hits = CASE WHEN r.ends <= $3 THEN 1 ELSE LEAST(r.hits, 2147483646) + 1 END
RETURNING ends, hits`

// Hit counts one request against key and returns the end of key's
// current window and the requests counted in it, this one included. When
// key has no window that ends after now, a new one of length window
// starts at now.
func (s *RateLimits) Hit(ctx context.Context, key string, window time.Duration, now time.Time) (time.Time, int, error) {
	var end time.Time
	var hits int
	if err := s.db.Pool.QueryRow(ctx, hitSQL, key, now.Add(window), now).Scan(&end, &hits); err != nil {
		return time.Time{}, 0, fmt.Errorf("rate limit: %w", err)
	}
	return end, hits, nil
}

// Prune deletes the counters whose window ended at or before the time
// before and returns how many went.
func (s *RateLimits) Prune(ctx context.Context, before time.Time) (int64, error) {
	tag, err := s.db.Pool.Exec(ctx, "DELETE FROM _rate_limits WHERE ends <= $1", before)
	if err != nil {
		return 0, fmt.Errorf("prune rate limits: %w", err)
	}
	return tag.RowsAffected(), nil
}
