package api_test

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestCollectionScaffolds(t *testing.T) {
	t.Parallel()
	e := MustEnv(t)
	e.Run(t, []scenario{
		{Name: "guest", Method: "GET", URL: "/api/collections/meta/scaffolds", Token: "-", ExpectedStatus: 401},
		{Name: "superuser", Method: "GET", URL: "/api/collections/meta/scaffolds", ExpectedStatus: 200,
			ExpectedContent: []string{`"base":{`, `"auth":{`, `"view":{`, `"name":"tokenKey"`, `"name":"emailVisibility"`,
				`"name":"created"`, `"passwordAuth":{`, "`idx_tokenKey_"},
			NotExpected: []string{`"id":"pbc_`}},
	})
	var got map[string]struct {
		ID, Name, Type string
		Fields         []struct{ Name, Type string }
	}
	e.MustJSON("GET", "/api/collections/meta/scaffolds", "", "", 200, &got)
	names := func(typ string) string {
		var out []string
		for _, f := range got[typ].Fields {
			out = append(out, f.Name)
		}
		return strings.Join(out, ",")
	}
	if got["base"].Type != "base" || got["auth"].Type != "auth" || got["view"].Type != "view" || got["base"].ID != "" || got["auth"].Name != "" {
		t.Errorf("scaffolds: %+v", got)
	}
	if names("base") != "id,created,updated" || names("auth") != "id,verified,emailVisibility,email,tokenKey,password,created,updated" || names("view") != "" {
		t.Errorf("fields: base %s; auth %s; view %s", names("base"), names("auth"), names("view"))
	}
}

func TestCollectionDryRunView(t *testing.T) {
	t.Parallel()
	e := MustEnv(t)
	MustBlog(t, e)
	e.Run(t, []scenario{
		{Name: "guest", Method: "POST", URL: "/api/collections/meta/dry-run-view", Token: "-",
			Body: `{"query": "SELECT id, name FROM authors"}`, ExpectedStatus: 401},
		{Name: "blank query", Method: "POST", URL: "/api/collections/meta/dry-run-view", Body: `{"query": " "}`,
			ExpectedStatus: 400, ExpectedContent: []string{`"query":{"code":"validation_required"`}},
		{Name: "not a select", Method: "POST", URL: "/api/collections/meta/dry-run-view",
			Body: `{"query": "SELECT id, nope FROM authors"}`, ExpectedStatus: 400},
		{Name: "fields and sample", Method: "POST", URL: "/api/collections/meta/dry-run-view",
			Body: `{"query": "SELECT id, name FROM authors"}`, ExpectedStatus: 200,
			ExpectedContent: []string{`"fields":[`, `"name":"name"`, `"sample":[`}},
	})
	var got struct {
		Fields []struct{ Name string }
		Sample []map[string]any
	}
	e.MustJSON("POST", "/api/collections/meta/dry-run-view", "", `{"query": "SELECT id, name FROM authors"}`, 200, &got)
	if len(got.Fields) != 2 || len(got.Sample) == 0 || got.Sample[0]["name"] == nil {
		t.Errorf("dry run: %+v", got)
	}
	var list struct{ Items []json.RawMessage }
	e.MustJSON("GET", "/api/collections?perPage=500", "", "", 200, &list)
	for _, c := range list.Items {
		if strings.Contains(string(c), "temp_view_") {
			t.Errorf("dry run saved a collection: %s", c)
		}
	}
}
