package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
	"github.com/jackc/pgx/v5"

	"github.com/lumbunghq/lumbung/collections/postgres"
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
		{"subject": "guest", "action": "view", "condition": "status = 'published'", "fields": ["title", "status"]}, {"subject": "guest", "action": "list", "condition": "status = 'published'", "fields": ["title", "status"]},
		{"subject": "viewer", "action": "view", "fields": ["title", "status", "team"]}, {"subject": "viewer", "action": "list", "fields": ["title", "status", "team"]}]}`, 200, nil)
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
	// A new name (no new password: that would end the viewer's session,
	// TestRealtimeRecordChange); the event must still hide the hash.
	e.MustJSON("PATCH", "/api/collections/members/records/"+alice.ID, "", `{"name": "alice2"}`, 200, nil)
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

// next reads the next event message and returns its title, action and seq.
func (c *wsClient) next() (title, action string, seq int64) {
	c.tb.Helper()
	m := c.read()
	if m["type"] != "event" {
		c.tb.Fatalf("got %v, want an event", m)
	}
	rec, _ := m["record"].(map[string]any)
	title, _ = rec["title"].(string)
	action, _ = m["action"].(string)
	f, _ := m["seq"].(float64)
	return title, action, int64(f)
}

// until reads events until one titled last and returns "title action" for
// each, failing when seqs do not increase.
func (c *wsClient) until(last string) []string {
	c.tb.Helper()
	var out []string
	prev := int64(-1)
	for {
		title, action, seq := c.next()
		if seq <= prev {
			c.tb.Fatalf("seq %d after %d (%v)", seq, prev, out)
		}
		prev = seq
		out = append(out, title+" "+action)
		if title == last {
			return out
		}
	}
}

func TestRealtimeFilter(t *testing.T) {
	var dsn string
	e := MustEnv(t, func(c *server.Config) { c.HTTPAddr = "127.0.0.1:0"; dsn = c.DatabaseURL })
	e.MustJSON("POST", "/api/collections", "", `{"name": "teams", "fields": [{"name": "name", "type": "text"}]}`, 200, nil)
	e.MustJSON("POST", "/api/collections", "", `{"name": "docs", "fields": [
		{"name": "title", "type": "text"}, {"name": "status", "type": "text"}, {"name": "n", "type": "number"},
		{"name": "team", "type": "relation", "collectionId": "teams"}]}`, 200, nil)
	var red, blue struct{ ID string }
	e.MustJSON("POST", "/api/collections/teams/records", "", `{"name": "red"}`, 200, &red)
	e.MustJSON("POST", "/api/collections/teams/records", "", `{"name": "blue"}`, 200, &blue)

	addr := MustServe(t, e)
	mustTailing(t, dsn)
	c := MustDial(t, addr, e.token)
	for _, bad := range []string{"status =", "nope = 1", "(status = 'a'"} {
		m := c.call(map[string]any{"type": "subscribe", "id": "x", "topic": "docs/*", "filter": bad}, "error")
		if m["id"] != "x" || m["code"] != "invalid" || !strings.Contains(m["message"].(string), "position") {
			t.Errorf("filter %q: %v", bad, m)
		}
	}
	c.call(map[string]any{"type": "subscribe", "id": "x", "topic": "docs/*", "filter": 1}, "error")
	c.call(map[string]any{"type": "subscribe", "id": "x", "topic": "docs/*", "fields": "nope"}, "error")
	c.call(map[string]any{"type": "subscribe", "id": "x", "topic": "docs/*", "fields": 1}, "error")
	c.call(map[string]any{"type": "subscribe", "id": "x", "topic": "docs/*", "expand": "title"}, "error")
	c.call(map[string]any{"type": "subscribe", "id": "pub", "topic": "docs/*", "filter": "status = 'published' && n > 1"}, "ack")
	c.call(map[string]any{"type": "subscribe", "id": "red", "topic": "docs/*", "filter": "team.name = 'red' || title = 'end'"}, "ack")

	post := func(body string) string {
		var r struct{ ID string }
		e.MustJSON("POST", "/api/collections/docs/records", "", body, 200, &r)
		return r.ID
	}
	post(`{"title": "a", "status": "draft", "n": 5}`)
	post(fmt.Sprintf(`{"title": "b", "status": "published", "n": 5, "team": %q}`, red.ID))
	post(fmt.Sprintf(`{"title": "c", "status": "published", "n": 0, "team": %q}`, blue.ID))
	d := post(`{"title": "d", "status": "draft", "n": 2}`)
	e.MustJSON("PATCH", "/api/collections/docs/records/"+d, "", `{"status": "published"}`, 200, nil)
	e.MustJSON("DELETE", "/api/collections/docs/records/"+d, "", "", 204, nil)
	post(`{"title": "end", "status": "published", "n": 9}`)

	var got []string
	for len(got) < 6 {
		m := c.read()
		if m["type"] != "event" {
			t.Fatalf("got %v", m)
		}
		rec, _ := m["record"].(map[string]any)
		got = append(got, fmt.Sprintf("%s %s %s", m["sub"], rec["title"], m["action"]))
	}
	want := []string{"pub b create", "red b create", "pub d enter", "pub d delete", "pub end create", "red end create"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("got  %v\nwant %v", got, want)
	}
	c.call(map[string]any{"type": "ping"}, "pong") // nothing else was sent
}

func TestRealtimeEnterLeave(t *testing.T) {
	var dsn string
	e := MustEnv(t, func(c *server.Config) { c.HTTPAddr = "127.0.0.1:0"; dsn = c.DatabaseURL })
	e.MustJSON("POST", "/api/collections", "", `{"name": "docs", "fields": [
		{"name": "title", "type": "text"}, {"name": "secret", "type": "text"},
		{"name": "status", "type": "select", "values": ["draft", "published"]}, {"name": "team", "type": "text"}]}`, 200, nil)
	e.MustJSON("PUT", "/api/rbac/collections/docs/policies", "", `{"items": [
		{"subject": "guest", "action": "view", "condition": "status = 'published'", "fields": ["title", "status"]}, {"subject": "guest", "action": "list", "condition": "status = 'published'", "fields": ["title", "status"]}]}`, 200, nil)
	addr := MustServe(t, e)
	mustTailing(t, dsn)
	guest := MustDial(t, addr, "")
	guest.call(map[string]any{"type": "subscribe", "id": "d", "topic": "docs/*"}, "ack")
	super := MustDial(t, addr, e.token)
	super.call(map[string]any{"type": "subscribe", "id": "red", "topic": "docs/*", "filter": "team = 'red'"}, "ack")

	var d struct{ ID string }
	e.MustJSON("POST", "/api/collections/docs/records", "", `{"title": "a", "secret": "s", "status": "draft", "team": "blue"}`, 200, &d)
	patch := func(body string) {
		e.MustJSON("PATCH", "/api/collections/docs/records/"+d.ID, "", body, 200, nil)
	}
	patch(`{"title": "b"}`)                    // a draft stays a draft
	patch(`{"status": "published"}`)           // guest: enter
	patch(`{"status": "draft", "title": "c"}`) // guest: leave (as it was: b, published)
	patch(`{"title": "d"}`)                    // a draft stays a draft
	patch(`{"team": "red"}`)                   // red: enter
	patch(`{"title": "e"}`)                    // red: update
	patch(`{"team": "blue", "title": "f"}`)    // red: leave (as it was: e, red)
	patch(`{"title": "g"}`)                    // not red either way
	e.MustJSON("POST", "/api/collections/docs/records", "", `{"title": "end", "status": "published", "team": "red"}`, 200, nil)

	read := func(c *wsClient) []string {
		t.Helper()
		var out []string
		for {
			m := c.read()
			if m["type"] != "event" {
				t.Fatalf("got %v", m)
			}
			rec, _ := m["record"].(map[string]any)
			keys := make([]string, 0, len(rec))
			for k := range rec {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			out = append(out, fmt.Sprintf("%s %s %v %v %v %v", m["sub"], m["action"], rec["title"], rec["status"], rec["team"], keys))
			if rec["title"] == "end" {
				c.call(map[string]any{"type": "ping"}, "pong") // nothing else was sent
				return out
			}
		}
	}
	guestWant := []string{
		"d enter b published <nil> [collectionId collectionName id status title]",
		"d leave b published <nil> [collectionId collectionName id status title]",
		"d create end published <nil> [collectionId collectionName id status title]",
	}
	if got := read(guest); strings.Join(got, "\n") != strings.Join(guestWant, "\n") {
		t.Errorf("guest got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(guestWant, "\n"))
	}
	var superGot []string
	for _, ev := range read(super) {
		superGot = append(superGot, strings.Join(strings.Fields(ev)[:5], " "))
	}
	superWant := []string{"red enter d draft red", "red update e draft red", "red leave e draft red", "red create end published red"}
	if strings.Join(superGot, ",") != strings.Join(superWant, ",") {
		t.Errorf("superuser got %v\nwant %v", superGot, superWant)
	}
}

func TestRealtimeResume(t *testing.T) {
	var dsn string
	e := MustEnv(t, func(c *server.Config) { c.HTTPAddr = "127.0.0.1:0"; dsn = c.DatabaseURL })
	e.MustJSON("POST", "/api/collections", "", `{"name": "docs", "fields": [{"name": "title", "type": "text"}]}`, 200, nil)
	e.MustJSON("PUT", "/api/rbac/collections/docs/policies", "", `{"items": [
		{"subject": "guest", "action": "view", "condition": "title != 'hidden'"}, {"subject": "guest", "action": "list", "condition": "title != 'hidden'"}]}`, 200, nil)
	post := func(title string) string {
		var r struct{ ID string }
		e.MustJSON("POST", "/api/collections/docs/records", "", fmt.Sprintf(`{"title": %q}`, title), 200, &r)
		return r.ID
	}
	addr := MustServe(t, e)
	conn := mustTailing(t, dsn)

	// A change committed before the subscription is not delivered, even
	// when the tailer has yet to publish it; the ack says where it starts.
	post("early")
	c := MustDial(t, addr, "")
	ack := c.call(map[string]any{"type": "subscribe", "id": "d", "topic": "docs/*"}, "ack")
	acked, _ := ack["seq"].(float64)
	post("a")
	title, _, seen := c.next()
	if title != "a" || acked < 1 || float64(seen) <= acked {
		t.Fatalf("first event %q seq %d after ack %v", title, seen, ack)
	}
	c.conn.Close()

	b := post("b")
	post("hidden")
	e.MustJSON("PATCH", "/api/collections/docs/records/"+b, "", `{"title": "b2"}`, 200, nil)
	post("c")

	c = MustDial(t, addr, "")
	c.call(map[string]any{"type": "subscribe", "id": "d", "topic": "docs/*", "since": seen}, "ack")
	if got := c.until("c"); strings.Join(got, ",") != "b create,b2 update,c create" {
		t.Fatalf("replayed %v", got)
	}
	// Writes racing with a resumed subscription arrive once each, in order.
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 20 {
			post(fmt.Sprintf("w%02d", i))
		}
		post("end")
	}()
	c2 := MustDial(t, addr, "")
	c2.call(map[string]any{"type": "subscribe", "id": "d", "topic": "docs/*", "since": seen}, "ack")
	got1, got2 := c.until("end"), c2.until("end")
	<-done
	if len(got1) != 21 {
		t.Errorf("live client got %v", got1)
	}
	if want := append([]string{"b create", "b2 update", "c create"}, got1...); strings.Join(got2, ",") != strings.Join(want, ",") {
		t.Errorf("resumed client got %v\nwant %v", got2, want)
	}
	c2.call(map[string]any{"type": "ping"}, "pong")

	// Past the retained window: resync.
	if _, err := conn.Exec(context.Background(), "DELETE FROM _events WHERE seq <= $1", seen+1); err != nil {
		t.Fatal(err)
	}
	for _, since := range []int64{0, seen - 1} {
		m := c2.call(map[string]any{"type": "subscribe", "id": "r", "topic": "docs/*", "since": since}, "error")
		if m["code"] != "resync" || m["id"] != "r" || !strings.Contains(m["message"].(string), "refetch") {
			t.Errorf("since %d: %v", since, m)
		}
	}
	if m := c2.call(map[string]any{"type": "subscribe", "id": "r", "topic": "docs/*", "since": 1 << 40}, "error"); m["code"] != "resync" {
		t.Errorf("since ahead of the log: %v", m)
	}
	c2.call(map[string]any{"type": "subscribe", "id": "r", "topic": "docs/*", "since": seen + 1}, "ack")
	if got := c2.until("c"); strings.Join(got, ",") != "b2 update,c create" {
		t.Errorf("replayed after the pruned seqs: %v", got)
	}

	// A failed auth leaves the connection a guest, not what it was before.
	su := MustDial(t, addr, e.token)
	if m := su.call(map[string]any{"type": "auth", "id": "x", "token": "forged"}, "error"); m["code"] != "unauthorized" {
		t.Errorf("forged token: %v", m)
	}
	su.call(map[string]any{"type": "subscribe", "id": "d", "topic": "docs/*"}, "ack")
	post("hidden")
	post("last")
	if got := su.until("last"); strings.Join(got, ",") != "last create" {
		t.Errorf("after a failed auth got %v", got)
	}
}

// mustTailing waits until the server listens on dsn (its tailer starts
// after the events committed before) and returns a connection to dsn.
func mustTailing(t *testing.T, dsn string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		var n int
		if err := conn.QueryRow(context.Background(), "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1", postgres.ListenerName).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			return conn
		}
		if time.Now().After(deadline) {
			t.Fatal("the server does not listen")
		}
	}
}

func TestRealtimeFieldsExpand(t *testing.T) {
	e := MustEnv(t, func(c *server.Config) { c.HTTPAddr = "127.0.0.1:0" })
	e.MustJSON("POST", "/api/collections", "", `{"name": "members", "type": "auth", "fields": [{"name": "name", "type": "text"}]}`, 200, nil)
	e.MustJSON("POST", "/api/collections", "", `{"name": "teams", "fields": [{"name": "name", "type": "text"}, {"name": "secret", "type": "text"}]}`, 200, nil)
	e.MustJSON("POST", "/api/collections", "", `{"name": "docs", "fields": [
		{"name": "title", "type": "text"}, {"name": "body", "type": "text"},
		{"name": "team", "type": "relation", "collectionId": "teams"}]}`, 200, nil)
	for _, role := range []string{"reader", "outsider"} {
		e.MustJSON("POST", "/api/rbac/roles", "", fmt.Sprintf(`{"name": %q}`, role), 200, nil)
	}
	e.MustJSON("PUT", "/api/rbac/collections/docs/policies", "", `{"items": [
		{"subject": "reader", "action": "view"}, {"subject": "reader", "action": "list"}, {"subject": "outsider", "action": "view", "fields": ["title", "team"]}, {"subject": "outsider", "action": "list", "fields": ["title", "team"]}]}`, 200, nil)
	e.MustJSON("PUT", "/api/rbac/collections/teams/policies", "", `{"items": [
		{"subject": "reader", "action": "view", "fields": ["name"]}, {"subject": "reader", "action": "list", "fields": ["name"]}]}`, 200, nil)
	token := func(name, role string) string {
		var u struct{ ID string }
		e.MustJSON("POST", "/api/collections/members/records", "", fmt.Sprintf(`{"email": "%s@example.com", "password": "password-of-%s"}`, name, name), 200, &u)
		e.MustJSON("POST", "/api/rbac/assignments", "", fmt.Sprintf(`{"collection": "members", "id": %q, "role": %q}`, u.ID, role), 200, nil)
		var auth struct{ Token string }
		e.MustJSON("POST", "/api/collections/members/auth-with-password", "-", fmt.Sprintf(`{"identity": "%s@example.com", "password": "password-of-%s"}`, name, name), 200, &auth)
		return auth.Token
	}
	var red struct{ ID string }
	e.MustJSON("POST", "/api/collections/teams/records", "", `{"name": "red", "secret": "s"}`, 200, &red)

	addr := MustServe(t, e)
	super := MustDial(t, addr, e.token)
	reader := MustDial(t, addr, token("alice", "reader"))
	outsider := MustDial(t, addr, token("bob", "outsider"))
	for _, bad := range []map[string]any{
		{"type": "subscribe", "id": "x", "topic": "docs/*", "fields": "body"}, // not readable by bob
		{"type": "subscribe", "id": "x", "topic": "docs/*", "expand": "title"},
		{"type": "subscribe", "id": "x", "topic": "docs/*", "expand": "nope"},
		{"type": "subscribe", "id": "x", "topic": "docs/*", "expand": 7},
	} {
		if m := outsider.call(bad, "error"); m["code"] != "invalid" {
			t.Errorf("%v: %v", bad, m)
		}
	}
	super.call(map[string]any{"type": "subscribe", "id": "short", "topic": "docs/*", "fields": "title,expand.team.name", "expand": "team"}, "ack")
	super.call(map[string]any{"type": "subscribe", "id": "full", "topic": "docs/*", "expand": "team"}, "ack")
	reader.call(map[string]any{"type": "subscribe", "id": "r", "topic": "docs/*", "expand": "team"}, "ack")
	outsider.call(map[string]any{"type": "subscribe", "id": "o", "topic": "docs/*", "expand": "team"}, "ack")

	e.MustJSON("POST", "/api/collections/docs/records", "", fmt.Sprintf(`{"title": "t", "body": "b", "team": %q}`, red.ID), 200, nil)
	shape := func(c *wsClient) string {
		m := c.read()
		rec, _ := m["record"].(map[string]any)
		delete(rec, "id")
		delete(rec, "created")
		delete(rec, "updated")
		if ex, ok := rec["expand"].(map[string]any); ok {
			if team, ok := ex["team"].(map[string]any); ok {
				delete(team, "id")
				delete(team, "created")
				delete(team, "updated")
			}
		}
		delete(rec, "team")
		return fmt.Sprintf("%s %s %v", m["sub"], m["action"], rec)
	}
	for _, tc := range []struct {
		c    *wsClient
		want []string
	}{
		{super, []string{
			"full create map[body:b collectionId:" + collectionID(t, e, "docs") + " collectionName:docs expand:map[team:map[collectionId:" + collectionID(t, e, "teams") + " collectionName:teams name:red secret:s]] title:t]",
			"short create map[expand:map[team:map[name:red]] title:t]",
		}},
		{reader, []string{"r create map[body:b collectionId:" + collectionID(t, e, "docs") + " collectionName:docs expand:map[team:map[collectionId:" + collectionID(t, e, "teams") + " collectionName:teams name:red]] title:t]"}},
		{outsider, []string{"o create map[collectionId:" + collectionID(t, e, "docs") + " collectionName:docs title:t]"}},
	} {
		var got []string
		for range tc.want {
			got = append(got, shape(tc.c))
		}
		sort.Strings(got)
		if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
			t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
		}
	}
}

func collectionID(t *testing.T, e *env, name string) string {
	t.Helper()
	var c struct{ ID string }
	e.MustJSON("GET", "/api/collections/"+name, "", "", 200, &c)
	return c.ID
}

// TestRealtimeTokenExpiry: when the token of a WebSocket connection
// expires, the connection is told and goes on as a guest.
func TestRealtimeTokenExpiry(t *testing.T) {
	e := MustEnv(t, func(c *server.Config) { c.HTTPAddr = "127.0.0.1:0" })
	e.MustJSON("POST", "/api/collections", "", `{"name": "members", "type": "auth", "fields": [{"name": "name", "type": "text"}]}`, 200, nil)
	e.MustJSON("POST", "/api/collections", "", `{"name": "docs", "fields": [{"name": "title", "type": "text"}],
		"viewRule": "@request.auth.id != '' || title = 'public'", "listRule": "@request.auth.id != '' || title = 'public'"}`, 200, nil)
	var alice struct{ ID string }
	e.MustJSON("POST", "/api/collections/members/records", "", `{"email": "alice@example.com", "password": "password-of-alice"}`, 200, &alice)
	var short struct{ Token string }
	// Three seconds: a token's times are whole seconds, so it is valid for
	// at least two more when the dial below presents it.
	e.MustJSON("POST", "/api/collections/members/impersonate/"+alice.ID, "", `{"duration": 3}`, 200, &short)

	addr := MustServe(t, e)
	c := MustDial(t, addr, short.Token) // accepted: the token is valid now
	c.call(map[string]any{"type": "subscribe", "id": "d", "topic": "docs/*"}, "ack")
	m := c.read() // the token expires within three seconds
	if m["type"] != "error" || m["code"] != "unauthorized" || !strings.Contains(m["message"].(string), "guest") {
		t.Fatalf("at expiry got %v", m)
	}
	e.MustJSON("POST", "/api/collections/docs/records", "", `{"title": "for members"}`, 200, nil)
	e.MustJSON("POST", "/api/collections/docs/records", "", `{"title": "public"}`, 200, nil)
	if title, _, _ := c.next(); title != "public" {
		t.Errorf("after expiry got %q, want only what guests see", title)
	}
}

// TestRealtimeMatchesREST: over the access world of the REST matrix, every
// event a subscriber receives carries exactly the record a REST view (with
// the same expand) gives that caller — before the change for deletes and
// leaves, after it otherwise — and a caller that can view the record
// neither before nor after gets nothing.
func TestRealtimeMatchesREST(t *testing.T) {
	w := MustAccessWorld(t, func(c *server.Config) { c.HTTPAddr = "127.0.0.1:0" })
	addr := MustServe(t, w.env)
	callers := []string{"superuser", "guest", "alice", "bob", "carol"}
	token := func(who string) string {
		switch who {
		case "superuser":
			return ""
		case "guest":
			return "-"
		}
		return w.tokens[who]
	}
	clients := map[string]*wsClient{}
	for _, who := range callers {
		tok := map[string]string{"superuser": w.token, "guest": ""}[who]
		if tok == "" && who != "guest" {
			tok = w.tokens[who]
		}
		c := MustDial(t, addr, tok)
		c.call(map[string]any{"type": "subscribe", "id": "docs", "topic": "docs/*", "expand": "owner"}, "ack")
		c.call(map[string]any{"type": "subscribe", "id": "notes", "topic": "notes/*"}, "ack")
		clients[who] = c
	}
	// view returns the record as who sees it through REST, nil for a 404.
	view := func(who, id string) map[string]any {
		status, body := w.Do("GET", "/api/collections/docs/records/"+id+"?expand=owner", token(who), "")
		if status == 404 {
			return nil
		}
		var rec map[string]any
		if status != 200 || json.Unmarshal([]byte(body), &rec) != nil {
			t.Fatalf("view %s as %s: %d %s", id, who, status, body)
		}
		return rec
	}
	marker := 0
	step := func(name, method, id, body string) {
		t.Helper()
		before := map[string]map[string]any{}
		if id != "" {
			for _, who := range callers {
				before[who] = view(who, id)
			}
		}
		url := "/api/collections/docs/records"
		if id != "" {
			url += "/" + id
		}
		status, out := w.Do(method, url, "", body)
		if status != 200 && status != 204 {
			t.Fatalf("%s: %d %s", name, status, out)
		}
		if id == "" {
			var rec struct{ ID string }
			json.Unmarshal([]byte(out), &rec) //nolint:errcheck // checked by the views below
			id = rec.ID
		}
		marker++
		end := fmt.Sprintf("end %d", marker)
		w.MustJSON("POST", "/api/collections/notes/records", "", `{"text": "`+end+`"}`, 200, nil)
		for _, who := range callers {
			pre, post := before[who], map[string]any(nil)
			if method != "DELETE" {
				post = view(who, id)
			}
			var want []string
			switch {
			case method == "POST" && post != nil:
				want = append(want, "create "+jsonOf(post))
			case method == "PATCH" && pre != nil && post != nil:
				want = append(want, "update "+jsonOf(post))
			case method == "PATCH" && post != nil:
				want = append(want, "enter "+jsonOf(post))
			case method == "PATCH" && pre != nil:
				want = append(want, "leave "+jsonOf(pre))
			case method == "DELETE" && pre != nil:
				want = append(want, "delete "+jsonOf(pre))
			}
			var got []string
			for {
				m := clients[who].read()
				rec, _ := m["record"].(map[string]any)
				if m["sub"] == "notes" {
					if rec["text"] == end {
						break
					}
					continue
				}
				got = append(got, fmt.Sprintf("%s %s", m["action"], jsonOf(rec)))
			}
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("%s, as %s:\ngot  %v\nwant %v", name, who, got, want)
			}
		}
	}
	step("create d5", "POST", "", fmt.Sprintf(`{"title": "d5", "secret": "s5", "status": "published", "team": "red", "owner": %q}`, w.users["alice"]))
	var d5 struct{ Items []struct{ ID string } }
	w.MustJSON("GET", "/api/collections/docs/records?filter="+q("title = 'd5'"), "", "", 200, &d5)
	step("d5 becomes a draft", "PATCH", d5.Items[0].ID, `{"status": "draft"}`)
	step("d3 moves to team red", "PATCH", w.docs["d3"], `{"team": "red"}`)
	step("d1 gets a new secret", "PATCH", w.docs["d1"], `{"secret": "changed"}`)
	step("d5 is deleted", "DELETE", d5.Items[0].ID, "")
	step("d1 is deleted", "DELETE", w.docs["d1"], "")
}

func jsonOf(v any) string {
	b, _ := json.Marshal(v) // maps marshal with sorted keys
	return string(b)
}

// mustRecordChangeWorld makes the auth collection members with alice (name
// "alice") and docs, which a member sees when the title is its name or
// contains "public"; it returns alice's id and token.
func mustRecordChangeWorld(t *testing.T) (e *env, alice, token string) {
	e = MustEnv(t, func(c *server.Config) { c.HTTPAddr = "127.0.0.1:0" })
	e.MustJSON("POST", "/api/collections", "", `{"name": "members", "type": "auth", "fields": [{"name": "name", "type": "text"}]}`, 200, nil)
	e.MustJSON("POST", "/api/collections", "", `{"name": "docs", "fields": [{"name": "title", "type": "text"}],
		"viewRule": "title = @request.auth.name || title ~ 'public'", "listRule": "title = @request.auth.name || title ~ 'public'"}`, 200, nil)
	var rec struct{ ID string }
	e.MustJSON("POST", "/api/collections/members/records", "", `{"email": "alice@example.com", "name": "alice", "password": "password-of-alice"}`, 200, &rec)
	var auth struct{ Token string }
	e.MustJSON("POST", "/api/collections/members/auth-with-password", "-", `{"identity": "alice@example.com", "password": "password-of-alice"}`, 200, &auth)
	return e, rec.ID, auth.Token
}

// TestRealtimeRecordChange: a WebSocket connection follows changes of its
// auth record at once, not at the next periodic check: a new name is what
// @request.auth.name means from then on, and a new password (a new token
// key) turns the connection into a guest.
func TestRealtimeRecordChange(t *testing.T) {
	e, alice, token := mustRecordChangeWorld(t)

	addr := MustServe(t, e)
	c := MustDial(t, addr, token)
	c.call(map[string]any{"type": "subscribe", "id": "d", "topic": "docs/*"}, "ack")
	// sees writes a doc titled title and one titled public-<round>, and
	// reports whether the first reached the connection (events come in
	// commit order, so it would come before the second).
	round := 0
	sees := func(title string) bool {
		round++
		public := fmt.Sprintf("public-%d", round)
		e.MustJSON("POST", "/api/collections/docs/records", "", `{"title": "`+title+`"}`, 200, nil)
		e.MustJSON("POST", "/api/collections/docs/records", "", `{"title": "`+public+`"}`, 200, nil)
		seen := false
		for {
			got, _, _ := c.next()
			if got == public {
				return seen
			}
			seen = seen || got == title
		}
	}

	e.MustJSON("PATCH", "/api/collections/members/records/"+alice, "", `{"name": "ally"}`, 200, nil)
	// The rename reaches the connection on a goroutine of its own: the
	// first round may still see the old name.
	for !sees("ally") {
		if round == 100 {
			t.Fatal("the new name never counted")
		}
	}

	e.MustJSON("PATCH", "/api/collections/members/records/"+alice, "", `{"password": "another password", "passwordConfirm": "another password"}`, 200, nil)
	m := c.read() // at once: the periodic check is a minute away
	if m["type"] != "error" || m["code"] != "unauthorized" {
		t.Fatalf("after the password change got %v", m)
	}
	if sees("ally") {
		t.Error("as a guest it still sees what its record may see")
	}
}
