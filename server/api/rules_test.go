package api_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/lumbunghq/lumbung/server"
)

// ruleUsers creates the auth collection members (with a team relation to
// teams) and n members named m1..mn, all in team t1 unless teams says
// otherwise, and returns their ids and tokens.
func ruleUsers(t *testing.T, e *env, n int) (ids, tokens []string) {
	t.Helper()
	e.MustJSON("POST", "/api/collections", "", `{"name": "teams", "fields": [{"name": "name", "type": "text"}], "listRule": "", "viewRule": ""}`, 200, nil)
	e.MustJSON("POST", "/api/collections/teams/records", "", `{"id": "t1aaaaaaaaaaaaa", "name": "admins"}`, 200, nil)
	e.MustJSON("POST", "/api/collections/teams/records", "", `{"id": "t2aaaaaaaaaaaaa", "name": "guests"}`, 200, nil)
	var teams struct{ ID string }
	e.MustJSON("GET", "/api/collections/teams", "", "", 200, &teams)
	e.MustJSON("POST", "/api/collections", "", fmt.Sprintf(`{"name": "members", "type": "auth", "listRule": "", "viewRule": "",
		"fields": [{"name": "name", "type": "text"}, {"name": "team", "type": "relation", "collectionId": %q, "maxSelect": 1}]}`, teams.ID), 200, nil)
	for i := 1; i <= n; i++ {
		team := "t1aaaaaaaaaaaaa"
		if i%2 == 0 {
			team = "t2aaaaaaaaaaaaa"
		}
		var rec struct{ ID string }
		e.MustJSON("POST", "/api/collections/members/records", "", fmt.Sprintf(`{"email": "m%d@example.com", "password": "password-%d", "name": "m%d", "team": %q}`, i, i, i, team), 200, &rec)
		ids = append(ids, rec.ID)
		tokens = append(tokens, MustSignIn(t, e, "members", fmt.Sprintf("m%d@example.com", i), fmt.Sprintf("password-%d", i)))
	}
	return ids, tokens
}

