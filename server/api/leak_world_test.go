package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/lumbunghq/lumbung/server"
)

// The leak finder checks the access rule every read path must keep:
// whatever a caller sends, the answer is what it would be if the records
// it may not view and the fields it may not read did not exist.
//
// A generated world (leakWorld) is served by one server. For each caller
// a second server holds a copy of the world with only what that caller
// may see: the records of its unfiltered lists, with the fields those
// lists leave out emptied, and no access conditions (every record there
// is one the caller may view, with the same field lists). Generated
// requests (filters over relation paths, back-relations, @collection and
// modifiers; sorts; expands; single records) must get the same status and
// body from both. A path that reaches a hidden record in the real world
// finds nothing in the copy, so any difference is a leak.
//
// List and view access are the same in every generated policy, so one
// copy serves both: the records a list returns are those a relation may
// reach.

// leakPolicy grants list and view on a collection.
type leakPolicy struct {
	subject string // "guest", "authenticated" or a role
	cond    string
	fields  []string // nil: every field
}

// leakCaller is one caller of the world and its copy.
type leakCaller struct {
	name     string
	token    string // "-" for the guest
	id       string // its people record ("" for the guest)
	roles    []string
	password string
	copy     *env   // the world as this caller sees it
	ctoken   string // its token on the copy
}

// leakWorld is the generated world: four collections with relations in
// every form, rules and role policies with conditions and field lists,
// and a few users.
type leakWorld struct {
	real     *env
	dbURL    string
	rng      *rand.Rand
	ids      map[string][]string // collection -> record ids
	policies map[string][]leakPolicy
	callers  []*leakCaller
	texts    []string    // text values found in the world, for literals
	answered map[int]int // requests checked, by status
}

// leakCollections are created in this order; their fields by type.
var leakCollections = []string{"people", "orgs", "docs", "notes"}

// MustLeakWorld builds a world from seed and a copy of it for each caller.
// opts adjust the configuration of the world's server.
func MustLeakWorld(tb testing.TB, seed uint64, opts ...func(*server.Config)) *leakWorld {
	tb.Helper()
	w := &leakWorld{rng: rand.New(rand.NewPCG(seed, seed^0x5eed)), ids: map[string][]string{}, policies: map[string][]leakPolicy{}}
	w.real = MustEnv(tb, append(opts, func(c *server.Config) { w.dbURL = c.DatabaseURL })...)
	w.schema(tb)
	w.data(tb)
	w.access(tb)
	for _, c := range w.callers {
		w.copyFor(tb, c)
	}
	return w
}

func (w *leakWorld) pick(options ...string) string { return options[w.rng.IntN(len(options))] }

// some returns a random subset of options, at most n, in a random order.
func (w *leakWorld) some(options []string, n int) []string {
	out := slices.Clone(options)
	w.rng.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out[:w.rng.IntN(min(n, len(out))+1)]
}

