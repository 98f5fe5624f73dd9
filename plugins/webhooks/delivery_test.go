package webhooks_test

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
)

const secret = "a secret of the receiver"

// setupPosts creates the collection posts (title, body) and a webhook on
// it sending to target with extra fields; it returns the webhook.
func setupPosts(t *testing.T, base, token, target, extra string) webhook {
	t.Helper()
	call(t, base, token, "POST", "/api/collections",
		`{"name": "posts", "fields": [{"name": "title", "type": "text"}, {"name": "body", "type": "text"}]}`, nil)
	var w webhook
	call(t, base, token, "POST", "/api/webhooks", `{"name": "posts to the receiver", "collection": "posts",
		"url": "`+target+`", "secret": "`+secret+`"`+extra+`}`, &w)
	return w
}

// payload is the body of a delivery as a receiver reads it.
type payload struct {
	ID           string         `json:"id"`
	Webhook      string         `json:"webhook"`
	Action       string         `json:"action"`
	Collection   string         `json:"collection"`
	CollectionID string         `json:"collectionId"`
	Record       map[string]any `json:"record"`
	Original     map[string]any `json:"original"`
	Created      string         `json:"created"`
}

func decode(t *testing.T, r receipt) payload {
	t.Helper()
	var p payload
	if err := json.Unmarshal(r.Body, &p); err != nil {
		t.Fatalf("body %s: %v", r.Body, err)
	}
	return p
}

// TestDelivery: creates, updates and deletes through the API reach the
// receiver in order, signed with the webhook's secret, with the event id
// and webhook id in headers and body; the secret is never answered back.
func TestDelivery(t *testing.T) {
	dsn := newDatabase(t)
	n := startNode(t, dsn, testConfig())
	token := signIn(t, n.URL)
	recv := newReceiver(t, nil)
	w := setupPosts(t, n.URL, token, recv.URL, "")
	if !w.SecretSet || !w.Enabled || strings.Join(w.Events, ",") != "create,update,delete" || w.Collection != "posts" {
		t.Fatalf("webhook: %+v", w)
	}
	var rec struct{ ID string }
	call(t, n.URL, token, "POST", "/api/collections/posts/records", `{"title": "hello", "body": "first"}`, &rec)
	call(t, n.URL, token, "PATCH", "/api/collections/posts/records/"+rec.ID, `{"title": "hello again"}`, nil)
	if status, body := request(t, n.URL, token, "DELETE", "/api/collections/posts/records/"+rec.ID, ""); status != 204 {
		t.Fatalf("delete: %d %s", status, body)
	}
	waitFor(t, "three deliveries", func() bool { return len(recv.receipts()) >= 3 })

	got := recv.receipts()
	if len(got) != 3 {
		t.Fatalf("%d receipts, want 3", len(got))
	}
	var last int64
	for i, want := range []string{"create", "update", "delete"} {
		r := got[i]
		verify(t, secret, r)
		p := decode(t, r)
		if p.Action != want || p.Collection != "posts" || p.CollectionID == "" || p.Record["id"] != rec.ID ||
			p.ID != r.Event || p.Webhook != w.ID || r.Webhook != w.ID || p.Created == "" {
			t.Fatalf("receipt %d: %+v headers %q %q", i, p, r.Event, r.Webhook)
		}
		seq, err := strconv.ParseInt(r.Event, 10, 64)
		if err != nil || seq <= last {
			t.Fatalf("event id %q after %d", r.Event, last)
		}
		last = seq
		switch want {
		case "create":
			if p.Record["title"] != "hello" || p.Record["collectionName"] != "posts" || p.Original != nil {
				t.Fatalf("create: %+v", p)
			}
		case "update":
			if p.Record["title"] != "hello again" || p.Original["title"] != "hello" {
				t.Fatalf("update: %+v", p)
			}
		case "delete":
			if p.Record["title"] != "hello again" {
				t.Fatalf("delete: %+v", p)
			}
		}
	}

	// The API never answers the secret.
	for _, path := range []string{"/api/webhooks", "/api/webhooks/" + w.ID} {
		if _, body := request(t, n.URL, token, "GET", path, ""); strings.Contains(body, secret) || strings.Contains(body, `"secret"`) {
			t.Fatalf("GET %s answers the secret: %s", path, body)
		}
	}
	// The receiver may hear of the last delivery before its log row
	// commits.
	var log []delivery
	waitFor(t, "three logged deliveries", func() bool { log = deliveries(t, n.URL, token, w.ID); return len(log) >= 3 })
	if len(log) != 3 || !log[0].Success || log[0].Status != 200 || log[0].Action != "delete" || log[2].Action != "create" {
		t.Fatalf("delivery log: %+v", log)
	}

	if got := n.metric(t, "lumbung_webhook_deliveries_total", "success"); got != 3 {
		t.Fatalf("deliveries metric: %v, want 3", got)
	}
	if got := n.metric(t, "lumbung_webhook_backlog_events", w.ID); got < 0 {
		t.Fatalf("no backlog metric for the webhook")
	}

	// A test event goes out now, signed, and is logged.
	var test delivery
	call(t, n.URL, token, "POST", "/api/webhooks/"+w.ID+"/test", "", &test)
	if !test.Success || test.Status != 200 || test.Event != "test" {
		t.Fatalf("test delivery: %+v", test)
	}
	got = recv.receipts()
	if len(got) != 4 || got[3].Event != "test" || decode(t, got[3]).Action != "test" {
		t.Fatalf("test receipt: %+v", got[len(got)-1])
	}
	verify(t, secret, got[3])
}

