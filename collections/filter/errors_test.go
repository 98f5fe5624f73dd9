package filter

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/lumbunghq/lumbung/collections"
)

// wantInvalid asserts err is an EINVALID *collections.Error whose message
// contains want.
func wantInvalid(t *testing.T, what string, err error, want string) {
	t.Helper()
	var e *collections.Error
	if !errors.As(err, &e) || e.Code != collections.EINVALID {
		t.Errorf("%s: got %v, want an EINVALID error", what, err)
		return
	}
	if !strings.Contains(e.Message, want) {
		t.Errorf("%s:\n got %s\nwant it to contain %s", what, e.Message, want)
	}
}

func TestCompileErrors(t *testing.T) {
	s := newSchema(t)
	env := s.env()
	cases := []struct{ src, want string }{
		{`nope = 1`, `position 1: unknown field "nope" in "nope"`},
		{`title = 'x' && nope = 1`, `position 16: unknown field "nope"`},
		{`author.nope = 1`, `unknown field "nope" in "author.nope"`},
		{`nope.name = 1`, `unknown field "nope" in "nope.name"`},
		{`title.name = 'x'`, `"title" is not a relation field, so "title.name" cannot be resolved`},
		{`nope_via_post.text = 'x'`, `unknown collection "nope" in "nope_via_post.text"`},
		{`comments_via_nope.text = 'x'`, `unknown field "nope" of collection "comments"`},
		{`comments_via_text.text = 'x'`, `"comments.text" is not a relation to "posts"`},
		{`users_via_org.name = 'x'`, `"users.org" is not a relation to "posts"`},
		{`_via_post.text = 'x'`, `unknown field "_via_post"`},
		{`views > 'abc'`, `'abc' cannot be compared with a number: "abc" is not a number`},
		{`views ~ 'x'`, `~ needs text operands, views is a number`},
		{`published ~ 'x'`, `~ needs text operands, published is a boolean`},
		{`title ~ true`, `true cannot be compared with text: type mismatch`},
		{`title:length > 1`, `:length needs a multi-valued field, "title" is not`},
		{`status:each = 'x'`, `:each needs a multi-valued field, "status" is not`},
		{`views:lower = 1`, `:lower needs a text field, "views:lower" is a number`},
		{`meta:lower = 'x'`, `:lower needs a text field`},
		{`meta.a:lower = 'x'`, `the :lower modifier cannot be used on json values`},
		{`published > true`, `> cannot order booleans`},
		{`meta.b < true`, `< cannot order booleans`},
		{`title = true`, `title (text) cannot be compared with true (a boolean)`},
		{`views = title`, `views (a number) cannot be compared with title (text)`},
		{`due > 5`, `due (a date) cannot be compared with 5 (a number)`},
		{`title > @now`, `title (text) cannot be compared with @now (a date)`},
		{`published = 'yes'`, `"yes" is not a boolean`},
		{`meta = meta`, `two json values cannot be compared`},
		{`meta = due`, `a json value can only be compared with text fields and literal values`},
		{`meta = views`, `a json value can only be compared with text fields and literal values`},
		{`meta > @now`, `a json value cannot be compared with a date`},
		{`title ~ meta`, `the right side of ~ cannot be a json value`},
		{`tags:length ~ 'x'`, `~ needs text operands`},
		{`@collection.nope.name = 'x'`, `position 1: unknown collection "nope" in "@collection.nope.name"`},
		{`@collection.users.nope = 'x'`, `unknown field "nope" in "@collection.users.nope"`},
		{`@collection.users.secret = 'x'`, `unknown field "secret"`},
		{`@request.foo = 'x'`, `unknown identifier "@request.foo"`},
		{`@request.body = 'x'`, `expected @request.body.<field>`},
		{`@request.query = 'x'`, `expected @request.query.<name>`},
		{`@request.method.x = 'x'`, `expected @request.method`},
		{`@request.auth = 'x'`, `expected @request.auth.<field>`},
		{`@request.auth.name.first = 'x'`, `"name" is not a relation field, so "@request.auth.name.first" cannot be resolved`},
		{`@request.auth.org.name:isset = true`, `:isset cannot be used on a path through a relation`},
		{`@request.auth.id:length = 1`, `:length needs a list, @request.auth.id:length is text`},
		{`@request.auth.age:lower = 1`, `:lower needs a text value`},
		{`@request.auth.id:each = 1`, `:each needs a list`},
		{`@request.query.x:each = 1`, `:each needs a list`},
		{`@request.body.nope:changed = true`, `:changed needs a field of "posts"`},
		{`@request.query.x:changed = true`, `:changed needs a field of "posts"`},
		{`title:isset = true`, `:isset can only be used on @request values`},
		{`author.name:changed = true`, `:changed can only be used on @request values`},
		{`@collection.users.name:isset = true`, `:isset can only be used on @request values`},
		{`geoDistance(1, 2, 3) > 1`, `geoDistance needs 4 arguments (lonA, latA, lonB, latB), not 3`},
		{`geoDistance(1, 2, 3, 'x') > 1`, `argument 4 of geoDistance must be a number or a field, not 'x'`},
		{`geoDistance(1, 2, 3, title) > 1`, `argument 4 of geoDistance must be a number, title is text`},
		{`geoDistance(1, 2, 3, tags:each) > 1`, `argument 4 of geoDistance must be a number`},
		{`geoDistance(1, 2, 3, 4) = 'x'`, `cannot be compared with a number`},
		{`strftime() = ''`, `strftime needs a format`},
		{`strftime(due) = ''`, `the first argument of strftime must be a format text`},
		{`strftime('%Y', title) = ''`, `the time of strftime must be a date or a number, title is text`},
		{`strftime('%Y', meta) = ''`, `the time of strftime must be a date or a number, meta is a json value`},
		{`strftime('%Y', true) = ''`, `the time of strftime must be a date or a number, not true`},
		{`strftime('%Y', due, 'fortnight') = ''`, `strftime modifier 'fortnight': unsupported`},
		{`strftime('%Y', due, '+1.5 months') = ''`, `months and years must be whole numbers`},
		{`strftime('%Y', due, 'weekday 7') = ''`, `the weekday must be 0 (Sunday) to 6`},
		{`strftime('%Y', due, 'unixepoch') = ''`, `'unixepoch' needs a number, due is a date`},
		{`strftime('%Y', views, '+1 day', 'unixepoch') = ''`, `'unixepoch' must directly follow the time value`},
		{`strftime('%Y', due, 5) = ''`, `strftime modifiers must be texts`},
		{`strftime('%Y', due) > 5 && views ~ 'x'`, `~ needs text operands, views is a number`},
	}
	for _, c := range cases {
		e, err := Parse(c.src)
		if err != nil {
			t.Errorf("Parse(%q): %v", c.src, err)
			continue
		}
		_, _, err = SQL(e, env, "t", 0)
		wantInvalid(t, "SQL("+c.src+")", err, c.want)
		_, err = Eval(e, env, map[string]any{})
		wantInvalid(t, "Eval("+c.src+")", err, c.want)
	}
}

