package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/lumbunghq/lumbung/collections"
	"github.com/lumbunghq/lumbung/plugins"
	"github.com/lumbunghq/lumbung/plugins/jsvm"
	"github.com/lumbunghq/lumbung/server"
	"github.com/lumbunghq/lumbung/server/localpg/pgtest"
)

// auditItem is an entry of GET /api/audit.
type auditItem struct {
	ID             string
	Actor          string
	RequestID      string
	IP             string
	CollectionName string
	RecordID       string
	Action         string
	Diff           map[string]struct{ Old, New json.RawMessage }
	Data           map[string]any
}

type auditPage struct {
	TotalItems int
	Items      []auditItem
}

// sendWithID makes a request that must answer 200 (or 204) and returns its body and
// the request id it was answered with.
func sendWithID(t *testing.T, base, token, method, path, body string) (string, string) {
	t.Helper()
	req, err := http.NewRequest(method, base+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", token)
	res, err := testClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 && res.StatusCode != 204 {
		t.Fatalf("%s %s: %d %s", method, path, res.StatusCode, b)
	}
	return string(b), res.Header.Get("X-Request-Id")
}

// waitAudit reads the audit on base until the filter selects n entries.
func waitAudit(t *testing.T, base, token, filter string, n int) auditPage {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second) // a hang guard, not a speed limit
	for {
		var page auditPage
		mustDecode(t, call(t, base, token, "GET", "/api/audit?perPage=100&sort=created&filter="+url.QueryEscape(filter), ""), &page)
		if page.TotalItems >= n {
			if page.TotalItems > n {
				t.Fatalf("%d entries for %s, want %d: %+v", page.TotalItems, filter, n, page.Items)
			}
			return page
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d entries for %s, want %d", page.TotalItems, filter, n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// mustAda creates the user ada@example.com through base and signs her
// in: her actor's name, her id and her token.
func mustAda(t *testing.T, base, admin string) (actor, id string, auth struct{ Token string }) {
	t.Helper()
	var users, ada struct{ ID string }
	mustDecode(t, call(t, base, admin, "GET", "/api/collections/users", ""), &users)
	mustDecode(t, call(t, base, admin, "POST", "/api/collections/users/records",
		`{"email": "ada@example.com", "password": "ada password", "passwordConfirm": "ada password"}`), &ada)
	mustDecode(t, call(t, base, "", "POST", "/api/collections/users/auth-with-password",
		`{"identity": "ada@example.com", "password": "ada password"}`), &auth)
	return "user:" + users.ID + ":" + ada.ID, ada.ID, auth
}

// TestAuditOfWrites: on two nodes of one database, the writes of a user
// through REST and a batch, a superuser's and plain SQL's are audited
// once each, with the actor, the X-Request-Id the answer carried and the
// client's address; passwords are masked; a record's history lists its
// versions; the audit is for superusers and keeps what its retention says.
func TestAuditOfWrites(t *testing.T) {
	dsn := mustAdminDB(t)
	a, b := startNode(t, dsn), startNode(t, dsn)
	admin := signIn(t, a)
	call(t, a, admin, "POST", "/api/collections", `{"name": "posts", "fields": [{"name": "title", "type": "text"}],
		"listRule": "", "viewRule": "", "createRule": "", "updateRule": "", "deleteRule": ""}`)
	call(t, a, admin, "PATCH", "/api/settings", `{"batch": {"enabled": true}}`)
	waitStatus(t, b, "/api/collections/posts/records", 200) // B has heard of the new collection
	actor, ada, auth := mustAda(t, a, admin)

	body, createReq := sendWithID(t, a, auth.Token, "POST", "/api/collections/posts/records", `{"title": "first"}`)
	var post struct{ ID string }
	mustDecode(t, body, &post)
	_, updateReq := sendWithID(t, b, auth.Token, "PATCH", "/api/collections/posts/records/"+post.ID, `{"title": "second"}`)
	_, deleteReq := sendWithID(t, a, auth.Token, "DELETE", "/api/collections/posts/records/"+post.ID, "")
	body, batchReq := sendWithID(t, a, auth.Token, "POST", "/api/batch", `{"requests": [
		{"method": "POST", "url": "/api/collections/posts/records", "body": {"title": "b1"}},
		{"method": "POST", "url": "/api/collections/posts/records", "body": {"title": "b2"}}]}`)
	var batch []struct{ Body struct{ ID string } }
	mustDecode(t, body, &batch)
	conn, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(context.Background(), "UPDATE posts SET title = 'by sql' WHERE id = $1", batch[0].Body.ID); err != nil {
		t.Fatal(err)
	}
	_, pwReq := sendWithID(t, a, admin, "PATCH", "/api/collections/users/records/"+ada, `{"password": "new password!", "passwordConfirm": "new password!"}`)

	page := waitAudit(t, b, admin, `collectionName = "posts"`, 6)
	type row struct{ actor, req, action, id, title string }
	var got []string
	for _, e := range page.Items {
		title, _ := e.Data["title"].(string)
		got = append(got, fmt.Sprint(row{e.Actor, e.RequestID, e.Action, e.RecordID, title}))
		if e.Actor != "sql" && e.IP != "127.0.0.1" {
			t.Errorf("entry %s: ip %q", e.ID, e.IP)
		}
	}
	want := []string{
		fmt.Sprint(row{actor, createReq, "create", post.ID, "first"}),
		fmt.Sprint(row{actor, updateReq, "update", post.ID, "second"}),
		fmt.Sprint(row{actor, deleteReq, "delete", post.ID, "second"}),
		fmt.Sprint(row{actor, batchReq, "create", batch[0].Body.ID, "b1"}),
		fmt.Sprint(row{actor, batchReq, "create", batch[1].Body.ID, "b2"}),
		fmt.Sprint(row{"sql", "", "update", batch[0].Body.ID, "by sql"}),
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("entries:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if d := page.Items[1].Diff["title"]; string(d.Old) != `"first"` || string(d.New) != `"second"` {
		t.Errorf("update diff: %+v", page.Items[1].Diff)
	}

	// The password change: masked, by the superuser, with its request.
	pw := waitAudit(t, a, admin, fmt.Sprintf(`collectionName = "users" && action = "update" && requestId = %q`, pwReq), 1).Items[0]
	if p := pw.Diff["password"]; string(p.Old) != `"***"` || string(p.New) != `"***"` || !strings.HasPrefix(pw.Actor, "superuser:") {
		t.Errorf("password change: %+v", pw)
	}
	if v := pw.Data["tokenKey"]; v != "***" {
		t.Errorf("tokenKey in the data: %v", v)
	}

	// One entry by id; a record's history, newest first.
	var one auditItem
	mustDecode(t, call(t, a, admin, "GET", "/api/audit/"+page.Items[0].ID, ""), &one)
	if one.RecordID != post.ID || one.Action != "create" {
		t.Errorf("GET /api/audit/%s: %+v", page.Items[0].ID, one)
	}
	var hist auditPage
	mustDecode(t, call(t, a, admin, "GET", "/api/collections/posts/records/"+batch[0].Body.ID+"/history", ""), &hist)
	if hist.TotalItems != 2 || hist.Items[0].Actor != "sql" || hist.Items[1].Action != "create" {
		t.Errorf("history: %+v", hist)
	}

	// For superusers only; a bad filter is a 400.
	mustDecode(t, call(t, a, "", "POST", "/api/collections/users/auth-with-password",
		`{"identity": "ada@example.com", "password": "new password!"}`), &auth)
	for _, c := range []struct {
		token, path string
		status      int
	}{
		{auth.Token, "/api/audit", 403},
		{"", "/api/audit", 401},
		{auth.Token, "/api/collections/posts/records/" + post.ID + "/history", 403},
		{admin, "/api/audit?filter=" + url.QueryEscape("nope = 1"), 400},
		{admin, "/api/audit/nope", 404},
		{admin, "/api/collections/nope/records/x/history", 404},
	} {
		if status, body, err := request(a, c.token, "GET", c.path, ""); err != nil || status != c.status {
			t.Errorf("GET %s: %d %s %v, want %d", c.path, status, body, err, c.status)
		}
	}

	// A retention of 0 days keeps nothing.
	call(t, a, admin, "PATCH", "/api/settings", `{"audit": {"retentionDays": 0}}`)
	var none auditPage
	mustDecode(t, call(t, a, admin, "GET", "/api/audit", ""), &none)
	if none.TotalItems != 0 {
		t.Errorf("retention 0: %d entries", none.TotalItems)
	}
}

// TestPluginWritesNamePlugin: a plugin's own writes (its records as the
// system) reach the change log as plugin:<id>; on behalf of a caller they
// stay that caller's.
func TestPluginWritesNamePlugin(t *testing.T) {
	dsn := pgtest.NewDB(t)
	var host plugins.Host
	p := probe{id: "acme", log: &[]string{}, mu: &sync.Mutex{}, register: func(h plugins.Host) error { host = h; return nil }}
	srv, err := server.New(context.Background(), server.Config{DatabaseURL: dsn, HTTPAddr: "127.0.0.1:0", PasswordCost: 4,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Plugins: []plugins.Plugin{p}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close(context.Background()) })
	users, _ := host.Collection("users")
	for i, caller := range []collections.Caller{collections.System, collections.Unrestricted{AuthRecord: map[string]any{"id": "su1"}}} {
		if _, err := host.Records(caller).Create(context.Background(), users, map[string]any{
			"email": fmt.Sprintf("p%d@example.com", i), "password": "long enough password", "passwordConfirm": "long enough password"}); err != nil {
			t.Fatal(err)
		}
	}
	conn, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	rows, err := conn.Query(context.Background(), "SELECT actor FROM _events ORDER BY seq")
	if err != nil {
		t.Fatal(err)
	}
	actors, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(actors, " "); got != "plugin:acme superuser:su1" {
		t.Errorf("actors %q", got)
	}
}

// TestAuditOfImpersonation: writes made with a token a superuser issued
// for a user (impersonation, PocketBase's API keys) are told apart from
// the user's own.
func TestAuditOfImpersonation(t *testing.T) {
	dsn := mustAdminDB(t)
	a := startNode(t, dsn)
	admin := signIn(t, a)
	call(t, a, admin, "POST", "/api/collections", `{"name": "notes", "fields": [{"name": "text", "type": "text"}], "createRule": ""}`)
	user, ada, own := mustAda(t, a, admin)
	var key struct{ Token string }
	mustDecode(t, call(t, a, admin, "POST", "/api/collections/users/impersonate/"+ada, `{"duration": 3600}`), &key)
	call(t, a, own.Token, "POST", "/api/collections/notes/records", `{"text": "by ada"}`)
	call(t, a, key.Token, "POST", "/api/collections/notes/records", `{"text": "by a key"}`)
	page := waitAudit(t, a, admin, `collectionName = "notes"`, 2)
	got := map[string]string{}
	for _, e := range page.Items {
		got[e.Data["text"].(string)] = e.Actor
	}
	if got["by ada"] != user || got["by a key"] != "impersonated:"+user {
		t.Fatalf("actors: %v", got)
	}
}

// TestAuditOfJSHookWrites: what a JS hook writes with $app is audited
// with the request that ran it: a record hook's (before or after the
// write it hooks) as that write's actor, a route's as the plugin.
func TestAuditOfJSHookWrites(t *testing.T) {
	dsn := mustAdminDB(t)
	hooks := t.TempDir()
	if err := os.WriteFile(filepath.Join(hooks, "main.pb.js"), []byte(`
onRecordCreate((e) => {
    const log = new Record($app.findCollectionByNameOrId("logs"))
    log.set("message", "before " + e.record.getString("title"))
    $app.save(log)
    e.next()
}, "posts")

onRecordAfterCreateSuccess((e) => {
    const log = new Record($app.findCollectionByNameOrId("logs"))
    log.set("message", "after " + e.record.getString("title"))
    $app.save(log)
    e.next()
}, "posts")

routerAdd("POST", "/api/note", (e) => {
    const log = new Record($app.findCollectionByNameOrId("logs"))
    log.set("message", "route")
    $app.save(log)
    return e.json(200, { id: log.id })
})
`), 0o644); err != nil {
		t.Fatal(err)
	}
	a := startNode(t, dsn, func(c *server.Config) {
		c.Plugins = []plugins.Plugin{&jsvm.Plugin{Config: jsvm.Config{Dir: hooks}}}
	})
	admin := signIn(t, a)
	call(t, a, admin, "POST", "/api/collections", `{"name": "posts", "fields": [{"name": "title", "type": "text"}], "createRule": ""}`)
	call(t, a, admin, "POST", "/api/collections", `{"name": "logs", "fields": [{"name": "message", "type": "text"}]}`)
	actor, _, auth := mustAda(t, a, admin)

	_, createReq := sendWithID(t, a, auth.Token, "POST", "/api/collections/posts/records", `{"title": "hello"}`)
	_, routeReq := sendWithID(t, a, auth.Token, "POST", "/api/note", "")

	page := waitAudit(t, a, admin, `collectionName = "logs"`, 3)
	type row struct{ actor, req, message string }
	var got []string
	for _, e := range page.Items {
		message, _ := e.Data["message"].(string)
		got = append(got, fmt.Sprint(row{e.Actor, e.RequestID, message}))
		if e.IP != "127.0.0.1" || e.Action != "create" {
			t.Errorf("entry %+v: want a create from 127.0.0.1", e)
		}
	}
	want := []string{
		fmt.Sprint(row{actor, createReq, "before hello"}),
		fmt.Sprint(row{actor, createReq, "after hello"}),
		fmt.Sprint(row{"plugin:jsvm", routeReq, "route"}),
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("entries:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
