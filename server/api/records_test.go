package api_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"testing"
)

func TestRecordsList(t *testing.T) {
	t.Parallel()
	e := MustEnv(t)
	b := MustBlog(t, e)
	q := url.QueryEscape
	e.Run(t, []scenario{
		{Name: "default page", Method: "GET", URL: "/api/collections/posts/records", ExpectedStatus: 200,
			ExpectedContent: []string{`"page":1`, `"perPage":30`, `"totalItems":4`, `"totalPages":1`, `"collectionName":"posts"`, `"collectionId":"`}},
		{Name: "filter and sort", Method: "GET", URL: "/api/collections/posts/records?filter=" + q("views > 5 && published = true") + "&sort=-views",
			ExpectedStatus: 200, ExpectedContent: []string{`"totalItems":3`}},
		{Name: "skipTotal", Method: "GET", URL: "/api/collections/posts/records?skipTotal=1&perPage=2", ExpectedStatus: 200,
			ExpectedContent: []string{`"totalItems":-1`, `"totalPages":-1`, `"perPage":2`}},
		{Name: "perPage clamped", Method: "GET", URL: "/api/collections/posts/records?perPage=5000", ExpectedStatus: 200,
			ExpectedContent: []string{`"perPage":1000`}},
		{Name: "fields projection", Method: "GET", URL: "/api/collections/posts/records?fields=id,title", ExpectedStatus: 200,
			NotExpected: []string{`"views"`, `"collectionName"`}},
		{Name: "expand relation", Method: "GET", URL: "/api/collections/posts/records?filter=" + q("title='hello'") + "&expand=author",
			ExpectedStatus: 200, ExpectedContent: []string{`"expand":{"author":{`, `"name":"ada"`}},
		{Name: "expand back relation", Method: "GET", URL: "/api/collections/authors/records?filter=" + q("name='ada'") + "&expand=posts_via_author",
			ExpectedStatus: 200, ExpectedContent: []string{`"posts_via_author":[`, `"title":"hello"`, `"title":"postgres tips"`}},
		{Name: "nested expand with fields", Method: "GET", URL: "/api/collections/authors/records?filter=" + q("name='ada'") + "&expand=posts_via_author.author&fields=" + q("name,expand.posts_via_author.title,expand.posts_via_author.expand.author.name"),
			ExpectedStatus: 200, ExpectedContent: []string{`"author":{"name":"ada"}`}, NotExpected: []string{`"views"`}},
		// As in PocketBase, a multiple select without :each is its JSON text.
		{Name: "any-of on multi select compares its JSON text", Method: "GET", URL: "/api/collections/posts/records?filter=" + q("tags ?= 'db'"),
			ExpectedStatus: 200, ExpectedContent: []string{`"totalItems":0`}},
		{Name: "any-of on multi select items", Method: "GET", URL: "/api/collections/posts/records?filter=" + q("tags:each ?= 'db'"),
			ExpectedStatus: 200, ExpectedContent: []string{`"totalItems":1`, `postgres tips`}},
		{Name: "contains on a list field means some item", Method: "GET", URL: "/api/collections/posts/records?filter=" + q("tags ~ 'd'"),
			ExpectedStatus: 200, ExpectedContent: []string{`"totalItems":1`, `postgres tips`}},
		{Name: "relation path filter", Method: "GET", URL: "/api/collections/posts/records?filter=" + q("author.name = 'grace'"),
			ExpectedStatus: 200, ExpectedContent: []string{`"totalItems":1`, `web things`}},
		{Name: "filter syntax error", Method: "GET", URL: "/api/collections/posts/records?filter=" + q("title = "),
			ExpectedStatus: 400, ExpectedContent: []string{`"status":400`, `position`}},
		{Name: "filter unknown field", Method: "GET", URL: "/api/collections/posts/records?filter=" + q("nope = 1"),
			ExpectedStatus: 400, ExpectedContent: []string{`nope`}},
		{Name: "filter injection is a value", Method: "GET", URL: "/api/collections/posts/records?filter=" + q(`title = 'x\' OR 1=1 --'`),
			ExpectedStatus: 200, ExpectedContent: []string{`"totalItems":0`}},
		{Name: "doubled quote is not an escape", Method: "GET", URL: "/api/collections/posts/records?filter=" + q("title = 'x'' OR 1=1 --'"),
			ExpectedStatus: 400},
		{Name: "filter injection outside quotes", Method: "GET", URL: "/api/collections/posts/records?filter=" + q("title = 'x'; DROP TABLE posts; --"),
			ExpectedStatus: 400},
		{Name: "sort unknown field", Method: "GET", URL: "/api/collections/posts/records?sort=" + q("-nope"), ExpectedStatus: 400},
		{Name: "sort injection", Method: "GET", URL: "/api/collections/posts/records?sort=" + q("title;DROP TABLE posts"), ExpectedStatus: 400},
		{Name: "fields unknown", Method: "GET", URL: "/api/collections/posts/records?fields=" + q("title,nope"), ExpectedStatus: 400},
		// PocketBase leaves out what it cannot expand.
		{Name: "expand unknown", Method: "GET", URL: "/api/collections/posts/records?expand=nope,author", ExpectedStatus: 200,
			ExpectedContent: []string{`"expand":{"author":{`}, NotExpected: []string{`"nope"`}},
		{Name: "expand non relation", Method: "GET", URL: "/api/collections/posts/records?expand=title", ExpectedStatus: 200, NotExpected: []string{`"expand"`}},
		{Name: "bad page", Method: "GET", URL: "/api/collections/posts/records?page=abc", ExpectedStatus: 400},
		{Name: "unknown collection", Method: "GET", URL: "/api/collections/nope/records", ExpectedStatus: 404,
			ExpectedContent: []string{`"status":404`, `"data":{}`}},
		{Name: "injection in collection name", Method: "GET", URL: "/api/collections/" + url.PathEscape(`posts"; DROP TABLE posts; --`) + "/records", ExpectedStatus: 404},
		{Name: "guest forbidden", Method: "GET", URL: "/api/collections/posts/records", Token: "-", ExpectedStatus: 403,
			ExpectedContent: []string{`"status":403`, `"message":`}},
		{Name: "forged token", Method: "GET", URL: "/api/collections/posts/records", Token: e.token[:len(e.token)-3] + "abc", ExpectedStatus: 401},
	})
	// Table still intact after the injection attempts.
	var page struct{ TotalItems int }
	e.MustJSON("GET", "/api/collections/posts/records", "", "", 200, &page)
	if page.TotalItems != 4 {
		t.Fatalf("posts: %d items after injection attempts, want 4", page.TotalItems)
	}
	_ = b
}

