package api_test

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// Imports as PocketBase apps carry them: each case failed on Lumbung
// before, with the same JSON PocketBase 0.39 accepts.

// TestImportUniqueIndexOnNewCollection: a new collection whose export has
// a unique index imports (the plan's impact query read a table the same
// import had not created yet: a 500).
func TestImportUniqueIndexOnNewCollection(t *testing.T) {
	t.Parallel()
	e := MustEnv(t)
	e.MustJSON("PUT", "/api/collections/import", "", `{"collections": [{"id": "pbc_2708086759", "name": "pages", "type": "base",
		"listRule": "", "viewRule": "", "createRule": "",
		"fields": [{"id": "text2560465762", "name": "slug", "type": "text"}, {"id": "text724990059", "name": "title", "type": "text"}],
		"indexes": ["CREATE UNIQUE INDEX `+"`idx_slug`"+` ON `+"`pages`"+` (`+"`slug`"+`)", "CREATE INDEX idx_title ON pages (title COLLATE NOCASE)"]}]}`, 204, nil)
	e.MustJSON("POST", "/api/collections/pages/records", "-", `{"slug": "home"}`, 200, nil)
	e.Run(t, []scenario{{Name: "the unique index holds", Method: "POST", URL: "/api/collections/pages/records", Token: "-",
		Body: `{"slug": "home"}`, ExpectedStatus: 400, ExpectedContent: []string{`"slug":{"code":"validation_not_unique"`}}})
	// A dry run of the same import on a fresh name plans it without a 500.
	e.MustJSON("PUT", "/api/collections/import?dryRun=1", "", `{"collections": [{"name": "pages2",
		"fields": [{"name": "slug", "type": "text"}], "indexes": ["CREATE UNIQUE INDEX idx_slug2 ON pages2 (slug)"]}]}`, 200, nil)
}

// TestImportPocketBaseIDs: relations to PocketBase's well-known ids reach
// Lumbung's collections of the same role, and imported ids are kept as
// given, also those that start with a digit.
func TestImportPocketBaseIDs(t *testing.T) {
	t.Parallel()
	e := MustEnv(t)
	var users struct{ ID string }
	e.MustJSON("GET", "/api/collections/users", "", "", 200, &users)
	if users.ID != "_pb_users_auth_" {
		t.Errorf("a new installation's users collection has id %q, want PocketBase's _pb_users_auth_", users.ID)
	}
	var su struct{ ID string }
	e.MustJSON("GET", "/api/collections/_superusers", "", "", 200, &su)
	if su.ID != "pbc_3142635823" {
		t.Errorf("_superusers has id %q, want PocketBase's pbc_3142635823", su.ID)
	}
	e.MustJSON("PUT", "/api/collections/import", "", `{"collections": [
		{"id": "3kb1n6gbhqjeyxk", "name": "notes", "type": "base", "listRule": "owner = @request.auth.id", "viewRule": "owner = @request.auth.id", "createRule": "@request.auth.id != ''",
		 "fields": [{"id": "text1", "name": "body", "type": "text"},
		            {"id": "relation3479234172", "name": "owner", "type": "relation", "collectionId": "_pb_users_auth_", "maxSelect": 1, "cascadeDelete": true},
		            {"id": "relation2", "name": "audited_by", "type": "relation", "collectionId": "pbc_3142635823", "maxSelect": 1}]},
		{"id": "9_tags", "name": "tags", "type": "base",
		 "fields": [{"id": "text2", "name": "label", "type": "text"}, {"id": "relation3", "name": "note", "type": "relation", "collectionId": "3kb1n6gbhqjeyxk", "maxSelect": 1}]}
	]}`, 204, nil)
	var notes struct {
		ID     string
		Fields []map[string]any
	}
	e.MustJSON("GET", "/api/collections/notes", "", "", 200, &notes)
	if notes.ID != "3kb1n6gbhqjeyxk" {
		t.Fatalf("imported id not kept: %q", notes.ID)
	}
	for _, f := range notes.Fields {
		if f["name"] == "owner" && f["collectionId"] != users.ID {
			t.Errorf("owner points at %v, want the users collection %s", f["collectionId"], users.ID)
		}
	}
	e.MustJSON("GET", "/api/collections/9_tags", "", "", 200, nil)

	var user, auth map[string]any
	e.MustJSON("POST", "/api/collections/users/records", "-", `{"email": "ann@example.com", "password": "12345678", "passwordConfirm": "12345678"}`, 200, &user)
	e.MustJSON("POST", "/api/collections/users/auth-with-password", "-", `{"identity": "ann@example.com", "password": "12345678"}`, 200, &auth)
	token := auth["token"].(string)
	var note map[string]any
	e.MustJSON("POST", "/api/collections/notes/records?expand=owner", token, `{"body": "hi", "owner": "`+user["id"].(string)+`"}`, 200, &note)
	if !strings.Contains(fmt.Sprint(note["expand"]), "ann@example.com") {
		t.Fatalf("owner expand: %v", note)
	}
	e.MustJSON("POST", "/api/collections/9_tags/records", "", `{"label": "x", "note": "`+note["id"].(string)+`"}`, 200, nil)

	e.Run(t, []scenario{
		{Name: "an id with other characters", Method: "POST", URL: "/api/collections", Body: `{"id": "no-dash", "name": "x1"}`, ExpectedStatus: 400,
			ExpectedContent: []string{`"id":{"code":"validation_invalid_id"`, "letters, digits and underscores"}},
		{Name: "an id that is too long", Method: "POST", URL: "/api/collections", Body: `{"id": "` + strings.Repeat("a", 101) + `", "name": "x2"}`, ExpectedStatus: 400,
			ExpectedContent: []string{`"id":{"code":"validation_invalid_id"`, "at most 100"}},
		{Name: "a taken id", Method: "POST", URL: "/api/collections", Body: `{"id": "9_tags", "name": "x3"}`, ExpectedStatus: 400,
			ExpectedContent: []string{`"id":{"code":"validation_invalid_or_existing_id"`}},
	})
}

