package collections

import (
	"encoding/json"
	"testing"
)

// TestLegacyForm: a collection of PocketBase's pre-0.23 export ("schema",
// options nested per field and per collection) decodes into the current
// form, as PocketBase's own 0.23 migration converts it.
func TestLegacyForm(t *testing.T) {
	const users = `{"id": "_pb_users_auth_", "name": "users", "type": "auth", "system": false,
		"schema": [{"system": false, "id": "users_name", "name": "name", "type": "text", "required": false, "unique": false, "options": {"min": null, "max": 64, "pattern": ""}},
		           {"system": false, "id": "f1", "name": "friends", "type": "relation", "options": {"collectionId": "_pb_users_auth_", "cascadeDelete": false, "minSelect": null, "maxSelect": null}},
		           {"system": false, "id": "f2", "name": "score", "type": "number", "options": {"min": 0, "max": null, "noDecimal": true}},
		           {"system": false, "id": "f3", "name": "bio", "type": "editor", "options": {"convertUrls": true}}],
		"listRule": "id = @request.auth.id", "viewRule": null, "createRule": "", "updateRule": "id = @request.auth.id && @request.data.name != ''", "deleteRule": null,
		"options": {"allowEmailAuth": true, "allowOAuth2Auth": true, "allowUsernameAuth": true, "exceptEmailDomains": ["spam.example"],
		            "manageRule": "@request.data.verified = true", "minPasswordLength": 10, "onlyEmailDomains": null, "onlyVerified": true, "requireEmail": true}}`
	var c Collection
	if err := json.Unmarshal([]byte(users), &c); err != nil {
		t.Fatal(err)
	}
	want := []struct{ name, typ string }{{"id", "text"}, {"password", "password"}, {"tokenKey", "text"}, {"email", "email"}, {"emailVisibility", "bool"},
		{"verified", "bool"}, {"username", "text"}, {"name", "text"}, {"friends", "relation"}, {"score", "number"}, {"bio", "editor"}, {"created", "autodate"}, {"updated", "autodate"}}
	if len(c.Fields) != len(want) {
		t.Fatalf("%d fields, want %d", len(c.Fields), len(want))
	}
	for i, w := range want {
		if f := c.Fields[i]; f.Name != w.name || f.Type != w.typ {
			t.Errorf("field %d: %s %s, want %s %s", i, f.Name, f.Type, w.name, w.typ)
		}
	}
	name, _ := c.Field("name")
	friends, _ := c.Field("friends")
	score, _ := c.Field("score")
	bio, _ := c.Field("bio")
	password, _ := c.Field("password")
	email, _ := c.Field("email")
	username, _ := c.Field("username")
	switch {
	case name.ID != "users_name" || name.Options.(*TextOptions).Max != 64:
		t.Errorf("name: %+v %+v", name, name.Options)
	case !friends.Options.(*RelationOptions).Multi():
		t.Error("a relation without maxSelect holds any number of records")
	case !score.Options.(*NumberOptions).OnlyInt || *score.Options.(*NumberOptions).Min != 0:
		t.Errorf("score: %+v", score.Options)
	case !bio.Options.(*EditorOptions).ConvertURLs:
		t.Error("editor convertUrls")
	case password.Options.(*PasswordOptions).Min != 10:
		t.Error("minPasswordLength")
	case !email.Required || email.Options.(*EmailOptions).ExceptDomains[0] != "spam.example":
		t.Errorf("email: %+v %+v", email, email.Options)
	case username.Options.(*TextOptions).AutogeneratePattern != "users[0-9]{6}" || !username.Required:
		t.Errorf("username: %+v", username.Options)
	}
	a := c.Auth
	switch {
	case *c.UpdateRule != "id = @request.auth.id && @request.body.name != ''":
		t.Errorf("@request.data: %q", *c.UpdateRule)
	case *a.AuthRule != "verified=true" || *a.ManageRule != "@request.body.verified = true":
		t.Errorf("authRule %q, manageRule %q", *a.AuthRule, *a.ManageRule)
	case !a.PasswordAuth.Enabled || len(a.PasswordAuth.IdentityFields) != 2:
		t.Errorf("passwordAuth: %+v", a.PasswordAuth)
	case a.OAuth2.Enabled || a.OAuth2.MappedFields.Username != "username":
		t.Errorf("oauth2: %+v", a.OAuth2)
	case len(c.Indexes) != 3:
		t.Errorf("indexes: %q", c.Indexes)
	}
	if err := Normalize(staticLookup{&c}, nil, &c); err != nil {
		t.Fatalf("the converted collection is valid: %v", err)
	}

	var v Collection
	if err := json.Unmarshal([]byte(`{"id": "v1", "name": "stats", "type": "view", "schema": [{"id": "x", "name": "n", "type": "json", "options": {}}],
		"options": {"query": "SELECT id, 1 AS n FROM users"}}`), &v); err != nil {
		t.Fatal(err)
	}
	if v.ViewQuery != "SELECT id, 1 AS n FROM users" {
		t.Errorf("view query %q", v.ViewQuery)
	}
}

// staticLookup finds collections in a list.
type staticLookup []*Collection

func (l staticLookup) Collection(idOrName string) (*Collection, bool) {
	for _, c := range l {
		if c.ID == idOrName || c.Name == idOrName {
			return c, true
		}
	}
	return nil, false
}
