package filter

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

func TestParseSort(t *testing.T) {
	s := newSchema(t)
	conn := mustSeededDB(t, s)
	env := s.env()
	cases := []struct {
		src, want string
		ids       string // first ids of the result, with id as the tie-breaker
	}{
		{``, ``, ``},
		{` , `, ``, ``},
		{`-views`, `"t"."views" DESC`, `p11 p04 p05`},
		{`views,-id`, `"t"."views" ASC, "t"."id" DESC`, `p03 p02 p10`},
		{` +score , title `, `"t"."score" ASC, "t"."title" ASC`, `p11 p03 p02`},
		{`-created,title`, `"t"."created" DESC, "t"."title" ASC`, `p10 p12 p05`}, // NULLs first when descending
		{`due`, `"t"."due" ASC`, `p04 p01 p09`},
		{`meta`, `"t"."meta" ASC`, ``},
		{`tags`, `"t"."tags" ASC`, ``},
		{`@random`, `random()`, ``},
		{`author.name`, `(SELECT "_f1"."name" FROM "users" AS "_f1" WHERE "_f1"."id" = "t"."author") ASC`, `p01 p05 p09`},
		{`-author.org.name,id`, `(SELECT "_f2"."name" FROM "users" AS "_f1" JOIN "orgs" AS "_f2" ON "_f2"."id" = "_f1"."org" WHERE "_f1"."id" = "t"."author") DESC, "t"."id" ASC`, `p02 p04 p07`},
		{`author.id`, `"t"."author" ASC`, `p01 p05 p09`},
	}
	for _, c := range cases {
		got, _, err := ParseSort(c.src, env, "t", 0)
		if err != nil {
			t.Errorf("ParseSort(%q): %v", c.src, err)
			continue
		}
		if got != c.want {
			t.Errorf("ParseSort(%q) =\n %s\nwant %s", c.src, got, c.want)
		}
		q := "SELECT t.id FROM posts AS t"
		if got != "" {
			q += " ORDER BY " + got + ", t.id"
		}
		rows, err := conn.Query(context.Background(), q)
		if err != nil {
			t.Errorf("%s: %v", q, err)
			continue
		}
		ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Error(err)
			continue
		}
		if c.ids != "" && !slices.Equal(ids[:3], strings.Fields(c.ids)) {
			t.Errorf("%s: got %v", c.src, ids)
		}
	}
	for _, c := range []struct{ src, want string }{
		{`nope`, `Invalid sort: unknown field "nope" in "nope".`},
		{`-editors.name`, `Invalid sort: cannot sort by "editors.name": it has many values.`},
		{`comments_via_post.text`, `Invalid sort: cannot sort by "comments_via_post.text": it has many values.`},
		{`meta.a`, `Invalid sort: cannot sort by a key inside the json field "meta".`},
		{`title:lower`, `Invalid sort: "title:lower" is not a field name.`},
		{`title;drop`, `Invalid sort: "title;drop" is not a field name.`},
		{`"title"`, `Invalid sort: "\"title\"" is not a field name.`},
		{`@now`, `Invalid sort: "@now" is not a field name.`},
		{`a..b`, `Invalid sort: "a..b" is not a field name.`},
		{`--views`, `Invalid sort: "-views" is not a field name.`},
		{strings.Repeat("id,", 17), `Invalid sort: at most 16 fields can be sorted by.`},
		{strings.Repeat("x", MaxLength+1), `Invalid sort: it is longer than 4096 characters.`},
	} {
		_, _, err := ParseSort(c.src, env, "t", 0)
		wantInvalid(t, "ParseSort("+c.src+")", err, c.want)
	}
}
