package postgres_test

import (
	"context"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/lumbunghq/lumbung/collections/postgres"
	"github.com/lumbunghq/lumbung/server/localpg/pgtest"
)

// counter is a subscriber that counts its calls, begun and ended; while
// gate is set, a call waits for it to close.
type counter struct {
	begun, calls atomic.Int64
	gate         atomic.Pointer[chan struct{}]
}

func (c *counter) call(ctx context.Context) error {
	c.begun.Add(1)
	if g := c.gate.Load(); g != nil {
		select {
		case <-*g:
		case <-ctx.Done():
		}
	}
	c.calls.Add(1)
	return nil
}

// MustRunListener runs l until the test ends, and fails the test if it
// does not stop.
func MustRunListener(tb testing.TB, l *postgres.Listener) {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- l.Run(ctx) }()
	tb.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				tb.Error(err)
			}
		case <-time.After(30 * time.Second):
			tb.Error("the listener did not stop")
		}
	})
}

// waitUntil polls cond for up to 30 seconds.
func waitUntil(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	for stop := time.Now().Add(30 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(stop) {
			tb.Fatalf("gave up waiting for %s", what)
		}
	}
}

// notify sends one notification on channel, in a transaction of its own.
func notify(tb testing.TB, db *postgres.DB, channel string) {
	tb.Helper()
	if _, err := db.Pool.Exec(context.Background(), "SELECT pg_notify($1, '')", channel); err != nil {
		tb.Fatal(err)
	}
}

// listeners returns the backends of the current database called name and
// the last statement of each.
func listeners(tb testing.TB, db *postgres.DB, name string) []string {
	tb.Helper()
	rows, err := db.Pool.Query(context.Background(),
		"SELECT query FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1", name)
	if err != nil {
		tb.Fatal(err)
	}
	queries, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		tb.Fatal(err)
	}
	return queries
}

// TestListenerDispatch: one connection listens for every subscriber;
// each is called once on connecting, then only for notifications on its
// own channels, and a burst that comes while it runs costs it one more
// call.
func TestListenerDispatch(t *testing.T) {
	t.Parallel()
	_, _, db := MustDatabase(t)
	l, err := postgres.NewListener(postgres.ListenerConfig{DSN: db.Pool.Config().ConnString(), Poll: -1})
	if err != nil {
		t.Fatal(err)
	}
	var ab, c counter
	l.Subscribe(ab.call, "test_a", "test_b")
	l.Subscribe(c.call, "test_c")
	MustRunListener(t, l)
	waitUntil(t, "the calls on connecting", func() bool { return ab.calls.Load() == 1 && c.calls.Load() == 1 })

	queries := listeners(t, db, postgres.ListenerName)
	if len(queries) != 1 {
		t.Fatalf("%d listening connections, want 1", len(queries))
	}
	for _, ch := range []string{"test_a", "test_b", "test_c"} {
		if !strings.Contains(queries[0], `LISTEN "`+ch+`"`) {
			t.Errorf("the connection does not listen on %s: %q", ch, queries[0])
		}
	}

	notify(t, db, "test_a")
	waitUntil(t, "a call for test_a", func() bool { return ab.calls.Load() == 2 })
	notify(t, db, "test_b")
	waitUntil(t, "a call for test_b", func() bool { return ab.calls.Load() == 3 })
	notify(t, db, "test_c")
	waitUntil(t, "a call for test_c", func() bool { return c.calls.Load() == 2 })
	if n := ab.calls.Load(); n != 3 {
		t.Errorf("test_c's notification called the other subscriber: %d calls, want 3", n)
	}

	// A burst while the subscriber is busy: notifications arrive in order,
	// so once test_c's subscriber has been called, the listener has seen
	// the whole burst.
	gate := make(chan struct{})
	ab.gate.Store(&gate)
	notify(t, db, "test_a")
	waitUntil(t, "a call waiting at the gate", func() bool { return ab.begun.Load() == 4 })
	for range 50 {
		notify(t, db, "test_a")
		notify(t, db, "test_b")
	}
	notify(t, db, "test_c")
	waitUntil(t, "test_c's call after the burst", func() bool { return c.calls.Load() == 3 })
	ab.gate.Store(nil)
	close(gate)
	waitUntil(t, "the burst's calls", func() bool { return ab.calls.Load() >= 5 })
	notify(t, db, "test_c") // once it is handled, so is anything left of the burst
	waitUntil(t, "another call for test_c", func() bool { return c.calls.Load() == 4 })
	time.Sleep(50 * time.Millisecond)
	if n := ab.calls.Load(); n != 5 {
		t.Errorf("after a burst of 101 notifications: %d calls, want 5 (the one running, then one more)", n)
	}
}

