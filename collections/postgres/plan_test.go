package postgres_test

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lumbunghq/lumbung/collections"
	"github.com/lumbunghq/lumbung/collections/postgres"
	"github.com/lumbunghq/lumbung/server/localpg/pgtest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func TestMain(m *testing.M) {
	pgtest.Main(m, postgres.MigrateURL)
}

// MustService returns a collections service on a fresh database.
func MustService(tb testing.TB) *collections.Service {
	svc, _ := MustStores(tb)
	return svc
}

// MustStores returns a collections service and its schema store on a fresh
// database.
func MustStores(tb testing.TB) (*collections.Service, *postgres.SchemaStore) {
	tb.Helper()
	svc, schema, _ := MustDatabase(tb)
	return svc, schema
}

// MustDatabase returns a collections service on a fresh database
// (passwords "hashed" as "hash:<password>"), its schema store and its pool.
func MustDatabase(tb testing.TB) (*collections.Service, *postgres.SchemaStore, *postgres.DB) {
	tb.Helper()
	db, err := postgres.Open(context.Background(), pgtest.NewDB(tb), 8)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(db.Close)
	schema := postgres.NewSchemaStore(db)
	svc := collections.NewService(collections.Config{
		Schema:       schema,
		Records:      postgres.NewRecordStore(db, nil),
		HashPassword: func(p string) (string, error) { return "hash:" + p, nil },
	})
	if err := svc.Reload(context.Background()); err != nil {
		tb.Fatal(err)
	}
	return svc, schema, db
}

func mustCollection(tb testing.TB, js string) *collections.Collection {
	tb.Helper()
	var c collections.Collection
	if err := json.Unmarshal([]byte(js), &c); err != nil {
		tb.Fatalf("collection JSON: %v", err)
	}
	return &c
}