// TestImportViewsInDependencyOrder: views read tables and views created by
// the same import, whatever order the file lists them in.
func TestImportViewsInDependencyOrder(t *testing.T) {
	t.Parallel()
	e := MustEnv(t)
	e.MustJSON("PUT", "/api/collections/import", "", `{"collections": [
		{"name": "busy_authors", "type": "view", "listRule": "", "viewQuery": "SELECT id, name, posts FROM author_stats WHERE posts > 1"},
		{"name": "author_stats", "type": "view", "listRule": "", "viewQuery": "SELECT a.id, a.name, count(p.id) AS posts FROM authors a LEFT JOIN posts p ON p.author = a.id GROUP BY a.id, a.name"},
		{"id": "pbc_posts", "name": "posts", "type": "base", "fields": [{"name": "title", "type": "text"}, {"name": "author", "type": "relation", "collectionId": "pbc_authors", "maxSelect": 1}]},
		{"id": "pbc_authors", "name": "authors", "type": "base", "fields": [{"name": "name", "type": "text"}]}
	]}`, 204, nil)
	var a map[string]any
	e.MustJSON("POST", "/api/collections/authors/records", "", `{"name": "ann"}`, 200, &a)
	for range 2 {
		e.MustJSON("POST", "/api/collections/posts/records", "", `{"title": "t", "author": "`+a["id"].(string)+`"}`, 200, nil)
	}
	var page struct{ Items []map[string]any }
	e.MustJSON("GET", "/api/collections/busy_authors/records", "-", "", 200, &page)
	if len(page.Items) != 1 || page.Items[0]["posts"] != 2.0 {
		t.Fatalf("busy_authors: %v", page.Items)
	}
	e.Run(t, []scenario{{Name: "views that read each other", Method: "PUT", URL: "/api/collections/import", ExpectedStatus: 400,
		Body:            `{"collections": [{"name": "va", "type": "view", "viewQuery": "SELECT id FROM vb"}, {"name": "vb", "type": "view", "viewQuery": "SELECT id FROM va"}]}`,
		ExpectedContent: []string{"va", "vb", "each other"}}})
}

