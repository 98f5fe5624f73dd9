package postgres

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/jackc/pgx/v5"
)

// WatcherConfig configures a Watcher.
type WatcherConfig struct {
	// DSN is the database to listen on. It needs a session of its own:
	// behind PgBouncer, use session pooling for it.
	DSN string
	// OnChange is called, from one goroutine at a time, whenever the rules
	// may have changed: after each notification (those that arrived
	// together are handled by one call), after every (re)connection —
	// notifications sent while the watcher was not listening are lost —
	// and every Poll. It is typically rbac.Enforcer.Reload. Errors are
	// logged; the next call retries.
	OnChange func(ctx context.Context) error
	// Poll is how often OnChange is called without a notification, as a
	// fallback for notifications that never arrive, and how often a quiet
	// connection is checked. Zero means 30 seconds; negative disables
	// polling.
	Poll time.Duration
	// MinBackoff and MaxBackoff bound the wait before reconnecting, which
	// doubles after each failed attempt. Zero means 100 and 250
	// milliseconds: while the database is away a node tries again at a
	// short fixed interval (a failed connection attempt costs the server
	// little), so that it applies changes made elsewhere within a second of
	// the database answering again.
	MinBackoff, MaxBackoff time.Duration
	// Channels are the NOTIFY channels to listen on; empty means Channel.
	// A node can watch other changes (such as the schema's) on the same
	// connection; OnChange does not tell the channels apart.
	Channels []string
	// ApplicationName names the connection in pg_stat_activity. Empty
	// means the DSN's application_name, or "lumbung policy watcher".
	ApplicationName string
	// Logger receives connection problems and OnChange errors. Nil means
	// slog.Default().
	Logger *slog.Logger
}

// Watcher keeps a node's rules current: it LISTENs on Channel on a
// connection of its own (pgx, which waits for the server to confirm the
// LISTEN) and calls OnChange, reconnecting with backoff whenever the
// connection is lost.
type Watcher struct {
	cfg  WatcherConfig
	conn *pgx.ConnConfig
	log  *slog.Logger
}

// NewWatcher checks cfg and returns a Watcher; Run starts it.
func NewWatcher(cfg WatcherConfig) (*Watcher, error) {
	if cfg.OnChange == nil {
		return nil, errors.New("policy watcher: OnChange is required")
	}
	conn, err := pgx.ParseConfig(cfg.DSN)
	if err != nil {
		return nil, errors.New("policy watcher: invalid database url") // the error would echo the password
	}
	switch {
	case cfg.ApplicationName != "":
		conn.RuntimeParams["application_name"] = cfg.ApplicationName
	case conn.RuntimeParams["application_name"] == "":
		conn.RuntimeParams["application_name"] = "lumbung policy watcher"
	}
	if cfg.Poll == 0 {
		cfg.Poll = 30 * time.Second
	}
	if len(cfg.Channels) == 0 {
		cfg.Channels = []string{Channel}
	}
	if cfg.MinBackoff <= 0 {
		cfg.MinBackoff = 100 * time.Millisecond
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = 250 * time.Millisecond
	}
	cfg.MaxBackoff = max(cfg.MaxBackoff, cfg.MinBackoff)
	w := &Watcher{cfg: cfg, conn: conn, log: cfg.Logger}
	if w.log == nil {
		w.log = slog.Default()
	}
	return w, nil
}

// Run listens until ctx is cancelled, then closes its connection and
// returns nil.
func (w *Watcher) Run(ctx context.Context) error {
	backoff := w.cfg.MinBackoff
	for {
		listened, err := w.listen(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if listened {
			backoff = w.cfg.MinBackoff
		}
		// Wait between half and all of backoff, so that nodes that lost
		// the server together do not all come back at once.
		wait := backoff/2 + rand.N(backoff/2+1)
		if listened {
			w.log.Warn("policy watcher: connection lost", "error", err, "retry_in", wait)
		} else {
			w.log.Warn("policy watcher: cannot listen", "error", err, "retry_in", wait)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
		backoff = min(backoff*2, w.cfg.MaxBackoff)
	}
}

// listen runs one connection: connect, LISTEN, catch up, then wait for
// notifications until the connection fails or ctx ends. listened reports
// whether the LISTEN took effect.
func (w *Watcher) listen(ctx context.Context) (listened bool, err error) {
	conn, err := pgx.ConnectConfig(ctx, w.conn)
	if err != nil {
		return false, err
	}
	defer func() {
		closeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		conn.Close(closeCtx) //nolint:errcheck // the connection is being dropped
	}()
	for _, ch := range w.cfg.Channels {
		if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{ch}.Sanitize()); err != nil {
			return false, fmt.Errorf("listen: %w", err)
		}
	}
	// Changes made before the LISTEN took effect were not announced to
	// this connection.
	w.changed(ctx)
	for {
		waitCtx, cancel := ctx, context.CancelFunc(func() {})
		if w.cfg.Poll > 0 {
			waitCtx, cancel = context.WithTimeout(ctx, w.cfg.Poll)
		}
		_, err := conn.WaitForNotification(waitCtx)
		cancel()
		switch {
		case ctx.Err() != nil:
			return true, nil
		case err == nil:
			drain(conn)
			w.changed(ctx)
		case conn.IsClosed():
			return true, err
		case errors.Is(err, context.DeadlineExceeded):
			// Nothing for a Poll: make sure the connection still
			// answers (a dead peer is otherwise noticed only by TCP
			// keepalive), then reload anyway.
			pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
			err := conn.Ping(pingCtx)
			cancel()
			if err != nil {
				if ctx.Err() != nil {
					return true, nil
				}
				return true, fmt.Errorf("ping: %w", err)
			}
			w.changed(ctx)
		default:
			return true, err
		}
	}
}

// drain discards the notifications already received, so that a burst of
// them causes one OnChange.
func drain(conn *pgx.Conn) {
	done, cancel := context.WithCancel(context.Background())
	cancel()
	for {
		// With a cancelled context pgx returns buffered notifications
		// and does not read from the connection.
		if _, err := conn.WaitForNotification(done); err != nil {
			return
		}
	}
}

func (w *Watcher) changed(ctx context.Context) {
	if err := w.cfg.OnChange(ctx); err != nil && ctx.Err() == nil {
		w.log.Error("policy watcher: reload failed", "error", err)
	}
}