func TestRecordsPagination(t *testing.T) {
	t.Parallel()
	e := MustEnv(t)
	MustBlog(t, e)
	var seen []string
	for page := 1; page <= 3; page++ {
		var res struct {
			Page, TotalPages int
			Items            []struct{ Title string }
		}
		e.MustJSON("GET", fmt.Sprintf("/api/collections/posts/records?perPage=2&page=%d&sort=title", page), "", "", 200, &res)
		if res.TotalPages != 2 {
			t.Fatalf("totalPages %d, want 2", res.TotalPages)
		}
		for _, it := range res.Items {
			seen = append(seen, it.Title)
		}
	}
	want := []string{"draft idea", "hello", "postgres tips", "web things"}
	if strings.Join(seen, "|") != strings.Join(want, "|") {
		t.Fatalf("pages gave %v, want %v", seen, want)
	}
}

func TestRecordsCRUD(t *testing.T) {
	t.Parallel()
	e := MustEnv(t)
	b := MustBlog(t, e)
	var rec map[string]any
	e.MustJSON("POST", "/api/collections/posts/records", "", fmt.Sprintf(
		`{"title": "new", "views": 3, "tags": ["go"], "author": %q, "editors": [%q, %q]}`, b.authors["ada"], b.authors["linus"], b.authors["grace"]), 200, &rec)
	id := rec["id"].(string)
	if len(id) != 15 || rec["created"] == "" || rec["collectionName"] != "posts" {
		t.Fatalf("created record: %v", rec)
	}
	if d, _ := rec["created"].(string); len(d) != len("2006-01-02 15:04:05.000Z") || !strings.HasSuffix(d, "Z") {
		t.Fatalf("created date format: %q", d)
	}
	if rec["when"] != "" || rec["meta"] != nil {
		t.Fatalf("empty date and json: %v %v", rec["when"], rec["meta"])
	}

	e.Run(t, []scenario{
		{Name: "view", Method: "GET", URL: "/api/collections/posts/records/" + id, ExpectedStatus: 200, ExpectedContent: []string{`"title":"new"`}},
		{Name: "modifiers", Method: "PATCH", URL: "/api/collections/posts/records/" + id,
			Body: `{"views+": 2, "tags+": "db", "tags-": "go"}`, ExpectedStatus: 200,
			ExpectedContent: []string{`"views":5`, `"tags":["db"]`}},
		{Name: "remove relation modifier", Method: "PATCH", URL: "/api/collections/posts/records/" + id,
			Body: fmt.Sprintf(`{"editors-": %q}`, b.authors["linus"]), ExpectedStatus: 200,
			ExpectedContent: []string{fmt.Sprintf(`"editors":[%q]`, b.authors["grace"])}},
		{Name: "validation errors per field", Method: "POST", URL: "/api/collections/posts/records",
			Body: `{"views": 1.5, "status": "nope", "tags": ["zzz"], "when": "yesterday"}`, ExpectedStatus: 400,
			ExpectedContent: []string{`"title":{"code":"validation_required"`, `"views":{"code":"validation_only_int_constraint"`,
				`"status":{"code":"validation_invalid_value"`, `"tags":{"code":"validation_invalid_value"`, `"when":{"code":"validation_invalid_date"`}},
		{Name: "wrong value type", Method: "POST", URL: "/api/collections/posts/records",
			Body: `{"title": {"a": 1}, "views": "many"}`, ExpectedStatus: 400,
			ExpectedContent: []string{`"title":{"code":"validation_invalid_value"`, `"views":{"code":"validation_invalid_number"`}},
		{Name: "missing relation", Method: "POST", URL: "/api/collections/posts/records",
			Body: `{"title": "x", "author": "doesnotexist123"}`, ExpectedStatus: 400,
			ExpectedContent: []string{`"author":{"code":"validation_missing_rel_records"`}},
		{Name: "missing multi relation", Method: "POST", URL: "/api/collections/posts/records",
			Body: `{"title": "x", "editors": ["doesnotexist123"]}`, ExpectedStatus: 400,
			ExpectedContent: []string{`"editors":{"code":"validation_missing_rel_records"`}},
		{Name: "unique violation", Method: "POST", URL: "/api/collections/authors/records",
			Body: `{"name": "ada"}`, ExpectedStatus: 400, ExpectedContent: []string{`"name":{"code":"validation_not_unique"`}},
		{Name: "malformed json", Method: "POST", URL: "/api/collections/posts/records", Body: `{"title": `, ExpectedStatus: 400,
			ExpectedContent: []string{`Invalid JSON`}},
		{Name: "json array body", Method: "POST", URL: "/api/collections/posts/records", Body: `[1,2]`, ExpectedStatus: 400},
		{Name: "custom id", Method: "POST", URL: "/api/collections/authors/records", Body: `{"id": "abcdefghijklmno", "name": "custom"}`,
			ExpectedStatus: 200, ExpectedContent: []string{`"id":"abcdefghijklmno"`}},
		{Name: "bad custom id", Method: "POST", URL: "/api/collections/authors/records", Body: `{"id": "BAD ID", "name": "x2"}`,
			ExpectedStatus: 400, ExpectedContent: []string{`"id":{`}},
		{Name: "deleting a referenced author", Method: "DELETE", URL: "/api/collections/authors/records/" + b.authors["ada"], ExpectedStatus: 204},
		{Name: "missing record", Method: "GET", URL: "/api/collections/posts/records/nope", ExpectedStatus: 404},
		{Name: "delete", Method: "DELETE", URL: "/api/collections/posts/records/" + id, ExpectedStatus: 204},
		{Name: "deleted is gone", Method: "GET", URL: "/api/collections/posts/records/" + id, ExpectedStatus: 404},
	})
	// Deleting ada cleared the (optional, non-cascading) author of her posts.
	var p map[string]any
	e.MustJSON("GET", "/api/collections/posts/records/"+b.posts["hello"], "", "", 200, &p)
	if p["author"] != "" {
		t.Fatalf("author after its record was deleted: %v", p["author"])
	}
}

