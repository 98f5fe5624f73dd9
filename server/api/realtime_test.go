package api_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/fasthttp/websocket"

	"github.com/lumbunghq/lumbung/server"
)

// MustServe runs e's server on a real listener until the test ends and
// returns its address.
func MustServe(tb testing.TB, e *env) string {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	addr := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- e.srv.Run(ctx, func(a string) { addr <- a }) }()
	tb.Cleanup(func() { cancel(); <-done })
	select {
	case a := <-addr:
		return a
	case err := <-done:
		tb.Fatalf("run: %v", err)
	}
	return ""
}

// wsClient is a realtime test client.
type wsClient struct {
	tb   testing.TB
	conn *websocket.Conn
}

func MustDial(tb testing.TB, addr, token string) *wsClient {
	tb.Helper()
	conn, _, err := websocket.DefaultDialer.Dial("ws://"+addr+"/api/realtime", nil)
	if err != nil {
		tb.Fatalf("dial: %v", err)
	}
	tb.Cleanup(func() { conn.Close() })
	c := &wsClient{tb: tb, conn: conn}
	if m := c.read(); m["type"] != "connected" || m["clientId"] == "" {
		tb.Fatalf("first message %v", m)
	}
	if token != "" {
		c.call(map[string]any{"type": "auth", "id": "a", "token": token}, "ack")
	}
	return c
}

func (c *wsClient) read() map[string]any {
	c.tb.Helper()
	c.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	var m map[string]any
	if err := c.conn.ReadJSON(&m); err != nil {
		c.tb.Fatalf("read: %v", err)
	}
	return m
}

// call sends v and expects a reply of type want.
func (c *wsClient) call(v any, want string) map[string]any {
	c.tb.Helper()
	if err := c.conn.WriteJSON(v); err != nil {
		c.tb.Fatal(err)
	}
	m := c.read()
	if m["type"] != want {
		c.tb.Fatalf("%v: got %v, want %s", v, m, want)
	}
	return m
}

// events reads events until one for record id last with action "delete".
func (c *wsClient) events(last string) []string {
	c.tb.Helper()
	var out []string
	for {
		m := c.read()
		if m["type"] != "event" {
			c.tb.Fatalf("got %v", m)
		}
		rec, _ := m["record"].(map[string]any)
		out = append(out, fmt.Sprintf("%s %s %s %v", m["sub"], m["action"], rec["title"], rec))
		if rec["id"] == last && m["action"] == "delete" {
			return out
		}
	}
}

func TestRealtimeWebSocket(t *testing.T) {
	e := MustEnv(t, func(c *server.Config) { c.HTTPAddr = "127.0.0.1:0" })
	e.MustJSON("POST", "/api/collections", "", `{"name": "members", "type": "auth", "fields": [{"name": "name", "type": "text"}]}`, 200, nil)
	e.MustJSON("POST", "/api/collections", "", `{"name": "docs", "fields": [
		{"name": "title", "type": "text"}, {"name": "secret", "type": "text"},
		{"name": "status", "type": "select", "values": ["draft", "published"]}, {"name": "team", "type": "text"}]}`, 200, nil)
	e.MustJSON("POST", "/api/rbac/roles", "", `{"name": "viewer"}`, 200, nil)
	e.MustJSON("PUT", "/api/rbac/collections/docs/policies", "", `{"items": [
		{"subject": "guest", "action": "view", "condition": "status = 'published'", "fields": ["title", "status"]},
		{"subject": "viewer", "action": "view", "fields": ["title", "status", "team"]}]}`, 200, nil)
	var alice struct{ ID string }
	e.MustJSON("POST", "/api/collections/members/records", "", `{"email": "alice@example.com", "password": "password-of-alice", "name": "alice"}`, 200, &alice)
	e.MustJSON("POST", "/api/rbac/assignments", "", fmt.Sprintf(`{"collection": "members", "id": %q, "role": "viewer"}`, alice.ID), 200, nil)
	var auth struct{ Token string }
	e.MustJSON("POST", "/api/collections/members/auth-with-password", "-", `{"identity": "alice@example.com", "password": "password-of-alice"}`, 200, &auth)

	addr := MustServe(t, e)
	super := MustDial(t, addr, e.token)
	viewer := MustDial(t, addr, auth.Token)
	guest := MustDial(t, addr, "")
	guest.call(map[string]any{"type": "ping"}, "pong")
	guest.call(map[string]any{"type": "subscribe", "id": "x", "topic": "docs/*", "filter": "a = 1"}, "error")
	guest.call(map[string]any{"type": "subscribe", "id": "x", "topic": "nope/*"}, "error")
	guest.call(map[string]any{"type": "unsubscribe", "id": "x"}, "error")
	for _, c := range []*wsClient{super, viewer, guest} {
		c.call(map[string]any{"type": "subscribe", "id": "m", "topic": "members/*"}, "ack")
		c.call(map[string]any{"type": "subscribe", "id": "d", "topic": "docs/*"}, "ack")
	}

	var d1, d2 struct{ ID string }
	e.MustJSON("POST", "/api/collections/docs/records", "", `{"title": "d1", "secret": "s1", "status": "draft", "team": "red"}`, 200, &d1)
	e.MustJSON("POST", "/api/collections/docs/records", "", `{"title": "d2", "secret": "s2", "status": "published", "team": "red"}`, 200, &d2)
	e.MustJSON("PATCH", "/api/collections/members/records/"+alice.ID, "", `{"name": "alice2", "password": "password-of-alice2", "passwordConfirm": "password-of-alice2"}`, 200, nil)
	e.MustJSON("PATCH", "/api/collections/docs/records/"+d2.ID, "", `{"title": "d2b"}`, 200, nil)
	e.MustJSON("DELETE", "/api/collections/docs/records/"+d2.ID, "", "", 204, nil)

	check := func(name string, got []string, want []string, bad ...string) {
		t.Helper()
		if len(got) != len(want) {
			t.Fatalf("%s got %d events, want %d:\n%s", name, len(got), len(want), strings.Join(got, "\n"))
		}
		for i := range want {
			if !strings.HasPrefix(got[i], want[i]) {
				t.Errorf("%s event %d = %s, want %s", name, i, got[i], want[i])
			}
			for _, b := range bad {
				if strings.Contains(got[i], b) {
					t.Errorf("%s event %d shows %q: %s", name, i, b, got[i])
				}
			}
		}
	}
	check("superuser", super.events(d2.ID), []string{"d create d1", "d create d2", "m update", "d update d2b", "d delete d2b"}, "password", "tokenKey")
	check("viewer", viewer.events(d2.ID), []string{"d create d1", "d create d2", "d update d2b", "d delete d2b"}, "secret", "password", "tokenKey")
	check("guest", guest.events(d2.ID), []string{"d create d2", "d update d2b", "d delete d2b"}, "secret", "team", "password", "tokenKey")
}
