package api_test

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
)

func TestCollectionsValidation(t *testing.T) {
	t.Parallel()
	e := MustEnv(t)
	b := MustBlog(t, e)
	e.Run(t, []scenario{
		{Name: "list", Method: "GET", URL: "/api/collections", ExpectedStatus: 200, ExpectedContent: []string{`"name":"posts"`, `"name":"_superusers"`}},
		{Name: "view by name", Method: "GET", URL: "/api/collections/posts", ExpectedStatus: 200,
			ExpectedContent: []string{`"type":"relation"`, `"collectionId":"` + b.authorsID + `"`, `"maxSelect":3`}},
		{Name: "guest", Method: "GET", URL: "/api/collections", Token: "-", ExpectedStatus: 401,
			ExpectedContent: []string{`"message":"The request requires valid superuser authorization token."`}},
		{Name: "duplicate collection", Method: "POST", URL: "/api/collections", Body: `{"name": "POSTS"}`, ExpectedStatus: 400,
			ExpectedContent: []string{`"name":{"code":"validation_collection_name_exists"`}},
		{Name: "reserved name", Method: "POST", URL: "/api/collections", Body: `{"name": "expand"}`, ExpectedStatus: 400,
			ExpectedContent: []string{`reserved`}},
		{Name: "underscore prefix", Method: "POST", URL: "/api/collections", Body: `{"name": "_mine"}`, ExpectedStatus: 400},
		{Name: "injection in name", Method: "POST", URL: "/api/collections", Body: `{"name": "x\"; DROP TABLE posts; --"}`, ExpectedStatus: 400},
		{Name: "injection in field name", Method: "POST", URL: "/api/collections",
			Body: `{"name": "t1", "fields": [{"name": "a\" text); DROP TABLE posts; --", "type": "text"}]}`, ExpectedStatus: 400,
			ExpectedContent: []string{`"fields":{"1":{"name":{"code":"validation_invalid_name"`}},
		{Name: "a field option's problem names the option", Method: "POST", URL: "/api/collections",
			Body: `{"name": "t3", "fields": [{"name": "a", "type": "text", "min": 5, "max": 2}, {"name": "b", "type": "select", "values": []}]}`, ExpectedStatus: 400,
			ExpectedContent: []string{`"1":{"min":{"code":"validation_invalid_range"`, `"2":{"values":{"code":"validation_required"`}},
		{Name: "duplicate field names", Method: "POST", URL: "/api/collections",
			Body: `{"name": "t2", "fields": [{"name": "a", "type": "text"}, {"name": "A", "type": "number"}]}`, ExpectedStatus: 400,
			ExpectedContent: []string{`"fields":{"2":{"name":{"code":"validation_duplicated_field_name"`}},
		{Name: "unknown field type", Method: "POST", URL: "/api/collections",
			Body: `{"name": "t3", "fields": [{"name": "a", "type": "blob"}]}`, ExpectedStatus: 400,
			ExpectedContent: []string{`"fields":{"0":{"type":{"code":"validation_invalid_type","message":"Field \"a\" has unknown type \"blob\"."`}},
		{Name: "option of the wrong type", Method: "POST", URL: "/api/collections",
			Body: `{"name": "t3", "fields": [{"name": "a", "type": "text"}, {"name": "n", "type": "number", "min": "x"}]}`, ExpectedStatus: 400,
			ExpectedContent: []string{`"fields":{"1":{"min":{"code":"validation_invalid_value","message":"Invalid options for field \"n\": \"min\" must be a number."`}},
		{Name: "fields not a list", Method: "POST", URL: "/api/collections",
			Body: `{"name": "t3", "fields": {"a": 1}}`, ExpectedStatus: 400, ExpectedContent: []string{`"fields":{"code":"validation_invalid_value"`}},
		{Name: "a field not an object", Method: "POST", URL: "/api/collections",
			Body: `{"name": "t3", "fields": ["a"]}`, ExpectedStatus: 400, ExpectedContent: []string{`"fields":{"0":{"code":"validation_invalid_value"`}},
		{Name: "relation to nowhere", Method: "POST", URL: "/api/collections",
			Body: `{"name": "t4", "fields": [{"name": "a", "type": "relation", "collectionId": "nope"}]}`, ExpectedStatus: 400},
		{Name: "select without values", Method: "POST", URL: "/api/collections",
			Body: `{"name": "t5", "fields": [{"name": "a", "type": "select"}]}`, ExpectedStatus: 400},
		{Name: "bad index", Method: "POST", URL: "/api/collections",
			Body: `{"name": "t6", "fields": [{"name": "a", "type": "text"}], "indexes": ["CREATE INDEX x ON t6 (a); DROP TABLE posts"]}`, ExpectedStatus: 400},
		{Name: "index on unknown field", Method: "POST", URL: "/api/collections",
			Body: `{"name": "t7", "indexes": ["CREATE INDEX i7 ON t7 (nope)"]}`, ExpectedStatus: 400},
		{Name: "malformed json", Method: "POST", URL: "/api/collections", Body: `{"name": `, ExpectedStatus: 400},
		{Name: "delete referenced", Method: "DELETE", URL: "/api/collections/authors", ExpectedStatus: 400,
			ExpectedContent: []string{`posts.author`, `posts.editors`}},
		{Name: "unknown collection", Method: "PATCH", URL: "/api/collections/nope", Body: `{}`, ExpectedStatus: 404},
		{Name: "system collection delete", Method: "DELETE", URL: "/api/collections/_superusers", ExpectedStatus: 400},
	})
	// Nothing was created by the rejected requests.
	var list struct{ TotalItems int }
	e.MustJSON("GET", "/api/collections", "", "", 200, &list)
	if list.TotalItems != 5 { // _superusers, users, _externalAuths, authors, posts
		t.Fatalf("%d collections, want 5", list.TotalItems)
	}
}

