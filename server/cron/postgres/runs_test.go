package postgres_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	collpg "github.com/lumbunghq/lumbung/collections/postgres"
	"github.com/lumbunghq/lumbung/server/cron"
	"github.com/lumbunghq/lumbung/server/cron/postgres"
	"github.com/lumbunghq/lumbung/server/localpg/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m, collpg.MigrateURL) }

// MustPool connects to a new migrated database.
func MustPool(tb testing.TB) *pgxpool.Pool {
	tb.Helper()
	pool, err := pgxpool.New(context.Background(), pgtest.NewDB(tb))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(pool.Close)
	return pool
}

// clock is a fake clock that moves only when told.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// TestTwoNodes runs two schedulers on one database with one clock: every
// due minute of each job runs once, on one of them.
func TestTwoNodes(t *testing.T) {
	pool := MustPool(t)
	clk := &clock{t: time.Date(2026, 12, 6, 23, 58, 30, 0, time.UTC)}
	var mu sync.Mutex
	ran := map[string][]string{} // job@minute -> nodes
	nodes := make([]*cron.Scheduler, 2)
	for i, node := range []string{"a", "b"} {
		s := cron.New(cron.Config{Runs: postgres.NewRuns(pool), Node: node, Now: clk.Now})
		for _, j := range []struct{ id, expr string }{{"every", "* * * * *"}, {"even", "*/2 * * * *"}, {"daily", "@daily"}} {
			if err := s.Add(j.id, j.expr, func(ctx context.Context) error {
				mu.Lock()
				defer mu.Unlock()
				key := j.id + "@" + clk.Now().Format("15:04")
				ran[key] = append(ran[key], node)
				return nil
			}); err != nil {
				t.Fatal(err)
			}
		}
		nodes[i] = s
	}
	for range 4 { // 23:59, 00:00, 00:01, 00:02
		clk.Add(time.Minute)
		var wg sync.WaitGroup
		for _, s := range nodes {
			wg.Go(func() { s.Tick(clk.Now()) })
		}
		wg.Wait()
		// A node that ticks late (or twice) finds the run claimed.
		nodes[1].Tick(clk.Now())
	}
	want := []string{"every@23:59", "every@00:00", "every@00:01", "every@00:02", "even@00:00", "even@00:02", "daily@00:00"}
	if len(ran) != len(want) {
		t.Errorf("runs %v, want %v", ran, want)
	}
	for _, k := range want {
		if len(ran[k]) != 1 {
			t.Errorf("%s ran on %v, want exactly one node", k, ran[k])
		}
	}
	var rows int
	if err := pool.QueryRow(context.Background(), "SELECT count(*) FROM _cron_runs WHERE finished IS NOT NULL AND error IS NULL").Scan(&rows); err != nil || rows != len(want) {
		t.Errorf("recorded runs %d %v, want %d", rows, err, len(want))
	}
	jobs, err := nodes[0].Jobs(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(jobs) != 3 || jobs[0].ID != "daily" || jobs[0].Expression != "@daily" || jobs[0].LastRun == nil ||
		!jobs[0].LastRun.Scheduled.Equal(time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)) || jobs[0].LastRun.Error != "" {
		t.Errorf("jobs %+v", jobs)
	}
}

// TestResults records a failing and a panicking job, the duration of a
// run on the clock, and a manual run; the jobs' context ends at Stop.
func TestResults(t *testing.T) {
	pool := MustPool(t)
	clk := &clock{t: time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)}
	s := cron.New(cron.Config{Runs: postgres.NewRuns(pool), Node: "a", Now: clk.Now})
	mustAdd := func(id string, fn cron.Func) {
		t.Helper()
		if err := s.Add(id, "* * * * *", fn); err != nil {
			t.Fatal(err)
		}
	}
	mustAdd("fails", func(context.Context) error { return errors.New("mail server down") })
	mustAdd("panics", func(context.Context) error { panic("nil map") })
	mustAdd("slow", func(context.Context) error { clk.Add(1500 * time.Millisecond); return nil })
	if err := s.Add("slow", "@daily", func(context.Context) error { return nil }); err == nil || !strings.Contains(err.Error(), "added already") {
		t.Errorf("duplicate id: %v", err)
	}
	if err := s.Add("bad", "61 * * * *", func(context.Context) error { return nil }); err == nil || !strings.Contains(err.Error(), `cron job "bad": cron expression "61 * * * *": minute field`) {
		t.Errorf("bad expression: %v", err)
	}
	if err := s.Add("bad id!", "* * * * *", func(context.Context) error { return nil }); err == nil {
		t.Error("bad id accepted")
	}
	s.Tick(clk.Now())
	jobs, err := s.Jobs(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]*cron.Run{}
	for _, j := range jobs {
		got[j.ID] = j.LastRun
	}
	if r := got["fails"]; r == nil || r.Error != "mail server down" || r.Finished.IsZero() || r.Node != "a" {
		t.Errorf("fails: %+v", r)
	}
	if r := got["panics"]; r == nil || r.Error != "panic: nil map" || r.Finished.IsZero() {
		t.Errorf("panics: %+v", r)
	}
	if r := got["slow"]; r == nil || r.Error != "" || r.Duration() != 1500*time.Millisecond {
		t.Errorf("slow: %+v", r)
	}

	// Run now: in the background, recorded as manual; unknown ids are not found.
	started, release := make(chan struct{}), make(chan struct{})
	var cancelled atomic.Bool
	mustAdd("manual", func(ctx context.Context) error {
		close(started)
		select {
		case <-release:
			return nil
		case <-ctx.Done():
			cancelled.Store(true)
			return ctx.Err()
		}
	})
	if err := s.RunNow("nope"); err == nil || !strings.Contains(err.Error(), "Missing or invalid cron job") {
		t.Errorf("unknown: %v", err)
	}
	if err := s.RunNow("manual"); err != nil {
		t.Fatal(err)
	}
	<-started
	if !s.Remove("manual") || s.Remove("manual") {
		t.Error("Remove")
	}
	s.Stop() // ends the context of the run under way and waits for it
	if !cancelled.Load() {
		t.Error("the run's context did not end at Stop")
	}
	last, err := postgres.NewRuns(pool).Last(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if r := last["manual"]; !r.Manual || r.Error != "context canceled" || r.Finished.IsZero() {
		t.Errorf("manual: %+v", r)
	}
	if err := s.RunNow("fails"); err == nil {
		t.Error("a stopped scheduler ran a job")
	}
}