// TestListenerReconnects: when its connection is killed, the listener
// connects again and calls every subscriber, since notifications sent in
// between were lost; notifications then flow again.
func TestListenerReconnects(t *testing.T) {
	t.Parallel()
	_, _, db := MustDatabase(t)
	l, err := postgres.NewListener(postgres.ListenerConfig{DSN: db.Pool.Config().ConnString(), Poll: -1,
		MinBackoff: 10 * time.Millisecond, MaxBackoff: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	var a, b counter
	l.Subscribe(a.call, "test_a")
	l.Subscribe(b.call, "test_b")
	MustRunListener(t, l)
	waitUntil(t, "the first connection", func() bool { return l.PID() != 0 && a.calls.Load() == 1 && b.calls.Load() == 1 })

	for round := int64(1); round <= 3; round++ {
		pid := l.PID()
		var ok bool
		if err := db.Pool.QueryRow(context.Background(), "SELECT pg_terminate_backend($1)", int(pid)).Scan(&ok); err != nil || !ok {
			t.Fatalf("terminate %d: %v %v", pid, ok, err)
		}
		waitUntil(t, "a new connection", func() bool { p := l.PID(); return p != 0 && p != pid })
		waitUntil(t, "the calls on reconnecting", func() bool {
			return a.calls.Load() == 1+2*round-1 && b.calls.Load() == 1+round
		})
		if n := len(listeners(t, db, postgres.ListenerName)); n != 1 {
			t.Fatalf("%d listening connections after reconnecting, want 1", n)
		}
		notify(t, db, "test_a")
		waitUntil(t, "a notification after reconnecting", func() bool { return a.calls.Load() == 1+2*round })
	}
	if n := b.calls.Load(); n != 4 {
		t.Errorf("test_b's subscriber: %d calls, want 4 (one per connection)", n)
	}
}

// TestListenerStops: Run returns only after the calls in progress have.
func TestListenerStops(t *testing.T) {
	t.Parallel()
	_, _, db := MustDatabase(t)
	l, err := postgres.NewListener(postgres.ListenerConfig{DSN: db.Pool.Config().ConnString()})
	if err != nil {
		t.Fatal(err)
	}
	started := make(chan struct{})
	var finished atomic.Bool
	l.Subscribe(func(ctx context.Context) error {
		close(started)
		<-ctx.Done()
		time.Sleep(50 * time.Millisecond)
		finished.Store(true)
		return nil
	}, "test_a")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- l.Run(ctx) }()
	<-started
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if !finished.Load() {
		t.Error("Run returned while a subscriber was still running")
	}
	if l.PID() != 0 {
		t.Error("a stopped listener reports a connection")
	}
	// The server ends the backend a moment after the connection closes.
	waitUntil(t, "the connection to close", func() bool { return len(listeners(t, db, postgres.ListenerName)) == 0 })
}

// TestListenerName: a URL that names the application names the listener
// after it, so that nodes can be told apart.
func TestListenerName(t *testing.T) {
	t.Parallel()
	_, _, db := MustDatabase(t)
	u, err := url.Parse(db.Pool.Config().ConnString())
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("application_name", "node-x")
	u.RawQuery = q.Encode()
	l, err := postgres.NewListener(postgres.ListenerConfig{DSN: u.String()})
	if err != nil {
		t.Fatal(err)
	}
	var a counter
	l.Subscribe(a.call, "test_a")
	MustRunListener(t, l)
	waitUntil(t, "the connection", func() bool { return a.calls.Load() == 1 })
	if n := len(listeners(t, db, "node-x listener")); n != 1 {
		t.Errorf("%d connections called %q, want 1", n, "node-x listener")
	}
}

func TestNewListenerChecksConfig(t *testing.T) {
	_, err := postgres.NewListener(postgres.ListenerConfig{DSN: "postgres://u:secret@host:notaport/x"})
	if err == nil || strings.Contains(err.Error(), "secret") {
		t.Errorf("NewListener with a bad url: %v", err)
	}
	l, err := postgres.NewListener(postgres.ListenerConfig{DSN: pgtest.NewDB(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if recover() == nil {
			t.Error("Subscribe without a channel did not panic")
		}
	}()
	l.Subscribe(func(context.Context) error { return nil })
}

// TestListenerPoolSettings: the pool's settings in the database URL
// (pool_max_conns, ...) size the node's pool and are not sent to the server
// by the listener, which would refuse them as unknown parameters.
func TestListenerPoolSettings(t *testing.T) {
	t.Parallel()
	_, _, db := MustDatabase(t)
	u, err := url.Parse(db.Pool.Config().ConnString())
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("pool_max_conns", "3")
	q.Set("pool_max_conn_idle_time", "1m")
	u.RawQuery = q.Encode()
	l, err := postgres.NewListener(postgres.ListenerConfig{DSN: u.String()})
	if err != nil {
		t.Fatal(err)
	}
	var a counter
	l.Subscribe(a.call, "test_a")
	MustRunListener(t, l)
	waitUntil(t, "the connection", func() bool { return a.calls.Load() == 1 })
	notify(t, db, "test_a")
	waitUntil(t, "the notification", func() bool { return a.calls.Load() == 2 })
}
