package postgres_test

import (
	"context"
	"testing"

	"github.com/lumbunghq/lumbung/collections/postgres"
	"github.com/lumbunghq/lumbung/server/localpg/pgtest"
)

// The pool's sessions are quiet (no NOTIFY from the capture trigger) and
// commit durably unless AsyncCommit asks otherwise.
func TestOpenSessionSettings(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := pgtest.NewDB(t)
	// The test server itself runs with synchronous_commit off: what the
	// pool sets shows as the setting's source.
	for _, c := range []struct {
		opts    postgres.Options
		session bool // whether the pool sets it
	}{
		{postgres.Options{MaxConns: 2}, false},
		{postgres.Options{MaxConns: 2, AsyncCommit: true}, true},
	} {
		db, err := postgres.OpenWith(ctx, url, c.opts)
		if err != nil {
			t.Fatal(err)
		}
		var quiet, sync, source string
		err = db.Pool.QueryRow(ctx, `SELECT current_setting('lumbung.quiet'), setting, source
			FROM pg_settings WHERE name = 'synchronous_commit'`).Scan(&quiet, &sync, &source)
		db.Close()
		if err != nil {
			t.Fatal(err)
		}
		if quiet != "on" || (source == "session") != c.session || (c.session && sync != "off") {
			t.Errorf("%+v: lumbung.quiet %q, synchronous_commit %q from %q", c.opts, quiet, sync, source)
		}
	}
}
