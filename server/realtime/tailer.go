// Package realtime delivers committed record changes to the subscribers of
// one node. The Tailer follows the change log in PostgreSQL; the hub that
// fans events out comes on top of it. Nothing here imports an HTTP package.
package realtime

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

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

// Config configures a Tailer.
type Config struct {
	// Events is the change log to read.
	Events Source
	// Deliver receives every event once, in seq order, on the Tailer's
	// goroutine. It must not block for long: the hub queues and returns.
	Deliver func(Event)
	// Start is the seq to deliver events after, or StartAtLast.
	Start int64
	// Poll is how often the log is read without a Wake; the fallback when
	// a notification was missed or the node is not listening. Default 1s.
	Poll time.Duration
	// Batch is how many events one read returns at most. Default 500.
	Batch int
	// Logger receives read errors. Default slog.Default().
	Logger *slog.Logger
}

// Tailer follows the change log of one database: it reads the log when
// woken (Wake: the node's listener calls it for each notification of new
// events and after each of its reconnections) and every Poll, and hands
// each event to Deliver exactly once in seq order. Its cursor lives in
// memory; a missed wake costs nothing but a wait for the next poll.
type Tailer struct {
	cfg Config
	// seq is the log position: every event numbered at or below it has
	// been delivered or will never exist (a rolled back write).
	seq  atomic.Int64
	wake chan struct{} // capacity 1: a read is due
}

// NewTailer returns a Tailer with defaults filled in. Run starts it.
func NewTailer(cfg Config) *Tailer {
	if cfg.Poll <= 0 {
		cfg.Poll = time.Second
	}
	if cfg.Batch <= 0 {
		cfg.Batch = 500
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	t := &Tailer{cfg: cfg, wake: make(chan struct{}, 1)}
	if cfg.Start != StartAtLast {
		t.seq.Store(cfg.Start) // Seq tells the position before Run starts too
	}
	return t
}

// Seq returns the log position: every event numbered at or below it has
// been delivered or will never exist. It does not go back.
func (t *Tailer) Seq() int64 { return t.seq.Load() }

// Wake makes the Tailer read the log now: new events may have committed.
// It returns at once; wakes that come while a read is due make one read.
func (t *Tailer) Wake() {
	select {
	case t.wake <- struct{}{}:
	default:
	}
}

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
	poll := time.NewTimer(t.cfg.Poll)
	defer poll.Stop()
	failing := false
	for {
		err := t.drain(ctx)
		if ctx.Err() != nil {
			return nil
		}
		wait := t.cfg.Poll
		switch {
		case err != nil:
			if !failing {
				t.cfg.Logger.Warn("realtime: read events", "error", err)
			}
			failing = true
			// The database may be back before anyone says so: try again
			// soon, so that a node reads what it missed within a second.
			wait = min(wait, retryRead)
		case failing:
			failing = false
			t.cfg.Logger.Info("realtime: reading events again")
		}
		poll.Reset(wait)
		select {
		case <-ctx.Done():
			return nil
		case <-t.wake:
		case <-poll.C:
		}
	}
}

// retryRead is the longest wait before reading again after a failed read.
const retryRead = 250 * time.Millisecond

// drain delivers every event readable now. It stops at a read error,
// which the caller retries; the cursor only moves past delivered events.
func (t *Tailer) drain(ctx context.Context) error {
	for ctx.Err() == nil {
		evs, horizon, err := t.cfg.Events.Read(ctx, t.seq.Load(), t.cfg.Batch)
		if err != nil {
			return err
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
			return nil
		}
	}
	return nil
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
