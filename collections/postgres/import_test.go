package postgres_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/lumbunghq/lumbung/collections"
	"github.com/lumbunghq/lumbung/collections/filter"
	"github.com/lumbunghq/lumbung/collections/postgres"
)

// mustDefs decodes a JSON array of collections.
func mustDefs(tb testing.TB, js string) []*collections.Collection {
	tb.Helper()
	var defs []*collections.Collection
	if err := json.Unmarshal([]byte(js), &defs); err != nil {
		tb.Fatalf("collections JSON: %v", err)
	}
	return defs
}

// schemaOf describes the collections of svc, one line each, sorted:
// "name type: field:type …" with the fields that are not system fields
// (nor a view's id);
// a relation names its target ("author:relation>authors"), a multiple
// select or relation its maxSelect ("tags:select*3"). System collections
// are listed by name on a last line.
func schemaOf(svc *collections.Service) string {
	var lines, system []string
	for _, c := range svc.Collections() {
		if c.System {
			system = append(system, c.Name)
			continue
		}
		var b strings.Builder
		fmt.Fprintf(&b, "%s %s:", c.Name, c.Type)
		for _, f := range c.Fields {
			if f.System || f.Name == "id" {
				continue
			}
			fmt.Fprintf(&b, " %s:%s", f.Name, f.Type)
			switch o := f.Options.(type) {
			case *collections.RelationOptions:
				target := "?" + o.CollectionID
				if t, ok := svc.Collection(o.CollectionID); ok {
					target = t.Name
				}
				fmt.Fprintf(&b, ">%s", target)
				if o.Multi() {
					fmt.Fprintf(&b, "*%d", o.MaxSelect)
				}
			case *collections.SelectOptions:
				if o.Multi() {
					fmt.Fprintf(&b, "*%d", o.MaxSelect)
				}
			}
		}
		lines = append(lines, b.String())
	}
	slices.Sort(lines)
	if len(system) > 0 {
		slices.Sort(system)
		lines = append(lines, "system: "+strings.Join(system, ", "))
	}
	return strings.Join(lines, "\n")
}

// MustCheckedService returns a collections service on a fresh database
// that checks rules with the filter language, as the server's does.
func MustCheckedService(tb testing.TB) *collections.Service {
	tb.Helper()
	_, schema, db := MustDatabase(tb)
	svc := collections.NewService(collections.Config{
		Schema:  schema,
		Records: postgres.NewRecordStore(db, nil),
		CheckRule: func(l collections.Lookup, c *collections.Collection, rule string) error {
			expr, err := filter.Parse(rule)
			if err != nil {
				return err
			}
			_, _, err = filter.SQL(expr, filter.Env{Root: c, Schema: l, CanRead: func(*collections.Collection, string) bool { return true }}, "r", 0)
			return err
		},
	})
	if err := svc.Reload(context.Background()); err != nil {
		tb.Fatal(err)
	}
	return svc
}

// importRow is one import into a database that holds the collections of
// before (imported first) and the records of seed.
type importRow struct {
	name          string
	before        string                      // JSON array, imported first
	seed          map[string][]map[string]any // records per collection, created before the import
	defs          string                      // JSON array to import
	deleteMissing bool
	opts          collections.SaveOptions
	// want is the schema after the import (schemaOf); for a failing
	// import the schema must be as before it.
	want string
	// err is the code of a failing import and wantMsg a part of its
	// message or the key of one of its field errors.
	err, wantMsg string
	// records are the record counts expected after the import.
	records map[string]int
	// impact is a part of the impact of one of the import's steps.
	impact string
	// values are the values of "collection.field" after the import, one
	// per record, sorted and joined by ",".
	values map[string]string
}

// Collections the import rows start from.
const (
	importAuthors = `{"id": "pbc_authors001", "name": "authors", "fields": [{"id": "text_name", "name": "name", "type": "text"}, {"id": "text_bio", "name": "bio", "type": "text"}]}`
	importPosts   = `{"id": "pbc_posts00001", "name": "posts", "fields": [{"id": "text_title", "name": "title", "type": "text"},
		{"id": "relation_author", "name": "author", "type": "relation", "collectionId": "pbc_authors001"}]}`
	importTags      = `{"id": "pbc_tags000001", "name": "tags", "fields": [{"name": "label", "type": "text"}]}`
	importSuperuser = `{"id": "pbc_3142635823", "name": "_superusers", "type": "auth", "system": true}`
)

