//go:build cluster

package cluster_test

import (
	"fmt"
	"testing"
	"time"
)

// TestClusterActsAsOneServer: records, the schema and policies changed
// through any node are what every other node answers with. Records live
// only in PostgreSQL, so a record written through one node is read back
// through another at once; a collection created, a field added and a
// policy revoked through one node are applied by the others after their
// notification (how long that took is
// logged; the bound only guards against a hang).
func TestClusterActsAsOneServer(t *testing.T) {
	c := mustCluster(t, 3)
	a, b, cc := c.nodes[0], c.nodes[1], c.nodes[2]
	admin := c.signIn(t, a)
	guest := c.newClient("")

	// A collection created through A takes a record through B and C once
	// they have read the new schema, which their notification tells them
	// to do. Until then they answer 404, never a 5xx.
	admin.must(t, a, "POST", "/api/collections", `{"name": "notes", "fields": [
		{"name": "title", "type": "text"}, {"name": "n", "type": "number"}]}`)
	created := time.Now()
	for _, nd := range []*node{b, cc} {
		tries := 0
		for {
			tries++
			got := admin.on(nd, "POST", "/api/collections/notes/records", fmt.Sprintf(`{"title": "first on %s", "n": -1}`, nd.name))
			if got.err == nil && got.status == 200 {
				break
			}
			if got.err != nil || got.status != 404 || time.Since(created) > hangGuard {
				t.Fatalf("a record of a collection just created through %s: %v", a.name, got)
			}
			time.Sleep(2 * time.Millisecond)
		}
		t.Logf("%s took a record of the new collection %v after it was created through %s (404 answers before: %d)",
			nd.name, time.Since(created).Round(time.Millisecond/10), a.name, tries-1)
	}

	// Records: each written through one node and read back through the
	// others at once.
	const records = 30
	var ids []string
	for i := range records {
		var rec struct{ ID string }
		decode(t, admin.must(t, c.nodes[i%3], "POST", "/api/collections/notes/records", fmt.Sprintf(`{"title": "r%d", "n": %d}`, i, i)), &rec)
		ids = append(ids, rec.ID)
		var got struct{ N float64 }
		decode(t, admin.must(t, c.nodes[(i+1)%3], "GET", "/api/collections/notes/records/"+rec.ID, ""), &got)
		if got.N != float64(i) {
			t.Fatalf("record %s read through %s: n %v, want %d", rec.ID, c.nodes[(i+1)%3].name, got.N, i)
		}
		admin.must(t, c.nodes[(i+2)%3], "PATCH", "/api/collections/notes/records/"+rec.ID, fmt.Sprintf(`{"n": %d}`, 1000+i))
		decode(t, admin.must(t, c.nodes[i%3], "GET", "/api/collections/notes/records/"+rec.ID, ""), &got)
		if got.N != float64(1000+i) {
			t.Fatalf("record %s updated through %s, read through %s: n %v, want %d", rec.ID, c.nodes[(i+2)%3].name, c.nodes[i%3].name, got.N, 1000+i)
		}
	}
	for i, id := range ids[:10] {
		admin.must(t, c.nodes[i%3], "DELETE", "/api/collections/notes/records/"+id, "")
		for _, nd := range c.nodes {
			if got := admin.on(nd, "GET", "/api/collections/notes/records/"+id, ""); got.status != 404 {
				t.Fatalf("deleted record %s read through %s: %v, want 404", id, nd.name, got)
			}
		}
	}
	for _, nd := range c.nodes {
		var page struct{ TotalItems int }
		decode(t, admin.must(t, nd, "GET", "/api/collections/notes/records?perPage=1&filter=n%3E%3D0", ""), &page)
		if page.TotalItems != records-10 {
			t.Fatalf("%s lists %d records, want %d", nd.name, page.TotalItems, records-10)
		}
	}

	// Schema: a field added through B is written through C and read
	// through every node once they have the new schema. (Until a node's
	// notification arrives, it answers with the old schema: a filter on
	// the field is a 400, and the field is left out of what it reads.)
	var def struct {
		Fields []map[string]any `json:"fields"`
	}
	decode(t, admin.must(t, b, "GET", "/api/collections/notes", ""), &def)
	admin.must(t, b, "PATCH", "/api/collections/notes", mustJSON(t, map[string]any{
		"fields": append(def.Fields, map[string]any{"name": "tag", "type": "text"})}))
	changed := time.Now()
	for _, nd := range []*node{a, cc} {
		admin.waitStatus(t, nd, "/api/collections/notes/records?filter=tag%3D'x'", 200)
		t.Logf("%s used a field added through %s %v after the change", nd.name, b.name, time.Since(changed).Round(time.Millisecond/10))
	}
	var tagged struct{ ID, Tag string }
	decode(t, admin.must(t, cc, "POST", "/api/collections/notes/records", `{"title": "tagged", "tag": "x"}`), &tagged)
	for _, nd := range c.nodes {
		var got struct{ Tag string }
		decode(t, admin.must(t, nd, "GET", "/api/collections/notes/records/"+tagged.ID, ""), &got)
		if got.Tag != "x" {
			t.Fatalf("a record with the new field, written through %s and read through %s: tag %q", cc.name, nd.name, got.Tag)
		}
	}

	// Policies: guests may list once a policy set through A reaches every
	// node; revoked through B, C refuses them again.
	admin.must(t, a, "PUT", "/api/rbac/collections/notes/policies", `{"items": [{"subject": "guest", "action": "list"}]}`)
	changed = time.Now()
	for _, nd := range c.nodes {
		guest.waitStatus(t, nd, "/api/collections/notes/records", 200)
		t.Logf("%s let guests list %v after %s allowed it", nd.name, time.Since(changed).Round(time.Millisecond/10), a.name)
	}
	admin.must(t, b, "PUT", "/api/rbac/collections/notes/policies", `{"items": []}`)
	changed = time.Now()
	guest.waitStatus(t, cc, "/api/collections/notes/records", 403)
	t.Logf("%s refused guests %v after %s revoked the policy", cc.name, time.Since(changed).Round(time.Millisecond/10), b.name)
	for _, nd := range c.nodes {
		guest.waitStatus(t, nd, "/api/collections/notes/records", 403)
	}
}