// TestRequestRules runs rules that read the request: the body of creates
// and updates (before defaults), the query, headers, method and context,
// and the caller's relations.
func TestRequestRules(t *testing.T) {
	t.Parallel()
	e := MustEnv(t)
	ids, tokens := ruleUsers(t, e, 2)
	var members struct{ ID string }
	e.MustJSON("GET", "/api/collections/members", "", "", 200, &members)
	rules := map[string]string{
		"listRule":   `owner = @request.auth.id || @request.query.preview = 'yes' || @request.auth.team.name = 'admins'`,
		"viewRule":   `owner = @request.auth.id`,
		"createRule": `@request.auth.id != '' && @request.body.owner = @request.auth.id && (@request.body.status:isset = false || @request.body.status = 'draft') && @request.body.tags:each != 'c' && @request.method = 'POST'`,
		"updateRule": `owner = @request.auth.id && @request.body.owner:changed = false && @request.body.views:isset = false`,
		"deleteRule": `owner = @request.auth.id && @request.headers.x_confirm = 'yes'`,
	}
	var b strings.Builder
	for k, v := range rules {
		fmt.Fprintf(&b, "%q: %q, ", k, v)
	}
	e.MustJSON("POST", "/api/collections", "", fmt.Sprintf(`{"name": "posts", %s "fields": [
		{"name": "title", "type": "text"}, {"name": "owner", "type": "relation", "collectionId": %q, "maxSelect": 1},
		{"name": "status", "type": "select", "values": ["draft", "published"]},
		{"name": "tags", "type": "select", "values": ["a", "b", "c"], "maxSelect": 3}, {"name": "views", "type": "number"}]}`,
		b.String(), members.ID), 200, nil)
	e.MustJSON("POST", "/api/collections", "", `{"name": "logs", "fields": [{"name": "text", "type": "text"}],
		"createRule": "@request.context = 'batch' && @request.body.text ~ 'batched'", "listRule": "@request.context = 'default'"}`, 200, nil)
	m1, m2 := ids[0], ids[1]
	var p1 struct{ ID string }
	e.MustJSON("POST", "/api/collections/posts/records", tokens[0], fmt.Sprintf(`{"title": "one", "owner": %q}`, m1), 200, &p1)
	e.MustJSON("POST", "/api/collections/posts/records", tokens[1], fmt.Sprintf(`{"title": "two", "owner": %q, "status": "draft", "tags": ["a", "b"]}`, m2), 200, nil)
	q := url.QueryEscape
	e.Run(t, []scenario{
		{Name: "create for another owner", Method: "POST", URL: "/api/collections/posts/records", Token: tokens[0],
			Body: fmt.Sprintf(`{"title": "x", "owner": %q}`, m2), ExpectedStatus: 400},
		{Name: "create as a guest", Method: "POST", URL: "/api/collections/posts/records", Token: "-",
			Body: fmt.Sprintf(`{"title": "x", "owner": %q}`, m1), ExpectedStatus: 400},
		{Name: "create with a status other than draft", Method: "POST", URL: "/api/collections/posts/records", Token: tokens[0],
			Body: fmt.Sprintf(`{"title": "x", "owner": %q, "status": "published"}`, m1), ExpectedStatus: 400},
		{Name: "create with a forbidden tag", Method: "POST", URL: "/api/collections/posts/records", Token: tokens[0],
			Body: fmt.Sprintf(`{"title": "x", "owner": %q, "tags": ["a", "c"]}`, m1), ExpectedStatus: 400},
		{Name: "create with allowed tags and status", Method: "POST", URL: "/api/collections/posts/records", Token: tokens[0],
			Body: fmt.Sprintf(`{"title": "three", "owner": %q, "tags": ["a", "b"], "status": "draft"}`, m1), ExpectedStatus: 200,
			ExpectedContent: []string{`"title":"three"`}},
		// A failed update rule is PocketBase's 404.
		{Name: "update changing the owner", Method: "PATCH", URL: "/api/collections/posts/records/" + p1.ID, Token: tokens[0],
			Body: fmt.Sprintf(`{"owner": %q}`, m2), ExpectedStatus: 404},
		{Name: "update sending the owner unchanged", Method: "PATCH", URL: "/api/collections/posts/records/" + p1.ID, Token: tokens[0],
			Body: fmt.Sprintf(`{"owner": %q, "title": "one b"}`, m1), ExpectedStatus: 200, ExpectedContent: []string{`"title":"one b"`}},
		{Name: "update sending views", Method: "PATCH", URL: "/api/collections/posts/records/" + p1.ID, Token: tokens[0],
			Body: `{"views": 5}`, ExpectedStatus: 404},
		{Name: "list by the caller's team (admins)", Method: "GET", URL: "/api/collections/posts/records", Token: tokens[0],
			ExpectedStatus: 200, ExpectedContent: []string{`"totalItems":3`}},
		{Name: "list by ownership (team guests)", Method: "GET", URL: "/api/collections/posts/records", Token: tokens[1],
			ExpectedStatus: 200, ExpectedContent: []string{`"totalItems":1`, `"title":"two"`}},
		{Name: "list with the query the rule reads", Method: "GET", URL: "/api/collections/posts/records?preview=yes", Token: tokens[1],
			ExpectedStatus: 200, ExpectedContent: []string{`"totalItems":3`}},
		{Name: "a filter reads the request too", Method: "GET", URL: "/api/collections/posts/records?preview=yes&filter=" + q("@request.query.preview = 'yes' && title = 'two'"),
			Token: tokens[1], ExpectedStatus: 200, ExpectedContent: []string{`"totalItems":1`}},
		{Name: "delete without the header", Method: "DELETE", URL: "/api/collections/posts/records/" + p1.ID, Token: tokens[0], ExpectedStatus: 404},
		{Name: "REST create outside a batch", Method: "POST", URL: "/api/collections/logs/records", Token: "-", Body: `{"text": "batched"}`, ExpectedStatus: 400},
		{Name: "batch create (context batch, body read)", Method: "POST", URL: "/api/batch", Token: "-",
			Body: `{"requests": [{"method": "POST", "url": "/api/collections/logs/records", "body": {"text": "batched one"}}]}`, ExpectedStatus: 200},
		{Name: "batch create whose body fails the rule", Method: "POST", URL: "/api/batch", Token: "-",
			Body: `{"requests": [{"method": "POST", "url": "/api/collections/logs/records", "body": {"text": "plain"}}]}`, ExpectedStatus: 400,
			ExpectedContent: []string{`"status":400`}},
		{Name: "list in the default context", Method: "GET", URL: "/api/collections/logs/records", Token: "-", ExpectedStatus: 200,
			ExpectedContent: []string{`"totalItems":1`, `batched one`}},
	})
	// The header the delete rule reads.
	res, body := e.DoFrom("DELETE", "/api/collections/posts/records/"+p1.ID, tokens[0], "", map[string]string{"X-Confirm": "yes"})
	if res.StatusCode != 204 {
		t.Fatalf("delete with the header: %d %s", res.StatusCode, body)
	}
}

