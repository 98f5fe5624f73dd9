package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

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
