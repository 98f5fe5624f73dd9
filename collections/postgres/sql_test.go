package postgres_test

import (
	"context"
	"testing"

	"github.com/lumbunghq/lumbung/collections"
)

// Only the system runs SQL of its own (hooks' $app.db()): no caller's
// records can, a superuser's neither; values come back as scripts read
// them.
func TestSQLIsTheSystems(t *testing.T) {
	svc, _ := MustBlog(t)
	ctx := context.Background()
	for _, caller := range []collections.Caller{nil, collections.Unrestricted{AuthRecord: map[string]any{"id": "su1"}}} {
		if _, err := svc.RecordsAs(caller).SQL(ctx, "SELECT 1"); collections.ErrorCode(err) != collections.EFORBIDDEN {
			t.Errorf("%v: %v, want EFORBIDDEN", caller, err)
		}
	}
	rows, err := svc.SystemRecords().SQL(ctx, "SELECT $1::int AS n, 1.5::numeric AS d, '2026-01-02 03:04:05.678Z'::timestamptz AS t, NULL AS z", 7)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0]["n"] != int64(7) || rows[0]["d"] != 1.5 || rows[0]["t"] != "2026-01-02 03:04:05.678Z" || rows[0]["z"] != nil {
		t.Errorf("rows %#v", rows)
	}
}
