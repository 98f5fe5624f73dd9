package api

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/lumbunghq/lumbung/collections"
	"github.com/lumbunghq/lumbung/server/settings"
)

// Defaults of RequestLogConfig.
const (
	// DefaultRequestLogQueue is how many entries may wait to be written.
	DefaultRequestLogQueue = 10000
	// DefaultRequestLogBatch is how many entries one insert writes.
	DefaultRequestLogBatch = 500
	// DefaultRequestLogInterval is how often the waiting entries are
	// written.
	DefaultRequestLogInterval = 200 * time.Millisecond
)

// RequestLogConfig configures a RequestLog.
type RequestLogConfig struct {
	// Store keeps the entries of every node. Required.
	Store collections.LogStore
	// Queue bounds the entries waiting to be written
	// (DefaultRequestLogQueue); more are dropped and counted.
	Queue int
	// Batch is how many entries one insert writes, and how many waiting
	// wake the writer before its interval (DefaultRequestLogBatch).
	Batch int
	// Interval is how often Run writes the waiting entries
	// (DefaultRequestLogInterval).
	Interval time.Duration
	// Logger reports failed writes (slog.Default when nil).
	Logger *slog.Logger
}

// RequestLog writes the requests the logs settings keep to the shared
// request log (the store), in batches, from one goroutine per node (Run):
// a request only appends its entry to a bounded queue, and when the queue
// is full the entry is dropped and counted (Dropped), so that a slow or
// unreachable database never holds a request up. Reads of the log write
// this node's waiting entries first (Flush), so that a node lists its own
// requests at once, and every node's within an interval.
//
// When the logs settings a node sees change, the entries they no longer
// keep are deleted (with the next write), as PocketBase deletes them: they
// do not come back when the settings change again.
type RequestLog struct {
	cfg  RequestLogConfig
	wake chan struct{} // a batch is waiting; capacity 1

	mu      sync.Mutex
	queue   []collections.LogEntry
	dropped uint64
	applied settings.Logs // the settings seen last
	seen    bool          // applied holds settings seen
	// marks are the prunes to make, in the queue's order: each where the
	// settings changed, before the entries queued after the change.
	marks []pruneMark

	flush sync.Mutex // one write at a time, in the queue's order
}

// NewRequestLog returns a RequestLog writing to cfg.Store.
func NewRequestLog(cfg RequestLogConfig) *RequestLog {
	if cfg.Queue <= 0 {
		cfg.Queue = DefaultRequestLogQueue
	}
	if cfg.Batch <= 0 {
		cfg.Batch = DefaultRequestLogBatch
	}
	if cfg.Interval <= 0 {
		cfg.Interval = DefaultRequestLogInterval
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &RequestLog{cfg: cfg, wake: make(chan struct{}, 1)}
}

// retention is what the log keeps under cfg at now (see
// settings.Logs.Keeps).
func retention(cfg settings.Logs, now time.Time) collections.LogRetention {
	if cfg.MaxDays <= 0 {
		return collections.LogRetention{None: true}
	}
	return collections.LogRetention{MinLevel: cfg.MinLevel, After: now.AddDate(0, 0, -cfg.MaxDays)}
}

// pruneMark is a prune to make once the entries of the queue before at
// are written.
type pruneMark struct {
	at   int
	keep collections.LogRetention
}

// both keeps what a and b both keep: pruning to a then to b is pruning
// to both(a, b).
func both(a, b collections.LogRetention) collections.LogRetention {
	if a.None || b.None {
		return collections.LogRetention{None: true}
	}
	if b.After.Before(a.After) {
		b.After = a.After
	}
	b.MinLevel = max(a.MinLevel, b.MinLevel)
	return b
}

// mark queues a prune to keep after the entries queued so far; one right
// after another joins it, so there are never more marks than entries
// plus one. l.mu is held.
func (l *RequestLog) mark(keep collections.LogRetention) {
	if n := len(l.marks); n > 0 && l.marks[n-1].at == len(l.queue) {
		l.marks[n-1].keep = both(l.marks[n-1].keep, keep)
		return
	}
	l.marks = append(l.marks, pruneMark{at: len(l.queue), keep: keep})
}

// observe notes the settings in force at now: when they differ from the
// last seen, what they no longer keep is pruned once the entries queued
// before are written. l.mu is held.
func (l *RequestLog) observe(cfg settings.Logs, now time.Time) {
	if l.seen && cfg == l.applied {
		return
	}
	l.applied, l.seen = cfg, true
	l.mark(retention(cfg, now))
}

// Add queues a request to be written, if cfg keeps it at now (see
// settings.Logs.Keeps); the caller has left out what cfg does not keep
// (IP, AuthID). It never blocks: with the queue full the entry is dropped
// and counted.
func (l *RequestLog) Add(e collections.LogEntry, cfg settings.Logs, now time.Time) {
	l.mu.Lock()
	l.observe(cfg, now)
	if !cfg.Keeps(e.Level(), e.Created, now) {
		l.mu.Unlock()
		return
	}
	if len(l.queue) >= l.cfg.Queue {
		l.dropped++
		l.mu.Unlock()
		return
	}
	l.queue = append(l.queue, e)
	full := len(l.queue) >= l.cfg.Batch
	l.mu.Unlock()
	if full {
		select {
		case l.wake <- struct{}{}:
		default:
		}
	}
}

// Dropped returns how many entries were not written: those that found
// the queue full, and those of writes that failed.
func (l *RequestLog) Dropped() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.dropped
}

