package realtime_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/lumbunghq/lumbung/collections"
	"github.com/lumbunghq/lumbung/collections/postgres"
	"github.com/lumbunghq/lumbung/server/localpg/pgtest"
	"github.com/lumbunghq/lumbung/server/realtime"
)

func TestMain(m *testing.M) {
	pgtest.Main(m, postgres.MigrateURL)
}

const itemsJSON = `{"id": "pbc_items000001", "name": "items", "fields": [
	{"id": "text_name", "name": "name", "type": "text"},
	{"id": "number_n", "name": "n", "type": "number"}]}`

// MustDB returns the DSN and pool of a fresh database with the "items"
// collection.
func MustDB(tb testing.TB) (string, *postgres.DB) {
	tb.Helper()
	ctx := context.Background()
	dsn := pgtest.NewDB(tb)
	db, err := postgres.Open(ctx, dsn, 40)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(db.Close)
	svc := collections.NewService(collections.Config{
		Schema:  postgres.NewSchemaStore(db),
		Records: postgres.NewRecordStore(db, nil),
	})
	if err := svc.Reload(ctx); err != nil {
		tb.Fatal(err)
	}
	var c collections.Collection
	if err := json.Unmarshal([]byte(itemsJSON), &c); err != nil {
		tb.Fatal(err)
	}
	if _, err := svc.CreateCollection(ctx, &c, collections.SaveOptions{}); err != nil {
		tb.Fatal(err)
	}
	return dsn, db
}

// recorder collects delivered events.
type recorder struct {
	mu  sync.Mutex
	evs []realtime.Event
}

func (r *recorder) deliver(e realtime.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.evs = append(r.evs, e)
}

func (r *recorder) snapshot() []realtime.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]realtime.Event(nil), r.evs...)
}

// MustStart runs a tailer that polls every poll, woken by a listener of
// its own, until the test ends.
func MustStart(tb testing.TB, dsn string, db *postgres.DB, start int64, poll time.Duration) (*realtime.Tailer, *postgres.Listener, *recorder) {
	tb.Helper()
	rec := &recorder{}
	t := realtime.NewTailer(realtime.Config{
		Events: postgres.NewEvents(db), Deliver: rec.deliver,
		Start: start, Poll: poll,
	})
	l, err := postgres.NewListener(postgres.ListenerConfig{DSN: dsn, MaxBackoff: 200 * time.Millisecond})
	if err != nil {
		tb.Fatal(err)
	}
	l.Subscribe(func(context.Context) error { t.Wake(); return nil }, postgres.EventsChannel)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 2)
	go func() { done <- t.Run(ctx) }()
	go func() { done <- l.Run(ctx) }()
	tb.Cleanup(func() {
		cancel()
		for range 2 {
			if err := <-done; err != nil {
				tb.Error(err)
			}
		}
	})
	return t, l, rec
}