func (w *leakWorld) schema(tb testing.TB) {
	e := w.real
	e.MustJSON("POST", "/api/collections", "", `{"name": "people", "type": "auth", "fields": [
		{"name": "email", "type": "email", "system": true, "required": false},
		{"name": "name", "type": "text"}, {"name": "team", "type": "text"}]}`, 200, nil)
	e.MustJSON("POST", "/api/collections", "", `{"name": "orgs", "fields": [
		{"name": "name", "type": "text"}, {"name": "secret", "type": "text"},
		{"name": "owner", "type": "relation", "collectionId": "people"}]}`, 200, nil)
	// people get a relation to orgs, so that filters can reach a caller's
	// own org through @request.auth.org.
	var people map[string]any
	e.MustJSON("GET", "/api/collections/people", "", "", 200, &people)
	people["fields"] = append(people["fields"].([]any), map[string]any{"name": "org", "type": "relation", "collectionId": "orgs"})
	e.MustJSON("PATCH", "/api/collections/people", "", jsonBody(tb, map[string]any{"fields": people["fields"]}), 200, nil)
	e.MustJSON("POST", "/api/collections", "", `{"name": "docs", "fields": [
		{"name": "title", "type": "text"}, {"name": "secret", "type": "text"},
		{"name": "status", "type": "select", "values": ["draft", "published"]},
		{"name": "score", "type": "number"},
		{"name": "tags", "type": "select", "values": ["a", "b", "c"], "maxSelect": 3},
		{"name": "org", "type": "relation", "collectionId": "orgs"},
		{"name": "owner", "type": "relation", "collectionId": "people"}]}`, 200, nil)
	var docs map[string]any
	e.MustJSON("GET", "/api/collections/docs", "", "", 200, &docs)
	docs["fields"] = append(docs["fields"].([]any), map[string]any{"name": "refs", "type": "relation", "collectionId": docs["id"], "maxSelect": 3})
	e.MustJSON("PATCH", "/api/collections/docs", "", jsonBody(tb, map[string]any{"fields": docs["fields"]}), 200, nil)
	e.MustJSON("POST", "/api/collections", "", `{"name": "notes", "fields": [
		{"name": "text", "type": "text"},
		{"name": "doc", "type": "relation", "collectionId": "docs"},
		{"name": "docs", "type": "relation", "collectionId": "docs", "maxSelect": 3}]}`, 200, nil)
}

// create adds a record as the superuser and returns its id.
func (w *leakWorld) create(tb testing.TB, coll string, rec map[string]any) string {
	var out struct{ ID string }
	w.real.MustJSON("POST", "/api/collections/"+coll+"/records", "", jsonBody(tb, rec), 200, &out)
	w.ids[coll] = append(w.ids[coll], out.ID)
	return out.ID
}

// orNone picks one of ids or "".
func (w *leakWorld) orNone(ids []string) string {
	if w.rng.IntN(4) == 0 {
		return ""
	}
	return ids[w.rng.IntN(len(ids))]
}

func (w *leakWorld) data(tb testing.TB) {
	w.callers = []*leakCaller{{name: "guest", token: "-"}}
	for i := 1; i <= 5; i++ {
		name := fmt.Sprintf("u%d", i)
		c := &leakCaller{name: name, password: "password-of-" + name}
		email := name + "@example.com"
		if i == 5 && w.rng.IntN(2) == 0 {
			email = "" // a user without an email
		}
		c.id = w.create(tb, "people", map[string]any{"email": email, "emailVisibility": w.rng.IntN(2) == 0,
			"password": c.password, "passwordConfirm": c.password, "name": w.pick("ann", "ben", "cid"), "team": w.pick("red", "blue")})
		if i <= 4 {
			w.callers = append(w.callers, c)
		}
	}
	w.callers[1].roles = []string{"member"}
	w.callers[2].roles = []string{"auditor"}
	w.callers[3].roles = []string{"member", "auditor"}
	people := w.ids["people"]
	for i := 0; i < 4; i++ {
		w.create(tb, "orgs", map[string]any{"name": w.pick("red", "blue", "green"), "secret": w.pick("s1", "s2", "s3"), "owner": w.orNone(people)})
	}
	for _, id := range people {
		w.real.MustJSON("PATCH", "/api/collections/people/records/"+id, "", jsonBody(tb, map[string]any{"org": w.orNone(w.ids["orgs"])}), 200, nil)
	}
	for i := 0; i < 10; i++ {
		var refs []string
		if len(w.ids["docs"]) > 0 {
			refs = w.some(w.ids["docs"], 2)
		}
		w.create(tb, "docs", map[string]any{"title": w.pick("t1", "t2", "t3", "T4", "t5"), "secret": w.pick("s1", "s2", "s3", "s4"),
			"status": w.pick("draft", "published"), "score": w.rng.IntN(10), "tags": w.some([]string{"a", "b", "c"}, 3),
			"org": w.orNone(w.ids["orgs"]), "owner": w.orNone(people), "refs": refs})
	}
	for i := 0; i < 8; i++ {
		w.create(tb, "notes", map[string]any{"text": w.pick("x1", "x2", "x3"), "doc": w.orNone(w.ids["docs"]), "docs": w.some(w.ids["docs"], 3)})
	}
	w.texts = []string{"red", "blue", "green", "s1", "s2", "s3", "s4", "t1", "t2", "t3", "T4", "t5", "x1", "x2", "ann", "ben", "cid",
		"draft", "published", "a", "b", "c", "u1@example.com", "u2@example.com", "u5@example.com", "%1", "s_", "e", "zz", ""}
	w.texts = append(w.texts, w.ids["docs"][0], w.ids["orgs"][0], people[0], people[4])
}

