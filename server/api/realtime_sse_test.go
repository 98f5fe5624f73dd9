package api_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/lumbunghq/lumbung/server"
)

// sseEvent is one Server-Sent Event.
type sseEvent struct {
	ID, Event, Data string
}

// sseStream is a realtime test client on the PocketBase transport.
type sseStream struct {
	tb     testing.TB
	addr   string
	id     string
	events chan sseEvent
}

func MustStream(tb testing.TB, addr string) *sseStream {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", "http://"+addr+"/api/realtime", nil)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		tb.Fatalf("connect: %v", err)
	}
	tb.Cleanup(func() { cancel(); res.Body.Close() })
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
		tb.Fatalf("connect: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	s := &sseStream{tb: tb, addr: addr, events: make(chan sseEvent, 100)}
	go func() {
		defer close(s.events)
		sc := bufio.NewScanner(res.Body)
		var ev sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if ev.Event != "" {
					s.events <- ev
				}
				ev = sseEvent{}
			case strings.HasPrefix(line, ":"):
			default:
				k, v, _ := strings.Cut(line, ":")
				switch k {
				case "id":
					ev.ID = v
				case "event":
					ev.Event = v
				case "data":
					ev.Data = v
				}
			}
		}
	}()
	first := s.next()
	var data struct{ ClientID string }
	json.Unmarshal([]byte(first.Data), &data) //nolint:errcheck // checked below
	if first.Event != "PB_CONNECT" || first.ID == "" || data.ClientID != first.ID {
		tb.Fatalf("first event %+v", first)
	}
	s.id = first.ID
	return s
}

func (s *sseStream) next() sseEvent {
	s.tb.Helper()
	select {
	case ev, ok := <-s.events:
		if !ok {
			s.tb.Fatal("the stream ended")
		}
		return ev
	case <-time.After(10 * time.Second):
		s.tb.Fatal("no event within 10s")
	}
	return sseEvent{}
}

