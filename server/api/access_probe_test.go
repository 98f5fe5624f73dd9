package api_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
)

// TestProbesCannotTellHiddenValues: for each probe of a value the caller
// may not see — through a single, multi or two-hop relation, a
// back-relation, @collection, a pattern, a sort, a role condition, or a
// hidden email — the answer to the right guess is the answer to a wrong
// one.
func TestProbesCannotTellHiddenValues(t *testing.T) {
	t.Parallel()
	e := MustEnv(t)
	e.MustJSON("POST", "/api/collections", "", `{"name": "members", "type": "auth", "listRule": "", "viewRule": "",
		"fields": [{"name": "name", "type": "text"}]}`, 200, nil)
	var victim, mallory struct{ ID string }
	e.MustJSON("POST", "/api/collections/members/records", "", `{"email": "victim@example.com", "password": "password-1", "name": "v"}`, 200, &victim)
	e.MustJSON("POST", "/api/collections/members/records", "", `{"email": "mallory@example.com", "password": "password-2", "name": "m"}`, 200, &mallory)
	var auth struct{ Token string }
	e.MustJSON("POST", "/api/collections/members/auth-with-password", "-", `{"identity": "mallory@example.com", "password": "password-2"}`, 200, &auth)
	e.MustJSON("POST", "/api/collections", "", `{"name": "notes", "listRule": "owner = @request.auth.id", "viewRule": "owner = @request.auth.id",
		"fields": [{"name": "secret", "type": "text"}, {"name": "owner", "type": "relation", "collectionId": "members"}]}`, 200, nil)
	e.MustJSON("POST", "/api/collections", "", `{"name": "posts", "listRule": "", "viewRule": "",
		"fields": [{"name": "title", "type": "text"}]}`, 200, nil)
	var notesCol map[string]any
	e.MustJSON("GET", "/api/collections/notes", "", "", 200, &notesCol)
	notesCol["fields"] = append(notesCol["fields"].([]any), map[string]any{"name": "post", "type": "relation", "collectionId": "posts"})
	e.MustJSON("PATCH", "/api/collections/notes", "", jsonBody(t, map[string]any{"fields": notesCol["fields"]}), 200, nil)
	e.MustJSON("POST", "/api/collections", "", `{"name": "comments", "listRule": "", "viewRule": "",
		"fields": [{"name": "text", "type": "text"}, {"name": "note", "type": "relation", "collectionId": "notes"},
		{"name": "notes", "type": "relation", "collectionId": "notes", "maxSelect": 5}]}`, 200, nil)
	e.MustJSON("POST", "/api/collections", "", `{"name": "docs", "fields": [{"name": "title", "type": "text"}]}`, 200, nil)
	e.MustJSON("POST", "/api/collections", "", `{"name": "links", "listRule": "", "viewRule": "",
		"fields": [{"name": "doc", "type": "relation", "collectionId": "docs"}]}`, 200, nil)
	e.MustJSON("POST", "/api/rbac/roles", "", `{"name": "reader"}`, 200, nil)
	e.MustJSON("PUT", "/api/rbac/collections/docs/policies", "", `{"items": [
		{"subject": "reader", "action": "list", "condition": "title ~ 'public'"},
		{"subject": "reader", "action": "view", "condition": "title ~ 'public'"}]}`, 200, nil)
	e.MustJSON("POST", "/api/rbac/assignments", "", fmt.Sprintf(`{"collection": "members", "id": %q, "role": "reader"}`, mallory.ID), 200, nil)

	var post, note, doc struct{ ID string }
	e.MustJSON("POST", "/api/collections/posts/records", "", `{"title": "p"}`, 200, &post)
	e.MustJSON("POST", "/api/collections/notes/records", "", fmt.Sprintf(`{"secret": "s3cr3t", "owner": %q, "post": %q}`, victim.ID, post.ID), 200, &note)
	e.MustJSON("POST", "/api/collections/notes/records", "", fmt.Sprintf(`{"secret": "aaa", "owner": %q}`, victim.ID), 200, nil)
	e.MustJSON("POST", "/api/collections/comments/records", "", fmt.Sprintf(`{"text": "c1", "note": %q, "notes": [%q]}`, note.ID, note.ID), 200, nil)
	e.MustJSON("POST", "/api/collections/comments/records", "", `{"text": "c2"}`, 200, nil)
	e.MustJSON("POST", "/api/collections/docs/records", "", `{"title": "private plan"}`, 200, &doc)
	e.MustJSON("POST", "/api/collections/links/records", "", fmt.Sprintf(`{"doc": %q}`, doc.ID), 200, nil)

	probes := []struct{ name, coll, right, wrong string }{
		{"single relation", "comments", "filter=note.secret = 's3cr3t'", "filter=note.secret = 'nope'"},
		{"multi relation", "comments", "filter=notes.secret ?= 's3cr3t'", "filter=notes.secret ?= 'nope'"},
		{"pattern", "comments", "filter=note.secret ~ 's3%'", "filter=note.secret ~ 'x%'"},
		{"each", "comments", "filter=notes.secret:each = 's3cr3t'", "filter=notes.secret:each = 'nope'"},
		{"two hops", "comments", "filter=note.owner.email = 'victim@example.com'", "filter=note.owner.email = 'nobody@example.com'"},
		{"back-relation", "posts", "filter=notes_via_post.secret ?= 's3cr3t'", "filter=notes_via_post.secret ?= 'nope'"},
		{"back-relation id", "posts", "filter=notes_via_post.id ?= '" + note.ID + "'", "filter=notes_via_post.id ?= 'nope'"},
		{"back-relation length", "posts", "filter=notes_via_post.id != ''", "filter=notes_via_post.id = 'nope'"},
		{"@collection", "posts", "filter=@collection.notes.secret ?= 's3cr3t'", "filter=@collection.notes.secret ?= 'nope'"},
		{"sort", "comments", "sort=note.secret", "sort=-note.secret"},
		{"role condition", "links", "filter=doc.title = 'private plan'", "filter=doc.title = 'nope'"},
		{"hidden email", "members", "filter=email = 'victim@example.com'", "filter=email = 'nobody@example.com'"},
		{"hidden email pattern", "members", "filter=email ~ 'vict%'", "filter=email ~ 'zzz%'"},
		{"hidden email sort", "members", "sort=email", "sort=-email"},
	}
	for _, p := range probes {
		for _, who := range []string{"-", auth.Token} {
			get := func(q string) (int, string) {
				k, v, _ := strings.Cut(q, "=")
				return e.Do("GET", "/api/collections/"+p.coll+"/records?"+k+"="+url.QueryEscape(v), who, "")
			}
			rs, rb := get(p.right)
			ws, wb := get(p.wrong)
			if rs != ws || rb != wb {
				t.Errorf("%s (token %v): %s answers %d %s\nbut %s answers %d %s", p.name, who != "-", p.right, rs, rb, p.wrong, ws, wb)
			}
		}
	}
	// The owner's own email is hers to search.
	var own struct{ TotalItems int }
	var vauth struct{ Token string }
	e.MustJSON("POST", "/api/collections/members/auth-with-password", "-", `{"identity": "victim@example.com", "password": "password-1"}`, 200, &vauth)
	e.MustJSON("GET", "/api/collections/members/records?filter="+url.QueryEscape("email = 'victim@example.com'"), vauth.Token, "", 200, &own)
	if own.TotalItems != 1 {
		t.Errorf("the owner finds her own email %d times, want 1", own.TotalItems)
	}
	// A superuser sees through every hop.
	var all struct{ TotalItems int }
	e.MustJSON("GET", "/api/collections/comments/records?filter="+url.QueryEscape("note.secret = 's3cr3t'"), "", "", 200, &all)
	if all.TotalItems != 1 {
		t.Errorf("a superuser finds %d comments, want 1", all.TotalItems)
	}
}
