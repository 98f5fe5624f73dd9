package main

import "testing"

func mustBaseline(tb testing.TB) *baseline {
	tb.Helper()
	b := &baseline{col: &collectionInfo{ID: "pbc_1", Name: "bench", Fields: []fieldInfo{
		{"id", "text"}, {"category", "text"}, {"score", "number"}, {"created", "autodate"}, {"updated", "autodate"},
	}}}
	if err := b.build(); err != nil {
		tb.Fatal(err)
	}
	return b
}

func TestBuildSQL(t *testing.T) {
	b := mustBaseline(t)
	for _, c := range []struct{ name, got, want string }{
		{"select", b.selectFrom, `SELECT r."id", r."category", r."score", r."created", r."updated" FROM "bench" AS r`},
		{"count", b.countFrom, `SELECT count(*) FROM "bench" AS r`},
		{"order", b.orderBy, ` ORDER BY r."created", r.id`},
		{"insert", b.insert, `INSERT INTO "bench" AS r ("id", "category", "score", "created", "updated") VALUES ($1, $2, $3, $4, $5) RETURNING r."id", r."category", r."score", r."created", r."updated"`},
	} {
		if c.got != c.want {
			t.Errorf("%s:\n got  %s\n want %s", c.name, c.got, c.want)
		}
	}
}

func TestBuildRejectsUnknownFieldTypes(t *testing.T) {
	b := &baseline{col: &collectionInfo{Name: "x", Fields: []fieldInfo{{"id", "text"}, {"tags", "json"}}}}
	if err := b.build(); err == nil {
		t.Fatal("want an error for a json field")
	}
}

func TestParseFilter(t *testing.T) {
	b := mustBaseline(t)
	for _, c := range []struct {
		in           string
		col, op, val string
		ok           bool
	}{
		{"category='c3'", "category", "=", "c3", true},
		{" category = 'c3' ", "category", "=", "c3", true},
		{"category=''", "category", "=", "", true},
		{"category!='x1'", "category", "<>", "x1", true},
		{" category != 'x1' ", "category", "<>", "x1", true},
		{"category!=''", "", "", "", false}, // compiled differently
		{"score='1'", "", "", "", false},    // not a text field
		{"nope='x'", "", "", "", false},
		{"category=c3", "", "", "", false},
		{`category='it\'s'`, "", "", "", false},
		{"category='a' && id='b'", "", "", "", false},
	} {
		col, op, val, ok := b.parseFilter(c.in)
		if col != c.col || op != c.op || val != c.val || ok != c.ok {
			t.Errorf("parseFilter(%q) = %q, %q, %q, %v; want %q, %q, %q, %v", c.in, col, op, val, ok, c.col, c.op, c.val, c.ok)
		}
	}
}
