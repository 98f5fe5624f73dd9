package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/uptrace/bun"
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