// TestBodyBeforeDefaults reads @request.body as sent: a value the server
// fills in (an autogenerated code) is not in the body.
func TestBodyBeforeDefaults(t *testing.T) {
	t.Parallel()
	e := MustEnv(t)
	e.MustJSON("POST", "/api/collections", "", `{"name": "codes", "fields": [{"name": "code", "type": "text", "autogeneratePattern": "[a-z]{8}"}],
		"createRule": "@request.body.code:isset = false", "updateRule": "@request.body.code:isset = false", "viewRule": ""}`, 200, nil)
	var rec struct{ ID, Code string }
	e.MustJSON("POST", "/api/collections/codes/records", "-", `{}`, 200, &rec)
	if len(rec.Code) != 8 {
		t.Fatalf("code %q not generated", rec.Code)
	}
	e.Run(t, []scenario{
		{Name: "a sent code", Method: "POST", URL: "/api/collections/codes/records", Token: "-", Body: `{"code": "mine"}`, ExpectedStatus: 400},
		{Name: "an update without the code", Method: "PATCH", URL: "/api/collections/codes/records/" + rec.ID, Token: "-", Body: `{}`, ExpectedStatus: 200},
		{Name: "an update sending the code", Method: "PATCH", URL: "/api/collections/codes/records/" + rec.ID, Token: "-", Body: `{"code": "x"}`, ExpectedStatus: 404},
	})
}