// Flush writes the waiting entries, and makes the prunes of the settings
// changes seen meanwhile, in the order they came.
func (l *RequestLog) Flush(ctx context.Context) error {
	l.flush.Lock()
	defer l.flush.Unlock()
	l.mu.Lock()
	queue, marks := l.queue, l.marks
	l.queue, l.marks = nil, nil
	l.mu.Unlock()
	done := 0 // entries of queue written
	for len(marks) > 0 || done < len(queue) {
		end := len(queue)
		if len(marks) > 0 {
			end = marks[0].at
		}
		for done < end {
			n := min(end-done, l.cfg.Batch)
			if err := l.cfg.Store.AddLogs(ctx, queue[done:done+n]); err != nil {
				l.failed(len(queue)-done, marks)
				return err
			}
			done += n
		}
		if len(marks) > 0 {
			if _, err := l.cfg.Store.PruneLogs(ctx, marks[0].keep); err != nil {
				l.failed(len(queue)-done, marks)
				return err
			}
			marks = marks[1:]
		}
	}
	return nil
}

// failed counts the lost entries of a write that failed, and keeps its
// prunes for the next write, before the entries queued since.
func (l *RequestLog) failed(lost int, marks []pruneMark) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.dropped += uint64(lost)
	if len(marks) == 0 {
		return
	}
	keep := marks[0].keep
	for _, m := range marks[1:] {
		keep = both(keep, m.keep)
	}
	l.marks = append([]pruneMark{{keep: keep}}, l.marks...)
	// A mark joined to the kept one, or one right behind it, stays in order.
	if len(l.marks) > 1 && l.marks[1].at == 0 {
		l.marks[0].keep = both(l.marks[0].keep, l.marks[1].keep)
		l.marks = append(l.marks[:1], l.marks[2:]...)
	}
}

// sync notes the settings in force (cfg at now) and writes what waits:
// a read of the log sees this node's requests and the settings' effect.
func (l *RequestLog) sync(ctx context.Context, cfg settings.Logs, now time.Time) error {
	l.mu.Lock()
	l.observe(cfg, now)
	l.mu.Unlock()
	return l.Flush(ctx)
}

// Prune deletes the entries cfg does not keep at now, for the periodic
// prune of every node.
func (l *RequestLog) Prune(ctx context.Context, cfg settings.Logs, now time.Time) error {
	_, err := l.cfg.Store.PruneLogs(ctx, retention(cfg, now))
	return err
}

// Run writes the waiting entries every interval, or sooner when a batch
// is waiting, until ctx ends; then it writes what is left (for up to
// 10 seconds) and returns.
func (l *RequestLog) Run(ctx context.Context) {
	tick := time.NewTicker(l.cfg.Interval)
	defer tick.Stop()
	var reported time.Time // when a failed write was last logged
	for {
		select {
		case <-ctx.Done():
			final, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			defer cancel()
			if err := l.Flush(final); err != nil {
				l.cfg.Logger.Error("request log: entries not written", "err", err, "dropped", l.Dropped())
			}
			return
		case <-tick.C:
		case <-l.wake:
		}
		// A write under way finishes even when ctx ends meanwhile: its
		// entries are not lost to a shutdown.
		write, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		// While the database is away, one line a minute says so, with
		// the entries lost meanwhile.
		if err := l.Flush(write); err != nil && time.Since(reported) >= time.Minute {
			reported = time.Now()
			l.cfg.Logger.Error("request log: entries not written", "err", err, "dropped", l.Dropped())
		}
		cancel()
	}
}