func TestMultiRelationFollowsDeletes(t *testing.T) {
	t.Parallel()
	e := MustEnv(t)
	b := MustBlog(t, e)
	var rec map[string]any
	e.MustJSON("POST", "/api/collections/posts/records", "", fmt.Sprintf(`{"title": "x", "editors": [%q, %q]}`, b.authors["linus"], b.authors["grace"]), 200, &rec)
	e.MustJSON("DELETE", "/api/collections/authors/records/"+b.authors["linus"], "", "", 204, nil)
	e.MustJSON("GET", "/api/collections/posts/records/"+rec["id"].(string), "", "", 200, &rec)
	if got := fmt.Sprint(rec["editors"]); got != "["+b.authors["grace"]+"]" {
		t.Fatalf("editors after delete: %s", got)
	}
}

func TestBatch(t *testing.T) {
	t.Parallel()
	e := MustEnv(t)
	b := MustBlog(t, e)
	ok := jsonBody(t, map[string]any{"requests": []map[string]any{
		{"method": "POST", "url": "/api/collections/authors/records", "body": map[string]any{"name": "batch1"}},
		{"method": "PATCH", "url": "/api/collections/posts/records/" + b.posts["hello"] + "?fields=title,views", "body": map[string]any{"views+": 1}},
		{"method": "DELETE", "url": "/api/collections/posts/records/" + b.posts["draft idea"]},
		{"method": "PUT", "url": "/api/collections/authors/records", "body": map[string]any{"id": "upsertedid12345", "name": "upserted"}},
	}})
	var res []struct {
		Status int
		Body   json.RawMessage
	}
	e.MustJSON("POST", "/api/batch", "", ok, 200, &res)
	if len(res) != 4 || res[0].Status != 200 || res[2].Status != 204 || !strings.Contains(string(res[1].Body), `"views":11`) {
		t.Fatalf("batch results: %+v", res)
	}
	// A failing sub-request rolls back the whole batch.
	bad := jsonBody(t, map[string]any{"requests": []map[string]any{
		{"method": "POST", "url": "/api/collections/authors/records", "body": map[string]any{"name": "rolled back"}},
		{"method": "POST", "url": "/api/collections/posts/records", "body": map[string]any{"views": 1}},
	}})
	status, body := e.Do("POST", "/api/batch", "", bad)
	if status != 400 || !strings.Contains(body, `"requests":{"1":{"code":"batch_request_failed"`) || !strings.Contains(body, "validation_required") {
		t.Fatalf("failing batch: %d %s", status, body)
	}
	var page struct{ TotalItems int }
	e.MustJSON("GET", "/api/collections/authors/records?filter="+url.QueryEscape("name='rolled back'"), "", "", 200, &page)
	if page.TotalItems != 0 {
		t.Fatal("a failed batch left a record behind")
	}
	e.Run(t, []scenario{
		{Name: "empty", Method: "POST", URL: "/api/batch", Body: `{"requests": []}`, ExpectedStatus: 400},
		{Name: "bad url", Method: "POST", URL: "/api/batch", Body: `{"requests": [{"method": "POST", "url": "/api/collections"}]}`, ExpectedStatus: 400},
		{Name: "guest", Method: "POST", URL: "/api/batch", Token: "-", Body: ok, ExpectedStatus: 400,
			ExpectedContent: []string{`"requests":{"0":{"code":"batch_request_failed"`, `"status":403`}},
	})
}

