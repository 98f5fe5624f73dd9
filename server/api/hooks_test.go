package api_test

import (
	"strings"
	"sync"
	"testing"

	"github.com/lumbunghq/lumbung/collections"
	"github.com/lumbunghq/lumbung/server"
	"github.com/lumbunghq/lumbung/server/api"
)

// hookEvents counts the hooks a server fires, by hook name.
type hookEvents struct {
	mu sync.Mutex
	n  map[string]int
}

func (h *hookEvents) add(name string) {
	h.mu.Lock()
	h.n[name]++
	h.mu.Unlock()
}

// take returns the counts so far and starts again.
func (h *hookEvents) take() map[string]int {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := h.n
	h.n = map[string]int{}
	return out
}

// recordHooks binds a counting handler to the record, collection and
// auth hooks of srv.
func recordHooks(srv *server.Server) *hookEvents {
	ev := &hookEvents{n: map[string]int{}}
	h := srv.Hooks()
	rec := func(name string) func(*collections.RecordEvent) error {
		return func(e *collections.RecordEvent) error { ev.add(name); return e.Next() }
	}
	col := func(name string) func(*collections.CollectionEvent) error {
		return func(e *collections.CollectionEvent) error { ev.add(name); return e.Next() }
	}
	h.OnRecordCreate().BindFunc(rec("OnRecordCreate"))
	h.OnRecordUpdate().BindFunc(rec("OnRecordUpdate"))
	h.OnRecordDelete().BindFunc(rec("OnRecordDelete"))
	h.OnRecordAfterCreate().BindFunc(rec("OnRecordAfterCreate"))
	h.OnRecordAfterUpdate().BindFunc(rec("OnRecordAfterUpdate"))
	h.OnRecordAfterDelete().BindFunc(rec("OnRecordAfterDelete"))
	h.OnRecordEnrich().BindFunc(func(e *collections.EnrichEvent) error { ev.add("OnRecordEnrich"); return e.Next() })
	h.OnCollectionCreate().BindFunc(col("OnCollectionCreate"))
	h.OnCollectionUpdate().BindFunc(col("OnCollectionUpdate"))
	h.OnCollectionDelete().BindFunc(col("OnCollectionDelete"))
	h.OnCollectionAfterCreate().BindFunc(col("OnCollectionAfterCreate"))
	h.OnCollectionAfterUpdate().BindFunc(col("OnCollectionAfterUpdate"))
	h.OnCollectionAfterDelete().BindFunc(col("OnCollectionAfterDelete"))
	h.API.OnRecordAuth().BindFunc(func(e *api.AuthEvent) error { ev.add("OnRecordAuth"); return e.Next() })
	return ev
}

// The hooks every API path fires: after-hooks once per committed change,
// none for a failed or rolled back one.
func TestHookEvents(t *testing.T) {
	e := MustEnv(t)
	e.events.take()
	var author, post struct{ ID string }
	e.Run(t, []scenario{
		{Name: "create a collection", Method: "POST", URL: "/api/collections", ExpectedStatus: 200,
			Body:           `{"name": "authors", "listRule": "", "viewRule": "", "createRule": "", "fields": [{"name": "name", "type": "text", "required": true}]}`,
			ExpectedEvents: map[string]int{"OnCollectionCreate": 1, "OnCollectionAfterCreate": 1}},
		{Name: "a collection that fails to plan", Method: "POST", URL: "/api/collections", ExpectedStatus: 400,
			Body:           `{"name": "authors"}`,
			ExpectedEvents: map[string]int{"OnCollectionCreate": 1}},
	})
	e.MustJSON("POST", "/api/collections", "", `{"name": "posts", "listRule": "", "viewRule": "", "fields": [
		{"name": "title", "type": "text"},
		{"name": "author", "type": "relation", "collectionId": "authors", "cascadeDelete": true}]}`, 200, nil)
	e.MustJSON("POST", "/api/collections/authors/records", "", `{"name": "ann"}`, 200, &author)
	e.MustJSON("POST", "/api/collections/posts/records", "", `{"title": "one", "author": "`+author.ID+`"}`, 200, &post)
	e.MustJSON("POST", "/api/collections/posts/records", "", `{"title": "two", "author": "`+author.ID+`"}`, 200, nil)
	e.Run(t, []scenario{
		{Name: "create", Method: "POST", URL: "/api/collections/authors/records", Token: "-", Body: `{"name": "bob"}`, ExpectedStatus: 200,
			ExpectedEvents: map[string]int{"OnRecordCreate": 1, "OnRecordAfterCreate": 1, "OnRecordEnrich": 1}},
		{Name: "a create that fails validation", Method: "POST", URL: "/api/collections/authors/records", Token: "-", Body: `{}`, ExpectedStatus: 400,
			ExpectedEvents: map[string]int{}},
		{Name: "list with expand", Method: "GET", URL: "/api/collections/posts/records?expand=author", Token: "-", ExpectedStatus: 200,
			ExpectedEvents: map[string]int{"OnRecordEnrich": 4}},
		{Name: "update", Method: "PATCH", URL: "/api/collections/posts/records/" + post.ID, Body: `{"title": "uno"}`, ExpectedStatus: 200,
			ExpectedEvents: map[string]int{"OnRecordUpdate": 1, "OnRecordAfterUpdate": 1, "OnRecordEnrich": 1}},
		{Name: "a batch", Method: "POST", URL: "/api/batch", ExpectedStatus: 200, Body: `{"requests": [
			{"method": "POST", "url": "/api/collections/authors/records", "body": {"name": "cy"}},
			{"method": "POST", "url": "/api/collections/authors/records", "body": {"name": "dee"}}]}`,
			ExpectedEvents: map[string]int{"OnRecordCreate": 2, "OnRecordAfterCreate": 2, "OnRecordEnrich": 2}},
		{Name: "a batch rolled back", Method: "POST", URL: "/api/batch", ExpectedStatus: 400, Body: `{"requests": [
			{"method": "POST", "url": "/api/collections/authors/records", "body": {"name": "eve"}},
			{"method": "POST", "url": "/api/collections/authors/records", "body": {}}]}`,
			ExpectedEvents: map[string]int{"OnRecordCreate": 1, "OnRecordEnrich": 1}},
		{Name: "a delete and its cascade", Method: "DELETE", URL: "/api/collections/authors/records/" + author.ID, ExpectedStatus: 204,
			ExpectedEvents: map[string]int{"OnRecordDelete": 3, "OnRecordAfterDelete": 3}},
		{Name: "a sign-in", Method: "POST", URL: "/api/collections/_superusers/auth-with-password", Token: "-", ExpectedStatus: 200,
			Body:           `{"identity": "` + adminEmail + `", "password": "` + adminPassword + `"}`,
			ExpectedEvents: map[string]int{"OnRecordAuth": 1, "OnRecordEnrich": 1}},
		{Name: "a failed sign-in", Method: "POST", URL: "/api/collections/_superusers/auth-with-password", Token: "-", ExpectedStatus: 400,
			Body:           `{"identity": "` + adminEmail + `", "password": "wrong"}`,
			ExpectedEvents: map[string]int{}},
		{Name: "an import", Method: "PUT", URL: "/api/collections/import", ExpectedStatus: 204,
			Body:           `{"collections": [{"name": "tags", "type": "base", "fields": [{"name": "label", "type": "text"}]}]}`,
			ExpectedEvents: map[string]int{"OnCollectionAfterCreate": 1}},
		{Name: "delete a collection", Method: "DELETE", URL: "/api/collections/posts", ExpectedStatus: 204,
			ExpectedEvents: map[string]int{"OnCollectionDelete": 1, "OnCollectionAfterDelete": 1}},
	})
}

