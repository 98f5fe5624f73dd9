package filter

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/lumbunghq/lumbung/collections"
)

// pbListFilters are PocketBase's meaning of lists without :each (their
// JSON text) and of dates compared with text, each checked in SQL and in
// memory on the same rows.
var pbListFilters = []string{
	// a list without :each is its JSON text
	`tags ?= 'a'`, `tags = 'a'`, `tags != 'a'`, `tags ?!= 'a'`, `tags = '["a","b"]'`, `tags = '[]'`, `tags = ''`,
	`tags != ''`, `tags = null`, `tags ~ 'b'`, `tags ~ '"b"'`, `tags ~ 'a","b'`, `tags !~ 'c'`, `tags > '["b'`,
	`tags:lower = '["a","b"]'`, `tags = tags`, `tags ?= status`, `'["c"]' = tags`, `tags ~ '%"d"]'`,
	`editors ?= 'u2'`, `editors ~ 'u2'`, `editors ~ @request.auth.id`, `editors = author`,
	`editors:each ?= 'u2'`, `editors:each = 'u1'`, `editors:each ?= author`,
	`tags:each ~ 'b'`, `tags:each !~ 'b'`, `tags:each ?~ 'b'`, `tags:each = ''`, `tags:each != 'a'`, `tags:each ?!= 'a'`,
	`tags = @request.auth.roles`, `@request.auth.roles = '["a","c"]'`, `tags:each ?= @request.auth.roles:each`,
	`@request.auth.roles ~ 'c'`, `@request.auth.roles:length = tags:length`,
	// dates read as text when the other side is not a date
	`due ~ '2024-01'`, `due !~ '2025'`, `due ~ '-15 '`, `due >= '2025-06'`, `due < '2025'`, `due = 'not a date'`,
	`due != 'not a date'`, `due < '2024-01-15T10:00'`, `created ~ ':00:00.000Z'`, `due ~ created`, `'2030' < due`,
	// and as dates when it is one
	`due < '2024-01-15T10:00:00.001Z'`, `due = '2024-01-15T10:00:00Z'`, `due >= '2025-06-15T00:00:00+02:00'`,
	// functions
	`strftime('%Y', due) = '2024'`, `strftime('%Y-%m', created) = '2025-06'`, `strftime('%Y', due) = ''`,
	`strftime('%d/%m %H:%M:%S.%f', due) ~ '15/01'`, `strftime('%s', due) > '1700000000'`, `strftime('%s', due) = '1705312800'`,
	`strftime('%F', due, '+1 day') = '2024-01-16'`, `strftime('%F', due, 'start of month', '+1 months', '-1 day') = '2024-01-31'`,
	`strftime('%F %T', due, 'weekday 0') ~ '2024-01-21'`, `strftime('%F', due, '-12 hours', 'start of year') = '2024-01-01'`,
	`strftime('%F', due, '+1 year', '-2 months') = '2029-04-01'`, `strftime('%j', due, '+0.5 days') > '200'`,
	`strftime('%Y', views, 'unixepoch') = '1970'`, `strftime('%F', score) = '-4713-11-24'`, `strftime('%Y', 2460000) = '2023'`,
	`strftime('%F', '2024-02-29', '+1 year') = strftime('%F', due)`, `strftime('%Y') = '2025'`, `strftime('%F', @now) = '2025-06-15'`,
	`strftime('%F', 'now') = '2025-06-15'`, `strftime('%F', 'garbage') = ''`, `strftime('%F', null) = ''`,
	`strftime('%Q', due) = ''`, `strftime('%J', due) != ''`, `strftime('100%', due) = ''`, `strftime('100%%', due) = '100%'`, `strftime('x', due) = 'x'`, `strftime('%m', due) ?= '01'`,
	`geoDistance(score, views, 13.4, 52.5) < 5000`, `geoDistance(score, score, score, score) < 0.001`,
	`geoDistance(views, 0, 0, 0) > 100`, `geoDistance(meta.a, meta.a, 0, 0) < 200`, `geoDistance(meta, 0, 0, 0) = null`,
	`geoDistance(0, 0, 0, 0) = 0`, `geoDistance(13.4, 52.5, 2.35, 48.85) > 870`, `geoDistance(13.4, 52.5, 2.35, 48.85) < 880`,
	`geoDistance(null, 0, 0, 0) = null`, `geoDistance(views, score, 0, 0) > views`, `geoDistance(0, 0, 180, 0) > 20000`,
}

