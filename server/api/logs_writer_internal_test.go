package api

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/lumbunghq/lumbung/collections"
	"github.com/lumbunghq/lumbung/collections/postgres"
	"github.com/lumbunghq/lumbung/server/localpg/pgtest"
	"github.com/lumbunghq/lumbung/server/settings"
)

// TestRequestLogWriter: the writer writes a batch as soon as it is full
// (its interval here is an hour), prunes to settings that changed, and
// writes what is left when it stops.
func TestRequestLogWriter(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, err := postgres.Open(ctx, pgtest.NewDB(t), 4)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	store := postgres.NewRequestLogs(db)
	l := NewRequestLog(RequestLogConfig{Store: store, Queue: 10, Batch: 3, Interval: time.Hour})
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { l.Run(runCtx); close(done) }()

	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	cfg := settings.DefaultLogs()
	add := func(i, status int, cfg settings.Logs) {
		l.Add(collections.LogEntry{ID: fmt.Sprint("e", i), Created: now, Method: "GET", URL: "/", Status: status}, cfg, now)
	}
	count := func() int {
		t.Helper()
		_, n, err := store.Logs(ctx, collections.LogQuery{Keep: retention(cfg, now)})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	for i := range 3 {
		add(i, 200, cfg)
	}
	for deadline := time.Now().Add(30 * time.Second); count() != 3; { // a hang guard
		if time.Now().After(deadline) {
			t.Fatalf("a full batch not written: %d entries", count())
		}
		time.Sleep(10 * time.Millisecond)
	}
	// minLevel 4: the entries below it go with the next write, and stay
	// gone under the first settings again.
	add(3, 404, settings.Logs{MaxDays: 5, MinLevel: 4})
	add(4, 200, cfg)
	stop()
	<-done
	if got := count(); got != 2 {
		t.Errorf("after stopping: %d entries, want e3 and e4", got)
	}
	if _, err := store.Log(ctx, "e0", retention(cfg, now)); collections.ErrorCode(err) != collections.ENOTFOUND {
		t.Errorf("e0 after minLevel 4: %v", err)
	}
	if l.Dropped() != 0 {
		t.Errorf("dropped %d", l.Dropped())
	}
}