// TestRetry: a receiver answering 500 twice gets the event a third time
// (after backoff), the log shows the attempts, the failures are cleared.
func TestRetry(t *testing.T) {
	dsn := newDatabase(t)
	n := startNode(t, dsn, testConfig())
	token := signIn(t, n.URL)
	recv := newReceiver(t, func(i int) int {
		if i <= 2 {
			return 500
		}
		return 200
	})
	w := setupPosts(t, n.URL, token, recv.URL, "")
	call(t, n.URL, token, "POST", "/api/collections/posts/records", `{"title": "retried"}`, nil)
	waitFor(t, "a success", func() bool {
		log := deliveries(t, n.URL, token, w.ID)
		return len(log) > 0 && log[0].Success
	})
	got := recv.receipts()
	if len(got) != 3 || got[0].Event != got[2].Event || got[1].Event != got[2].Event {
		t.Fatalf("receipts: %d %+v", len(got), got)
	}
	log := deliveries(t, n.URL, token, w.ID)
	if len(log) != 3 || log[2].Attempt != 1 || log[2].Status != 500 || !strings.Contains(log[2].Error, "HTTP 500: answer of the receiver") ||
		log[1].Attempt != 2 || log[1].Success || log[0].Attempt != 3 || !log[0].Success {
		t.Fatalf("delivery log: %+v", log)
	}
	var after webhook
	call(t, n.URL, token, "GET", "/api/webhooks/"+w.ID, "", &after)
	if after.Failures != 0 || !after.Enabled {
		t.Fatalf("after the success: %+v", after)
	}
}

// TestRestartMidRetry: the server stops while an event waits for its
// next attempt; a new server on the same database delivers it, counting
// on from the attempts made.
func TestRestartMidRetry(t *testing.T) {
	dsn := newDatabase(t)
	n := startNode(t, dsn, testConfig())
	token := signIn(t, n.URL)
	recv := newReceiver(t, func(int) int { return 503 })
	w := setupPosts(t, n.URL, token, recv.URL, "")
	call(t, n.URL, token, "POST", "/api/collections/posts/records", `{"title": "survives a restart"}`, nil)
	waitFor(t, "a failed attempt", func() bool { return len(deliveries(t, n.URL, token, w.ID)) > 0 })
	n.Stop()
	failed := len(recv.receipts())
	event := recv.receipts()[0].Event
	recv.setStatus(nil) // 200 from now on

	n2 := startNode(t, dsn, testConfig())
	waitFor(t, "the delivery after the restart", func() bool {
		got := recv.receipts()
		return len(got) > failed
	})
	got := recv.receipts()
	if last := got[len(got)-1]; last.Event != event || decode(t, last).Record["title"] != "survives a restart" {
		t.Fatalf("after the restart: %+v", last)
	}
	waitFor(t, "the success logged", func() bool {
		log := deliveries(t, n2.URL, token, w.ID)
		return len(log) > 0 && log[0].Success
	})
	// Attempts are counted on across the restart (an attempt cut short
	// by the stop is neither logged nor counted).
	log := deliveries(t, n2.URL, token, w.ID)
	if len(log) < 2 || log[0].Attempt != len(log) || log[0].Event != event || log[1].Success {
		t.Fatalf("the success is attempt %d of event %s, want %d of %s: %+v", log[0].Attempt, log[0].Event, len(log), event, log)
	}
}

