// Package realtime delivers committed record changes to the subscribers of
// one node. The Tailer follows the change log in PostgreSQL; the hub that
// fans events out comes on top of it. Nothing here imports an HTTP package.
package realtime

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/lumbunghq/lumbung/collections"
)

// Event is a committed change of one record.
type Event = collections.Event

// Source is the change log a Tailer reads (postgres.Events).
type Source interface {
	// After returns up to limit events with seq > after in seq order,
	// never one past a seq that a running transaction may still commit.
	After(ctx context.Context, after int64, limit int) ([]Event, error)
	// Read is After that also returns the horizon it read up to: with
	// fewer than limit events, every event numbered at or below it was
	// returned or will never exist.
	Read(ctx context.Context, after int64, limit int) ([]Event, int64, error)
	// Last returns the seq to resume after when starting from now.
	Last(ctx context.Context) (int64, error)
}

// StartAtLast makes a Tailer start after the events committed so far.
const StartAtLast int64 = -1

// ApplicationName names the Tailer's LISTEN connection in pg_stat_activity.
const ApplicationName = "lumbung realtime"

// Config configures a Tailer.
type Config struct {
	// DSN is the database the Tailer opens its own LISTEN connection to.
	DSN string
	// Events is the change log to read.
	Events Source
	// Channel is the NOTIFY channel that announces new events
	// (postgres.EventsChannel).
	Channel string
	// Deliver receives every event once, in seq order, on the Tailer's
	// goroutine. It must not block for long: the hub queues and returns.
	Deliver func(Event)
	// Start is the seq to deliver events after, or StartAtLast.
	Start int64
	// Poll is how often the log is read without a notification; the
	// fallback when a NOTIFY was missed. Default 1s.
	Poll time.Duration
	// Batch is how many events one read returns at most. Default 500.
	Batch int
	// MaxBackoff caps the wait between reconnection attempts. Default
	// 250ms: a node back on the database reads what it missed within a
	// second.
	MaxBackoff time.Duration
	// Logger receives connection errors. Default slog.Default().
	Logger *slog.Logger
}

// Tailer follows the change log of one database: it LISTENs for
// Channel on a connection of its own, reads the log after
// each notification, after every (re)connection and every Poll, and hands
// each event to Deliver exactly once in seq order. Its cursor lives in
// memory; a lost connection costs nothing but a re-read.
type Tailer struct {
	cfg Config
	// seq is the log position: every event numbered at or below it has
	// been delivered or will never exist (a rolled back write).
	seq atomic.Int64
	// listening is the backend pid of the current LISTEN connection, 0
	// while disconnected.
	listening atomic.Uint32
}

// NewTailer returns a Tailer with defaults filled in. Run starts it.
func NewTailer(cfg Config) *Tailer {
	if cfg.Poll <= 0 {
		cfg.Poll = time.Second
	}
	if cfg.Batch <= 0 {
		cfg.Batch = 500
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = 250 * time.Millisecond
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Tailer{cfg: cfg}
}

// Seq returns the log position: every event numbered at or below it has
// been delivered or will never exist. It does not go back.
func (t *Tailer) Seq() int64 { return t.seq.Load() }

// ListenerPID returns the backend process id of the LISTEN connection, or
// 0 while the Tailer is not connected.
func (t *Tailer) ListenerPID() uint32 { return t.listening.Load() }

// Run follows the log until ctx is cancelled, then returns nil. It returns
// an error only when the starting position cannot be read.
func (t *Tailer) Run(ctx context.Context) error {
	start := t.cfg.Start
	if start == StartAtLast {
		var err error
		if start, err = t.cfg.Events.Last(ctx); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("realtime: start: %w", err)
		}
	}
	t.seq.Store(start)

	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		err := t.listen(ctx)
		if ctx.Err() != nil {
			break
		}
		if errors.Is(err, errConnected) {
			backoff = 100 * time.Millisecond
		}
		t.cfg.Logger.Warn("realtime: listen connection lost", "error", err, "retry", backoff)
		// Keep reading while disconnected: polling is the fallback.
		t.drain(ctx)
		if !sleep(ctx, backoff) {
			break
		}
		backoff = min(2*backoff, t.cfg.MaxBackoff)
	}
	return nil
}

// errConnected marks a failure after the connection was established, so
// the next attempt starts with a short wait.
var errConnected = errors.New("connection was established")

// listen connects, LISTENs and reads the log until the connection fails.
func (t *Tailer) listen(ctx context.Context) error {
	cfg, err := pgx.ParseConfig(t.cfg.DSN)
	if err != nil {
		return err
	}
	if _, ok := cfg.RuntimeParams["application_name"]; !ok {
		cfg.RuntimeParams["application_name"] = ApplicationName
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return err
	}
	defer func() {
		t.listening.Store(0)
		conn.Close(context.WithoutCancel(ctx)) //nolint:errcheck // closing a dead or unneeded connection
	}()
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{t.cfg.Channel}.Sanitize()); err != nil {
		return err
	}
	t.listening.Store(conn.PgConn().PID())
	for {
		// Read after LISTEN: whatever committed while disconnected is
		// found here, whatever commits later also notifies.
		t.drain(ctx)
		wait, cancel := context.WithTimeout(ctx, t.cfg.Poll)
		_, err := conn.WaitForNotification(wait)
		cancel()
		if ctx.Err() != nil {
			return nil
		}
		if err != nil && !errors.Is(err, context.DeadlineExceeded) {
			return fmt.Errorf("%w: %w", errConnected, err)
		}
	}
}

// drain delivers every event readable now. A read error is logged and
// left for the next wake-up; the cursor only moves past delivered events.
func (t *Tailer) drain(ctx context.Context) {
	for ctx.Err() == nil {
		evs, horizon, err := t.cfg.Events.Read(ctx, t.seq.Load(), t.cfg.Batch)
		if err != nil {
			if ctx.Err() == nil {
				t.cfg.Logger.Warn("realtime: read events", "error", err)
			}
			return
		}
		for _, e := range evs {
			t.cfg.Deliver(e)
			t.seq.Store(e.Seq)
		}
		if len(evs) < t.cfg.Batch {
			// Everything up to the horizon is delivered: numbers taken by
			// rolled back writes are passed too.
			if horizon > t.seq.Load() {
				t.seq.Store(horizon)
			}
			return
		}
	}
}

func sleep(ctx context.Context, d time.Duration) bool {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-timer.C:
		return true
	}
}
