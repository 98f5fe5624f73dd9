package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/lumbunghq/lumbung/collections"
	"github.com/lumbunghq/lumbung/collections/postgres"
	"github.com/lumbunghq/lumbung/plugins/hook"
)

// MustBlog returns a service with authors and posts (a cascading author
// relation and a plain editors relation) and its pool.
func MustBlog(tb testing.TB) (*collections.Service, *postgres.DB) {
	tb.Helper()
	svc, _, db := MustDatabase(tb)
	for _, js := range []string{authorsJSON, postsJSON} {
		if _, err := svc.CreateCollection(context.Background(), mustCollection(tb, js), collections.SaveOptions{}); err != nil {
			tb.Fatal(err)
		}
	}
	return svc, db
}

// journal records the after-hook events of a service as
// "<action> <collection> <name or title>", and whether each record was
// committed when its hook ran.
type journal struct {
	mu        sync.Mutex
	events    []string
	committed []bool
}

func (j *journal) bind(tb testing.TB, svc *collections.Service, db *postgres.DB) {
	h := svc.Hooks()
	note := func(action string) func(e *collections.RecordEvent) error {
		return func(e *collections.RecordEvent) error {
			label, _ := e.Record.Data["name"].(string)
			if label == "" {
				label, _ = e.Record.Data["title"].(string)
			}
			var n int
			err := db.Pool.QueryRow(e.Context, "SELECT count(*) FROM "+e.Collection.Name+" WHERE id = $1", e.Record.ID()).Scan(&n)
			if err != nil {
				tb.Error(err)
			}
			j.mu.Lock()
			j.events = append(j.events, action+" "+e.Collection.Name+" "+label)
			j.committed = append(j.committed, (n == 1) == (action != "delete"))
			j.mu.Unlock()
			return e.Next()
		}
	}
	h.OnRecordAfterCreate().BindFunc(note("create"))
	h.OnRecordAfterUpdate().BindFunc(note("update"))
	h.OnRecordAfterDelete().BindFunc(note("delete"))
}

func (j *journal) take(tb testing.TB) string {
	tb.Helper()
	j.mu.Lock()
	defer j.mu.Unlock()
	for i, ok := range j.committed {
		if !ok {
			tb.Errorf("after-hook %q ran before its change was committed", j.events[i])
		}
	}
	out := strings.Join(j.events, "; ")
	j.events, j.committed = nil, nil
	return out
}

