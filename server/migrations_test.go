package server_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	_ "github.com/lumbunghq/lumbung/plugins/jsvm" // reads the JS migrations
	"github.com/lumbunghq/lumbung/server"
	"github.com/lumbunghq/lumbung/server/localpg/pgtest"
)

// pbMigrations are migrations written as PocketBase documents them (and
// as its automigrate writes them): a superuser made, a collection
// created from its JSON, a field added, a record inserted.
var pbMigrations = map[string]string{
	"1700000000_init_superuser.js": `/// <reference path="../pb_data/types.d.ts" />
migrate((app) => {
  let superusers = app.findCollectionByNameOrId("_superusers")

  let record = new Record(superusers)

  // note: the values can be eventually loaded via $os.getenv(key)
  // or from a special local config file
  record.set("email", "first@example.com")
  record.set("password", "1234567890")

  app.save(record)
}, (app) => { // optional revert operation
  try {
    let record = app.findAuthRecordByEmail("_superusers", "first@example.com")
    app.delete(record)
  } catch {
    // silent errors (probably already deleted)
  }
})
`,
	"1700000001_created_posts.js": `/// <reference path="../pb_data/types.d.ts" />
migrate((app) => {
  const collection = new Collection({
    "createRule": null,
    "deleteRule": null,
    "fields": [
      {"autogeneratePattern": "[a-z0-9]{15}", "hidden": false, "id": "text3208210256", "max": 15, "min": 15, "name": "id",
       "pattern": "^[a-z0-9]+$", "presentable": false, "primaryKey": true, "required": true, "system": true, "type": "text"},
      {"autogeneratePattern": "", "hidden": false, "id": "text724990059", "max": 0, "min": 0, "name": "title",
       "pattern": "", "presentable": false, "primaryKey": false, "required": true, "system": false, "type": "text"},
      {"hidden": false, "id": "autodate2990389176", "name": "created", "onCreate": true, "onUpdate": false, "presentable": false, "system": false, "type": "autodate"},
      {"hidden": false, "id": "autodate3332085495", "name": "updated", "onCreate": true, "onUpdate": true, "presentable": false, "system": false, "type": "autodate"}
    ],
    "id": "pbc_1125843985",
    "indexes": ["CREATE UNIQUE INDEX ` + "`" + `idx_posts_title` + "`" + ` ON ` + "`" + `posts` + "`" + ` (` + "`" + `title` + "`" + `)"],
    "listRule": "",
    "name": "posts",
    "system": false,
    "type": "base",
    "updateRule": null,
    "viewRule": ""
  });

  return app.save(collection);
}, (app) => {
  const collection = app.findCollectionByNameOrId("pbc_1125843985");

  return app.delete(collection);
})
`,
	"1700000002_updated_posts.js": `/// <reference path="../pb_data/types.d.ts" />
migrate((app) => {
  const collection = app.findCollectionByNameOrId("pbc_1125843985")

  // add field
  collection.fields.addAt(2, new Field({
    "hidden": false,
    "id": "number4124564",
    "max": null,
    "min": null,
    "name": "views",
    "onlyInt": true,
    "presentable": false,
    "required": false,
    "system": false,
    "type": "number"
  }))

  return app.save(collection)
}, (app) => {
  const collection = app.findCollectionByNameOrId("pbc_1125843985")

  // remove field
  collection.fields.removeById("number4124564")

  return app.save(collection)
})
`,
	"1700000003_seed_posts.js": `migrate((app) => {
  const collection = app.findCollectionByNameOrId("posts")
  const record = new Record(collection)
  record.set("title", "Hello")
  record.set("views", 3)
  app.save(record)
}, (app) => {
  const record = app.findFirstRecordByFilter("posts", "title = {:title}", { title: "Hello" })
  app.delete(record)
})
`,
}