// TestListRuleGovernsLists checks PocketBase's split: listRule decides
// list, its filter, sort and fields, and "*" subscriptions; viewRule
// decides a single record and its subscriptions.
func TestListRuleGovernsLists(t *testing.T) {
	t.Parallel()
	e := MustEnv(t, func(c *server.Config) { c.HTTPAddr = "127.0.0.1:0" })
	e.MustJSON("POST", "/api/collections", "", `{"name": "listed", "fields": [{"name": "title", "type": "text"}], "listRule": ""}`, 200, nil)
	e.MustJSON("POST", "/api/collections", "", `{"name": "viewed", "fields": [{"name": "title", "type": "text"}], "viewRule": ""}`, 200, nil)
	var l1, v1 struct{ ID string }
	e.MustJSON("POST", "/api/collections/listed/records", "", `{"title": "x"}`, 200, &l1)
	e.MustJSON("POST", "/api/collections/viewed/records", "", `{"title": "x"}`, 200, &v1)
	q := url.QueryEscape
	e.Run(t, []scenario{
		{Name: "list with filter, sort and fields under a listRule alone", Method: "GET",
			URL: "/api/collections/listed/records?filter=" + q("title = 'x'") + "&sort=-title&fields=id,title", Token: "-",
			ExpectedStatus: 200, ExpectedContent: []string{`"totalItems":1`, `"title":"x"`}},
		{Name: "view without a viewRule", Method: "GET", URL: "/api/collections/listed/records/" + l1.ID, Token: "-", ExpectedStatus: 403},
		{Name: "list without a listRule", Method: "GET", URL: "/api/collections/viewed/records", Token: "-", ExpectedStatus: 403},
		{Name: "view with fields under a viewRule alone", Method: "GET", URL: "/api/collections/viewed/records/" + v1.ID + "?fields=title", Token: "-",
			ExpectedStatus: 200, ExpectedContent: []string{`"title":"x"`}},
	})

	addr := MustServe(t, e)
	guest := MustDial(t, addr, "")
	guest.call(map[string]any{"type": "subscribe", "id": "l", "topic": "listed/*"}, "ack")
	guest.call(map[string]any{"type": "subscribe", "id": "lr", "topic": "listed/" + l1.ID}, "ack")
	guest.call(map[string]any{"type": "subscribe", "id": "v", "topic": "viewed/*"}, "ack")
	guest.call(map[string]any{"type": "subscribe", "id": "vr", "topic": "viewed/" + v1.ID}, "ack")
	e.MustJSON("PATCH", "/api/collections/viewed/records/"+v1.ID, "", `{"title": "v2"}`, 200, nil)
	e.MustJSON("PATCH", "/api/collections/listed/records/"+l1.ID, "", `{"title": "l2"}`, 200, nil)
	e.MustJSON("DELETE", "/api/collections/listed/records/"+l1.ID, "", "", 204, nil)
	got := guest.events(l1.ID)
	want := []string{"vr update v2", "l update l2", "l delete l2"}
	if len(got) != len(want) {
		t.Fatalf("got %d events, want %d:\n%s", len(got), len(want), strings.Join(got, "\n"))
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("event %d = %s, want %s", i, got[i], want[i])
		}
	}
}

// TestRealtimeRelationRule delivers events under a rule that follows a
// relation back to the caller (the REST list answers it in the database;
// realtime used to refuse it as an unknown collection).
func TestRealtimeRelationRule(t *testing.T) {
	t.Parallel()
	e := MustEnv(t, func(c *server.Config) { c.HTTPAddr = "127.0.0.1:0" })
	ids, tokens := ruleUsers(t, e, 2)
	var members, trips struct{ ID string }
	e.MustJSON("GET", "/api/collections/members", "", "", 200, &members)
	e.MustJSON("POST", "/api/collections", "", fmt.Sprintf(`{"name": "trips", "fields": [{"name": "owner", "type": "relation", "collectionId": %q, "maxSelect": 1}],
		"listRule": "owner = @request.auth.id", "viewRule": "owner = @request.auth.id"}`, members.ID), 200, &trips)
	e.MustJSON("POST", "/api/collections", "", fmt.Sprintf(`{"name": "stops", "fields": [{"name": "title", "type": "text"},
		{"name": "trip", "type": "relation", "collectionId": %q, "maxSelect": 1}],
		"listRule": "trip.owner = @request.auth.id && @request.context != 'nope'", "viewRule": "trip.owner = @request.auth.id"}`, trips.ID), 200, nil)
	var mine, theirs struct{ ID string }
	e.MustJSON("POST", "/api/collections/trips/records", "", fmt.Sprintf(`{"owner": %q}`, ids[0]), 200, &mine)
	e.MustJSON("POST", "/api/collections/trips/records", "", fmt.Sprintf(`{"owner": %q}`, ids[1]), 200, &theirs)

	addr := MustServe(t, e)
	c := MustDial(t, addr, tokens[0])
	c.call(map[string]any{"type": "subscribe", "id": "s", "topic": "stops/*"}, "ack")
	for _, s := range []struct{ title, trip string }{{"theirs", theirs.ID}, {"mine", mine.ID}, {"theirs 2", theirs.ID}, {"last", mine.ID}} {
		e.MustJSON("POST", "/api/collections/stops/records", "", fmt.Sprintf(`{"title": %q, "trip": %q}`, s.title, s.trip), 200, nil)
	}
	var got []string
	for len(got) == 0 || !strings.HasPrefix(got[len(got)-1], "s create last") {
		m := c.read()
		rec, _ := m["record"].(map[string]any)
		got = append(got, fmt.Sprintf("%s %s %s", m["sub"], m["action"], rec["title"]))
	}
	if len(got) != 2 || got[0] != "s create mine" {
		t.Fatalf("events %q, want the creates of mine and last", got)
	}
	var page struct{ TotalItems int }
	e.MustJSON("GET", "/api/collections/stops/records", tokens[0], "", 200, &page)
	if page.TotalItems != 2 {
		t.Fatalf("REST list: %d", page.TotalItems)
	}
}