// TestPlainSQL: a record inserted with plain SQL (not through Lumbung)
// is delivered too.
func TestPlainSQL(t *testing.T) {
	dsn := newDatabase(t)
	n := startNode(t, dsn, testConfig())
	token := signIn(t, n.URL)
	recv := newReceiver(t, nil)
	setupPosts(t, n.URL, token, recv.URL, "")
	conn := connect(t, dsn)
	if _, err := conn.Exec(context.Background(), `INSERT INTO posts (id, title) VALUES ('plainsql0000001', 'written by psql')`); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the delivery", func() bool { return len(recv.receipts()) > 0 })
	p := decode(t, recv.receipts()[0])
	if p.Action != "create" || p.Record["id"] != "plainsql0000001" || p.Record["title"] != "written by psql" {
		t.Fatalf("delivered: %+v", p)
	}
}

// TestFilter: only records matching the webhook's filter are sent, and
// only the events it asks for.
func TestFilter(t *testing.T) {
	dsn := newDatabase(t)
	n := startNode(t, dsn, testConfig())
	token := signIn(t, n.URL)
	recv := newReceiver(t, nil)
	setupPosts(t, n.URL, token, recv.URL, `, "filter": "title ~ 'urgent'", "events": ["create", "delete"]`)
	var quiet, urgent struct{ ID string }
	call(t, n.URL, token, "POST", "/api/collections/posts/records", `{"title": "a quiet note"}`, &quiet)
	call(t, n.URL, token, "POST", "/api/collections/posts/records", `{"title": "an urgent note"}`, &urgent)
	call(t, n.URL, token, "PATCH", "/api/collections/posts/records/"+urgent.ID, `{"body": "updates are not asked for"}`, nil)
	request(t, n.URL, token, "DELETE", "/api/collections/posts/records/"+quiet.ID, "")
	request(t, n.URL, token, "DELETE", "/api/collections/posts/records/"+urgent.ID, "")
	// Events go out in order: once the urgent delete arrived, everything
	// before it was judged.
	waitFor(t, "the urgent delete", func() bool {
		got := recv.receipts()
		return len(got) > 0 && decode(t, got[len(got)-1]).Action == "delete"
	})
	var seen []string
	for _, r := range recv.receipts() {
		p := decode(t, r)
		seen = append(seen, p.Action+" "+p.Record["title"].(string))
	}
	if strings.Join(seen, "; ") != "create an urgent note; delete an urgent note" {
		t.Fatalf("delivered: %v", seen)
	}
}

// TestBadInput: the API answers 400 naming each bad field.
func TestBadInput(t *testing.T) {
	dsn := newDatabase(t)
	n := startNode(t, dsn, testConfig())
	token := signIn(t, n.URL)
	call(t, n.URL, token, "POST", "/api/collections",
		`{"name": "posts", "fields": [{"name": "title", "type": "text"}]}`, nil)
	for _, c := range []struct{ body, fields string }{
		{`{"name": "x", "collection": "posts", "url": "not a url", "secret": "12345678"}`, "url"},
		{`{"name": "x", "collection": "posts", "url": "ftp://example.com/", "secret": "12345678"}`, "url"},
		{`{"name": "x", "collection": "nope", "url": "https://example.com/", "secret": "12345678"}`, "collection"},
		{`{"name": "x", "collection": "posts", "url": "https://example.com/", "secret": "12345678", "filter": "title ~"}`, "filter"},
		{`{"name": "x", "collection": "posts", "url": "https://example.com/", "secret": "12345678", "filter": "nope = 1"}`, "filter"},
		{`{"name": "x", "url": "https://example.com/", "secret": "12345678", "filter": "title = 'a'"}`, "filter"},
		{`{"name": "x", "collection": "posts", "url": "https://example.com/", "secret": "12345678", "events": ["create", "upsert"]}`, "events"},
		{`{"name": "x", "collection": "posts", "url": "https://example.com/", "secret": "12345678", "events": []}`, "events"},
		{`{"collection": "posts", "url": "https://example.com/"}`, "name,secret"},
		{`{"name": "x", "url": "http://10.0.0.1/hook", "secret": "12345678"}`, "url"},
	} {
		status, body := request(t, n.URL, token, "POST", "/api/webhooks", c.body)
		var answer struct {
			Message string
			Data    map[string]struct{ Code, Message string }
		}
		json.Unmarshal([]byte(body), &answer) //nolint:errcheck // checked below
		var fields []string
		for _, f := range []string{"name", "collection", "events", "url", "secret", "filter"} {
			if answer.Data[f].Message != "" {
				fields = append(fields, f)
			}
		}
		if status != 400 || strings.Join(fields, ",") != c.fields {
			t.Errorf("POST %s: %d %s, want 400 naming %s", c.body, status, body, c.fields)
		}
	}
	if status, _ := request(t, n.URL, "", "GET", "/api/webhooks", ""); status != 401 {
		t.Errorf("guest: %d, want 401", status)
	}
	if status, _ := request(t, n.URL, token, "GET", "/api/webhooks/nothere0000000", ""); status != 404 {
		t.Errorf("unknown webhook: %d, want 404", status)
	}
	var w webhook
	call(t, n.URL, token, "POST", "/api/webhooks", `{"name": "x", "url": "https://example.com/", "secret": "12345678"}`, &w)
	if status, body := request(t, n.URL, token, "PATCH", "/api/webhooks/"+w.ID, `{"events": ["nope"]}`); status != 400 || !strings.Contains(body, "events") {
		t.Errorf("PATCH bad events: %d %s", status, body)
	}
	call(t, n.URL, token, "PATCH", "/api/webhooks/"+w.ID, `{"enabled": false}`, &w)
	if w.Enabled || w.Position != nil || w.Collection != "" {
		t.Errorf("disabled: %+v", w)
	}
	if status, _ := request(t, n.URL, token, "DELETE", "/api/webhooks/"+w.ID, ""); status != 204 {
		t.Errorf("delete: %d", status)
	}
}

