package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/lumbunghq/lumbung/collections"
)

// EventsChannel is the NOTIFY channel that announces new events. The
// payload is empty: listeners read _events to find out what changed.
const EventsChannel = "lumbung_events"

// Events reads the change log written by the capture triggers.
//
// Sequence numbers are allocated when a row is written but become visible
// when the writing transaction commits, so they commit out of order: seq 7
// may be visible while seq 6 belongs to a transaction still running. A
// reader that moved its cursor past 7 would never see 6. After therefore
// stops at a horizon: before its first event a writing transaction takes a
// shared advisory lock keyed by the sequence's current value (every seq it
// allocates is greater), and the horizon is the smallest key still held,
// or the sequence's value when none is. Every event numbered at or below
// the horizon is visible to a later snapshot or will never exist (rolled
// back), so returning events in seq order up to it never skips one.
//
// A horizon from the transaction ids alone (xid < pg_snapshot_xmin) is not
// enough for a seq cursor: a transaction with an older xid can allocate a
// higher seq and commit while one with a newer xid and a lower seq is still
// running. The xid column is kept for diagnosis.
type Events struct{ db *DB }

// NewEvents returns the event log of db.
func NewEvents(db *DB) *Events { return &Events{db: db} }

// After returns up to limit events with seq > after in seq order, never one
// past a seq that a still-running transaction may yet commit.
func (s *Events) After(ctx context.Context, after int64, limit int) ([]collections.Event, error) {
	evs, _, err := s.Read(ctx, after, limit)
	return evs, err
}

// Read is After that also returns the horizon it read up to: when fewer
// than limit events come back, every event numbered at or below the
// horizon has been returned or will never exist.
func (s *Events) Read(ctx context.Context, after int64, limit int) ([]collections.Event, int64, error) {
	// Two statements on purpose: the events must be read with a snapshot
	// taken after the horizon was computed.
	var horizon int64
	if err := s.db.Pool.QueryRow(ctx, "SELECT _events_horizon()").Scan(&horizon); err != nil {
		return nil, 0, fmt.Errorf("events horizon: %w", err)
	}
	if horizon <= after {
		return nil, horizon, nil
	}
	rows, err := s.db.Pool.Query(ctx, `SELECT seq, collection_id, action, record_id, new, old, created
		FROM _events WHERE seq > $1 AND seq <= $2 ORDER BY seq LIMIT $3`, after, horizon, limit)
	if err != nil {
		return nil, 0, fmt.Errorf("events: %w", err)
	}
	defer rows.Close()
	var out []collections.Event
	for rows.Next() {
		var e collections.Event
		var nw, old []byte
		if err := rows.Scan(&e.Seq, &e.CollectionID, &e.Action, &e.RecordID, &nw, &old, &e.Created); err != nil {
			return nil, 0, fmt.Errorf("events: %w", err)
		}
		if nw != nil {
			e.New = nw
		}
		if old != nil {
			e.Old = old
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("events: %w", err)
	}
	return out, horizon, nil
}

// Last returns the seq a reader starting now should resume after: the
// horizon, so that no event committed later is numbered at or below it.
func (s *Events) Last(ctx context.Context) (int64, error) {
	var horizon int64
	if err := s.db.Pool.QueryRow(ctx, "SELECT _events_horizon()").Scan(&horizon); err != nil {
		return 0, fmt.Errorf("events horizon: %w", err)
	}
	return horizon, nil
}

// Prune deletes the events created more than olderThan ago and returns how
// many went. Events a durable consumer (a row of _event_consumers) has not
// handled yet are kept until they are older than hold; the consumers that
// lose events so are marked lagged.
func (s *Events) Prune(ctx context.Context, olderThan, hold time.Duration) (int64, error) {
	var n int64
	err := s.db.Pool.QueryRow(ctx, `WITH gone AS (
			DELETE FROM _events WHERE created < now() - $1::interval
			   AND (created < now() - $2::interval
			        OR seq <= coalesce((SELECT min(seq) FROM _event_consumers), 9223372036854775807))
			RETURNING seq),
		lagged AS (
			UPDATE _event_consumers SET lagged = now(), lagged_seq = (SELECT max(seq) FROM gone)
			 WHERE seq < (SELECT max(seq) FROM gone))
		SELECT count(*) FROM gone`, olderThan, max(hold, olderThan)).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("prune events: %w", err)
	}
	return n, nil
}
