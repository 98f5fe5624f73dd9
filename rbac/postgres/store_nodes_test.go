package postgres_test

import (
	"context"
	"log/slog"
	"net/url"
	"slices"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/uptrace/bun"

	collpg "github.com/lumbunghq/lumbung/collections/postgres"
	"github.com/lumbunghq/lumbung/rbac"
	"github.com/lumbunghq/lumbung/rbac/postgres"
)

// deadline bounds every wait: long enough for a loaded machine, and
// reached only when the awaited thing never happens.
const deadline = 30 * time.Second

// waitFor polls cond until it holds, failing the test after deadline.
func waitFor(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	stop := time.Now().Add(deadline)
	for !cond() {
		if time.Now().After(stop) {
			tb.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// node is the access-control part of one server process: its own
// connection pool, store, enforcer and listener.
type node struct {
	db       *bun.DB
	store    *postgres.Store
	enforcer *rbac.Enforcer
	reloads  atomic.Int64 // calls of the listener's subscriber
	lost     atomic.Int64 // connections lost or refused, as logged
}

// countingHandler counts warnings on their way to the test log.
type countingHandler struct {
	slog.Handler
	n *atomic.Int64
}

func (h countingHandler) Handle(ctx context.Context, r slog.Record) error {
	if r.Level == slog.LevelWarn {
		h.n.Add(1)
	}
	return h.Handler.Handle(ctx, r)
}

// MustNode starts a node on dsn whose connections are called name (its
// listener's "name listener"), reloading its rules on Channel. poll < 0
// leaves notifications as the only way to learn of changes. The listener
// is stopped when the test ends.
func MustNode(tb testing.TB, dsn, name string, poll time.Duration) *node {
	tb.Helper()
	ctx := context.Background()
	u, err := url.Parse(dsn)
	if err != nil {
		tb.Fatal(err)
	}
	q := u.Query()
	q.Set("application_name", name)
	u.RawQuery = q.Encode()
	n := &node{db: MustOpen(tb, u.String())}
	n.store = postgres.NewStore(n.db)
	if n.enforcer, err = rbac.NewEnforcer(ctx, n.store); err != nil {
		tb.Fatal(err)
	}
	l, err := collpg.NewListener(collpg.ListenerConfig{
		DSN:        u.String(),
		Poll:       poll,
		MinBackoff: 10 * time.Millisecond,
		MaxBackoff: 100 * time.Millisecond,
		Logger:     slog.New(countingHandler{slog.NewTextHandler(tb.Output(), nil), &n.lost}),
	})
	if err != nil {
		tb.Fatal(err)
	}
	l.Subscribe(func(ctx context.Context) error {
		n.reloads.Add(1)
		return n.enforcer.Reload(ctx)
	}, postgres.Channel)
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- l.Run(runCtx) }()
	tb.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				tb.Errorf("listener %s: %v", name, err)
			}
		case <-time.After(deadline):
			tb.Errorf("listener %s did not stop", name)
		}
	})
	return n
}

func (n *node) allows(user, collection, action string) bool {
	return n.enforcer.Decide(user, collection, action).Allowed
}

// TestTwoNodes runs two nodes on one database: a change made through
// either is enforced by the other, by notification alone.
func TestTwoNodes(t *testing.T) {
	ctx := context.Background()
	dsn, db := MustDB(t)
	MustCollection(t, db, "users", "auth")
	MustCollection(t, db, "posts", "base")
	a := MustNode(t, dsn, "node-a", -1)
	b := MustNode(t, dsn, "node-b", -1)

	if _, err := a.store.CreateRole(ctx, nil, "staff", ""); err != nil {
		t.Fatal(err)
	}
	if err := a.store.Assign(ctx, nil, alice, "staff"); err != nil {
		t.Fatal(err)
	}
	if err := a.store.AddPolicy(ctx, nil, rbac.Policy{Subject: "staff", Collection: "posts", Action: "list", Condition: "team = 1"}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "node b to allow alice", func() bool { return b.allows(alice, "posts", "list") })
	waitFor(t, "node a to allow alice", func() bool { return a.allows(alice, "posts", "list") })
	if d := b.enforcer.Decide(alice, "posts", "list"); !slices.Equal(d.Conditions, []string{"team = 1"}) {
		t.Errorf("node b: %+v", d)
	}

	// Back the other way, inside a transaction.
	err := b.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if err := b.store.SetPolicies(ctx, tx, "staff", "posts", []rbac.Policy{{Action: "view"}}); err != nil {
			return err
		}
		return b.store.AddPolicy(ctx, tx, rbac.Policy{Subject: rbac.Guest, Collection: "posts", Action: "list", Condition: "public = true"})
	})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "node a to apply node b's change", func() bool {
		d := a.enforcer.Decide(alice, "posts", "list")
		return a.allows(alice, "posts", "view") && slices.Equal(d.Conditions, []string{"public = true"})
	})

	// Deleting the role reaches both.
	if err := a.store.DeleteRole(ctx, nil, "staff"); err != nil {
		t.Fatal(err)
	}
	for _, n := range []*node{a, b} {
		waitFor(t, "the role to go", func() bool { return !n.allows(alice, "posts", "view") })
	}
}