// requestEnv is the test Env with request values: a create of posts.
func requestEnv(s testSchema) Env {
	env := s.env()
	env.Request = &collections.RequestInfo{
		Context: "default",
		Method:  "POST",
		Query:   map[string]string{"page": "2", "expand": "author", "empty": ""},
		Headers: map[string]string{"x_token": "ABC", "content_type": "application/json"},
		Body: map[string]any{
			"title": "Hello World", "views": json.Number("10"), "published": true, "due": "2024-01-15T10:00:00Z",
			"tags": []any{"a", "b"}, "status": "draft", "author": "u1", "editors": []any{"u2", "u3"},
			"meta": map[string]any{"a": json.Number("1"), "list": []any{"x", json.Number("2")}},
			"nums": []any{json.Number("3"), json.Number("7")}, "bad": "abc", "formViews": "7", "nul": "a\x00b",
			"nothing": nil, "empty": "",
		},
	}
	return env
}

var requestFilters = []string{
	`@request.method = 'POST'`, `@request.method:lower = 'post'`, `@request.context = 'default'`, `@request.context != 'realtime'`,
	`@request.query.page = '2'`, `@request.query.page > 1`, `@request.query.page = views`, `@request.query.missing = null`,
	`@request.query.missing = ''`, `@request.query.missing:isset = false`, `@request.query.page:isset = true`,
	`@request.query.empty:isset = true`, `@request.query.empty = null`, `@request.query.page.x = null`,
	`@request.headers.x_token = 'ABC'`, `@request.headers.x_token:lower = 'abc'`, `@request.headers.x_token ~ 'b'`,
	`@request.headers.X_Token = null`, `@request.headers.content_type ~ 'json'`,
	`@request.body.title = title`, `@request.body.title:lower = title:lower`, `@request.body.title ~ title`,
	`@request.body.views > views`, `@request.body.views = views`, `@request.body.views:isset = true`,
	`@request.body.formViews > views`, `@request.body.published = published`, `@request.body.due = due`,
	`@request.body.due > due`, `@request.body.tags = tags`, `@request.body.tags = '["a","b"]'`, `@request.body.tags ?= 'a'`,
	`@request.body.tags:each ?= 'a'`, `@request.body.tags:each = tags:each`, `@request.body.tags:each ?= tags:each`,
	`@request.body.tags:length = tags:length`, `@request.body.tags:length = 2`, `@request.body.status:each ?= status`,
	`@request.body.status:length = 1`, `@request.body.author:each ?= editors:each`, `@request.body.editors:length > 1`,
	`@request.body.meta.a = 1`, `@request.body.meta.a = '1'`, `@request.body.meta.list.0 = 'x'`, `@request.body.meta.list.1 > 1`,
	`@request.body.meta.list.5 = null`, `@request.body.meta.list.5:isset = false`, `@request.body.meta.list:isset = true`,
	`@request.body.meta = '{"a":1,"list":["x",2]}'`, `@request.body.nums = '[3,7]'`,
	`@request.body.bad > views`, `@request.body.bad = views`, `@request.body.bad != views`, `@request.body.bad = published`,
	`@request.body.bad < due`, `@request.body.bad = title`, `@request.body.nul = title`, `@request.body.nul != title`,
	`@request.body.nothing:isset = true`, `@request.body.nothing = null`, `@request.body.missing:isset = false`,
	`@request.body.missing = ''`, `@request.body.empty = title`,
	`@request.body.title:changed = true`, `@request.body.title:changed = false`, `@request.body.views:changed = true`,
	`@request.body.due:changed = false`, `@request.body.status:changed = true`, `@request.body.tags:changed = false`,
	`@request.body.published:changed = true`, `@request.body.editors:changed = true`, `@request.body.meta:changed = true`,
	`@request.body.body:changed = false`, `@request.body.title:changed = @request.body.views:changed`,
	`@request.auth.id = author || @request.body.status = 'draft'`, `@request.auth.collectionName = 'users'`,
	`@request.auth.org = 'o1'`, `@request.auth.org:isset = true`, `@request.auth.nope:isset = false`,
	`@request.body.author.id = author`, `@request.auth.org.id = 'o1'`,
}