// golden compares got with testdata/name, or rewrites it with -update.
func golden(tb testing.TB, name, got string) {
	tb.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			tb.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		tb.Fatalf("%v (run with -update to create it)", err)
	}
	if string(want) != got {
		tb.Errorf("%s differs from the golden file:\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

func describe(plans ...*collections.Plan) string {
	var b strings.Builder
	for _, p := range plans {
		for _, st := range p.Steps {
			fmt.Fprintf(&b, "-- %s", st.Description)
			if st.Impact != "" {
				fmt.Fprintf(&b, " [%s]", st.Impact)
			}
			fmt.Fprintf(&b, "\n%s;\n", st.SQL)
		}
		for _, bl := range p.Blocked {
			fmt.Fprintf(&b, "-- BLOCKED: %s\n", bl)
		}
	}
	return b.String()
}

const authorsJSON = `{"id": "pbc_authors001", "name": "authors", "fields": [
	{"id": "text_name", "name": "name", "type": "text", "required": true},
	{"id": "autodate_created", "name": "created", "type": "autodate", "onCreate": true},
	{"id": "autodate_updated", "name": "updated", "type": "autodate", "onCreate": true, "onUpdate": true}]}`

const postsJSON = `{"id": "pbc_posts00001", "name": "posts", "fields": [
	{"id": "text_title", "name": "title", "type": "text", "required": true},
	{"id": "editor_body", "name": "body", "type": "editor"},
	{"id": "number_views", "name": "views", "type": "number"},
	{"id": "bool_live", "name": "live", "type": "bool"},
	{"id": "email_contact", "name": "contact", "type": "email"},
	{"id": "url_site", "name": "site", "type": "url"},
	{"id": "date_when", "name": "when", "type": "date"},
	{"id": "select_status", "name": "status", "type": "select", "values": ["a", "b"]},
	{"id": "select_tags", "name": "tags", "type": "select", "values": ["x", "y", "z"], "maxSelect": 3},
	{"id": "json_meta", "name": "meta", "type": "json"},
	{"id": "relation_author", "name": "author", "type": "relation", "collectionId": "pbc_authors001", "cascadeDelete": true},
	{"id": "relation_editors", "name": "editors", "type": "relation", "collectionId": "pbc_authors001", "maxSelect": 9},
	{"id": "autodate_created", "name": "created", "type": "autodate", "onCreate": true},
	{"id": "autodate_updated", "name": "updated", "type": "autodate", "onCreate": true, "onUpdate": true}],
	"indexes": ["CREATE UNIQUE INDEX idx_title ON posts (title COLLATE NOCASE)", "CREATE INDEX idx_views ON posts (views DESC, live)"]}`

func TestPlanCreate(t *testing.T) {
	t.Parallel()
	svc := MustService(t)
	ctx := context.Background()
	if _, err := svc.CreateCollection(ctx, mustCollection(t, authorsJSON), collections.SaveOptions{}); err != nil {
		t.Fatal(err)
	}
	plan, err := svc.CreateCollection(ctx, mustCollection(t, postsJSON), collections.SaveOptions{DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "plan_create.sql", describe(plan))
	if _, ok := svc.Collection("posts"); ok {
		t.Fatal("a dry run created the collection")
	}
}

func TestPlanUpdate(t *testing.T) {
	t.Parallel()
	svc := MustService(t)
	ctx := context.Background()
	recs := svc.SystemRecords()
	for _, js := range []string{authorsJSON, postsJSON} {
		if _, err := svc.CreateCollection(ctx, mustCollection(t, js), collections.SaveOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	posts, _ := svc.Collection("posts")
	for _, title := range []string{"one", "two", "three"} {
		if _, err := recs.Create(ctx, posts, map[string]any{"title": title, "views": 3, "contact": title + "@example.com"}); err != nil {
			t.Fatal(err)
		}
	}
	// Rename a field and the collection, change types (one lossy), drop a
	// field, add a field, retarget a relation to single, change an index.
	patch := `{"name": "articles", "fields": [
		{"id": "text_title", "name": "headline", "type": "text", "required": true},
		{"id": "editor_body", "name": "body", "type": "editor"},
		{"id": "number_views", "name": "views", "type": "text"},
		{"id": "bool_live", "name": "live", "type": "bool"},
		{"id": "email_contact", "name": "contact", "type": "number"},
		{"id": "date_when", "name": "when", "type": "date"},
		{"id": "select_status", "name": "status", "type": "select", "values": ["a", "b"], "maxSelect": 2},
		{"id": "select_tags", "name": "tags", "type": "select", "values": ["x", "y", "z"], "maxSelect": 3},
		{"id": "json_meta", "name": "meta", "type": "json"},
		{"id": "relation_author", "name": "author", "type": "relation", "collectionId": "pbc_authors001"},
		{"id": "relation_editors", "name": "editors", "type": "relation", "collectionId": "pbc_authors001", "maxSelect": 1},
		{"id": "number_rank", "name": "rank", "type": "number"},
		{"id": "autodate_created", "name": "created", "type": "autodate", "onCreate": true},
		{"id": "autodate_updated", "name": "updated", "type": "autodate", "onCreate": true, "onUpdate": true}],
		"indexes": ["CREATE UNIQUE INDEX idx_title ON articles (headline COLLATE NOCASE)", "CREATE INDEX idx_views ON articles (live)"]}`
	plan, _, err := svc.UpdateCollection(ctx, "posts", json.RawMessage(patch), collections.SaveOptions{DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "plan_update.sql", describe(plan))
	if len(plan.Blocked) != 1 || !strings.Contains(plan.Blocked[0], "3 record(s)") {
		t.Fatalf("blocked: %v", plan.Blocked)
	}
	if _, _, err := svc.UpdateCollection(ctx, "posts", json.RawMessage(patch), collections.SaveOptions{}); collections.ErrorCode(err) != collections.EINVALID {
		t.Fatalf("lossy change without permission: %v", err)
	}
	if _, _, err := svc.UpdateCollection(ctx, "posts", json.RawMessage(patch), collections.SaveOptions{AllowDataLoss: true}); err != nil {
		t.Fatalf("apply: %v", err)
	}
	articles, _ := svc.Collection("articles")
	page, err := recs.List(ctx, articles, collections.Query{Sort: "headline"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range page.Items {
		got = append(got, fmt.Sprintf("%v/%v/%v", r.Data["headline"], r.Data["views"], r.Data["contact"]))
	}
	if strings.Join(got, " ") != "one/3/0 three/3/0 two/3/0" {
		t.Fatalf("records after the change: %v", got)
	}
}

func TestPlanDropAndTruncate(t *testing.T) {
	t.Parallel()
	svc := MustService(t)
	ctx := context.Background()
	for _, js := range []string{authorsJSON, postsJSON} {
		if _, err := svc.CreateCollection(ctx, mustCollection(t, js), collections.SaveOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	trunc, err := svc.TruncateCollection(ctx, "posts", collections.SaveOptions{DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	drop, err := svc.DeleteCollection(ctx, "posts", collections.SaveOptions{DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "plan_drop.sql", describe(trunc, drop))
	if _, err := svc.DeleteCollection(ctx, "authors", collections.SaveOptions{}); collections.ErrorCode(err) != collections.EINVALID {
		t.Fatalf("dropping a referenced collection: %v", err)
	}
	if _, err := svc.DeleteCollection(ctx, "posts", collections.SaveOptions{}); err != nil {
		t.Fatal(err)
	}
	// The multi-relation trigger left with the collection: deleting an
	// author must still work.
	authors, _ := svc.Collection("authors")
	a, err := svc.SystemRecords().Create(ctx, authors, map[string]any{"name": "x"})
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.SystemRecords().Delete(ctx, authors, a.ID()); err != nil {
		t.Fatalf("delete after the referencing collection was dropped: %v", err)
	}
}

// TestFailedChangeLeavesNothing: when a step fails at apply time (a unique
// index over duplicates, as if they were written between plan and apply),
// every earlier step and the definition roll back with it.
func TestFailedChangeLeavesNothing(t *testing.T) {
	t.Parallel()
	svc, schema := MustStores(t)
	ctx := context.Background()
	if _, err := svc.CreateCollection(ctx, mustCollection(t, authorsJSON), collections.SaveOptions{}); err != nil {
		t.Fatal(err)
	}
	authors, _ := svc.Collection("authors")
	for i := 0; i < 2; i++ {
		if _, err := svc.SystemRecords().Create(ctx, authors, map[string]any{"name": "same"}); err != nil {
			t.Fatal(err)
		}
	}
	// Adds a field (step 1) and a unique index that cannot be built (step 2).
	patch := `{"fields": [
		{"id": "text_name", "name": "name", "type": "text"},
		{"id": "text_bio", "name": "bio", "type": "text"},
		{"id": "autodate_created", "name": "created", "type": "autodate", "onCreate": true},
		{"id": "autodate_updated", "name": "updated", "type": "autodate", "onCreate": true, "onUpdate": true}],
		"indexes": ["CREATE UNIQUE INDEX idx_name ON authors (name)"]}`
	plan, _, err := svc.UpdateCollection(ctx, "authors", json.RawMessage(patch), collections.SaveOptions{DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	plan.Blocked = nil // force the apply to reach the failing step
	if err := schema.Apply(ctx, plan); collections.ErrorCode(err) != collections.EINVALID {
		t.Fatalf("apply over duplicates: %v", err)
	}
	if err := svc.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	authors, _ = svc.Collection("authors")
	if _, ok := authors.Field("bio"); ok {
		t.Fatal("the definition kept a field of a failed change")
	}
	if _, err := svc.SystemRecords().Create(ctx, authors, map[string]any{"name": "same"}); err != nil {
		t.Fatalf("table changed by a failed change: %v", err)
	}
}