// TestImportSameMultiRelationInTwoCollections: PocketBase derives field ids
// from names, so two collections' "tags" fields share an id; both may point
// at the same collection (the maintenance triggers' names clashed: a 500).
func TestImportSameMultiRelationInTwoCollections(t *testing.T) {
	t.Parallel()
	e := MustEnv(t)
	e.MustJSON("PUT", "/api/collections/import", "", `{"collections": [
		{"id": "pbc_tags", "name": "tags", "fields": [{"id": "text1579384326", "name": "name", "type": "text"}]},
		{"id": "pbc_posts", "name": "posts", "fields": [{"id": "relation1874629670", "name": "tags", "type": "relation", "collectionId": "pbc_tags", "maxSelect": 99}]},
		{"id": "pbc_photos", "name": "photos", "fields": [{"id": "relation1874629670", "name": "tags", "type": "relation", "collectionId": "pbc_tags", "maxSelect": 99, "cascadeDelete": true}]}
	]}`, 204, nil)
	var tag map[string]any
	e.MustJSON("POST", "/api/collections/tags/records", "", `{"name": "a"}`, 200, &tag)
	id := tag["id"].(string)
	var post, photo map[string]any
	e.MustJSON("POST", "/api/collections/posts/records", "", `{"tags": ["`+id+`"]}`, 200, &post)
	e.MustJSON("POST", "/api/collections/photos/records", "", `{"tags": ["`+id+`"]}`, 200, &photo)
	e.MustJSON("DELETE", "/api/collections/tags/records/"+id, "", "", 204, nil)
	// Each field keeps its own behaviour: posts lose the id, photos go.
	e.MustJSON("GET", "/api/collections/posts/records/"+post["id"].(string), "", "", 200, &post)
	if fmt.Sprint(post["tags"]) != "[]" {
		t.Fatalf("posts.tags after the tag was deleted: %v", post["tags"])
	}
	if status, _ := e.Do("GET", "/api/collections/photos/records/"+photo["id"].(string), "", ""); status != 404 {
		t.Fatalf("photos with the deleted tag were not deleted (cascadeDelete): %d", status)
	}
	// Removing one field leaves the other's trigger in place.
	e.MustJSON("PATCH", "/api/collections/photos", "", `{"fields": [{"name": "caption", "type": "text"}]}`, 200, nil)
	e.MustJSON("POST", "/api/collections/tags/records", "", `{"name": "b"}`, 200, &tag)
	e.MustJSON("POST", "/api/collections/posts/records", "", `{"tags": ["`+tag["id"].(string)+`"]}`, 200, &post)
	e.MustJSON("DELETE", "/api/collections/tags/records/"+tag["id"].(string), "", "", 204, nil)
	e.MustJSON("GET", "/api/collections/posts/records/"+post["id"].(string), "", "", 200, &post)
	if fmt.Sprint(post["tags"]) != "[]" {
		t.Fatalf("posts.tags after the photos field went: %v", post["tags"])
	}
}

// TestImportDeleteMissingMutualReferences: collections that reference only
// each other are dropped together by deleteMissing.
func TestImportDeleteMissingMutualReferences(t *testing.T) {
	t.Parallel()
	e := MustEnv(t)
	e.MustJSON("PUT", "/api/collections/import", "", `{"collections": [
		{"id": "pbc_teams", "name": "teams", "fields": [{"name": "lead", "type": "relation", "collectionId": "pbc_people", "maxSelect": 1},
		                                              {"name": "members", "type": "relation", "collectionId": "pbc_people", "maxSelect": 50}]},
		{"id": "pbc_people", "name": "people", "fields": [{"name": "team", "type": "relation", "collectionId": "pbc_teams", "maxSelect": 1, "required": true},
		                                                 {"name": "friends", "type": "relation", "collectionId": "pbc_people", "maxSelect": 9}]},
		{"name": "team_view", "type": "view", "viewQuery": "SELECT t.id, p.id AS lead FROM teams t JOIN people p ON p.id = t.lead"},
		{"name": "keep", "fields": [{"name": "n", "type": "number"}]}
	]}`, 204, nil)
	var team, person map[string]any
	e.MustJSON("POST", "/api/collections/teams/records", "", `{}`, 200, &team)
	e.MustJSON("POST", "/api/collections/people/records", "", `{"team": "`+team["id"].(string)+`"}`, 200, &person)
	e.MustJSON("PATCH", "/api/collections/teams/records/"+team["id"].(string), "", `{"lead": "`+person["id"].(string)+`"}`, 200, nil)
	var kept struct{ Items []struct{ Name string } }
	e.MustJSON("GET", "/api/collections?perPage=100", "", "", 200, &kept)
	var all []string
	for _, c := range kept.Items {
		all = append(all, c.Name)
	}
	// Everything but keep (and the system collections) goes.
	var body strings.Builder
	body.WriteString(`{"deleteMissing": true, "collections": [`)
	var full struct{ Items []map[string]any }
	e.MustJSON("GET", "/api/collections?perPage=100", "", "", 200, &full)
	n := 0
	for _, c := range full.Items {
		if c["name"] == "keep" || c["system"] == true || c["name"] == "users" {
			if n > 0 {
				body.WriteString(",")
			}
			body.WriteString(jsonBody(t, c))
			n++
		}
	}
	body.WriteString("]}")
	e.MustJSON("PUT", "/api/collections/import", "", body.String(), 204, nil)
	for _, name := range []string{"teams", "people", "team_view"} {
		if status, _ := e.Do("GET", "/api/collections/"+name, "", ""); status != 404 {
			t.Errorf("%s still there (%d) after deleteMissing; before: %v", name, status, all)
		}
	}
	e.MustJSON("GET", "/api/collections/keep", "", "", 200, nil)
}

