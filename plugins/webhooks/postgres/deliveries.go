package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/lumbunghq/lumbung/collections"
)

// errLeaseLost rolls back a transaction made without the webhook's lease.
var errLeaseLost = errors.New("webhooks: the lease was lost")

// Due returns the ids of the enabled webhooks behind the change log's
// horizon whose next attempt is due and whose lease is free or node's:
// a webhook that has caught up costs an idle node nothing more.
func (s *Store) Due(ctx context.Context, node string) ([]string, error) {
	rows, err := s.pool.Query(ctx, `SELECT w.id FROM _webhooks w
		JOIN _event_consumers c ON c.id = 'webhook:' || w.id, (SELECT _events_horizon() AS seq) h
		WHERE w.enabled AND c.seq < h.seq
		  AND (w.retry_at IS NULL OR w.retry_at <= now())
		  AND (w.lease_until IS NULL OR w.lease_until < now() OR w.lease_node = $1) ORDER BY w.id`, node)
	if err != nil {
		return nil, fmt.Errorf("due webhooks: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("due webhooks: %w", err)
	}
	return ids, nil
}

// Claim takes the lease of the webhook id for node until lease from now,
// when it is enabled, due and its lease free or node's already. It
// returns the webhook, or nil when another node holds it or it is not
// due.
func (s *Store) Claim(ctx context.Context, id, node string, lease time.Duration) (*Webhook, error) {
	tag, err := s.pool.Exec(ctx, `UPDATE _webhooks SET lease_node = $2, lease_until = now() + $3::interval
		WHERE id = $1 AND enabled AND (retry_at IS NULL OR retry_at <= now())
		  AND (lease_until IS NULL OR lease_until < now() OR lease_node = $2)`, id, node, lease)
	if err != nil {
		return nil, fmt.Errorf("claim webhook: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return nil, nil
	}
	w, err := s.Get(ctx, id)
	if collections.ErrorCode(err) == collections.ENOTFOUND {
		return nil, nil
	}
	return w, err
}

// Renew extends node's lease of the webhook id; false when node no
// longer holds it.
func (s *Store) Renew(ctx context.Context, id, node string, lease time.Duration) (bool, error) {
	tag, err := s.pool.Exec(ctx, `UPDATE _webhooks SET lease_until = now() + $3::interval
		WHERE id = $1 AND enabled AND lease_node = $2 AND lease_until >= now()`, id, node, lease)
	if err != nil {
		return false, fmt.Errorf("renew webhook lease: %w", err)
	}
	return tag.RowsAffected() == 1, nil
}

// Release gives node's lease of the webhook id up.
func (s *Store) Release(ctx context.Context, id, node string) error {
	if _, err := s.pool.Exec(ctx, `UPDATE _webhooks SET lease_node = NULL, lease_until = NULL
		WHERE id = $1 AND lease_node = $2`, id, node); err != nil {
		return fmt.Errorf("release webhook lease: %w", err)
	}
	return nil
}

// Events returns up to limit events after seq after, in seq order, of the
// collection (every collection when "") and of the actions, never one
// past the change log's horizon, and the horizon: when fewer than limit
// come back, every event of theirs up to the horizon was returned.
func (s *Store) Events(ctx context.Context, after int64, collection string, actions []string, limit int) ([]collections.Event, int64, error) {
	// Two statements on purpose: the events are read with a snapshot
	// taken after the horizon was computed (see collections/postgres.Events).
	var horizon int64
	if err := s.pool.QueryRow(ctx, "SELECT _events_horizon()").Scan(&horizon); err != nil {
		return nil, 0, fmt.Errorf("events horizon: %w", err)
	}
	if horizon <= after {
		return nil, horizon, nil
	}
	rows, err := s.pool.Query(ctx, `SELECT seq, collection_id, action, record_id, new, old, created FROM _events
		WHERE seq > $1 AND seq <= $2 AND ($3 = '' OR collection_id = $3) AND action = ANY($4)
		ORDER BY seq LIMIT $5`, after, horizon, collection, actions, limit)
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
		e.New, e.Old = nw, old
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("events: %w", err)
	}
	return out, horizon, nil
}

// Horizon returns the change log's horizon.
func (s *Store) Horizon(ctx context.Context) (int64, error) {
	var horizon int64
	if err := s.pool.QueryRow(ctx, "SELECT _events_horizon()").Scan(&horizon); err != nil {
		return 0, fmt.Errorf("events horizon: %w", err)
	}
	return horizon, nil
}

// Advance moves the webhook id to seq, when node holds its lease; false
// when it does not.
func (s *Store) Advance(ctx context.Context, id, node string, seq int64) (bool, error) {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error { return advance(ctx, tx, id, node, seq) })
	if errors.Is(err, errLeaseLost) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("advance webhook: %w", err)
	}
	return true, nil
}

