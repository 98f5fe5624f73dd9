package api_test

import (
	"fmt"
	"testing"
)

// blog holds the ids of the seeded blog collections and records.
type blog struct {
	authorsID string
	authors   map[string]string // name -> id
	posts     map[string]string // title -> id
}

// MustBlog creates authors and posts (with every common field type) and a
// few records.
func MustBlog(tb testing.TB, e *env) *blog {
	tb.Helper()
	b := &blog{authors: map[string]string{}, posts: map[string]string{}}
	var authors struct{ ID string }
	e.MustJSON("POST", "/api/collections", "", `{
		"name": "authors", "type": "base",
		"fields": [
			{"name": "name", "type": "text", "required": true, "max": 100},
			{"name": "email", "type": "email"},
			{"name": "site", "type": "url"}
		],
		"indexes": ["CREATE UNIQUE INDEX idx_authors_name ON authors (name)"]
	}`, 200, &authors)
	b.authorsID = authors.ID
	e.MustJSON("POST", "/api/collections", "", fmt.Sprintf(`{
		"name": "posts", "type": "base",
		"fields": [
			{"name": "title", "type": "text", "required": true},
			{"name": "body", "type": "editor"},
			{"name": "views", "type": "number", "onlyInt": true, "min": 0},
			{"name": "published", "type": "bool"},
			{"name": "status", "type": "select", "values": ["draft", "live"], "maxSelect": 1},
			{"name": "tags", "type": "select", "values": ["go", "db", "web"], "maxSelect": 3},
			{"name": "meta", "type": "json"},
			{"name": "when", "type": "date"},
			{"name": "author", "type": "relation", "collectionId": %q, "maxSelect": 1, "cascadeDelete": false},
			{"name": "editors", "type": "relation", "collectionId": %q, "maxSelect": 5}
		]
	}`, authors.ID, authors.ID), 200, nil)
	for _, name := range []string{"ada", "linus", "grace"} {
		var rec struct{ ID string }
		e.MustJSON("POST", "/api/collections/authors/records", "", fmt.Sprintf(`{"name": %q, "email": "%s@example.com"}`, name, name), 200, &rec)
		b.authors[name] = rec.ID
	}
	posts := []struct {
		title, author, status, tags string
		views                       int
		published                   bool
	}{
		{"hello", "ada", "live", `["go"]`, 10, true},
		{"postgres tips", "ada", "live", `["db","go"]`, 25, true},
		{"draft idea", "linus", "draft", `[]`, 0, false},
		{"web things", "grace", "live", `["web"]`, 7, true},
	}
	for _, p := range posts {
		var rec struct{ ID string }
		e.MustJSON("POST", "/api/collections/posts/records", "", fmt.Sprintf(
			`{"title": %q, "author": %q, "status": %q, "tags": %s, "views": %d, "published": %t, "meta": {"n": %d}, "when": "2026-01-0%d 10:00:00.000Z"}`,
			p.title, b.authors[p.author], p.status, p.tags, p.views, p.published, p.views, p.views%9+1), 200, &rec)
		b.posts[p.title] = rec.ID
	}
	return b
}
