package postgres_test

import (
	"context"
	"math"
	"sync/atomic"
	"testing"

	"github.com/lumbunghq/lumbung/collections"
	"github.com/lumbunghq/lumbung/collections/postgres"
	"github.com/lumbunghq/lumbung/server/localpg/pgtest"
)

// totalsWorld is a database with authors and posts (posts.author relates
// to authors), a record store that keeps totals, and a change log reader
// the test runs by hand.
type totalsWorld struct {
	t       *testing.T
	ctx     context.Context
	db      *postgres.DB
	svc     *collections.Service
	store   *postgres.RecordStore
	totals  *postgres.Totals
	events  *postgres.Events
	pos     atomic.Int64
	pretend atomic.Bool // the reader claims to have read everything
}

func newTotalsWorld(t *testing.T) *totalsWorld {
	ctx := context.Background()
	db, err := postgres.Open(ctx, pgtest.NewDB(t), 8)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	w := &totalsWorld{t: t, ctx: ctx, db: db, totals: postgres.NewTotals(), events: postgres.NewEvents(db)}
	w.store = postgres.NewRecordStore(db, w.totals)
	w.svc = collections.NewService(collections.Config{Schema: postgres.NewSchemaStore(db), Records: w.store})
	if err := w.svc.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	for _, js := range []string{authorsJSON, `{"id": "pbc_tposts00001", "name": "tposts", "fields": [
		{"name": "title", "type": "text"},
		{"name": "author", "type": "relation", "collectionId": "pbc_authors001"},
		{"name": "when", "type": "date"}]}`} {
		if _, err := w.svc.CreateCollection(ctx, mustCollection(t, js), collections.SaveOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	start, err := w.events.Last(ctx)
	if err != nil {
		t.Fatal(err)
	}
	w.pos.Store(start)
	w.totals.Follow(func() int64 {
		if w.pretend.Load() {
			return math.MaxInt64
		}
		return w.pos.Load()
	})
	return w
}

// read passes every committed change to Totals, as the node's tailer does.
func (w *totalsWorld) read() {
	w.t.Helper()
	for {
		evs, horizon, err := w.events.Read(w.ctx, w.pos.Load(), 100)
		if err != nil {
			w.t.Fatal(err)
		}
		for _, e := range evs {
			w.totals.Changed(e.CollectionID)
			w.pos.Store(e.Seq)
		}
		if len(evs) < 100 {
			w.pos.Store(max(w.pos.Load(), horizon))
			return
		}
	}
}

func (w *totalsWorld) exec(sql string) {
	w.t.Helper()
	if _, err := w.db.Pool.Exec(w.ctx, sql); err != nil {
		w.t.Fatal(err)
	}
}

// total lists collection name under filter and returns totalItems.
func (w *totalsWorld) total(name, filter string) int {
	w.t.Helper()
	c, ok := w.svc.Collection(name)
	if !ok {
		w.t.Fatalf("no collection %s", name)
	}
	page, err := w.store.List(w.ctx, w.svc, c, collections.Query{Page: 1, PerPage: 10, Filter: filter})
	if err != nil {
		w.t.Fatal(err)
	}
	return page.TotalItems
}

func (w *totalsWorld) wantTotal(name, filter string, want int) {
	w.t.Helper()
	if got := w.total(name, filter); got != want {
		w.t.Errorf("total of %s [%s] = %d, want %d", name, filter, got, want)
	}
}

// TestTotalsExact: a kept total answers only while nothing it counts has
// changed, and a write the reader has not reached yet is counted anyway.
func TestTotalsExact(t *testing.T) {
	t.Parallel()
	w := newTotalsWorld(t)
	w.exec(`INSERT INTO authors (id, name) VALUES ('a1', 'ann'), ('a2', 'bob'), ('a3', 'cy')`)
	w.read()
	w.wantTotal("authors", "", 3)

	// Written, not yet read: the list sees the log is ahead and counts.
	w.exec(`INSERT INTO authors (id, name) VALUES ('a4', 'dee')`)
	w.wantTotal("authors", "", 4)
	w.read()
	w.wantTotal("authors", "", 4)

	// A rolled back write takes a number that never becomes an event;
	// the reader passes it and kept totals answer again.
	tx, err := w.db.Pool.Begin(w.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(w.ctx, `INSERT INTO authors (id, name) VALUES ('a5', 'eve')`); err != nil {
		t.Fatal(err)
	}
	if err := tx.Rollback(w.ctx); err != nil {
		t.Fatal(err)
	}
	w.read()
	w.wantTotal("authors", "", 4)

	// The total is kept: with a reader that pretends to be caught up, a
	// write it never passed on is not seen...
	w.pretend.Store(true)
	w.exec(`INSERT INTO authors (id, name) VALUES ('a6', 'fay')`)
	w.wantTotal("authors", "", 4)
	// ...until Changed reports the collection.
	w.totals.Changed("pbc_authors001")
	w.wantTotal("authors", "", 5)
}

// TestTotalsDependencies: a total counted through a relation is kept until
// either collection changes; changes to other collections leave it.
func TestTotalsDependencies(t *testing.T) {
	t.Parallel()
	w := newTotalsWorld(t)
	w.exec(`INSERT INTO authors (id, name) VALUES ('a1', 'ann'), ('a2', 'bob')`)
	w.exec(`INSERT INTO tposts (id, title, author) VALUES ('p1', 'one', 'a1'), ('p2', 'two', 'a1'), ('p3', 'three', 'a2')`)
	w.read()
	const byAnn = `author.name = "ann"`
	w.wantTotal("tposts", byAnn, 2)
	w.wantTotal("tposts", "", 3)

	w.pretend.Store(true)
	w.exec(`UPDATE authors SET name = 'ann' WHERE id = 'a2'`)
	w.totals.Changed("pbc_somethingelse")
	w.wantTotal("tposts", byAnn, 2) // kept: authors not reported changed
	w.totals.Changed("pbc_authors001")
	w.wantTotal("tposts", byAnn, 3)
	w.wantTotal("tposts", "", 3) // no relation in it: still kept, still right

	w.exec(`DELETE FROM tposts WHERE id = 'p3'`)
	w.wantTotal("tposts", "", 3) // kept
	w.totals.Changed("pbc_tposts00001")
	w.wantTotal("tposts", "", 2)
	w.wantTotal("tposts", byAnn, 2)
}

// TestTotalsNotKept: totals under a date comparison, of views, inside a
// transaction and without a reader are always counted.
func TestTotalsNotKept(t *testing.T) {
	t.Parallel()
	w := newTotalsWorld(t)
	w.exec(`INSERT INTO tposts (id, title, "when") VALUES ('p1', 'one', '2020-01-01'), ('p2', 'two', '2020-01-02')`)
	view := mustCollection(t, `{"name": "tposts_view", "type": "view", "viewQuery": "SELECT id, title FROM tposts"}`)
	if _, err := w.svc.CreateCollection(w.ctx, view, collections.SaveOptions{}); err != nil {
		t.Fatal(err)
	}
	w.read()
	const dated = `when < @now`
	w.wantTotal("tposts", dated, 2)
	w.wantTotal("tposts_view", "", 2)

	w.pretend.Store(true) // a kept total would now be stale
	w.exec(`INSERT INTO tposts (id, title, "when") VALUES ('p3', 'three', '2020-01-03')`)
	w.wantTotal("tposts", dated, 3)
	w.wantTotal("tposts_view", "", 3)

	posts, _ := w.svc.Collection("tposts")
	w.wantTotal("tposts", "", 3) // kept from here on
	w.exec(`INSERT INTO tposts (id, title) VALUES ('p4', 'four')`)
	err := w.store.InTx(w.ctx, func(tx collections.RecordStore) error {
		page, err := tx.List(w.ctx, w.svc, posts, collections.Query{Page: 1, PerPage: 10})
		if err == nil && page.TotalItems != 4 {
			t.Errorf("total inside a transaction = %d, want 4", page.TotalItems)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}

	w.totals.Follow(nil) // no reader: nothing kept, every list counts
	w.exec(`INSERT INTO tposts (id, title) VALUES ('p5', 'five')`)
	w.wantTotal("tposts", "", 5)
	w.exec(`INSERT INTO tposts (id, title) VALUES ('p6', 'six')`)
	w.wantTotal("tposts", "", 6)
}
