package collections

import "testing"

func TestParseIndex(t *testing.T) {
	ok := map[string]string{
		"CREATE UNIQUE INDEX `idx_a` ON `posts` (`title`)":                         "CREATE UNIQUE INDEX `idx_a` ON `posts` (`title`)",
		`create index if not exists "idx_b" on posts ("a" desc, b COLLATE NOCASE)`: "CREATE INDEX `idx_b` ON `posts` (`a` DESC, `b` COLLATE NOCASE)",
		"CREATE INDEX idx_c ON [posts] ([a] ASC);":                                 "CREATE INDEX `idx_c` ON `posts` (`a`)",
		// PocketBase's email index of auth collections.
		"CREATE UNIQUE INDEX `idx_email__pb_users_auth_` ON `users` (`email`) WHERE `email` != ''": "CREATE UNIQUE INDEX `idx_email__pb_users_auth_` ON `posts` (`email`) WHERE `email` != ''",
		"CREATE INDEX i ON posts (a, b) where a <> '' and \"b\" != ''":                             "CREATE INDEX `i` ON `posts` (`a`, `b`) WHERE `a` != '' AND `b` != ''",
	}
	for in, want := range ok {
		ix, err := ParseIndex(in)
		if err != nil {
			t.Errorf("%s: %v", in, err)
			continue
		}
		if got := ix.String("posts"); got != want {
			t.Errorf("%s: got %s, want %s", in, got, want)
		}
	}
	for _, bad := range []string{
		"", "CREATE TABLE x (a)", "CREATE INDEX ON posts (a)", "CREATE INDEX i ON posts (a) WHERE a > 1",
		"CREATE INDEX i ON posts (a) WHERE a != 'x'", "CREATE INDEX i ON posts (a) WHERE a != '' OR b != ''",
		"CREATE INDEX i ON posts (a) WHERE", "CREATE INDEX i ON posts (a) WHERE a != '' AND", "CREATE INDEX i ON posts (a) WHERE a != ''; DROP TABLE posts",
		"CREATE INDEX i ON posts (a); DROP TABLE posts", "CREATE INDEX i ON posts (lower(a))", "CREATE INDEX i ON posts (a COLLATE C)",
		"CREATE INDEX `i\"; drop` ON posts (a)", "CREATE INDEX i ON posts ()", "CREATE INDEX i ON posts (a",
	} {
		if _, err := ParseIndex(bad); ErrorCode(err) != EINVALID {
			t.Errorf("%q: got %v, want EINVALID", bad, err)
		}
	}
}

func TestParseProjection(t *testing.T) {
	rec := &Record{Collection: &Collection{ID: "c1", Name: "posts"}, Data: map[string]any{}}
	for _, name := range []string{"id", "title", "body"} {
		f, _ := NewField(name, "text")
		rec.Collection.Fields = append(rec.Collection.Fields, f)
	}
	rec.Data["id"], rec.Data["title"], rec.Data["body"] = "r1", "Hello", "<p>Some <b>long</b> text here</p>"
	author := &Record{Collection: &Collection{ID: "c2", Name: "authors"}, Data: map[string]any{"id": "a1", "name": "ada"}}
	for _, name := range []string{"id", "name"} {
		f, _ := NewField(name, "text")
		author.Collection.Fields = append(author.Collection.Fields, f)
	}
	rec.Expand = map[string]any{"author": author}
	cases := map[string]string{
		"":                         `{"collectionId":"c1","collectionName":"posts","id":"r1","title":"Hello","body":"\u003cp\u003eSome \u003cb\u003elong\u003c/b\u003e text here\u003c/p\u003e","expand":{"author":{"collectionId":"c2","collectionName":"authors","id":"a1","name":"ada"}}}`,
		"id,title":                 `{"id":"r1","title":"Hello"}`,
		"title,expand.author.name": `{"title":"Hello","expand":{"author":{"name":"ada"}}}`,
		"body:excerpt(9,true)":     `{"body":"Some long..."}`,
		"*,expand.author.id":       `{"collectionId":"c1","collectionName":"posts","id":"r1","title":"Hello","body":"\u003cp\u003eSome \u003cb\u003elong\u003c/b\u003e text here\u003c/p\u003e","expand":{"author":{"id":"a1"}}}`,
	}
	for in, want := range cases {
		p, err := ParseProjection(in)
		if err != nil {
			t.Fatalf("%q: %v", in, err)
		}
		b, err := rec.AppendJSON(nil, p, false)
		if err != nil || string(b) != want {
			t.Errorf("fields=%q:\n got %s\nwant %s", in, b, want)
		}
	}
	for _, bad := range []string{"a..b", "x:excerpt(-1)", "x:upper()", "*.a"} {
		if _, err := ParseProjection(bad); ErrorCode(err) != EINVALID {
			t.Errorf("%q: got %v, want EINVALID", bad, err)
		}
	}
}
