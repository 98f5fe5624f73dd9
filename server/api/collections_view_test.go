package api_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/lumbunghq/lumbung/collections"
)

// TestViewsNeverReadSecrets: a view over an auth collection cannot publish
// its password hashes or token keys. A view query that reads a secret
// field anywhere (select list, expressions, WHERE, subqueries, whole rows)
// or an internal table is refused with a 400 keyed on viewQuery, when it is
// created, changed, imported or previewed; nothing of it can be listed,
// viewed or asked for by fields=. A collection that would make an existing
// view read a secret field is refused too.
func TestViewsNeverReadSecrets(t *testing.T) {
	t.Parallel()
	e := MustEnv(t)
	MustUser(t, e, "ada@example.com", "ada password")
	// What must never appear in an answer: bcrypt hashes and the token keys.
	var secrets []string
	for _, c := range []string{"users", "_superusers"} {
		col, _ := e.srv.Collections().Collection(c)
		page, err := e.srv.Collections().SystemRecords().List(t.Context(), col, collections.Query{})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range page.Items {
			for _, f := range []string{"password", "tokenKey"} {
				if s, _ := r.Get(f).(string); s != "" {
					secrets = append(secrets, s)
				}
			}
		}
	}
	if len(secrets) != 4 {
		t.Fatalf("secrets of ada and the superuser: %q", secrets)
	}
	secrets = append(secrets, "$2a$", "$2b$")

	leaky := map[string]string{
		"the issue's view":       `SELECT id, email, password, "tokenKey" FROM users`,
		"an alias":               `SELECT u.id, u.password AS p FROM users u`,
		"an expression":          `SELECT id, md5("tokenKey") AS h, password || '' AS p FROM users`,
		"a WHERE oracle":         `SELECT id, email FROM users WHERE password LIKE '$2a$04$a%'`,
		"a subquery":             `SELECT id, (SELECT s.password FROM _superusers s LIMIT 1) AS p FROM users`,
		"a common table":         `WITH u AS (SELECT * FROM users) SELECT id, email FROM u`,
		"whole rows":             `SELECT u.id, to_jsonb(u) AS j FROM users u`,
		"whole rows as text":     `SELECT id, users::text AS j FROM users`,
		"superusers":             `SELECT id, "tokenKey" FROM _superusers`,
		"the change log":         `SELECT record_id AS id, new AS row FROM _events`,
		"the settings":           `SELECT key AS id, value FROM _params`,
		"a self join":            `SELECT u.id, x.password FROM users u JOIN users x ON x.id = u.id`,
		"an aggregate":           `SELECT min(id) AS id, string_agg("tokenKey", ',') AS k FROM users`,
		"SQL as text":            `SELECT id, query_to_xml('SELECT password FROM users', true, false, '') AS x FROM users`,
		"a table by name":        `SELECT id, table_to_xml('users', true, false, '') AS x FROM users`,
		"text search statistics": `SELECT word AS id, nentry FROM ts_stat('SELECT to_tsvector(password) FROM users')`,
	}
	noLeak := func(t *testing.T, what, body string) {
		t.Helper()
		for _, s := range secrets {
			if s != "" && strings.Contains(body, s) {
				t.Fatalf("%s leaks %q: %s", what, s, body)
			}
		}
	}
	i := 0
	for name, q := range leaky {
		i++
		view := fmt.Sprintf("leak%d", i)
		t.Run(name, func(t *testing.T) {
			def := jsonBody(t, map[string]any{"name": view, "type": "view", "viewQuery": q, "listRule": "", "viewRule": ""})
			status, body := e.Do("POST", "/api/collections", "", def)
			if status != 400 || !strings.Contains(body, `"viewQuery":{"code":"validation_view_`) {
				t.Fatalf("create: status %d, want 400 keyed on viewQuery: %s", status, body)
			}
			noLeak(t, "create", body)
			status, body = e.Do("POST", "/api/collections/view-preview", "", jsonBody(t, map[string]any{"viewQuery": q}))
			if status != 400 || !strings.Contains(body, `"viewQuery":{"code":"validation_view_`) {
				t.Fatalf("preview: status %d, want 400 keyed on viewQuery: %s", status, body)
			}
			noLeak(t, "preview", body)
			status, body = e.Do("PUT", "/api/collections/import", "", `{"collections": [`+def+`]}`)
			if status != 400 {
				t.Fatalf("import: status %d, want 400: %s", status, body)
			}
			for _, u := range []string{
				"/api/collections/" + view + "/records",
				"/api/collections/" + view + "/records?fields=password,tokenKey,p,h,j,k,x,row,value,word",
				"/api/collections/" + view + "/records/" + "x",
			} {
				for _, token := range []string{"", "-"} {
					status, body := e.Do("GET", u, token, "")
					noLeak(t, u, body)
					if status != 404 {
						t.Fatalf("GET %s: status %d, want 404: %s", u, status, body)
					}
				}
			}
		})
	}

	// A view of what may be shown stays possible, over views too; asking
	// it for a secret field gives nothing.
	e.MustJSON("POST", "/api/collections", "", `{"name": "people", "type": "view", "listRule": "", "viewRule": "",
		"viewQuery": "SELECT u.id, u.email, u.name FROM users u WHERE u.verified = false"}`, 200, nil)
	e.MustJSON("POST", "/api/collections", "", `{"name": "people2", "type": "view", "listRule": "", "viewRule": "",
		"viewQuery": "SELECT id, email FROM people"}`, 200, nil)
	var page struct{ Items []map[string]any }
	e.MustJSON("GET", "/api/collections/people2/records?fields="+url.QueryEscape("id,email"), "-", "", 200, &page)
	if len(page.Items) != 1 || page.Items[0]["email"] != "ada@example.com" || len(page.Items[0]) != 2 {
		t.Fatalf("people2: %v", page.Items)
	}
	status, body := e.Do("GET", "/api/collections/people/records?fields="+url.QueryEscape("id,password,tokenKey"), "-", "")
	if status != 400 || !strings.Contains(body, "Unknown field") {
		t.Fatalf("people with fields=password: status %d: %s", status, body)
	}
	noLeak(t, "people", body)
	// Changing a good view into a leaky one is refused the same way.
	status, body = e.Do("PATCH", "/api/collections/people", "", `{"viewQuery": "SELECT id, password FROM users"}`)
	if status != 400 || !strings.Contains(body, `"viewQuery":{"code":"validation_view_secret_field"`) {
		t.Fatalf("patch: status %d: %s", status, body)
	}
	noLeak(t, "patch", body)

	// A collection cannot make an existing view read a secret field: a
	// named field that becomes a password, or a password added to a
	// collection whose whole rows a view reads.
	e.MustJSON("POST", "/api/collections", "", `{"name": "vault", "type": "base", "fields": [{"name": "pin", "type": "text"}]}`, 200, nil)
	e.MustJSON("POST", "/api/collections", "", `{"name": "pins", "type": "view", "listRule": "", "viewQuery": "SELECT id, pin FROM vault"}`, 200, nil)
	e.MustJSON("POST", "/api/collections", "", `{"name": "rows", "type": "view", "listRule": "", "viewQuery": "SELECT v.id, to_jsonb(v) AS j FROM vault v"}`, 200, nil)
	var vault struct{ Fields []map[string]any }
	e.MustJSON("GET", "/api/collections/vault", "", "", 200, &vault)
	for _, f := range vault.Fields {
		if f["name"] == "pin" {
			f["type"] = "password"
		}
	}
	fields, _ := json.Marshal(vault.Fields)
	status, body = e.Do("PATCH", "/api/collections/vault", "", `{"fields": `+string(fields)+`}`)
	if status != 400 || !strings.Contains(body, `"code":"validation_view_secret_field"`) {
		t.Fatalf("pin made a password: status %d: %s", status, body)
	}
	e.MustJSON("DELETE", "/api/collections/pins", "", "", 204, nil)
	fields, _ = json.Marshal(append(vault.Fields[:len(vault.Fields):len(vault.Fields)], map[string]any{"name": "secret", "type": "password"}))
	status, body = e.Do("PATCH", "/api/collections/vault", "", `{"fields": `+string(fields)+`}`)
	if status != 400 || !strings.Contains(body, `"code":"validation_view_secret_field"`) || !strings.Contains(body, `rows`) {
		t.Fatalf("password added under a whole-row view: status %d: %s", status, body)
	}
	e.MustJSON("DELETE", "/api/collections/rows", "", "", 204, nil)
	e.MustJSON("PATCH", "/api/collections/vault", "", `{"fields": `+string(fields)+`}`, 200, nil)
}
