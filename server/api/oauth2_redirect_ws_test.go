package api_test

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/fasthttp/websocket"

	"github.com/lumbunghq/lumbung/server"
)

// dialWS connects a guest WebSocket client and returns it with its id.
func dialWS(tb testing.TB, addr string) (*wsClient, string) {
	tb.Helper()
	conn, _, err := websocket.DefaultDialer.Dial("ws://"+addr+"/api/realtime", nil)
	if err != nil {
		tb.Fatalf("dial: %v", err)
	}
	tb.Cleanup(func() { conn.Close() })
	c := &wsClient{tb: tb, conn: conn}
	m := c.read()
	id, _ := m["clientId"].(string)
	if m["type"] != "connected" || id == "" {
		tb.Fatalf("first message %v", m)
	}
	return c, id
}

// expectQuiet checks that c has received nothing: the answer to a ping is
// the next message (a redirect writes its message before it answers).
func (c *wsClient) expectQuiet() {
	c.tb.Helper()
	c.call(map[string]any{"type": "ping"}, "pong")
}

// TestOAuth2RedirectWebSocket: a WebSocket client, a guest, subscribes to
// @oauth2 like an SSE stream and gets the redirect's answer once, as
// {"type":"message","sub","topic","data"}; no one else gets it.
func TestOAuth2RedirectWebSocket(t *testing.T) {
	t.Parallel()
	e := MustEnv(t, func(c *server.Config) { c.HTTPAddr = "127.0.0.1:0" })
	addr := MustServe(t, e)
	a, aID := dialWS(t, addr)
	b, bID := dialWS(t, addr)
	a.call(map[string]any{"type": "subscribe", "id": "o", "topic": "@oauth2"}, "ack")
	b.call(map[string]any{"type": "subscribe", "id": "o", "topic": "@oauth2"}, "ack")

	if _, page := redirectFrom(t, addr, "127.0.0.1", "GET", url.Values{"state": {aID}, "code": {"ws-code"}}); !strings.Contains(page, redirectOK) {
		t.Fatalf("redirect: %s", page)
	}
	m := a.read()
	data, _ := m["data"].(map[string]any)
	if m["type"] != "message" || m["sub"] != "o" || m["topic"] != "@oauth2" || data["state"] != aID || data["code"] != "ws-code" || len(data) != 2 {
		t.Fatalf("message %v", m)
	}
	b.expectQuiet()
	// Once: the subscription ended with the message.
	if _, page := redirectFrom(t, addr, "127.0.0.1", "GET", url.Values{"state": {aID}, "code": {"again"}}); !strings.Contains(page, redirectFailed) {
		t.Fatalf("second redirect: %s", page)
	}
	a.expectQuiet()

	// From another address: refused; after unsubscribing: nothing either.
	if _, page := redirectFrom(t, addr, "127.0.0.2", "GET", url.Values{"state": {bID}, "code": {"stolen"}}); !strings.Contains(page, redirectFailed) {
		t.Fatalf("redirect from another address: %s", page)
	}
	b.call(map[string]any{"type": "unsubscribe", "id": "o"}, "ack")
	if _, page := redirectFrom(t, addr, "127.0.0.1", "GET", url.Values{"state": {bID}, "code": {"late"}}); !strings.Contains(page, redirectFailed) {
		t.Fatalf("redirect after unsubscribe: %s", page)
	}
	b.call(map[string]any{"type": "unsubscribe", "id": "o"}, "error")

	// A closed connection gets nothing and fails the redirect.
	c, cID := dialWS(t, addr)
	c.call(map[string]any{"type": "subscribe", "id": "o", "topic": "@oauth2"}, "ack")
	c.conn.Close()
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, page := redirectFrom(t, addr, "127.0.0.1", "GET", url.Values{"state": {cID}, "code": {"closed"}})
		if strings.Contains(page, redirectFailed) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("a closed connection still takes the redirect")
		}
		// The server may not have seen the close yet (a write to the
		// closed socket may still succeed once).
		time.Sleep(50 * time.Millisecond)
	}
}
