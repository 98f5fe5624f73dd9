package server_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/lumbunghq/lumbung/collections/postgres"
	rbacpg "github.com/lumbunghq/lumbung/rbac/postgres"
	"github.com/lumbunghq/lumbung/server"
	"github.com/lumbunghq/lumbung/server/localpg/pgtest"
)

// TestOneListenerPerNode: a started node holds exactly one connection
// that listens, for everything it follows (policies, schema, settings and
// the change log). Through it the node applies another node's schema and
// policy changes and delivers another node's writes to its realtime
// subscribers; when that connection is killed the node opens exactly one
// again, catches up on what changed meanwhile, and follows new changes.
func TestOneListenerPerNode(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.NewDB(t)
	if _, err := server.UpsertSuperuser(ctx, server.Config{DatabaseURL: dsn, PasswordCost: 4,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}, "admin@example.com", "long enough password"); err != nil {
		t.Fatal(err)
	}
	a := startNode(t, withApplicationName(t, dsn, "node-a"))
	b := startNode(t, withApplicationName(t, dsn, "node-b"))
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })

	// listening returns, for the node called node, the pids of its
	// backends that have LISTENed, and their application names.
	listening := func(node string) (pids []uint32, names []string) {
		t.Helper()
		rows, err := conn.Query(ctx, `SELECT pid, application_name, query FROM pg_stat_activity
			WHERE datname = current_database() AND (application_name = $1 OR application_name LIKE $1 || ' %')`, node)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var pid uint32
			var name, query string
			if err := rows.Scan(&pid, &name, &query); err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(query, "LISTEN ") {
				continue
			}
			for _, ch := range []string{rbacpg.Channel, postgres.SchemaChannel, postgres.ParamsChannel, postgres.EventsChannel} {
				if !strings.Contains(query, `LISTEN "`+ch+`"`) {
					t.Errorf("%s's listening connection does not listen on %s: %q", node, ch, query)
				}
			}
			pids, names = append(pids, pid), append(names, name)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return pids, names
	}
	// mustListenOnce waits until node has one listening connection other
	// than old and checks it has no other.
	mustListenOnce := func(node string, old uint32) uint32 {
		t.Helper()
		for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(10 * time.Millisecond) {
			pids, names := listening(node)
			if len(pids) > 1 {
				t.Fatalf("%s has %d listening connections: %v", node, len(pids), names)
			}
			if len(pids) == 1 && pids[0] != old {
				if names[0] != node+" listener" {
					t.Errorf("%s's listening connection is called %q", node, names[0])
				}
				return pids[0]
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s never listened", node)
			}
		}
	}
	mustListenOnce("node-a", 0)
	pid := mustListenOnce("node-b", 0)
	var all int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity
		WHERE datname = current_database() AND query LIKE 'LISTEN %'`).Scan(&all); err != nil {
		t.Fatal(err)
	}
	if all != 2 {
		t.Errorf("%d connections listen on the database, want 2 (one per node)", all)
	}

	token := signIn(t, a)
	call(t, a, token, "POST", "/api/collections", `{"name": "ledger", "fields": [{"name": "n", "type": "number"}]}`)
	waitStatus(t, b, "/api/collections/ledger/records", 403) // the schema change reached B
	sub := subscribe(t, b, token, "ledger/*")
	policy := func(items string) {
		t.Helper()
		call(t, a, token, "PUT", "/api/rbac/collections/ledger/policies", `{"items": [`+items+`]}`)
	}
	want := map[string][]float64{}
	write := func(n int) {
		t.Helper()
		var r struct{ ID string }
		mustDecode(t, call(t, a, token, "POST", "/api/collections/ledger/records", fmt.Sprintf(`{"n": %d}`, n)), &r)
		want[r.ID] = []float64{float64(n)}
	}
	policy(`{"subject": "guest", "action": "list"}`)
	waitStatus(t, b, "/api/collections/ledger/records", 200)
	write(1)
	sub.waitFor(t, want)

	// Kill B's listening connection, and change things before it is back.
	var ok bool
	if err := conn.QueryRow(ctx, "SELECT pg_terminate_backend($1)", int(pid)).Scan(&ok); err != nil || !ok {
		t.Fatalf("terminate %d: %v %v", pid, ok, err)
	}
	policy("")
	write(2)
	mustListenOnce("node-b", pid)
	waitStatus(t, b, "/api/collections/ledger/records", 403)
	sub.waitFor(t, want)

	// Notifications reach B again.
	policy(`{"subject": "guest", "action": "list"}`)
	waitStatus(t, b, "/api/collections/ledger/records", 200)
	write(3)
	sub.waitFor(t, want)
	mustListenOnce("node-a", 0)
}

// withApplicationName returns dsn with the connections made to it called
// name.
func withApplicationName(t *testing.T, dsn, name string) string {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("application_name", name)
	u.RawQuery = q.Encode()
	return u.String()
}
