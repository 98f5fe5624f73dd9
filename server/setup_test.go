package server_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/lumbunghq/lumbung/server"
	"github.com/lumbunghq/lumbung/server/localpg/pgtest"
)

// TestFirstRunSetup: with no superuser, the first-run link creates one,
// once; every node shows the same link.
func TestFirstRunSetup(t *testing.T) {
	dsn := pgtest.NewDB(t)
	ctx := context.Background()
	cfg := server.Config{DatabaseURL: dsn, HTTPAddr: "127.0.0.1:0", PasswordCost: 4,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	srv, err := server.New(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close(ctx)
	other, err := server.New(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close(ctx)
	base := startNode(t, dsn)

	link, err := srv.SetupLink(ctx, "0.0.0.0:8090")
	if err != nil || !strings.HasPrefix(link, "http://127.0.0.1:8090/_/#/setup/") {
		t.Fatalf("link %q, %v", link, err)
	}
	if again, _ := other.SetupLink(ctx, "0.0.0.0:8090"); again != link {
		t.Errorf("another node's link %q, want %q", again, link)
	}
	token := link[strings.LastIndex(link, "/")+1:]
	for _, tc := range []struct {
		body   string
		status int
		want   string
	}{
		{`{"token": "nope", "email": "admin@example.com", "password": "long enough password"}`, 403, "not valid"},
		{`{"token": "", "email": "admin@example.com", "password": "long enough password"}`, 403, "not valid"},
		{`{"token": "` + token + `", "email": "not an email", "password": "long enough password"}`, 400, "email"},
		{`{"token": "` + token + `", "email": "admin@example.com", "password": "short"}`, 400, "password"},
		{`{"token": 7}`, 400, ""},
	} {
		status, body, err := request(base, "", "POST", "/api/setup", tc.body)
		if err != nil || status != tc.status || !strings.Contains(body, tc.want) {
			t.Errorf("%s: %d %s %v, want %d", tc.body, status, body, err, tc.status)
		}
	}
	status, body, err := request(base, "", "POST", "/api/setup", `{"token": "`+token+`", "email": "admin@example.com", "password": "long enough password"}`)
	if err != nil || status != 200 {
		t.Fatalf("setup: %d %s %v", status, body, err)
	}
	var auth struct {
		Token  string
		Record struct{ Email string }
	}
	if err := json.Unmarshal([]byte(body), &auth); err != nil || auth.Token == "" || auth.Record.Email != "admin@example.com" {
		t.Fatalf("setup answer %s", body)
	}
	call(t, base, auth.Token, "GET", "/api/collections", "") // a superuser's token
	if status, body, _ := request(base, "", "POST", "/api/setup", `{"token": "`+token+`", "email": "eve@example.com", "password": "long enough password"}`); status != 403 {
		t.Errorf("second use: %d %s", status, body)
	}
	if link, err := srv.SetupLink(ctx, "127.0.0.1:8090"); link != "" || err != nil {
		t.Errorf("link after setup %q, %v", link, err)
	}
}
