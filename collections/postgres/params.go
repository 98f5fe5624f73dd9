package postgres

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/lumbunghq/lumbung/collections"
)

// ParamStore keeps application settings and secrets in _params.
type ParamStore struct {
	db *DB
}

// NewParamStore returns a ParamStore on db.
func NewParamStore(db *DB) *ParamStore { return &ParamStore{db: db} }

type paramRow struct {
	bun.BaseModel `bun:"table:_params"`

	Key     string          `bun:"key,pk"`
	Value   json.RawMessage `bun:"value,type:jsonb,notnull"`
	Updated time.Time       `bun:"updated,notnull,default:now()"`
}

// Ensure returns the value stored under key, first storing def when the key
// is absent. Nodes racing to store it all read the winner's value.
func (s *ParamStore) Ensure(ctx context.Context, key string, def any, out any) error {
	b, err := json.Marshal(def)
	if err != nil {
		return err
	}
	row := paramRow{Key: key, Value: b, Updated: time.Now()}
	if _, err := s.db.Bun.NewInsert().Model(&row).On("CONFLICT (key) DO NOTHING").Exec(ctx); err != nil {
		return fmt.Errorf("param %s: %w", key, err)
	}
	if err := s.db.Bun.NewSelect().Model(&row).WherePK().Scan(ctx); err != nil {
		return fmt.Errorf("param %s: %w", key, err)
	}
	return json.Unmarshal(row.Value, out)
}

// Get reads the value stored under key into out. A missing key is ENOTFOUND.
func (s *ParamStore) Get(ctx context.Context, key string, out any) error {
	row := paramRow{Key: key}
	err := s.db.Bun.NewSelect().Model(&row).WherePK().Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return collections.Errorf(collections.ENOTFOUND, "No setting %q.", key)
	}
	if err != nil {
		return fmt.Errorf("param %s: %w", key, err)
	}
	return json.Unmarshal(row.Value, out)
}

// Set stores value under key, replacing what was there.
func (s *ParamStore) Set(ctx context.Context, key string, value any) error {
	b, err := json.Marshal(value)
	if err != nil {
		return err
	}
	row := paramRow{Key: key, Value: b, Updated: time.Now()}
	err = s.db.Bun.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		_, err := tx.NewInsert().Model(&row).
			On("CONFLICT (key) DO UPDATE").Set("value = EXCLUDED.value, updated = EXCLUDED.updated").Exec(ctx)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, "SELECT pg_notify(?, ?)", ParamsChannel, key)
		return err
	})
	if err != nil {
		return fmt.Errorf("param %s: %w", key, err)
	}
	return nil
}

// Delete removes key; an absent key is no error.
func (s *ParamStore) Delete(ctx context.Context, key string) error {
	if _, err := s.db.Bun.NewDelete().Model((*paramRow)(nil)).Where("key = ?", key).Exec(ctx); err != nil {
		return fmt.Errorf("param %s: %w", key, err)
	}
	return nil
}

// DeleteIf removes key if it holds value (compared as JSON) and reports
// whether it did: of callers racing to remove the same value, one gets
// true.
func (s *ParamStore) DeleteIf(ctx context.Context, key string, value any) (bool, error) {
	b, err := json.Marshal(value)
	if err != nil {
		return false, err
	}
	res, err := s.db.Bun.NewDelete().Model((*paramRow)(nil)).Where("key = ?", key).Where("value = ?::jsonb", string(b)).Exec(ctx)
	if err != nil {
		return false, fmt.Errorf("param %s: %w", key, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// ParamsChannel is the NOTIFY channel on which Set announces a changed
// key (the payload), when its transaction commits.
const ParamsChannel = "lumbung_params"
