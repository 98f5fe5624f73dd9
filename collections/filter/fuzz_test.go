package filter

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/lumbunghq/lumbung/collections"
)

// FuzzParse checks that no input panics or hangs the parser, that errors
// are EINVALID, and that a parsed filter prints back to itself.
func FuzzParse(f *testing.F) {
	for _, s := range seedFilters() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		e, err := Parse(src)
		if err != nil {
			if collections.ErrorCode(err) != collections.EINVALID {
				t.Fatalf("Parse(%q): %v is not EINVALID", src, err)
			}
			return
		}
		again, err := Parse(e.String())
		if err != nil {
			t.Fatalf("Parse(%q).String() = %q does not parse: %v", src, e.String(), err)
		}
		if again.String() != e.String() {
			t.Fatalf("round trip of %q: %q != %q", src, again.String(), e.String())
		}
	})
}

// FuzzSQL compiles every input that parses against the test schema, runs
// the SQL on the seed data and requires that PostgreSQL accepts it (no
// syntax, type or data errors: only a statement timeout is tolerated). For
// filters Eval can run, the rows selected must be exactly those Eval
// accepts.
func FuzzSQL(f *testing.F) {
	for _, s := range seedFilters() {
		f.Add(s)
	}
	s := newSchema(f)
	conn := mustSeededDB(f, s)
	env := requestEnv(s)
	recs := readBack(f, conn, s["posts"])
	f.Fuzz(func(t *testing.T, src string) {
		checkFuzzed(t, conn, env, recs, src)
	})
}

// FuzzGenerated builds filters from the fuzzer's bytes with the grammar
// and the test schema's names, so that most inputs compile and reach the
// database, and checks them as FuzzSQL does.
func FuzzGenerated(f *testing.F) {
	for _, seed := range []string{"", "\x00\x01\x02", "abcdefgh", "\xff\x10\x20\x30\x40\x50\x60\x70\x80\x90"} {
		f.Add([]byte(seed))
	}
	s := newSchema(f)
	conn := mustSeededDB(f, s)
	env := requestEnv(s)
	recs := readBack(f, conn, s["posts"])
	f.Fuzz(func(t *testing.T, data []byte) {
		g := &filterGen{data: data}
		checkFuzzed(t, conn, env, recs, g.expr(0))
	})
}

// seedFilters are the fuzzers' starting inputs: every filter of the tables.
func seedFilters() []string {
	var out []string
	for _, l := range [][]string{agreementFilters, goldenFilters, pbListFilters, requestFilters} {
		out = append(out, l...)
	}
	return out
}

// filterGen turns bytes into a filter string.
type filterGen struct {
	data []byte
	i    int
}

func (g *filterGen) next() int {
	if g.i >= len(g.data) {
		return 0
	}
	g.i++
	return int(g.data[g.i-1])
}

func (g *filterGen) pick(list []string) string { return list[g.next()%len(list)] }