// access gives every collection guest rules and role policies drawn from
// a pool, written through the rbac API, and assigns the roles.
func (w *leakWorld) access(tb testing.TB) {
	e := w.real
	for _, role := range []string{"member", "auditor"} {
		e.MustJSON("POST", "/api/rbac/roles", "", `{"name": "`+role+`"}`, 200, nil)
	}
	for _, c := range w.callers {
		for _, role := range c.roles {
			e.MustJSON("POST", "/api/rbac/assignments", "", fmt.Sprintf(`{"collection": "people", "id": %q, "role": %q}`, c.id, role), 200, nil)
		}
	}
	none := "-"
	guest := map[string][]string{
		// people always lets a user see itself, so that it can sign in
		// to its copy with its own record.
		"people": {"", "id = @request.auth.id", "id = @request.auth.id || team = 'red'"},
		"orgs":   {"", "owner = @request.auth.id", "name = 'red'", "owner.team = 'red'", none},
		"docs":   {"", "status = 'published'", "owner = @request.auth.id || status = 'published'", "org.name = 'red'", "org.secret = 's1' && score > 3", none},
		"notes":  {"", "doc.status = 'published'", "text != 'x3'"},
	}
	roles := map[string][]leakPolicy{
		"orgs": {{subject: "auditor", cond: "", fields: []string{"name", "owner"}}, {subject: "authenticated", cond: "name = 'green'", fields: []string{"name"}}},
		"docs": {{subject: "member", cond: "owner = @request.auth.id || score > 5", fields: []string{"title", "status", "score", "org", "owner", "refs", "tags"}},
			{subject: "auditor", cond: "refs.status ?= 'draft'", fields: []string{"title", "secret", "refs"}}},
		"people": {{subject: "member", cond: "team = 'blue'", fields: []string{"name", "email", "emailVisibility"}}},
	}
	for _, coll := range leakCollections {
		var ps []leakPolicy
		if g := w.pick(guest[coll]...); g != none {
			ps = append(ps, leakPolicy{subject: "guest", cond: g})
		}
		for _, p := range roles[coll] {
			if w.rng.IntN(3) > 0 {
				ps = append(ps, p)
			}
		}
		w.policies[coll] = ps
		var items []map[string]any
		for _, p := range ps {
			for _, action := range []string{"list", "view"} {
				item := map[string]any{"subject": p.subject, "action": action, "condition": p.cond}
				if p.fields != nil {
					item["fields"] = p.fields
				}
				items = append(items, item)
			}
		}
		e.MustJSON("PUT", "/api/rbac/collections/"+coll+"/policies", "", jsonBody(tb, map[string]any{"items": items}), 200, nil)
	}
	for _, c := range w.callers[1:] {
		var auth struct{ Token string }
		e.MustJSON("POST", "/api/collections/people/auth-with-password", "-", fmt.Sprintf(`{"identity": %q, "password": %q}`, c.name+"@example.com", c.password), 200, &auth)
		c.token = auth.Token
	}
}

// fieldsOf returns the fields caller c may read on coll: nil for all,
// and whether it may view coll at all.
func (w *leakWorld) fieldsOf(c *leakCaller, coll string) (fields []string, allowed bool) {
	var union []string
	for _, p := range w.policies[coll] {
		applies := p.subject == "guest" || (c.id != "" && (p.subject == "authenticated" || slices.Contains(c.roles, p.subject)))
		if !applies {
			continue
		}
		if p.fields == nil {
			return nil, true
		}
		allowed = true
		for _, f := range p.fields {
			if !slices.Contains(union, f) {
				union = append(union, f)
			}
		}
	}
	return union, allowed
}