// TestAllCollections: a webhook of every collection gets the changes of
// each, except those of system collections (superusers here).
func TestAllCollections(t *testing.T) {
	dsn := newDatabase(t)
	n := startNode(t, dsn, testConfig())
	token := signIn(t, n.URL)
	recv := newReceiver(t, nil)
	for _, c := range []string{"posts", "notes"} {
		call(t, n.URL, token, "POST", "/api/collections", `{"name": "`+c+`", "fields": [{"name": "title", "type": "text"}]}`, nil)
	}
	var w webhook
	call(t, n.URL, token, "POST", "/api/webhooks", `{"name": "all", "collection": "*", "url": "`+recv.URL+`", "secret": "`+secret+`"}`, &w)
	if w.Collection != "" {
		t.Fatalf("webhook: %+v", w)
	}
	call(t, n.URL, token, "POST", "/api/collections/_superusers/records",
		`{"email": "second@example.com", "password": "long enough password", "passwordConfirm": "long enough password"}`, nil)
	call(t, n.URL, token, "POST", "/api/collections/posts/records", `{"title": "a post"}`, nil)
	call(t, n.URL, token, "POST", "/api/collections/notes/records", `{"title": "a note"}`, nil)
	waitFor(t, "the note", func() bool {
		got := recv.receipts()
		return len(got) > 0 && decode(t, got[len(got)-1]).Collection == "notes"
	})
	var seen []string
	for _, r := range recv.receipts() {
		seen = append(seen, decode(t, r).Collection)
	}
	if strings.Join(seen, ",") != "posts,notes" {
		t.Fatalf("delivered: %v", seen)
	}
}

// TestDeliveryLogRetention: the hourly job (run here by hand) deletes the
// deliveries older than logRetention and keeps the others.
func TestDeliveryLogRetention(t *testing.T) {
	dsn := newDatabase(t)
	n := startNode(t, dsn, testConfig())
	token := signIn(t, n.URL)
	recv := newReceiver(t, nil)
	w := setupPosts(t, n.URL, token, recv.URL, "")
	call(t, n.URL, token, "POST", "/api/collections/posts/records", `{"title": "old"}`, nil)
	call(t, n.URL, token, "POST", "/api/collections/posts/records", `{"title": "new"}`, nil)
	waitFor(t, "two deliveries", func() bool { return len(deliveries(t, n.URL, token, w.ID)) == 2 })
	conn := connect(t, dsn)
	if _, err := conn.Exec(context.Background(), `UPDATE _webhook_deliveries SET created = now() - interval '8 days'
		WHERE id = (SELECT min(id) FROM _webhook_deliveries)`); err != nil {
		t.Fatal(err)
	}
	if status, body := request(t, n.URL, token, "POST", "/api/crons/webhooks.prune", ""); status != 204 {
		t.Fatalf("run the job: %d %s", status, body)
	}
	waitFor(t, "the old delivery deleted", func() bool { return len(deliveries(t, n.URL, token, w.ID)) == 1 })
	if log := deliveries(t, n.URL, token, w.ID); log[0].Event == "" || !log[0].Success {
		t.Fatalf("kept: %+v", log)
	}
}