func TestBodyLimit(t *testing.T) {
	t.Parallel()
	e := MustEnv(t)
	MustBlog(t, e)
	// Oversized bodies are refused by the HTTP server before any handler
	// runs, so this goes through a real listener.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go e.srv.App().Listener(ln) //nolint:errcheck // ends with the test
	t.Cleanup(func() { ln.Close() })
	// The declared length is refused once the first bytes arrive, before
	// the rest is read: the client sends 16 KiB of 2 MiB and waits.
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /api/collections/posts/records HTTP/1.1\r\nHost: lumbung\r\nAuthorization: %s\r\n"+
		"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", e.token, 2<<20, strings.Repeat(" ", 16<<10))
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != 413 || !strings.Contains(string(body), `"status":413`) {
		t.Fatalf("oversized body: %d %.200s", res.StatusCode, body)
	}
	var page struct{ TotalItems int }
	e.MustJSON("GET", "/api/collections/posts/records", "", "", 200, &page)
	if page.TotalItems != 4 {
		t.Fatalf("%d posts after a refused body", page.TotalItems)
	}
}

func TestAuth(t *testing.T) {
	t.Parallel()
	e := MustEnv(t)
	e.Run(t, []scenario{
		{Name: "wrong password", Method: "POST", URL: "/api/collections/_superusers/auth-with-password", Token: "-",
			Body: `{"identity": "admin@example.com", "password": "nope-nope"}`, ExpectedStatus: 400,
			ExpectedContent: []string{`"message":"Failed to authenticate."`}},
		{Name: "unknown email says the same", Method: "POST", URL: "/api/collections/_superusers/auth-with-password", Token: "-",
			Body: `{"identity": "who@example.com", "password": "nope-nope"}`, ExpectedStatus: 400,
			ExpectedContent: []string{`"message":"Failed to authenticate."`}},
		{Name: "blank", Method: "POST", URL: "/api/collections/_superusers/auth-with-password", Token: "-",
			Body: `{}`, ExpectedStatus: 400, ExpectedContent: []string{`"identity":{"code":"validation_required"`}},
		{Name: "record has no secrets", Method: "POST", URL: "/api/collections/_superusers/auth-refresh",
			ExpectedStatus: 200, ExpectedContent: []string{`"token":"`, `"email":"admin@example.com"`}, NotExpected: []string{`password`, `tokenKey`}},
		{Name: "refresh needs a token", Method: "POST", URL: "/api/collections/_superusers/auth-refresh", Token: "-", ExpectedStatus: 401},
		{Name: "garbage token", Method: "GET", URL: "/api/collections", Token: "not-a-jwt", ExpectedStatus: 401},
		{Name: "auth methods", Method: "GET", URL: "/api/collections/_superusers/auth-methods", Token: "-", ExpectedStatus: 200,
			ExpectedContent: []string{`"password":{"enabled":true`}},
		{Name: "health", Method: "GET", URL: "/api/health", Token: "-", ExpectedStatus: 200},
		{Name: "password hashes are no filter oracle", Method: "GET", URL: "/api/collections/_superusers/records?filter=" + url.QueryEscape("password ~ '$2a'"), ExpectedStatus: 400},
		{Name: "nor a sort key", Method: "GET", URL: "/api/collections/_superusers/records?sort=tokenKey", ExpectedStatus: 400},
		{Name: "nor a field to pick", Method: "GET", URL: "/api/collections/_superusers/records?fields=password", ExpectedStatus: 400},
		{Name: "superusers list has no secrets", Method: "GET", URL: "/api/collections/_superusers/records", ExpectedStatus: 200,
			ExpectedContent: []string{`"email":"admin@example.com"`}, NotExpected: []string{`"password"`, `"tokenKey"`, `$2a$`}},
	})
	// Changing the password rotates the token key: the old token dies at once.
	var me struct{ Record struct{ ID string } }
	e.MustJSON("POST", "/api/collections/_superusers/auth-refresh", "", "", 200, &me)
	old := e.token
	e.MustJSON("PATCH", "/api/collections/_superusers/records/"+me.Record.ID, "", `{"password": "another long password"}`, 200, nil)
	if status, _ := e.Do("GET", "/api/collections", old, ""); status != 401 {
		t.Fatalf("old token after password change: %d, want 401", status)
	}
}