// TestListenerReconnects kills the node's listening connection, changes the rules
// while it cannot connect, and lets it back in: it catches up on the
// change it was not told about, and is told about later ones again.
func TestListenerReconnects(t *testing.T) {
	ctx := context.Background()
	dsn, db := MustDB(t)
	MustCollection(t, db, "users", "auth")
	MustCollection(t, db, "posts", "base")
	s := postgres.NewStore(db)
	if _, err := s.CreateRole(ctx, nil, "staff", ""); err != nil {
		t.Fatal(err)
	}
	if err := s.Assign(ctx, nil, alice, "staff"); err != nil {
		t.Fatal(err)
	}
	n := MustNode(t, dsn, "node-b", -1)
	waitFor(t, "the listener to listen", func() bool { return n.reloads.Load() > 0 })

	// The database is closed from another one: the server refuses to
	// close the one a session is using.
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		t.Fatal(err)
	}
	dbname := cfg.Database
	cfg.Database = "postgres"
	admin, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	pid := listenerPID(t, admin, dbname, "node-b")
	if pid == 0 {
		t.Fatal("no listening connection")
	}
	allowConnections := func(on bool) {
		t.Helper()
		sql := "ALTER DATABASE " + pgx.Identifier{dbname}.Sanitize() + " WITH ALLOW_CONNECTIONS " + strconv.FormatBool(on)
		if _, err := admin.Exec(ctx, sql); err != nil {
			t.Fatal(err)
		}
	}
	// A connection taken before the database is closed to new ones.
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()

	allowConnections(false)
	if _, err := admin.Exec(ctx, "SELECT pg_terminate_backend($1)", pid); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the listening connection to end", func() bool { return listenerPID(t, admin, dbname, "node-b") == 0 })

	// Let it fail to reconnect a few times.
	lost := n.lost.Load()
	waitFor(t, "refused reconnections", func() bool { return n.lost.Load() >= lost+2 })

	// Nobody is listening for this one.
	if err := s.AddPolicy(ctx, conn, rbac.Policy{Subject: "staff", Collection: "posts", Action: "list"}); err != nil {
		t.Fatal(err)
	}
	if n.allows(alice, "posts", "list") {
		t.Fatal("the node learned of a change while it could not connect")
	}
	allowConnections(true)
	waitFor(t, "the listener to reconnect and catch up", func() bool { return n.allows(alice, "posts", "list") })
	if got := listenerPID(t, admin, dbname, "node-b"); got == pid || got == 0 {
		t.Errorf("listening connection pid %d after reconnecting, was %d", got, pid)
	}

	// Notifications flow again.
	if err := s.AddPolicy(ctx, nil, rbac.Policy{Subject: "staff", Collection: "posts", Action: "delete"}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the change after reconnecting", func() bool { return n.allows(alice, "posts", "delete") })
}

// TestListenerPolls changes the rules without a notification (the insert
// notification trigger disabled): polling picks the change up.
func TestListenerPolls(t *testing.T) {
	ctx := context.Background()
	dsn, db := MustDB(t)
	MustCollection(t, db, "posts", "base")
	n := MustNode(t, dsn, "node-poll", 20*time.Millisecond)
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var dbname string
	if err := conn.QueryRow(ctx, "SELECT current_database()").Scan(&dbname); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, "ALTER TABLE _casbin_rule DISABLE TRIGGER _casbin_rule_notify_insert"); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, "INSERT INTO _casbin_rule (ptype, v0, v1, v2) VALUES ('p', 'guest', 'posts', 'view')"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "a poll to load the change", func() bool { return n.allows("", "posts", "view") })
	pid := listenerPID(t, conn, dbname, "node-poll")
	before := n.reloads.Load()
	waitFor(t, "more polls", func() bool { return n.reloads.Load() > before+3 })
	if got := listenerPID(t, conn, dbname, "node-poll"); got != pid {
		t.Errorf("polling replaced the connection: pid %d, was %d", got, pid)
	}
}

// listenerPID returns the backend pid of the listener of the node called
// name on database dbname, or 0.
func listenerPID(tb testing.TB, conn *pgx.Conn, dbname, name string) int {
	tb.Helper()
	rows, err := conn.Query(context.Background(), "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND application_name = $2", dbname, name+" listener")
	if err != nil {
		tb.Fatal(err)
	}
	pids, err := pgx.CollectRows(rows, pgx.RowTo[int])
	if err != nil {
		tb.Fatal(err)
	}
	if len(pids) > 1 {
		tb.Fatalf("%d connections called %s", len(pids), name)
	}
	if len(pids) == 0 {
		return 0
	}
	return pids[0]
}
