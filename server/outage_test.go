package server_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/lumbunghq/lumbung/server"
	"github.com/lumbunghq/lumbung/server/localpg"
)

// TestDatabaseOutage: while PostgreSQL is down, two nodes answer every
// request that needs it with a 503 and Retry-After (never a 500), also
// for a token the node has not seen before; once it is back, they serve
// again and a policy changed through one node is applied by the other.
// The time each step took after the database came back is logged.
func TestDatabaseOutage(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir, pg := mustPrivatePostgres(t)
	if _, err := server.UpsertSuperuser(ctx, server.Config{DatabaseURL: pg.URL(), PasswordCost: 4,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}, "admin@example.com", "long enough password"); err != nil {
		t.Fatal(err)
	}
	a, b := startNode(t, pg.URL()), startNode(t, pg.URL())
	token := signIn(t, a)
	call(t, a, token, "POST", "/api/collections", `{"name": "posts", "listRule": "", "viewRule": "", "createRule": "",
		"fields": [{"name": "title", "type": "text"}]}`)
	var rec struct{ ID string }
	if err := json.Unmarshal([]byte(call(t, a, token, "POST", "/api/collections/posts/records", `{"title": "a"}`)), &rec); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, b, "/api/collections/posts/records", 200)

	if err := pg.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	requests := []struct{ method, path, body string }{
		{"GET", "/api/health", ""},
		{"GET", "/api/collections/posts/records", ""},
		{"GET", "/api/collections/posts/records?filter=title%3D'a'", ""},
		{"GET", "/api/collections/posts/records/" + rec.ID, ""},
		{"POST", "/api/collections/posts/records", `{"title": "b"}`},
		{"PATCH", "/api/collections/posts/records/" + rec.ID, `{"title": "c"}`},
		{"DELETE", "/api/collections/posts/records/" + rec.ID, ""},
		{"POST", "/api/batch", `{"requests": [{"method": "POST", "url": "/api/collections/posts/records", "body": {"title": "d"}}]}`},
		{"POST", "/api/collections/users/auth-with-password", `{"identity": "someone@example.com", "password": "whatever it is"}`},
		{"POST", "/api/collections/_superusers/auth-with-password", `{"identity": "admin@example.com", "password": "long enough password"}`},
		{"POST", "/api/collections/_superusers/auth-refresh", ""},
		{"POST", "/api/collections", `{"name": "more", "fields": [{"name": "x", "type": "text"}]}`},
		{"GET", "/api/rbac/roles", ""},
		{"PATCH", "/api/settings", `{"meta": {"appName": "x"}}`},
	}
	// Three seconds of traffic while the database is away: long enough
	// for reconnection attempts to back off, if they did.
	for down := time.Now(); time.Since(down) < 3*time.Second; {
		for _, node := range []string{a, b} { // b has never seen the token
			for _, who := range []string{"", token} {
				for _, r := range requests {
					status, retry, body := send(t, node, who, r.method, r.path, r.body)
					if status >= 500 && (status != 503 || retry == "" || !strings.Contains(body, "unavailable")) {
						t.Fatalf("%s %s (token %v) with the database down: %d Retry-After %q %s", r.method, r.path, who != "", status, retry, body)
					}
				}
			}
			if status, _, body := send(t, node, token, "GET", "/api/collections/posts/records", ""); status != 503 {
				t.Fatalf("a list with the database down: %d %s, want 503", status, body)
			}
		}
	}

	pg, err := localpg.Start(ctx, localpg.Config{Dir: dir, Fast: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pg.Stop(context.Background()) })
	back := time.Now()
	for _, node := range []string{a, b} {
		waitStatus(t, node, "/api/collections/posts/records", 200)
	}
	t.Logf("both nodes serve %v after the database is back", time.Since(back).Round(time.Millisecond))
	// A policy change made once the database is back reaches the other
	// node through its watcher, which reconnected on its own.
	changed := time.Now()
	for {
		status, _, body := send(t, a, token, "PUT", "/api/rbac/collections/posts/policies", `{"items": []}`)
		if status == 200 {
			break
		}
		if status != 503 || time.Since(changed) > 30*time.Second {
			t.Fatalf("revoke: %d %s", status, body)
		}
		time.Sleep(20 * time.Millisecond)
	}
	waitStatus(t, b, "/api/collections/posts/records", 403)
	t.Logf("the other node applied a revoked policy %v after it was made (%v after the database was back)",
		time.Since(changed).Round(time.Millisecond), time.Since(back).Round(time.Millisecond))
}

// mustPrivatePostgres starts a PostgreSQL of the test's own in a new data
// root, which the test may stop and start again; it is stopped when the
// test ends.
func mustPrivatePostgres(t *testing.T) (dir string, pg *localpg.Server) {
	t.Helper()
	dir, err := os.MkdirTemp("", "lumbung-pg-") // not t.TempDir: postgres runs as another user and must reach it
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	pg, err = localpg.Start(context.Background(), localpg.Config{Dir: dir, Fast: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pg.Stop(context.Background()) })
	return dir, pg
}

// send makes one request and returns its status, Retry-After and body.
func send(t *testing.T, base, token, method, path, body string) (int, string, string) {
	t.Helper()
	req, err := http.NewRequest(method, base+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", token)
	}
	res, err := testClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header.Get("Retry-After"), string(b)
}
