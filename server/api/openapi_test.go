package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

// MustOpenAPI gets GET /api/openapi.json with token, loads it with
// kin-openapi and validates it as an OpenAPI 3.1 document.
func MustOpenAPI(tb testing.TB, e *env, token string) (*openapi3.T, string) {
	tb.Helper()
	status, body := e.Do("GET", "/api/openapi.json", token, "")
	if status != 200 {
		tb.Fatalf("openapi.json: %d %s", status, body)
	}
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData([]byte(body))
	if err != nil {
		tb.Fatalf("load: %v", err)
	}
	if err := doc.Validate(context.Background(), openapi3.EnableSchemaPatternValidation(), openapi3.EnableExamplesValidation()); err != nil {
		tb.Fatalf("validate: %v", err)
	}
	if doc.OpenAPI != "3.1.0" || !doc.IsOpenAPI31OrLater() {
		tb.Fatalf("openapi %q, want 3.1.0", doc.OpenAPI)
	}
	return doc, body
}

// MustMatch checks that body, an answer of the API, is what the document
// says method path answers with status.
func MustMatch(tb testing.TB, doc *openapi3.T, method, path string, status int, body string) {
	tb.Helper()
	if err := matchAnswer(tb, doc, method, path, status, body); err != nil {
		tb.Fatalf("%s %s %d: the answer does not match the document: %v\n%s", method, path, status, err, body)
	}
}

// matchAnswer returns why body is not what the document says method path
// answers with status (nil when it is).
func matchAnswer(tb testing.TB, doc *openapi3.T, method, path string, status int, body string) error {
	tb.Helper()
	item := doc.Paths.Value(path)
	if item == nil {
		tb.Fatalf("no path %s", path)
	}
	op := item.GetOperation(method)
	if op == nil {
		tb.Fatalf("no %s %s", method, path)
	}
	res := op.Responses.Status(status)
	if res == nil {
		res = op.Responses.Default()
	}
	if res == nil || res.Value.Content.Get("application/json") == nil {
		tb.Fatalf("%s %s: no JSON answer for %d", method, path, status)
	}
	var v any
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		tb.Fatal(err)
	}
	return res.Value.Content.Get("application/json").Schema.Value.VisitJSON(v, openapi3.EnableJSONSchema2020())
}