// TestPrune keeps each job's latest run whatever its age.
func TestPrune(t *testing.T) {
	pool := MustPool(t)
	runs := postgres.NewRuns(pool)
	ctx := context.Background()
	old := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i, r := range []cron.Run{{Job: "a", Scheduled: old}, {Job: "a", Scheduled: old.Add(time.Minute)}, {Job: "b", Scheduled: old}} {
		r.Started, r.Node = r.Scheduled, "n"
		if ok, err := runs.Claim(ctx, r); !ok || err != nil {
			t.Fatal(i, ok, err)
		}
	}
	if n, err := runs.Prune(ctx, old.AddDate(0, 1, 0)); n != 1 || err != nil {
		t.Errorf("pruned %d %v", n, err)
	}
	last, err := runs.Last(ctx)
	if err != nil || len(last) != 2 || !last["a"].Scheduled.Equal(old.Add(time.Minute)) {
		t.Errorf("left %+v %v", last, err)
	}
}

// TestCleanupJob runs the server's own job, listed after the others.
func TestCleanupJob(t *testing.T) {
	pool := MustPool(t)
	clk := &clock{t: time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)}
	s := cron.New(cron.Config{Runs: postgres.NewRuns(pool), Node: "a", Now: clk.Now, Keep: time.Hour})
	for _, id := range []string{cron.CleanupJob, "zeta", "alpha"} {
		fn := s.Cleanup
		if id != cron.CleanupJob {
			fn = func(context.Context) error { return nil }
		}
		if err := s.Add(id, "@hourly", fn); err != nil {
			t.Fatal(err)
		}
	}
	s.Tick(clk.Now()) // 10:00: all three run
	clk.Add(2 * time.Hour)
	// 12:00: the 10:00 runs are older than Keep and no longer their jobs'
	// latest; Cleanup again, whatever the order the jobs ran in.
	s.Tick(clk.Now())
	if err := s.Cleanup(context.Background()); err != nil {
		t.Fatal(err)
	}
	var left int
	if err := pool.QueryRow(context.Background(), "SELECT count(*) FROM _cron_runs WHERE scheduled < $1", clk.Now()).Scan(&left); err != nil {
		t.Fatal(err)
	}
	if left != 0 {
		t.Errorf("%d old runs left after the cleanup", left)
	}
	jobs, err := s.Jobs(context.Background())
	if err != nil || len(jobs) != 3 || jobs[0].ID != "alpha" || jobs[1].ID != "zeta" || jobs[2].ID != cron.CleanupJob {
		t.Errorf("order %+v %v", jobs, err)
	}
}

// TestRun drives Run's minute ticks through the clock: a job due at the
// next minute runs when the clock's wait ends, and a job under way when
// Run's context ends has its context ended, and is waited for.
func TestRun(t *testing.T) {
	pool := MustPool(t)
	clk := &clock{t: time.Date(2026, 12, 6, 10, 0, 30, 0, time.UTC)}
	waits := make(chan time.Duration)
	fire := make(chan time.Time)
	s := cron.New(cron.Config{Runs: postgres.NewRuns(pool), Node: "a", Now: clk.Now,
		After: func(d time.Duration) <-chan time.Time { waits <- d; return fire }})
	started := make(chan time.Time, 1)
	var ended atomic.Bool
	if err := s.Add("long", "1 10 * * *", func(ctx context.Context) error {
		started <- clk.Now()
		<-ctx.Done()
		ended.Store(true)
		return ctx.Err()
	}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- s.Run(ctx) }()
	if d := <-waits; d != 30*time.Second {
		t.Errorf("first wait %s, want 30s (to the next whole minute)", d)
	}
	clk.Add(30 * time.Second)
	fire <- clk.Now()
	if at := <-started; !at.Equal(time.Date(2026, 12, 6, 10, 1, 0, 0, time.UTC)) {
		t.Errorf("ran at %s", at)
	}
	if d := <-waits; d != time.Minute {
		t.Errorf("next wait %s, want 1m", d)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if !ended.Load() {
		t.Error("Run returned before the job under way ended")
	}
	last, err := postgres.NewRuns(pool).Last(context.Background())
	if err != nil || last["long"].Error != "context canceled" || last["long"].Manual {
		t.Errorf("recorded %+v %v", last["long"], err)
	}
}
