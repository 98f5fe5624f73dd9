package server_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fasthttp/websocket"

	"github.com/lumbunghq/lumbung/plugins"
	"github.com/lumbunghq/lumbung/plugins/jsvm"
	"github.com/lumbunghq/lumbung/server"
)

// TestJSRealtimeHooks: onRealtimeSubscribeRequest refuses a guest's
// subscription by throwing and one topic by taking it out of
// e.subscriptions, and lets a superuser (e.auth) through;
// onRealtimeConnectRequest sees every connection.
func TestJSRealtimeHooks(t *testing.T) {
	hooks := t.TempDir()
	if err := os.WriteFile(filepath.Join(hooks, "main.pb.js"), []byte(`
onRealtimeConnectRequest((e) => {
    if (!e.client.id) {
        throw new BadRequestError("A client without an id.")
    }
    e.next()
})

onRealtimeSubscribeRequest((e) => {
    if (e.collection.name === "secrets" && (!e.auth || e.auth.collection().name !== "_superusers")) {
        throw new ForbiddenError("Only superusers may follow secrets.")
    }
    e.subscriptions = e.subscriptions.filter((topic) => !topic.endsWith("/hidden000000001"))
    e.next()
})
`), 0o644); err != nil {
		t.Fatal(err)
	}
	_, a := startNodes(t, func(c *server.Config) { // the second node runs the hooks
		c.Plugins = []plugins.Plugin{&jsvm.Plugin{Config: jsvm.Config{Dir: hooks}}}
	})
	admin := signIn(t, a)
	for _, name := range []string{"feed", "secrets"} {
		call(t, a, admin, "POST", "/api/collections", `{"name": "`+name+`", "listRule": "", "viewRule": "", "fields": [{"name": "text", "type": "text"}]}`)
	}
	conn, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(a, "http")+"/api/realtime", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// answer sends a message and returns the answer to its id.
	answer := func(msg string) map[string]any {
		t.Helper()
		if err := conn.WriteMessage(websocket.TextMessage, []byte(msg)); err != nil {
			t.Fatal(err)
		}
		var sent struct{ ID string }
		json.Unmarshal([]byte(msg), &sent)                     //nolint:errcheck // the test's own JSON
		conn.SetReadDeadline(time.Now().Add(30 * time.Second)) //nolint:errcheck // a hang guard, not a timing assertion
		for {
			_, b, err := conn.ReadMessage()
			if err != nil {
				t.Fatalf("waiting for the answer to %s: %v", msg, err)
			}
			var m map[string]any
			if err := json.Unmarshal(b, &m); err != nil {
				t.Fatal(err)
			}
			if m["id"] == sent.ID {
				return m
			}
		}
	}
	for _, c := range []struct{ msg, typ, message string }{
		{`{"type": "subscribe", "id": "s1", "topic": "feed/*"}`, "ack", ""},
		{`{"type": "subscribe", "id": "s2", "topic": "secrets/*"}`, "error", "Only superusers may follow secrets."},
		{`{"type": "subscribe", "id": "s3", "topic": "feed/hidden000000001"}`, "error", `The subscription to "feed/hidden000000001" was refused.`},
		{`{"type": "auth", "id": "a1", "token": "` + admin + `"}`, "ack", ""},
		{`{"type": "subscribe", "id": "s4", "topic": "secrets/*"}`, "ack", ""},
	} {
		m := answer(c.msg)
		if m["type"] != c.typ || (c.message != "" && m["message"] != c.message) {
			t.Errorf("%s: %v, want a %s %s", c.msg, m, c.typ, c.message)
		}
	}
}
