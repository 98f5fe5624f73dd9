package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lumbunghq/lumbung/collections"
	"github.com/lumbunghq/lumbung/collections/postgres"
	"github.com/lumbunghq/lumbung/plugins"
	"github.com/lumbunghq/lumbung/server"
	"github.com/lumbunghq/lumbung/server/localpg/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m, postgres.MigrateURL) }

// mustServer starts a server with the example plugin on a fresh database,
// with a "posts" collection anyone may create in and a user.
func mustServer(t *testing.T, settings string) *server.Server {
	t.Helper()
	ctx := context.Background()
	url := pgtest.NewDB(t)
	if settings != "" {
		// Settings are read at start: store them first.
		db, err := postgres.Open(ctx, url, 1)
		if err != nil {
			t.Fatal(err)
		}
		err = postgres.NewParamStore(db).Set(ctx, "settings", json.RawMessage(settings))
		db.Close()
		if err != nil {
			t.Fatal(err)
		}
	}
	srv, err := server.New(ctx, server.Config{
		DatabaseURL: url, PasswordCost: 4, MaxConns: 4,
		Logger:  slog.New(slog.NewTextHandler(io.Discard, nil)),
		Plugins: []plugins.Plugin{hello{}},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close(context.Background()) })
	return srv
}

func call(t *testing.T, srv *server.Server, method, url, token, body string) (int, string) {
	t.Helper()
	req := httptest.NewRequest(method, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", token)
	}
	res, err := srv.App().Test(req, -1)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func TestExamplePlugin(t *testing.T) {
	srv := mustServer(t, "")
	ctx := context.Background()
	svc := srv.Collections()
	users, _ := svc.Collection("users")
	if _, err := svc.SystemRecords().Create(ctx, users, map[string]any{"email": "ann@example.com", "password": "12345678", "passwordConfirm": "12345678"}); err != nil {
		t.Fatal(err)
	}
	_, body := call(t, srv, "POST", "/api/collections/users/auth-with-password", "", `{"identity":"ann@example.com","password":"12345678"}`)
	var auth struct{ Token string }
	if err := json.Unmarshal([]byte(body), &auth); err != nil || auth.Token == "" {
		t.Fatalf("sign-in: %s", body)
	}
	mustPosts(t, srv)
	for _, c := range []struct {
		name, method, url, token, body string
		status                         int
		want                           string
	}{
		{"a guest is greeted", "GET", "/api/example/hello", "", "", 200, `{"message":"hello guest"}`},
		{"a user is greeted by email", "GET", "/api/example/hello", auth.Token, "", 200, `{"message":"hello ann@example.com"}`},
		{"another method is not routed", "POST", "/api/example/hello", "", "", 404, ``},
		{"a spam title is refused", "POST", "/api/collections/posts/records", "", `{"title":"Buy SPAM now"}`, 400, `"title":{"code":"validation_spam","message":"Titles cannot contain spam."}`},
		{"other titles are stored", "POST", "/api/collections/posts/records", "", `{"title":"hello"}`, 200, `"title":"hello"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			status, body := call(t, srv, c.method, c.url, c.token, c.body)
			if status != c.status || !strings.Contains(body, c.want) {
				t.Fatalf("%d %s, want %d %s", status, body, c.status, c.want)
			}
		})
	}
	posts, _ := svc.Collection("posts")
	page, err := svc.SystemRecords().List(ctx, posts, collections.Query{})
	if err != nil || page.TotalItems != 1 {
		t.Fatalf("posts: %v %v", page, err)
	}
}

// mustPosts creates a "posts" collection anyone may create records in.
func mustPosts(t *testing.T, srv *server.Server) {
	t.Helper()
	var c *collections.Collection
	if err := json.Unmarshal([]byte(`{"name": "posts", "createRule": "", "viewRule": "", "fields": [{"name": "title", "type": "text"}]}`), &c); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Collections().CreateCollection(context.Background(), c, collections.SaveOptions{}); err != nil {
		t.Fatal(err)
	}
}

// A plugin the settings disable does not start.
func TestExamplePluginDisabled(t *testing.T) {
	srv := mustServer(t, `{"plugins": {"example": {"enabled": false}}}`)
	mustPosts(t, srv)
	if status, body := call(t, srv, "GET", "/api/example/hello", "", ""); status != 404 {
		t.Fatalf("disabled plugin's route: %d %s", status, body)
	}
	if status, body := call(t, srv, "POST", "/api/collections/posts/records", "", `{"title":"spam"}`); status != 200 {
		t.Fatalf("disabled plugin's hook: %d %s", status, body)
	}
}

// The example is a program: built, it serves the lumbung commands with
// the plugin registered by its init.
func TestExampleBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "example")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	ln := httptest.NewUnstartedServer(nil) // an address that is free
	addr := ln.Listener.Addr().String()
	ln.Listener.Close()
	cmd := exec.Command(bin, "serve", "--http", addr, "--database-url", pgtest.NewDB(t))
	var logs strings.Builder
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Signal(os.Interrupt); cmd.Wait() })
	deadline := time.Now().Add(time.Minute)
	for {
		res, err := http.Get("http://" + addr + "/api/example/hello")
		if err == nil {
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != 200 || string(b) != `{"message":"hello guest"}` {
				t.Fatalf("%d %s", res.StatusCode, b)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the example did not start: %v\n%s", err, logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestExampleCron(t *testing.T) {
	srv := mustServer(t, "")
	svc := srv.Collections()
	su, _ := svc.Collection("_superusers")
	if _, err := svc.SystemRecords().Create(context.Background(), su, map[string]any{"email": "root@example.com", "password": "long enough password"}); err != nil {
		t.Fatal(err)
	}
	_, body := call(t, srv, "POST", "/api/collections/_superusers/auth-with-password", "", `{"identity":"root@example.com","password":"long enough password"}`)
	var auth struct{ Token string }
	if err := json.Unmarshal([]byte(body), &auth); err != nil {
		t.Fatal(err)
	}
	status, body := call(t, srv, "GET", "/api/crons", auth.Token, "")
	if status != 200 || !strings.HasPrefix(body, `[{"id":"example.daily","expression":"@daily","lastRun":null},`) {
		t.Errorf("GET /api/crons: %d %s", status, body)
	}
}
