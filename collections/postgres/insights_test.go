package postgres_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/lumbunghq/lumbung/collections/postgres"
)

// Tables reads a table's figures and indexes (a mixed-case name, an
// expression index, the primary key), counts small tables exactly, and
// leaves out names without a table.
func TestInsightsTables(t *testing.T) {
	_, _, db := MustDatabase(t)
	ctx := context.Background()
	if _, err := db.Pool.Exec(ctx, `CREATE TABLE "Posts" (id text PRIMARY KEY, title text NOT NULL DEFAULT '');
		CREATE INDEX idx_title ON "Posts" (title);
		CREATE UNIQUE INDEX idx_lower ON "Posts" (lower(title), id);
		INSERT INTO "Posts" SELECT 'p' || g, 't' || g FROM generate_series(1, 3) g;
		DELETE FROM "Posts" WHERE id = 'p3'`); err != nil {
		t.Fatal(err)
	}
	got, err := postgres.NewInsights(db).Tables(ctx, []string{"Posts", "missing"})
	if err != nil {
		t.Fatal(err)
	}
	p, ok := got["Posts"]
	if len(got) != 1 || !ok {
		t.Fatalf("tables %v, want Posts only", got)
	}
	if p.Rows != 2 || !p.RowsExact || p.TotalBytes < p.TableBytes || p.IndexBytes <= 0 {
		t.Errorf("Posts: %+v", p)
	}
	var names []string
	for _, ix := range p.Indexes {
		names = append(names, ix.Name)
		switch ix.Name {
		case "Posts_pkey":
			if !ix.Primary || !ix.Unique || !slices.Equal(ix.Columns, []string{"id"}) {
				t.Errorf("primary key: %+v", ix)
			}
		case "idx_title":
			if ix.Unique || ix.Primary || ix.Scans != 0 || ix.Bytes <= 0 || !slices.Equal(ix.Columns, []string{"title"}) {
				t.Errorf("idx_title: %+v", ix)
			}
		case "idx_lower":
			if !ix.Unique || !slices.Equal(ix.Columns, []string{"(lower(title))", "id"}) {
				t.Errorf("idx_lower: %+v", ix)
			}
		}
	}
	if !slices.Equal(names, []string{"Posts_pkey", "idx_lower", "idx_title"}) {
		t.Errorf("indexes %v", names)
	}
}

// Statements reads pg_stat_statements: the slowest statements reading a
// collection's table. The embedded PostgreSQL loads and installs it; a
// server without it answers ok false, not an error.
func TestInsightsStatements(t *testing.T) {
	_, _, db := MustDatabase(t)
	ctx := context.Background()
	in := postgres.NewInsights(db)
	var installed bool
	if err := db.Pool.QueryRow(ctx, "SELECT to_regclass('pg_stat_statements') IS NOT NULL").Scan(&installed); err != nil {
		t.Fatal(err)
	}
	if !installed {
		if _, ok, err := in.Statements(ctx, "posts", 5); ok || err != nil {
			t.Fatalf("without the extension: ok %v, err %v", ok, err)
		}
		t.Skip("the test server (DATABASE_URL) has no pg_stat_statements: insights show sampled timings, tested above")
	}
	if _, err := db.Pool.Exec(ctx, `CREATE TABLE posts (id text PRIMARY KEY); CREATE TABLE other (id text PRIMARY KEY)`); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`SELECT id FROM "posts" AS r WHERE id = $1`, `SELECT id FROM "other" AS r WHERE id = $1`} {
		if _, err := db.Pool.Exec(ctx, q, "x"); err != nil {
			t.Fatal(err)
		}
	}
	st, ok, err := in.Statements(ctx, "posts", 5)
	if err != nil {
		t.Fatal(err)
	}
	if !ok {
		t.Skip("the test server (DATABASE_URL) has pg_stat_statements installed but not loaded (shared_preload_libraries): insights show sampled timings")
	}
	var posts bool
	for _, s := range st {
		if strings.Contains(s.Query, `"other"`) {
			t.Errorf("a statement of another table: %+v", s)
		}
		posts = posts || strings.Contains(s.Query, `FROM "posts" AS r WHERE id = $1`)
	}
	if !posts {
		t.Errorf("the read of posts is not among %+v", st)
	}
}
