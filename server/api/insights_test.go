package api_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/lumbunghq/lumbung/server"
)

// insightsAnswer is the part of GET /api/insights/{c} the tests read.
type insightsAnswer struct {
	Statements  string
	Collections []struct {
		Name      string
		Rows      int64
		RowsExact bool
		TotalSize int64
		Sampled   int
		Indexes   []struct {
			Name            string
			Columns         []string
			Unique, Primary bool
			Scans           int64
			Unused          bool
			Definition      string
		}
		SlowLists []struct {
			Filter, Sort string
			Count        int
		}
		Suggestions []struct {
			Field   string
			Filters int
			Index   string
		}
	}
}

// explain returns PostgreSQL's plan of a query.
func explain(tb testing.TB, db *pgx.Conn, query string) string {
	tb.Helper()
	rows, err := db.Query(context.Background(), "EXPLAIN "+query)
	if err != nil {
		tb.Fatal(err)
	}
	lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		tb.Fatal(err)
	}
	return strings.Join(lines, "\n")
}

// TestInsightsSuggestIndex: lists filtering on an unindexed field many
// times make the insights suggest an index on it; the suggestion applied
// through the collection update (dry run first) creates the index, the
// same condition's plan then uses it, and the fresh index is listed as
// unused.
func TestInsightsSuggestIndex(t *testing.T) {
	var dsn string
	e := MustEnv(t, func(c *server.Config) { dsn = c.DatabaseURL })
	ctx := context.Background()
	db, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close(ctx) })

	e.MustJSON("POST", "/api/collections", "", `{"name": "tickets", "type": "base", "listRule": "",
		"fields": [{"name": "status", "type": "text"}, {"name": "n", "type": "number"}]}`, 200, nil)
	// Enough rows that an index pays, with statistics to know it.
	if _, err := db.Exec(ctx, `INSERT INTO tickets (id, status, n, created, updated)
		SELECT substr(md5(g::text), 1, 15), 's' || (g % 1000), g, now(), now() FROM generate_series(1, 20000) g`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(ctx, "ANALYZE tickets"); err != nil {
		t.Fatal(err)
	}
	const cond = `SELECT * FROM tickets AS r WHERE r.status = 's42'`
	if plan := explain(t, db, cond); !strings.Contains(plan, "Seq Scan") {
		t.Fatalf("before the index the plan is not a sequential scan:\n%s", plan)
	}

	// The workload: the same filter many times (as a guest, whom the
	// list rule admits), a sort on n only twice.
	for range 8 {
		e.MustJSON("GET", "/api/collections/tickets/records?perPage=5&filter="+url.QueryEscape("status = 's42'"), "-", "", 200, nil)
	}
	for range 2 {
		e.MustJSON("GET", "/api/collections/tickets/records?perPage=5&sort=-n", "-", "", 200, nil)
	}

	var got insightsAnswer
	e.MustJSON("GET", "/api/insights/tickets", "", "", 200, &got)
	if len(got.Collections) != 1 {
		t.Fatalf("collections %+v, want tickets only", got.Collections)
	}
	ti := got.Collections[0]
	if ti.Name != "tickets" || ti.Rows != 20000 || ti.TotalSize <= 0 || ti.Sampled != 10 {
		t.Errorf("tickets: %+v", ti)
	}
	if len(ti.SlowLists) != 2 || ti.SlowLists[0].Count+ti.SlowLists[1].Count != 10 {
		t.Errorf("slow lists %+v, want the filter and the sort", ti.SlowLists)
	}
	const want = "CREATE INDEX `idx_tickets_status` ON `tickets` (`status`)"
	if len(ti.Suggestions) != 1 || ti.Suggestions[0].Field != "status" || ti.Suggestions[0].Filters != 8 || ti.Suggestions[0].Index != want {
		t.Fatalf("suggestions %+v, want one on status (n is sorted on too rarely)", ti.Suggestions)
	}

	// Applied as the dashboard applies it: the collection's indexes with
	// the suggestion added, planned first.
	var col struct{ Indexes []string }
	e.MustJSON("GET", "/api/collections/tickets", "", "", 200, &col)
	body := jsonBody(t, map[string]any{"indexes": append(col.Indexes, ti.Suggestions[0].Index)})
	status, plan := e.Do("PATCH", "/api/collections/tickets?dryRun=1", "", body)
	if status != 200 || !strings.Contains(plan, `CREATE INDEX \"idx_tickets_status\"`) {
		t.Fatalf("dry run: %d %s", status, plan)
	}
	if p := explain(t, db, cond); !strings.Contains(p, "Seq Scan") {
		t.Fatalf("the dry run created the index:\n%s", p)
	}
	e.MustJSON("PATCH", "/api/collections/tickets", "", body, 200, nil)
	if p := explain(t, db, cond); !strings.Contains(p, "Index Scan using idx_tickets_status") && !strings.Contains(p, "Bitmap Index Scan on idx_tickets_status") {
		t.Fatalf("the plan does not use the suggested index:\n%s", p)
	}

	got = insightsAnswer{}
	e.MustJSON("GET", "/api/insights", "", "", 200, &got)
	var found bool
	for _, c := range got.Collections {
		if c.Name != "tickets" {
			continue
		}
		found = true
		if len(c.Suggestions) != 0 {
			t.Errorf("suggestions after the index: %+v", c.Suggestions)
		}
		var fresh, pkey bool
		for _, ix := range c.Indexes {
			switch {
			case ix.Name == "idx_tickets_status":
				fresh = ix.Scans == 0 && ix.Unused && !ix.Unique && ix.Definition == want && len(ix.Columns) == 1 && ix.Columns[0] == "status"
			case ix.Primary:
				pkey = !ix.Unused
			}
		}
		if !fresh || !pkey {
			t.Errorf("indexes %+v: want the fresh one unused with no scans, the primary key never unused", c.Indexes)
		}
	}
	if !found || (got.Statements != "sampled" && got.Statements != "pg_stat_statements") {
		t.Errorf("insights %+v", got)
	}
}

// TestInsightsAccess: only superusers read the insights; a view has no
// table, an unknown collection is a 404.
func TestInsightsAccess(t *testing.T) {
	e := MustEnv(t)
	MustUser(t, e, "user@example.com", "password123")
	user := MustSignIn(t, e, "users", "user@example.com", "password123")
	e.MustJSON("POST", "/api/collections", "", `{"name": "names", "type": "view", "viewQuery": "SELECT id, email FROM users"}`, 200, nil)
	e.Run(t, []scenario{
		{Name: "guest", Method: "GET", URL: "/api/insights", Token: "-", ExpectedStatus: 401},
		{Name: "user", Method: "GET", URL: "/api/insights", Token: user, ExpectedStatus: 403},
		{Name: "guest one", Method: "GET", URL: "/api/insights/users", Token: "-", ExpectedStatus: 401},
		{Name: "user one", Method: "GET", URL: "/api/insights/users", Token: user, ExpectedStatus: 403},
		{Name: "superuser", Method: "GET", URL: "/api/insights", ExpectedStatus: 200,
			ExpectedContent: []string{`"name":"users"`, `"name":"_superusers"`}, NotExpected: []string{`"name":"names"`}},
		{Name: "view", Method: "GET", URL: "/api/insights/names", ExpectedStatus: 400, ExpectedContent: []string{"View collections"}},
		{Name: "unknown", Method: "GET", URL: "/api/insights/nothing", ExpectedStatus: 404},
	})
}
