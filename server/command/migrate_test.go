package command

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lumbunghq/lumbung/collections"
	"github.com/lumbunghq/lumbung/collections/postgres"
	"github.com/lumbunghq/lumbung/plugins"
	"github.com/lumbunghq/lumbung/server/localpg/pgtest"
)

func TestMain(m *testing.M) {
	pgtest.Main(m, postgres.MigrateURL)
}

// A Go migration of the test binary, between the JS files of
// TestMigrateCommands (which create "notes" before it and give it a
// field after it): a record written into the collection an earlier JS
// migration made. Other tests of the package do not have those files,
// and on their databases it does nothing.
func init() {
	plugins.RegisterMigration("1700000002_go_seed_notes",
		func(ctx context.Context, sb *collections.SchemaBatch) error {
			c, ok := sb.Collection("notes")
			if !ok {
				return nil
			}
			_, err := sb.Records().Create(ctx, c, map[string]any{"id": "seededbygo0000x", "text": "from Go"})
			return err
		},
		func(ctx context.Context, sb *collections.SchemaBatch) error {
			c, ok := sb.Collection("notes")
			if !ok {
				return nil
			}
			return sb.Records().Delete(ctx, c, "seededbygo0000x")
		})
}

// TestMigrateCommands: migrate create writes an empty migration; up
// applies JS files and the Go migration in the order of their names,
// history lists them, down N reverts the last N; collections writes a
// snapshot recorded as applied; mistakes print the usage.
func TestMigrateCommands(t *testing.T) {
	dir := t.TempDir()
	dsn := pgtest.NewDB(t)
	run := func(args ...string) (string, error) {
		t.Helper()
		var stdout, stderr bytes.Buffer
		err := Run(append(args, "--dir", dir, "--database-url", dsn, "--log-format", "json"), &stdout, &stderr)
		return stdout.String(), err
	}
	must := func(want string, args ...string) string {
		t.Helper()
		out, err := run(args...)
		if err != nil || !strings.Contains(out, want) {
			t.Fatalf("%q: %q %v, want %q", args, out, err, want)
		}
		return out
	}
	out := must("created", "migrate", "create", "add_things")
	path := strings.TrimSuffix(strings.TrimPrefix(out, "migration "), " created\n")
	if filepath.Dir(path) != filepath.Join(dir, "migrations") || !strings.HasSuffix(path, "_add_things.js") {
		t.Fatalf("created %q", path)
	}
	src, err := os.ReadFile(path)
	if err != nil || !strings.Contains(string(src), "migrate((app) => {") {
		t.Fatalf("%s: %q %v", path, src, err)
	}
	// The empty migration applies (and does nothing); the two JS files
	// around the Go one apply in order.
	files := map[string]string{
		"1700000001_create_notes.js": `migrate((app) => {
  app.save(new Collection({ name: "notes", fields: [new TextField({ name: "text" })] }))
}, (app) => {
  app.delete(app.findCollectionByNameOrId("notes"))
})`,
		"1700000003_notes_pinned.js": `migrate((app) => {
  const c = app.findCollectionByNameOrId("notes")
  c.fields.add(new BoolField({ name: "pinned" }))
  app.save(c)
  const seeded = app.findRecordById("notes", "seededbygo0000x")
  seeded.set("pinned", true)
  app.save(seeded)
}, (app) => {
  const c = app.findCollectionByNameOrId("notes")
  c.fields.removeByName("pinned")
  app.save(c)
})`,
	}
	for name, src := range files {
		if err := os.WriteFile(filepath.Join(dir, "migrations", name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out = must("applied 1700000001_create_notes.js\napplied 1700000002_go_seed_notes\napplied 1700000003_notes_pinned.js\napplied "+filepath.Base(path), "migrate", "up")
	must("no migrations to apply", "migrate")
	out = must("NAME", "migrate", "history")
	if strings.Count(out, "\n") != 5 || strings.Contains(out, "pending") {
		t.Fatalf("history:\n%s", out)
	}
	must("reverted "+filepath.Base(path)+"\nreverted 1700000003_notes_pinned.js\nreverted 1700000002_go_seed_notes\n", "migrate", "down", "3")
	out = must("1700000001_create_notes.js", "migrate", "history")
	if strings.Count(out, "pending") != 3 {
		t.Fatalf("history after down 3:\n%s", out)
	}
	must("reverted 1700000001_create_notes.js", "migrate", "down")
	must("no migrations to revert", "migrate", "down")
	// A snapshot of the schema as it is, recorded as applied.
	out = must("_collections_snapshot.js created", "migrate", "collections")
	if out = must("NAME", "migrate", "history"); !strings.Contains(out, "_collections_snapshot.js  2") {
		t.Fatalf("history after a snapshot:\n%s", out)
	}
	for _, args := range [][]string{{"migrate", "sideways"}, {"migrate", "create"}, {"migrate", "down", "1", "2"}, {"migrate", "history", "x"}, {"migrate", "collections", "x"}} {
		if _, err := run(args...); err == nil || !strings.Contains(err.Error(), "usage: lumbung migrate") {
			t.Errorf("%q: %v", args, err)
		}
	}
	if _, err := run("migrate", "down", "zero"); err == nil || !strings.Contains(err.Error(), "down N") {
		t.Errorf("down zero: %v", err)
	}
	if _, err := run("migrate", "create", "Bad Name"); err == nil || !strings.Contains(err.Error(), "lowercase") {
		t.Errorf("a bad name: %v", err)
	}
}
