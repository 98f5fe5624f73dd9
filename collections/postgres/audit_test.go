package postgres_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lumbunghq/lumbung/collections"
	"github.com/lumbunghq/lumbung/collections/postgres"
)

// MustAudit returns a service with the "authors" collection and an
// "accounts" auth collection, the audit log, a consumer and the pool of a
// fresh database.
func MustAudit(tb testing.TB) (*collections.Service, *postgres.Audit, *collections.Auditor, *postgres.DB) {
	tb.Helper()
	svc, _, db := MustEvents(tb)
	if _, err := svc.CreateCollection(context.Background(), mustCollection(tb, `{"name": "accounts", "type": "auth",
		"fields": [{"name": "note", "type": "text", "hidden": true}]}`), collections.SaveOptions{}); err != nil {
		tb.Fatal(err)
	}
	store := postgres.NewAudit(db)
	a := collections.NewAuditor(store, svc, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err := a.Start(context.Background()); err != nil {
		tb.Fatal(err)
	}
	return svc, store, a, db
}

// mustCatchUp runs the consumer until it finds nothing new.
func mustCatchUp(tb testing.TB, a *collections.Auditor) {
	tb.Helper()
	for {
		n, err := a.Step(context.Background())
		if err != nil {
			tb.Fatal(err)
		}
		if n == 0 {
			return
		}
	}
}

func mustEntries(tb testing.TB, store *postgres.Audit, q collections.AuditQuery) []collections.AuditEntry {
	tb.Helper()
	q.Limit = 1000
	out, _, err := store.Audit(context.Background(), q)
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

func diffJSON(tb testing.TB, d map[string]collections.AuditChange) string {
	tb.Helper()
	b, err := json.Marshal(d)
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}

// TestAuditOrigins: each write is audited with who made it and the
// request it came with: the system, a superuser, a signed-in user's
// caller (through a hook, whose writes keep the actor of the write that
// ran it), a plugin's records and plain SQL ("sql").
func TestAuditOrigins(t *testing.T) {
	t.Parallel()
	svc, store, auditor, db := MustAudit(t)
	ctx := collections.WithOrigin(context.Background(), collections.Origin{RequestID: "req1", IP: "10.0.0.1"})
	authors, _ := svc.Collection("authors")
	a, err := svc.SystemRecords().Create(ctx, authors, map[string]any{"name": "ann"})
	if err != nil {
		t.Fatal(err)
	}
	su := svc.RecordsAs(collections.Unrestricted{AuthRecord: map[string]any{"id": "su1"}})
	if _, err := su.Update(context.Background(), authors, a.ID(), map[string]any{"name": "anna"}); err != nil {
		t.Fatal(err)
	}
	// A hook's write joins the transaction and keeps the actor.
	svc.Hooks().OnRecordUpdate().BindFunc(func(e *collections.RecordEvent) error {
		if e.Record.Data["name"] == "hooked" {
			if _, err := e.Records.Create(e.Context, authors, map[string]any{"name": "made by hook"}); err != nil {
				return err
			}
		}
		return e.Next()
	})
	if _, err := su.Update(context.Background(), authors, a.ID(), map[string]any{"name": "hooked"}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.SystemRecords().WithActor("plugin:acme").Create(context.Background(), authors, map[string]any{"name": "by plugin"}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Pool.Exec(context.Background(), "UPDATE authors SET name = 'by sql' WHERE id = $1", a.ID()); err != nil {
		t.Fatal(err)
	}
	if err := su.Delete(context.Background(), authors, a.ID()); err != nil {
		t.Fatal(err)
	}
	mustCatchUp(t, auditor)

	got := mustEntries(t, store, collections.AuditQuery{Sort: "created"})
	type row struct{ actor, req, ip, action, name string }
	var rows []row
	for _, e := range got {
		var name string
		json.Unmarshal(e.Data["name"], &name) //nolint:errcheck // "" when absent
		rows = append(rows, row{e.Actor, e.RequestID, e.IP, e.Action, name})
		if e.CollectionName != "authors" || e.CollectionID != authors.ID {
			t.Errorf("entry %d: collection %q %q", e.ID, e.CollectionID, e.CollectionName)
		}
	}
	want := []row{
		{"system", "req1", "10.0.0.1", "create", "ann"},
		{"superuser:su1", "", "", "update", "anna"},
		{"superuser:su1", "", "", "create", "made by hook"},
		{"superuser:su1", "", "", "update", "hooked"},
		{"plugin:acme", "", "", "create", "by plugin"},
		{"sql", "", "", "update", "by sql"},
		{"superuser:su1", "", "", "delete", "by sql"},
	}
	if len(rows) != len(want) {
		t.Fatalf("entries:\n%v\nwant\n%v", rows, want)
	}
	for i := range want {
		if rows[i] != want[i] {
			t.Errorf("entry %d: %v, want %v", i, rows[i], want[i])
		}
	}
	// The update's diff names the changed fields only.
	d := got[1].Diff
	if n := d["name"]; string(n.Old) != `"ann"` || string(n.New) != `"anna"` {
		t.Errorf("diff of name: %s", diffJSON(t, d))
	}
	if _, ok := d["created"]; ok {
		t.Errorf("unchanged created in the diff: %s", diffJSON(t, d))
	}

	// Filters over the entry's fields; the history of one record.
	if n := len(mustEntries(t, store, collections.AuditQuery{Filter: `actor = "sql"`})); n != 1 {
		t.Errorf("actor = sql: %d entries", n)
	}
	if n := len(mustEntries(t, store, collections.AuditQuery{CollectionID: authors.ID, RecordID: a.ID()})); n != 5 {
		t.Errorf("history: %d entries, want 5", n)
	}
	if _, _, err := store.Audit(context.Background(), collections.AuditQuery{Filter: `nope = 1`}); collections.ErrorCode(err) != collections.EINVALID {
		t.Errorf("unknown field: %v", err)
	}
}

// TestAuditMasksSecrets: passwords, token keys and hidden fields are
// masked in the diff and the data; a change of them still shows.
func TestAuditMasksSecrets(t *testing.T) {
	t.Parallel()
	svc, store, auditor, _ := MustAudit(t)
	ctx := context.Background()
	accounts, _ := svc.Collection("accounts")
	recs := svc.SystemRecords()
	u, err := recs.Create(ctx, accounts, map[string]any{"email": "u@example.com", "password": "first password", "passwordConfirm": "first password", "note": "private"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := recs.Update(ctx, accounts, u.ID(), map[string]any{"password": "second password", "passwordConfirm": "second password"}); err != nil {
		t.Fatal(err)
	}
	mustCatchUp(t, auditor)
	got := mustEntries(t, store, collections.AuditQuery{Sort: "created"})
	if len(got) != 2 {
		t.Fatalf("%d entries", len(got))
	}
	for _, e := range got {
		for _, name := range []string{"password", "tokenKey", "note"} {
			if e.Action == "create" && string(e.Diff[name].New) != collections.MaskedValue {
				t.Errorf("create: %s not masked: %s", name, diffJSON(t, e.Diff))
			}
			if v, ok := e.Data[name]; ok && string(v) != collections.MaskedValue {
				t.Errorf("%s: data of %s not masked: %s", e.Action, name, v)
			}
		}
	}
	upd := got[1].Diff
	if p, ok := upd["password"]; !ok || string(p.Old) != collections.MaskedValue || string(p.New) != collections.MaskedValue {
		t.Errorf("changed password: %s", diffJSON(t, upd))
	}
	if _, ok := upd["note"]; ok {
		t.Errorf("unchanged hidden field in the diff: %s", diffJSON(t, upd))
	}
}

// TestAuditOnce: consumers of two nodes working at the same time write
// each entry once.
func TestAuditOnce(t *testing.T) {
	t.Parallel()
	svc, store, a1, db := MustAudit(t)
	a2 := collections.NewAuditor(postgres.NewAudit(db), svc, slog.New(slog.NewTextHandler(io.Discard, nil)))
	authors, _ := svc.Collection("authors")
	// Stopped between steps: a step cancelled midway would leave its
	// connection (and the position's lock) to be cleaned up later.
	var done atomic.Bool
	var wg sync.WaitGroup
	for _, a := range []*collections.Auditor{a1, a2} {
		wg.Go(func() {
			for !done.Load() {
				if _, err := a.Step(context.Background()); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	const writes = 200
	var writers sync.WaitGroup
	for w := range 4 {
		writers.Go(func() {
			for i := range writes / 4 {
				if _, err := svc.SystemRecords().Create(context.Background(), authors, map[string]any{"name": time.Now().String() + string(rune('a'+w)) + string(rune('a'+i%26))}); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	writers.Wait()
	done.Store(true)
	wg.Wait()
	mustCatchUp(t, a1)
	var entries, distinct int
	if err := db.Pool.QueryRow(context.Background(), `SELECT count(*), count(DISTINCT "recordId") FROM _audit`).Scan(&entries, &distinct); err != nil {
		t.Fatal(err)
	}
	if entries != writes || distinct != writes {
		t.Fatalf("%d entries of %d records, want %d", entries, distinct, writes)
	}
	var events int
	if err := db.Pool.QueryRow(context.Background(), `SELECT count(*) FROM _events e JOIN _audit a ON a.id = e.seq`).Scan(&events); err != nil {
		t.Fatal(err)
	}
	if events != writes {
		t.Fatalf("%d entries match an event", events)
	}
	_ = store
}

// TestAuditRetention: entries older than the retention are left out of
// reads and pruned.
func TestAuditRetention(t *testing.T) {
	t.Parallel()
	svc, store, auditor, db := MustAudit(t)
	authors, _ := svc.Collection("authors")
	for _, name := range []string{"old", "new"} {
		if _, err := svc.SystemRecords().Create(context.Background(), authors, map[string]any{"name": name}); err != nil {
			t.Fatal(err)
		}
	}
	mustCatchUp(t, auditor)
	if _, err := db.Pool.Exec(context.Background(), `UPDATE _audit SET created = now() - interval '40 days' WHERE data->>'name' = 'old'`); err != nil {
		t.Fatal(err)
	}
	keep := time.Now().AddDate(0, 0, -30)
	if n := len(mustEntries(t, store, collections.AuditQuery{After: keep})); n != 1 {
		t.Errorf("%d entries within 30 days, want 1", n)
	}
	n, err := store.PruneAudit(context.Background(), keep)
	if err != nil || n != 1 {
		t.Fatalf("pruned %d, %v", n, err)
	}
	if n := len(mustEntries(t, store, collections.AuditQuery{})); n != 1 {
		t.Errorf("%d entries left, want 1", n)
	}
}