// properties returns the property names of a component schema, sorted.
func properties(tb testing.TB, doc *openapi3.T, schema string) []string {
	tb.Helper()
	s := doc.Components.Schemas[schema]
	if s == nil {
		tb.Fatalf("no schema %s", schema)
	}
	var out []string
	for k := range s.Value.Properties {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// A superuser's document has every route and collection, hidden fields
// included, and the API's real answers match it.
func TestOpenAPISuperuser(t *testing.T) {
	e := MustEnv(t)
	b := MustBlog(t, e)
	e.MustJSON("POST", "/api/collections", "", `{"name": "fans", "type": "auth", "listRule": "", "viewRule": "",
		"fields": [{"name": "nick", "type": "text"}, {"name": "note", "type": "text", "hidden": true}]}`, 200, nil)
	e.MustJSON("POST", "/api/collections", "", fmt.Sprintf(`{"name": "things", "fields": [
		{"name": "title", "type": "text", "required": true},
		{"name": "mail", "type": "email"}, {"name": "site", "type": "url"}, {"name": "html", "type": "editor"},
		{"name": "n", "type": "number"}, {"name": "flag", "type": "bool"}, {"name": "day", "type": "date"},
		{"name": "kind", "type": "select", "values": ["a", "b"]},
		{"name": "kinds", "type": "select", "values": ["a", "b", "c"], "maxSelect": 2},
		{"name": "data", "type": "json"}, {"name": "place", "type": "geoPoint"},
		{"name": "doc", "type": "file"}, {"name": "docs", "type": "file", "maxSelect": 3},
		{"name": "author", "type": "relation", "collectionId": %q},
		{"name": "secretNote", "type": "text", "hidden": true},
		{"name": "created", "type": "autodate", "onCreate": true},
		{"name": "updated", "type": "autodate", "onCreate": true, "onUpdate": true}]}`, b.authorsID), 200, nil)
	var thing struct{ ID string }
	e.MustJSON("POST", "/api/collections/things/records", "", fmt.Sprintf(`{"title": "one", "kinds": ["a", "c"],
		"data": {"x": [1]}, "place": {"lon": 106.8, "lat": -6.2}, "author": %q, "secretNote": "s", "day": "2026-03-04 05:06:07.000Z"}`,
		b.authors["ada"]), 200, &thing)
	e.MustJSON("POST", "/api/collections/things/records", "", `{"title": "two"}`, 200, nil)
	e.MustJSON("POST", "/api/collections/fans/records", "", `{"email": "fan@example.com", "password": "fan password", "passwordConfirm": "fan password", "nick": "f"}`, 200, nil)

	doc, _ := MustOpenAPI(t, e, "")

	// The route table, with Fiber's parameters as OpenAPI's.
	list := doc.Paths.Value("/api/collections/{collection}/records").Get
	if list == nil || list.Summary != "List the records the caller may see." {
		t.Fatalf("list route: %+v", list)
	}
	for path, method := range map[string]string{"/api/collections/{collection}": "PATCH", "/api/rbac/roles/{role}": "DELETE",
		"/api/logs/{id}": "GET", "/api/openapi.json": "GET", "/api/collections/{collection}/impersonate/{id}": "POST"} {
		if doc.Paths.Value(path) == nil || doc.Paths.Value(path).GetOperation(method) == nil {
			t.Errorf("no %s %s", method, path)
		}
	}
	security := func(path, method string) string {
		b, _ := json.Marshal(doc.Paths.Value(path).GetOperation(method).Security)
		return string(b)
	}
	for _, c := range []struct{ path, method, want string }{
		{"/api/health", "GET", `[{},{"recordToken":[]}]`},
		{"/api/collections/{collection}/auth-refresh", "POST", `[{"recordToken":[]}]`},
		{"/api/collections", "GET", `[{"superuserToken":[]}]`},
		{"/api/collections/things/records", "GET", `[{},{"recordToken":[]}]`},
	} {
		if got := security(c.path, c.method); got != c.want {
			t.Errorf("%s %s security %s, want %s", c.method, c.path, got, c.want)
		}
	}
	if s := doc.Components.SecuritySchemes["recordToken"]; s == nil || s.Value.In != "header" || s.Value.Name != "Authorization" {
		t.Errorf("recordToken: %+v", s)
	}

	// Every collection, with its record schema; hidden fields for superusers.
	for _, name := range []string{"things", "posts", "authors", "fans", "_superusers"} {
		item := doc.Paths.Value("/api/collections/" + name + "/records")
		if item == nil || item.Get == nil || item.Post == nil {
			t.Fatalf("no records paths of %s", name)
		}
		one := doc.Paths.Value("/api/collections/" + name + "/records/{id}")
		if one == nil || one.Get == nil || one.Patch == nil || one.Delete == nil {
			t.Fatalf("no record paths of %s", name)
		}
	}
	want := []string{"author", "collectionId", "collectionName", "created", "data", "day", "doc", "docs", "expand", "flag",
		"html", "id", "kind", "kinds", "mail", "n", "place", "secretNote", "site", "title", "updated"}
	if got := properties(t, doc, "things.record"); !slices.Equal(got, want) {
		t.Errorf("things.record properties\n%v, want\n%v", got, want)
	}
	if got := properties(t, doc, "fans.record"); !slices.Contains(got, "note") || slices.Contains(got, "password") || slices.Contains(got, "tokenKey") {
		t.Errorf("fans.record properties %v: want the hidden note and no secrets", got)
	}
	if got := properties(t, doc, "fans.create"); !slices.Contains(got, "password") || !slices.Contains(got, "passwordConfirm") {
		t.Errorf("fans.create properties %v: want password and passwordConfirm", got)
	}
	things := doc.Components.Schemas["things.record"].Value
	if p := things.Properties["kinds"].Value; p.Type.Slice()[0] != "array" || len(p.Items.Value.Enum) != 3 {
		t.Errorf("kinds: %+v", p)
	}
	if p := things.Properties["created"].Value; p.Pattern == "" {
		t.Errorf("created has no pattern: %+v", p)
	}
	if p := things.Properties["expand"].Value.Properties["author"]; p == nil || p.Ref != "#/components/schemas/authors.record" {
		t.Errorf("expand.author: %+v", p)
	}
	if p := doc.Paths.Value("/api/collections/fans/auth-with-password"); p == nil || p.Post == nil {
		t.Errorf("no auth-with-password for fans")
	}
	params := map[string]bool{}
	for _, p := range doc.Paths.Value("/api/collections/things/records").Get.Parameters {
		params[p.Value.Name] = true
	}
	for _, p := range []string{"page", "perPage", "sort", "filter", "expand", "fields", "skipTotal"} {
		if !params[p] {
			t.Errorf("list of things: no parameter %s", p)
		}
	}

	// The API's answers match the document.
	for _, c := range []struct {
		method, url, path string
		status            int
		body              string
	}{
		{"GET", "/api/collections/things/records?expand=author", "/api/collections/things/records", 200, ""},
		{"GET", "/api/collections/things/records?skipTotal=1", "/api/collections/things/records", 200, ""},
		{"GET", "/api/collections/things/records/" + thing.ID + "?expand=author", "/api/collections/things/records/{id}", 200, ""},
		{"PATCH", "/api/collections/things/records/" + thing.ID, "/api/collections/things/records/{id}", 200, `{"kind": "b", "n+": 2}`},
		{"GET", "/api/collections/posts/records?expand=author,editors", "/api/collections/posts/records", 200, ""},
		{"GET", "/api/collections/authors/records?expand=posts_via_author", "/api/collections/authors/records", 200, ""},
		{"GET", "/api/collections/things/records/nothere", "/api/collections/things/records/{id}", 404, ""},
		{"POST", "/api/collections/things/records", "/api/collections/things/records", 400, `{"n": "x"}`},
		{"GET", "/api/collections/fans/records", "/api/collections/fans/records", 200, ""},
		{"POST", "/api/collections/fans/auth-with-password", "/api/collections/fans/auth-with-password", 200, `{"identity": "fan@example.com", "password": "fan password"}`},
		{"POST", "/api/collections/fans/auth-with-password", "/api/collections/fans/auth-with-password", 400, `{"identity": "fan@example.com", "password": "wrong"}`},
		{"GET", "/api/collections/fans/auth-methods", "/api/collections/fans/auth-methods", 200, ""},
		{"GET", "/api/collections/nothere/records", "/api/collections/{collection}/records", 404, ""},
	} {
		status, body := e.Do(c.method, c.url, "", c.body)
		if status != c.status {
			t.Fatalf("%s %s: %d, want %d: %s", c.method, c.url, status, c.status, body)
		}
		MustMatch(t, doc, c.method, c.path, c.status, body)
	}
	if _, body := e.Do("GET", "/api/collections/authors/records?expand=posts_via_author", "", ""); !strings.Contains(body, `"posts_via_author":[`) {
		t.Errorf("no back-relation expanded: %s", body)
	}
	// and what differs from it does not.
	_, body := e.Do("GET", "/api/collections/things/records/"+thing.ID, "", "")
	for _, bad := range []struct{ from, to string }{{`"kind":"b"`, `"kind":"z"`}, {`"n":2`, `"n":"2"`},
		{`"created":"`, `"created":"2026-01-02T`}, {`"collectionName":"things"`, `"collectionName":"posts"`}} {
		if !strings.Contains(body, bad.from) {
			t.Fatalf("%s not in %s", bad.from, body)
		}
		if matchAnswer(t, doc, "GET", "/api/collections/things/records/{id}", 200, strings.Replace(body, bad.from, bad.to, 1)) == nil {
			t.Errorf("%s instead of %s matches the document", bad.to, bad.from)
		}
	}
}

// Every other caller's document has only the collections it may list or
// view, with only the fields it may read: nothing the API would not tell.
func TestOpenAPIAccess(t *testing.T) {
	w := MustAccessWorld(t)
	w.MustJSON("PATCH", "/api/collections/notes", "", `{"fields": [{"name": "text", "type": "text"},
		{"name": "doc", "type": "relation", "collectionId": "docs"}, {"name": "memo", "type": "text", "hidden": true}]}`, 200, nil)

	guest, raw := MustOpenAPI(t, w.env, "-")
	if got, want := properties(t, guest, "docs.record"), []string{"collectionId", "collectionName", "expand", "id", "status", "title"}; !slices.Equal(got, want) {
		t.Errorf("guest docs.record %v, want %v", got, want)
	}
	if got := properties(t, guest, "notes.record"); slices.Contains(got, "memo") {
		t.Errorf("guest notes.record %v has the hidden memo", got)
	}
	docs := guest.Paths.Value("/api/collections/docs/records")
	if docs == nil || docs.Get == nil || docs.Post != nil {
		t.Errorf("guest docs paths: %+v (list only: guests may not create)", docs)
	}
	for _, leak := range []string{"members", "secret-", `"memo"`, `"team"`, `"owner"`} {
		if strings.Contains(raw, leak) {
			t.Errorf("the guest's document names %s", leak)
		}
	}
	if guest.Paths.Value("/api/collections/{collection}/records") == nil {
		t.Errorf("the guest's document lacks the route table")
	}
	status, body := w.Do("GET", "/api/collections/docs/records", "-", "")
	if status != 200 {
		t.Fatalf("guest list: %d %s", status, body)
	}
	MustMatch(t, guest, "GET", "/api/collections/docs/records", 200, body)

	// alice (viewer) reads the team; as an authenticated user she may
	// create docs, with the fields she can read.
	alice, _ := MustOpenAPI(t, w.env, w.tokens["alice"])
	if got, want := properties(t, alice, "docs.record"), []string{"collectionId", "collectionName", "expand", "id", "owner", "status", "team", "title"}; !slices.Equal(got, want) {
		t.Errorf("alice docs.record %v, want %v", got, want)
	}
	if alice.Paths.Value("/api/collections/docs/records").Post == nil {
		t.Errorf("alice may create docs: no POST")
	}
	if got := properties(t, alice, "docs.create"); slices.Contains(got, "secret") {
		t.Errorf("alice docs.create %v names the unreadable secret", got)
	}
	if alice.Paths.Value("/api/collections/docs/records/{id}").Delete != nil {
		t.Errorf("alice may not delete docs")
	}
	status, body = w.Do("GET", "/api/collections/docs/records/"+w.docs["d1"], w.tokens["alice"], "")
	if status != 200 {
		t.Fatalf("alice view: %d %s", status, body)
	}
	MustMatch(t, alice, "GET", "/api/collections/docs/records/{id}", 200, body)
}

// For every caller and collection: the document has a collection's list
// exactly when the API lists it for that caller, and every field of the
// records the API answers is one the document names.
func TestOpenAPIMatchesAccess(t *testing.T) {
	w := MustAccessWorld(t)
	callers := map[string]string{"superuser": ""}
	for name, token := range w.tokens {
		callers[name] = token
	}
	for who, token := range callers {
		doc, _ := MustOpenAPI(t, w.env, token)
		for _, c := range w.srv.Collections().Collections() {
			path := "/api/collections/" + c.Name + "/records"
			documented := doc.Paths.Value(path) != nil && doc.Paths.Value(path).Get != nil
			status, body := w.Do("GET", path+"?perPage=50", token, "")
			if documented != (status == 200) {
				t.Errorf("%s, %s: documented %t, the API answers %d", who, c.Name, documented, status)
				continue
			}
			if !documented {
				continue
			}
			MustMatch(t, doc, "GET", path, 200, body)
			var page struct{ Items []map[string]any }
			if err := json.Unmarshal([]byte(body), &page); err != nil {
				t.Fatal(err)
			}
			schema := doc.Paths.Value(path).Get.Responses.Status(200).Value.Content.Get("application/json").Schema.Value.Properties["items"].Value.Items.Value
			for _, item := range page.Items {
				for k := range item {
					if schema.Properties[k] == nil {
						t.Errorf("%s, %s: the API answers %q, which the document does not name", who, c.Name, k)
					}
				}
			}
		}
	}
}
