package api_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/lumbunghq/lumbung/server/api"
)

// TestBatchMatchesREST: over the access world, a generated sequence of
// creates, updates and deletes by every kind of caller is let through
// or refused (with the same status) as a sub-request of a batch exactly
// as on its own, with and without request hooks bound (they give a
// batch's sub-requests contexts of their own). Each batch is made to
// roll back (a second sub-request fails), then the request is sent on
// its own, so both see the same records.
func TestBatchMatchesREST(t *testing.T) {
	for _, hooked := range []bool{false, true} {
		t.Run(fmt.Sprintf("hooks bound: %v", hooked), func(t *testing.T) {
			w := MustAccessWorld(t)
			w.MustJSON("PATCH", "/api/settings", "", `{"batch": {"enabled": true}}`, 200, nil)
			if hooked {
				h := w.srv.Hooks().API
				pass := func(e *api.RecordRequestEvent) error { return e.Next() }
				h.OnRecordCreateRequest().BindFunc(pass)
				h.OnRecordUpdateRequest().BindFunc(pass)
				h.OnRecordDeleteRequest().BindFunc(pass)
			}
			rng := rand.New(rand.NewPCG(7, 11))
			callers := []string{"superuser", "guest", "alice", "bob", "carol"}
			docs := []string{"d1", "d2", "d3", "d4"}
			pick := func(xs []string) string { return xs[rng.IntN(len(xs))] }
			for i := range 60 {
				who, key := pick(callers), pick(docs)
				token := map[string]string{"superuser": ""}[who]
				if who != "superuser" {
					token = w.tokens[who]
				}
				var method, url, body string
				switch rng.IntN(3) {
				case 0:
					method, url = "POST", "/api/collections/docs/records"
					body = fmt.Sprintf(`{"title": "t%d", "team": %q, "owner": %q, "status": %q}`, i,
						pick([]string{"red", "blue"}), w.users[pick([]string{"alice", "bob", "carol"})], pick([]string{"draft", "published"}))
				case 1:
					method, url = "PATCH", "/api/collections/docs/records/"+w.docs[key]
					body = fmt.Sprintf(`{"title": "t%d", "team": %q}`, i, pick([]string{"red", "blue"}))
				default:
					method, url, body = "DELETE", "/api/collections/docs/records/"+w.docs[key], ""
				}
				sub := map[string]any{"method": method, "url": url}
				if body != "" {
					sub["body"] = json.RawMessage(body)
				}
				batch, _ := json.Marshal(map[string]any{"requests": []any{sub,
					map[string]any{"method": "POST", "url": "/api/collections/nothere/records", "body": map[string]any{}}}})
				status, answer := w.Do("POST", "/api/batch", token, string(batch))
				var failed struct {
					Data struct {
						Requests map[string]struct {
							Response map[string]any `json:"response"`
						} `json:"requests"`
					} `json:"data"`
				}
				if status != 400 || json.Unmarshal([]byte(answer), &failed) != nil {
					t.Fatalf("%s %s %s as %s in a batch: %d %s", method, url, body, who, status, answer)
				}
				_, firstFailed := failed.Data.Requests["0"]
				restStatus, restBody := w.Do(method, url, token, body)
				if restOK := restStatus < 300; restOK == firstFailed {
					t.Fatalf("%s %s %s as %s: alone %d %s; in a batch %s", method, url, body, who, restStatus, restBody, answer)
				}
				if firstFailed {
					if got := failed.Data.Requests["0"].Response["status"]; got != float64(restStatus) {
						t.Fatalf("%s %s %s as %s: alone %d %s; in a batch %v", method, url, body, who, restStatus, restBody, got)
					}
				}
				if method == "DELETE" && restStatus == 204 { // the world keeps four docs
					var rec struct{ ID string }
					w.MustJSON("POST", "/api/collections/docs/records", "", fmt.Sprintf(`{"title": %q, "team": "red", "status": "draft", "owner": %q}`,
						key, w.users["bob"]), 200, &rec)
					w.docs[key] = rec.ID
				}
			}
		})
	}
}
