package server_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/fasthttp/websocket"

	"github.com/lumbunghq/lumbung/server"
	"github.com/lumbunghq/lumbung/server/localpg/pgtest"
)

// startNode runs a server on dsn until the test ends and returns its URL.
// opts adjust its configuration.
func startNode(t *testing.T, dsn string, opts ...func(*server.Config)) string {
	t.Helper()
	cfg := server.Config{DatabaseURL: dsn, HTTPAddr: "127.0.0.1:0", PasswordCost: 4,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	for _, o := range opts {
		o(&cfg)
	}
	srv, err := server.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	addr := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx, func(a string) { addr <- a }) }()
	select {
	case a := <-addr:
		t.Cleanup(func() {
			stop()
			<-done
			srv.Close(context.Background())
		})
		return "http://" + a
	case err := <-done:
		stop()
		srv.Close(context.Background())
		t.Fatalf("run: %v", err)
	}
	return ""
}

// mustAdminDB returns the DSN of a new database with the superuser
// admin@example.com (password "long enough password").
func mustAdminDB(tb testing.TB) string {
	tb.Helper()
	dsn := pgtest.NewDB(tb)
	if _, err := server.UpsertSuperuser(context.Background(), server.Config{DatabaseURL: dsn, PasswordCost: 4,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}, "admin@example.com", "long enough password"); err != nil {
		tb.Fatal(err)
	}
	return dsn
}

// startNodes runs two servers on one new database with the superuser
// admin@example.com and returns their URLs; opts adjust the second.
func startNodes(t *testing.T, opts ...func(*server.Config)) (a, b string) {
	t.Helper()
	dsn := mustAdminDB(t)
	return startNode(t, dsn), startNode(t, dsn, opts...)
}

// TestPolicyChangeReachesOtherNode: two nodes on one database behave as one
// server: a collection created and a policy changed through node A are
// seen by node B without a restart (its watcher reloads on the
// notification).
func TestPolicyChangeReachesOtherNode(t *testing.T) {
	a, b := startNodes(t)
	token := signIn(t, a)
	call(t, a, token, "POST", "/api/collections", `{"name": "news", "fields": [{"name": "title", "type": "text"}]}`)
	call(t, a, token, "POST", "/api/collections/news/records", `{"title": "hello"}`)

	// Node B learns about the new collection (404 before, 403 after).
	waitStatus(t, b, "/api/collections/news/records", 403)
	call(t, a, token, "PUT", "/api/rbac/collections/news/policies", `{"items": [{"subject": "guest", "action": "list"}]}`)
	waitStatus(t, b, "/api/collections/news/records", 200)
	call(t, a, token, "PUT", "/api/rbac/collections/news/policies", `{"items": []}`)
	waitStatus(t, b, "/api/collections/news/records", 403)
}