func TestWritePathHooks(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	svc, db := MustBlog(t)
	authors, _ := svc.Collection("authors")
	posts, _ := svc.Collection("posts")
	var j journal
	j.bind(t, svc, db)
	h := svc.Hooks()
	var order []string
	h.OnRecordCreate("posts").Bind(&hook.Handler[*collections.RecordEvent]{ID: "second", Priority: 2, Func: func(e *collections.RecordEvent) error {
		order = append(order, "second")
		return e.Next()
	}})
	h.OnRecordCreate("POSTS").Bind(&hook.Handler[*collections.RecordEvent]{ID: "first", Priority: 1, Func: func(e *collections.RecordEvent) error {
		order = append(order, "first")
		if title, _ := e.Record.Data["title"].(string); strings.Contains(title, "spam") {
			return collections.Invalid("Failed to create record.", map[string]collections.FieldError{
				"title": {Code: "validation_spam", Message: "No spam."}})
		}
		e.Record.Data["body"] = "<p>set by a hook</p>"
		if err := e.Next(); err != nil {
			return err
		}
		order = append(order, "first after next")
		return nil
	}})
	recs := svc.SystemRecords()
	ann, err := recs.Create(ctx, authors, map[string]any{"name": "ann"})
	if err != nil {
		t.Fatal(err)
	}

	// Priority order, a change before Next, the store write as the chain's
	// last step.
	p, err := recs.Create(ctx, posts, map[string]any{"title": "hello", "author": ann.ID(), "editors": []string{ann.ID()}})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(order, ", "); got != "first, second, first after next" {
		t.Errorf("order %q", got)
	}
	if p.Data["body"] != "<p>set by a hook</p>" {
		t.Errorf("body %q: the hook's change was not written", p.Data["body"])
	}

	// A veto is the hook's domain error, and nothing is written.
	_, err = recs.Create(ctx, posts, map[string]any{"title": "buy spam", "author": ann.ID()})
	var de *collections.Error
	if !errors.As(err, &de) || de.Code != collections.EINVALID || de.Data["title"].Code != "validation_spam" {
		t.Fatalf("veto: %v", err)
	}
	if got := j.take(t); got != "create authors ann; create posts hello" {
		t.Errorf("after-hooks %q", got)
	}

	// A rolled back transaction runs no after-hook; a committed one runs
	// them after its commit, in the order of the writes.
	err = svc.InTx(ctx, func(tx *collections.Records) error {
		if _, err := tx.Create(ctx, authors, map[string]any{"name": "bob"}); err != nil {
			return err
		}
		return errRollback
	})
	if err != errRollback {
		t.Fatal(err)
	}
	if got := j.take(t); got != "" {
		t.Errorf("after-hooks of a rolled back transaction: %q", got)
	}
	err = svc.InTx(ctx, func(tx *collections.Records) error {
		if _, err := tx.Create(ctx, authors, map[string]any{"name": "cy"}); err != nil {
			return err
		}
		if got := j.take(t); got != "" {
			return fmt.Errorf("after-hooks before the commit: %q", got)
		}
		_, err := tx.Update(ctx, authors, ann.ID(), map[string]any{"name": "anna"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := j.take(t); got != "create authors cy; update authors anna" {
		t.Errorf("after-hooks %q", got)
	}

	// A delete passes its cascade through the write path: the post whose
	// author relation cascades is deleted, and another post loses the
	// editor.
	other, err := recs.Create(ctx, authors, map[string]any{"name": "dee"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := recs.Create(ctx, posts, map[string]any{"title": "kept", "author": other.ID(), "editors": []string{ann.ID(), other.ID()}}); err != nil {
		t.Fatal(err)
	}
	j.take(t)
	if err := recs.Delete(ctx, authors, ann.ID()); err != nil {
		t.Fatal(err)
	}
	if got := j.take(t); got != "delete posts hello; update posts kept; delete authors anna" {
		t.Errorf("after-hooks of a cascading delete %q", got)
	}
	page, err := recs.List(ctx, posts, collections.Query{})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != 1 || !slices.Equal(collections.IDs(page.Items[0].Data["editors"]), []string{other.ID()}) {
		t.Errorf("after the delete: %v", page.Items)
	}
}

// A before-hook writes in the write's own transaction: when the write
// fails afterwards, the hook's write is rolled back with it.
func TestWritePathHookWritesInTheTransaction(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	svc, _ := MustBlog(t)
	authors, _ := svc.Collection("authors")
	posts, _ := svc.Collection("posts")
	svc.Hooks().OnRecordCreate("posts").BindFunc(func(e *collections.RecordEvent) error {
		if _, err := e.Records.Create(e.Context, authors, map[string]any{"name": "audit " + e.Record.Data["title"].(string)}); err != nil {
			return err
		}
		return e.Next()
	})
	recs := svc.SystemRecords()
	if _, err := recs.Create(ctx, posts, map[string]any{"title": "ok"}); err != nil {
		t.Fatal(err)
	}
	// A duplicate id fails the insert after the hook ran.
	if _, err := recs.Create(ctx, posts, map[string]any{"id": "fixedid00000001", "title": "one"}); err != nil {
		t.Fatal(err)
	}
	if _, err := recs.Create(ctx, posts, map[string]any{"id": "fixedid00000001", "title": "dup"}); err == nil {
		t.Fatal("a duplicate id was stored")
	}
	page, err := recs.List(ctx, authors, collections.Query{Sort: "name"})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range page.Items {
		names = append(names, r.Data["name"].(string))
	}
	if got := strings.Join(names, ", "); got != "audit ok, audit one" {
		t.Errorf("authors %q: the failed write's hook write was kept", got)
	}
}

// Every record change passes the write path: for a mixed workload the
// after-hooks see exactly the changes the change log captured.
func TestWritePathSeesEveryChange(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	svc, db := MustBlog(t)
	if _, err := svc.CreateCollection(ctx, mustCollection(t, `{"name": "users", "type": "auth"}`), collections.SaveOptions{}); err != nil {
		t.Fatal(err)
	}
	events := postgres.NewEvents(db)
	start, err := events.Last(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var hooked sync.Map // "<action> <collection id> <record id>" -> count
	count := func(action string) func(e *collections.RecordEvent) error {
		return func(e *collections.RecordEvent) error {
			k := action + " " + e.Collection.ID + " " + e.Record.ID()
			n, _ := hooked.LoadOrStore(k, new(int))
			*n.(*int)++
			return e.Next()
		}
	}
	h := svc.Hooks()
	h.OnRecordAfterCreate().BindFunc(count("create"))
	h.OnRecordAfterUpdate().BindFunc(count("update"))
	h.OnRecordAfterDelete().BindFunc(count("delete"))

	authors, _ := svc.Collection("authors")
	posts, _ := svc.Collection("posts")
	userCol, _ := svc.Collection("users")
	recs := svc.SystemRecords()
	var ids []string
	for i := range 4 {
		a, err := recs.Create(ctx, authors, map[string]any{"name": fmt.Sprint("a", i)})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, a.ID())
	}
	// A batch-like transaction: creates, an update with a modifier, a
	// failed write that rolls the whole of another transaction back.
	err = svc.InTx(ctx, func(tx *collections.Records) error {
		for i, id := range ids {
			if _, err := tx.Create(ctx, posts, map[string]any{"title": fmt.Sprint("p", i), "author": id, "editors": ids}); err != nil {
				return err
			}
		}
		_, err := tx.Update(ctx, authors, ids[0], map[string]any{"name": "renamed"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	_ = svc.InTx(ctx, func(tx *collections.Records) error {
		if _, err := tx.Create(ctx, authors, map[string]any{"name": "gone"}); err != nil {
			return err
		}
		return errRollback
	})
	// Auth flows.
	u, err := recs.Create(ctx, userCol, map[string]any{"email": "u@example.com", "password": "12345678", "passwordConfirm": "12345678"})
	if err != nil {
		t.Fatal(err)
	}
	if err := recs.MarkVerified(ctx, userCol, u.ID()); err != nil {
		t.Fatal(err)
	}
	if err := recs.ResetPassword(ctx, userCol, u.ID(), "87654321"); err != nil {
		t.Fatal(err)
	}
	// Cascades: a delete that deletes posts and updates the others.
	if err := recs.Delete(ctx, authors, ids[1]); err != nil {
		t.Fatal(err)
	}
	if err := recs.Delete(ctx, userCol, u.ID()); err != nil {
		t.Fatal(err)
	}

	logged, err := events.After(ctx, start, 10000)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{}
	for _, e := range logged {
		want[e.Action+" "+e.CollectionID+" "+e.RecordID]++
	}
	got := map[string]int{}
	hooked.Range(func(k, v any) bool { got[k.(string)] = *v.(*int); return true })
	if len(logged) != 18 {
		t.Fatalf("%d changes logged, want 18", len(logged))
	}
	for k, n := range want {
		if got[k] != n {
			t.Errorf("%s: logged %d times, after-hooks %d", k, n, got[k])
		}
	}
	for k, n := range got {
		if want[k] == 0 {
			t.Errorf("%s: after-hooks %d times, never logged", k, n)
		}
	}
}

// A collection hook acts in the schema change's transaction: records it
// writes commit with the change, and a veto after them leaves neither.
func TestCollectionHooksShareTheTransaction(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	svc, _ := MustBlog(t)
	authors, _ := svc.Collection("authors")
	h := svc.Hooks()
	h.OnCollectionCreate().BindFunc(func(e *collections.CollectionEvent) error {
		if _, err := e.Records.Create(e.Context, authors, map[string]any{"name": "made with " + e.Collection.Name}); err != nil {
			return err
		}
		if err := e.Next(); err != nil {
			return err
		}
		// The new table exists inside the transaction.
		if _, err := e.Records.Create(e.Context, e.Collection, map[string]any{"label": "seed"}); err != nil {
			return err
		}
		if e.Collection.Name == "vetoed" {
			return collections.Errorf(collections.EINVALID, "No.")
		}
		return nil
	})
	if _, err := svc.CreateCollection(ctx, mustCollection(t, `{"name": "tags", "fields": [{"name": "label", "type": "text"}]}`), collections.SaveOptions{}); err != nil {
		t.Fatal(err)
	}
	_, err := svc.CreateCollection(ctx, mustCollection(t, `{"name": "vetoed", "fields": [{"name": "label", "type": "text"}]}`), collections.SaveOptions{})
	if collections.ErrorCode(err) != collections.EINVALID {
		t.Fatalf("veto: %v", err)
	}
	if _, ok := svc.Collection("vetoed"); ok {
		t.Fatal("a vetoed collection was created")
	}
	tags, _ := svc.Collection("tags")
	recs := svc.SystemRecords()
	for c, want := range map[*collections.Collection]string{authors: "made with tags", tags: "seed"} {
		page, err := recs.List(ctx, c, collections.Query{})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range page.Items {
			for _, f := range []string{"name", "label"} {
				if v, _ := r.Data[f].(string); v != "" {
					got = append(got, v)
				}
			}
		}
		if strings.Join(got, ", ") != want {
			t.Errorf("%s: %v, want %s", c.Name, got, want)
		}
	}
}

// The after-error hooks run for a write that failed — invalid, refused by
// a before-hook, its statement failed — once no transaction holds it (a
// write inside a transaction: when that rolls back), with why; never for
// a write refused access or one that succeeded.
func TestAfterErrorHooks(t *testing.T) {
	svc, _ := MustBlog(t)
	ctx := context.Background()
	authors, _ := svc.Collection("authors")
	var mu sync.Mutex
	var seen []string
	note := func(action string) func(e *collections.RecordEvent) error {
		return func(e *collections.RecordEvent) error {
			mu.Lock()
			defer mu.Unlock()
			seen = append(seen, fmt.Sprintf("%s %v %s: %v", action, e.Record.Data["name"], e.Record.ID(), e.Err))
			return e.Next()
		}
	}
	h := svc.Hooks()
	h.OnRecordAfterCreateError("authors").BindFunc(note("create"))
	h.OnRecordAfterUpdateError("authors").BindFunc(note("update"))
	h.OnRecordAfterDeleteError("authors").BindFunc(note("delete"))
	h.OnRecordCreate("authors").BindFunc(func(e *collections.RecordEvent) error {
		if e.Record.Data["name"] == "vetoed" {
			return collections.Errorf(collections.EFORBIDDEN, "No.")
		}
		return e.Next()
	})
	h.OnRecordDelete("authors").BindFunc(func(e *collections.RecordEvent) error {
		if e.Record.ID() == "keptauthor00001" {
			return collections.Errorf(collections.EFORBIDDEN, "Kept.")
		}
		return e.Next()
	})
	take := func() []string {
		mu.Lock()
		defer mu.Unlock()
		out := seen
		seen = nil
		return out
	}
	sys := svc.SystemRecords()
	for _, name := range []string{"kept", "fine"} {
		if _, err := sys.Create(ctx, authors, map[string]any{"id": name + "author00001", "name": name}); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		name  string
		write func() error
		want  []string
	}{
		{"a success", func() error {
			_, err := sys.Create(ctx, authors, map[string]any{"name": "another"})
			return err
		}, nil},
		{"refused access", func() error {
			_, err := svc.RecordsAs(nil).Create(ctx, authors, map[string]any{"name": "guest"})
			return err
		}, nil},
		{"invalid", func() error {
			_, err := sys.Create(ctx, authors, map[string]any{"id": "noname000000001"})
			return err
		}, []string{"create  noname000000001: Failed to create record. map[name:{validation_required Cannot be blank. }]"}},
		{"vetoed", func() error {
			_, err := sys.Create(ctx, authors, map[string]any{"id": "vetoed000000001", "name": "vetoed"})
			return err
		}, []string{"create vetoed vetoed000000001: No."}},
		{"a duplicate id", func() error {
			_, err := sys.Create(ctx, authors, map[string]any{"id": "fineauthor00001", "name": "twice"})
			return err
		}, []string{"create twice fineauthor00001: A record with the same unique value already exists."}},
		{"an invalid update", func() error {
			_, err := sys.Update(ctx, authors, "fineauthor00001", map[string]any{"name": ""})
			return err
		}, []string{"update  fineauthor00001: Failed to update record. map[name:{validation_required Cannot be blank. }]"}},
		{"a vetoed delete", func() error { return sys.Delete(ctx, authors, "keptauthor00001") }, []string{"delete <nil> keptauthor00001: Kept."}},
		{"in a transaction, once it rolled back", func() error {
			return svc.InTx(ctx, func(tx *collections.Records) error {
				if _, err := tx.Create(ctx, authors, map[string]any{"id": "vetoed000000002", "name": "vetoed"}); err == nil {
					t.Error("the veto did not hold")
				}
				if got := take(); got != nil {
					t.Errorf("ran inside the transaction: %q", got)
				}
				return fmt.Errorf("rolled back")
			})
		}, []string{"create vetoed vetoed000000002: No."}},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := c.write()
			if (err != nil) != (c.want != nil || c.name == "refused access") {
				t.Fatalf("error %v", err)
			}
			if got := take(); !slices.Equal(got, c.want) {
				t.Errorf("after-error hooks %q, want %q", got, c.want)
			}
		})
	}
}