// copyFor builds c's copy of the world: the same collections (imported
// with their ids), policies granting c's field lists without conditions,
// and the rows c's unfiltered lists show, with the fields they leave out
// emptied. c's own people record is copied whole, so that it can sign in.
func (w *leakWorld) copyFor(tb testing.TB, c *leakCaller) {
	tb.Helper()
	var copyURL string
	c.copy = MustEnv(tb, func(cfg *server.Config) { copyURL = cfg.DatabaseURL })
	var defs []json.RawMessage
	for _, coll := range leakCollections {
		var def json.RawMessage
		w.real.MustJSON("GET", "/api/collections/"+coll, "", "", 200, &def)
		defs = append(defs, def)
	}
	c.copy.MustJSON("PUT", "/api/collections/import", "", jsonBody(tb, map[string]any{"collections": defs, "deleteMissing": false}), 204, nil)

	ctx := context.Background()
	src, err := pgx.Connect(ctx, w.dbURL)
	if err != nil {
		tb.Fatal(err)
	}
	defer src.Close(ctx)
	dst, err := pgx.Connect(ctx, copyURL)
	if err != nil {
		tb.Fatal(err)
	}
	defer dst.Close(ctx)
	// Rows may point at records the copy leaves out, as a visible record
	// may relate to a hidden one.
	rows, err := dst.Query(ctx, `SELECT conrelid::regclass::text, conname FROM pg_constraint WHERE contype = 'f' AND connamespace = current_schema()::regnamespace`)
	if err != nil {
		tb.Fatal(err)
	}
	fks, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) ([2]string, error) {
		var t, n string
		err := r.Scan(&t, &n)
		return [2]string{t, n}, err
	})
	if err != nil {
		tb.Fatal(err)
	}
	for _, fk := range fks {
		if _, err := dst.Exec(ctx, "ALTER TABLE "+fk[0]+" DROP CONSTRAINT "+pgx.Identifier{fk[1]}.Sanitize()); err != nil {
			tb.Fatal(err)
		}
	}

	for _, coll := range leakCollections {
		fields, allowed := w.fieldsOf(c, coll)
		var items []map[string]any
		if allowed {
			var page struct{ Items []map[string]any }
			w.real.MustJSON("GET", "/api/collections/"+coll+"/records?perPage=1000", c.token, "", 200, &page)
			items = page.Items
			pol := []map[string]any{}
			for _, action := range []string{"list", "view"} {
				p := map[string]any{"subject": "guest", "action": action, "condition": ""}
				if fields != nil {
					p["fields"] = fields
				}
				pol = append(pol, p)
			}
			c.copy.MustJSON("PUT", "/api/rbac/collections/"+coll+"/policies", "", jsonBody(tb, map[string]any{"items": pol}), 200, nil)
		} else {
			c.copy.MustJSON("PUT", "/api/rbac/collections/"+coll+"/policies", "", `{"items": []}`, 200, nil)
		}
		table := pgx.Identifier{coll}.Sanitize()
		types := map[string]string{}
		rows, err := dst.Query(ctx, "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1", coll)
		if err != nil {
			tb.Fatal(err)
		}
		var col, typ string
		if _, err := pgx.ForEachRow(rows, []any{&col, &typ}, func() error { types[col] = typ; return nil }); err != nil {
			tb.Fatal(err)
		}
		for _, item := range items {
			id := item["id"].(string)
			var row map[string]any
			if err := src.QueryRow(ctx, "SELECT to_jsonb(t) FROM "+table+" AS t WHERE id = $1", id).Scan(&row); err != nil {
				tb.Fatal(err)
			}
			own := coll == "people" && id == c.id
			for k := range row {
				// Secrets stay: nobody reads, filters or sorts by them,
				// and token keys are unique.
				secret := k == "password" || k == "tokenKey"
				if _, shown := item[k]; !shown && !own && !secret {
					row[k] = emptyOf(types[k])
				}
			}
			if _, err := dst.Exec(ctx, "INSERT INTO "+table+" SELECT * FROM jsonb_populate_record(NULL::"+table+", $1)", row); err != nil {
				tb.Fatalf("copy %s %s: %v", coll, id, err)
			}
		}
	}
	if c.id != "" {
		var auth struct{ Token string }
		c.copy.MustJSON("POST", "/api/collections/people/auth-with-password", "-", fmt.Sprintf(`{"identity": %q, "password": %q}`, c.name+"@example.com", c.password), 200, &auth)
		c.ctoken = auth.Token
	} else {
		c.ctoken = "-"
	}
}