func TestCollectionRenameKeepsData(t *testing.T) {
	t.Parallel()
	e := MustEnv(t)
	b := MustBlog(t, e)
	var col struct {
		Fields []map[string]any
	}
	e.MustJSON("GET", "/api/collections/posts", "", "", 200, &col)
	for _, f := range col.Fields {
		if f["name"] == "title" {
			f["name"] = "headline"
		}
	}
	e.MustJSON("PATCH", "/api/collections/posts", "", jsonBody(t, map[string]any{"name": "articles", "fields": col.Fields}), 200, nil)
	var rec map[string]any
	e.MustJSON("GET", "/api/collections/articles/records/"+b.posts["hello"]+"?expand=author", "", "", 200, &rec)
	if rec["headline"] != "hello" || rec["title"] != nil {
		t.Fatalf("after rename: %v", rec)
	}
	if !strings.Contains(fmt.Sprint(rec["expand"]), "ada") {
		t.Fatalf("relation lost after rename: %v", rec["expand"])
	}
	if status, _ := e.Do("GET", "/api/collections/posts/records", "", ""); status != 404 {
		t.Fatalf("old name still answers: %d", status)
	}
	// The back-relation follows the renamed collection.
	e.MustJSON("GET", "/api/collections/authors/records/"+b.authors["ada"]+"?expand=articles_via_author", "", "", 200, &rec)
	if !strings.Contains(fmt.Sprint(rec["expand"]), "postgres tips") {
		t.Fatalf("back-relation after rename: %v", rec["expand"])
	}
}

func TestTypeChangePlan(t *testing.T) {
	t.Parallel()
	e := MustEnv(t)
	e.MustJSON("POST", "/api/collections", "", `{"name": "items", "fields": [{"name": "code", "type": "text"}]}`, 200, nil)
	for _, code := range []string{"12", "7.5", "", "abc", "x1"} {
		e.MustJSON("POST", "/api/collections/items/records", "", `{"code": "`+code+`"}`, 200, nil)
	}
	var col struct{ Fields []map[string]any }
	e.MustJSON("GET", "/api/collections/items", "", "", 200, &col)
	for _, f := range col.Fields {
		if f["name"] == "code" {
			f["type"] = "number"
		}
	}
	patch := jsonBody(t, map[string]any{"fields": col.Fields})
	// The dry run shows the steps and the two values that would not convert.
	status, body := e.Do("PATCH", "/api/collections/items?dryRun=1", "", patch)
	if status != 200 || !strings.Contains(body, `"dryRun":true`) || !strings.Contains(body, "ALTER COLUMN") ||
		!strings.Contains(body, `"affectedRows":2`) || !strings.Contains(body, "2 record(s)") {
		t.Fatalf("dry run: %d %s", status, body)
	}
	// Applying without allowDataLoss refuses and changes nothing.
	status, body = e.Do("PATCH", "/api/collections/items", "", patch)
	if status != 400 || !strings.Contains(body, "2 record(s)") {
		t.Fatalf("lossy change without permission: %d %s", status, body)
	}
	var page struct{ Items []map[string]any }
	e.MustJSON("GET", "/api/collections/items/records?filter="+url.QueryEscape("code = 'abc'"), "", "", 200, &page)
	if len(page.Items) != 1 {
		t.Fatalf("data changed by a refused plan: %v", page.Items)
	}
	// With permission the convertible values survive as numbers.
	e.MustJSON("PATCH", "/api/collections/items?allowDataLoss=1", "", patch, 200, nil)
	e.MustJSON("GET", "/api/collections/items/records?sort=-code", "", "", 200, &page)
	got := []any{}
	for _, it := range page.Items {
		got = append(got, it["code"])
	}
	if fmt.Sprint(got) != "[12 7.5 0 0 0]" || len(page.Items) != 5 {
		t.Fatalf("converted values: %v", got)
	}
}