// TestRequestAgrees checks PocketBase's list and date semantics, the
// functions and the request values in SQL and in memory on the same rows.
func TestRequestAgrees(t *testing.T) {
	s := newSchema(t)
	conn := mustSeededDB(t, s)
	recs := readBack(t, conn, s["posts"])
	env := requestEnv(s)
	for _, src := range append(append([]string{}, pbListFilters...), requestFilters...) {
		t.Run(src, func(t *testing.T) {
			checkAgreement(t, conn, env, recs, src)
		})
	}
	// An update's :changed compares the body with the record as stored
	// before the change, whatever row is checked.
	for _, rec := range recs {
		stored := env
		stored.Stored = rec
		for _, src := range []string{`@request.body.title:changed = true`, `@request.body.views:changed = true`,
			`@request.body.tags:changed = true`, `@request.body.due:changed = true`, `@request.body.author:changed = true`} {
			e, _ := Parse(src)
			want, err := Eval(e, env, rec)
			if err != nil {
				t.Fatal(err)
			}
			for _, other := range recs[:3] {
				got, err := Eval(e, stored, other)
				if err != nil || got != want {
					t.Errorf("%s with %s stored, checking %s: %v, %v; want %v", src, rec["id"], other["id"], got, err, want)
				}
			}
		}
	}
	// Without request values every one is null.
	bare := s.env()
	bare.Auth = nil
	for _, src := range []string{`@request.method = null`, `@request.context = null`, `@request.body.title = null`,
		`@request.body.title:isset = false`, `@request.query.page:isset = false`, `@request.auth.org.name = null`,
		`@request.auth.id:isset = false`, `@request.body.title:changed = false`, `@request.body.tags:length = 0`,
		`@request.auth.nope.name = null`} {
		checkAgreement(t, conn, bare, recs, src)
		e, _ := Parse(src)
		if ok, err := Eval(e, bare, recs[0]); err != nil || !ok {
			t.Errorf("%s without a request: %v, %v", src, ok, err)
		}
	}
}

// TestRequestPaths runs paths through relations of the auth record and of
// the body, which only SQL can answer.
func TestRequestPaths(t *testing.T) {
	s := newSchema(t)
	conn := mustSeededDB(t, s)
	env := requestEnv(s)
	cases := []struct {
		src  string
		want string
	}{
		{`@request.auth.org.name = 'Acme'`, "all"},
		{`@request.auth.org.name = 'Beta'`, ""},
		{`@request.auth.org.plan ?= 'pro' && @request.auth.org.name ?= 'Acme'`, "all"},
		{`author.org.name = @request.auth.org.name`, "p01 p05 p09 p11"},
		{`author.org = @request.auth.org.id`, "p01 p05 p09 p11"},
		{`@request.body.author.name = 'Alice'`, "all"},
		{`@request.body.editors.name ?= 'bob'`, "all"},
		{`@request.body.editors.name = 'bob'`, ""},
		{`@request.body.editors.age ?> 20 && @request.body.editors.name ?= 'bob'`, "all"},
		{`@request.body.editors.age ?> 26 && @request.body.editors.name ?= 'bob'`, ""},
		{`editors.id ?= @request.body.editors.id`, "p01 p03 p04 p07 p08 p09 p11 p12"},
		{`@request.body.editors.org.name ?= 'Beta'`, "all"},
		{`comments_via_post.author.org.name ?= @request.auth.org.name`, "p03 p04"},
		// Missing names in a path of the request read as null, as in PocketBase.
		{`@request.auth.org.nope = null`, "all"},
		{`@request.auth.nope.name = null`, "all"},
		{`@request.body.author.nope_via_x.name = null`, "all"},
	}
	for _, c := range cases {
		e, err := Parse(c.src)
		if err != nil {
			t.Fatal(err)
		}
		cond, args, err := SQL(e, env, "t", 0)
		if err != nil {
			t.Fatalf("%s: %v", c.src, err)
		}
		ids, err := queryIDs(context.Background(), conn, "posts", cond, args)
		if err != nil {
			t.Fatalf("%s: %v\n%s", c.src, err, cond)
		}
		want := c.want
		if want == "all" {
			var all []string
			for _, r := range seed["posts"] {
				all = append(all, r["id"].(string))
			}
			want = strings.Join(all, " ")
		}
		if got := strings.Join(ids, " "); got != want {
			t.Errorf("%s: got %q, want %q\n%s %v", c.src, got, want, cond, args)
		}
		if strings.HasSuffix(c.src, "= null") {
			continue // no path left to follow
		}
		if _, err := Eval(e, env, map[string]any{}); err != ErrNeedsDatabase {
			t.Errorf("%s: Eval gave %v, want ErrNeedsDatabase", c.src, err)
		}
		reads, err := Reads(e, env)
		if err != nil || len(reads) == 0 {
			t.Errorf("%s: Reads = %v, %v", c.src, reads, err)
		}
	}
}