// emptyOf returns the empty value of a column of PostgreSQL type typ:
// what a field the caller may not read holds in its copy.
func emptyOf(typ string) any {
	switch typ {
	case "text":
		return ""
	case "double precision", "numeric", "integer", "bigint":
		return 0
	case "boolean":
		return false
	case "ARRAY":
		return []any{}
	}
	return nil
}

// leakPaths are what generated filters compare, per collection: fields,
// relation paths (single, multi, two hops), back-relations, @collection,
// modifiers, and fields some callers may not read.
var leakPaths = map[string][]string{
	"people": {"name", "team", "email", "email:lower", "org.secret", "org.name", "docs_via_owner.title", "docs_via_owner.secret", "orgs_via_owner.name", "orgs_via_owner.secret", "id"},
	"orgs":   {"name", "secret", "owner", "owner.email", "owner.name", "owner.team", "docs_via_org.title", "docs_via_org.secret", "docs_via_org.status", "@collection.docs.secret", "@collection.people.email"},
	"docs": {"title", "secret", "status", "score", "tags", "tags:each", "org", "org.id", "org.name", "org.secret", "org.owner.email", "org.owner.name", "owner.email",
		"owner.team", "refs", "refs:length", "refs.title", "refs.secret", "refs.org.secret", "refs.refs.title", "notes_via_doc.text", "notes_via_docs.text",
		"docs_via_refs.title", "docs_via_refs.secret", "@collection.orgs.secret", "@collection.docs.secret", "@collection.people.email", "title:lower"},
	"notes": {"text", "doc", "doc.title", "doc.secret", "doc.status", "doc.org.name", "doc.org.secret", "doc.owner.email", "docs.title", "docs.secret", "docs:length", "doc.refs.secret", "@collection.orgs.name"},
}

// leakSorts are what generated sorts order by.
var leakSorts = map[string][]string{
	"people": {"name", "email", "team", "org.secret"},
	"orgs":   {"name", "secret", "owner.email", "owner.name"},
	"docs":   {"title", "secret", "score", "org.name", "org.secret", "org.owner.email", "owner.email", "owner.name"},
	"notes":  {"text", "doc.title", "doc.secret", "doc.org.secret", "doc.owner.email"},
}

var leakExpands = map[string][]string{
	"people": {"org", "docs_via_owner", "orgs_via_owner"},
	"orgs":   {"owner", "docs_via_org"},
	"docs":   {"org", "org.owner", "owner", "refs", "refs.org", "notes_via_doc", "docs_via_refs"},
	"notes":  {"doc", "doc.org", "docs", "docs.owner"},
}

// leakFields are what generated fields parameters name.
var leakFields = map[string][]string{
	"people": {"id", "name", "email", "team", "password", "tokenKey", "expand.docs_via_owner.secret"},
	"orgs":   {"id", "name", "secret", "owner", "expand.owner.email"},
	"docs":   {"id", "title", "secret", "score", "org", "expand.org.secret", "expand.refs.title"},
	"notes":  {"id", "text", "doc", "expand.doc.secret", "expand.doc.title"},
}

var leakOps = []string{"=", "!=", "~", "!~", ">", "<", "?=", "?!=", "?~", "?>"}