func TestUniqueIndexImpact(t *testing.T) {
	t.Parallel()
	e := MustEnv(t)
	e.MustJSON("POST", "/api/collections", "", `{"name": "tags", "fields": [{"name": "label", "type": "text"}]}`, 200, nil)
	for _, l := range []string{"a", "A", "b"} {
		e.MustJSON("POST", "/api/collections/tags/records", "", `{"label": "`+l+`"}`, 200, nil)
	}
	patch := `{"indexes": ["CREATE UNIQUE INDEX idx_label ON tags (label COLLATE NOCASE)"]}`
	status, body := e.Do("PATCH", "/api/collections/tags?dryRun=true", "", patch)
	if status != 200 || !strings.Contains(body, "occur more than once") {
		t.Fatalf("dry run: %d %s", status, body)
	}
	if status, body := e.Do("PATCH", "/api/collections/tags", "", patch); status != 400 {
		t.Fatalf("duplicate unique index applied: %d %s", status, body)
	}
	e.MustJSON("PATCH", "/api/collections/tags", "", `{"indexes": ["CREATE UNIQUE INDEX idx_label ON tags (label)"]}`, 200, nil)
	e.Run(t, []scenario{{Name: "unique enforced", Method: "POST", URL: "/api/collections/tags/records", Body: `{"label": "b"}`,
		ExpectedStatus: 400, ExpectedContent: []string{`validation_not_unique`}}})
}

func TestTruncateAndDelete(t *testing.T) {
	t.Parallel()
	e := MustEnv(t)
	MustBlog(t, e)
	e.MustJSON("DELETE", "/api/collections/posts/truncate", "", "", 204, nil)
	var page struct{ TotalItems int }
	e.MustJSON("GET", "/api/collections/posts/records", "", "", 200, &page)
	if page.TotalItems != 0 {
		t.Fatalf("after truncate: %d", page.TotalItems)
	}
	e.MustJSON("DELETE", "/api/collections/posts", "", "", 204, nil)
	e.MustJSON("DELETE", "/api/collections/authors", "", "", 204, nil)
	if status, _ := e.Do("GET", "/api/collections/authors", "", ""); status != 404 {
		t.Fatalf("deleted collection still there: %d", status)
	}
}

