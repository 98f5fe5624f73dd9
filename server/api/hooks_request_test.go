package api_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"

	"github.com/lumbunghq/lumbung/collections"
	"github.com/lumbunghq/lumbung/server/api"
)

// The record request hooks run around the records handlers: a handler
// may change the input or the answer, answer itself, or refuse; Next
// does the request's work.
func TestRecordRequestHooks(t *testing.T) {
	e := MustEnv(t)
	e.MustJSON("POST", "/api/collections", e.token, `{"name": "notes", "listRule": "", "viewRule": "", "createRule": "", "updateRule": "", "deleteRule": "",
		"fields": [{"name": "text", "type": "text"}]}`, 200, nil)
	h := e.srv.Hooks().API
	var seen []string
	h.OnRecordCreateRequest("notes").BindFunc(func(ev *api.RecordRequestEvent) error {
		ev.Input["text"] = strings.ToUpper(ev.Input["text"].(string))
		if err := ev.Next(); err != nil {
			return err
		}
		seen = append(seen, "created "+ev.Record.ID())
		return nil
	})
	h.OnRecordsListRequest("notes").BindFunc(func(ev *api.RecordRequestEvent) error {
		ev.Records = slices.DeleteFunc(ev.Records, func(r *collections.Record) bool { return r.Data["text"] == "SECRET" })
		return ev.Next()
	})
	h.OnRecordViewRequest("notes").BindFunc(func(ev *api.RecordRequestEvent) error {
		if ev.Record.Data["text"] == "SECRET" {
			return collections.Errorf(collections.ENOTFOUND, "The requested resource wasn't found.")
		}
		return ev.Next()
	})
	h.OnRecordUpdateRequest("notes").BindFunc(func(ev *api.RecordRequestEvent) error {
		if ev.ID == "" || ev.Caller == nil {
			t.Errorf("an update's event: id %q, caller %v", ev.ID, ev.Caller)
		}
		// In a batch, the operations see the batch's earlier writes.
		if _, err := ev.Ops.Get(ev.Ctx.UserContext(), ev.Collection, ev.ID); err != nil {
			return err
		}
		return ev.Next()
	})
	h.OnRecordDeleteRequest("notes").BindFunc(func(ev *api.RecordRequestEvent) error {
		if ev.Ctx.Query("keep") == "1" {
			return ev.Ctx.Status(fiber.StatusAccepted).JSON(fiber.Map{"kept": ev.ID})
		}
		return ev.Next()
	})
	var note, secret struct{ ID, Text string }
	e.MustJSON("POST", "/api/collections/notes/records", "", `{"text": "hello"}`, 200, &note)
	e.MustJSON("POST", "/api/collections/notes/records", "", `{"text": "secret"}`, 200, &secret)
	if note.Text != "HELLO" || len(seen) != 2 || seen[0] != "created "+note.ID {
		t.Fatalf("create: %+v, seen %q", note, seen)
	}
	e.Run(t, []scenario{
		{Name: "a list without the records a handler dropped", Method: "GET", URL: "/api/collections/notes/records", ExpectedStatus: 200,
			ExpectedContent: []string{`"totalItems":2`, `"text":"HELLO"`}, NotExpected: []string{`"SECRET"`}},
		{Name: "a view a handler refuses", Method: "GET", URL: "/api/collections/notes/records/" + secret.ID, ExpectedStatus: 404},
		{Name: "an update passes its hook", Method: "PATCH", URL: "/api/collections/notes/records/" + note.ID, Body: `{"text": "changed"}`, ExpectedStatus: 200,
			ExpectedContent: []string{`"text":"changed"`}},
		{Name: "a delete a handler answers itself", Method: "DELETE", URL: "/api/collections/notes/records/" + note.ID + "?keep=1", ExpectedStatus: 202,
			ExpectedContent: []string{`{"kept":"` + note.ID + `"}`}},
		{Name: "the kept record is there", Method: "GET", URL: "/api/collections/notes/records/" + note.ID, ExpectedStatus: 200},
		{Name: "a delete that goes on", Method: "DELETE", URL: "/api/collections/notes/records/" + note.ID, ExpectedStatus: 204},
	})

	// The sub-requests of a batch pass the same hooks, in the batch's
	// transaction.
	e.MustJSON("PATCH", "/api/settings", e.token, `{"batch": {"enabled": true}}`, 200, nil)
	seen = nil
	e.Run(t, []scenario{
		{Name: "a batch's create passes its hook", Method: "POST", URL: "/api/batch", Token: "-", Body: `{"requests": [
			{"method": "POST", "url": "/api/collections/notes/records", "body": {"id": "batchednote1234", "text": "batched"}},
			{"method": "PATCH", "url": "/api/collections/notes/records/batchednote1234", "body": {"text": "patched"}},
			{"method": "DELETE", "url": "/api/collections/notes/records/` + secret.ID + `?keep=1"}]}`, ExpectedStatus: 200,
			ExpectedContent: []string{`{"status":200,"body":{"collectionId":`, `"text":"BATCHED"`, `"text":"patched"`, `{"status":202,"body":{"kept":"` + secret.ID + `"}}`}},
		{Name: "the record a handler kept in a batch is there", Method: "GET", URL: "/api/collections/notes/records/batchednote1234", ExpectedStatus: 200,
			ExpectedContent: []string{`"text":"patched"`}},
		{Name: "an upsert is an update through its hook", Method: "POST", URL: "/api/batch", Token: "-", Body: `{"requests": [
			{"method": "PUT", "url": "/api/collections/notes/records", "body": {"id": "batchednote1234", "text": "upserted"}}]}`, ExpectedStatus: 200,
			ExpectedContent: []string{`"text":"upserted"`}},
	})
	if len(seen) != 1 || seen[0] != "created batchednote1234" {
		t.Errorf("the create hook after Next in a batch: %q", seen)
	}
}

// The auth flows', files', collections', settings' and batches' requests
// pass OnRequest: a handler sees which request, refuses one, and lets the
// others through.
func TestRequestHook(t *testing.T) {
	e := MustEnv(t)
	MustUser(t, e, "user@example.com", "password123")
	var flows []string
	e.srv.Hooks().API.OnRequest().BindFunc(func(ev *api.RequestEvent) error {
		flows = append(flows, ev.Name+" "+fmt.Sprint(ev.Tags()))
		if ev.Name == api.RequestVerification {
			return collections.Errorf(collections.EFORBIDDEN, "Not today.")
		}
		return ev.Next()
	})
	e.Run(t, []scenario{
		{Name: "refused", Method: "POST", URL: "/api/collections/users/request-verification", Token: "-", Body: `{"email": "user@example.com"}`,
			ExpectedStatus: 403, ExpectedContent: []string{`"message":"Not today."`}},
		{Name: "let through", Method: "POST", URL: "/api/collections/users/auth-with-password", Token: "-",
			Body: `{"identity": "user@example.com", "password": "password123"}`, ExpectedStatus: 200, ExpectedContent: []string{`"token":"`}},
		{Name: "settings", Method: "GET", URL: "/api/settings", ExpectedStatus: 200},
	})
	users, _ := e.srv.Collections().Collection("users")
	tags := fmt.Sprint([]string{users.ID, "users"})
	if want := []string{api.RequestVerification + " " + tags, api.RequestAuthWithPassword + " " + tags, api.RequestSettingsList + " []"}; !slices.Equal(flows, want) {
		t.Errorf("requests %q, want %q", flows, want)
	}
}
