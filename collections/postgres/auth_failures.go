package postgres

import (
	"context"
	"fmt"
	"time"
)

// AuthFailures records failed sign-ins in _auth_failures, where every node
// sees them: the password throttle of one node counts the failures made
// through all of them.
type AuthFailures struct{ db *DB }

// NewAuthFailures returns the failure log of db.
func NewAuthFailures(db *DB) *AuthFailures { return &AuthFailures{db: db} }

// Failures returns, for each of keys that has any, the times of its
// failures after since, oldest first.
func (s *AuthFailures) Failures(ctx context.Context, keys []string, since time.Time) (map[string][]time.Time, error) {
	rows, err := s.db.Pool.Query(ctx, "SELECT key, at FROM _auth_failures WHERE key = ANY($1) AND at > $2 ORDER BY at", keys, since)
	if err != nil {
		return nil, fmt.Errorf("auth failures: %w", err)
	}
	defer rows.Close()
	out := map[string][]time.Time{}
	for rows.Next() {
		var key string
		var at time.Time
		if err := rows.Scan(&key, &at); err != nil {
			return nil, fmt.Errorf("auth failures: %w", err)
		}
		out[key] = append(out[key], at)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("auth failures: %w", err)
	}
	return out, nil
}

// Fail records a failure of each of keys at the time at.
func (s *AuthFailures) Fail(ctx context.Context, keys []string, at time.Time) error {
	if _, err := s.db.Pool.Exec(ctx, "INSERT INTO _auth_failures (key, at) SELECT unnest($1::text[]), $2", keys, at); err != nil {
		return fmt.Errorf("record auth failure: %w", err)
	}
	return nil
}

// Forget deletes the failures of key.
func (s *AuthFailures) Forget(ctx context.Context, key string) error {
	if _, err := s.db.Pool.Exec(ctx, "DELETE FROM _auth_failures WHERE key = $1", key); err != nil {
		return fmt.Errorf("forget auth failures: %w", err)
	}
	return nil
}

// Prune deletes the failures at or before the time before and returns how
// many went.
func (s *AuthFailures) Prune(ctx context.Context, before time.Time) (int64, error) {
	tag, err := s.db.Pool.Exec(ctx, "DELETE FROM _auth_failures WHERE at <= $1", before)
	if err != nil {
		return 0, fmt.Errorf("prune auth failures: %w", err)
	}
	return tag.RowsAffected(), nil
}