// TestImportViewRelationColumns: a view column copied from a relation
// field is a relation field of the view, so it expands; other copied
// columns keep their field's type too.
func TestImportViewRelationColumns(t *testing.T) {
	t.Parallel()
	e := MustEnv(t)
	e.MustJSON("PUT", "/api/collections/import", "", `{"collections": [
		{"id": "pbc_authors", "name": "authors", "listRule": "", "viewRule": "", "fields": [{"name": "name", "type": "text"}]},
		{"id": "pbc_posts", "name": "posts", "listRule": "", "viewRule": "", "fields": [{"name": "title", "type": "text"},
			{"name": "status", "type": "select", "values": ["draft", "live"], "maxSelect": 1},
			{"name": "author", "type": "relation", "collectionId": "pbc_authors", "maxSelect": 1},
			{"name": "editors", "type": "relation", "collectionId": "pbc_authors", "maxSelect": 5}]},
		{"name": "live_posts", "type": "view", "listRule": "", "viewRule": "",
		 "viewQuery": "SELECT p.id, p.title, p.status, p.author AS writer, p.editors, p.created FROM posts p WHERE p.status = 'live'"}
	]}`, 204, nil)
	var view struct{ Fields []map[string]any }
	e.MustJSON("GET", "/api/collections/live_posts", "", "", 200, &view)
	types := map[string]string{}
	for _, f := range view.Fields {
		types[f["name"].(string)] = fmt.Sprint(f["type"], ":", f["collectionId"], ":", f["maxSelect"])
	}
	if types["writer"] != "relation:pbc_authors:1" || types["editors"] != "relation:pbc_authors:5" || !strings.HasPrefix(types["status"], "select:") || !strings.HasPrefix(types["created"], "autodate:") {
		t.Fatalf("view field types: %v", types)
	}
	var a map[string]any
	e.MustJSON("POST", "/api/collections/authors/records", "", `{"name": "ann"}`, 200, &a)
	e.MustJSON("POST", "/api/collections/posts/records", "", `{"title": "t", "status": "live", "author": "`+a["id"].(string)+`", "editors": ["`+a["id"].(string)+`"]}`, 200, nil)
	var page struct{ Items []map[string]any }
	e.MustJSON("GET", "/api/collections/live_posts/records?expand="+url.QueryEscape("writer,editors"), "-", "", 200, &page)
	if len(page.Items) != 1 || !strings.Contains(fmt.Sprint(page.Items[0]["expand"]), "writer:map[") || !strings.Contains(fmt.Sprint(page.Items[0]["expand"]), "editors:[map[") {
		t.Fatalf("view expand: %v", page.Items)
	}
	e.MustJSON("GET", "/api/collections/live_posts/records?filter="+url.QueryEscape("writer.name = 'ann'"), "-", "", 200, &page)
	if len(page.Items) != 1 {
		t.Fatalf("filter through the view's relation: %v", page.Items)
	}
}

