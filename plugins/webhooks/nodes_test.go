package webhooks_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/lumbunghq/lumbung/plugins"
	"github.com/lumbunghq/lumbung/server"
)

// TestThreeNodes: three nodes on one database, writes made through each
// of them: every event reaches the receiver exactly once.
func TestThreeNodes(t *testing.T) {
	dsn := newDatabase(t)
	nodes := []*node{startNode(t, dsn, testConfig()), startNode(t, dsn, testConfig()), startNode(t, dsn, testConfig())}
	token := signIn(t, nodes[0].URL)
	recv := newReceiver(t, nil)
	w := setupPosts(t, nodes[0].URL, token, recv.URL, "")
	for _, n := range nodes[1:] { // every node knows the collection
		waitFor(t, "the collection on another node", func() bool {
			status, _ := request(t, n.URL, token, "GET", "/api/collections/posts/records", "")
			return status == 200
		})
	}
	const writes = 30
	for i := range writes {
		call(t, nodes[i%3].URL, token, "POST", "/api/collections/posts/records", fmt.Sprintf(`{"title": "write %d"}`, i), nil)
	}
	conn := connect(t, dsn)
	var last int64
	if err := conn.QueryRow(context.Background(), "SELECT max(seq) FROM _events").Scan(&last); err != nil {
		t.Fatal(err)
	}
	// Once the webhook's position passed the last event, every delivery
	// was made and recorded.
	waitFor(t, "every event delivered", func() bool {
		var wh webhook
		call(t, nodes[1].URL, token, "GET", "/api/webhooks/"+w.ID, "", &wh)
		return wh.Position != nil && *wh.Position >= last
	})
	count := map[string]int{}
	for _, r := range recv.receipts() {
		count[r.Event]++
	}
	var dup []string
	for id, n := range count {
		if n != 1 {
			dup = append(dup, fmt.Sprintf("%s×%d", id, n))
		}
	}
	if len(count) != writes || len(dup) > 0 {
		t.Fatalf("%d events received, want %d; more than once: %v", len(count), writes, dup)
	}
	var logged int
	if err := conn.QueryRow(context.Background(), "SELECT count(*) FROM _webhook_deliveries WHERE ok").Scan(&logged); err != nil || logged != writes {
		t.Fatalf("%d deliveries logged (%v), want %d", logged, err, writes)
	}
}

// TestSSRF: without loopback allowed, an address on loopback is refused
// when the webhook is saved, and a name resolving to loopback
// ("localhost") when the connection is made; nothing reaches the
// receiver.
func TestSSRF(t *testing.T) {
	dsn := newDatabase(t)
	cfg := testConfig()
	cfg.Allow = nil
	n := startNode(t, dsn, cfg)
	token := signIn(t, n.URL)
	recv := newReceiver(t, nil)
	call(t, n.URL, token, "POST", "/api/collections",
		`{"name": "posts", "fields": [{"name": "title", "type": "text"}]}`, nil)
	status, body := request(t, n.URL, token, "POST", "/api/webhooks",
		`{"name": "loopback", "collection": "posts", "url": "`+recv.URL+`", "secret": "`+secret+`"}`)
	if status != 400 || !strings.Contains(body, `"url"`) || !strings.Contains(body, "loopback") {
		t.Fatalf("a loopback address: %d %s", status, body)
	}
	byName := strings.Replace(recv.URL, "127.0.0.1", "localhost", 1)
	var w webhook
	call(t, n.URL, token, "POST", "/api/webhooks",
		`{"name": "by name", "collection": "posts", "url": "`+byName+`", "secret": "`+secret+`"}`, &w)
	var test delivery
	call(t, n.URL, token, "POST", "/api/webhooks/"+w.ID+"/test", "", &test)
	if test.Success || test.Status != 0 || !strings.Contains(test.Error, "loopback") {
		t.Fatalf("test delivery to localhost: %+v", test)
	}
	call(t, n.URL, token, "POST", "/api/collections/posts/records", `{"title": "not for loopback"}`, nil)
	waitFor(t, "a refused delivery", func() bool {
		for _, d := range deliveries(t, n.URL, token, w.ID) {
			if d.Action == "create" {
				return true
			}
		}
		return false
	})
	for _, d := range deliveries(t, n.URL, token, w.ID) {
		if d.Success || !strings.Contains(d.Error, "loopback") {
			t.Fatalf("delivery: %+v", d)
		}
	}
	if got := recv.receipts(); len(got) != 0 {
		t.Fatalf("the receiver got %d requests", len(got))
	}
}

