package postgres_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/lumbunghq/lumbung/collections"
	"github.com/lumbunghq/lumbung/collections/postgres"
	"github.com/lumbunghq/lumbung/server/localpg/pgtest"
)

// MustRequestLogs returns the request log of a fresh database.
func MustRequestLogs(tb testing.TB) *postgres.RequestLogs {
	tb.Helper()
	db, err := postgres.Open(context.Background(), pgtest.NewDB(tb), 4)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(db.Close)
	return postgres.NewRequestLogs(db)
}

// TestRequestLogsQuery: filters and sorts over the log's fields, as the
// filter language compiles them, with the retention applied to every read.
func TestRequestLogsQuery(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := MustRequestLogs(t)
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	entries := []collections.LogEntry{
		{ID: "a", Created: t0, Method: "GET", URL: "/api/health", Status: 200, ExecTime: 1.5, IP: "10.0.0.1"},
		{ID: "b", Created: t0, Method: "POST", URL: "/api/collections", Status: 400, ExecTime: 3, Auth: "_superusers", AuthID: "s1"},
		{ID: "c", Created: t0.Add(90 * time.Second), Method: "GET", URL: "/api/x?q='; DROP TABLE _logs; --", Status: 404, ExecTime: 0.25},
		{ID: "d", Created: t0.Add(-48 * time.Hour), Method: "GET", URL: "/old", Status: 500},
	}
	if err := s.AddLogs(ctx, entries); err != nil {
		t.Fatal(err)
	}
	if err := s.AddLogs(ctx, entries[:1]); err != nil { // a batch written again adds nothing
		t.Fatal(err)
	}
	keep := collections.LogRetention{After: t0.Add(-24 * time.Hour)}
	ids := func(items []collections.LogEntry) string {
		var out []string
		for _, e := range items {
			out = append(out, e.ID)
		}
		return strings.Join(out, " ")
	}
	for _, tc := range []struct {
		name, filter, sort string
		keep               collections.LogRetention
		want               string
		total              int
	}{
		{name: "newest first, same instant in written order reversed", keep: keep, want: "c b a", total: 3},
		{name: "sort", keep: keep, sort: "-execTime", want: "b a c", total: 3},
		{name: "sort ties in written order", keep: keep, sort: "created", want: "a b c", total: 3},
		{name: "level", keep: keep, filter: "level = 8", sort: "status", want: "b c", total: 2},
		{name: "text and number", keep: keep, filter: "method = 'GET' && status < 300", want: "a", total: 1},
		{name: "like", keep: keep, filter: "url ~ 'DROP TABLE'", want: "c", total: 1},
		{name: "auth", keep: keep, filter: "auth = '_superusers' && authId = 's1'", want: "b", total: 1},
		{name: "empty ip", keep: keep, filter: "ip = ''", sort: "created", want: "b c", total: 2},
		{name: "date", keep: keep, filter: "created > '2026-03-01 12:01:00.000Z'", want: "c", total: 1},
		{name: "min level", keep: collections.LogRetention{MinLevel: 4, After: keep.After}, sort: "created", want: "b c", total: 2},
		{name: "older kept", keep: collections.LogRetention{After: t0.Add(-72 * time.Hour)}, sort: "created", want: "d a b c", total: 4},
		{name: "id, as in PocketBase", keep: keep, filter: "id = 'b'", want: "b", total: 1},
		{name: "none", keep: collections.LogRetention{None: true}, want: "", total: 0},
	} {
		got, total, err := s.Logs(ctx, collections.LogQuery{Keep: tc.keep, Filter: tc.filter, Sort: tc.sort, Now: t0, Limit: 10})
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if ids(got) != tc.want || total != tc.total {
			t.Errorf("%s: %q of %d, want %q of %d", tc.name, ids(got), total, tc.want, tc.total)
		}
	}
	page, total, err := s.Logs(ctx, collections.LogQuery{Keep: keep, Sort: "created", Offset: 1, Limit: 1})
	if err != nil || ids(page) != "b" || total != 3 {
		t.Errorf("second page: %q of %d, %v", ids(page), total, err)
	}
	for _, bad := range []collections.LogQuery{{Filter: "secret = 1"}, {Filter: "status >"}, {Sort: "nope"}} {
		bad.Keep, bad.Limit = keep, 10
		if _, _, err := s.Logs(ctx, bad); collections.ErrorCode(err) != collections.EINVALID {
			t.Errorf("%+v: %v, want EINVALID", bad, err)
		}
	}
	stats, err := s.LogStats(ctx, collections.LogQuery{Keep: keep})
	if err != nil || len(stats) != 2 || !stats[0].Minute.Equal(t0) || stats[0].Total != 2 ||
		!stats[1].Minute.Equal(t0.Add(time.Minute)) || stats[1].Total != 1 {
		t.Errorf("stats: %+v, %v", stats, err)
	}
	if e, err := s.Log(ctx, "b", keep); err != nil || e.Status != 400 || e.AuthID != "s1" || !e.Created.Equal(t0) {
		t.Errorf("entry b: %+v, %v", e, err)
	}
	if _, err := s.Log(ctx, "d", keep); collections.ErrorCode(err) != collections.ENOTFOUND {
		t.Errorf("entry d, no longer kept: %v", err)
	}

	// Pruning deletes what the retention does not keep, once.
	for _, step := range []struct {
		keep collections.LogRetention
		n    int64
	}{{keep, 1}, {keep, 0}, {collections.LogRetention{MinLevel: 4, After: keep.After}, 1}, {collections.LogRetention{None: true}, 2}} {
		if n, err := s.PruneLogs(ctx, step.keep); err != nil || n != step.n {
			t.Errorf("prune %+v: %d, %v; want %d", step.keep, n, err, step.n)
		}
	}
	if _, err := s.Log(ctx, "b", collections.LogRetention{}); collections.ErrorCode(err) != collections.ENOTFOUND {
		t.Errorf("entry b after pruning everything: %v", err)
	}
}
