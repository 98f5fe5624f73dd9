package filter

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// goldenFilters cover every construct; testdata/sql.golden holds the SQL,
// the arguments and the ids each selects from the seed data.
var goldenFilters = []string{
	// root fields in each domain
	`title = 'hello'`,
	`title != 'hello' && title != ''`,
	`title = null || title ~ 'x'`,
	`title ~ '50%' || title !~ body`,
	`title > 'H'`,
	`title:lower = 'hello world'`,
	`views > 5 && score <= 1.5`,
	`views = null || views != 0`,
	`published = true`,
	`due < @now && due != null`,
	`due = '2024-01-15 10:00:00.000Z'`,
	`created >= @todayStart`,
	`author = @request.auth.id`,
	`author != ''`,
	`tags ?= 'a'`,
	`tags = '["a","b"]'`,
	`tags ~ 'b'`,
	`tags:each ?= 'a'`,
	`tags:each = 'a'`,
	`tags:length > 1`,
	`tags:each ?~ 'b' && tags:each != 'c'`,
	`tags:each ?= @request.auth.roles:each`,
	`tags = @request.auth.roles`,
	`due ~ '2024-01'`,
	`due >= '2025-06'`,
	`strftime('%Y-%m', due) = '2024-01'`,
	`strftime('%F', due, 'start of month', '+1 month', '-1 day') = '2024-01-31'`,
	`strftime('%Y', views, 'unixepoch') = '1970'`,
	`geoDistance(score, views, 13.4, 52.5) < 5000`,
	`geoDistance(meta.a, meta.a, 0, 0) < 200`,
	`meta = null`,
	`meta = 'x' || meta = 42 || meta = true`,
	`meta.a > 0`,
	`meta.s ~ 'x'`,
	`meta = title`,
	`@request.auth.age < views`,
	`1 = 1 && title = 'x'`,
	// single relations
	`author.name = 'Alice'`,
	`author.name = ''`,
	`author.name != 'Alice'`,
	`author.name ~ 'o' && author.age > 20`,
	`author.org.name = 'Acme'`,
	`author.org.plan ?= 'pro'`,
	`author.roles:each ?= 'admin'`,
	`author.roles ~ 'admin'`,
	`author.roles:length > 1`,
	`title = author.name`,
	`author.name = editors.name`,
	// multi relations
	`editors.name ?= 'bob'`,
	`editors.name = 'bob'`,
	`editors.age > 20`,
	`editors.age ?> 26`,
	`editors.org.name ?= 'Acme'`,
	`editors.id ?= @request.auth.id`,
	`editors.name ?= 'bob' || editors.name ?= 'Carol'`,
	`editors.name ?= 'bob' && editors.name ?= 'Carol'`,
	`editors.roles:each ?= 'admin'`,
	`editors ~ @request.auth.id`,
	// back-relations
	`comments_via_post.text ?= 'great'`,
	`comments_via_post.text = 'great'`,
	`comments_via_post.likes > 2`,
	`comments_via_post.likes ?> 4 && comments_via_post.text ?= 'great'`,
	`comments_via_post.likes ?> 2 && comments_via_post.text ?= 'meh'`,
	`comments_via_post.likes ?> 2 && (comments_via_post.text ?= 'meh' || comments_via_post.text ?= 'ok')`,
	`comments_via_post.author.name ?= 'Alice'`,
	`comments_via_post.id = null`,
	`comments_via_post.author ?= @request.auth.id && views > 0`,
	`labels_via_posts.name ?= 'red'`,
	`labels_via_posts.name = 'red'`,
	`labels_via_posts.name = ''`,
	`(author.name = 'Alice' || editors.name ?= 'Carol') && comments_via_post.likes ?> 0`,
	`comments_via_post.author.org.name ?= 'Acme' && comments_via_post.likes ?> 1 && title != ''`,
	// @collection
	`@collection.users.name ?= 'bob'`,
	`@collection.users.name = 'bob'`,
	`@collection.users.age >= 0`,
	`@collection.users.roles:length > 0`,
	`@collection.comments.post != 'p99'`,
	`@collection.comments.likes ?> views`,
	`@collection.comments.post ?= id && @collection.comments.likes ?> 4`,
	`@collection.comments.post ?= id && @collection.comments:c.likes ?> 4`,
	`@collection.comments.post ?= id && @collection.comments.likes ?> 0 && @collection.comments.text ?= 'meh'`,
	`@collection.comments.post ?= id && (@collection.comments.text ?= 'meh' || @collection.comments.likes ?> 4)`,
	`@collection.comments.post ?= id || @collection.comments.likes ?> 100`,
	`@collection.comments.post ?= id && @collection.comments.author.name ?= 'Alice'`,
	`@collection.comments.post.title ?= title`,
	`@collection.labels.posts:each ?= id && @collection.labels.name ?= 'red'`,
	`@collection.users:u.id ?= author && @collection.users:u.age ?> 26`,
	`@collection.users.org.plan ?= 'pro' && @collection.users.id ?= author`,
	`@collection.posts:other.views ?> views && @collection.posts:other.author ?= author`,
	// the caller's relations
	`@request.auth.org.name = 'Acme'`,
	`@request.auth.org.plan ?= 'pro' && @request.auth.org.name ?= 'Acme'`,
	`author.org = @request.auth.org.id`,
	`author.org.name = @request.auth.org.name`,
}

// TestSQLGolden compiles each golden filter, runs it on the seed data and
// compares SQL, arguments and selected ids with testdata/sql.golden.
func TestSQLGolden(t *testing.T) {
	s := newSchema(t)
	conn := mustSeededDB(t, s)
	env := s.env()
	var b strings.Builder
	for _, src := range goldenFilters {
		e, err := Parse(src)
		if err != nil {
			t.Fatalf("Parse(%q): %v", src, err)
		}
		cond, args, err := SQL(e, env, "t", 2)
		if err != nil {
			t.Fatalf("SQL(%q): %v", src, err)
		}
		// The placeholders start at $3: $1 and $2 stand for the caller's own.
		ids, err := queryIDs(context.Background(), conn, "posts", "$1::text = $2::text AND ("+cond+")", append([]any{"", ""}, args...))
		if err != nil {
			t.Fatalf("%s: %v\n%s", src, err, cond)
		}
		fmt.Fprintf(&b, "# %s\n%s\n-- args: %s\n-- ids: %s\n\n", src, cond, formatArgs(args), strings.Join(ids, " "))
	}
	golden(t, "sql.golden", b.String())
}

func formatArgs(args []any) string {
	parts := make([]string, len(args))
	for i, a := range args {
		switch v := a.(type) {
		case time.Time:
			parts[i] = v.Format(time.RFC3339Nano)
		case string:
			parts[i] = fmt.Sprintf("%q", v)
		default:
			parts[i] = fmt.Sprintf("%v", v)
		}
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// golden compares got with testdata/name, or rewrites it under -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if string(want) != got {
		wl, gl := strings.Split(string(want), "\n"), strings.Split(got, "\n")
		for i := 0; i < len(wl) || i < len(gl); i++ {
			var w, g string
			if i < len(wl) {
				w = wl[i]
			}
			if i < len(gl) {
				g = gl[i]
			}
			if w != g {
				t.Fatalf("%s differs at line %d (run with -update to accept):\nwant: %s\ngot:  %s", path, i+1, w, g)
			}
		}
	}
}