// waitFor polls cond a bounded number of times.
func waitFor(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	for range 1500 {
		if cond() {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	tb.Fatalf("gave up waiting for %s", what)
}

type change struct {
	id string
	n  int
}

func changeOf(tb testing.TB, e realtime.Event) change {
	tb.Helper()
	var row struct {
		ID string
		N  float64
	}
	if err := json.Unmarshal(e.New, &row); err != nil {
		tb.Fatal(err)
	}
	return change{row.ID, int(row.N)}
}

// checkExactlyOnce checks the delivered events are in seq order without
// duplicates and that each record's values come as 0 (create), 1, 2, ...
// up to want[id]: every committed change once, in commit order.
func checkExactlyOnce(tb testing.TB, evs []realtime.Event, want map[string]int) {
	tb.Helper()
	next := map[string]int{}
	for i, e := range evs {
		if i > 0 && e.Seq <= evs[i-1].Seq {
			tb.Fatalf("seq %d delivered after %d", e.Seq, evs[i-1].Seq)
		}
		c := changeOf(tb, e)
		if c.n != next[c.id] {
			tb.Fatalf("record %s: got value %d, want %d (event %d %s)", c.id, c.n, next[c.id], e.Seq, e.Action)
		}
		next[c.id]++
	}
	for id, n := range want {
		if next[id] != n+1 {
			tb.Fatalf("record %s: delivered %d changes, want %d", id, next[id], n+1)
		}
	}
	if len(next) != len(want) {
		tb.Fatalf("events for %d records, want %d", len(next), len(want))
	}
}

func TestTailerConcurrentWriters(t *testing.T) {
	t.Parallel()
	dsn, db := MustDB(t)
	ctx := context.Background()
	tailer, _, rec := MustStart(t, dsn, db, 0, 50*time.Millisecond)

	const writers, txPerWriter, shared = 32, 12, 6
	for i := range shared {
		if _, err := db.Pool.Exec(ctx, `INSERT INTO items (id, name, n) VALUES ($1, 'shared', 0)`, fmt.Sprintf("shared%09d", i)); err != nil {
			t.Fatal(err)
		}
	}
	var mu sync.Mutex
	want := map[string]int{} // record id -> last committed n
	for i := range shared {
		want[fmt.Sprintf("shared%09d", i)] = 0
	}
	pause := func(r *rand.Rand) { time.Sleep(time.Duration(r.IntN(15)) * time.Millisecond) }

	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(w), 7))
			for k := range txPerWriter {
				err := func() error {
					tx, err := db.Pool.Begin(ctx)
					if err != nil {
						return err
					}
					defer tx.Rollback(ctx) //nolint:errcheck // no-op after commit
					if r.IntN(3) == 0 {    // take a transaction id early
						if _, err := tx.Exec(ctx, "SELECT pg_current_xact_id()"); err != nil {
							return err
						}
					}
					pause(r)
					own := fmt.Sprintf("w%02dk%02d%08d", w, k, 0)
					if _, err := tx.Exec(ctx, `INSERT INTO items (id, name, n) VALUES ($1, 'own', 0)`, own); err != nil {
						return err
					}
					pause(r)
					id := fmt.Sprintf("shared%09d", r.IntN(shared))
					var n int
					if err := tx.QueryRow(ctx, `UPDATE items SET n = n + 1 WHERE id = $1 RETURNING n`, id).Scan(&n); err != nil {
						return err
					}
					pause(r)
					if r.IntN(5) == 0 {
						return errRollback
					}
					if err := tx.Commit(ctx); err != nil {
						return err
					}
					mu.Lock()
					defer mu.Unlock()
					want[own], want[id] = 0, max(want[id], n)
					return nil
				}()
				if err != nil && !errors.Is(err, errRollback) {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	total := 0
	for _, n := range want {
		total += n + 1
	}
	waitFor(t, fmt.Sprintf("%d events", total), func() bool { return len(rec.snapshot()) >= total })
	checkExactlyOnce(t, rec.snapshot(), want)

	// The position passes the numbers of rolled back writes too: it
	// reaches the last number allocated, here by a rolled back insert.
	tx, err := db.Pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO items (id, name, n) VALUES ('ghost', 'ghost', 0)`); err != nil {
		t.Fatal(err)
	}
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	var last int64
	if err := db.Pool.QueryRow(ctx, "SELECT last_value FROM _events_seq_seq").Scan(&last); err != nil {
		t.Fatal(err)
	}
	waitFor(t, fmt.Sprintf("position %d", last), func() bool { return tailer.Seq() >= last })
}

var errRollback = errors.New("rolled back on purpose")

// TestTailerReconnect: a tailer that never polls is woken by its listener
// for every announced commit and after each reconnection, when it reads
// what was written while nobody listened.
func TestTailerReconnect(t *testing.T) {
	t.Parallel()
	dsn, db := MustDB(t)
	ctx := context.Background()
	insert := func(id string) {
		t.Helper()
		if _, err := db.Pool.Exec(ctx, `INSERT INTO items (id, name, n) VALUES ($1, 'x', 0)`, id); err != nil {
			t.Fatal(err)
		}
		db.Announce()
	}
	insert("before000000000") // committed before the start: not delivered
	// No polling: only the listener's wakes make the tailer read.
	tailer, listener, rec := MustStart(t, dsn, db, realtime.StartAtLast, time.Hour)
	waitFor(t, "the LISTEN connection", func() bool { return listener.PID() != 0 && tailer.Seq() > 0 })
	want := map[string]int{}
	for i := range 5 {
		id := fmt.Sprintf("first%010d", i)
		insert(id)
		want[id] = 0
	}
	waitFor(t, "5 events", func() bool { return len(rec.snapshot()) >= 5 })

	for round := range 3 {
		pid := listener.PID()
		var ok bool
		if err := db.Pool.QueryRow(ctx, "SELECT pg_terminate_backend($1)", pid).Scan(&ok); err != nil || !ok {
			t.Fatalf("terminate %d: %v %v", pid, ok, err)
		}
		for i := range 5 { // written while the listener is (re)connecting
			id := fmt.Sprintf("r%dgap%09d", round, i)
			insert(id)
			want[id] = 0
		}
		waitFor(t, "a new LISTEN connection", func() bool {
			p := listener.PID()
			return p != 0 && p != pid
		})
		// Read on reconnecting, whether or not their notifications came.
		waitFor(t, "the events written meanwhile", func() bool { return len(rec.snapshot()) >= len(want) })
		for i := range 5 {
			id := fmt.Sprintf("r%dnew%09d", round, i)
			insert(id)
			want[id] = 0
		}
	}
	total := len(want)
	waitFor(t, fmt.Sprintf("%d events", total), func() bool { return len(rec.snapshot()) >= total })
	checkExactlyOnce(t, rec.snapshot(), want)
}
