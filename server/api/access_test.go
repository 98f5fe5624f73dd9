package api_test

import (
	"fmt"
	"net/url"
	"sort"
	"strings"
	"testing"

	"github.com/lumbunghq/lumbung/server"
)

// accessWorld is a docs collection with policies for several roles, and
// the ids of its users and records.
type accessWorld struct {
	*env
	users  map[string]string // name -> record id
	tokens map[string]string // name -> token ("-" for the guest)
	docs   map[string]string // key -> record id
}

// MustAccessWorld builds:
//
//	guest:         docs list/view where status = 'published', fields title, status
//	authenticated: docs list/view where owner = @request.auth.id, fields title, status, owner, team;
//	               docs create where owner = @request.auth.id
//	viewer:        docs list/view, fields title, status, team
//	editor:        docs * where team = 'red' (every field)
//
// users: alice (viewer), bob (editor), carol (no role); docs d1 published
// red by alice, d2 draft red by bob, d3 draft blue by carol, d4 published
// blue by carol; notes n1 -> d1, n2 -> d2 readable by everyone.
func MustAccessWorld(tb testing.TB, opts ...func(*server.Config)) *accessWorld {
	tb.Helper()
	w := &accessWorld{env: MustEnv(tb, opts...), users: map[string]string{}, tokens: map[string]string{"guest": "-"}, docs: map[string]string{}}
	w.MustJSON("POST", "/api/collections", "", `{"name": "members", "type": "auth", "fields": [{"name": "name", "type": "text"}]}`, 200, nil)
	var members struct{ ID string }
	w.MustJSON("GET", "/api/collections/members", "", "", 200, &members)
	w.MustJSON("POST", "/api/collections", "", fmt.Sprintf(`{"name": "docs", "fields": [
		{"name": "title", "type": "text"}, {"name": "secret", "type": "text"},
		{"name": "status", "type": "select", "values": ["draft", "published"]},
		{"name": "team", "type": "text"},
		{"name": "owner", "type": "relation", "collectionId": %q}]}`, members.ID), 200, nil)
	w.MustJSON("POST", "/api/collections", "", `{"name": "notes", "listRule": "", "viewRule": "", "fields": [
		{"name": "text", "type": "text"}, {"name": "doc", "type": "relation", "collectionId": "docs"}]}`, 200, nil)
	for _, role := range []string{"viewer", "editor"} {
		w.MustJSON("POST", "/api/rbac/roles", "", `{"name": "`+role+`"}`, 200, nil)
	}
	w.MustJSON("PUT", "/api/rbac/collections/docs/policies", "", `{"items": [
		{"subject": "guest", "action": "list", "condition": "status = 'published'", "fields": ["title", "status"]},
		{"subject": "guest", "action": "view", "condition": "status = 'published'", "fields": ["title", "status"]},
		{"subject": "authenticated", "action": "list", "condition": "owner = @request.auth.id", "fields": ["title", "status", "owner", "team"]},
		{"subject": "authenticated", "action": "view", "condition": "owner = @request.auth.id", "fields": ["title", "status", "owner", "team"]},
		{"subject": "authenticated", "action": "create", "condition": "owner = @request.auth.id"},
		{"subject": "viewer", "action": "list", "fields": ["title", "status", "team"]},
		{"subject": "viewer", "action": "view", "fields": ["title", "status", "team"]},
		{"subject": "editor", "action": "*", "condition": "team = 'red'"}
	]}`, 200, nil)
	for name, role := range map[string]string{"alice": "viewer", "bob": "editor", "carol": ""} {
		var rec struct{ ID string }
		w.MustJSON("POST", "/api/collections/members/records", "", fmt.Sprintf(`{"email": "%s@example.com", "password": "password-of-%s", "name": %q}`, name, name, name), 200, &rec)
		w.users[name] = rec.ID
		if role != "" {
			w.MustJSON("POST", "/api/rbac/assignments", "", fmt.Sprintf(`{"collection": "members", "id": %q, "role": %q}`, rec.ID, role), 200, nil)
		}
		var auth struct{ Token string }
		w.MustJSON("POST", "/api/collections/members/auth-with-password", "-", fmt.Sprintf(`{"identity": "%s@example.com", "password": "password-of-%s"}`, name, name), 200, &auth)
		w.tokens[name] = auth.Token
	}
	for key, d := range map[string][3]string{"d1": {"published", "red", "alice"}, "d2": {"draft", "red", "bob"}, "d3": {"draft", "blue", "carol"}, "d4": {"published", "blue", "carol"}} {
		var rec struct{ ID string }
		w.MustJSON("POST", "/api/collections/docs/records", "", fmt.Sprintf(`{"title": %q, "secret": "secret-%s", "status": %q, "team": %q, "owner": %q}`, key, key, d[0], d[1], w.users[d[2]]), 200, &rec)
		w.docs[key] = rec.ID
	}
	for key, doc := range map[string]string{"n1": "d1", "n2": "d2"} {
		w.MustJSON("POST", "/api/collections/notes/records", "", fmt.Sprintf(`{"text": %q, "doc": %q}`, key, w.docs[doc]), 200, nil)
	}
	return w
}