// TestStrftimeConversions checks every conversion, in SQL and in memory,
// on dates that test their edges.
func TestStrftimeConversions(t *testing.T) {
	s := newSchema(t)
	dates := []string{"2024-01-01 00:00:00.000Z", "2023-01-01 13:05:09.123456Z", "2021-01-03 23:59:59.999999Z",
		"2020-12-31 12:00:00Z", "2024-02-29 07:08:09.5Z", "1969-12-31 23:59:59.250Z", "0999-06-15 01:02:03Z", "9999-12-31 23:59:59Z"}
	rows := map[string][]map[string]any{}
	for i, d := range dates {
		rows["posts"] = append(rows["posts"], map[string]any{"id": fmt.Sprintf("d%d", i), "due": day(d), "views": float64(day(d).Unix())})
	}
	conn := seededDB(t, s, rows)
	recs := readBack(t, conn, s["posts"])
	env := s.env()
	for _, spec := range "deFfGgHIjklMmPpRSsTUuVWwY" {
		for i, d := range dates {
			want := formatSpec(byte(spec), day(d))
			wantSecs := formatSpec(byte(spec), day(d).Truncate(time.Second))
			for _, src := range []string{
				fmt.Sprintf(`id = 'd%d' && strftime('%%%c', due) = '%s'`, i, spec, want),
				fmt.Sprintf(`id = 'd%d' && strftime('<%%%c>', views, 'unixepoch') = '<%s>'`, i, spec, wantSecs),
			} {
				e, err := Parse(src)
				if err != nil {
					t.Fatal(err)
				}
				cond, args, err := SQL(e, env, "t", 0)
				if err != nil {
					t.Fatalf("%s: %v", src, err)
				}
				ids, err := queryIDs(context.Background(), conn, "posts", cond, args)
				if err != nil {
					t.Fatalf("%s: %v", src, err)
				}
				if len(ids) != 1 {
					t.Errorf("%s: SQL does not agree (%v)", src, ids)
				}
				if ok, err := Eval(e, env, recs[i]); err != nil || !ok {
					t.Errorf("%s: Eval %v, %v", src, ok, err)
				}
			}
		}
	}
	// A few answers SQLite gives, written out.
	for src, want := range map[string]bool{
		`strftime('%Y-%m-%d %H:%M:%f', '2024-01-31 10:00:00.123Z', '+1 month') = '2024-03-02 10:00:00.123'`: true,
		`strftime('%F', '2023-01-31', '+1 month') = '2023-03-03'`:                                           true,
		`strftime('%F', '2024-02-29', '+1 year') = '2025-03-01'`:                                            true,
		`strftime('%F', '2024-01-15', 'weekday 1') = '2024-01-15'`:                                          true,
		`strftime('%F', '2024-01-16', 'weekday 1') = '2024-01-22'`:                                          true,
		`strftime('%s', 0, 'unixepoch') = '0'`:                                                              true,
		`strftime('%F %T', 2460000.5) = '2023-02-25 00:00:00'`:                                              true,
		`strftime('%W %U %V %G %j', '2021-01-03') = '00 01 53 2020 003'`:                                    true,
		`strftime('%e|%k|%l|%I|%p|%P', '2024-01-05 00:07:00') = ' 5| 0|12|12|AM|am'`:                        true,
		`strftime('%F', 1e20, 'unixepoch') = ''`:                                                            true,
	} {
		e, err := Parse(src)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := Eval(e, env, recs[0]); err != nil || got != want {
			t.Errorf("%s: %v, %v", src, got, err)
		}
	}
}

// TestRequestValuesAreParameters makes sure values from the request reach
// the SQL only as bound parameters.
func TestRequestValuesAreParameters(t *testing.T) {
	s := newSchema(t)
	conn := mustSeededDB(t, s)
	env := requestEnv(s)
	hostile := `x'); DROP TABLE posts; --`
	env.Request.Body = map[string]any{"title": hostile, "author": []any{hostile}, "meta": map[string]any{hostile: hostile}}
	env.Request.Query = map[string]string{"q": hostile}
	env.Request.Headers = map[string]string{"h": hostile}
	for _, src := range []string{`title = @request.body.title`, `@request.body.author.name ?= 'x'`, `@request.query.q = title`,
		`@request.headers.h ~ title`, `@request.body.meta = title`, `@request.body.title:changed = true`} {
		e, _ := Parse(src)
		cond, args, err := SQL(e, env, "t", 0)
		if err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		if strings.Contains(cond, "DROP") {
			t.Errorf("%s: the value is in the SQL text: %s", src, cond)
		}
		if _, err := queryIDs(context.Background(), conn, "posts", cond, args); err != nil {
			t.Errorf("%s: %v", src, err)
		}
	}
}

// TestHeaderKey checks header names as rules read them.
func TestHeaderKey(t *testing.T) {
	for in, want := range map[string]string{"X-Token": "x_token", "Content-Type": "content_type", "X-Forwarded-For": "x_forwarded_for",
		"x-api-key": "x_api_key", "XAPIKey": "xapikey", "userAgent": "user_agent", "Accept": "accept"} {
		if got := collections.HeaderKey(in); got != want {
			t.Errorf("HeaderKey(%q) = %q, want %q", in, got, want)
		}
	}
}