var importRows = []importRow{
	// New collections and relations between them.
	{name: "new collections", defs: `[` + importAuthors + `,` + importPosts + `]`,
		want: "authors base: name:text bio:text created:autodate updated:autodate\nposts base: title:text author:relation>authors created:autodate updated:autodate"},
	{name: "forward reference", defs: `[` + importPosts + `,` + importAuthors + `]`,
		want: "authors base: name:text bio:text created:autodate updated:autodate\nposts base: title:text author:relation>authors created:autodate updated:autodate"},
	{name: "relation by the target's name", defs: `[{"name": "posts", "fields": [{"name": "author", "type": "relation", "collectionId": "authors", "maxSelect": 3}]},
		{"name": "authors", "fields": [{"name": "name", "type": "text"}]}]`,
		want: "authors base: name:text created:autodate updated:autodate\nposts base: author:relation>authors*3 created:autodate updated:autodate"},
	{name: "self references", defs: `[{"id": "pbc_people0001", "name": "people", "fields": [{"name": "boss", "type": "relation", "collectionId": "pbc_people0001"},
		{"name": "friends", "type": "relation", "collectionId": "people", "maxSelect": 9}]}]`,
		want: "people base: boss:relation>people friends:relation>people*9 created:autodate updated:autodate"},
	{name: "a cycle of two", defs: `[{"id": "pbc_teams00001", "name": "teams", "fields": [{"name": "lead", "type": "relation", "collectionId": "pbc_people0001"}]},
		{"id": "pbc_people0001", "name": "people", "fields": [{"name": "team", "type": "relation", "collectionId": "pbc_teams00001", "required": true}]}]`,
		want: "people base: team:relation>teams created:autodate updated:autodate\nteams base: lead:relation>people created:autodate updated:autodate"},
	{name: "a cycle of three with indexes on the relations", defs: `[
		{"id": "pbc_a", "name": "a", "fields": [{"name": "b", "type": "relation", "collectionId": "pbc_b"}], "indexes": ["CREATE UNIQUE INDEX idx_a_b ON a (b)"]},
		{"id": "pbc_b", "name": "b", "fields": [{"name": "c", "type": "relation", "collectionId": "pbc_c"}], "indexes": ["CREATE INDEX idx_b_c ON b (c)"]},
		{"id": "pbc_c", "name": "c", "fields": [{"name": "a", "type": "relation", "collectionId": "pbc_a", "maxSelect": 2}]}]`,
		want: "a base: b:relation>b created:autodate updated:autodate\nb base: c:relation>c created:autodate updated:autodate\nc base: a:relation>a*2 created:autodate updated:autodate"},
	{name: "a relation to a stored collection", before: `[` + importAuthors + `]`, defs: `[` + importPosts + `]`,
		want: "authors base: name:text bio:text created:autodate updated:autodate\nposts base: title:text author:relation>authors created:autodate updated:autodate"},
	{name: "an auth collection", defs: `[{"name": "members", "type": "auth", "fields": [{"name": "nick", "type": "text"}]}]`,
		want: "members auth: nick:text created:autodate updated:autodate"},

	// Updates of stored collections.
	{name: "update by id renames and adds", before: `[` + importAuthors + `]`, seed: map[string][]map[string]any{"authors": {{"name": "ann", "bio": "b"}}},
		defs: `[{"id": "pbc_authors001", "name": "writers", "fields": [{"id": "text_name", "name": "name", "type": "text"}, {"name": "born", "type": "date"}]}]`,
		want: "writers base: name:text born:date bio:text created:autodate updated:autodate", values: map[string]string{"writers.name": "ann", "writers.bio": "b"}},
	{name: "update by name keeps the stored id", before: `[` + importAuthors + `]`, seed: map[string][]map[string]any{"authors": {{"name": "ann"}}},
		defs: `[{"id": "pbc_elsewhere01", "name": "authors", "fields": [{"name": "name", "type": "text"}, {"name": "age", "type": "number"}]},
			{"name": "posts", "fields": [{"name": "author", "type": "relation", "collectionId": "pbc_elsewhere01"}]}]`,
		want: "authors base: name:text age:number bio:text created:autodate updated:autodate\nposts base: author:relation>authors created:autodate updated:autodate", values: map[string]string{"authors.name": "ann"}},
	{name: "a relation added between stored collections", before: `[` + importAuthors + `,` + importTags + `]`,
		defs: `[{"id": "pbc_tags000001", "name": "tags", "fields": [{"name": "label", "type": "text"}, {"name": "by", "type": "relation", "collectionId": "pbc_authors001", "maxSelect": 5}]}]`,
		want: "authors base: name:text bio:text created:autodate updated:autodate\ntags base: label:text by:relation>authors*5 created:autodate updated:autodate"},
	{name: "a field whose type changes", before: `[` + importAuthors + `]`, seed: map[string][]map[string]any{"authors": {{"bio": "b"}}},
		defs: `[{"id": "pbc_authors001", "name": "authors", "fields": [{"name": "bio", "type": "editor"}]}]`,
		want: "authors base: bio:editor name:text created:autodate updated:autodate", values: map[string]string{"authors.bio": "b"}},
	{name: "a field matched by name changes type, not drops", before: `[` + importAuthors + `]`, seed: map[string][]map[string]any{"authors": {{"bio": "b"}}},
		defs: `[{"id": "pbc_authors001", "name": "authors", "fields": [{"name": "bio", "type": "number"}]}]`,
		err:  collections.EINVALID, wantMsg: "cannot be converted", records: map[string]int{"authors": 1}},

	// deleteMissing.
	{name: "without deleteMissing fields and collections left out are kept", before: `[` + importAuthors + `,` + importTags + `]`,
		defs: `[{"id": "pbc_authors001", "name": "authors", "fields": [{"name": "name", "type": "text"}]}]`,
		want: "authors base: name:text bio:text created:autodate updated:autodate\ntags base: label:text created:autodate updated:autodate"},
	{name: "deleteMissing drops fields and collections left out", before: `[` + importAuthors + `,` + importTags + `]`, deleteMissing: true,
		defs: `[{"id": "pbc_authors001", "name": "authors", "fields": [{"name": "name", "type": "text"}]}]`,
		want: "authors base: name:text"},
	{name: "deleteMissing drops a field with values", before: `[` + importAuthors + `]`, deleteMissing: true,
		seed: map[string][]map[string]any{"authors": {{"name": "ann", "bio": "gone"}, {"name": "bob"}}},
		defs: `[{"id": "pbc_authors001", "name": "authors", "fields": [{"name": "name", "type": "text"}]}]`,
		want: "authors base: name:text", values: map[string]string{"authors.name": "ann,bob"}, impact: `1 record(s) lose their "bio" value.`},
	{name: "deleteMissing drops a collection with records", before: `[` + importAuthors + `,` + importTags + `]`, deleteMissing: true,
		seed: map[string][]map[string]any{"tags": {{"label": "x"}, {"label": "y"}}},
		defs: `[` + importAuthors + `]`,
		want: "authors base: name:text bio:text", impact: "2 record(s) will be deleted."},
	{name: "a lossy type change is refused", before: `[` + importAuthors + `]`,
		seed: map[string][]map[string]any{"authors": {{"name": "ann", "bio": "not a number"}, {"name": "bob", "bio": "12"}}},
		defs: `[` + importTags + `, {"id": "pbc_authors001", "name": "authors", "fields": [{"id": "text_bio", "name": "bio", "type": "number"}]}]`,
		err:  collections.EINVALID, wantMsg: "1 record(s)", values: map[string]string{"authors.bio": "12,not a number"}},
	{name: "a lossy type change with AllowDataLoss", before: `[` + importAuthors + `]`, opts: collections.SaveOptions{AllowDataLoss: true},
		seed: map[string][]map[string]any{"authors": {{"name": "ann", "bio": "not a number"}, {"name": "bob", "bio": "12"}}},
		defs: `[{"id": "pbc_authors001", "name": "authors", "fields": [{"id": "text_bio", "name": "bio", "type": "number"}]}]`,
		want: "authors base: bio:number name:text created:autodate updated:autodate", values: map[string]string{"authors.bio": "0,12"}, impact: "cannot be converted"},
	{name: "deleteMissing keeps system collections", before: `[` + importSuperuser + `,` + importTags + `,` + importAuthors + `]`, deleteMissing: true,
		defs: `[` + importTags + `]`, want: "tags base: label:text\nsystem: _superusers"},
	{name: "an empty import", before: `[` + importTags + `]`, deleteMissing: true, defs: `[]`, err: collections.EINVALID, wantMsg: "collections"},
	{name: "deleteMissing drops collections that reference each other and a view on them", deleteMissing: true,
		before: `[{"id": "pbc_teams00001", "name": "teams", "fields": [{"name": "lead", "type": "relation", "collectionId": "pbc_people0001"}]},
			{"id": "pbc_people0001", "name": "people", "fields": [{"name": "team", "type": "relation", "collectionId": "pbc_teams00001", "required": true},
				{"name": "friends", "type": "relation", "collectionId": "pbc_people0001", "maxSelect": 9}]},
			{"name": "leads", "type": "view", "viewQuery": "SELECT t.id, p.id AS lead FROM teams t JOIN people p ON p.id = t.lead"},
			` + importTags + `]`,
		defs: `[` + importTags + `]`, want: "tags base: label:text"},
	{name: "deleteMissing removes a kept collection's relation to a dropped one", before: `[` + importAuthors + `,` + importPosts + `]`, deleteMissing: true,
		defs: `[{"id": "pbc_posts00001", "name": "posts", "fields": [{"id": "text_title", "name": "title", "type": "text"}]}]`,
		want: "posts base: title:text"},
	{name: "deleteMissing refuses to drop a referenced collection", before: `[` + importAuthors + `,` + importPosts + `]`, deleteMissing: true,
		defs: `[` + importPosts + `]`, err: collections.EINVALID, wantMsg: "referenced by posts.author"},

	// System collections.
	{name: "a system collection's rules cannot change", before: `[` + importSuperuser + `]`,
		defs: `[` + importTags + `, {"id": "pbc_3142635823", "name": "_superusers", "type": "auth", "system": true, "listRule": ""}]`,
		err:  collections.EINVALID, wantMsg: "listRule"},
	{name: "a system collection imported as it is", before: `[` + importSuperuser + `]`,
		defs: `[` + importTags + `,` + importSuperuser + `]`, want: "tags base: label:text created:autodate updated:autodate\nsystem: _superusers"},
	{name: "PocketBase's internal collections are skipped", defs: `[{"id": "pbc_2279338944", "name": "_mfas", "type": "base", "system": true,
		"fields": [{"name": "method", "type": "text"}]},` + importTags + `]`,
		want: "tags base: label:text created:autodate updated:autodate"},

	// Failures leave nothing applied.
	{name: "a relation to no collection", before: `[` + importAuthors + `]`,
		defs: `[` + importTags + `, {"id": "pbc_authors001", "name": "authors", "fields": [{"name": "x", "type": "number"}]},
			{"name": "broken", "fields": [{"name": "to", "type": "relation", "collectionId": "pbc_nowhere"}]}]`,
		err: collections.EINVALID, wantMsg: "collectionId"},
	{name: "a collection listed twice", defs: `[` + importTags + `,` + importTags + `]`, err: collections.EINVALID, wantMsg: "collections.1"},
	{name: "a unique index over duplicates fails after earlier steps", before: `[` + importAuthors + `]`,
		seed: map[string][]map[string]any{"authors": {{"name": "same"}, {"name": "same"}}},
		defs: `[` + importTags + `, {"id": "pbc_authors001", "name": "authors", "fields": [{"name": "name", "type": "text"}, {"name": "extra", "type": "bool"}],
			"indexes": ["CREATE UNIQUE INDEX idx_author_name ON authors (name)"]}]`,
		err: collections.EINVALID, wantMsg: "idx_author_name", records: map[string]int{"authors": 2}},
	{name: "a rule naming an unknown field", defs: `[` + importTags + `, {"name": "notes", "listRule": "nope = 1", "fields": [{"name": "body", "type": "text"}]}]`,
		err: collections.EINVALID, wantMsg: "listRule"},
	{name: "rules naming collections later in the import", defs: `[
		{"name": "posts", "listRule": "author.name != '' && @collection.tags.label ?= 'x'", "fields": [{"name": "author", "type": "relation", "collectionId": "pbc_authors001"}]},
		` + importAuthors + `,` + importTags + `]`,
		want: "authors base: name:text bio:text created:autodate updated:autodate\nposts base: author:relation>authors created:autodate updated:autodate\ntags base: label:text created:autodate updated:autodate"},
	{name: "a dry run applies nothing", before: `[` + importTags + `]`, seed: map[string][]map[string]any{"tags": {{"label": "x"}}}, deleteMissing: true,
		defs: `[` + importAuthors + `,` + importPosts + `]`, opts: collections.SaveOptions{DryRun: true}, impact: "1 record(s) will be deleted.", records: map[string]int{"tags": 1}},

	// Views.
	{name: "views on imported tables, listed first", defs: `[
		{"name": "busy_authors", "type": "view", "viewQuery": "SELECT id, name, posts FROM author_stats WHERE posts > 1"},
		{"name": "author_stats", "type": "view", "viewQuery": "SELECT a.id, a.name, count(p.id) AS posts FROM authors a LEFT JOIN posts p ON p.author = a.id GROUP BY a.id, a.name"},
		` + importPosts + `,` + importAuthors + `]`,
		want: "author_stats view: name:text posts:number\nauthors base: name:text bio:text created:autodate updated:autodate\n" +
			"busy_authors view: name:text posts:number\nposts base: title:text author:relation>authors created:autodate updated:autodate"},
	{name: "a view keeps its columns' field types", before: `[` + importAuthors + `]`, defs: `[` + importPosts + `,
		{"name": "post_view", "type": "view", "viewQuery": "SELECT p.id, p.title, p.author AS writer, p.created FROM posts p"}]`,
		want: "authors base: name:text bio:text created:autodate updated:autodate\npost_view view: title:text writer:relation>authors created:autodate\n" +
			"posts base: title:text author:relation>authors created:autodate updated:autodate"},
	{name: "a view on a field the same import adds", before: `[` + importAuthors + `]`,
		defs: `[{"id": "pbc_authors001", "name": "authors", "fields": [{"name": "age", "type": "number"}]},
			{"name": "ages", "type": "view", "viewQuery": "SELECT id, age FROM authors"}]`,
		want: "ages view: age:number\nauthors base: age:number name:text bio:text created:autodate updated:autodate"},
	{name: "views that read each other", defs: `[` + importTags + `, {"name": "va", "type": "view", "viewQuery": "SELECT id FROM vb"},
		{"name": "vb", "type": "view", "viewQuery": "SELECT id FROM va"}]`, err: collections.EINVALID, wantMsg: "each other"},
	{name: "a view on a missing table", defs: `[` + importTags + `, {"name": "vx", "type": "view", "viewQuery": "SELECT id FROM nothing_here"}]`,
		err: collections.EINVALID, wantMsg: "viewQuery"},
}