// titles lists the docs a caller gets, and every field key seen on them.
func (w *accessWorld) list(tb testing.TB, who, query string) (titles []string, fields []string, total int) {
	tb.Helper()
	var page struct {
		TotalItems int
		Items      []map[string]any
	}
	w.MustJSON("GET", "/api/collections/docs/records?sort=title"+query, w.tokens[who], "", 200, &page)
	seen := map[string]bool{}
	for _, it := range page.Items {
		titles = append(titles, it["title"].(string))
		for k := range it {
			seen[k] = true
		}
	}
	for k := range seen {
		fields = append(fields, k)
	}
	sort.Strings(fields)
	return titles, fields, page.TotalItems
}

func TestAccessMatrixRead(t *testing.T) {
	t.Parallel()
	w := MustAccessWorld(t)
	base := "collectionId collectionName id status title"
	cases := []struct {
		who, titles, fields string
	}{
		{"guest", "d1 d4", base},
		{"carol", "d1 d3 d4", base + " owner team"},
		{"alice", "d1 d2 d3 d4", base + " owner team"},
		{"bob", "d1 d2 d4", base + " created owner secret team updated"},
	}
	for _, c := range cases {
		titles, fields, total := w.list(t, c.who, "")
		if strings.Join(titles, " ") != c.titles || total != len(titles) {
			t.Errorf("%s lists %v (total %d), want %s", c.who, titles, total, c.titles)
		}
		if got := strings.Join(sortedFields(fields), " "); got != sortedWords(c.fields) {
			t.Errorf("%s sees fields %q, want %q", c.who, got, sortedWords(c.fields))
		}
		// View answers exactly for the listed records.
		for key, id := range w.docs {
			status, _ := w.Do("GET", "/api/collections/docs/records/"+id, w.tokens[c.who], "")
			want := 404
			if strings.Contains(" "+c.titles+" ", " "+key+" ") {
				want = 200
			}
			if status != want {
				t.Errorf("%s views %s: %d, want %d", c.who, key, status, want)
			}
		}
	}
	q := url.QueryEscape
	w.Run(t, []scenario{
		{Name: "guest filters on a hidden field", Method: "GET", URL: "/api/collections/docs/records?filter=" + q("secret = 'secret-d2'"), Token: "-", ExpectedStatus: 400},
		{Name: "guest sorts on a hidden field", Method: "GET", URL: "/api/collections/docs/records?sort=secret", Token: "-", ExpectedStatus: 400},
		{Name: "guest picks a hidden field", Method: "GET", URL: "/api/collections/docs/records?fields=secret", Token: "-", ExpectedStatus: 400},
		{Name: "carol filters on a hidden field", Method: "GET", URL: "/api/collections/docs/records?filter=" + q("secret ~ 'd'"), Token: w.tokens["carol"], ExpectedStatus: 400},
		{Name: "bob may filter on it", Method: "GET", URL: "/api/collections/docs/records?filter=" + q("secret = 'secret-d2'"), Token: w.tokens["bob"], ExpectedStatus: 200,
			ExpectedContent: []string{`"totalItems":1`}},
		{Name: "bob's filter cannot reach beyond his scope", Method: "GET", URL: "/api/collections/docs/records?filter=" + q("secret = 'secret-d3'"), Token: w.tokens["bob"], ExpectedStatus: 200,
			ExpectedContent: []string{`"totalItems":0`}},
		{Name: "expand omits what the guest cannot view", Method: "GET", URL: "/api/collections/notes/records?sort=text&expand=doc", Token: "-", ExpectedStatus: 200,
			ExpectedContent: []string{`"title":"d1"`}, NotExpected: []string{`"title":"d2"`, "secret"}},
		{Name: "back-relation expand is scoped too", Method: "GET", URL: "/api/collections/members/records/" + w.users["alice"] + "?expand=docs_via_owner", ExpectedStatus: 200},
		{Name: "guest cannot list members", Method: "GET", URL: "/api/collections/members/records", Token: "-", ExpectedStatus: 403},
	})
}