var (
	genFields = []string{
		"title", "body", "views", "score", "published", "due", "created", "status", "tags", "tags:each",
		"tags:length", "tags:lower", "meta", "meta.a", "meta.s", "meta.arr.0", "meta.arr.2", "meta.o.k", "meta.b",
		"author", "author.id", "editors", "editors:each", "editors:length", "id", "title:lower", "status:lower", "body:lower",
	}
	genRelations = []string{
		"author.name", "editors.name", "comments_via_post.likes", "comments_via_post.text", "labels_via_posts.name",
		"author.org.name", "editors.roles", "editors.age", "author.age", "comments_via_post.author.name",
		"@collection.comments.post", "@collection.comments.likes", "@collection.comments:c.text",
		"@collection.users.name", "@collection.labels.posts", "@collection.comments.author.name",
		"@request.auth.org.name", "@request.auth.org.plan", "@request.body.editors.name", "@request.body.author.age",
		"@collection.labels.posts:each", "editors.roles:each", "geoDistance(editors.age, author.age, 1, 2)",
		"strftime('%Y', comments_via_post.post.due)",
	}
	genValues = []string{
		"''", "'a'", "'b'", "'hello'", "'HELLO'", "'x'", "'1'", "'2024-01-15'", "'2024-01-15 10:00:00.000Z'", "'%'", "'50%'",
		"'%l_o%'", "'u1'", "'u2'", `"O'Reilly"`, "'  spaced  '", "'café'", "'draft'", "'10'", "'true'",
		"0", "1", "-5", "10", "0.1", "42", "100", "1e10", "2.5", "true", "false", "null",
		"@now", "@todayStart", "@todayEnd", "@monthStart", "@yearEnd", "@month", "@year", "@hour",
		"@request.auth.id", "@request.auth.roles", "@request.auth.age", "@request.auth.missing",
		"@request.auth.name:lower", "@request.auth.roles:length", "@request.auth.verified", "@request.auth.roles:each",
		"@request.body.title", "@request.body.views", "@request.body.tags", "@request.body.tags:each", "@request.body.bad",
		"@request.body.due", "@request.body.title:changed", "@request.body.views:isset", "@request.body.meta.a",
		"@request.query.page", "@request.headers.x_token:lower", "@request.method", "@request.context", "@request.body.nul",
		"strftime('%Y-%m', due)", "strftime('%s', created, '+1 day')", "strftime('%j', views, 'unixepoch')",
		"geoDistance(score, views, 13.4, 52.5)", "geoDistance(meta.a, 0, 1, 2)", "'2024-01'", "'2024-01-15T10:00'",
	}
	genOps = []string{"=", "!=", ">", ">=", "<", "<=", "~", "!~", "?=", "?!=", "?>", "?>=", "?<", "?<=", "?~", "?!~"}
)

func (g *filterGen) operand() string {
	switch g.next() % 8 {
	case 0, 1, 2:
		return g.pick(genFields)
	case 3:
		return g.pick(genRelations)
	}
	return g.pick(genValues)
}

func (g *filterGen) expr(depth int) string {
	n := 1 + g.next()%3
	var b []byte
	for i := 0; i < n; i++ {
		if i > 0 {
			if g.next()%2 == 0 {
				b = append(b, " && "...)
			} else {
				b = append(b, " || "...)
			}
		}
		if depth < 3 && g.next()%4 == 0 {
			b = append(b, "("+g.expr(depth+1)+")"...)
			continue
		}
		b = append(b, g.operand()+" "+g.pick(genOps)+" "+g.operand()...)
	}
	return string(b)
}

// checkFuzzed compiles src, runs the SQL on the seed data and compares the
// result with Eval where Eval applies.
func checkFuzzed(t *testing.T, conn *pgx.Conn, env Env, recs []map[string]any, src string) {
	t.Helper()
	e, err := Parse(src)
	if err != nil {
		return
	}
	cond, args, err := SQL(e, env, "t", 0)
	if err != nil {
		if collections.ErrorCode(err) != collections.EINVALID {
			t.Fatalf("SQL(%q): %v is not EINVALID", src, err)
		}
		return
	}
	ids, err := runBounded(conn, cond, args)
	if err != nil {
		var pe *pgconn.PgError
		if errors.As(err, &pe) && pe.Code == "57014" { // statement timeout
			return
		}
		t.Fatalf("%q: the database rejected the SQL: %v\n%s\n%v", src, err, cond, args)
	}
	want := []string{}
	for _, rec := range recs {
		ok, err := Eval(e, env, rec)
		if errors.Is(err, ErrNeedsDatabase) {
			return
		}
		if err != nil {
			t.Fatalf("Eval(%q): %v", src, err)
		}
		if ok {
			want = append(want, rec["id"].(string))
		}
	}
	if !slices.Equal(ids, want) {
		t.Fatalf("%q: SQL selects %v, Eval %v\n%s\n%v", src, ids, want, cond, args)
	}
}

// runBounded runs cond over posts in a read-only transaction with a
// statement timeout.
func runBounded(conn *pgx.Conn, cond string, args []any) ([]string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	tx, err := conn.BeginTx(ctx, pgx.TxOptions{AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, err
	}
	defer tx.Rollback(context.Background())
	if _, err := tx.Exec(ctx, "SET LOCAL statement_timeout = '3s'"); err != nil {
		return nil, err
	}
	rows, err := tx.Query(ctx, "SELECT t.id FROM posts AS t WHERE "+cond+" ORDER BY t.id", args...)
	if err != nil {
		return nil, err
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if ids == nil {
		ids = []string{}
	}
	return ids, err
}