// advance moves the webhook id's position forward to seq, within node's
// lease.
func advance(ctx context.Context, tx pgx.Tx, id, node string, seq int64) error {
	var held bool
	if err := tx.QueryRow(ctx, `SELECT enabled AND lease_node = $2 AND lease_until >= now() FROM _webhooks
		WHERE id = $1 FOR UPDATE`, id, node).Scan(&held); err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return errLeaseLost
		}
		return err
	}
	if !held {
		return errLeaseLost
	}
	_, err := tx.Exec(ctx, "UPDATE _event_consumers SET seq = $2 WHERE id = $1 AND seq < $2", consumer(id), seq)
	return err
}

// succeededSQL records successful deliveries of one webhook in one
// statement (one round trip, its own transaction): with the webhook's row
// locked while node holds its lease, it moves the position to the last
// event delivered, clears the failures, renews the lease and logs the
// deliveries; nothing when the lease is not node's. Its commit does not
// wait for the disk: a crash may forget the last few positions, and those
// events go again (deliveries are at least once after a crash).
const succeededSQL = `
WITH held AS (
	SELECT id FROM _webhooks WHERE id = $1 AND enabled AND lease_node = $2 AND lease_until >= now() FOR UPDATE
), moved AS (
	UPDATE _event_consumers SET seq = $3 WHERE id = $4 AND seq < $3 AND EXISTS (SELECT 1 FROM held)
), renewed AS (
	UPDATE _webhooks SET failures = 0, attempt = 0, retry_at = NULL, last_error = '', lease_until = now() + $5::interval
	WHERE id IN (SELECT id FROM held)
), logged AS (
	INSERT INTO _webhook_deliveries (webhook, event, action, collection, record, attempt, status, ok, latency_ms, error, node)
	SELECT $1, d.event, d.action, d.collection, d.record, d.attempt, d.status, true, d.latency_ms, '', $2
	FROM unnest($6::bigint[], $7::text[], $8::text[], $9::text[], $10::integer[], $11::integer[], $12::double precision[])
		WITH ORDINALITY AS d(event, action, collection, record, attempt, status, latency_ms, n)
	WHERE EXISTS (SELECT 1 FROM held)
	ORDER BY d.n
	RETURNING id
)
SELECT count(*), set_config('synchronous_commit', 'off', true) FROM logged`

// Succeeded records the successful deliveries ds of one webhook's events
// (in event order), moves the webhook to the last one and clears its
// failures, in one transaction, when node holds its lease (renewed for
// lease); false when it does not.
func (s *Store) Succeeded(ctx context.Context, node string, ds []*Delivery, lease time.Duration) (bool, error) {
	if len(ds) == 0 {
		return true, nil
	}
	n := len(ds)
	events, attempts, statuses := make([]int64, n), make([]int32, n), make([]int32, n)
	actions, cols, recs := make([]string, n), make([]string, n), make([]string, n)
	latencies := make([]float64, n)
	for i, d := range ds {
		events[i], actions[i], cols[i], recs[i] = d.Event, d.Action, d.Collection, d.Record
		attempts[i], statuses[i] = int32(d.Attempt), int32(d.Status)
		latencies[i] = float64(d.Latency) / float64(time.Millisecond)
	}
	id := ds[0].Webhook
	var logged int
	var discard string
	err := s.pool.QueryRow(ctx, succeededSQL, id, node, events[n-1], consumer(id), lease,
		events, actions, cols, recs, attempts, statuses, latencies).Scan(&logged, &discard)
	if err != nil {
		return false, fmt.Errorf("record deliveries: %w", err)
	}
	return logged == n, nil
}

