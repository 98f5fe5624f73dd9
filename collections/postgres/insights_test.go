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

// Statements reads pg_stat_statements when the server loads it, and
// reports the extension missing (not an error) when it is installed but
// not loaded.
func TestInsightsStatements(t *testing.T) {
	_, _, db := MustDatabase(t)
	ctx := context.Background()
	in := postgres.NewInsights(db)
	if _, ok, err := in.Statements(ctx, "posts", 5); ok || err != nil {
		t.Fatalf("without the extension: ok %v, err %v", ok, err)
	}
	if _, err := db.Pool.Exec(ctx, "CREATE EXTENSION IF NOT EXISTS pg_stat_statements"); err != nil {
		// The test database's role may not create extensions, or the
		// server has no contrib modules: the path above is the one left.
		t.Skipf("pg_stat_statements cannot be installed here: %v", err)
	}
	var preload string
	if err := db.Pool.QueryRow(ctx, "SHOW shared_preload_libraries").Scan(&preload); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Pool.Exec(ctx, `CREATE TABLE posts (id text PRIMARY KEY); SELECT id FROM "posts" AS r WHERE id = 'x'`); err != nil {
		t.Fatal(err)
	}
	st, ok, err := in.Statements(ctx, "posts", 5)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(preload, "pg_stat_statements") {
		if ok {
			t.Errorf("the extension is not loaded, yet statements were read: %+v", st)
		}
		return
	}
	if !ok || len(st) == 0 || !strings.Contains(st[0].Query, `FROM "posts" AS r`) {
		t.Errorf("statements %v %+v", ok, st)
	}
}