func sortedKeys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// TestConcurrentModifiersLoseNothing: "views+" from many clients at once
// adds up exactly: the row is locked while the old value is read.
func TestConcurrentModifiersLoseNothing(t *testing.T) {
	t.Parallel()
	e := MustEnv(t)
	b := MustBlog(t, e)
	id := b.posts["draft idea"] // views 0
	var wg sync.WaitGroup
	for i := 0; i < 40; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if status, body := e.Do("PATCH", "/api/collections/posts/records/"+id, "", `{"views+": 1}`); status != 200 {
				t.Errorf("increment: %d %s", status, body)
			}
		}()
	}
	wg.Wait()
	var rec map[string]any
	e.MustJSON("GET", "/api/collections/posts/records/"+id, "", "", 200, &rec)
	if rec["views"] != 40.0 {
		t.Fatalf("views after 40 concurrent increments: %v", rec["views"])
	}
}

// TestHiddenFieldsIgnored: a hidden field sent by a caller who is not a
// superuser is ignored on create and update, as PocketBase ignores it; a
// superuser sets it.
func TestHiddenFieldsIgnored(t *testing.T) {
	t.Parallel()
	e := MustEnv(t)
	e.MustJSON("POST", "/api/collections", "", `{"name": "tickets", "createRule": "", "updateRule": "", "viewRule": "",
		"fields": [{"name": "title", "type": "text"}, {"name": "internal", "type": "text", "hidden": true}]}`, 200, nil)
	var rec struct{ ID string }
	e.MustJSON("POST", "/api/collections/tickets/records", "-", `{"title": "a", "internal": "forged"}`, 200, &rec)
	internal := func() string {
		var got struct{ Internal string }
		e.MustJSON("GET", "/api/collections/tickets/records/"+rec.ID, "", "", 200, &got)
		return got.Internal
	}
	if v := internal(); v != "" {
		t.Errorf("a guest's create stored the hidden field: %q", v)
	}
	e.MustJSON("PATCH", "/api/collections/tickets/records/"+rec.ID, "", `{"internal": "note"}`, 200, nil)
	e.MustJSON("PATCH", "/api/collections/tickets/records/"+rec.ID, "-", `{"title": "b", "internal": "forged"}`, 200, nil)
	if v := internal(); v != "note" {
		t.Errorf("after a guest's update the hidden field is %q, want the superuser's %q", v, "note")
	}
}