func TestAccessMatrixWrite(t *testing.T) {
	t.Parallel()
	w := MustAccessWorld(t)
	doc := func(team, owner string) string {
		return fmt.Sprintf(`{"title": "new", "team": %q, "owner": %q, "status": "draft"}`, team, w.users[owner])
	}
	w.Run(t, []scenario{
		{Name: "guest cannot create", Method: "POST", URL: "/api/collections/docs/records", Token: "-", Body: doc("blue", "carol"), ExpectedStatus: 403},
		{Name: "carol creates her own", Method: "POST", URL: "/api/collections/docs/records", Token: w.tokens["carol"], Body: doc("blue", "carol"), ExpectedStatus: 200,
			NotExpected: []string{"secret"}},
		{Name: "carol cannot create for alice", Method: "POST", URL: "/api/collections/docs/records", Token: w.tokens["carol"], Body: doc("blue", "alice"), ExpectedStatus: 400},
		{Name: "bob creates for the red team", Method: "POST", URL: "/api/collections/docs/records", Token: w.tokens["bob"], Body: doc("red", "alice"), ExpectedStatus: 200},
		{Name: "bob cannot create blue for alice", Method: "POST", URL: "/api/collections/docs/records", Token: w.tokens["bob"], Body: doc("blue", "alice"), ExpectedStatus: 400},
		{Name: "carol cannot update", Method: "PATCH", URL: "/api/collections/docs/records/" + w.docs["d3"], Token: w.tokens["carol"], Body: `{"title": "x"}`, ExpectedStatus: 403},
		{Name: "bob updates red", Method: "PATCH", URL: "/api/collections/docs/records/" + w.docs["d1"], Token: w.tokens["bob"], Body: `{"title": "d1 edited"}`, ExpectedStatus: 200},
		{Name: "bob cannot see blue to update", Method: "PATCH", URL: "/api/collections/docs/records/" + w.docs["d3"], Token: w.tokens["bob"], Body: `{"title": "x"}`, ExpectedStatus: 404},
		{Name: "bob cannot move red out of his scope", Method: "PATCH", URL: "/api/collections/docs/records/" + w.docs["d2"], Token: w.tokens["bob"], Body: `{"team": "blue"}`, ExpectedStatus: 403},
		{Name: "bob cannot delete blue", Method: "DELETE", URL: "/api/collections/docs/records/" + w.docs["d4"], Token: w.tokens["bob"], ExpectedStatus: 404},
		{Name: "guest batch is refused per request", Method: "POST", URL: "/api/batch", Token: "-",
			Body: `{"requests": [{"method": "POST", "url": "/api/collections/docs/records", "body": {"title": "x"}}]}`, ExpectedStatus: 400,
			ExpectedContent: []string{`"status":403`}},
		{Name: "a batch runs each request as its caller", Method: "POST", URL: "/api/batch", Token: w.tokens["bob"],
			Body:           fmt.Sprintf(`{"requests": [{"method": "PATCH", "url": "/api/collections/docs/records/%s", "body": {"title": "ok"}}, {"method": "DELETE", "url": "/api/collections/docs/records/%s"}]}`, w.docs["d2"], w.docs["d3"]),
			ExpectedStatus: 400, ExpectedContent: []string{`"requests":{"1":`, `"status":404`}},
		{Name: "bob deletes red", Method: "DELETE", URL: "/api/collections/docs/records/" + w.docs["d2"], Token: w.tokens["bob"], ExpectedStatus: 204},
	})
	// The refused change and the rolled back batch left d2's team alone
	// before its deletion, and d3 exists.
	var d3 map[string]any
	w.MustJSON("GET", "/api/collections/docs/records/"+w.docs["d3"], "", "", 200, &d3)
	if d3["title"] != "d3" {
		t.Fatalf("d3 after refused writes: %v", d3)
	}
}

