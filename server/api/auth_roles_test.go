package api_test

import (
	"testing"
)

// TestAuthRolesField: an auth collection with a field named roles (as
// PocketBase apps have) keeps that field in @request.auth.roles; Lumbung's
// roles do not replace it.
func TestAuthRolesField(t *testing.T) {
	t.Parallel()
	e := MustEnv(t)
	e.MustJSON("POST", "/api/collections", "", `{"name": "staff", "type": "auth",
		"fields": [{"name": "roles", "type": "select", "values": ["admin", "editor"], "maxSelect": 2}]}`, 200, nil)
	e.MustJSON("POST", "/api/collections", "", `{"name": "reports", "listRule": "@request.auth.roles:each ?= 'admin'",
		"fields": [{"name": "title", "type": "text"}]}`, 200, nil)
	e.MustJSON("POST", "/api/collections/reports/records", "", `{"title": "q3"}`, 200, nil)
	e.MustJSON("POST", "/api/collections/staff/records", "", `{"email": "ann@example.com", "password": "long password", "roles": ["admin"]}`, 200, nil)
	e.MustJSON("POST", "/api/collections/staff/records", "", `{"email": "bob@example.com", "password": "long password", "roles": ["editor"]}`, 200, nil)
	for who, want := range map[string]int{"ann": 1, "bob": 0} {
		token := MustSignIn(t, e, "staff", who+"@example.com", "long password")
		var page struct{ TotalItems int }
		e.MustJSON("GET", "/api/collections/reports/records", token, "", 200, &page)
		if page.TotalItems != want {
			t.Errorf("%s lists %d reports, want %d", who, page.TotalItems, want)
		}
	}
}
