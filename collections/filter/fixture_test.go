package filter

import (
	"context"
	"encoding/json"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/lumbunghq/lumbung/collections"
	"github.com/lumbunghq/lumbung/server/localpg/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m, nil) }

// testNow is the clock of every test Env: macros are deterministic.
var testNow = time.Date(2025, 6, 15, 12, 30, 45, 123456789, time.UTC)

// testSchema is a collections.Lookup over a fixed set of collections.
type testSchema map[string]*collections.Collection

func (s testSchema) Collection(idOrName string) (*collections.Collection, bool) {
	for _, c := range s {
		if c.ID == idOrName || c.Name == idOrName {
			return c, true
		}
	}
	return nil, false
}

func fld(tb testing.TB, name, typ string, set ...func(o collections.FieldOptions)) *collections.Field {
	tb.Helper()
	f, err := collections.NewField(name, typ)
	if err != nil {
		tb.Fatal(err)
	}
	for _, s := range set {
		s(f.Options)
	}
	return f
}

func sel(maxSelect int, values ...string) func(collections.FieldOptions) {
	return func(o collections.FieldOptions) {
		so := o.(*collections.SelectOptions)
		so.Values, so.MaxSelect = values, maxSelect
	}
}

func rel(target string, maxSelect int) func(collections.FieldOptions) {
	return func(o collections.FieldOptions) {
		ro := o.(*collections.RelationOptions)
		ro.CollectionID, ro.MaxSelect = target, maxSelect
	}
}

// newSchema returns the test collections: posts (the usual root) with
// every storage kind, users, orgs, comments (back-relation posts ←
// comments.post) and labels (multi back-relation posts ← labels.posts).
func newSchema(tb testing.TB) testSchema {
	tb.Helper()
	coll := func(id, name string, fields ...*collections.Field) *collections.Collection {
		return &collections.Collection{ID: id, Name: name, Type: collections.TypeBase,
			Fields: append([]*collections.Field{fld(tb, "id", "text")}, fields...)}
	}
	secret := fld(tb, "secret", "text")
	secret.Hidden = true
	return testSchema{
		"orgs": coll("pbc_orgs", "orgs", fld(tb, "name", "text"), fld(tb, "plan", "select", sel(1, "free", "pro"))),
		"users": coll("pbc_users", "users",
			fld(tb, "name", "text"), fld(tb, "age", "number"),
			fld(tb, "org", "relation", rel("pbc_orgs", 1)),
			fld(tb, "roles", "select", sel(3, "admin", "editor", "viewer"))),
		"posts": coll("pbc_posts", "posts",
			fld(tb, "title", "text"), fld(tb, "body", "editor"),
			fld(tb, "views", "number"), fld(tb, "score", "number"),
			fld(tb, "published", "bool"), fld(tb, "due", "date"),
			fld(tb, "created", "autodate"),
			fld(tb, "status", "select", sel(1, "draft", "published", "archived")),
			fld(tb, "tags", "select", sel(4, "a", "b", "c", "d")),
			fld(tb, "meta", "json"),
			fld(tb, "author", "relation", rel("pbc_users", 1)),
			fld(tb, "editors", "relation", rel("pbc_users", 5)),
			secret),
		"comments": coll("pbc_comments", "comments",
			fld(tb, "post", "relation", rel("pbc_posts", 1)),
			fld(tb, "text", "text"), fld(tb, "likes", "number"),
			fld(tb, "author", "relation", rel("pbc_users", 1))),
		"labels": coll("pbc_labels", "labels",
			fld(tb, "name", "text"),
			fld(tb, "posts", "relation", rel("pbc_posts", 9))),
	}
}

func (s testSchema) env() Env {
	return Env{Root: s["posts"], Schema: s, Now: testNow,
		Auth: map[string]any{"id": "u1", "collectionId": "pbc_users", "collectionName": "users", "name": "Alice", "age": 30.0,
			"org": "o1", "roles": []string{"a", "c"}, "verified": true}}
}

func columnType(f *collections.Field) string {
	switch f.Storage() {
	case collections.StorageNumber:
		return "double precision NOT NULL DEFAULT 0"
	case collections.StorageBool:
		return "boolean NOT NULL DEFAULT false"
	case collections.StorageTime:
		return "timestamptz NULL"
	case collections.StorageJSON:
		return "jsonb NULL"
	case collections.StorageTextArray:
		return "text[] NOT NULL DEFAULT '{}'"
	case collections.StorageRef:
		return "text NULL"
	}
	return "text NOT NULL DEFAULT ''"
}

func day(s string) time.Time {
	t, ok := collections.ParseDate(s)
	if !ok {
		panic("bad date " + s)
	}
	return t
}

func raw(s string) json.RawMessage { return json.RawMessage(s) }

// seed holds the rows inserted per collection, in canonical Go values.
var seed = map[string][]map[string]any{
	"orgs": {
		{"id": "o1", "name": "Acme", "plan": "pro"},
		{"id": "o2", "name": "Beta", "plan": "free"},
	},
	"users": {
		{"id": "u1", "name": "Alice", "age": 30.0, "org": "o1", "roles": []string{"admin", "editor"}},
		{"id": "u2", "name": "bob", "age": 25.0, "org": "o2", "roles": []string{"viewer"}},
		{"id": "u3", "name": "Carol", "age": 0.0, "org": "", "roles": []string{}},
	},
	"posts": {
		{"id": "p01", "title": "Hello World", "body": "<p>hi</p>", "views": 10.0, "score": 1.5, "published": true,
			"due": day("2024-01-15 10:00:00.000Z"), "created": day("2024-01-01 08:00:00Z"), "status": "published",
			"tags": []string{"a", "b"}, "meta": raw(`{"a": 1, "s": "x", "b": true, "n": null, "arr": [1, 2, "three"], "o": {"k": "v"}}`),
			"author": "u1", "editors": []string{"u1", "u2"}, "secret": "s1"},
		{"id": "p02", "title": "", "body": "", "views": 0.0, "score": 0.0, "published": false,
			"due": nil, "created": day("2024-02-01"), "status": "", "tags": []string{}, "meta": nil,
			"author": "", "editors": []string{}},
		{"id": "p03", "title": "hello", "body": "hello", "views": -5.0, "score": -0.25, "published": true,
			"due": day("2030-06-01"), "created": day("2025-06-15 12:00:00Z"), "status": "draft",
			"tags": []string{"c"}, "meta": raw(`"x"`), "author": "u2", "editors": []string{"u3"}},
		{"id": "p04", "title": "Ünïcödé café", "body": "café", "views": 100.0, "score": 1e10, "published": false,
			"due": day("1999-12-31 23:59:59.999Z"), "created": day("2025-06-15 12:30:45.123456Z"), "status": "archived",
			"tags": []string{"a", "b", "c", "d"}, "meta": raw(`42`), "author": "u3", "editors": []string{"u2", "u3"}},
		{"id": "p05", "title": "50% off_sale", "body": "x", "views": 50.0, "score": 2.5, "published": true,
			"due": day("2025-06-15 00:00:00Z"), "created": nil, "status": "published",
			"tags": []string{"d"}, "meta": raw(`true`), "author": "u1", "editors": []string{"u1"}},
		{"id": "p06", "title": `O'Reilly "quoted"`, "body": "", "views": 7.0, "score": 0.5, "published": false,
			"due": day("2025-06-15 23:59:59.999999Z"), "created": nil, "status": "draft",
			"tags": []string{"b"}, "meta": raw(`null`), "author": "u2", "editors": []string{}},
		{"id": "p07", "title": `back\slash`, "body": `back\slash`, "views": 3.0, "score": 3, "published": false,
			"due": nil, "created": nil, "status": "", "tags": []string{"a"}, "meta": raw(`[]`),
			"author": "", "editors": []string{"u1", "u2", "u3"}},
		{"id": "p08", "title": "x", "body": "X", "views": 10.0, "score": 1.25, "published": true,
			"due": day("2025-07-01"), "created": nil, "status": "published",
			"tags": []string{"c", "d"}, "meta": raw(`{"a": "1", "s": "X"}`), "author": "u3", "editors": []string{"u3"}},
		{"id": "p09", "title": "HELLO world", "body": "hello world", "views": 10.0, "score": 0.1, "published": false,
			"due": day("2024-01-15 10:00:00.000Z"), "created": nil, "status": "archived",
			"tags": []string{"b", "c"}, "meta": raw(`{"a": 1.0, "s": ""}`), "author": "u1", "editors": []string{"u2"}},
		{"id": "p10", "title": "  spaced  ", "body": "spaced", "views": 0.5, "score": 0.1, "published": true,
			"due": nil, "created": nil, "status": "draft", "tags": []string{"a", "d"}, "meta": raw(`""`),
			"author": "u2", "editors": []string{}},
		{"id": "p11", "title": "null", "body": "", "views": 1e6, "score": -1, "published": false,
			"due": day("2025-06-16"), "created": nil, "status": "published", "tags": []string{"b", "d"},
			"meta": raw(`{"a": 2, "arr": ["a", "b"], "s": "hello world"}`), "author": "u1", "editors": []string{"u1", "u3"}},
		{"id": "p12", "title": "%", "body": "%", "views": 2.0, "score": 1e-3, "published": true,
			"due": day("2025-01-01"), "created": nil, "status": "", "tags": []string{"c"},
			"meta": raw(`1e2`), "author": "", "editors": []string{"u2", "u3"}},
	},
	"comments": {
		{"id": "c1", "post": "p01", "text": "great", "likes": 3.0, "author": "u2"},
		{"id": "c2", "post": "p01", "text": "meh", "likes": 0.0, "author": "u3"},
		{"id": "c3", "post": "p03", "text": "ok", "likes": 5.0, "author": "u1"},
		{"id": "c4", "post": "p04", "text": "great stuff", "likes": 1.0, "author": "u2"},
		{"id": "c5", "post": "p04", "text": "great", "likes": 9.0, "author": "u1"},
	},
	"labels": {
		{"id": "l1", "name": "red", "posts": []string{"p01", "p03"}},
		{"id": "l2", "name": "blue", "posts": []string{"p01"}},
		{"id": "l3", "name": "red", "posts": []string{"p04", "p99"}},
	},
}

// mustSeededDB creates the test tables in a fresh database, inserts the
// seed rows and returns a connection.
func mustSeededDB(tb testing.TB, s testSchema) *pgx.Conn {
	tb.Helper()
	return seededDB(tb, s, seed)
}

// seededDB creates the tables of s in a fresh database, inserts rows (by
// collection name) and returns a connection.
func seededDB(tb testing.TB, s testSchema, seed map[string][]map[string]any) *pgx.Conn {
	tb.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, pgtest.NewDB(tb))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { conn.Close(context.Background()) })
	names := make([]string, 0, len(s))
	for n := range s {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		c := s[n]
		cols := []string{`"id" text PRIMARY KEY`}
		for _, f := range c.Fields[1:] {
			cols = append(cols, pgx.Identifier{f.Name}.Sanitize()+" "+columnType(f))
		}
		if _, err := conn.Exec(ctx, "CREATE TABLE "+pgx.Identifier{c.Name}.Sanitize()+" ("+strings.Join(cols, ", ")+")"); err != nil {
			tb.Fatal(err)
		}
		for _, row := range seed[n] {
			var names, ph []string
			var args []any
			for _, f := range c.Fields {
				v, ok := row[f.Name]
				if !ok {
					continue
				}
				cast := ""
				switch f.Storage() {
				case collections.StorageJSON:
					cast = "::jsonb"
					if m, ok := v.(json.RawMessage); ok {
						v = string(m)
					}
				case collections.StorageRef:
					if v == "" {
						v = nil
					}
				}
				names = append(names, pgx.Identifier{f.Name}.Sanitize())
				args = append(args, v)
				ph = append(ph, "$"+strconv.Itoa(len(args))+cast)
			}
			q := "INSERT INTO " + pgx.Identifier{c.Name}.Sanitize() + " (" + strings.Join(names, ", ") + ") VALUES (" + strings.Join(ph, ", ") + ")"
			if _, err := conn.Exec(ctx, q, args...); err != nil {
				tb.Fatalf("%s: %v", q, err)
			}
		}
	}
	return conn
}