// TestCreateRuleBeforeInsert checks a create rule against the records as
// they are before the insert: a rule that counts rows does not count the
// new one.
func TestCreateRuleBeforeInsert(t *testing.T) {
	t.Parallel()
	e := MustEnv(t)
	ids, tokens := ruleUsers(t, e, 2)
	var members struct{ ID string }
	e.MustJSON("GET", "/api/collections/members", "", "", 200, &members)
	// One slot per member: no slot may already be theirs.
	e.MustJSON("POST", "/api/collections", "", fmt.Sprintf(`{"name": "slots", "fields": [{"name": "owner", "type": "relation", "collectionId": %q, "maxSelect": 1}],
		"createRule": "owner = @request.auth.id && @collection.slots.owner != @request.auth.id", "listRule": ""}`, members.ID), 200, nil)
	body := func(i int) string { return fmt.Sprintf(`{"owner": %q}`, ids[i]) }
	e.Run(t, []scenario{
		{Name: "first slot", Method: "POST", URL: "/api/collections/slots/records", Token: tokens[0], Body: body(0), ExpectedStatus: 200},
		{Name: "second slot of the same member", Method: "POST", URL: "/api/collections/slots/records", Token: tokens[0], Body: body(0), ExpectedStatus: 400},
		{Name: "first slot of another member", Method: "POST", URL: "/api/collections/slots/records", Token: tokens[1], Body: body(1), ExpectedStatus: 200},
		{Name: "nothing else was stored", Method: "GET", URL: "/api/collections/slots/records", Token: "-", ExpectedStatus: 200,
			ExpectedContent: []string{`"totalItems":2`}},
	})
}

// TestMultiRelationThroughHop compares a multi relation reached through a
// hop as PocketBase does: conversation.users ~ @request.auth.id matches the
// JSON text of the list, so each of two members sees the messages.
func TestMultiRelationThroughHop(t *testing.T) {
	t.Parallel()
	e := MustEnv(t)
	ids, tokens := ruleUsers(t, e, 3)
	var members, convs struct{ ID string }
	e.MustJSON("GET", "/api/collections/members", "", "", 200, &members)
	e.MustJSON("POST", "/api/collections", "", fmt.Sprintf(`{"name": "conversations", "fields": [{"name": "users", "type": "relation", "collectionId": %q, "maxSelect": 5}],
		"listRule": "users ~ @request.auth.id", "viewRule": "users ~ @request.auth.id"}`, members.ID), 200, &convs)
	e.MustJSON("POST", "/api/collections", "", fmt.Sprintf(`{"name": "messages", "fields": [{"name": "text", "type": "text"},
		{"name": "conversation", "type": "relation", "collectionId": %q, "maxSelect": 1}],
		"listRule": "conversation.users ~ @request.auth.id"}`, convs.ID), 200, nil)
	var c1 struct{ ID string }
	e.MustJSON("POST", "/api/collections/conversations/records", "", fmt.Sprintf(`{"users": [%q, %q]}`, ids[0], ids[1]), 200, &c1)
	e.MustJSON("POST", "/api/collections/messages/records", "", fmt.Sprintf(`{"text": "hi", "conversation": %q}`, c1.ID), 200, nil)
	q := url.QueryEscape
	e.Run(t, []scenario{
		{Name: "first member", Method: "GET", URL: "/api/collections/messages/records", Token: tokens[0], ExpectedStatus: 200, ExpectedContent: []string{`"totalItems":1`}},
		{Name: "second member", Method: "GET", URL: "/api/collections/messages/records", Token: tokens[1], ExpectedStatus: 200, ExpectedContent: []string{`"totalItems":1`}},
		{Name: "outsider", Method: "GET", URL: "/api/collections/messages/records", Token: tokens[2], ExpectedStatus: 200, ExpectedContent: []string{`"totalItems":0`}},
		{Name: "?= on the list without :each compares its JSON text", Method: "GET", URL: "/api/collections/conversations/records?filter=" + q(fmt.Sprintf("users ?= '%s'", ids[0])),
			ExpectedStatus: 200, ExpectedContent: []string{`"totalItems":0`}},
		{Name: "?= with :each compares the items", Method: "GET", URL: "/api/collections/conversations/records?filter=" + q(fmt.Sprintf("users:each ?= '%s'", ids[0])),
			ExpectedStatus: 200, ExpectedContent: []string{`"totalItems":1`}},
	})
}