// waitStatus polls a guest request until it answers status. The deadline
// only guards against a hang; how fast it happens is not asserted.
func waitStatus(t *testing.T, base, path string, status int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		got, body, err := request(base, "", "GET", path, "")
		if err == nil && got == status {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET %s on the other node: %d %s %v, want %d", path, got, body, err, status)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestRealtimeAcrossNodes: a write through node A reaches a WebSocket
// subscriber on node B (the change is captured in the database and each
// node's tailer reads it).
func TestRealtimeAcrossNodes(t *testing.T) {
	a, b := startNodes(t)
	token := signIn(t, a)
	call(t, a, token, "POST", "/api/collections", `{"name": "feed", "fields": [{"name": "text", "type": "text"}]}`)
	waitStatus(t, b, "/api/collections/feed/records", 403) // node B knows the collection

	conn, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(b, "http")+"/api/realtime", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	send := func(v string) {
		if err := conn.WriteMessage(websocket.TextMessage, []byte(v)); err != nil {
			t.Fatal(err)
		}
	}
	// read returns the next message of the given type, skipping others.
	read := func(typ string) map[string]any {
		t.Helper()
		conn.SetReadDeadline(time.Now().Add(30 * time.Second)) //nolint:errcheck // a hang guard, not a timing assertion
		for {
			_, b, err := conn.ReadMessage()
			if err != nil {
				t.Fatalf("waiting for %s: %v", typ, err)
			}
			var m map[string]any
			if err := json.Unmarshal(b, &m); err != nil {
				t.Fatal(err)
			}
			if m["type"] == typ {
				return m
			}
		}
	}
	read("connected")
	send(`{"type": "auth", "id": "a1", "token": "` + token + `"}`)
	send(`{"type": "subscribe", "id": "s1", "topic": "feed/*"}`)
	// Changes committed before the subscription's ack are not delivered.
	for read("ack")["id"] != "s1" {
	}
	call(t, a, token, "POST", "/api/collections/feed/records", `{"text": "from node A"}`)
	ev := read("event")
	rec, _ := ev["record"].(map[string]any)
	if ev["action"] != "create" || rec["text"] != "from node A" {
		t.Fatalf("event on node B: %v", ev)
	}
}

// TestListTotalsAcrossNodes: node A keeps the total of a list between
// requests, and a record created through node B is counted by the very
// next list on A, before A has read the change from the log: A's kept
// total must never hide a committed write. Each round also lists a
// collection nobody writes to, whose total stays kept throughout.
func TestListTotalsAcrossNodes(t *testing.T) {
	a, b := startNodes(t)
	token := signIn(t, a)
	call(t, a, token, "POST", "/api/collections", `{"name": "notes", "fields": [{"name": "title", "type": "text"}]}`)
	call(t, a, token, "POST", "/api/collections", `{"name": "quiet", "fields": [{"name": "title", "type": "text"}]}`)
	call(t, a, token, "POST", "/api/collections/quiet/records", `{"title": "only"}`)
	waitStatus(t, b, "/api/collections/notes/records", 403) // B knows the collection

	total := func(base, collection string) int {
		t.Helper()
		var page struct{ TotalItems int }
		if err := json.Unmarshal([]byte(call(t, base, token, "GET", "/api/collections/"+collection+"/records?perPage=1", "")), &page); err != nil {
			t.Fatal(err)
		}
		return page.TotalItems
	}
	for i := range 40 {
		if got := total(a, "notes"); got != i {
			t.Fatalf("round %d: total on A before the write = %d, want %d", i, got, i)
		}
		if got := total(a, "quiet"); got != 1 {
			t.Fatalf("round %d: total of the quiet collection = %d, want 1", i, got)
		}
		call(t, b, token, "POST", "/api/collections/notes/records", `{"title": "from B"}`)
		if got := total(a, "notes"); got != i+1 {
			t.Fatalf("round %d: total on A right after B's write = %d, want %d", i, got, i+1)
		}
	}
}

// TestSignInThrottleAcrossNodes: failed passwords count on every node, so
// a guesser spreading attempts over two nodes is stopped as on one.
func TestSignInThrottleAcrossNodes(t *testing.T) {
	a, b := startNodes(t)
	token := signIn(t, a)
	call(t, a, token, "POST", "/api/collections/users/records", `{"email": "ada@example.com", "password": "ada password", "passwordConfirm": "ada password"}`)
	attempt := func(base, password string) int {
		status, _, err := request(base, "", "POST", "/api/collections/users/auth-with-password", `{"identity": "ada@example.com", "password": "`+password+`"}`)
		if err != nil {
			t.Fatal(err)
		}
		return status
	}
	for i := range 5 { // the default limit: 5 failures in 15 minutes
		node := []string{a, b}[i%2]
		if status := attempt(node, "wrong"); status != 400 {
			t.Fatalf("failure %d: status %d", i+1, status)
		}
	}
	for _, node := range []string{a, b} {
		if status := attempt(node, "ada password"); status != 429 {
			t.Fatalf("right password after 5 failures over two nodes: status %d, want 429", status)
		}
	}
}

// TestSettingsReachOtherNode: settings saved through node A are used by
// node B once A's notification arrives. B's clock stands still, so its
// copy of the settings never expires by age: only the notification can
// refresh it.
func TestSettingsReachOtherNode(t *testing.T) {
	frozen := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	a, b := startNodes(t, func(c *server.Config) { c.Clock = func() time.Time { return frozen } })
	token := signIn(t, a)
	// B's watcher is listening once B sees a collection created on A.
	call(t, a, token, "POST", "/api/collections", `{"name": "marker"}`)
	waitStatus(t, b, "/api/collections/marker/records", 403)
	appName := func(base string) string {
		var st struct{ Meta struct{ AppName string } }
		if err := json.Unmarshal([]byte(call(t, base, token, "GET", "/api/settings", "")), &st); err != nil {
			t.Fatal(err)
		}
		return st.Meta.AppName
	}
	if got := appName(b); got != "Lumbung" {
		t.Fatalf("B's app name before: %q", got)
	}
	call(t, a, token, "PATCH", "/api/settings", `{"meta": {"appName": "Renamed"}}`)
	deadline := time.Now().Add(30 * time.Second) // a hang guard, not a speed limit
	for appName(b) != "Renamed" {
		if time.Now().After(deadline) {
			t.Fatal("node B never saw the new settings")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestLogoutReachesOtherNode: a token used on node B stops working there
// once the user's token key is changed through node A. B's clock stands
// still, so its token cache never expires by age: only the change log can
// tell B.
func TestLogoutReachesOtherNode(t *testing.T) {
	frozen := time.Now()
	a, b := startNodes(t, func(c *server.Config) { c.Clock = func() time.Time { return frozen } })
	admin := signIn(t, a)
	var user struct{ ID string }
	if err := json.Unmarshal([]byte(call(t, a, admin, "POST", "/api/collections/users/records",
		`{"email": "ada@example.com", "password": "ada password", "passwordConfirm": "ada password"}`)), &user); err != nil {
		t.Fatal(err)
	}
	var auth struct{ Token string }
	if err := json.Unmarshal([]byte(call(t, b, "", "POST", "/api/collections/users/auth-with-password",
		`{"identity": "ada@example.com", "password": "ada password"}`)), &auth); err != nil {
		t.Fatal(err)
	}
	call(t, b, auth.Token, "GET", "/api/collections/users/records/"+user.ID, "") // cached on B now
	// A new password rotates the token key: every earlier token is dead.
	call(t, a, admin, "PATCH", "/api/collections/users/records/"+user.ID, `{"password": "new password!", "passwordConfirm": "new password!"}`)
	deadline := time.Now().Add(30 * time.Second) // a hang guard, not a speed limit
	for {
		status, _, err := request(b, auth.Token, "GET", "/api/collections/users/records/"+user.ID, "")
		if err == nil && status == 401 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("B still accepts the old token: %d %v", status, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
