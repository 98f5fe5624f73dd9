package api_test

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestSystemCollectionsStayClosed: the rules of system collections
// (_superusers, _externalAuths) cannot be changed, as in PocketBase (400
// validation_collection_system_rule_change keyed on the rule): not through
// PATCH, not through an import, and not through the rbac policies, which
// are the same rules by another door. Their names and system fields stay
// too. Options that guard nothing can still be changed.
func TestSystemCollectionsStayClosed(t *testing.T) {
	t.Parallel()
	e := MustEnv(t)
	MustUser(t, e, "ada@example.com", "ada password")
	ada := MustSignIn(t, e, "users", "ada@example.com", "ada password")
	e.MustJSON("POST", "/api/rbac/roles", "", `{"name": "staff"}`, 200, nil)
	var superusers, externalAuths map[string]any
	e.MustJSON("GET", "/api/collections/_superusers", "", "", 200, &superusers)
	e.MustJSON("GET", "/api/collections/_externalAuths", "", "", 200, &externalAuths)

	// closed checks that nobody but superusers reaches superuser records.
	closed := func(t *testing.T, after string) {
		t.Helper()
		for _, token := range []string{"-", ada} {
			for _, u := range []string{"/api/collections/_superusers/records", "/api/collections/_superusers/records/" + superuserID(t, e)} {
				status, body := e.Do("GET", u, token, "")
				if status == 200 || strings.Contains(body, adminEmail) {
					t.Fatalf("after %s: GET %s: status %d: %s", after, u, status, body)
				}
			}
		}
		var col map[string]any
		e.MustJSON("GET", "/api/collections/_superusers", "", "", 200, &col)
		for _, k := range []string{"listRule", "viewRule", "createRule", "updateRule", "deleteRule", "authRule", "manageRule"} {
			if !sameJSON(col[k], superusers[k]) {
				t.Fatalf("after %s: %s is %v, was %v", after, k, col[k], superusers[k])
			}
		}
	}
	ruleChange := func(rule string) string { return `"` + rule + `":{"code":"validation_collection_system_rule_change"` }

	for _, rule := range []string{"listRule", "viewRule", "createRule", "updateRule", "deleteRule", "manageRule"} {
		for _, value := range []string{`""`, `"id != ''"`} {
			t.Run("PATCH "+rule+" "+value, func(t *testing.T) {
				status, body := e.Do("PATCH", "/api/collections/_superusers", "", `{"`+rule+`": `+value+`}`)
				if status != 400 || !strings.Contains(body, ruleChange(rule)) {
					t.Fatalf("status %d, want 400 keyed %s: %s", status, rule, body)
				}
				closed(t, "PATCH "+rule)
			})
		}
	}
	e.Run(t, []scenario{
		{Name: "the auth rule", Method: "PATCH", URL: "/api/collections/_superusers", Body: `{"authRule": "verified = true"}`,
			ExpectedStatus: 400, ExpectedContent: []string{ruleChange("authRule")}},
		{Name: "the OAuth2 links' rules", Method: "PATCH", URL: "/api/collections/_externalAuths", Body: `{"listRule": "", "deleteRule": null}`,
			ExpectedStatus: 400, ExpectedContent: []string{ruleChange("listRule"), ruleChange("deleteRule")}},
		{Name: "through an import", Method: "PUT", URL: "/api/collections/import",
			Body:           `{"collections": [` + withKey(t, superusers, "listRule", "") + `]}`,
			ExpectedStatus: 400, ExpectedContent: []string{ruleChange("listRule")}},
		{Name: "renamed", Method: "PATCH", URL: "/api/collections/_superusers", Body: `{"name": "_admins"}`,
			ExpectedStatus: 400, ExpectedContent: []string{`"name":{"code":"validation_collection_system_name_change"`}},
		{Name: "deleted", Method: "DELETE", URL: "/api/collections/_superusers", ExpectedStatus: 400},
		{Name: "a system field renamed", Method: "PATCH", URL: "/api/collections/_superusers",
			Body:           `{"fields": ` + renamedField(t, superusers, "email", "login") + `}`,
			ExpectedStatus: 400, ExpectedContent: []string{`"code":"validation_system_field_change"`}},
		{Name: "the token key of any auth collection renamed", Method: "PATCH", URL: "/api/collections/users",
			Body:           `{"fields": ` + renamedField(t, getCollection(t, e, "users"), "tokenKey", "tk") + `}`,
			ExpectedStatus: 400, ExpectedContent: []string{`"code":"validation_system_field_change"`}},
		{Name: "the same rules again", Method: "PATCH", URL: "/api/collections/_superusers",
			Body: `{"listRule": null, "viewRule": null, "createRule": null, "updateRule": null, "deleteRule": null}`, ExpectedStatus: 200},
		{Name: "an option that guards nothing", Method: "PATCH", URL: "/api/collections/_superusers",
			Body: `{"authToken": {"duration": 3600}}`, ExpectedStatus: 200, ExpectedContent: []string{`"authToken":{"duration":3600`}},
		{Name: "the same import again", Method: "PUT", URL: "/api/collections/import",
			Body: `{"collections": [` + withKey(t, getCollection(t, e, "_externalAuths"), "x", "") + `]}`, ExpectedStatus: 204},
	})
	closed(t, "the collection changes")

	// The rbac endpoints: no policy on a system collection can be added or
	// removed, for any role; sending the current set changes nothing.
	for _, grant := range []string{
		`{"subject": "guest", "action": "list"}`,
		`{"subject": "authenticated", "action": "view"}`,
		`{"subject": "authenticated", "action": "update", "condition": "id = @request.auth.id"}`,
		`{"subject": "staff", "action": "*"}`,
	} {
		t.Run("grant "+grant, func(t *testing.T) {
			status, body := e.Do("PUT", "/api/rbac/collections/_superusers/policies", "", `{"items": [`+grant+`]}`)
			if status != 400 || !strings.Contains(body, `"items":{"0":{"code":"validation_collection_system_rule_change"`) {
				t.Fatalf("status %d, want 400: %s", status, body)
			}
			closed(t, "grant "+grant)
		})
	}
	var policies struct{ Items []json.RawMessage }
	e.MustJSON("GET", "/api/rbac/collections/_externalAuths/policies", "", "", 200, &policies)
	if len(policies.Items) != 3 {
		t.Fatalf("_externalAuths policies: %s", policies.Items)
	}
	current, _ := json.Marshal(policies.Items)
	e.Run(t, []scenario{
		{Name: "another's links", Method: "PUT", URL: "/api/rbac/collections/_externalAuths/policies",
			Body:           `{"items": ` + strings.TrimSuffix(string(current), "]") + `, {"subject": "authenticated", "action": "list"}]}`,
			ExpectedStatus: 400, ExpectedContent: []string{`"items":{"3":{"code":"validation_collection_system_rule_change"`}},
		{Name: "a policy removed", Method: "PUT", URL: "/api/rbac/collections/_externalAuths/policies", Body: `{"items": []}`,
			ExpectedStatus: 400, ExpectedContent: []string{`"items":{"code":"validation_collection_system_rule_change"`}},
		{Name: "the current policies", Method: "PUT", URL: "/api/rbac/collections/_externalAuths/policies",
			Body: `{"items": ` + string(current) + `}`, ExpectedStatus: 200},
		{Name: "other collections stay open to change", Method: "PUT", URL: "/api/rbac/collections/users/policies",
			Body: `{"items": [{"subject": "staff", "action": "list"}]}`, ExpectedStatus: 200},
	})
	closed(t, "the policy changes")
}