func TestExplain(t *testing.T) {
	t.Parallel()
	w := MustAccessWorld(t)
	var ex struct {
		Allowed         bool
		MatchedPolicies []struct{ Subject, Condition string }
		SQLCondition    string
		ReadableFields  []string
		Record          *struct{ Allowed bool }
	}
	w.MustJSON("POST", "/api/rbac/explain", "", `{"collection": "docs", "action": "list"}`, 200, &ex)
	if !ex.Allowed || len(ex.MatchedPolicies) != 1 || ex.MatchedPolicies[0].Subject != "guest" || !strings.Contains(ex.SQLCondition, "status") {
		t.Fatalf("guest list: %+v", ex)
	}
	w.MustJSON("POST", "/api/rbac/explain", "", fmt.Sprintf(`{"user": {"collection": "members", "id": %q}, "collection": "docs", "action": "update", "recordId": %q}`, w.users["carol"], w.docs["d3"]), 200, &ex)
	if ex.Allowed || len(ex.MatchedPolicies) != 0 {
		t.Fatalf("carol update: %+v", ex)
	}
	w.MustJSON("POST", "/api/rbac/explain", "", fmt.Sprintf(`{"user": {"collection": "members", "id": %q}, "collection": "docs", "action": "update", "recordId": %q}`, w.users["bob"], w.docs["d1"]), 200, &ex)
	if !ex.Allowed || ex.Record == nil || !ex.Record.Allowed || !strings.Contains(ex.SQLCondition, "team") {
		t.Fatalf("bob update d1: %+v", ex)
	}
	w.MustJSON("POST", "/api/rbac/explain", "", `{"subject": "viewer", "collection": "docs", "action": "view"}`, 200, &ex)
	if !ex.Allowed || strings.Join(ex.ReadableFields, ",") != "id,title,status,team,owner" {
		t.Fatalf("viewer view: %+v", ex)
	}
	w.Run(t, []scenario{
		{Name: "explain needs a superuser", Method: "POST", URL: "/api/rbac/explain", Token: w.tokens["bob"], Body: `{"collection": "docs", "action": "list"}`, ExpectedStatus: 403},
		{Name: "users cannot edit policies", Method: "PUT", URL: "/api/rbac/collections/docs/policies", Token: w.tokens["bob"], Body: `{"items": []}`, ExpectedStatus: 403},
		{Name: "users cannot assign roles", Method: "POST", URL: "/api/rbac/assignments", Token: w.tokens["carol"],
			Body: fmt.Sprintf(`{"collection": "members", "id": %q, "role": "editor"}`, w.users["carol"]), ExpectedStatus: 403},
		{Name: "a malformed condition is refused when saved", Method: "PUT", URL: "/api/rbac/collections/docs/policies",
			Body: `{"items": [{"subject": "guest", "action": "list", "condition": "title = "}]}`, ExpectedStatus: 400,
			ExpectedContent: []string{`"items":{"0":{"condition":{"code":"validation_invalid_policy","message":"Invalid filter at position`}},
		{Name: "a condition on an unknown field is refused", Method: "PUT", URL: "/api/rbac/collections/docs/policies",
			Body: `{"items": [{"subject": "guest", "action": "list"}, {"subject": "guest", "action": "view", "condition": "nope = 1"}]}`, ExpectedStatus: 400,
			ExpectedContent: []string{`"items":{"1":{"condition"`}, NotExpected: []string{`"0":`}},
		{Name: "an unknown policy field is refused", Method: "PUT", URL: "/api/rbac/collections/docs/policies",
			Body: `{"items": [{"subject": "guest", "action": "list", "fields": ["nope"]}]}`, ExpectedStatus: 400, ExpectedContent: []string{`"items":{"0":{"fields"`}},
		{Name: "an unknown role is named with its item, beside other problems", Method: "PUT", URL: "/api/rbac/collections/docs/policies",
			Body: `{"items": [{"subject": "nobody", "action": "list"}, {"subject": "guest", "action": "list", "condition": "title ="}]}`, ExpectedStatus: 400,
			ExpectedContent: []string{`"0":{"subject":{"code":"validation_invalid_policy","message":"Unknown role \"nobody\"."}}`, `"1":{"condition"`}},
		{Name: "explain for guest is a guest's answer", Method: "POST", URL: "/api/rbac/explain",
			Body: `{"subject": "guest", "collection": "docs", "action": "create"}`, ExpectedStatus: 200,
			ExpectedContent: []string{`"allowed":false`, `"subject":"guest"`, `"roles":["guest"]`, `"conditions":[]`, `"readableFields":[]`, `"sqlArgs":[]`}},
		{Name: "an unknown role cannot be assigned", Method: "POST", URL: "/api/rbac/assignments",
			Body: fmt.Sprintf(`{"collection": "members", "id": %q, "role": "nope"}`, w.users["carol"]), ExpectedStatus: 400},
		{Name: "a malformed rule is refused", Method: "PATCH", URL: "/api/collections/notes", Body: `{"listRule": "text ="}`, ExpectedStatus: 400,
			ExpectedContent: []string{`"listRule"`}},
		{Name: "rules read back from the guest policies", Method: "GET", URL: "/api/collections/docs", ExpectedStatus: 200,
			ExpectedContent: []string{`"listRule":"status = 'published'"`, `"createRule":null`}},
	})
}

