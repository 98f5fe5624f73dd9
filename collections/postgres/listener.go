package postgres

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
)

// ListenerName names a node's LISTEN connection in pg_stat_activity. When
// the database URL names the application, the listener is called that
// name followed by " listener", so that nodes can be told apart.
const ListenerName = "lumbung listener"

// ListenerConfig configures a Listener.
type ListenerConfig struct {
	// DSN is the database to listen on. The listener needs a session of
	// its own: behind PgBouncer, use session pooling for it.
	DSN string
	// Poll is how often a quiet connection is checked (a dead peer is
	// otherwise noticed only by TCP keepalive) and every subscriber is
	// called anyway, as a fallback for notifications that never arrive.
	// Zero means 30 seconds; negative disables it.
	Poll time.Duration
	// MinBackoff and MaxBackoff bound the wait before reconnecting, which
	// doubles after each failed attempt. Zero means 100 and 250
	// milliseconds: while the database is away a node tries again at a
	// short fixed interval (a failed connection attempt costs the server
	// little), so that it applies changes made elsewhere within a second
	// of the database answering again.
	MinBackoff, MaxBackoff time.Duration
	// Logger receives connection problems and subscribers' errors. Nil
	// means slog.Default().
	Logger *slog.Logger
}

// Listener is a node's one notification connection: it LISTENs on the
// channels of every subscriber on a connection of its own (pgx, which
// waits for the server to confirm the LISTEN), and calls each subscriber
// after every notification on one of its channels, after every
// (re)connection — notifications sent while nobody listened are lost, so
// each subscriber reads again what it follows — and every Poll. It
// reconnects with backoff whenever the connection is lost.
//
// Each subscriber is called from a goroutine of its own, never twice at
// once; notifications that arrive while it runs are answered by one more
// call, so a burst costs a subscriber one or two calls, and a slow
// subscriber delays neither the others nor the connection.
type Listener struct {
	cfg  ListenerConfig
	conn *pgx.ConnConfig
	log  *slog.Logger

	subs      []*subscription
	byChannel map[string][]*subscription
	channels  []string // in the order first subscribed
	running   atomic.Bool
	pid       atomic.Uint32
}

// subscription is one Subscribe call.
type subscription struct {
	fn   func(context.Context) error
	wake chan struct{} // capacity 1: a call is due
}

// NewListener checks cfg and returns a Listener without subscribers;
// Subscribe adds them and Run starts it.
func NewListener(cfg ListenerConfig) (*Listener, error) {
	conn, err := pgx.ParseConfig(cfg.DSN)
	if err != nil {
		return nil, errors.New("listener: invalid database url") // the error would echo the password
	}
	// The pool's settings in the URL (pool_max_conns, ...) are the pool's:
	// pgx would send them to the server, which refuses unknown parameters.
	for k := range conn.RuntimeParams {
		if strings.HasPrefix(k, "pool_") {
			delete(conn.RuntimeParams, k)
		}
	}
	if app := conn.RuntimeParams["application_name"]; app != "" {
		conn.RuntimeParams["application_name"] = app + " listener"
	} else {
		conn.RuntimeParams["application_name"] = ListenerName
	}
	if cfg.Poll == 0 {
		cfg.Poll = 30 * time.Second
	}
	if cfg.MinBackoff <= 0 {
		cfg.MinBackoff = 100 * time.Millisecond
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = 250 * time.Millisecond
	}
	cfg.MaxBackoff = max(cfg.MaxBackoff, cfg.MinBackoff)
	l := &Listener{cfg: cfg, conn: conn, log: cfg.Logger, byChannel: map[string][]*subscription{}}
	if l.log == nil {
		l.log = slog.Default()
	}
	return l, nil
}

// Subscribe has fn called whenever one of channels may have news: after
// each notification on them, after every (re)connection and every Poll.
// fn runs on a goroutine of its own that Run starts and waits for; an
// error is logged and the next call is the retry. Subscribe must be
// called before Run.
func (l *Listener) Subscribe(fn func(ctx context.Context) error, channels ...string) {
	if l.running.Load() {
		panic("listener: Subscribe after Run")
	}
	if fn == nil || len(channels) == 0 {
		panic("listener: Subscribe needs a function and a channel")
	}
	s := &subscription{fn: fn, wake: make(chan struct{}, 1)}
	l.subs = append(l.subs, s)
	for _, ch := range channels {
		if len(l.byChannel[ch]) == 0 {
			l.channels = append(l.channels, ch)
		}
		if !slices.Contains(l.byChannel[ch], s) {
			l.byChannel[ch] = append(l.byChannel[ch], s)
		}
	}
}

