package postgres_test

import (
	"context"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/lumbunghq/lumbung/collections/postgres"
	"github.com/lumbunghq/lumbung/server/localpg/pgtest"
)

// MustRateLimits returns the rate limit counters of a fresh database.
func MustRateLimits(tb testing.TB) *postgres.RateLimits {
	tb.Helper()
	db, err := postgres.Open(context.Background(), pgtest.NewDB(tb), 8)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(db.Close)
	return postgres.NewRateLimits(db)
}

func TestRateLimitsCountInFixedWindows(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	rl := MustRateLimits(t)
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	hit := func(key string, at time.Duration) (time.Duration, int) {
		t.Helper()
		end, n, err := rl.Hit(ctx, key, 10*time.Second, t0.Add(at))
		if err != nil {
			t.Fatal(err)
		}
		return end.Sub(t0), n
	}
	steps := []struct {
		key  string
		at   time.Duration
		end  time.Duration
		hits int
	}{
		{"a", 0, 10 * time.Second, 1},
		{"a", 3 * time.Second, 10 * time.Second, 2},
		{"b", 4 * time.Second, 14 * time.Second, 1},
		{"a", 9 * time.Second, 10 * time.Second, 3},
		{"a", 10 * time.Second, 20 * time.Second, 1}, // the window ended: a new one
		{"b", 12 * time.Second, 14 * time.Second, 2},
	}
	for i, s := range steps {
		if end, n := hit(s.key, s.at); end != s.end || n != s.hits {
			t.Fatalf("step %d (%s at %v): window ends %v with %d hits, want %v with %d", i, s.key, s.at, end, n, s.end, s.hits)
		}
	}
	n, err := rl.Prune(ctx, t0.Add(15*time.Second))
	if err != nil || n != 1 {
		t.Fatalf("prune: %d, %v; want b's ended window only", n, err)
	}
	if _, n := hit("b", 15*time.Second); n != 1 {
		t.Fatalf("b after pruning: %d hits", n)
	}
}

// Concurrent hits on one key (nodes behind a balancer) are each counted.
func TestRateLimitsConcurrentHits(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	rl := MustRateLimits(t)
	now := time.Now()
	var wg sync.WaitGroup
	seen := make([]bool, 41)
	var mu sync.Mutex
	for i := 0; i < 40; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, n, err := rl.Hit(ctx, "k", time.Minute, now)
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			seen[n] = true
			mu.Unlock()
		}()
	}
	wg.Wait()
	for n := 1; n <= 40; n++ {
		if !seen[n] {
			t.Fatalf("no hit was counted as number %d: %v", n, seen)
		}
	}
}

// BenchmarkRateLimitsHit is the database's share of the cost of a
// rate-limited request: one round trip (run with -cpu 1,8 for one client
// and eight at a time; distinct keys, as from many clients, or one key),
// beside a bare round trip (SELECT 1) on the same pool.
func BenchmarkRateLimitsHit(b *testing.B) {
	ctx := context.Background()
	db, err := postgres.Open(ctx, pgtest.NewDB(b), 8)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(db.Close)
	rl := postgres.NewRateLimits(db)
	now := time.Now()
	b.Run("select-1", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := db.Pool.Exec(ctx, "SELECT 1"); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
	b.Run("distinct-keys", func(b *testing.B) {
		var mu sync.Mutex
		next := 0
		b.RunParallel(func(pb *testing.PB) {
			mu.Lock()
			next++
			base := strconv.Itoa(next) + ":"
			mu.Unlock()
			i := 0
			for pb.Next() {
				i++
				if _, _, err := rl.Hit(ctx, base+strconv.Itoa(i%1000), time.Hour, now); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
	b.Run("one-key", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, _, err := rl.Hit(ctx, "hot", time.Hour, now); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
}