func sortedFields(fields []string) []string {
	out := append([]string(nil), fields...)
	sort.Strings(out)
	return out
}

func sortedWords(s string) string {
	w := strings.Fields(s)
	sort.Strings(w)
	return strings.Join(w, " ")
}

// TestDeletedUserKeepsNoRoles: a new record given a deleted user's id does
// not inherit its roles.
func TestDeletedUserKeepsNoRoles(t *testing.T) {
	t.Parallel()
	w := MustAccessWorld(t)
	id := w.users["bob"]
	w.MustJSON("DELETE", "/api/collections/members/records/"+id, "", "", 204, nil)
	var as struct{ Items []any }
	w.MustJSON("GET", "/api/rbac/assignments?subject="+url.QueryEscape(w.tokensKey(t, id)), "", "", 200, &as)
	if len(as.Items) != 0 {
		t.Fatalf("assignments of a deleted user: %v", as.Items)
	}
	w.MustJSON("POST", "/api/collections/members/records", "", fmt.Sprintf(`{"id": %q, "email": "new@example.com", "password": "a new password"}`, id), 200, nil)
	var auth struct{ Token string }
	w.MustJSON("POST", "/api/collections/members/auth-with-password", "-", `{"identity": "new@example.com", "password": "a new password"}`, 200, &auth)
	titles, _, _ := w.list(t, "guest", "")
	w.tokens["newcomer"] = auth.Token
	got, _, _ := w.list(t, "newcomer", "")
	if strings.Join(got, " ") != strings.Join(titles, " ") {
		t.Fatalf("a record reusing an editor's id lists %v, want what any user sees: %v", got, titles)
	}
}