func TestRelationDepth(t *testing.T) {
	nodes := &collections.Collection{ID: "pbc_nodes", Name: "nodes", Type: collections.TypeBase,
		Fields: []*collections.Field{fld(t, "name", "text"), fld(t, "parent", "relation", rel("pbc_nodes", 1))}}
	env := Env{Root: nodes, Now: testNow} // a self relation needs no Schema
	ok := "parent.parent.parent.parent.parent.parent.name = 'x'"
	e, _ := Parse(ok)
	if _, _, err := SQL(e, env, "t", 0); err != nil {
		t.Errorf("6 relations: %v", err)
	}
	e, _ = Parse("parent." + ok)
	_, _, err := SQL(e, env, "t", 0)
	wantInvalid(t, "7 relations", err, "follows more than 6 relations")
	e, _ = Parse("nodes_via_parent.nodes_via_parent.name ?= 'x'")
	if _, _, err := SQL(e, env, "t", 0); err != nil {
		t.Errorf("self back-relation: %v", err)
	}
}

func TestUnreadableFields(t *testing.T) {
	s := newSchema(t)
	env := s.env()
	env.CanRead = func(c *collections.Collection, field string) bool {
		switch c.Name + "." + field {
		case "posts.secret", "users.age", "comments.post", "labels.name":
			return false
		}
		return true
	}
	for _, c := range []struct{ src, want string }{
		{`secret = 's1'`, `the field "secret" cannot be used in filters`},
		{`title = 'x' || secret ~ 's'`, `the field "secret" cannot be used in filters`},
		{`author.age > 1`, `the field "author.age" cannot be used in filters`},
		{`editors.age ?> 1`, `the field "editors.age" cannot be used in filters`},
		{`comments_via_post.text ?= 'x'`, `the field "comments.post" cannot be used in filters`},
		{`labels_via_posts.name ?= 'red'`, `the field "labels_via_posts.name" cannot be used in filters`},
	} {
		e, err := Parse(c.src)
		if err != nil {
			t.Fatal(err)
		}
		_, _, err = SQL(e, env, "t", 0)
		wantInvalid(t, c.src, err, c.want)
		_, err = Eval(e, env, map[string]any{})
		wantInvalid(t, "Eval "+c.src, err, c.want)
	}
	for _, src := range []string{`title = 'x'`, `author.name = 'x'`, `labels_via_posts.id ?= 'l1'`} {
		e, _ := Parse(src)
		if _, _, err := SQL(e, env, "t", 0); err != nil {
			t.Errorf("%s: %v", src, err)
		}
	}
	// Without CanRead hidden fields are unreadable; a CanRead can allow them.
	plain := s.env()
	e, _ := Parse(`secret = 's1'`)
	_, _, err := SQL(e, plain, "t", 0)
	wantInvalid(t, "hidden field without CanRead", err, `the field "secret" cannot be used in filters`)
	_, _, err = ParseSort("secret", plain, "t", 0)
	wantInvalid(t, "sorting by a hidden field without CanRead", err, `the field "secret" cannot be used`)
	plain.CanRead = func(*collections.Collection, string) bool { return true }
	if _, _, err := SQL(e, plain, "t", 0); err != nil {
		t.Errorf("hidden field allowed by CanRead: %v", err)
	}

	_, _, err = ParseSort("-secret", env, "t", 0)
	wantInvalid(t, "sort -secret", err, `Invalid sort: the field "secret" cannot be used in filters.`)
	_, _, err = ParseSort("author.age", env, "t", 0)
	wantInvalid(t, "sort author.age", err, `the field "author.age" cannot be used`)
}