// filter returns a generated filter on coll: one to three comparisons.
func (w *leakWorld) filter(coll string) string {
	n := 1 + w.rng.IntN(3)
	var b strings.Builder
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteString(w.pick(" && ", " || "))
		}
		path := w.pick(leakPaths[coll]...)
		op := w.pick(leakOps...)
		var lit string
		switch {
		case strings.HasSuffix(path, ":length") || path == "score":
			lit = fmt.Sprint(w.rng.IntN(8))
		case w.rng.IntN(8) == 0:
			lit = w.pick("@request.auth.id", "@request.auth.email", "@request.auth.team", "@request.auth.org.secret", "@request.auth.org.name", "null")
		default:
			lit = "'" + w.pick(w.texts...) + "'"
		}
		b.WriteString(path + " " + op + " " + lit)
	}
	if n > 1 && w.rng.IntN(3) == 0 {
		return "(" + b.String() + ")"
	}
	return b.String()
}

// query returns generated list parameters for coll.
func (w *leakWorld) query(coll string) string {
	q := url.Values{}
	if w.rng.IntN(6) > 0 {
		q.Set("filter", w.filter(coll))
	}
	if w.rng.IntN(2) == 0 {
		var keys []string
		for _, s := range w.some(leakSorts[coll], 2) {
			keys = append(keys, w.pick("", "-")+s)
		}
		q.Set("sort", strings.Join(keys, ","))
	}
	if w.rng.IntN(3) == 0 {
		q.Set("expand", strings.Join(w.some(leakExpands[coll], 2), ","))
	}
	if w.rng.IntN(4) == 0 {
		q.Set("fields", strings.Join(w.some(leakFields[coll], 3), ","))
	}
	if w.rng.IntN(3) == 0 {
		q.Set("perPage", fmt.Sprint(1+w.rng.IntN(4)))
		q.Set("page", fmt.Sprint(1+w.rng.IntN(2)))
	}
	return q.Encode()
}

// check sends one request as c to the world and to c's copy and reports
// a difference in status or body.
func (w *leakWorld) check(tb testing.TB, c *leakCaller, path string) {
	tb.Helper()
	rs, rb := w.real.as(tb).Do("GET", path, c.token, "")
	cs, cb := c.copy.as(tb).Do("GET", path, c.ctoken, "")
	if rs >= 500 || cs >= 500 {
		tb.Errorf("%s GET %s: server error: %d %s / copy %d %s", c.name, path, rs, rb, cs, cb)
		return
	}
	if rs != cs {
		tb.Errorf("%s GET %s: status %d, %d on the copy\nbody %s\ncopy %s", c.name, unescape(path), rs, cs, rb, cb)
		return
	}
	w.answered[rs]++
	if rs != 200 {
		return
	}
	var real, cp any
	if err := json.Unmarshal([]byte(rb), &real); err != nil {
		tb.Fatal(err)
	}
	if err := json.Unmarshal([]byte(cb), &cp); err != nil {
		tb.Fatal(err)
	}
	if !jsonEqual(real, cp) {
		tb.Errorf("%s GET %s: answers differ\nbody %s\ncopy %s", c.name, unescape(path), rb, cb)
		return
	}
	// Asked again, a list's total may come from the kept totals.
	if _, again := w.real.as(tb).Do("GET", path, c.token, ""); again != rb {
		tb.Errorf("%s GET %s: asked again\nbody %s\nthen %s", c.name, unescape(path), rb, again)
	}
}

// as returns e reporting to tb: a fuzz target's world is built with its
// *testing.F, and each input runs with its own *testing.T.
func (e *env) as(tb testing.TB) *env {
	c := *e
	c.tb = tb
	return &c
}