// Failed records the failed delivery d, moves the webhook to seq (the
// events before d's, which it skipped) and schedules the next attempt
// after wait (by the database's clock, which every node shares), in one
// transaction, when node holds its lease; with a disable
// reason the webhook is disabled instead, which gives up its position.
// False when node does not hold the lease.
func (s *Store) Failed(ctx context.Context, node string, d *Delivery, seq int64, wait time.Duration, disable string) (bool, error) {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if err := advance(ctx, tx, d.Webhook, node, seq); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE _webhooks SET failures = failures + 1, attempt = attempt + 1,
			retry_at = now() + $2::interval, last_error = $3, lease_node = NULL, lease_until = NULL
			WHERE id = $1`, d.Webhook, wait, d.Error); err != nil {
			return err
		}
		if disable != "" {
			if _, err := tx.Exec(ctx, `UPDATE _webhooks SET enabled = false, disabled_reason = $2, updated = now()
				WHERE id = $1`, d.Webhook, disable); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, "DELETE FROM _event_consumers WHERE id = $1", consumer(d.Webhook)); err != nil {
				return err
			}
		}
		return insertDelivery(ctx, tx, d)
	})
	if errors.Is(err, errLeaseLost) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("record delivery: %w", err)
	}
	return true, nil
}

// LogTest records a test delivery, which moves nothing.
func (s *Store) LogTest(ctx context.Context, d *Delivery) error {
	if err := insertDelivery(ctx, s.pool, d); err != nil {
		return fmt.Errorf("record test delivery: %w", err)
	}
	return nil
}

func insertDelivery(ctx context.Context, db interface {
	QueryRow(context.Context, string, ...any) pgx.Row
}, d *Delivery) error {
	return db.QueryRow(ctx, `INSERT INTO _webhook_deliveries (webhook, event, action, collection, record, attempt, status,
		ok, latency_ms, error, node) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id, created`,
		d.Webhook, d.Event, d.Action, d.Collection, d.Record, d.Attempt, d.Status, d.OK,
		float64(d.Latency)/float64(time.Millisecond), d.Error, d.Node).Scan(&d.ID, &d.Created)
}

// Deliveries returns the deliveries of the webhook id, newest first, and
// how many there are.
func (s *Store) Deliveries(ctx context.Context, id string, limit, offset int) ([]*Delivery, int, error) {
	var total int
	if err := s.pool.QueryRow(ctx, "SELECT count(*) FROM _webhook_deliveries WHERE webhook = $1", id).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("deliveries: %w", err)
	}
	rows, err := s.pool.Query(ctx, `SELECT id, webhook, event, action, collection, record, attempt, status, ok,
		latency_ms, error, node, created FROM _webhook_deliveries WHERE webhook = $1 ORDER BY id DESC LIMIT $2 OFFSET $3`,
		id, limit, offset)
	if err != nil {
		return nil, 0, fmt.Errorf("deliveries: %w", err)
	}
	defer rows.Close()
	var out []*Delivery
	for rows.Next() {
		var d Delivery
		var ms float64
		if err := rows.Scan(&d.ID, &d.Webhook, &d.Event, &d.Action, &d.Collection, &d.Record, &d.Attempt, &d.Status,
			&d.OK, &ms, &d.Error, &d.Node, &d.Created); err != nil {
			return nil, 0, fmt.Errorf("deliveries: %w", err)
		}
		d.Latency = time.Duration(ms * float64(time.Millisecond))
		out = append(out, &d)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("deliveries: %w", err)
	}
	return out, total, nil
}

// PruneDeliveries deletes the deliveries made before before and returns
// how many went.
func (s *Store) PruneDeliveries(ctx context.Context, before time.Time) (int64, error) {
	tag, err := s.pool.Exec(ctx, "DELETE FROM _webhook_deliveries WHERE created < $1", before)
	if err != nil {
		return 0, fmt.Errorf("prune webhook deliveries: %w", err)
	}
	return tag.RowsAffected(), nil
}

// Backlog returns, per enabled webhook, how many seqs its position is
// behind the change log's horizon.
func (s *Store) Backlog(ctx context.Context) (map[string]int64, error) {
	rows, err := s.pool.Query(ctx, `SELECT w.id, greatest(h.seq - c.seq, 0) FROM _webhooks w
		JOIN _event_consumers c ON c.id = 'webhook:' || w.id, (SELECT _events_horizon() AS seq) h WHERE w.enabled`)
	if err != nil {
		return nil, fmt.Errorf("webhook backlog: %w", err)
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var id string
		var n int64
		if err := rows.Scan(&id, &n); err != nil {
			return nil, fmt.Errorf("webhook backlog: %w", err)
		}
		out[id] = n
	}
	return out, rows.Err()
}