// Hooks change what a write stores and what a caller sees, and veto
// with a clear 4xx.
func TestHooksChangeAndVeto(t *testing.T) {
	e := MustEnv(t)
	e.MustJSON("POST", "/api/collections", "", `{"name": "notes", "listRule": "", "viewRule": "", "createRule": "", "fields": [
		{"name": "title", "type": "text"}, {"name": "secret", "type": "text"}]}`, 200, nil)
	h := e.srv.Hooks()
	h.OnRecordCreate("notes").BindFunc(func(ev *collections.RecordEvent) error {
		if ev.Record.Data["title"] == "no" {
			return collections.Invalid("Failed to create record.", map[string]collections.FieldError{
				"title": {Code: "validation_refused", Message: "Not this title."}})
		}
		ev.Record.Data["secret"] = "stamped"
		return ev.Next()
	})
	h.OnRecordEnrich("notes").BindFunc(func(ev *collections.EnrichEvent) error {
		if !collections.IsUnrestricted(ev.Caller) {
			ev.Record.Hide("secret")
		}
		return ev.Next()
	})
	var note struct{ ID string }
	e.MustJSON("POST", "/api/collections/notes/records", "", `{"title": "yes"}`, 200, &note)
	e.Run(t, []scenario{
		{Name: "a veto is a 400 on the field", Method: "POST", URL: "/api/collections/notes/records", Token: "-", Body: `{"title": "no"}`,
			ExpectedStatus: 400, ExpectedContent: []string{`"title":{"code":"validation_refused","message":"Not this title."}`}},
		{Name: "the superuser sees the stamp", Method: "GET", URL: "/api/collections/notes/records/" + note.ID,
			ExpectedStatus: 200, ExpectedContent: []string{`"secret":"stamped"`}},
		{Name: "a guest does not", Method: "GET", URL: "/api/collections/notes/records/" + note.ID, Token: "-",
			ExpectedStatus: 200, ExpectedContent: []string{`"title":"yes"`}, NotExpected: []string{"stamped", `"secret"`}},
		{Name: "nor in a list", Method: "GET", URL: "/api/collections/notes/records", Token: "-",
			ExpectedStatus: 200, ExpectedContent: []string{`"title":"yes"`}, NotExpected: []string{"stamped"}},
	})
	// Realtime: the same record reaches a guest subscriber without it.
	e2 := MustEnv(t, func(c *server.Config) { c.HTTPAddr = "127.0.0.1:0" })
	e2.MustJSON("POST", "/api/collections", "", `{"name": "notes", "listRule": "", "viewRule": "", "fields": [
		{"name": "title", "type": "text"}, {"name": "secret", "type": "text"}]}`, 200, nil)
	e2.srv.Hooks().OnRecordEnrich("notes").BindFunc(func(ev *collections.EnrichEvent) error {
		if !collections.IsUnrestricted(ev.Caller) {
			ev.Record.Hide("secret")
		}
		return ev.Next()
	})
	addr := MustServe(t, e2)
	guest := MustDial(t, addr, "")
	guest.call(map[string]any{"type": "subscribe", "id": "n", "topic": "notes/*"}, "ack")
	e2.MustJSON("POST", "/api/collections/notes/records", "", `{"title": "live", "secret": "hidden"}`, 200, nil)
	msg := guest.read()
	if s := jsonOf(msg); !strings.Contains(s, `"live"`) || strings.Contains(s, "hidden") {
		t.Errorf("realtime event %s", s)
	}
}