func unescape(p string) string {
	if u, err := url.PathUnescape(p); err == nil {
		return u
	}
	return p
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

// run sends n generated requests for every caller.
func (w *leakWorld) run(tb testing.TB, n int) {
	w.answered = map[int]int{}
	defer func() { tb.Logf("requests checked, by status: %v", w.answered) }()
	for i := 0; i < n; i++ {
		for _, c := range w.callers {
			coll := w.pick(leakCollections...)
			if w.rng.IntN(5) == 0 {
				id := w.pick(w.ids[coll]...)
				q := ""
				if w.rng.IntN(2) == 0 {
					q = "?expand=" + url.QueryEscape(strings.Join(w.some(leakExpands[coll], 2), ","))
				}
				w.check(tb, c, "/api/collections/"+coll+"/records/"+id+q)
				continue
			}
			w.check(tb, c, "/api/collections/"+coll+"/records?"+w.query(coll))
		}
	}
}

// TestAccessLeaks runs a few hundred generated requests on two generated
// worlds.
func TestAccessLeaks(t *testing.T) {
	t.Parallel()
	for _, seed := range []uint64{1, 2, 3} {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			w := MustLeakWorld(t, seed)
			w.run(t, 60)
		})
	}
}

// FuzzAccessLeaks runs the leak finder for longer: each input seeds a
// world's requests (the world itself is built once, from seed 1).
//
//	go test ./server/api -run '^$' -fuzz FuzzAccessLeaks -fuzztime 10m
func FuzzAccessLeaks(f *testing.F) {
	w := MustLeakWorld(f, 1)
	f.Add(uint64(7))
	f.Fuzz(func(t *testing.T, seed uint64) {
		w.rng = rand.New(rand.NewPCG(seed, 1))
		w.run(t, 5)
	})
}

