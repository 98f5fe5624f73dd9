package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
	"github.com/jackc/pgx/v5"

	"github.com/lumbunghq/lumbung/server"
	"github.com/lumbunghq/lumbung/server/localpg"
	"github.com/lumbunghq/lumbung/server/localpg/pgtest"
)

// subscriber is a WebSocket client that records every event of one
// subscription, by record id, in arrival order.
type subscriber struct {
	mu     sync.Mutex
	events map[string][]float64 // record id → the "n" of each event
	seqs   map[float64]bool
	dups   []string
	err    error
}

// subscribe connects to base as token, subscribes to topic and records
// events until the test ends.
func subscribe(t *testing.T, base, token, topic string) *subscriber {
	t.Helper()
	conn, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(base, "http")+"/api/realtime", nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []string{
		`{"type": "auth", "token": "` + token + `"}`,
		`{"type": "subscribe", "id": "s", "topic": "` + topic + `"}`,
	} {
		if err := conn.WriteMessage(websocket.TextMessage, []byte(m)); err != nil {
			t.Fatal(err)
		}
	}
	s := &subscriber{events: map[string][]float64{}, seqs: map[float64]bool{}}
	acked := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			_, b, err := conn.ReadMessage()
			if err != nil {
				s.mu.Lock()
				s.err = err
				s.mu.Unlock()
				return
			}
			var m struct {
				Type, Action, ID string
				Seq              float64
				Record           struct {
					ID string
					N  float64
				}
			}
			if err := json.Unmarshal(b, &m); err != nil {
				continue
			}
			switch m.Type {
			case "ack":
				if m.ID == "s" {
					close(acked)
				}
			case "event":
				s.mu.Lock()
				if s.seqs[m.Seq] {
					s.dups = append(s.dups, fmt.Sprintf("seq %v (%s %s)", m.Seq, m.Action, m.Record.ID))
				}
				s.seqs[m.Seq] = true
				s.events[m.Record.ID] = append(s.events[m.Record.ID], m.Record.N)
				s.mu.Unlock()
			}
		}
	}()
	t.Cleanup(func() { conn.Close(); <-done })
	select {
	case <-acked:
	case <-done:
		t.Fatalf("subscribe: %v", s.err)
	}
	return s
}

// waitFor returns once want (record id → the n of each event, in order)
// was delivered, or fails with what arrived instead. The deadline only
// guards against a hang.
func (s *subscriber) waitFor(t *testing.T, want map[string][]float64) {
	t.Helper()
	total := 0
	for _, ns := range want {
		total += len(ns)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		s.mu.Lock()
		got := 0
		for _, ns := range s.events {
			got += len(ns)
		}
		err := s.err
		s.mu.Unlock()
		if got >= total || err != nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond) // a duplicate or stray event would show now
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.dups) > 0 {
		t.Errorf("delivered twice: %v", s.dups)
	}
	for id, ns := range want {
		if got := fmt.Sprint(s.events[id]); got != fmt.Sprint(ns) {
			t.Errorf("record %s: got n %s, want %v", id, got, ns)
		}
	}
	for id, ns := range s.events {
		if _, ok := want[id]; !ok {
			t.Errorf("record %s was never committed, yet delivered %v", id, ns)
		}
	}
	if s.err != nil {
		t.Errorf("connection: %v", s.err)
	}
}

// ledger runs a node on dsn with a superuser and a collection "ledger"
// (one number field, n) and subscribes to it as the superuser.
func ledger(t *testing.T, dsn string) (base string, sub *subscriber) {
	t.Helper()
	if _, err := server.UpsertSuperuser(context.Background(), server.Config{DatabaseURL: dsn, PasswordCost: 4,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}, "admin@example.com", "long enough password"); err != nil {
		t.Fatal(err)
	}
	base = startNode(t, dsn)
	token := signIn(t, base)
	call(t, base, token, "POST", "/api/collections", `{"name": "ledger", "fields": [{"name": "n", "type": "number"}]}`)
	return base, subscribe(t, base, token, "ledger/*")
}

// TestRealtimeConcurrentWriters: 32 writers run transactions of random
// length over plain SQL (inserts and updates, a fifth rolled back) while
// a WebSocket subscriber listens: every committed change arrives exactly
// once, each record's changes in commit order, nothing rolled back.
func TestRealtimeConcurrentWriters(t *testing.T) {
	dsn := pgtest.NewDB(t)
	_, sub := ledger(t, dsn)

	const writers, txs = 32, 15
	var mu sync.Mutex
	want := map[string][]float64{} // committed: record id → n after each change
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx := context.Background()
			conn, err := pgx.Connect(ctx, dsn)
			if err != nil {
				t.Error(err)
				return
			}
			defer conn.Close(ctx)
			rng := rand.New(rand.NewPCG(uint64(w), 7))
			mine := map[string]float64{} // committed records of this writer → n
			for i := range txs {
				tx, err := conn.Begin(ctx)
				if err != nil {
					t.Error(err)
					return
				}
				changed := map[string][]float64{}
				for j := range 1 + rng.IntN(4) {
					if len(mine) == 0 || rng.IntN(2) == 0 {
						id := fmt.Sprintf("w%02dt%02ds%d%s", w, i, j, strings.Repeat("x", 8))[:15]
						_, err = tx.Exec(ctx, "INSERT INTO ledger (id, n) VALUES ($1, 1)", id)
						changed[id] = append(changed[id], 1)
					} else {
						var id string
						for id = range mine {
							break
						}
						n := mine[id] + float64(len(changed[id])) + 1
						_, err = tx.Exec(ctx, "UPDATE ledger SET n = $2 WHERE id = $1", id, n)
						changed[id] = append(changed[id], n)
					}
					if err != nil {
						t.Error(err)
						return
					}
					time.Sleep(time.Duration(rng.IntN(3)) * time.Millisecond)
				}
				if rng.IntN(5) == 0 {
					err = tx.Rollback(ctx)
					changed = nil
				} else {
					err = tx.Commit(ctx)
				}
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				for id, ns := range changed {
					want[id] = append(want[id], ns...)
					mine[id] = ns[len(ns)-1]
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	sub.waitFor(t, want)
}

// TestRealtimeSurvivesPostgresRestart: PostgreSQL stops and starts again
// while a WebSocket subscriber stays connected to the server; the changes
// committed before and after reach it exactly once.
func TestRealtimeSurvivesPostgresRestart(t *testing.T) {
	ctx := context.Background()
	dir, pg := mustPrivatePostgres(t)
	base, sub := ledger(t, pg.URL())
	token := signIn(t, base)

	want := map[string][]float64{}
	write := func(n int) {
		for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(50 * time.Millisecond) {
			status, body, err := request(base, token, "POST", "/api/collections/ledger/records", fmt.Sprintf(`{"n": %d}`, n))
			if err == nil && status == 200 {
				var r struct{ ID string }
				json.Unmarshal([]byte(body), &r) //nolint:errcheck // checked below
				want[r.ID] = []float64{float64(n)}
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("write %d: %d %s %v", n, status, body, err)
			}
		}
	}
	for n := range 10 {
		write(n)
	}
	if err := pg.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	pg, err := localpg.Start(ctx, localpg.Config{Dir: dir, Fast: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pg.Stop(context.Background()) })
	for n := 10; n < 20; n++ {
		write(n) // the first ones wait for the pool to reconnect
	}
	sub.waitFor(t, want)
}
