package postgres_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/lumbunghq/lumbung/collections"
	"github.com/lumbunghq/lumbung/collections/postgres"
)

var errRollback = errors.New("roll back")

// mustListener returns a connection of its own listening on the events
// channel; it is not one of the pool's, so its writes are not quiet.
func mustListener(tb testing.TB, db *postgres.DB) *pgx.Conn {
	tb.Helper()
	ctx := context.Background()
	conn, err := pgx.ConnectConfig(ctx, db.Pool.Config().ConnConfig.Copy())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { conn.Close(context.Background()) })
	if _, err := conn.Exec(ctx, "LISTEN "+postgres.EventsChannel); err != nil {
		tb.Fatal(err)
	}
	return conn
}

// notifications waits up to wait for each notification and returns how
// many arrived before one did not.
func notifications(conn *pgx.Conn, wait time.Duration) int {
	n := 0
	for {
		ctx, cancel := context.WithTimeout(context.Background(), wait)
		_, err := conn.WaitForNotification(ctx)
		cancel()
		if err != nil {
			return n
		}
		n++
	}
}

// Writes of Lumbung's pool do not NOTIFY from the trigger (a NOTIFY
// serializes committing transactions); the node announces them once after
// the commit. Every other writer notifies from the trigger.
func TestEventsAnnounced(t *testing.T) {
	t.Parallel()
	svc, _, db := MustEvents(t)
	ctx := context.Background()
	listener := mustListener(t, db)
	other := mustListener(t, db)                  // a plain SQL client
	notifications(listener, 500*time.Millisecond) // the announcement of the schema change, if not sent yet

	// A quiet write that nothing announces, then a plain one: notifications
	// arrive in commit order, so one arrives for both only if the quiet
	// write stayed quiet.
	if _, err := db.Pool.Exec(ctx, "INSERT INTO authors (id, name) VALUES ('quiet000000001', 'q')"); err != nil {
		t.Fatal(err)
	}
	if _, err := other.Exec(ctx, "INSERT INTO authors (id, name) VALUES ('plain000000001', 'p')"); err != nil {
		t.Fatal(err)
	}
	if n := notifications(listener, 500*time.Millisecond); n != 1 {
		t.Fatalf("%d notifications for a quiet and a plain write, want 1", n)
	}

	// Writes through the record store are announced after they commit:
	// once for a transaction, whatever it changed, and never for one rolled
	// back.
	authors, _ := svc.Collection("authors")
	recs := svc.SystemRecords()
	if _, err := recs.Create(ctx, authors, map[string]any{"name": "ann"}); err != nil {
		t.Fatal(err)
	}
	wait, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, err := listener.WaitForNotification(wait); err != nil {
		t.Fatalf("a create was not announced: %v", err)
	}
	notifications(listener, 300*time.Millisecond) // the rest of a coalesced burst, if any
	err := svc.InTx(ctx, func(tx *collections.Records) error {
		if _, err := tx.Create(ctx, authors, map[string]any{"name": "bob"}); err != nil {
			return err
		}
		return errRollback
	})
	if err != errRollback {
		t.Fatal(err)
	}
	if n := notifications(listener, 500*time.Millisecond); n != 0 {
		t.Fatalf("%d notifications for a rolled back write", n)
	}
}