// TestAccessLeaksRealtime: a subscription with a generated filter, over
// a WebSocket and over Server-Sent Events, receives, when every record is
// written, exactly the records that filter lists in the caller's copy of
// the world, each as the caller's REST list shows it; a filter the list
// refuses is refused.
func TestAccessLeaksRealtime(t *testing.T) {
	t.Parallel()
	w := MustLeakWorld(t, 4, func(c *server.Config) { c.HTTPAddr = "127.0.0.1:0" })
	addr := MustServe(t, w.real)
	w.real.MustJSON("POST", "/api/collections", "", `{"name": "marks", "listRule": "", "viewRule": "", "fields": [{"name": "n", "type": "number"}]}`, 200, nil)
	type sub struct {
		coll, filter string
		want         map[string]string // record id -> its JSON in the list
		ws, sse      map[string]string // what each transport delivered
	}
	type client struct {
		ws     *wsClient
		sse    *sseStream
		topics []string        // accepted SSE topics
		subs   map[string]*sub // by WebSocket id and by SSE topic
	}
	clients := map[*leakCaller]*client{}
	for _, c := range w.callers {
		tok := c.token
		if tok == "-" {
			tok = ""
		}
		cl := &client{ws: MustDial(t, addr, tok), sse: MustStream(t, addr), subs: map[string]*sub{}}
		clients[c] = cl
		cl.ws.call(map[string]any{"type": "subscribe", "id": "marks", "topic": "marks/*"}, "ack")
		cl.topics = []string{"marks/*"}
		if st := cl.sse.subscribe(tok, cl.sse.id, cl.topics...); st != 204 {
			t.Fatalf("SSE subscribe: %d", st)
		}
		for i := 0; i < 10; i++ {
			s := &sub{coll: w.pick(leakCollections...), ws: map[string]string{}, sse: map[string]string{}}
			s.filter = w.filter(s.coll)
			id := fmt.Sprint("s", i)
			topic := s.coll + "/*?options=" + url.QueryEscape(jsonOf(map[string]any{"query": map[string]any{"filter": s.filter}}))
			// The records the caller's copy of the world lists.
			status, body := c.copy.Do("GET", "/api/collections/"+s.coll+"/records?perPage=1000&filter="+url.QueryEscape(s.filter), c.ctoken, "")
			if err := cl.ws.conn.WriteJSON(map[string]any{"type": "subscribe", "id": id, "topic": s.coll + "/*", "filter": s.filter}); err != nil {
				t.Fatal(err)
			}
			reply := cl.ws.read()
			sseStatus := cl.sse.subscribe(tok, cl.sse.id, append(cl.topics, topic)...)
			refused := reply["type"] == "error"
			switch {
			case refused != (sseStatus == 400):
				t.Errorf("%s: filter %q on %s: WebSocket %v, SSE %d", c.name, s.filter, s.coll, reply, sseStatus)
				continue
			case status == 400 || (status == 403 && refused):
				if !refused {
					t.Errorf("%s: filter %q on %s: the list refuses it, the subscription got %v", c.name, s.filter, s.coll, reply)
				}
				continue
			case refused || sseStatus != 204:
				t.Errorf("%s: filter %q on %s: list %d, WebSocket %v, SSE %d", c.name, s.filter, s.coll, status, reply, sseStatus)
				continue
			}
			cl.topics = append(cl.topics, topic)
			s.want = map[string]string{}
			if status == 200 {
				var page struct{ Items []map[string]any }
				if err := json.Unmarshal([]byte(body), &page); err != nil {
					t.Fatal(err)
				}
				for _, it := range page.Items {
					s.want[it["id"].(string)] = ""
				}
			}
			cl.subs[id], cl.subs[topic] = s, s
		}
	}
	// Write every record (its "updated" changes), then a mark that ends
	// each client's stream of this round. The SSE streams are read as the
	// events come, so that no queue fills while the writes go on.
	sseDone := map[*leakCaller]chan []sseEvent{}
	for c, cl := range clients {
		done := make(chan []sseEvent, 1)
		sseDone[c] = done
		go func(events <-chan sseEvent) {
			var got []sseEvent
			for ev := range events {
				if ev.Event == "marks/*" {
					break
				}
				got = append(got, ev)
			}
			done <- got
		}(cl.sse.events)
	}
	for _, coll := range leakCollections {
		for _, id := range w.ids[coll] {
			w.real.MustJSON("PATCH", "/api/collections/"+coll+"/records/"+id, "", `{}`, 200, nil)
		}
	}
	w.real.MustJSON("POST", "/api/collections/marks/records", "", `{"n": 1}`, 200, nil)
	for _, c := range w.callers {
		cl := clients[c]
		for {
			m := cl.ws.read()
			if m["type"] != "event" {
				continue
			}
			if m["sub"] == "marks" {
				break
			}
			rec, _ := m["record"].(map[string]any)
			if s := cl.subs[m["sub"].(string)]; s != nil {
				s.ws[rec["id"].(string)] = jsonOf(rec)
			}
		}
		for _, ev := range <-sseDone[c] {
			var m struct{ Record map[string]any }
			if err := json.Unmarshal([]byte(ev.Data), &m); err != nil {
				t.Fatal(err)
			}
			if s := cl.subs[ev.Event]; s != nil {
				s.sse[m.Record["id"].(string)] = jsonOf(m.Record)
			}
		}
		for key, s := range cl.subs {
			if strings.Contains(key, "/") {
				continue // the same subscription by its SSE topic
			}
			// Each record as the caller's list shows it now.
			status, body := w.real.Do("GET", "/api/collections/"+s.coll+"/records?perPage=1000&filter="+url.QueryEscape(s.filter), c.token, "")
			if status == 200 {
				var page struct{ Items []map[string]any }
				if err := json.Unmarshal([]byte(body), &page); err != nil {
					t.Fatal(err)
				}
				for _, it := range page.Items {
					if _, ok := s.want[it["id"].(string)]; ok {
						s.want[it["id"].(string)] = jsonOf(it)
					}
				}
			}
			if jsonOf(s.ws) != jsonOf(s.want) {
				t.Errorf("%s: WebSocket %s/* with filter %q:\nevents %v\nlist   %v", c.name, s.coll, s.filter, s.ws, s.want)
			}
			if jsonOf(s.sse) != jsonOf(s.want) {
				t.Errorf("%s: SSE %s/* with filter %q:\nevents %v\nlist   %v", c.name, s.coll, s.filter, s.sse, s.want)
			}
		}
	}
}