// TestInjection feeds hostile text through every place a value can enter
// and checks it is either rejected or bound as a parameter: the SQL text
// never contains it, and the query runs and finds nothing unexpected.
func TestInjection(t *testing.T) {
	s := newSchema(t)
	conn := mustSeededDB(t, s)
	env := s.env()
	env.Auth = map[string]any{"id": `u1' OR '1'='1`, "name": `"; DROP TABLE posts; --`, "roles": []string{`') OR 1=1 --`, `\`}}
	hostile := []string{
		`'; DROP TABLE posts; --`,
		`' OR '1'='1`,
		`\'; DROP TABLE posts; --`,
		`$1`,
		`%' OR 1=1 --`,
		`a\`,
		`\\`,
		`ünïcödé 🎉 ‮RTL`,
		`"quoted" identifier`,
		`E'\\x41'`,
		`/* comment */`,
		`:name`,
		`{}`,
	}
	var filters []string
	for _, h := range hostile {
		q := "'" + strings.ReplaceAll(h, "'", `\'`) + "'"
		if strings.HasSuffix(h, `\`) {
			q = `"` + h + ` "` // a literal cannot end in a backslash
		}
		for _, f := range []string{`title = %s`, `title ~ %s`, `meta.a = %s`, `meta = %s`, `tags ?= %s`, `author.name = %s`,
			`comments_via_post.text ?~ %s`, `%s = title`, `title > %s`} {
			filters = append(filters, strings.Replace(f, "%s", q, 1))
		}
	}
	filters = append(filters,
		`author = @request.auth.id`, `title = @request.auth.name`, `tags ?= @request.auth.roles`,
		`title ~ @request.auth.name`, `title ~ @request.auth.roles`,
		`meta.a'b = 1`, `meta.x"y = 1`, `title = 'x' -- comment`, `title = 'x' /* c */`,
	)
	for _, src := range filters {
		e, err := Parse(src)
		if err != nil {
			wantInvalid(t, src, err, "Invalid filter")
			continue
		}
		cond, args, err := SQL(e, env, "t", 0)
		if err != nil {
			wantInvalid(t, src, err, "Invalid filter")
			continue
		}
		for _, h := range []string{"DROP", "OR 1", "OR '", "1=1", "--", "🎉", "RTL", "quoted", "/*", ":name", "x41", "u1'"} {
			if strings.Contains(cond, h) {
				t.Errorf("%s: value %q appears in the SQL text: %s", src, h, cond)
			}
		}
		ids, err := queryIDs(context.Background(), conn, "posts", cond, args)
		if err != nil {
			t.Errorf("%s: %v\n%s", src, err, cond)
			continue
		}
		if len(ids) > 0 && !strings.Contains(src, "~") && !strings.Contains(src, ">") && !strings.Contains(src, "@request") {
			t.Errorf("%s: selected %v", src, ids)
		}
	}
	var n int
	if err := conn.QueryRow(context.Background(), "SELECT count(*) FROM posts").Scan(&n); err != nil || n != len(seed["posts"]) {
		t.Errorf("posts table damaged: %d rows, %v", n, err)
	}
}

func TestAuthValues(t *testing.T) {
	s := newSchema(t)
	conn := mustSeededDB(t, s)
	recs := readBack(t, conn, s["posts"])
	env := s.env()
	env.Auth = map[string]any{
		"int": 10, "i64": int64(10), "f32": float32(0.5), "num": json.Number("7"), "list": []any{"a", "d"},
		"raw": json.RawMessage(`"hello"`), "rawnum": json.RawMessage(`10`), "rawlist": json.RawMessage(`["b"]`),
		"rawnull": json.RawMessage(`null`), "when": time.Date(2024, 1, 15, 10, 0, 0, 0, time.FixedZone("x", 3600)),
		"zero": time.Time{}, "pat": `%\`, "empty": []string{},
	}
	for _, src := range []string{
		`views = @request.auth.int`, `views = @request.auth.i64`, `views > @request.auth.f32`, `views < @request.auth.num`,
		`tags ?= @request.auth.list`, `tags = @request.auth.list`, `title:lower = @request.auth.raw`, `views = @request.auth.rawnum`,
		`tags ?= @request.auth.rawlist`, `due = @request.auth.rawnull`, `due < @request.auth.when`, `due = @request.auth.zero`,
		`title ~ @request.auth.pat`, `tags = @request.auth.empty`, `tags ?= @request.auth.empty`, `@request.auth.empty:length = 0`,
		`@request.auth.list:length = tags:length`,
	} {
		checkAgreement(t, conn, env, recs, src)
	}
	for _, c := range []struct {
		val       any
		src, want string
	}{
		{struct{}{}, `title = @request.auth.x`, "has an unsupported value"},
		{[]any{struct{}{}}, `title = @request.auth.x`, "has an unsupported value"},
		{json.RawMessage(`{"a":`), `title = @request.auth.x`, "has an unsupported value"},
		{"nul\x00", `title = @request.auth.x`, "text values cannot contain NUL characters"},
		{make([]string, 101), `title = @request.auth.x:each`, "has too many values"},
	} {
		env.Auth = map[string]any{"x": c.val}
		e, _ := Parse(c.src)
		_, _, err := SQL(e, env, "t", 0)
		wantInvalid(t, "auth value", err, c.want)
	}
	// Objects and lists of other values read as their JSON text.
	env.Auth = map[string]any{"obj": map[string]any{"a": 1}, "nums": []any{1, 2.5}, "rawobj": json.RawMessage(`{"b": [1]}`)}
	for src, want := range map[string]bool{
		`@request.auth.obj = '{"a":1}'`: true, `@request.auth.nums = '[1,2.5]'`: true, `@request.auth.nums:each ?= 2.5`: true,
		`@request.auth.nums:each > 1`: false, `@request.auth.rawobj = '{"b":[1]}'`: true, `@request.auth.nums:length = 2`: true,
	} {
		e, _ := Parse(src)
		if got, err := Eval(e, env, map[string]any{}); err != nil || got != want {
			t.Errorf("%s = %v, %v; want %v", src, got, err, want)
		}
	}
}

func TestTooComplex(t *testing.T) {
	env := newSchema(t).env()
	big := make([]string, 100)
	for i := range big {
		big[i] = strings.Repeat("x", i)
	}
	env.Auth = map[string]any{"big": big}
	e, _ := Parse(`tags:each ?= @request.auth.big:each && title = @request.auth.big:each`)
	if _, _, err := SQL(e, env, "t", 0); err != nil {
		t.Errorf("200 comparisons: %v", err)
	}
	e, _ = Parse(`@request.auth.big:each ?= @request.auth.big:each`)
	_, _, err := SQL(e, env, "t", 0)
	wantInvalid(t, "10000 comparisons", err, "the filter is too complex")
}

func TestEvalNeedsDatabase(t *testing.T) {
	s := newSchema(t)
	env := s.env()
	for _, src := range []string{`author.name = 'x'`, `title = 'x' || editors.name ?= 'y'`, `comments_via_post.id = null`, `editors.id ?= 'u1'`} {
		e, _ := Parse(src)
		if _, err := Eval(e, env, map[string]any{"title": "x"}); !errors.Is(err, ErrNeedsDatabase) {
			t.Errorf("%s: got %v, want ErrNeedsDatabase", src, err)
		}
	}
	e, _ := Parse(`author.id = 'u1'`)
	if ok, err := Eval(e, env, map[string]any{"author": "u1"}); err != nil || !ok {
		t.Errorf("author.id needs no join: %v %v", ok, err)
	}
}

func TestEvalRecordValues(t *testing.T) {
	s := newSchema(t)
	env := s.env()
	eval := func(src string, rec map[string]any) (bool, error) {
		t.Helper()
		e, err := Parse(src)
		if err != nil {
			t.Fatal(err)
		}
		return Eval(e, env, rec)
	}
	// Missing fields take their column defaults.
	for src, want := range map[string]bool{
		`title = ''`: true, `views = 0`: true, `published = false`: true, `due = null`: true,
		`meta = null`: true, `tags:length = 0`: true, `author = null`: true, `title > null`: false,
	} {
		if got, err := eval(src, map[string]any{}); err != nil || got != want {
			t.Errorf("%s on an empty record = %v, %v; want %v", src, got, err, want)
		}
	}
	// Lenient conversions.
	for src, rec := range map[string]map[string]any{
		`views = 3`:                   {"views": 3},
		`tags:each ?= 'a'`:            {"tags": []any{"a"}},
		`tags = '["a"]'`:              {"tags": []any{"a"}},
		`due = '2024-01-02'`:          {"due": "2024-01-02 00:00:00.000Z"},
		`meta.a = 1`:                  {"meta": map[string]any{"a": 1}},
		`meta = 'x'`:                  {"meta": []byte(`"x"`)},
		`due = '2024-01-02 00:00:00'`: {"due": time.Date(2024, 1, 2, 0, 0, 0, 999, time.UTC)},
	} {
		if got, err := eval(src, rec); err != nil || !got {
			t.Errorf("%s on %v = %v, %v; want true", src, rec, got, err)
		}
	}
	for src, rec := range map[string]map[string]any{
		`views = 3`:   {"views": "3"},
		`title = 'x'`: {"title": 3.0},
		`tags ?= 'a'`: {"tags": "a"},
		`meta = 'x'`:  {"meta": json.RawMessage(`{`)},
		`due = null`:  {"due": "tomorrow"},
	} {
		if _, err := eval(src, rec); err == nil {
			t.Errorf("%s on %v: want an error", src, rec)
		}
	}
}
