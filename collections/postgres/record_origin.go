package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/lumbunghq/lumbung/collections"
)

// txOrigin is the origin a transaction has set for the capture trigger.
type txOrigin struct {
	set bool
	o   collections.Origin
}

// setOriginSQL sets what the capture trigger copies into _events, for the
// rest of the transaction (the implicit one of a lone statement too).
const setOriginSQL = "SELECT set_config('lumbung.actor', $1, true), set_config('lumbung.request_id', $2, true), set_config('lumbung.ip', $3, true)"

// write runs a write statement returning the rows of c it wrote. Unless
// its transaction has set the origin ctx carries already, the origin is
// set first, in the same round trip: the two statements go as one
// pipeline, which outside a transaction runs as one implicit transaction,
// so the settings reach the statement's trigger and end with it.
func (s *RecordStore) write(ctx context.Context, c *collections.Collection, sql string, args []any) ([]*collections.Record, error) {
	o := collections.OriginOf(ctx)
	if s.origin != nil && s.origin.set && s.origin.o == o {
		rows, err := s.q.Query(ctx, sql, args...)
		if err != nil {
			return nil, translate(err, c)
		}
		return collect(rows, c)
	}
	b := &pgx.Batch{}
	b.Queue(setOriginSQL, o.Actor, o.RequestID, o.IP)
	b.Queue(sql, args...)
	br := s.q.SendBatch(ctx, b)
	items, err := func() ([]*collections.Record, error) {
		if _, err := br.Exec(); err != nil {
			return nil, translate(err, c)
		}
		rows, err := br.Query()
		if err != nil {
			return nil, translate(err, c)
		}
		return collect(rows, c)
	}()
	if cerr := br.Close(); err == nil && cerr != nil {
		err = translate(cerr, c)
	}
	if err != nil {
		return nil, err
	}
	if s.origin != nil {
		s.origin.set, s.origin.o = true, o
	}
	return items, nil
}

// SQL implements collections.RecordStore: the statement goes after the
// origin (when its transaction has not set it), in one round trip, so
// what it writes is recorded as the caller's.
func (s *RecordStore) SQL(ctx context.Context, sql string, args []any) ([]map[string]any, error) {
	o := collections.OriginOf(ctx)
	b := &pgx.Batch{}
	setOrigin := s.origin == nil || !s.origin.set || s.origin.o != o
	if setOrigin {
		b.Queue(setOriginSQL, o.Actor, o.RequestID, o.IP)
	}
	b.Queue(sql, args...)
	br := s.q.SendBatch(ctx, b)
	out, err := func() ([]map[string]any, error) {
		if setOrigin {
			if _, err := br.Exec(); err != nil {
				return nil, err
			}
		}
		rows, err := br.Query()
		if err != nil {
			return nil, err
		}
		var out []map[string]any
		fields := rows.FieldDescriptions()
		for rows.Next() {
			values, err := rows.Values()
			if err != nil {
				return nil, err
			}
			row := make(map[string]any, len(fields))
			for i, f := range fields {
				row[f.Name] = sqlValue(values[i])
			}
			out = append(out, row)
		}
		rows.Close()
		if t := rows.CommandTag(); t.Insert() || t.Update() || t.Delete() {
			s.changed()
		}
		return out, rows.Err()
	}()
	if cerr := br.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		return nil, sqlError(err)
	}
	if setOrigin && s.origin != nil {
		s.origin.set, s.origin.o = true, o
	}
	return out, nil
}

// sqlError is the error of an app's statement: the database away is
// EUNAVAILABLE; anything else is its author's, to read in the log.
func sqlError(err error) error {
	if Unavailable(err) {
		return &collections.Error{Code: collections.EUNAVAILABLE, Message: "The database is unavailable right now; try again in a moment."}
	}
	return fmt.Errorf("SQL failed: %w", err)
}

// sqlValue is a value of a row as a script reads it: times as
// PocketBase writes them, numerics as numbers, bytes and UUIDs as text.
func sqlValue(v any) any {
	switch x := v.(type) {
	case time.Time:
		return x.UTC().Format("2006-01-02 15:04:05.000Z")
	case []byte:
		return string(x)
	case [16]byte:
		return fmt.Sprintf("%x-%x-%x-%x-%x", x[0:4], x[4:6], x[6:8], x[8:10], x[10:16])
	case pgtype.Numeric:
		if f, err := x.Float64Value(); err == nil && f.Valid {
			return f.Float64
		}
		return nil
	case int16:
		return int64(x)
	case int32:
		return int64(x)
	case float32:
		return float64(x)
	}
	return v
}