// tokensKey returns the rbac subject key of a members record.
func (w *accessWorld) tokensKey(t *testing.T, id string) string {
	t.Helper()
	var col struct{ ID string }
	w.MustJSON("GET", "/api/collections/members", "", "", 200, &col)
	return col.ID + ":" + id
}

// TestSelfServiceLimits: a user allowed to update its own record still
// cannot verify itself, set its token key, or change its password without
// the old one; a password change ends its old sessions.
func TestSelfServiceLimits(t *testing.T) {
	t.Parallel()
	w := MustAccessWorld(t)
	w.MustJSON("PUT", "/api/rbac/collections/members/policies", "", `{"items": [
		{"subject": "authenticated", "action": "update", "condition": "id = @request.auth.id"},
		{"subject": "authenticated", "action": "view", "condition": "id = @request.auth.id"}]}`, 200, nil)
	me := "/api/collections/members/records/" + w.users["carol"]
	carol := w.tokens["carol"]
	w.Run(t, []scenario{
		{Name: "cannot verify itself", Method: "PATCH", URL: me, Token: carol, Body: `{"verified": true}`, ExpectedStatus: 403},
		{Name: "cannot update another member", Method: "PATCH", URL: "/api/collections/members/records/" + w.users["alice"], Token: carol, Body: `{"name": "x"}`, ExpectedStatus: 404},
		{Name: "needs the old password", Method: "PATCH", URL: me, Token: carol, Body: `{"password": "a brand new password"}`, ExpectedStatus: 400,
			ExpectedContent: []string{`"oldPassword":{"code":"validation_invalid_old_password"`}},
		{Name: "a wrong old password", Method: "PATCH", URL: me, Token: carol, Body: `{"password": "a brand new password", "oldPassword": "nope"}`, ExpectedStatus: 400},
		{Name: "the token key is the server's", Method: "PATCH", URL: me, Token: carol, Body: `{"tokenKey": "mine", "name": "Carol"}`, ExpectedStatus: 200,
			NotExpected: []string{"tokenKey"}},
		{Name: "still signed in", Method: "GET", URL: me, Token: carol, ExpectedStatus: 200},
		{Name: "changes its password", Method: "PATCH", URL: me, Token: carol, Body: `{"password": "a brand new password", "oldPassword": "password-of-carol"}`, ExpectedStatus: 200},
		{Name: "old session is over", Method: "GET", URL: me, Token: carol, ExpectedStatus: 401},
		{Name: "new password works", Method: "POST", URL: "/api/collections/members/auth-with-password", Token: "-",
			Body: `{"identity": "carol@example.com", "password": "a brand new password"}`, ExpectedStatus: 200},
	})
}

// TestEmailsStayPrivate: other users' emails are left out of records unless
// they made them visible; owners and superusers see them.
func TestEmailsStayPrivate(t *testing.T) {
	t.Parallel()
	w := MustAccessWorld(t)
	w.MustJSON("PUT", "/api/rbac/collections/members/policies", "", `{"items": [{"subject": "authenticated", "action": "list"}, {"subject": "authenticated", "action": "view"}]}`, 200, nil)
	w.MustJSON("PATCH", "/api/collections/members/records/"+w.users["alice"], "", `{"emailVisibility": true}`, 200, nil)
	w.Run(t, []scenario{
		{Name: "others' emails are hidden", Method: "GET", URL: "/api/collections/members/records?sort=name", Token: w.tokens["carol"], ExpectedStatus: 200,
			ExpectedContent: []string{`"email":"carol@example.com"`, `"email":"alice@example.com"`}, NotExpected: []string{"bob@example.com"}},
		{Name: "in a view too", Method: "GET", URL: "/api/collections/members/records/" + w.users["bob"], Token: w.tokens["carol"], ExpectedStatus: 200,
			NotExpected: []string{"bob@example.com"}},
		{Name: "and through expand", Method: "GET", URL: "/api/collections/docs/records/" + w.docs["d2"] + "?expand=owner", Token: w.tokens["bob"], ExpectedStatus: 200,
			ExpectedContent: []string{"bob@example.com"}},
		{Name: "hidden in another's expand", Method: "GET", URL: "/api/collections/docs/records/" + w.docs["d2"] + "?expand=owner", Token: w.tokens["alice"], ExpectedStatus: 200,
			ExpectedContent: []string{`"owner":{`}, NotExpected: []string{"bob@example.com"}},
		{Name: "superusers see every email", Method: "GET", URL: "/api/collections/members/records", ExpectedStatus: 200,
			ExpectedContent: []string{"bob@example.com", "carol@example.com"}},
	})
}

