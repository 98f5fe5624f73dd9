package server_test

import (
	"encoding/json"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
)

// TestSchemaChangesUnderTraffic: three nodes on one database; clients
// list, filter, read and create on two of them while the third renames,
// adds and deletes fields and drops and creates the collection again, 26
// changes in all. No request gets a 5xx: one built against the old schema
// gets the new schema's answer (a 404 for a dropped collection, a 400 for
// a filter naming a dropped field).
func TestSchemaChangesUnderTraffic(t *testing.T) {
	t.Parallel()
	dsn := mustAdminDB(t)
	a, b, c := startNode(t, dsn), startNode(t, dsn), startNode(t, dsn)
	token := signIn(t, c)
	const create = `{"name": "items", "listRule": "", "viewRule": "", "createRule": "",
		"fields": [{"name": "title", "type": "text"}, {"name": "n", "type": "number"}]}`
	call(t, c, token, "POST", "/api/collections", create)
	for _, node := range []string{a, b} {
		waitStatus(t, node, "/api/collections/items/records", 200)
	}

	var (
		stop     atomic.Bool
		wg       sync.WaitGroup
		mu       sync.Mutex
		failures []string
		counts   = map[int]int{}
	)
	load := func(node string, worker int) {
		defer wg.Done()
		for i := 0; !stop.Load(); i++ {
			var method, path, body string
			switch i % 4 {
			case 0:
				method, path = "GET", "/api/collections/items/records?sort=-n"
			case 1:
				method, path = "GET", "/api/collections/items/records?filter=title%20~%20'x'%20%7C%7C%20n%20%3E%201"
			case 2:
				method, path, body = "POST", "/api/collections/items/records", fmt.Sprintf(`{"title": "x%d", "n": %d}`, worker, i)
			default:
				method, path = "GET", "/api/collections/items/records?perPage=1&skipTotal=1"
			}
			status, resp, err := request(node, "", method, path, body)
			mu.Lock()
			counts[status]++
			if err != nil || status >= 500 {
				failures = append(failures, fmt.Sprintf("%s %s: %d %s %v", method, path, status, resp, err))
			}
			mu.Unlock()
		}
	}
	for w := range 4 {
		wg.Add(2)
		go load(a, w)
		go load(b, w+4)
	}
	for round := range 5 {
		// Rename title (same field id: a RENAME COLUMN) and back, drop n
		// and add it again, drop the collection and create it again.
		var def struct {
			Fields []map[string]any `json:"fields"`
		}
		mustDecode(t, call(t, c, token, "GET", "/api/collections/items", ""), &def)
		for _, f := range def.Fields {
			if f["name"] == "title" {
				f["name"] = "heading"
			}
		}
		call(t, c, token, "PATCH", "/api/collections/items", mustJSON(t, map[string]any{"fields": def.Fields}))
		for _, f := range def.Fields {
			if f["name"] == "heading" {
				f["name"] = "title"
			}
		}
		call(t, c, token, "PATCH", "/api/collections/items", mustJSON(t, map[string]any{"fields": def.Fields}))
		var kept []map[string]any
		for _, f := range def.Fields {
			if f["name"] != "n" {
				kept = append(kept, f)
			}
		}
		call(t, c, token, "PATCH", "/api/collections/items", mustJSON(t, map[string]any{"fields": kept}))
		call(t, c, token, "PATCH", "/api/collections/items", mustJSON(t, map[string]any{"fields": append(kept, map[string]any{"name": "n", "type": "number"})}))
		if round%2 == 0 {
			if status, body, err := request(c, token, "DELETE", "/api/collections/items", ""); err != nil || status != 204 {
				t.Fatalf("drop: %d %s %v", status, body, err)
			}
			call(t, c, token, "POST", "/api/collections", create)
		}
	}
	stop.Store(true)
	wg.Wait()
	t.Logf("answers by status: %v", counts)
	if len(failures) > 0 {
		t.Errorf("%d requests failed, e.g.:", len(failures))
		for _, f := range failures[:min(len(failures), 10)] {
			t.Error(f)
		}
	}
}

func mustDecode(t *testing.T, body string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(body), v); err != nil {
		t.Fatalf("decode %s: %v", body, err)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
