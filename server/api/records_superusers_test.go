package api_test

import (
	"net/url"
	"testing"
)

// TestLastSuperuserCannotBeDeleted: no endpoint deletes the only
// superuser, alone or with others in one request.
func TestLastSuperuserCannotBeDeleted(t *testing.T) {
	t.Parallel()
	e := MustEnv(t)
	var list struct {
		TotalItems int
		Items      []struct{ ID string }
	}
	e.MustJSON("GET", "/api/collections/_superusers/records", "", "", 200, &list)
	admin := list.Items[0].ID
	only := `"message":"You can't delete the only existing superuser"`
	e.Run(t, []scenario{
		{Name: "delete the only superuser", Method: "DELETE", URL: "/api/collections/_superusers/records/" + admin,
			ExpectedStatus: 400, ExpectedContent: []string{`"status":400`, only}},
		{Name: "truncate", Method: "DELETE", URL: "/api/collections/_superusers/truncate", ExpectedStatus: 400,
			ExpectedContent: []string{`"message":"The _superusers collection cannot be truncated: at least one superuser must remain."`}},
		{Name: "through a batch", Method: "POST", URL: "/api/batch",
			Body:           `{"requests": [{"method": "DELETE", "url": "/api/collections/_superusers/records/` + admin + `"}]}`,
			ExpectedStatus: 400, ExpectedContent: []string{only}},
	})
	var two struct{ ID string }
	e.MustJSON("POST", "/api/collections/_superusers/records", "", `{"email": "two@example.com", "password": "long enough password"}`, 200, &two)
	e.Run(t, []scenario{
		{Name: "both in one batch", Method: "POST", URL: "/api/batch",
			Body: `{"requests": [{"method": "DELETE", "url": "/api/collections/_superusers/records/` + two.ID + `"},
				{"method": "DELETE", "url": "/api/collections/_superusers/records/` + admin + `"}]}`,
			ExpectedStatus: 400, ExpectedContent: []string{only}},
		{Name: "truncate two", Method: "DELETE", URL: "/api/collections/_superusers/truncate", ExpectedStatus: 400},
		{Name: "both are kept", Method: "GET", URL: "/api/collections/_superusers/records", ExpectedStatus: 200,
			ExpectedContent: []string{`"totalItems":2`}},
		{Name: "one of two may go", Method: "DELETE", URL: "/api/collections/_superusers/records/" + two.ID, ExpectedStatus: 204},
		{Name: "then not the other", Method: "DELETE", URL: "/api/collections/_superusers/records/" + admin,
			ExpectedStatus: 400, ExpectedContent: []string{only}},
		{Name: "one is left", Method: "GET", URL: "/api/collections/_superusers/records", ExpectedStatus: 200,
			ExpectedContent: []string{`"totalItems":1`}},
	})
}

// A superuser's filter reads its own record as @request.auth, as in
// PocketBase.
func TestSuperuserFilterReadsItsAuth(t *testing.T) {
	e := MustEnv(t)
	var me struct{ Record struct{ ID string } }
	e.MustJSON("POST", "/api/collections/_superusers/auth-with-password", "-",
		`{"identity":"`+adminEmail+`","password":"`+adminPassword+`"}`, 200, &me)
	e.MustJSON("POST", "/api/collections", "", `{"name": "notes", "fields": [{"name": "owner", "type": "text"}]}`, 200, nil)
	e.MustJSON("POST", "/api/collections/notes/records", "", `{"owner": "`+me.Record.ID+`"}`, 200, nil)
	e.MustJSON("POST", "/api/collections/notes/records", "", `{"owner": "someone else"}`, 200, nil)
	e.Run(t, []scenario{
		{Name: "own", Method: "GET", URL: "/api/collections/notes/records?filter=" + url.QueryEscape("owner = @request.auth.id"),
			ExpectedStatus: 200, ExpectedContent: []string{`"totalItems":1`, me.Record.ID}},
		{Name: "collection", Method: "GET", URL: "/api/collections/notes/records?filter=" + url.QueryEscape("@request.auth.collectionName = '_superusers'"),
			ExpectedStatus: 200, ExpectedContent: []string{`"totalItems":2`}},
	})
}