// TestExplainEveryCell: for every caller and action on docs, explain names
// exactly the policies that grant it (none when denied), and its answer
// agrees with what the records API does.
func TestExplainEveryCell(t *testing.T) {
	t.Parallel()
	w := MustAccessWorld(t)
	want := map[string]map[string]string{
		"guest": {"list": "guest", "view": "guest", "create": "", "update": "", "delete": ""},
		"carol": {"list": "authenticated guest", "view": "authenticated guest", "create": "authenticated", "update": "", "delete": ""},
		"alice": {"list": "authenticated guest viewer", "view": "authenticated guest viewer", "create": "authenticated", "update": "", "delete": ""},
		"bob":   {"list": "authenticated editor guest", "view": "authenticated editor guest", "create": "authenticated editor", "update": "editor", "delete": "editor"},
	}
	for who, actions := range want {
		for action, subjects := range actions {
			body := fmt.Sprintf(`{"collection": "docs", "action": %q}`, action)
			if who != "guest" {
				body = fmt.Sprintf(`{"user": {"collection": "members", "id": %q}, "collection": "docs", "action": %q}`, w.users[who], action)
			}
			var ex struct {
				Allowed         bool
				MatchedPolicies []struct{ Subject string }
			}
			w.MustJSON("POST", "/api/rbac/explain", "", body, 200, &ex)
			var got []string
			for _, p := range ex.MatchedPolicies {
				got = append(got, p.Subject)
			}
			sort.Strings(got)
			if strings.Join(got, " ") != subjects || ex.Allowed != (subjects != "") {
				t.Errorf("%s %s: explain allowed=%t by %v, want by %q", who, action, ex.Allowed, got, subjects)
			}
			// The records API agrees: a denied action is 403 before any record is looked at.
			req := map[string][2]string{
				"list": {"GET", "/api/collections/docs/records"}, "view": {"GET", "/api/collections/docs/records/" + w.docs["d1"]},
				"create": {"POST", "/api/collections/docs/records"}, "update": {"PATCH", "/api/collections/docs/records/" + w.docs["d1"]},
				"delete": {"DELETE", "/api/collections/docs/records/nosuchrecord00"},
			}[action]
			method, url := req[0], req[1]
			status, _ := w.Do(method, url, w.tokens[who], `{"title": "probe", "status": "draft", "team": "red"}`)
			if denied := status == 403; denied != !ex.Allowed && !(ex.Allowed && action == "create") {
				t.Errorf("%s %s: API answered %d, explain says allowed=%t", who, action, status, ex.Allowed)
			}
		}
	}
}

// TestFilterSeesRequestAuth: a caller's own filter may use @request.auth.*
// whether or not its access has a condition (alice's viewer role has none;
// carol has the guest's and the authenticated role's conditions).
func TestFilterSeesRequestAuth(t *testing.T) {
	t.Parallel()
	w := MustAccessWorld(t)
	for who, want := range map[string]string{"alice": "d1 d2 d3 d4", "carol": "d1 d3 d4", "guest": ""} {
		titles, _, total := w.list(t, who, "&filter="+url.QueryEscape(`@request.auth.name = "`+who+`"`))
		if got := strings.Join(titles, " "); got != want || total != len(titles) {
			t.Errorf("%s: got %q (total %d), want %q", who, got, total, want)
		}
	}
}