// TestImportIDFieldOptions: the id field's length, format and
// autogenerate pattern are kept and honoured (they were reset to 15
// characters of [a-z0-9]), as are other text fields' autogenerate patterns.
func TestImportIDFieldOptions(t *testing.T) {
	t.Parallel()
	e := MustEnv(t)
	e.MustJSON("PUT", "/api/collections/import", "", `{"collections": [{"id": "pbc_orders", "name": "orders", "listRule": "", "viewRule": "", "createRule": "",
		"fields": [
			{"id": "text3208210256", "name": "id", "type": "text", "system": true, "primaryKey": true, "required": true,
			 "min": 10, "max": 10, "pattern": "^ORD-[0-9]{6}$", "autogeneratePattern": "ORD-[0-9]{6}"},
			{"id": "text1", "name": "code", "type": "text", "autogeneratePattern": "[A-Z]{3}-[0-9]{3}", "pattern": "^[A-Z]{3}-[0-9]{3}$"},
			{"id": "text2", "name": "note", "type": "text"}]}]}`, 204, nil)
	var col struct{ Fields []map[string]any }
	e.MustJSON("GET", "/api/collections/orders", "", "", 200, &col)
	if f := col.Fields[0]; f["pattern"] != "^ORD-[0-9]{6}$" || f["max"] != 10.0 || f["autogeneratePattern"] != "ORD-[0-9]{6}" {
		t.Fatalf("id field: %v", f)
	}
	var rec map[string]any
	e.MustJSON("POST", "/api/collections/orders/records", "-", `{"note": "x"}`, 200, &rec)
	id, _ := rec["id"].(string)
	code, _ := rec["code"].(string)
	if !regexp.MustCompile(`^ORD-[0-9]{6}$`).MatchString(id) || !regexp.MustCompile(`^[A-Z]{3}-[0-9]{3}$`).MatchString(code) {
		t.Fatalf("generated id %q, code %q", id, code)
	}
	e.MustJSON("GET", "/api/collections/orders/records/"+id, "-", "", 200, nil)
	e.MustJSON("POST", "/api/collections/orders/records", "-", `{"id": "ORD-000001", "code": "ABC-123"}`, 200, nil)
	e.Run(t, []scenario{
		{Name: "an id of another format", Method: "POST", URL: "/api/collections/orders/records", Token: "-",
			Body: `{"id": "abcdefghij"}`, ExpectedStatus: 400, ExpectedContent: []string{`"id":{"code":"validation_invalid_format"`}},
		{Name: "an id of another length", Method: "POST", URL: "/api/collections/orders/records", Token: "-",
			Body: `{"id": "ORD-0000001"}`, ExpectedStatus: 400, ExpectedContent: []string{`"id":{"code":"validation_max_text_constraint"`}},
		{Name: "a pattern that makes invalid ids", Method: "POST", URL: "/api/collections", ExpectedStatus: 400,
			Body:            `{"name": "bad", "fields": [{"name": "id", "type": "text", "primaryKey": true, "min": 5, "max": 5, "pattern": "^[a-z]+$", "autogeneratePattern": "[0-9]{5}"}]}`,
			ExpectedContent: []string{"validation_invalid_autogenerate_pattern_value"}},
	})
}

