package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/lumbunghq/lumbung/collections"
)

// AuthSessions keeps the OTPs, MFA sessions and sign-in origins of auth
// records in _otps, _mfas and _authOrigins.
type AuthSessions struct{ db *DB }

var _ collections.AuthSessionStore = (*AuthSessions)(nil)

// NewAuthSessions returns the auth session store of db.
func NewAuthSessions(db *DB) *AuthSessions { return &AuthSessions{db: db} }

func notFound() error {
	return collections.Errorf(collections.ENOTFOUND, "The requested resource wasn't found.")
}

// storable reports whether PostgreSQL can take id as text: an id with a
// NUL or invalid UTF-8 (sent by a client) names nothing.
func storable(id string) bool { return utf8.ValidString(id) && !strings.ContainsRune(id, 0) }

// CreateOTP stores a new OTP.
func (s *AuthSessions) CreateOTP(ctx context.Context, o *collections.OTP) error {
	_, err := s.db.Pool.Exec(ctx, `INSERT INTO _otps (id, collection_id, record_id, code_hash, sent_to, key_sum, attempts, created)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, o.ID, o.CollectionID, o.RecordID, o.CodeHash, o.SentTo, o.KeySum, o.Attempts, o.Created)
	if err != nil {
		return fmt.Errorf("create otp: %w", err)
	}
	return nil
}

const otpColumns = "id, collection_id, record_id, code_hash, sent_to, key_sum, attempts, created"

func scanOTP(row pgx.Row) (*collections.OTP, error) {
	var o collections.OTP
	err := row.Scan(&o.ID, &o.CollectionID, &o.RecordID, &o.CodeHash, &o.SentTo, &o.KeySum, &o.Attempts, &o.Created)
	return &o, err
}

// RecentOTPs returns the OTPs of a record made after since, newest first.
func (s *AuthSessions) RecentOTPs(ctx context.Context, collectionID, recordID string, since time.Time) ([]*collections.OTP, error) {
	rows, err := s.db.Pool.Query(ctx, "SELECT "+otpColumns+` FROM _otps
WHERE collection_id = $1 AND record_id = $2 AND created > $3 ORDER BY created DESC, id`, collectionID, recordID, since)
	if err != nil {
		return nil, fmt.Errorf("recent otps: %w", err)
	}
	defer rows.Close()
	var out []*collections.OTP
	for rows.Next() {
		o, err := scanOTP(rows)
		if err != nil {
			return nil, fmt.Errorf("recent otps: %w", err)
		}
		out = append(out, o)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("recent otps: %w", err)
	}
	return out, nil
}

// OTP returns OTP id of the collection.
func (s *AuthSessions) OTP(ctx context.Context, collectionID, id string) (*collections.OTP, error) {
	if !storable(id) {
		return nil, notFound()
	}
	o, err := scanOTP(s.db.Pool.QueryRow(ctx, "SELECT "+otpColumns+" FROM _otps WHERE id = $1 AND collection_id = $2", id, collectionID))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound()
	}
	if err != nil {
		return nil, fmt.Errorf("find otp: %w", err)
	}
	return o, nil
}

// AttemptOTP counts one attempt at OTP id and returns the attempts counted
// before it.
func (s *AuthSessions) AttemptOTP(ctx context.Context, id string) (int, error) {
	if !storable(id) {
		return 0, notFound()
	}
	var n int
	err := s.db.Pool.QueryRow(ctx, "UPDATE _otps SET attempts = LEAST(attempts, 1000000) + 1 WHERE id = $1 RETURNING attempts - 1", id).Scan(&n)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, notFound()
	}
	if err != nil {
		return 0, fmt.Errorf("attempt otp: %w", err)
	}
	return n, nil
}

// UseOTP deletes OTP id and reports whether it was still there.
func (s *AuthSessions) UseOTP(ctx context.Context, id string) (bool, error) {
	if !storable(id) {
		return false, nil
	}
	tag, err := s.db.Pool.Exec(ctx, "DELETE FROM _otps WHERE id = $1", id)
	if err != nil {
		return false, fmt.Errorf("use otp: %w", err)
	}
	return tag.RowsAffected() == 1, nil
}

// CreateMFA stores a new MFA session.
func (s *AuthSessions) CreateMFA(ctx context.Context, m *collections.MFA) error {
	_, err := s.db.Pool.Exec(ctx, `INSERT INTO _mfas (id, collection_id, record_id, method, key_sum, created)
VALUES ($1, $2, $3, $4, $5, $6)`, m.ID, m.CollectionID, m.RecordID, m.Method, m.KeySum, m.Created)
	if err != nil {
		return fmt.Errorf("create mfa: %w", err)
	}
	return nil
}

// MFA returns MFA session id.
func (s *AuthSessions) MFA(ctx context.Context, id string) (*collections.MFA, error) {
	if !storable(id) {
		return nil, notFound()
	}
	var m collections.MFA
	err := s.db.Pool.QueryRow(ctx, "SELECT id, collection_id, record_id, method, key_sum, created FROM _mfas WHERE id = $1", id).
		Scan(&m.ID, &m.CollectionID, &m.RecordID, &m.Method, &m.KeySum, &m.Created)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound()
	}
	if err != nil {
		return nil, fmt.Errorf("find mfa: %w", err)
	}
	return &m, nil
}

// DeleteMFA deletes MFA session id and reports whether it was there.
func (s *AuthSessions) DeleteMFA(ctx context.Context, id string) (bool, error) {
	if !storable(id) {
		return false, nil
	}
	tag, err := s.db.Pool.Exec(ctx, "DELETE FROM _mfas WHERE id = $1", id)
	if err != nil {
		return false, fmt.Errorf("delete mfa: %w", err)
	}
	return tag.RowsAffected() == 1, nil
}

// AuthOrigins returns the origins of a record, most recently used first.
func (s *AuthSessions) AuthOrigins(ctx context.Context, collectionID, recordID string) ([]*collections.AuthOrigin, error) {
	rows, err := s.db.Pool.Query(ctx, `SELECT id, collection_id, record_id, fingerprint, key_sum, created, updated FROM "_authOrigins"
WHERE collection_id = $1 AND record_id = $2 ORDER BY updated DESC, id`, collectionID, recordID)
	if err != nil {
		return nil, fmt.Errorf("auth origins: %w", err)
	}
	defer rows.Close()
	var out []*collections.AuthOrigin
	for rows.Next() {
		var o collections.AuthOrigin
		if err := rows.Scan(&o.ID, &o.CollectionID, &o.RecordID, &o.Fingerprint, &o.KeySum, &o.Created, &o.Updated); err != nil {
			return nil, fmt.Errorf("auth origins: %w", err)
		}
		out = append(out, &o)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("auth origins: %w", err)
	}
	return out, nil
}

// SaveAuthOrigin inserts an origin, or updates the one with the same
// record and fingerprint (its key sum and updated time).
func (s *AuthSessions) SaveAuthOrigin(ctx context.Context, o *collections.AuthOrigin) error {
	_, err := s.db.Pool.Exec(ctx, `INSERT INTO "_authOrigins" (id, collection_id, record_id, fingerprint, key_sum, created, updated)
VALUES ($1, $2, $3, $4, $5, $6, $7)
ON CONFLICT (collection_id, record_id, fingerprint) DO UPDATE SET key_sum = excluded.key_sum, updated = excluded.updated`,
		o.ID, o.CollectionID, o.RecordID, o.Fingerprint, o.KeySum, o.Created, o.Updated)
	if err != nil {
		return fmt.Errorf("save auth origin: %w", err)
	}
	return nil
}

// DeleteAuthOrigins deletes the origins with the ids.
func (s *AuthSessions) DeleteAuthOrigins(ctx context.Context, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	if _, err := s.db.Pool.Exec(ctx, `DELETE FROM "_authOrigins" WHERE id = ANY($1)`, ids); err != nil {
		return fmt.Errorf("delete auth origins: %w", err)
	}
	return nil
}

// Forget deletes the OTPs, MFA sessions and origins of a deleted record,
// or of every record of a deleted collection when recordID is "".
func (s *AuthSessions) Forget(ctx context.Context, collectionID, recordID string) error {
	for _, table := range []string{"_otps", "_mfas", `"_authOrigins"`} {
		_, err := s.db.Pool.Exec(ctx, "DELETE FROM "+table+" WHERE collection_id = $1 AND ($2 = '' OR record_id = $2)", collectionID, recordID)
		if err != nil {
			return fmt.Errorf("forget auth sessions: %w", err)
		}
	}
	return nil
}

// Prune deletes the OTPs and MFA sessions made before the time before and
// returns how many went.
func (s *AuthSessions) Prune(ctx context.Context, before time.Time) (int64, error) {
	var n int64
	for _, q := range []string{"DELETE FROM _otps WHERE created < $1", "DELETE FROM _mfas WHERE created < $1"} {
		tag, err := s.db.Pool.Exec(ctx, q, before)
		if err != nil {
			return n, fmt.Errorf("prune auth sessions: %w", err)
		}
		n += tag.RowsAffected()
	}
	return n, nil
}