// TestDateFilters compares dates with ISO text (T between date and time)
// as instants, and with partial text as PocketBase's date text.
func TestDateFilters(t *testing.T) {
	t.Parallel()
	e := MustEnv(t)
	e.MustJSON("POST", "/api/collections", "", `{"name": "events", "fields": [{"name": "title", "type": "text"}, {"name": "at", "type": "date"}]}`, 200, nil)
	for _, r := range []string{`{"title": "a", "at": "2024-01-15 10:00:00.000Z"}`, `{"title": "b", "at": "2024-01-16 00:00:00.000Z"}`, `{"title": "c"}`} {
		e.MustJSON("POST", "/api/collections/events/records", "", r, 200, nil)
	}
	q := url.QueryEscape
	count := func(filter string, n int) scenario {
		return scenario{Name: filter, Method: "GET", URL: "/api/collections/events/records?filter=" + q(filter), ExpectedStatus: 200,
			ExpectedContent: []string{fmt.Sprintf(`"totalItems":%d`, n)}}
	}
	e.Run(t, []scenario{
		count(`at > '2024-01-15T00:00:00Z'`, 2),
		count(`at = '2024-01-15T10:00:00.000Z'`, 1),
		count(`at >= '2024-01-15T10:00:00.000+02:00'`, 2),
		count(`at ~ '2024-01-1'`, 2),
		count(`at ~ '-16 '`, 1),
		count(`at >= '2024-01-16'`, 1),
		count(`at = ''`, 1),
		count(`strftime('%Y-%m', at) = '2024-01'`, 2),
		count(`strftime('%d', at, '+1 day') = '17'`, 1),
	})
}

// TestContextRules reads @request.context in an authRule: signing in with
// a password is context password, refreshing a token is default.
func TestContextRules(t *testing.T) {
	t.Parallel()
	e := MustEnv(t)
	e.MustJSON("POST", "/api/collections", "", `{"name": "agents", "type": "auth", "authRule": "@request.context = 'password' || @request.context = 'oauth2'"}`, 200, nil)
	e.MustJSON("POST", "/api/collections/agents/records", "", `{"email": "a@example.com", "password": "password-of-a"}`, 200, nil)
	token := MustSignIn(t, e, "agents", "a@example.com", "password-of-a")
	e.Run(t, []scenario{
		{Name: "refresh is not a password sign-in", Method: "POST", URL: "/api/collections/agents/auth-refresh", Token: token, ExpectedStatus: 403},
	})
	e.MustJSON("PATCH", "/api/collections/agents", "", `{"authRule": "@request.context = 'default'"}`, 200, nil)
	e.Run(t, []scenario{
		{Name: "password sign-in in another context", Method: "POST", URL: "/api/collections/agents/auth-with-password", Token: "-",
			Body: `{"identity": "a@example.com", "password": "password-of-a"}`, ExpectedStatus: 403},
		{Name: "refresh in the default context", Method: "POST", URL: "/api/collections/agents/auth-refresh", Token: token, ExpectedStatus: 200},
	})
}

