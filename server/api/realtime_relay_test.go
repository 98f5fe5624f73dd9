package api_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/lumbunghq/lumbung/server"
)

// MustNode starts and serves another node on e's database; it returns
// its address.
func MustNode(t *testing.T, dsn string) string {
	t.Helper()
	srv, err := server.New(context.Background(), server.Config{DatabaseURL: dsn, HTTPAddr: "127.0.0.1:0", PasswordCost: 4, MaxConns: 4,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close(context.Background()) })
	return MustServe(t, &env{tb: t, srv: srv})
}

// Behind a load balancer an event stream lives on one node while the
// SDK's POST /api/realtime, and the OAuth2 redirect, may reach another:
// that node relays them to the one holding the stream.
func TestRealtimeRelayAcrossNodes(t *testing.T) {
	var dsn string
	e := MustEnv(t, func(c *server.Config) { c.HTTPAddr = "127.0.0.1:0"; dsn = c.DatabaseURL })
	e.MustJSON("POST", "/api/collections", "", `{"name": "open", "listRule": "", "viewRule": "", "createRule": "", "fields": [{"name": "title", "type": "text"}]}`, 200, nil)
	e.MustJSON("POST", "/api/collections", "", `{"name": "members", "type": "auth"}`, 200, nil)
	tokens := map[string]string{}
	for _, who := range []string{"alice", "bob"} {
		e.MustJSON("POST", "/api/collections/members/records", "", `{"email": "`+who+`@example.com", "password": "password-of-`+who+`"}`, 200, nil)
		var auth struct{ Token string }
		e.MustJSON("POST", "/api/collections/members/auth-with-password", "-", `{"identity": "`+who+`@example.com", "password": "password-of-`+who+`"}`, 200, &auth)
		tokens[who] = auth.Token
	}
	a := MustServe(t, e)
	b := MustNode(t, dsn)

	stream := MustStream(t, a)
	viaB := *stream
	viaB.addr = b
	if status := viaB.subscribe(tokens["alice"], stream.id, "open/*", "@oauth2"); status != 204 {
		t.Fatalf("subscribing through the other node: %d", status)
	}
	// The relayed answer is the owner's: another user may not take over.
	if status := viaB.subscribe(tokens["bob"], stream.id, "open/*"); status != 403 {
		t.Fatalf("another user through the other node: %d, want 403", status)
	}
	if status := viaB.subscribe("", "nobody", "open/*"); status != 404 {
		t.Fatalf("an unknown client: %d, want 404", status)
	}
	res, err := http.Post("http://"+b+"/api/collections/open/records", "application/json", strings.NewReader(`{"title": "hello"}`))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("create: %d", res.StatusCode)
	}
	ev := stream.next()
	if ev.Event != "open/*" || !strings.Contains(ev.Data, `"title":"hello"`) {
		t.Fatalf("event %+v", ev)
	}

	// The OAuth2 redirect reaching the other node.
	res, err = http.Get("http://" + b + "/api/oauth2-redirect?state=" + stream.id + "&code=abc")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if !strings.Contains(string(page), "Auth completed") {
		t.Fatalf("redirect page: %s", page)
	}
	ev = stream.next()
	var msg struct{ State, Code string }
	if ev.Event != "@oauth2" || json.Unmarshal([]byte(ev.Data), &msg) != nil || msg.State != stream.id || msg.Code != "abc" {
		t.Fatalf("oauth2 message %+v", ev)
	}
}

// Client ids that cannot name a client anywhere are a 404 at once.
func TestRealtimeRelayBadClientIDs(t *testing.T) {
	e := MustEnv(t)
	e.Run(t, []scenario{
		{Name: "NUL", Method: "POST", URL: "/api/realtime", Token: "-", Body: `{"clientId": "a\u0000b", "subscriptions": []}`, ExpectedStatus: 404},
		{Name: "long", Method: "POST", URL: "/api/realtime", Token: "-", Body: `{"clientId": "` + strings.Repeat("x", 5000) + `", "subscriptions": []}`, ExpectedStatus: 404},
	})
}