func TestImportAndView(t *testing.T) {
	t.Parallel()
	e := MustEnv(t)
	// Two collections that reference each other, as a PocketBase export.
	imp := `{"collections": [
		{"id": "pbc_teams000001", "name": "teams", "type": "base", "listRule": "", "viewRule": null,
		 "fields": [{"name": "name", "type": "text"}, {"name": "lead", "type": "relation", "collectionId": "pbc_people00001", "maxSelect": 1}]},
		{"id": "pbc_people00001", "name": "people", "type": "base",
		 "fields": [{"name": "name", "type": "text"}, {"name": "team", "type": "relation", "collectionId": "pbc_teams000001", "maxSelect": 1}]}
	]}`
	e.MustJSON("PUT", "/api/collections/import", "", imp, 204, nil)
	var team, person map[string]any
	e.MustJSON("POST", "/api/collections/teams/records", "", `{"name": "core"}`, 200, &team)
	e.MustJSON("POST", "/api/collections/people/records", "", `{"name": "ann", "team": "`+team["id"].(string)+`"}`, 200, &person)
	e.MustJSON("PATCH", "/api/collections/teams/records/"+team["id"].(string)+"?expand=lead.team", "", `{"lead": "`+person["id"].(string)+`"}`, 200, &team)
	if !strings.Contains(fmt.Sprint(team["expand"]), "core") {
		t.Fatalf("expand through imported relations: %v", team["expand"])
	}
	var col map[string]any
	e.MustJSON("GET", "/api/collections/teams", "", "", 200, &col)
	if col["listRule"] != "" || col["viewRule"] != nil {
		t.Fatalf("rules not kept: %v %v", col["listRule"], col["viewRule"])
	}

	e.MustJSON("POST", "/api/collections", "", `{"name": "team_sizes", "type": "view",
		"viewQuery": "SELECT t.id, t.name, count(p.id) AS members FROM teams t LEFT JOIN people p ON p.team = t.id GROUP BY t.id, t.name"}`, 200, nil)
	var page struct{ Items []map[string]any }
	e.MustJSON("GET", "/api/collections/team_sizes/records?filter="+url.QueryEscape("members >= 1"), "", "", 200, &page)
	if len(page.Items) != 1 || page.Items[0]["members"] != 1.0 || page.Items[0]["name"] != "core" {
		t.Fatalf("view records: %v", page.Items)
	}
	e.Run(t, []scenario{
		{Name: "view is read only", Method: "POST", URL: "/api/collections/team_sizes/records", Body: `{"name": "x"}`, ExpectedStatus: 400},
		{Name: "view needs id", Method: "POST", URL: "/api/collections", Body: `{"name": "v2", "type": "view", "viewQuery": "SELECT 1 AS n"}`,
			ExpectedStatus: 400, ExpectedContent: []string{"id column"}},
		{Name: "view single statement", Method: "POST", URL: "/api/collections",
			Body: `{"name": "v3", "type": "view", "viewQuery": "SELECT id FROM teams; DROP TABLE people"}`, ExpectedStatus: 400},
		{Name: "view syntax error", Method: "POST", URL: "/api/collections", Body: `{"name": "v4", "type": "view", "viewQuery": "SELEC id"}`,
			ExpectedStatus: 400, ExpectedContent: []string{"Invalid view query"}},
		{Name: "preview a view's rows", Method: "POST", URL: "/api/collections/view-preview",
			Body:           `{"viewQuery": "SELECT t.id, t.name, count(p.id) AS members FROM teams t LEFT JOIN people p ON p.team = t.id GROUP BY t.id, t.name;"}`,
			ExpectedStatus: 200, ExpectedContent: []string{`"items":[{`, `"name":"core"`, `"members":1`}},
		{Name: "a preview cannot write", Method: "POST", URL: "/api/collections/view-preview",
			Body: `{"viewQuery": "SELECT id, nextval('_events_seq_seq') AS n FROM teams"}`, ExpectedStatus: 400,
			ExpectedContent: []string{"Invalid view query", "read-only"}},
		{Name: "a preview runs one statement", Method: "POST", URL: "/api/collections/view-preview",
			Body: `{"viewQuery": "SELECT id FROM teams; DROP TABLE people"}`, ExpectedStatus: 400},
		{Name: "a preview's syntax error", Method: "POST", URL: "/api/collections/view-preview", Body: `{"viewQuery": "SELEC id"}`,
			ExpectedStatus: 400, ExpectedContent: []string{"Invalid view query"}},
		{Name: "an empty preview", Method: "POST", URL: "/api/collections/view-preview", Body: `{"viewQuery": " "}`, ExpectedStatus: 400},
		{Name: "previews are for superusers", Method: "POST", URL: "/api/collections/view-preview", Token: "-",
			Body: `{"viewQuery": "SELECT id FROM teams"}`, ExpectedStatus: 401},
	})
	e.MustJSON("GET", "/api/collections/people/records", "", "", 200, &page)
	if len(page.Items) != 1 {
		t.Fatal("people gone after view attempts")
	}
}

// pbUsersExport is the users collection as PocketBase exports it, with its
// partial email index and the email made optional.
const pbUsersExport = `{"collections": [{"id": "_pb_users_auth_", "name": "members", "type": "auth",
	"listRule": "id = @request.auth.id", "viewRule": "id = @request.auth.id", "createRule": "",
	"updateRule": "id = @request.auth.id", "deleteRule": "id = @request.auth.id",
	"fields": [
		{"autogeneratePattern": "[a-z0-9]{15}", "hidden": false, "id": "text3208210256", "max": 15, "min": 15, "name": "id", "pattern": "^[a-z0-9]+$", "primaryKey": true, "required": true, "system": true, "type": "text"},
		{"cost": 0, "hidden": true, "id": "password901924565", "max": 0, "min": 8, "name": "password", "pattern": "", "required": true, "system": true, "type": "password"},
		{"autogeneratePattern": "[a-zA-Z0-9]{50}", "hidden": true, "id": "text2504183744", "max": 60, "min": 30, "name": "tokenKey", "pattern": "", "primaryKey": false, "required": true, "system": true, "type": "text"},
		{"exceptDomains": null, "hidden": false, "id": "email3885137012", "name": "email", "onlyDomains": null, "required": false, "system": true, "type": "email"},
		{"hidden": false, "id": "bool1547992806", "name": "emailVisibility", "required": false, "system": true, "type": "bool"},
		{"hidden": false, "id": "bool256245529", "name": "verified", "required": false, "system": true, "type": "bool"},
		{"autogeneratePattern": "", "hidden": false, "id": "text1579384326", "max": 255, "min": 0, "name": "name", "pattern": "", "primaryKey": false, "required": false, "system": false, "type": "text"},
		{"hidden": false, "id": "autodate2990389176", "name": "created", "onCreate": true, "onUpdate": false, "system": false, "type": "autodate"},
		{"hidden": false, "id": "autodate3332085495", "name": "updated", "onCreate": true, "onUpdate": true, "system": false, "type": "autodate"}],
	"indexes": [
		"CREATE UNIQUE INDEX ` + "`idx_tokenKey__pb_users_auth_` ON `members` (`tokenKey`)" + `",
		"CREATE UNIQUE INDEX ` + "`idx_email__pb_users_auth_` ON `members` (`email`) WHERE `email` != ''" + `"]}]}`