// subscribe posts the subscriptions as token and returns the status.
func (s *sseStream) subscribe(token, clientID string, topics ...string) int {
	s.tb.Helper()
	b, _ := json.Marshal(map[string]any{"clientId": clientID, "subscriptions": topics})
	req, _ := http.NewRequest("POST", "http://"+s.addr+"/api/realtime", strings.NewReader(string(b)))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		s.tb.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

// until reads events until one for record id last with action "delete".
func (s *sseStream) until(last string) []string {
	s.tb.Helper()
	var out []string
	for {
		ev := s.next()
		var m struct {
			Action string
			Record map[string]any
		}
		if err := json.Unmarshal([]byte(ev.Data), &m); err != nil {
			s.tb.Fatalf("event %+v: %v", ev, err)
		}
		out = append(out, fmt.Sprintf("%s %s %v", ev.Event, m.Action, m.Record["title"]))
		if m.Record["id"] == last && m.Action == "delete" {
			return out
		}
	}
}

func TestRealtimeSSE(t *testing.T) {
	e := MustEnv(t, func(c *server.Config) { c.HTTPAddr = "127.0.0.1:0" })
	e.MustJSON("POST", "/api/collections", "", `{"name": "members", "type": "auth", "fields": [{"name": "name", "type": "text"}]}`, 200, nil)
	e.MustJSON("POST", "/api/collections", "", `{"name": "docs", "fields": [{"name": "title", "type": "text"}]}`, 200, nil)
	e.MustJSON("POST", "/api/collections", "", `{"name": "open", "fields": [{"name": "title", "type": "text"}]}`, 200, nil)
	e.MustJSON("PUT", "/api/rbac/collections/open/policies", "", `{"items": [{"subject": "guest", "action": "view", "fields": ["title"]}, {"subject": "guest", "action": "list", "fields": ["title"]}]}`, 200, nil)
	var alice struct{ ID string }
	e.MustJSON("POST", "/api/collections/members/records", "", `{"email": "alice@example.com", "password": "password-of-alice", "name": "alice"}`, 200, &alice)
	var auth struct{ Token string }
	e.MustJSON("POST", "/api/collections/members/auth-with-password", "-", `{"identity": "alice@example.com", "password": "password-of-alice"}`, 200, &auth)

	addr := MustServe(t, e)
	super := MustStream(t, addr)
	guest := MustStream(t, addr)

	if got := super.subscribe(e.token, "nope", "docs/*"); got != 404 {
		t.Errorf("unknown client: %d, want 404", got)
	}
	opts := `docs/*?options=` + `%7B%22query%22%3A%7B%22fields%22%3A%22id%2Ctitle%22%7D%7D`
	for _, bad := range []string{`%7B%22query%22%3A%7B%22expand%22%3A%22x%22%7D%7D`, `%7Bnope`, `%7B%22query%22%3A%7B%22filter%22%3A1%7D%7D`} {
		if got := super.subscribe(e.token, super.id, "docs/*", "docs/*?options="+bad); got != 400 {
			t.Errorf("options %s: %d, want 400", bad, got)
		}
	}
	if got := super.subscribe(e.token, super.id, "docs/*", opts, "missing/*", "bad"); got != 204 {
		t.Fatalf("subscribe: %d, want 204", got)
	}
	if got := super.subscribe(auth.Token, super.id, "docs/*"); got != 403 {
		t.Errorf("another user: %d, want 403", got)
	}
	if got := super.subscribe("", super.id, "docs/*"); got != 403 {
		t.Errorf("a guest after a user: %d, want 403", got)
	}
	if got := guest.subscribe("", guest.id, "docs/*", "open/*"); got != 204 {
		t.Fatalf("guest subscribe: %d, want 204", got)
	}

	var d1, o1 struct{ ID string }
	e.MustJSON("POST", "/api/collections/docs/records", "", `{"title": "d1"}`, 200, &d1)
	e.MustJSON("PATCH", "/api/collections/docs/records/"+d1.ID, "", `{"title": "d1b"}`, 200, nil)
	e.MustJSON("DELETE", "/api/collections/docs/records/"+d1.ID, "", "", 204, nil)
	e.MustJSON("POST", "/api/collections/open/records", "", `{"title": "o1"}`, 200, &o1)
	e.MustJSON("DELETE", "/api/collections/open/records/"+o1.ID, "", "", 204, nil)

	events := super.until(d1.ID)
	if ev := super.next(); ev.Event != opts || !strings.Contains(ev.Data, `"action":"delete"`) {
		t.Errorf("second delete: %+v", ev)
	}
	got := strings.Join(events, "\n")
	want := strings.Join([]string{
		"docs/* create d1", opts + " create d1",
		"docs/* update d1b", opts + " update d1b",
		"docs/* delete d1b",
	}, "\n")
	if got != want {
		t.Errorf("superuser got\n%s\nwant\n%s", got, want)
	}
	// The guest may not view docs: its first events are those of "open".
	if got, want := strings.Join(guest.until(o1.ID), "\n"), "open/* create o1\nopen/* delete o1"; got != want {
		t.Errorf("guest got\n%s\nwant\n%s", got, want)
	}

	// Replacing the subscriptions drops the old ones.
	if got := super.subscribe(e.token, super.id, "open/*"); got != 204 {
		t.Fatalf("resubscribe: %d", got)
	}
	var d2, o2 struct{ ID string }
	e.MustJSON("POST", "/api/collections/docs/records", "", `{"title": "d2"}`, 200, &d2)
	e.MustJSON("POST", "/api/collections/open/records", "", `{"title": "o2"}`, 200, &o2)
	e.MustJSON("DELETE", "/api/collections/open/records/"+o2.ID, "", "", 204, nil)
	if got, want := strings.Join(super.until(o2.ID), "\n"), "open/* create o2\nopen/* delete o2"; got != want {
		t.Errorf("after resubscribe got\n%s\nwant\n%s", got, want)
	}
}

// TestRealtimeSSERecordChange: a stream follows changes of the record it
// acts as: a new name counts in @request.auth.* from then on, and a new
// password (a new token key) leaves the stream a guest.
func TestRealtimeSSERecordChange(t *testing.T) {
	e, alice, token := mustRecordChangeWorld(t)

	s := MustStream(t, MustServe(t, e))
	if status := s.subscribe(token, s.id, "docs/*"); status != 204 {
		t.Fatalf("subscribe: %d", status)
	}
	round := 0
	sees := func(title string) bool { // as in TestRealtimeRecordChange
		round++
		public := fmt.Sprintf("public-%d", round)
		e.MustJSON("POST", "/api/collections/docs/records", "", `{"title": "`+title+`"}`, 200, nil)
		e.MustJSON("POST", "/api/collections/docs/records", "", `{"title": "`+public+`"}`, 200, nil)
		seen := false
		for {
			var m struct{ Record map[string]any }
			if err := json.Unmarshal([]byte(s.next().Data), &m); err != nil {
				t.Fatal(err)
			}
			switch m.Record["title"] {
			case public:
				return seen
			case title:
				seen = true
			}
		}
	}
	e.MustJSON("PATCH", "/api/collections/members/records/"+alice, "", `{"name": "ally"}`, 200, nil)
	for !sees("ally") {
		if round == 100 {
			t.Fatal("the new name never counted")
		}
	}
	e.MustJSON("PATCH", "/api/collections/members/records/"+alice, "", `{"password": "another password", "passwordConfirm": "another password"}`, 200, nil)
	for sees("ally") {
		if round == 200 {
			t.Fatal("the stream still acts as the record after its password changed")
		}
	}
}
