// Package postgres keeps the webhooks plugin's state in PostgreSQL: the
// webhooks (_webhooks), their positions in the change log
// (_event_consumers, a system table the prune respects), their leases and
// retry state, and the delivery log (_webhook_deliveries). It reads the
// change log, _events, as collections/postgres documents it.
package postgres

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/lumbunghq/lumbung/collections"
)

//go:embed schema.sql
var schemaSQL string

// provisionLock serializes the creation of the tables between nodes
// starting at once.
const provisionLock = 7_346_183_301

// Webhook is one webhook as stored.
type Webhook struct {
	ID         string
	Name       string
	Collection string // a collection id; "" for every collection
	Events     []string
	URL        string
	Secret     string
	Filter     string
	Enabled    bool
	// DisabledReason says why the webhook was disabled by the deliverer
	// ("" when enabled or disabled by hand).
	DisabledReason string
	// Failures counts the failed attempts since the last success.
	Failures int
	// Attempt counts the attempts made on the next event to deliver.
	Attempt   int
	RetryAt   *time.Time // no attempt before
	LastError string
	// Cursor is the last seq of the change log handled (nil while
	// disabled); Lagged is when the prune removed events it had not
	// handled, LaggedSeq up to which seq.
	Cursor    *int64
	Lagged    *time.Time
	LaggedSeq *int64
	Created   time.Time
	Updated   time.Time
}

// Delivery is one attempt to deliver an event to a webhook.
type Delivery struct {
	ID         int64
	Webhook    string
	Event      int64 // the seq of the event; 0 for a test
	Action     string
	Collection string
	Record     string
	Attempt    int
	Status     int // the HTTP status; 0 when there was no answer
	OK         bool
	Latency    time.Duration
	Error      string
	Node       string
	Created    time.Time
}

// Store keeps webhooks in a PostgreSQL database.
type Store struct{ pool *pgxpool.Pool }

// NewStore returns the webhooks kept in pool's database.
func NewStore(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }

// Provision creates the plugin's tables where they are missing.
func (s *Store) Provision(ctx context.Context) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", provisionLock); err != nil {
			return fmt.Errorf("webhooks: provision: %w", err)
		}
		if _, err := tx.Exec(ctx, schemaSQL); err != nil {
			return fmt.Errorf("webhooks: provision: %w", err)
		}
		return nil
	})
}

// consumer is the id of a webhook's row in _event_consumers.
func consumer(id string) string { return "webhook:" + id }

const webhookColumns = `w.id, w.name, w.collection, w.events, w.url, w.secret, w.filter, w.enabled,
	w.disabled_reason, w.failures, w.attempt, w.retry_at, w.last_error, c.seq, c.lagged, c.lagged_seq, w.created, w.updated`

const webhookFrom = ` FROM _webhooks w LEFT JOIN _event_consumers c ON c.id = 'webhook:' || w.id`

func scanWebhook(row pgx.Row) (*Webhook, error) {
	var w Webhook
	err := row.Scan(&w.ID, &w.Name, &w.Collection, &w.Events, &w.URL, &w.Secret, &w.Filter, &w.Enabled,
		&w.DisabledReason, &w.Failures, &w.Attempt, &w.RetryAt, &w.LastError, &w.Cursor, &w.Lagged, &w.LaggedSeq, &w.Created, &w.Updated)
	if err != nil {
		return nil, err
	}
	return &w, nil
}

// List returns every webhook in creation order.
func (s *Store) List(ctx context.Context) ([]*Webhook, error) {
	rows, err := s.pool.Query(ctx, "SELECT "+webhookColumns+webhookFrom+" ORDER BY w.created, w.id")
	if err != nil {
		return nil, fmt.Errorf("webhooks: %w", err)
	}
	defer rows.Close()
	var out []*Webhook
	for rows.Next() {
		w, err := scanWebhook(rows)
		if err != nil {
			return nil, fmt.Errorf("webhooks: %w", err)
		}
		out = append(out, w)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("webhooks: %w", err)
	}
	return out, nil
}

// Get returns the webhook id (ENOTFOUND when there is none).
func (s *Store) Get(ctx context.Context, id string) (*Webhook, error) {
	return get(ctx, s.pool, id)
}