// TestImportAuthFactors: MFA, OTP and new-location alert options are kept
// on import and in exports, and apply: a record the MFA rule matches is
// asked for a second method.
func TestImportAuthFactors(t *testing.T) {
	t.Parallel()
	e := MustEnv(t)
	e.MustJSON("PUT", "/api/collections/import", "", `{"collections": [{"id": "pbc_staff", "name": "staff", "type": "auth",
		"listRule": "id = @request.auth.id", "viewRule": "id = @request.auth.id",
		"passwordAuth": {"enabled": true, "identityFields": ["email"]},
		"otp": {"enabled": true, "duration": 300, "length": 6, "emailTemplate": {"subject": "Your code", "body": "<p>{OTP}</p>"}},
		"mfa": {"enabled": true, "duration": 900, "rule": "verified = true"},
		"authAlert": {"enabled": false, "emailTemplate": {"subject": "New sign-in", "body": "<p>{ALERT_INFO}</p>"}},
		"fields": [{"name": "name", "type": "text"}]}]}`, 204, nil)
	var col struct {
		MFA struct {
			Enabled  bool
			Duration int
			Rule     string
		}
		OTP struct {
			Enabled       bool
			Duration      int
			Length        int
			EmailTemplate struct{ Subject string }
		}
		AuthAlert struct {
			Enabled       bool
			EmailTemplate struct{ Subject string }
		}
	}
	e.MustJSON("GET", "/api/collections/staff", "", "", 200, &col)
	if !col.MFA.Enabled || col.MFA.Duration != 900 || col.MFA.Rule != "verified = true" || !col.OTP.Enabled || col.OTP.Length != 6 ||
		col.OTP.EmailTemplate.Subject != "Your code" || col.AuthAlert.Enabled || col.AuthAlert.EmailTemplate.Subject != "New sign-in" {
		t.Fatalf("factor options not kept: %+v", col)
	}
	var users struct {
		AuthAlert struct{ Enabled bool }
		MFA       struct{ Duration int }
	}
	e.MustJSON("GET", "/api/collections/users", "", "", 200, &users)
	if !users.AuthAlert.Enabled || users.MFA.Duration != 600 {
		t.Fatalf("PocketBase's defaults for an auth collection: %+v", users)
	}
	var methods struct{ MFA, OTP map[string]any }
	e.MustJSON("GET", "/api/collections/staff/auth-methods", "-", "", 200, &methods)
	if methods.MFA["enabled"] != true || methods.MFA["duration"] != 900.0 || methods.OTP["enabled"] != true || methods.OTP["duration"] != 300.0 {
		t.Fatalf("auth-methods: %v", methods)
	}
	for _, email := range []string{"vera@example.com", "una@example.com"} {
		e.MustJSON("POST", "/api/collections/staff/records", "", `{"email": "`+email+`", "password": "12345678", "passwordConfirm": "12345678", "verified": `+fmt.Sprint(email[0] == 'v')+`}`, 200, nil)
	}
	e.Run(t, []scenario{
		{Name: "MFA applies: a second method is asked for", Method: "POST", URL: "/api/collections/staff/auth-with-password", Token: "-",
			Body: `{"identity": "vera@example.com", "password": "12345678"}`, ExpectedStatus: 401, ExpectedContent: []string{`"mfaId":`}, NotExpected: []string{"token"}},
		{Name: "the MFA rule does not match: one factor", Method: "POST", URL: "/api/collections/staff/auth-with-password", Token: "-",
			Body: `{"identity": "una@example.com", "password": "12345678"}`, ExpectedStatus: 200, ExpectedContent: []string{`"token":`}},
		{Name: "a wrong password is still just wrong", Method: "POST", URL: "/api/collections/staff/auth-with-password", Token: "-",
			Body: `{"identity": "vera@example.com", "password": "wrong password"}`, ExpectedStatus: 400},
		{Name: "MFA needs two methods", Method: "PATCH", URL: "/api/collections/staff", ExpectedStatus: 400,
			Body: `{"otp": {"enabled": false}}`, ExpectedContent: []string{`"code":"validation_mfa_not_enough_auths"`}},
		{Name: "superusers too", Method: "PATCH", URL: "/api/collections/_superusers", ExpectedStatus: 200,
			Body: `{"mfa": {"enabled": true}, "otp": {"enabled": true}}`, ExpectedContent: []string{`"mfa":{"enabled":true,"duration":600,"rule":""}`}},
		{Name: "an invalid MFA rule", Method: "PATCH", URL: "/api/collections/staff", ExpectedStatus: 400,
			Body: `{"mfa": {"enabled": true, "rule": "nope = 1"}}`, ExpectedContent: []string{`"mfa":{"rule":{"code":"validation_invalid_rule"`}},
	})
}

// TestImportKeepsFieldsLeftOut: as in PocketBase, importing an existing
// collection without some of its fields keeps them (and their values);
// deleteMissing drops them.
func TestImportKeepsFieldsLeftOut(t *testing.T) {
	t.Parallel()
	e := MustEnv(t)
	e.MustJSON("POST", "/api/collections", "", `{"name": "notes", "fields": [{"name": "title", "type": "text"}, {"name": "body", "type": "text"}]}`, 200, nil)
	var rec map[string]any
	e.MustJSON("POST", "/api/collections/notes/records", "", `{"title": "t", "body": "b"}`, 200, &rec)
	e.MustJSON("PUT", "/api/collections/import", "", `{"collections": [{"name": "notes", "fields": [{"name": "title", "type": "text"}, {"name": "tag", "type": "text"}]}]}`, 204, nil)
	e.MustJSON("GET", "/api/collections/notes/records/"+rec["id"].(string), "", "", 200, &rec)
	if rec["body"] != "b" || rec["title"] != "t" || rec["tag"] != "" {
		t.Fatalf("after an import without body: %v", rec)
	}
	var all struct{ Items []map[string]any }
	e.MustJSON("GET", "/api/collections?perPage=100", "", "", 200, &all)
	var keep []string
	for _, c := range all.Items {
		if c["name"] != "notes" {
			keep = append(keep, jsonBody(t, c))
		}
	}
	e.MustJSON("PUT", "/api/collections/import", "", `{"deleteMissing": true, "collections": [`+strings.Join(keep, ",")+`,
		{"name": "notes", "fields": [{"name": "title", "type": "text"}]}]}`, 204, nil)
	var after map[string]any
	e.MustJSON("GET", "/api/collections/notes/records/"+rec["id"].(string), "", "", 200, &after)
	if _, ok := after["body"]; ok || after["title"] != "t" {
		t.Fatalf("after deleteMissing: %v", after)
	}
}