func superuserID(tb testing.TB, e *env) string {
	tb.Helper()
	var page struct{ Items []struct{ ID string } }
	e.MustJSON("GET", "/api/collections/_superusers/records", "", "", 200, &page)
	if len(page.Items) == 0 {
		tb.Fatal("no superuser")
	}
	return page.Items[0].ID
}

func getCollection(tb testing.TB, e *env, name string) map[string]any {
	tb.Helper()
	var col map[string]any
	e.MustJSON("GET", "/api/collections/"+name, "", "", 200, &col)
	return col
}

// withKey returns col's JSON with key set to value.
func withKey(tb testing.TB, col map[string]any, key string, value any) string {
	tb.Helper()
	c := map[string]any{}
	for k, v := range col {
		c[k] = v
	}
	c[key] = value
	b, err := json.Marshal(c)
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}

// renamedField returns the JSON of col's fields with field from renamed to.
func renamedField(tb testing.TB, col map[string]any, from, to string) string {
	tb.Helper()
	var out []map[string]any
	for _, f := range col["fields"].([]any) {
		m := map[string]any{}
		for k, v := range f.(map[string]any) {
			m[k] = v
		}
		if m["name"] == from {
			m["name"] = to
		}
		out = append(out, m)
	}
	b, _ := json.Marshal(out)
	return string(b)
}

func sameJSON(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}
