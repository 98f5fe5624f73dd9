package filter

import (
	"context"
	"slices"
	"testing"

	"github.com/jackc/pgx/v5"
)

// agreementFilters only use the root's own fields, so Eval can run them.
var agreementFilters = []string{
	// text
	`title = 'hello'`,
	`title != 'hello'`,
	`title = ''`,
	`title = null`,
	`title != null`,
	`title != ''`,
	`null = title`,
	`title ~ 'hello'`,
	`title !~ 'hello'`,
	`title ~ 'HELLO'`,
	`title ~ '50%'`,
	`title ~ '%off\_%'`,
	`title ~ '_'`,
	`title ~ '%'`,
	`title ~ ''`,
	`title !~ ''`,
	`title ~ null`,
	`title ~ 'café'`,
	`title ~ "O'Reilly"`,
	`title ~ 'k\slash'`,
	`title ~ '%sh'`,
	`title ~ body`,
	`title !~ body`,
	`'hello world' ~ title`,
	`title > 'H'`,
	`title < 'h'`,
	`title >= ''`,
	`title <= 'null'`,
	`title > null`,
	`title:lower = 'hello world'`,
	`title:lower ~ 'WORLD'`,
	`title = body`,
	`title != body`,
	`title < body`,
	`title = 5`,
	`'hello' = title`,
	// numbers
	`views > 5`,
	`views >= 10 && views <= 50`,
	`views = '10'`,
	`views = 0`,
	`views != 0`,
	`views < -1`,
	`views = null`,
	`views != null`,
	`views > null`,
	`10 < views`,
	`views > score`,
	`views = score`,
	`score > 1.2`,
	`score = 0.1`,
	`score >= 1e10`,
	`score < 1e-2`,
	// booleans
	`published = true`,
	`published = false`,
	`published != true`,
	`published = 'true'`,
	`published = null`,
	`published != null`,
	`published = published`,
	// dates
	`due > '2024-01-01'`,
	`due < @now`,
	`due = null`,
	`due != null`,
	`due = ''`,
	`due = '2024-01-15 10:00:00.000Z'`,
	`due != '2024-01-15 10:00:00.000Z'`,
	`due >= @todayStart && due <= @todayEnd`,
	`due > @todayEnd`,
	`due <= @monthEnd && due >= @monthStart`,
	`due < @yearStart`,
	`due > @yearEnd`,
	`created > due`,
	`created = due`,
	`created != due`,
	`created >= @now`,
	`created = @now`,
	`due < null`,
	`@now > due`,
	// select (single)
	`status = 'draft'`,
	`status = ''`,
	`status != 'draft' && status != ''`,
	`status ?= 'draft'`,
	// multi select
	`tags ?= 'a'`,
	`tags = 'a'`,
	`tags ?!= 'a'`,
	`tags != 'a'`,
	`tags:each ?= 'b'`,
	`tags:each = 'b'`,
	`tags:length > 1`,
	`tags:length = 0`,
	`tags:length = '2'`,
	`tags ?~ 'b'`,
	`tags ~ 'b'`,
	`tags !~ 'b'`,
	`tags ?!~ 'b'`,
	`tags = ''`,
	`tags ?= ''`,
	`tags != ''`,
	`tags = null`,
	`tags ?> 'b'`,
	`tags > 'a'`,
	`tags = tags`,
	`tags ?= tags`,
	`tags ?= status`,
	`tags:lower ?= 'A'`,
	`'a' ?= tags`,
	`'b' = tags`,
	// json
	`meta = null`,
	`meta != null`,
	`meta = ''`,
	`meta != ''`,
	`meta = 'x'`,
	`meta != 'x'`,
	`meta = 42`,
	`meta != 42`,
	`meta > 10`,
	`meta <= 100`,
	`meta = 100`,
	`meta = true`,
	`meta != true`,
	`meta = '42'`,
	`meta ~ 'x'`,
	`meta !~ 'x'`,
	`meta ~ ''`,
	`meta > 'a'`,
	`meta = title`,
	`meta != title`,
	`meta < title`,
	`meta ~ title`,
	`'x' = meta`,
	`10 < meta`,
	`meta > null`,
	`meta.a = 1`,
	`meta.a != 1`,
	`meta.a = '1'`,
	`meta.a > 0`,
	`meta.a >= 1.0`,
	`meta.s = 'x'`,
	`meta.s = ''`,
	`meta.s = null`,
	`meta.s ~ 'X'`,
	`meta.s > 'a'`,
	`meta.b = true`,
	`meta.n = null`,
	`meta.missing = null`,
	`meta.missing != null`,
	`meta.arr.2 = 'three'`,
	`meta.arr.0 = 1`,
	`meta.arr.1 = 'b'`,
	`meta.arr.99 = null`,
	`meta.arr.x = null`,
	`meta.o.k = 'v'`,
	`meta.o = null`,
	`meta.a ?= 1`,
	// relations, as ids
	`author = 'u1'`,
	`author = ''`,
	`author != ''`,
	`author = null`,
	`author != 'u1'`,
	`author > 'u1'`,
	`author.id = 'u2'`,
	`author.id != 'u2'`,
	`author ~ 'u'`,
	`editors ?= 'u2'`,
	`editors = 'u1'`,
	`editors != 'u1'`,
	`editors:length >= 2`,
	`editors ?= author`,
	`editors = author`,
	`editors:each ?!= author`,
	// logic
	`id = 'p01' || id = 'p02'`,
	`(views > 5 || published = true) && status != 'archived'`,
	`views > 5 && (published = true || (tags ?= 'd' && meta != null))`,
	`((title = '') || (title = 'x')) && views >= 0`,
	`id != 'p01' && id != 'p02' && id != 'p03' || views = 0`,
	// constants
	`1 = 1`,
	`'a' = 'b'`,
	`null = null`,
	`null != ''`,
	`5 > '3'`,
	// request
	`@request.auth.id = author`,
	`@request.auth.id != author`,
	`author = @request.auth.id || editors ?= @request.auth.id`,
	`@request.auth.roles ?= tags`,
	`tags ?= @request.auth.roles`,
	`tags = @request.auth.roles`,
	`@request.auth.roles:each ?= status`,
	`@request.auth.roles:length = tags:length`,
	`@request.auth.age < views`,
	`@request.auth.missing = null`,
	`@request.auth.missing = title`,
	`@request.auth.verified = published`,
	`@request.auth.name:lower = title:lower`,
	`@request.auth.collectionName = 'users'`,
	// comments and whitespace
	"title = 'x' // a comment\n || views = 0",
	"\n\t title\n=\n'hello'\n",
}

