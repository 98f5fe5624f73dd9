package api_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/lumbunghq/lumbung/server"
)

// waitMarkers asks e's GET /api/logs for the requests marked m=<marker>
// until it lists want of them (a hang guard bounds the wait, not a speed
// limit: another node writes its entries within a fraction of a second).
func waitMarkers(tb testing.TB, e *env, marker string, want int) []logItem {
	tb.Helper()
	for deadline := time.Now().Add(30 * time.Second); ; {
		got := mustLogs(tb, e, "url ~ 'm="+marker+"'")
		if len(got) >= want || time.Now().After(deadline) {
			if len(got) != want {
				tb.Fatalf("%s: %d entries, want %d: %+v", marker, len(got), want, got)
			}
			return got
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestLogsAcrossNodes: the request log is shared: a request answered by
// one node is listed, viewed and counted by another.
func TestLogsAcrossNodes(t *testing.T) {
	t.Parallel()
	var dsn string
	one := MustAuthEnv(t, func(cfg *server.Config) { dsn = cfg.DatabaseURL })
	srv, err := server.New(context.Background(), server.Config{
		DatabaseURL: dsn, HTTPAddr: "127.0.0.1:0", PasswordCost: 4, BodyLimit: 1 << 20, MaxConns: 4, Clock: one.clock.Now,
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError})),
	})
	if err != nil {
		t.Fatalf("second node: %v", err)
	}
	t.Cleanup(func() { srv.Close(context.Background()) })
	two := &env{tb: t, srv: srv, token: one.token}
	MustServe(t, two) // its writer runs; nothing reads the log on it
	res, _ := two.DoFull("GET", "/api/collections/nope/records?m=fromtwo", "-", "")
	id := res.Header.Get("X-Request-Id")
	got := waitMarkers(t, one.env, "fromtwo", 1)
	if got[0].ID != id || got[0].Level != 8 || got[0].Data["status"] != float64(404) {
		t.Errorf("the other node's entry: %+v", got[0])
	}
	one.Run(t, []scenario{
		{Name: "view", Method: "GET", URL: "/api/logs/" + id, ExpectedStatus: 200,
			ExpectedContent: []string{`"id":"` + id + `"`, `"message":"GET /api/collections/nope/records?m=fromtwo"`}},
		{Name: "stats", Method: "GET", URL: "/api/logs/stats?filter=" + q("url ~ 'm=fromtwo'"), ExpectedStatus: 200,
			ExpectedContent: []string{`"total":1`}},
	})
}

// TestLogsSurviveRestart: the entries of a node that stopped (its last
// batch written on the way out) are listed by the server that starts on
// the same database after it.
func TestLogsSurviveRestart(t *testing.T) {
	t.Parallel()
	var dsn string
	first := MustEnv(t, func(cfg *server.Config) { dsn, cfg.HTTPAddr = cfg.DatabaseURL, "127.0.0.1:0" })
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	ready := make(chan struct{})
	go func() { done <- first.srv.Run(ctx, func(string) { close(ready) }) }()
	select {
	case <-ready:
	case err := <-done:
		t.Fatalf("run: %v", err)
	}
	var ids []string
	for i := range 3 {
		res, _ := first.DoFull("GET", fmt.Sprint("/api/health?m=before", i), "-", "")
		ids = append(ids, res.Header.Get("X-Request-Id"))
	}
	stop()
	if err := <-done; err != nil {
		t.Fatalf("run: %v", err)
	}
	first.srv.Close(context.Background())

	srv, err := server.New(context.Background(), server.Config{
		DatabaseURL: dsn, PasswordCost: 4, BodyLimit: 1 << 20, MaxConns: 4,
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError})),
	})
	if err != nil {
		t.Fatalf("restart: %v", err)
	}
	t.Cleanup(func() { srv.Close(context.Background()) })
	second := &env{tb: t, srv: srv, token: first.token}
	got := mustLogs(t, second, "url ~ 'm=before'")
	if len(got) != 3 {
		t.Fatalf("after the restart: %+v", got)
	}
	for i, item := range got {
		if item.ID != ids[i] {
			t.Errorf("entry %d: %s, want %s", i, item.ID, ids[i])
		}
	}
}

// TestLogsBurst: requests never wait for the request log: with a queue of
// four and no writer running, a burst is answered in full, four entries
// wait to be written and the rest are dropped and counted in
// lumbung_request_log_dropped_total.
func TestLogsBurst(t *testing.T) {
	t.Parallel()
	e := MustEnv(t, func(cfg *server.Config) { cfg.RequestLogQueue = 4 })
	mustLogs(t, e, "") // writes the sign-in's entry: the queue is empty
	const workers, each = 8, 10
	var wg sync.WaitGroup
	failed := make(chan string, workers*each)
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				if status, body := e.Do("GET", fmt.Sprintf("/api/health?m=burst%d-%d", w, i), "-", ""); status != 200 {
					failed <- fmt.Sprint(status, body)
				}
			}
		})
	}
	wg.Wait()
	close(failed)
	for f := range failed {
		t.Errorf("a request of the burst: %s", f)
	}
	if got := mustDropped(t, e); got != workers*each-4 {
		t.Errorf("dropped %v, want %d", got, workers*each-4)
	}
	if got := mustLogs(t, e, "url ~ 'm=burst'"); len(got) != 4 {
		t.Errorf("written: %d entries, want 4", len(got))
	}
	// The queue has room again.
	e.MustJSON("GET", "/api/health?m=after", "-", "", 200, nil)
	if got := mustLogs(t, e, "url ~ 'm=after'"); len(got) != 1 {
		t.Errorf("after the burst: %+v", got)
	}
	if got := mustDropped(t, e); got != workers*each-4 {
		t.Errorf("dropped %v after the burst, want %d", got, workers*each-4)
	}
}

// mustDropped reads lumbung_request_log_dropped_total from e's registry.
func mustDropped(tb testing.TB, e *env) float64 {
	tb.Helper()
	families, err := e.srv.Registry().Gather()
	if err != nil {
		tb.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() == "lumbung_request_log_dropped_total" {
			return f.GetMetric()[0].GetCounter().GetValue()
		}
	}
	tb.Fatal("no lumbung_request_log_dropped_total")
	return 0
}