// TestRealtimeRequestRules reads a subscription's query and headers and
// the realtime context in the rules that decide its events.
func TestRealtimeRequestRules(t *testing.T) {
	t.Parallel()
	e := MustEnv(t, func(c *server.Config) { c.HTTPAddr = "127.0.0.1:0" })
	e.MustJSON("POST", "/api/collections", "", `{"name": "rooms", "fields": [{"name": "room", "type": "text"}],
		"listRule": "room = @request.query.room && @request.headers.x_client = 'app' && @request.context = 'realtime' && @request.method = 'GET'",
		"viewRule": "@request.context = 'realtime' && room = 'b'"}`, 200, nil)
	addr := MustServe(t, e)
	a := MustDial(t, addr, "")
	a.call(map[string]any{"type": "subscribe", "id": "a", "topic": "rooms/*", "query": map[string]any{"room": "a"}, "headers": map[string]any{"X-Client": "app"}}, "ack")
	b := MustDial(t, addr, "")
	b.call(map[string]any{"type": "subscribe", "id": "b", "topic": "rooms/*", "query": map[string]any{"room": "b"}}, "ack")
	for _, r := range []string{"a", "b", "a"} {
		e.MustJSON("POST", "/api/collections/rooms/records", "", fmt.Sprintf(`{"room": %q}`, r), 200, nil)
	}
	var last struct{ ID string }
	e.MustJSON("POST", "/api/collections/rooms/records", "", `{"room": "b"}`, 200, &last)
	b.call(map[string]any{"type": "subscribe", "id": "one", "topic": "rooms/" + last.ID}, "ack")
	e.MustJSON("PATCH", "/api/collections/rooms/records/"+last.ID, "", `{"room": "b"}`, 200, nil)
	e.MustJSON("POST", "/api/collections/rooms/records", "", `{"room": "a"}`, 200, nil)
	var got []string
	for len(got) < 3 {
		m := a.read()
		rec, _ := m["record"].(map[string]any)
		got = append(got, fmt.Sprintf("%s %s %s", m["sub"], m["action"], rec["room"]))
	}
	if strings.Join(got, ",") != "a create a,a create a,a create a" {
		t.Fatalf("room a got %q", got)
	}
	// Room b's subscription lacks the header: only the single record's
	// subscription (viewRule) delivers.
	if m := b.read(); m["sub"] != "one" || m["action"] != "update" {
		t.Fatalf("room b got %v", m)
	}
	e.Run(t, []scenario{
		{Name: "the REST list is not the realtime context", Method: "GET", URL: "/api/collections/rooms/records?room=a", Token: "-", ExpectedStatus: 200,
			ExpectedContent: []string{`"totalItems":0`}},
	})
}

// TestRealtimeSSEOptions reads the query and headers of the SDK's
// subscription options (SSE) in the rule of its events.
func TestRealtimeSSEOptions(t *testing.T) {
	t.Parallel()
	e := MustEnv(t, func(c *server.Config) { c.HTTPAddr = "127.0.0.1:0" })
	e.MustJSON("POST", "/api/collections", "", `{"name": "rooms", "fields": [{"name": "title", "type": "text"}],
		"listRule": "title = @request.query.room && @request.headers.x_client = 'app'"}`, 200, nil)
	addr := MustServe(t, e)
	s := MustStream(t, addr)
	opts := url.QueryEscape(`{"query": {"room": "a"}, "headers": {"x_client": "app"}}`)
	if got := s.subscribe("", s.id, "rooms/*?options="+opts); got != 204 {
		t.Fatalf("subscribe: %d", got)
	}
	var a struct{ ID string }
	e.MustJSON("POST", "/api/collections/rooms/records", "", `{"title": "b"}`, 200, nil)
	e.MustJSON("POST", "/api/collections/rooms/records", "", `{"title": "a"}`, 200, &a)
	e.MustJSON("DELETE", "/api/collections/rooms/records/"+a.ID, "", "", 204, nil)
	if got := strings.Join(s.until(a.ID), ","); got != "rooms/*?options="+opts+" create a,rooms/*?options="+opts+" delete a" {
		t.Fatalf("events %s", got)
	}
}