// TestSQLAgreesWithEval checks, for each filter, that the records the SQL
// condition selects are exactly those Eval accepts.
func TestSQLAgreesWithEval(t *testing.T) {
	s := newSchema(t)
	conn := mustSeededDB(t, s)
	env := s.env()
	recs := readBack(t, conn, s["posts"])
	for _, src := range agreementFilters {
		t.Run(src, func(t *testing.T) {
			checkAgreement(t, conn, env, recs, src)
		})
	}
	t.Run("guest", func(t *testing.T) {
		guest := env
		guest.Auth = nil
		for _, src := range []string{`@request.auth.id = ''`, `@request.auth.id = author`, `@request.auth.id != author`,
			`@request.auth.roles ?= tags`, `tags = @request.auth.roles`, `@request.auth.id = null`} {
			checkAgreement(t, conn, guest, recs, src)
		}
	})
}

func checkAgreement(t *testing.T, conn *pgx.Conn, env Env, recs []map[string]any, src string) {
	t.Helper()
	e, err := Parse(src)
	if err != nil {
		t.Fatalf("Parse(%q): %v", src, err)
	}
	cond, args, err := SQL(e, env, "t", 0)
	if err != nil {
		t.Fatalf("SQL(%q): %v", src, err)
	}
	got, err := queryIDs(context.Background(), conn, env.Root.Name, cond, args)
	if err != nil {
		t.Fatalf("%q: query: %v\n%s %v", src, err, cond, args)
	}
	want := []string{}
	for _, rec := range recs {
		ok, err := Eval(e, env, rec)
		if err != nil {
			t.Fatalf("Eval(%q): %v", src, err)
		}
		if ok {
			want = append(want, rec["id"].(string))
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("%s\nSQL:  %v\nEval: %v\n%s\n%v", src, got, want, cond, args)
	}
}
