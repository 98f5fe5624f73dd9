package postgres_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/lumbunghq/lumbung/collections"
	"github.com/lumbunghq/lumbung/collections/postgres"
)

// MustEvents returns a service with the "authors" collection, the event
// log and the pool of a fresh database.
func MustEvents(tb testing.TB) (*collections.Service, *postgres.Events, *postgres.DB) {
	tb.Helper()
	ctx := context.Background()
	svc, _, db := MustDatabase(tb)
	if _, err := svc.CreateCollection(ctx, mustCollection(tb, authorsJSON), collections.SaveOptions{}); err != nil {
		tb.Fatal(err)
	}
	return svc, postgres.NewEvents(db), db
}

func summary(tb testing.TB, evs []collections.Event) string {
	tb.Helper()
	var out []string
	for _, e := range evs {
		name := func(raw json.RawMessage) string {
			if raw == nil {
				return "-"
			}
			var row struct{ Name string }
			if err := json.Unmarshal(raw, &row); err != nil {
				tb.Fatal(err)
			}
			return row.Name
		}
		out = append(out, fmt.Sprintf("%s %s %s>%s", e.CollectionID, e.Action, name(e.Old), name(e.New)))
	}
	return strings.Join(out, "; ")
}

func TestEventsCapture(t *testing.T) {
	t.Parallel()
	svc, events, db := MustEvents(t)
	ctx := context.Background()
	authors, _ := svc.Collection("authors")
	recs := svc.SystemRecords()
	a, err := recs.Create(ctx, authors, map[string]any{"name": "ann"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := recs.Update(ctx, authors, a.ID(), map[string]any{"name": "anna"}); err != nil {
		t.Fatal(err)
	}
	if err := recs.Delete(ctx, authors, a.ID()); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Pool.Exec(ctx, `INSERT INTO authors (id, name) VALUES ('sql000000000001', 'bob')`); err != nil {
		t.Fatal(err)
	}
	tx, err := db.Pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO authors (id, name) VALUES ('sql000000000002', 'ghost')`); err != nil {
		t.Fatal(err)
	}
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Pool.Exec(ctx, `UPDATE authors SET name = 'bobby' WHERE id = 'sql000000000001'`); err != nil {
		t.Fatal(err)
	}

	evs, err := events.After(ctx, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	want := "pbc_authors001 create ->ann; pbc_authors001 update ann>anna; pbc_authors001 delete anna>-; " +
		"pbc_authors001 create ->bob; pbc_authors001 update bob>bobby"
	if got := summary(t, evs); got != want {
		t.Fatalf("events:\n got %s\nwant %s", got, want)
	}
	if evs[0].RecordID != a.ID() || evs[3].RecordID != "sql000000000001" {
		t.Fatalf("record ids: %q %q", evs[0].RecordID, evs[3].RecordID)
	}
	for i := 1; i < len(evs); i++ {
		if evs[i].Seq <= evs[i-1].Seq {
			t.Fatalf("not in seq order: %d after %d", evs[i].Seq, evs[i-1].Seq)
		}
	}
	last, err := events.Last(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rest, err := events.After(ctx, last, 100); err != nil || len(rest) != 0 {
		t.Fatalf("after Last: %v %v", rest, err)
	}
	if part, err := events.After(ctx, evs[1].Seq, 2); err != nil || summary(t, part) != "pbc_authors001 delete anna>-; pbc_authors001 create ->bob" {
		t.Fatalf("page: %s %v", summary(t, part), err)
	}
}

// TestEventsGap: a transaction that allocated a lower seq and is still
// running holds back every later event, even one committed by a
// transaction with an older transaction id (which a horizon on xids alone
// would let through, and so lose the lower seq for good).
func TestEventsGap(t *testing.T) {
	t.Parallel()
	_, events, db := MustEvents(t)
	ctx := context.Background()
	older, err := db.Pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer older.Rollback(ctx)                                                 //nolint:errcheck // committed below
	if _, err := older.Exec(ctx, "SELECT pg_current_xact_id()"); err != nil { // older xid
		t.Fatal(err)
	}
	newer, err := db.Pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer newer.Rollback(ctx) //nolint:errcheck // committed below
	if _, err := newer.Exec(ctx, `INSERT INTO authors (id, name) VALUES ('gap000000000001', 'low')`); err != nil {
		t.Fatal(err)
	}
	if _, err := older.Exec(ctx, `INSERT INTO authors (id, name) VALUES ('gap000000000002', 'high')`); err != nil {
		t.Fatal(err)
	}
	if err := older.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	evs, err := events.After(ctx, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 0 {
		t.Fatalf("read past a gap: %s", summary(t, evs))
	}
	if err := newer.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	evs, err = events.After(ctx, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	if got := summary(t, evs); got != "pbc_authors001 create ->low; pbc_authors001 create ->high" {
		t.Fatalf("events: %s", got)
	}
}

func TestEventsPrune(t *testing.T) {
	t.Parallel()
	_, events, db := MustEvents(t)
	ctx := context.Background()
	for _, n := range []string{"a", "b", "c"} {
		if _, err := db.Pool.Exec(ctx, `INSERT INTO authors (id, name) VALUES ($1, $1)`, "prune0000000000"+n); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.Pool.Exec(ctx, `UPDATE _events SET created = created - interval '2 days' WHERE record_id <> 'prune0000000000c'`); err != nil {
		t.Fatal(err)
	}
	n, err := events.Prune(ctx, 24*time.Hour, 7*24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Fatalf("pruned %d, want 2", n)
	}
	evs, err := events.After(ctx, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 1 || evs[0].RecordID != "prune0000000000c" {
		t.Fatalf("left: %s", summary(t, evs))
	}
}

// TestEventsPruneKeepsConsumers: events a durable consumer has not handled
// outlive the retention, up to the hold limit; past it they go, and the
// consumer is marked lagged.
func TestEventsPruneKeepsConsumers(t *testing.T) {
	t.Parallel()
	_, events, db := MustEvents(t)
	ctx := context.Background()
	var seqs []int64
	for _, n := range []string{"a", "b", "c"} {
		if _, err := db.Pool.Exec(ctx, `INSERT INTO authors (id, name) VALUES ($1, $1)`, "hold00000000000"+n); err != nil {
			t.Fatal(err)
		}
		var seq int64
		if err := db.Pool.QueryRow(ctx, `SELECT max(seq) FROM _events`).Scan(&seq); err != nil {
			t.Fatal(err)
		}
		seqs = append(seqs, seq)
	}
	// The consumer handled a; b and c are two days old, a too.
	if _, err := db.Pool.Exec(ctx, `INSERT INTO _event_consumers (id, seq) VALUES ('test', $1)`, seqs[0]); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Pool.Exec(ctx, `UPDATE _events SET created = created - interval '2 days'`); err != nil {
		t.Fatal(err)
	}
	if n, err := events.Prune(ctx, 24*time.Hour, 7*24*time.Hour); err != nil || n != 1 {
		t.Fatalf("pruned %d (%v), want 1: the event the consumer handled", n, err)
	}
	var lagged bool
	if err := db.Pool.QueryRow(ctx, `SELECT lagged IS NOT NULL FROM _event_consumers`).Scan(&lagged); err != nil || lagged {
		t.Fatalf("lagged %v (%v) within the hold limit", lagged, err)
	}
	// Past the hold limit b and c go as well, and the consumer lagged.
	if n, err := events.Prune(ctx, 24*time.Hour, 36*time.Hour); err != nil || n != 2 {
		t.Fatalf("pruned %d (%v) past the hold, want 2", n, err)
	}
	var lagSeq int64
	if err := db.Pool.QueryRow(ctx, `SELECT lagged_seq FROM _event_consumers WHERE lagged IS NOT NULL`).Scan(&lagSeq); err != nil || lagSeq != seqs[2] {
		t.Fatalf("lagged up to %d (%v), want %d", lagSeq, err, seqs[2])
	}
}

// TestEnsureCapture: a collection table without the capture trigger (as
// tables created before change capture were) gets it back from the
// migration's _ensure_capture, once.
func TestEnsureCapture(t *testing.T) {
	svc, events, db := MustEvents(t)
	ctx := context.Background()
	if _, err := db.Pool.Exec(ctx, "DROP TRIGGER capture_changes ON authors"); err != nil {
		t.Fatal(err)
	}
	last, err := events.Last(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var added []int
	for range 2 {
		var n int
		if err := db.Pool.QueryRow(ctx, "SELECT _ensure_capture()").Scan(&n); err != nil {
			t.Fatal(err)
		}
		added = append(added, n)
	}
	if fmt.Sprint(added) != "[1 0]" {
		t.Fatalf("triggers added %v, want [1 0]", added)
	}
	col, _ := svc.Collection("authors")
	if _, err := svc.SystemRecords().Create(ctx, col, map[string]any{"name": "after"}); err != nil {
		t.Fatal(err)
	}
	evs, err := events.After(ctx, last, 10)
	if err != nil {
		t.Fatal(err)
	}
	if got := summary(t, evs); got != col.ID+" create ->after" {
		t.Errorf("events %q", got)
	}
}
