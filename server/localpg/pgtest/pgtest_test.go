package pgtest_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/lumbunghq/lumbung/server/localpg/pgtest"
)

func TestMain(m *testing.M) {
	pgtest.Main(m, func(ctx context.Context, dsn string) error {
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			return err
		}
		defer conn.Close(ctx)
		_, err = conn.Exec(ctx, "CREATE TABLE items (id serial PRIMARY KEY, name text NOT NULL); INSERT INTO items (name) VALUES ('seed')")
		return err
	})
}

// mustConnect connects to dsn and closes the connection at cleanup.
func mustConnect(tb testing.TB, dsn string) *pgx.Conn {
	tb.Helper()
	conn, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		tb.Fatalf("connect: %v", err)
	}
	tb.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// TestNewDBIsolated: parallel tests each get the migrated schema and seed
// data, and do not see one another's writes.
func TestNewDBIsolated(t *testing.T) {
	for i := range 4 {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			t.Parallel()
			conn := mustConnect(t, pgtest.NewDB(t))
			ctx := context.Background()
			if _, err := conn.Exec(ctx, "INSERT INTO items (name) VALUES ($1)", fmt.Sprint("test ", i)); err != nil {
				t.Fatal(err)
			}
			var n int
			if err := conn.QueryRow(ctx, "SELECT count(*) FROM items").Scan(&n); err != nil {
				t.Fatal(err)
			}
			if n != 2 {
				t.Fatalf("items = %d, want the seed row and this test's row", n)
			}
		})
	}
}

// TestNewDBDropped: the database is gone once its test ends, even with a
// connection left open.
func TestNewDBDropped(t *testing.T) {
	var dsn string
	t.Run("uses", func(t *testing.T) {
		dsn = pgtest.NewDB(t)
		conn, err := pgx.Connect(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close(context.Background()) }) // runs after the drop
	})
	_, err := pgx.Connect(context.Background(), dsn)
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "3D000" { // invalid_catalog_name
		t.Fatalf("connecting after the test ended: err = %v, want database does not exist", err)
	}
}
