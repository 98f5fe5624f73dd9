package postgres_test

import (
	"context"
	"encoding/json"
	"os"
	"testing"

	"github.com/lumbunghq/lumbung/collections"
	"github.com/lumbunghq/lumbung/collections/postgres"
	"github.com/lumbunghq/lumbung/server/localpg/pgtest"
)

// TestSchemaTx: plans made in a schema transaction see the tables the
// plans applied before them created; nothing is stored before Commit, and
// Rollback undoes everything.
func TestSchemaTx(t *testing.T) {
	t.Parallel()
	svc, schema := MustStores(t)
	ctx := context.Background()
	authors := mustCollection(t, authorsJSON)
	if err := collections.Normalize(svc, nil, authors); err != nil {
		t.Fatal(err)
	}
	view := mustCollection(t, `{"name": "names", "type": "view", "viewQuery": "SELECT id, name FROM authors"}`)
	if err := collections.Normalize(svc, nil, view); err != nil {
		t.Fatal(err)
	}
	for _, commit := range []bool{false, true} {
		tx, err := schema.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []*collections.Collection{authors.Clone(), view.Clone()} {
			plan, err := tx.Plan(ctx, collections.Change{New: c, Schema: staticSchema{authors, view}})
			if err != nil {
				t.Fatalf("commit=%v: plan %s: %v", commit, c.Name, err)
			}
			if err := tx.Apply(ctx, plan); err != nil {
				t.Fatalf("commit=%v: apply %s: %v", commit, c.Name, err)
			}
		}
		if commit {
			err = tx.Commit(ctx)
		} else {
			err = tx.Rollback(ctx)
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := tx.Rollback(ctx); err != nil {
			t.Fatalf("a second Rollback: %v", err)
		}
		if err := svc.Reload(ctx); err != nil {
			t.Fatal(err)
		}
		_, ok := svc.Collection("names")
		if ok != commit {
			t.Fatalf("commit=%v: the view exists: %v", commit, ok)
		}
	}
	if _, err := svc.PreviewView(ctx, "SELECT id, name FROM names"); err != nil {
		t.Fatalf("the committed view: %v", err)
	}
}

// staticSchema finds collections in a list.
type staticSchema []*collections.Collection

func (s staticSchema) Collection(idOrName string) (*collections.Collection, bool) {
	for _, c := range s {
		if c.ID == idOrName || c.Name == idOrName {
			return c, true
		}
	}
	return nil, false
}

// TestMultiRelationTriggerNames: the maintenance triggers of multi-relation
// fields carry the collection id; the migration renames triggers named
// after the field id alone, so they are found and dropped as before.
func TestMultiRelationTriggerNames(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, err := postgres.Open(ctx, pgtest.NewDB(t), 2)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	svc := collections.NewService(collections.Config{Schema: postgres.NewSchemaStore(db), Records: postgres.NewRecordStore(db, nil)})
	if err := svc.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	for _, js := range []string{authorsJSON, postsJSON} {
		if _, err := svc.CreateCollection(ctx, mustCollection(t, js), collections.SaveOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	const want = "mrel_pbc_posts00001_relation_editors"
	name := func() string {
		var n string
		if err := db.Pool.QueryRow(ctx, "SELECT tgname FROM pg_trigger WHERE tgfoid = '_multi_relation_on_delete'::regproc").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if got := name(); got != want {
		t.Fatalf("trigger %q, want %q", got, want)
	}
	// A database made before: the trigger is named after the field id.
	if _, err := db.Pool.Exec(ctx, `ALTER TRIGGER "`+want+`" ON authors RENAME TO "mrel_relation_editors"`); err != nil {
		t.Fatal(err)
	}
	migration, err := os.ReadFile("migrations/20261207000001_multi_relation_trigger_names.tx.up.sql")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Pool.Exec(ctx, string(migration)); err != nil {
		t.Fatalf("migration: %v", err)
	}
	if got := name(); got != want {
		t.Fatalf("after the migration: trigger %q, want %q", got, want)
	}
	// Dropping the field drops the renamed trigger.
	posts, _ := svc.Collection("posts")
	var fields []any
	for _, f := range posts.Fields {
		if f.Name != "editors" {
			fields = append(fields, f)
		}
	}
	if _, _, err := svc.UpdateCollection(ctx, "posts", mustJSON(t, map[string]any{"fields": fields}), collections.SaveOptions{}); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := db.Pool.QueryRow(ctx, "SELECT count(*) FROM pg_trigger WHERE tgfoid = '_multi_relation_on_delete'::regproc").Scan(&n); err != nil || n != 0 {
		t.Fatalf("triggers left after the field went: %d (%v)", n, err)
	}
}

func mustJSON(tb testing.TB, v any) []byte {
	tb.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}