// TestImport runs each import on a database of its own and compares the
// schema after it, or the error and the schema before it.
func TestImport(t *testing.T) {
	t.Parallel()
	for _, row := range importRows {
		t.Run(row.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			svc := MustCheckedService(t)
			if row.before != "" {
				if _, err := svc.Import(ctx, mustDefs(t, row.before), false, collections.SaveOptions{}); err != nil {
					t.Fatalf("before: %v", err)
				}
			}
			for name, recs := range row.seed {
				c, _ := svc.Collection(name)
				for _, in := range recs {
					if _, err := svc.SystemRecords().Create(ctx, c, in); err != nil {
						t.Fatalf("seed %s: %v", name, err)
					}
				}
			}
			before := schemaOf(svc)
			plans, err := svc.Import(ctx, mustDefs(t, row.defs), row.deleteMissing, row.opts)
			var impacts []string
			for _, p := range plans {
				for _, st := range p.Steps {
					impacts = append(impacts, st.Impact)
				}
			}
			if !strings.Contains(strings.Join(impacts, "\n"), row.impact) {
				t.Errorf("impacts %q, want %q", impacts, row.impact)
			}
			want := row.want
			switch {
			case row.err != "":
				var de *collections.Error
				if !errors.As(err, &de) || de.Code != row.err {
					t.Fatalf("import: %v, want %s", err, row.err)
				}
				if !strings.Contains(de.Message, row.wantMsg) && !slices.ContainsFunc(slices.Collect(maps.Keys(de.Data)), func(k string) bool { return strings.Contains(k, row.wantMsg) }) {
					t.Errorf("import: %v, want it to name %q", err, row.wantMsg)
				}
				want = before
			case err != nil:
				t.Fatalf("import: %v", err)
			case row.opts.DryRun:
				want = before
			}
			// What the service holds is what the database holds.
			if err := svc.Reload(ctx); err != nil {
				t.Fatal(err)
			}
			if got := schemaOf(svc); got != want {
				t.Errorf("schema\n%s\nwant\n%s", got, want)
			}
			for name, n := range row.records {
				c, ok := svc.Collection(name)
				if !ok {
					t.Fatalf("no collection %s", name)
				}
				page, err := svc.SystemRecords().List(ctx, c, collections.Query{})
				if err != nil {
					t.Fatal(err)
				}
				if len(page.Items) != n {
					t.Errorf("%s has %d records, want %d", name, len(page.Items), n)
				}
			}
			for key, want := range row.values {
				name, field, _ := strings.Cut(key, ".")
				c, ok := svc.Collection(name)
				if !ok {
					t.Fatalf("no collection %s", name)
				}
				page, err := svc.SystemRecords().List(ctx, c, collections.Query{})
				if err != nil {
					t.Fatal(err)
				}
				var got []string
				for _, r := range page.Items {
					got = append(got, fmt.Sprint(r.Data[field]))
				}
				slices.Sort(got)
				if strings.Join(got, ",") != want {
					t.Errorf("%s: %q, want %q", key, got, want)
				}
			}
		})
	}
}