// PID returns the backend process id of the listening connection, or 0
// while there is none.
func (l *Listener) PID() uint32 { return l.pid.Load() }

// Run listens until ctx is cancelled, then closes its connection, waits
// for the subscribers' calls in progress and returns nil.
func (l *Listener) Run(ctx context.Context) error {
	if !l.running.CompareAndSwap(false, true) {
		return errors.New("listener: already running")
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	for _, s := range l.subs {
		wg.Go(func() { l.serve(ctx, s) })
	}
	if len(l.channels) == 0 {
		<-ctx.Done()
		return nil
	}
	backoff := l.cfg.MinBackoff
	for {
		listened, err := l.listen(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if listened {
			backoff = l.cfg.MinBackoff
		}
		// Wait between half and all of backoff, so that nodes that lost
		// the server together do not all come back at once.
		wait := backoff/2 + rand.N(backoff/2+1)
		if listened {
			l.log.Warn("listener: connection lost", "error", err, "retry_in", wait)
		} else {
			l.log.Warn("listener: cannot listen", "error", err, "retry_in", wait)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
		backoff = min(backoff*2, l.cfg.MaxBackoff)
	}
}

// serve calls s each time it is woken, until ctx ends.
func (l *Listener) serve(ctx context.Context, s *subscription) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.wake:
		}
		if err := s.fn(ctx); err != nil && ctx.Err() == nil {
			l.log.Error("listener: subscriber failed", "error", err)
		}
	}
}

// listen runs one connection: connect, LISTEN, wake everyone, then
// dispatch notifications until the connection fails or ctx ends.
// listened reports whether the LISTEN took effect.
func (l *Listener) listen(ctx context.Context) (listened bool, err error) {
	conn, err := pgx.ConnectConfig(ctx, l.conn)
	if err != nil {
		return false, err
	}
	defer func() {
		l.pid.Store(0)
		closeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		conn.Close(closeCtx) //nolint:errcheck // the connection is being dropped
	}()
	// One round trip for every channel: a multi-statement simple query.
	stmts := make([]string, len(l.channels))
	for i, ch := range l.channels {
		stmts[i] = "LISTEN " + pgx.Identifier{ch}.Sanitize()
	}
	if _, err := conn.Exec(ctx, strings.Join(stmts, "; ")); err != nil {
		return false, fmt.Errorf("listen: %w", err)
	}
	l.pid.Store(conn.PgConn().PID())
	// Changes made before the LISTEN took effect were not announced to
	// this connection.
	l.wakeAll()
	for {
		waitCtx, cancel := ctx, context.CancelFunc(func() {})
		if l.cfg.Poll > 0 {
			waitCtx, cancel = context.WithTimeout(ctx, l.cfg.Poll)
		}
		n, err := conn.WaitForNotification(waitCtx)
		cancel()
		switch {
		case ctx.Err() != nil:
			return true, nil
		case err == nil:
			l.dispatch(conn, n.Channel)
		case conn.IsClosed():
			return true, err
		case errors.Is(err, context.DeadlineExceeded):
			// Nothing for a Poll: make sure the connection still
			// answers, then call everyone anyway.
			pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
			err := conn.Ping(pingCtx)
			cancel()
			if err != nil {
				if ctx.Err() != nil {
					return true, nil
				}
				return true, fmt.Errorf("ping: %w", err)
			}
			l.wakeAll()
		default:
			return true, err
		}
	}
}

// dispatch wakes the subscribers of channel and of every notification
// already received with it, each once.
func (l *Listener) dispatch(conn *pgx.Conn, channel string) {
	// With a cancelled context pgx returns buffered notifications and
	// does not read from the connection.
	buffered, cancel := context.WithCancel(context.Background())
	cancel()
	seen := map[string]bool{}
	for {
		if !seen[channel] {
			seen[channel] = true
			for _, s := range l.byChannel[channel] {
				s.poke()
			}
		}
		n, err := conn.WaitForNotification(buffered)
		if err != nil {
			return
		}
		channel = n.Channel
	}
}

func (l *Listener) wakeAll() {
	for _, s := range l.subs {
		s.poke()
	}
}

// poke makes a call due, unless one already is.
func (s *subscription) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}