// TestAutoDisable: after MaxFailures failures in a row the webhook is
// disabled with the reason, and no longer holds the change log.
func TestAutoDisable(t *testing.T) {
	dsn := newDatabase(t)
	cfg := testConfig()
	cfg.MaxFailures = 3
	n := startNode(t, dsn, cfg)
	token := signIn(t, n.URL)
	recv := newReceiver(t, func(int) int { return 500 })
	w := setupPosts(t, n.URL, token, recv.URL, "")
	call(t, n.URL, token, "POST", "/api/collections/posts/records", `{"title": "never taken"}`, nil)
	waitFor(t, "the webhook disabled", func() bool {
		call(t, n.URL, token, "GET", "/api/webhooks/"+w.ID, "", &w)
		return !w.Enabled
	})
	if !strings.Contains(w.DisabledReason, "3 failed deliveries in a row") || !strings.Contains(w.DisabledReason, "HTTP 500") || w.Position != nil {
		t.Fatalf("disabled: %+v", w)
	}
	if got := len(recv.receipts()); got != 3 {
		t.Fatalf("%d attempts, want 3", got)
	}
	// Enabled again it starts afresh from the changes made from then on.
	call(t, n.URL, token, "PATCH", "/api/webhooks/"+w.ID, `{"enabled": true}`, &w)
	if !w.Enabled || w.DisabledReason != "" || w.Failures != 0 || w.Position == nil {
		t.Fatalf("enabled again: %+v", w)
	}
}

// TestPruneKeepsEvents: the change log keeps the changes an enabled
// webhook has not delivered although they are older than the retention,
// and lets them go once the webhook no longer needs them.
func TestPruneKeepsEvents(t *testing.T) {
	dsn := newDatabase(t)
	cfg := testConfig()
	cfg.RetryBase = plugins.Duration(time.Hour) // one attempt, then a long wait
	cfg.RetryMax = plugins.Duration(time.Hour)
	retention := func(c *server.Config) { c.EventRetention = time.Second }
	n := startNode(t, dsn, cfg, retention)
	token := signIn(t, n.URL)
	recv := newReceiver(t, func(int) int { return 500 })
	call(t, n.URL, token, "POST", "/api/collections",
		`{"name": "posts", "fields": [{"name": "title", "type": "text"}]}`, nil)
	var before, after struct{ ID string }
	call(t, n.URL, token, "POST", "/api/collections/posts/records", `{"title": "before the webhook"}`, &before)
	var w webhook
	call(t, n.URL, token, "POST", "/api/webhooks",
		`{"name": "held", "collection": "posts", "url": "`+recv.URL+`", "secret": "`+secret+`"}`, &w)
	call(t, n.URL, token, "POST", "/api/collections/posts/records", `{"title": "waits for the webhook"}`, &after)
	waitFor(t, "the first attempt", func() bool { return len(recv.receipts()) > 0 })

	conn := connect(t, dsn)
	kept := func(id string) bool {
		var n int
		if err := conn.QueryRow(context.Background(), "SELECT count(*) FROM _events WHERE record_id = $1", id).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n > 0
	}
	// The event before the webhook goes with the retention; the one it
	// waits for stays, well past the retention.
	waitFor(t, "the older event pruned", func() bool { return !kept(before.ID) })
	waitFor(t, "the held event three retentions old", func() bool {
		var old bool
		if err := conn.QueryRow(context.Background(),
			"SELECT bool_and(created < now() - interval '3 seconds') FROM _events WHERE record_id = $1", after.ID).Scan(&old); err != nil {
			t.Fatal(err)
		}
		return old
	})
	if !kept(after.ID) {
		t.Fatal("the event the webhook waits for was pruned")
	}

	// Released (disabled, then enabled again: it starts from the changes
	// made from then on), it goes too.
	call(t, n.URL, token, "PATCH", "/api/webhooks/"+w.ID, `{"enabled": false}`, nil)
	call(t, n.URL, token, "PATCH", "/api/webhooks/"+w.ID, `{"enabled": true}`, nil)
	waitFor(t, "the released event pruned", func() bool { return !kept(after.ID) })
}

// TestLagging: past the hold limit the change log lets go of changes a
// webhook has not delivered, and the webhook says so.
func TestLagging(t *testing.T) {
	dsn := newDatabase(t)
	cfg := testConfig()
	cfg.RetryBase = plugins.Duration(time.Hour)
	cfg.RetryMax = plugins.Duration(time.Hour)
	n := startNode(t, dsn, cfg, func(c *server.Config) { c.EventRetention, c.EventHold = time.Second, 2*time.Second })
	token := signIn(t, n.URL)
	recv := newReceiver(t, func(int) int { return 500 })
	w := setupPosts(t, n.URL, token, recv.URL, "")
	var rec struct{ ID string }
	call(t, n.URL, token, "POST", "/api/collections/posts/records", `{"title": "lost"}`, &rec)
	waitFor(t, "the webhook lagging", func() bool {
		call(t, n.URL, token, "GET", "/api/webhooks/"+w.ID, "", &w)
		return w.Lagging != ""
	})
	if !w.Enabled || !strings.Contains(w.Lagging, "were pruned from the change log before they were delivered") {
		t.Fatalf("lagging: %+v", w)
	}
}