// TestImportPocketBaseUsers: PocketBase's users collection imports with
// its partial email index. Emails stay unique whatever their case, and
// records without one (as OAuth2 may create) are not in each other's way.
func TestImportPocketBaseUsers(t *testing.T) {
	t.Parallel()
	e := MustEnv(t)
	e.MustJSON("PUT", "/api/collections/import", "", pbUsersExport, 204, nil)
	var col struct{ Indexes []string }
	e.MustJSON("GET", "/api/collections/members", "", "", 200, &col)
	want := "CREATE UNIQUE INDEX `idx_email__pb_users_auth_` ON `members` (`email` COLLATE NOCASE) WHERE `email` != ''"
	if !slices.Contains(col.Indexes, want) || len(col.Indexes) != 2 {
		t.Fatalf("indexes %q, want the email index as %s", col.Indexes, want)
	}
	for range 2 {
		e.MustJSON("POST", "/api/collections/members/records", "-", `{"password": "12345678", "passwordConfirm": "12345678"}`, 200, nil)
	}
	e.MustJSON("POST", "/api/collections/members/records", "-", `{"email": "Ann@example.com", "password": "12345678", "passwordConfirm": "12345678"}`, 200, nil)
	e.Run(t, []scenario{{Name: "same email in another case", Method: "POST", URL: "/api/collections/members/records", Token: "-",
		Body: `{"email": "ann@EXAMPLE.com", "password": "12345678", "passwordConfirm": "12345678"}`, ExpectedStatus: 400,
		ExpectedContent: []string{`"email":{"code":"validation_not_unique"`}}})
	e.MustJSON("POST", "/api/collections/members/auth-with-password", "-", `{"identity": "ANN@example.com", "password": "12345678"}`, 200, nil)

	// A partial index on another text field; WHERE of any other form is refused.
	e.MustJSON("POST", "/api/collections", "", `{"name": "pages", "fields": [{"name": "slug", "type": "text"}],
		"indexes": ["CREATE UNIQUE INDEX idx_slug ON pages (slug) WHERE slug != ''"]}`, 200, nil)
	for range 2 {
		e.MustJSON("POST", "/api/collections/pages/records", "", `{}`, 200, nil)
	}
	e.MustJSON("POST", "/api/collections/pages/records", "", `{"slug": "home"}`, 200, nil)
	e.Run(t, []scenario{
		{Name: "duplicate slug", Method: "POST", URL: "/api/collections/pages/records", Body: `{"slug": "home"}`,
			ExpectedStatus: 400, ExpectedContent: []string{`"slug":{"code":"validation_not_unique"`}},
		{Name: "other WHERE", Method: "POST", URL: "/api/collections", ExpectedStatus: 400,
			Body:            `{"name": "other", "fields": [{"name": "n", "type": "number"}], "indexes": ["CREATE INDEX idx_n ON other (n) WHERE n > 1"]}`,
			ExpectedContent: []string{`"indexes":{"0":{"code":"validation_invalid_index"`, `the only WHERE`}},
		{Name: "WHERE on a number", Method: "POST", URL: "/api/collections", ExpectedStatus: 400,
			Body:            `{"name": "other", "fields": [{"name": "n", "type": "number"}], "indexes": ["CREATE INDEX idx_n ON other (n) WHERE n != ''"]}`,
			ExpectedContent: []string{`"indexes":{"0":{"code":"validation_invalid_index_column"`}},
	})
}