func get(ctx context.Context, db interface {
	QueryRow(context.Context, string, ...any) pgx.Row
}, id string) (*Webhook, error) {
	w, err := scanWebhook(db.QueryRow(ctx, "SELECT "+webhookColumns+webhookFrom+" WHERE w.id = $1", id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, collections.Errorf(collections.ENOTFOUND, "The webhook does not exist.")
	}
	if err != nil {
		return nil, fmt.Errorf("webhook: %w", err)
	}
	return w, nil
}

// Create stores w; an enabled webhook starts after the change log's
// horizon (the changes committed from now on).
func (s *Store) Create(ctx context.Context, w *Webhook) (*Webhook, error) {
	var out *Webhook
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO _webhooks (id, name, collection, events, url, secret, filter, enabled)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, w.ID, w.Name, w.Collection, w.Events, w.URL, w.Secret, w.Filter, w.Enabled)
		if err != nil {
			return err
		}
		if w.Enabled {
			if err := start(ctx, tx, w.ID); err != nil {
				return err
			}
		}
		out, err = get(ctx, tx, w.ID)
		return err
	})
	if err != nil {
		return nil, storeError("create webhook", err)
	}
	return out, nil
}

// start places the webhook id at the change log's horizon.
func start(ctx context.Context, tx pgx.Tx, id string) error {
	_, err := tx.Exec(ctx, `INSERT INTO _event_consumers (id, seq) VALUES ($1, _events_horizon())
		ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, lagged = NULL, lagged_seq = NULL`, consumer(id))
	return err
}

// Update stores the changed w. Enabling a webhook clears its failures
// and starts it after the horizon; disabling it drops its position.
func (s *Store) Update(ctx context.Context, w *Webhook) (*Webhook, error) {
	var out *Webhook
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var was bool
		if err := tx.QueryRow(ctx, "SELECT enabled FROM _webhooks WHERE id = $1 FOR UPDATE", w.ID).Scan(&was); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `UPDATE _webhooks SET name = $2, collection = $3, events = $4, url = $5, secret = $6,
			filter = $7, enabled = $8, updated = now() WHERE id = $1`,
			w.ID, w.Name, w.Collection, w.Events, w.URL, w.Secret, w.Filter, w.Enabled)
		if err != nil {
			return err
		}
		switch {
		case w.Enabled && !was:
			if _, err := tx.Exec(ctx, `UPDATE _webhooks SET disabled_reason = '', failures = 0, attempt = 0,
				retry_at = NULL WHERE id = $1`, w.ID); err != nil {
				return err
			}
			if err := start(ctx, tx, w.ID); err != nil {
				return err
			}
		case !w.Enabled && was:
			if _, err := tx.Exec(ctx, "DELETE FROM _event_consumers WHERE id = $1", consumer(w.ID)); err != nil {
				return err
			}
		}
		out, err = get(ctx, tx, w.ID)
		return err
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, collections.Errorf(collections.ENOTFOUND, "The webhook does not exist.")
	}
	if err != nil {
		return nil, storeError("update webhook", err)
	}
	return out, nil
}

// Delete removes the webhook id, its position and its delivery log.
func (s *Store) Delete(ctx context.Context, id string) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, "DELETE FROM _webhooks WHERE id = $1", id)
		if err != nil {
			return fmt.Errorf("delete webhook: %w", err)
		}
		if tag.RowsAffected() == 0 {
			return collections.Errorf(collections.ENOTFOUND, "The webhook does not exist.")
		}
		if _, err := tx.Exec(ctx, "DELETE FROM _event_consumers WHERE id = $1", consumer(id)); err != nil {
			return fmt.Errorf("delete webhook: %w", err)
		}
		return nil
	})
}

// storeError translates the driver's errors by SQLSTATE.
func storeError(what string, err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" {
		return collections.Errorf(collections.ECONFLICT, "A webhook with this id exists already.")
	}
	var domain *collections.Error
	if errors.As(err, &domain) {
		return err
	}
	return fmt.Errorf("%s: %w", what, err)
}