// readBack loads the rows of c as canonical Go values, as the record store
// would hand them to Eval.
func readBack(tb testing.TB, conn *pgx.Conn, c *collections.Collection) []map[string]any {
	tb.Helper()
	var sels []string
	for _, f := range c.Fields {
		col := pgx.Identifier{f.Name}.Sanitize()
		if f.Storage() == collections.StorageJSON {
			col += "::text"
		}
		sels = append(sels, col)
	}
	rows, err := conn.Query(context.Background(), "SELECT "+strings.Join(sels, ", ")+" FROM "+pgx.Identifier{c.Name}.Sanitize()+" ORDER BY id")
	if err != nil {
		tb.Fatal(err)
	}
	defer rows.Close()
	var out []map[string]any
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			tb.Fatal(err)
		}
		rec := map[string]any{}
		for i, f := range c.Fields {
			v := vals[i]
			switch f.Storage() {
			case collections.StorageJSON:
				if v != nil {
					v = json.RawMessage(v.(string))
				}
			case collections.StorageRef:
				if v == nil {
					v = ""
				}
			case collections.StorageTextArray:
				list := []string{}
				for _, it := range v.([]any) {
					list = append(list, it.(string))
				}
				v = list
			}
			rec[f.Name] = v
		}
		out = append(out, rec)
	}
	if err := rows.Err(); err != nil {
		tb.Fatal(err)
	}
	return out
}

// queryIDs runs a compiled condition over posts and returns the matching ids.
func queryIDs(ctx context.Context, conn *pgx.Conn, table, cond string, args []any) ([]string, error) {
	rows, err := conn.Query(ctx, "SELECT t.id FROM "+pgx.Identifier{table}.Sanitize()+" AS t WHERE "+cond+" ORDER BY t.id", args...)
	if err != nil {
		return nil, err
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if ids == nil {
		ids = []string{}
	}
	return ids, err
}