// writeFiles writes files into dir.
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, src := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func quietConfig(t *testing.T, dataDir string) server.Config {
	return server.Config{DatabaseURL: pgtest.NewDB(t), Dir: dataDir, HTTPAddr: "127.0.0.1:0", PasswordCost: 4, MaxConns: 4,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
}

// startServer starts a server of cfg with a superuser and returns its
// address and a superuser's token; the server stops when t ends.
func startServer(t *testing.T, cfg server.Config) (string, string) {
	t.Helper()
	ctx := context.Background()
	if _, err := server.UpsertSuperuser(ctx, cfg, "admin@example.com", "long enough password"); err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	addrc := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- srv.Run(runCtx, func(a string) { addrc <- a }) }()
	t.Cleanup(func() { stop(); <-done; srv.Close(ctx) })
	var base string
	select {
	case a := <-addrc:
		base = "http://" + a
	case err := <-done:
		t.Fatalf("run: %v", err)
	}
	return base, signIn(t, base)
}

func history(t *testing.T, cfg server.Config) []string {
	t.Helper()
	m, closeM, err := server.OpenMigrations(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer closeM()
	applied, err := m.Applied(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, a := range applied {
		names = append(names, a.Name)
	}
	return names
}

// TestPocketBaseMigrations: a PocketBase app's pb_migrations folder,
// beside the data folder as PocketBase keeps it, applies on a fresh
// database through `migrate up` (server.OpenMigrations) and when a server
// starts; history lists the files; down reverts the last ones with their
// down functions, and up applies them again.
func TestPocketBaseMigrations(t *testing.T) {
	root := t.TempDir()
	writeFiles(t, filepath.Join(root, "pb_migrations"), pbMigrations)
	names := slices.Sorted(func(yield func(string) bool) {
		for k := range pbMigrations {
			if !yield(k) {
				return
			}
		}
	})
	ctx := context.Background()

	t.Run("migrate up", func(t *testing.T) {
		cfg := quietConfig(t, filepath.Join(root, "lb_data"))
		if got := server.MigrationsDir(cfg); got != filepath.Join(root, "pb_migrations") {
			t.Fatalf("migrations folder %q", got)
		}
		m, closeM, err := server.OpenMigrations(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		done, err := m.Up(ctx)
		closeM()
		if err != nil || !reflect.DeepEqual(done, names) {
			t.Fatalf("up: %v %v", done, err)
		}
		if got := history(t, cfg); !reflect.DeepEqual(got, names) {
			t.Fatalf("history %v", got)
		}
		base, token := startServer(t, cfg)
		checkPosts(t, base, token, true, 1)
		call(t, base, "", "POST", "/api/collections/_superusers/auth-with-password", `{"identity": "first@example.com", "password": "1234567890"}`)

		// down reverts the last one: the record goes.
		m, closeM, err = server.OpenMigrations(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer closeM()
		if done, err := m.Down(ctx, 1); err != nil || !reflect.DeepEqual(done, names[3:]) {
			t.Fatalf("down: %v %v", done, err)
		}
		checkPosts(t, base, token, true, 0)
		// down 1 more: the field goes.
		if done, err := m.Down(ctx, 1); err != nil || !reflect.DeepEqual(done, names[2:3]) {
			t.Fatalf("down: %v %v", done, err)
		}
		checkPosts(t, base, token, false, 0)
		if got := history(t, cfg); !reflect.DeepEqual(got, names[:2]) {
			t.Fatalf("history after down %v", got)
		}
		if done, err := m.Up(ctx); err != nil || !reflect.DeepEqual(done, names[2:]) {
			t.Fatalf("up again: %v %v", done, err)
		}
		checkPosts(t, base, token, true, 1)
		// Everything reverted: the collection and the superuser go.
		if done, err := m.Down(ctx, 10); err != nil || len(done) != len(names) || done[0] != names[len(names)-1] {
			t.Fatalf("down all: %v %v", done, err)
		}
		if got := history(t, cfg); len(got) != 0 {
			t.Fatalf("history after down all %v", got)
		}
		for {
			status, _, err := request(base, token, "GET", "/api/collections/posts", "")
			if err != nil || status == 404 {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		if status, _, _ := request(base, "", "POST", "/api/collections/_superusers/auth-with-password", `{"identity": "first@example.com", "password": "1234567890"}`); status != 400 {
			t.Fatalf("the superuser made by a migration signs in after its revert: %d", status)
		}
	})

	t.Run("server start", func(t *testing.T) {
		cfg := quietConfig(t, filepath.Join(root, "lb_data"))
		base, token := startServer(t, cfg)
		checkPosts(t, base, token, true, 1)
		if got := history(t, cfg); !reflect.DeepEqual(got, names) {
			t.Fatalf("history %v", got)
		}
		// A second start applies nothing again.
		srv, err := server.New(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		srv.Close(ctx)
	})
}

// checkPosts checks the posts collection: whether it has the views field,
// and how many records it holds (the seeded one with views 3). A change
// made through OpenMigrations reaches the running server through a
// notification: its schema is read until it shows the change (the test's
// own deadline ends a wait that never does).
func checkPosts(t *testing.T, base, token string, views bool, records int) {
	t.Helper()
	want := []string{"id", "title", "created", "updated"}
	if views {
		want = []string{"id", "title", "views", "created", "updated"}
	}
	for {
		var c struct {
			ID      string
			Indexes []string
			Fields  []struct{ Name, Type string }
		}
		if err := json.Unmarshal([]byte(call(t, base, token, "GET", "/api/collections/posts", "")), &c); err != nil {
			t.Fatal(err)
		}
		var fields []string
		for _, f := range c.Fields {
			fields = append(fields, f.Name)
		}
		if c.ID != "pbc_1125843985" || len(c.Indexes) != 1 {
			t.Fatalf("posts: %+v", c)
		}
		if reflect.DeepEqual(fields, want) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	var page struct {
		Items []map[string]any
	}
	if err := json.Unmarshal([]byte(call(t, base, "", "GET", "/api/collections/posts/records", "")), &page); err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != records || (records == 1 && (page.Items[0]["title"] != "Hello" || page.Items[0]["views"] != 3.0)) {
		t.Fatalf("records: %v", page.Items)
	}
}

// TestFailingMigration: a migration that throws after creating a
// collection leaves nothing of its own behind (the collection is not
// there, it is not recorded) and the ones before it stay applied; the
// error names the file and line. A server does not start on it.
func TestFailingMigration(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "data", "migrations")
	writeFiles(t, dir, map[string]string{
		"1_ok.js": `migrate((app) => { app.save(new Collection({name: "kept", fields: [{name: "a", type: "text"}]})) })`,
		"2_fails.js": `migrate((app) => {
  app.save(new Collection({name: "dropped", fields: [{name: "a", type: "text"}]}))
  const r = new Record(app.findCollectionByNameOrId("kept"))
  r.set("a", "x")
  app.save(r)
  throw new Error("no way")
}, (app) => {})
`,
		"3_later.js": `migrate((app) => { app.save(new Collection({name: "later"})) })`,
	})
	cfg := quietConfig(t, filepath.Join(root, "data"))
	ctx := context.Background()
	m, closeM, err := server.OpenMigrations(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	done, err := m.Up(ctx)
	closeM()
	if !reflect.DeepEqual(done, []string{"1_ok.js"}) || err == nil ||
		!strings.Contains(err.Error(), "migration 2_fails.js failed: 2_fails.js:6:") || !strings.Contains(err.Error(), "no way") {
		t.Fatalf("up: %v %v", done, err)
	}
	if got := history(t, cfg); !reflect.DeepEqual(got, []string{"1_ok.js"}) {
		t.Fatalf("history %v", got)
	}
	// A server does not start on it, and says why.
	if _, err := server.New(ctx, cfg); err == nil || !strings.Contains(err.Error(), "2_fails.js:6:") {
		t.Fatalf("start: %v", err)
	}
	// A file that does not compile stops the start too, naming its line.
	writeFiles(t, dir, map[string]string{"2_fails.js": "migrate((app) => {\n  app.save(\n})"})
	if _, err := server.New(ctx, cfg); err == nil || !strings.Contains(err.Error(), "2_fails.js: Line 3:") {
		t.Fatalf("start with a syntax error: %v", err)
	}
	// Fixed, it applies with the ones after it.
	writeFiles(t, dir, map[string]string{"2_fails.js": `migrate((app) => { app.save(new Collection({name: "dropped"})) })`})
	base, token := startServer(t, cfg)
	for name, want := range map[string]int{"kept": 200, "dropped": 200, "later": 200} {
		if status, body, _ := request(base, token, "GET", "/api/collections/"+name, ""); status != want {
			t.Errorf("%s: %d %s", name, status, body)
		}
	}
	// The record the failed run wrote went with it.
	if body := call(t, base, token, "GET", "/api/collections/kept/records", ""); !strings.Contains(body, `"items":[]`) {
		t.Errorf("kept records: %s", body)
	}
}

// TestAutomigrate: with automigrate on, every schema change made through
// the API (create, update with a rename, delete; a system collection's
// update; a view) writes a migration file, recorded as applied on that
// database; the files applied to a second, fresh database make the same
// schema.
func TestAutomigrate(t *testing.T) {
	root := t.TempDir()
	migrations := filepath.Join(root, "migrations")
	cfgA := quietConfig(t, filepath.Join(root, "a"))
	cfgA.MigrationsDir, cfgA.Automigrate = migrations, true
	base, token := startServer(t, cfgA)

	call(t, base, token, "POST", "/api/collections", `{"name": "tags", "listRule": "", "fields": [{"name": "label", "type": "text", "required": true}]}`)
	call(t, base, token, "POST", "/api/collections", `{"name": "articles", "viewRule": "status = 'published'", "fields": [
		{"name": "title", "type": "text", "max": 200},
		{"name": "body", "type": "editor"},
		{"name": "status", "type": "select", "values": ["draft", "published"], "maxSelect": 1},
		{"name": "tags", "type": "relation", "collectionId": "tags", "maxSelect": 5},
		{"name": "meta", "type": "json"}],
		"indexes": ["CREATE INDEX idx_articles_status ON articles (status)"]}`)
	// A rename, a new field and a new rule in one update.
	var articles map[string]any
	if err := json.Unmarshal([]byte(call(t, base, token, "GET", "/api/collections/articles", "")), &articles); err != nil {
		t.Fatal(err)
	}
	fields := articles["fields"].([]any)
	for _, f := range fields {
		if f := f.(map[string]any); f["name"] == "title" {
			f["name"] = "headline"
		}
	}
	fields = append(fields, map[string]any{"name": "views", "type": "number", "onlyInt": true})
	patch, _ := json.Marshal(map[string]any{"fields": fields, "listRule": "status = 'published'"})
	call(t, base, token, "PATCH", "/api/collections/articles", string(patch))
	call(t, base, token, "POST", "/api/collections", `{"name": "scratch", "fields": [{"name": "x", "type": "bool"}]}`)
	if status, body, err := request(base, token, "DELETE", "/api/collections/scratch", ""); status != 204 {
		t.Fatalf("delete: %d %s %v", status, body, err)
	}
	call(t, base, token, "POST", "/api/collections", `{"name": "published", "type": "view", "listRule": "",
		"viewQuery": "select id, headline from articles where status = 'published'"}`)
	var users map[string]any
	if err := json.Unmarshal([]byte(call(t, base, token, "GET", "/api/collections/users", "")), &users); err != nil {
		t.Fatal(err)
	}
	patch, _ = json.Marshal(map[string]any{"fields": append(users["fields"].([]any), map[string]any{"name": "nickname", "type": "text"})})
	call(t, base, token, "PATCH", "/api/collections/users", string(patch))

	// An import of two collections, the first relating to the second:
	// the second's file comes first.
	if status, body, err := request(base, token, "PUT", "/api/collections/import", `{"collections": [
		{"name": "reviews", "fields": [{"name": "product", "type": "relation", "collectionId": "pbc_products01", "maxSelect": 1}]},
		{"id": "pbc_products01", "name": "products", "fields": [{"name": "sku", "type": "text"}]}]}`); status != 204 {
		t.Fatalf("import: %d %s %v", status, body, err)
	}
	// A save that changes nothing writes nothing.
	call(t, base, token, "PATCH", "/api/collections/tags", `{"listRule": ""}`)
	entries, err := os.ReadDir(migrations)
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, e := range entries {
		_, rest, _ := strings.Cut(e.Name(), "_")
		files = append(files, rest)
	}
	want := []string{"created_tags.js", "created_articles.js", "updated_articles.js", "created_scratch.js", "deleted_scratch.js", "created_published.js", "updated_users.js",
		"created_products.js", "created_reviews.js"}
	if !reflect.DeepEqual(files, want) {
		t.Fatalf("files %v, want %v", files, want)
	}
	// Recorded as applied where they were made: nothing runs again.
	if got := history(t, cfgA); len(got) != len(want) {
		t.Fatalf("history %v", got)
	}
	srv, err := server.New(context.Background(), cfgA)
	if err != nil {
		t.Fatalf("restart: %v", err)
	}
	srv.Close(context.Background())

	cfgB := quietConfig(t, filepath.Join(root, "b"))
	cfgB.MigrationsDir = migrations
	baseB, tokenB := startServer(t, cfgB)
	a, b := schema(t, base, token), schema(t, baseB, tokenB)
	if len(a) != len(b) {
		t.Fatalf("%d collections made, %d by the migrations", len(a), len(b))
	}
	for i := range a {
		for k := range a[i] {
			if !reflect.DeepEqual(a[i][k], b[i][k]) {
				ja, _ := json.Marshal(a[i][k])
				jb, _ := json.Marshal(b[i][k])
				t.Errorf("%s.%s: made %s, by the migrations %s", a[i]["name"], k, ja, jb)
			}
		}
	}
	if len(a) < 6 {
		t.Fatalf("schema: %v", a)
	}
}

// schema is GET /api/collections without the times of the definitions,
// and without the field ids of the collections every installation makes
// itself (whose ids differ between installations: a migration matches
// their fields by name and type).
func schema(t *testing.T, base, token string) []map[string]any {
	t.Helper()
	var page struct{ Items []map[string]any }
	if err := json.Unmarshal([]byte(call(t, base, token, "GET", "/api/collections?perPage=500&sort=name", "")), &page); err != nil {
		t.Fatal(err)
	}
	for _, c := range page.Items {
		delete(c, "created")
		delete(c, "updated")
		switch c["name"] {
		case "users", "_superusers", "_externalAuths":
			for _, f := range c["fields"].([]any) {
				if f := f.(map[string]any); f["name"] != "id" {
					delete(f, "id")
				}
			}
		}
	}
	return page.Items
}

// TestMigrationAppAPI: importCollections of collections that relate to
// each other, typed field constructors, addIndex, unmarshal of a
// collection, app.db().newQuery(...).bind(...).execute() in the
// migration's transaction, a record relating to a collection made by an
// earlier migration, and records of collections made by the same
// migration, one relating to the other and found by a filter through
// the relation.
func TestMigrationAppAPI(t *testing.T) {
	root := t.TempDir()
	writeFiles(t, filepath.Join(root, "data", "migrations"), map[string]string{
		"1_snapshot.js": `migrate((app) => {
  const snapshot = [
    {"id": "pbc_authors01", "name": "authors", "type": "base", "listRule": "", "fields": [
      {"id": "text_name01", "name": "name", "type": "text", "required": true},
      {"id": "rel_fav01", "name": "favorite", "type": "relation", "collectionId": "pbc_books0001", "maxSelect": 1}]},
    {"id": "pbc_books0001", "name": "books", "type": "base", "listRule": "", "fields": [
      {"id": "text_title01", "name": "title", "type": "text"},
      {"id": "rel_author01", "name": "author", "type": "relation", "collectionId": "pbc_authors01", "maxSelect": 1}]}
  ]
  return app.importCollections(snapshot, false)
}, (app) => {
  app.db().newQuery("SELECT 1").execute()
})
`,
		"2_change.js": `migrate((app) => {
  const authors = app.findCollectionByNameOrId("authors")
  authors.fields.add(new NumberField({ name: "born", onlyInt: true }))
  authors.addIndex("idx_authors_name", true, "name", "")
  unmarshal({ viewRule: "name != ''" }, authors)
  app.save(authors)

  const ann = new Record(authors, { name: "ann", born: 1970 })
  app.save(ann)
  const book = new Record(app.findCollectionByNameOrId("books"))
  book.set("title", "First")
  book.set("author", ann.id)
  app.save(book)
  app.db().newQuery("UPDATE authors SET name = upper(name) WHERE name = {:n}").bind({ n: "ann" }).execute()
})
`,
		"3_same_migration.js": `migrate((app) => {
  const shelves = new Collection({ name: "shelves", fields: [{ name: "label", type: "text" }] })
  app.save(shelves)
  const items = new Collection({ name: "items", listRule: "", fields: [{ name: "shelf", type: "relation", collectionId: shelves.id, maxSelect: 1 }] })
  app.save(items)
  const top = new Record(shelves, { label: "top" })
  app.save(top)
  const item = new Record(items)
  item.set("shelf", top.id)
  app.save(item)
  const found = app.findRecordsByFilter("items", "shelf.label = {:l}", "", 10, 0, { l: "top" })
  if (found.length !== 1) throw new Error("found " + found.length)
})
`,
	})
	cfg := quietConfig(t, filepath.Join(root, "data"))
	base, token := startServer(t, cfg)
	var authors struct {
		ViewRule string
		Indexes  []string
		Fields   []struct{ ID, Name, Type, CollectionID string }
	}
	if err := json.Unmarshal([]byte(call(t, base, token, "GET", "/api/collections/authors", "")), &authors); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range authors.Fields {
		names = append(names, f.Name+":"+f.Type)
		if f.Name == "favorite" && (f.ID != "rel_fav01" || f.CollectionID != "pbc_books0001") {
			t.Errorf("favorite: %+v", f)
		}
	}
	if authors.ViewRule != "name != ''" || len(authors.Indexes) != 1 || !strings.Contains(strings.Join(names, " "), "born:number") {
		t.Fatalf("authors: %+v", authors)
	}
	body := call(t, base, token, "GET", "/api/collections/books/records?expand=author", "")
	if !strings.Contains(body, `"title":"First"`) || !strings.Contains(body, `"name":"ANN"`) || !strings.Contains(body, `"born":1970`) {
		t.Fatalf("books: %s", body)
	}
	if body := call(t, base, token, "GET", "/api/collections/items/records", ""); !strings.Contains(body, `"totalItems":1`) {
		t.Fatalf("items: %s", body)
	}
}

// TestSnapshotMigration: `migrate collections` writes one migration that
// imports every collection, recorded as applied; on a fresh database it
// makes the same schema, collections that relate to each other included.
func TestSnapshotMigration(t *testing.T) {
	root := t.TempDir()
	cfgA := quietConfig(t, filepath.Join(root, "a"))
	cfgA.MigrationsDir = filepath.Join(root, "a-migrations")
	base, token := startServer(t, cfgA)
	call(t, base, token, "POST", "/api/collections", `{"id": "pbc_teams00001", "name": "teams", "fields": [{"name": "name", "type": "text"}]}`)
	call(t, base, token, "POST", "/api/collections", `{"name": "players", "listRule": "team.name != ''", "fields": [
		{"name": "team", "type": "relation", "collectionId": "pbc_teams00001", "maxSelect": 1, "cascadeDelete": true}]}`)
	var teams map[string]any
	if err := json.Unmarshal([]byte(call(t, base, token, "GET", "/api/collections/teams", "")), &teams); err != nil {
		t.Fatal(err)
	}
	patch, _ := json.Marshal(map[string]any{"fields": append(teams["fields"].([]any),
		map[string]any{"name": "captain", "type": "relation", "collectionId": "players", "maxSelect": 1})})
	call(t, base, token, "PATCH", "/api/collections/teams", string(patch))

	ctx := context.Background()
	m, closeM, err := server.OpenMigrations(ctx, cfgA)
	if err != nil {
		t.Fatal(err)
	}
	path, err := m.Snapshot(ctx)
	closeM()
	if err != nil || !strings.HasSuffix(path, "_collections_snapshot.js") {
		t.Fatalf("snapshot: %q %v", path, err)
	}
	if got := history(t, cfgA); !reflect.DeepEqual(got, []string{filepath.Base(path)}) {
		t.Fatalf("history %v", got)
	}
	cfgB := quietConfig(t, filepath.Join(root, "b"))
	cfgB.MigrationsDir = cfgA.MigrationsDir
	baseB, tokenB := startServer(t, cfgB)
	a, b := schema(t, base, token), schema(t, baseB, tokenB)
	if len(a) != len(b) {
		t.Fatalf("%d collections made, %d by the snapshot", len(a), len(b))
	}
	for i := range a {
		for k := range a[i] {
			if !reflect.DeepEqual(a[i][k], b[i][k]) {
				ja, _ := json.Marshal(a[i][k])
				jb, _ := json.Marshal(b[i][k])
				t.Errorf("%s.%s: made %s, by the snapshot %s", a[i]["name"], k, ja, jb)
			}
		}
	}
}
