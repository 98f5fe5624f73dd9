package api_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http/httptest"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/lumbunghq/lumbung/server"
	"github.com/lumbunghq/lumbung/server/api"
	"github.com/lumbunghq/lumbung/server/settings"
)

// MustSecondNode starts another server on e's database, with e's clock.
func MustSecondNode(tb testing.TB, e *authEnv, dsn string) *env {
	tb.Helper()
	srv, err := server.New(context.Background(), server.Config{
		DatabaseURL:  dsn,
		Logger:       slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError})),
		PasswordCost: 4,
		BodyLimit:    1 << 20,
		MaxConns:     4,
		Clock:        e.clock.Now,
	})
	if err != nil {
		tb.Fatalf("second node: %v", err)
	}
	tb.Cleanup(func() { srv.Close(context.Background()) })
	return &env{tb: tb, srv: srv, token: e.token}
}

// TestRateLimitsAcrossNodes: two nodes behind a balancer allow a client
// the budget of one server, not twice it.
func TestRateLimitsAcrossNodes(t *testing.T) {
	t.Parallel()
	var dsn string
	one := MustAuthEnv(t, func(cfg *server.Config) { dsn = cfg.DatabaseURL })
	two := MustSecondNode(t, one, dsn)
	one.MustJSON("PATCH", "/api/settings", "", `{"rateLimits": {"enabled": true, "rules": [
		{"label": "/api/health", "duration": 60, "maxRequests": 3}]}}`, 200, nil)
	nodes := []*env{one.env, two}
	for i := 0; i < 3; i++ {
		if status, body := nodes[i%2].Do("GET", "/api/health", "-", ""); status != 200 {
			t.Fatalf("request %d (node %d): status %d: %s", i+1, i%2+1, status, body)
		}
	}
	one.clock.Advance(20 * time.Second)
	for i, n := range nodes {
		res, body := n.DoFull("GET", "/api/health", "-", "")
		if res.StatusCode != 429 || res.Header.Get("Retry-After") != "40" {
			t.Fatalf("node %d after three requests in all: status %d, Retry-After %q: %s", i+1, res.StatusCode, res.Header.Get("Retry-After"), body)
		}
	}
	one.clock.Advance(40 * time.Second)
	if status, _ := two.Do("GET", "/api/health", "-", ""); status != 200 {
		t.Fatalf("a new window: status %d", status)
	}
}

// counter is a RateCounter that counts its calls and fails when told to.
type counter struct {
	calls atomic.Int32
	fail  atomic.Bool
	hits  map[string]int
	end   time.Time
}

func (c *counter) Hit(_ context.Context, key string, d time.Duration, now time.Time) (time.Time, int, error) {
	c.calls.Add(1)
	if c.fail.Load() {
		return time.Time{}, 0, errors.New("database away")
	}
	if c.end.IsZero() || !now.Before(c.end) {
		c.end, c.hits = now.Add(d), map[string]int{}
	}
	c.hits[key]++
	return c.end, c.hits[key], nil
}

// TestRateLimitCounter: once a key is over its limit its requests are
// refused without asking the shared counter again until its window ends,
// and while the counter fails the node counts alone.
func TestRateLimitCounter(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	shared := &counter{}
	app := fiber.New(fiber.Config{ErrorHandler: api.ErrorHandler(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError})), nil)})
	app.Get("/api/x", api.RateLimit(api.RateLimitConfig{
		Rules: func(*fiber.Ctx) settings.RateLimits {
			return settings.RateLimits{Enabled: true, Rules: []settings.RateLimitRule{{Label: "/api/x", Duration: 10, MaxRequests: 2}}}
		},
		Counter: shared,
		Now:     func() time.Time { return now },
		Logger:  slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError})),
	}), func(c *fiber.Ctx) error { return c.SendString("ok") })
	get := func() int {
		t.Helper()
		res, err := app.Test(httptest.NewRequest("GET", "/api/x", nil), -1)
		if err != nil {
			t.Fatal(err)
		}
		return res.StatusCode
	}
	for i, want := range []int{200, 200, 429, 429, 429, 429} {
		if got := get(); got != want {
			t.Fatalf("request %d: status %d, want %d", i+1, got, want)
		}
	}
	if n := shared.calls.Load(); n != 3 {
		t.Fatalf("the shared counter was asked %d times, want 3 (then the key was known to be over)", n)
	}
	now = now.Add(10 * time.Second)
	shared.fail.Store(true)
	for i, want := range []int{200, 200, 429} {
		if got := get(); got != want {
			t.Fatalf("counter failing, request %d: status %d, want %d (this node's own count)", i+1, got, want)
		}
	}
}

// BenchmarkRateLimitedRequest is what a rate limit costs a request, in
// process: GET /api/health with no rule, then under a rule (counted in
// PostgreSQL) whose budget it never exhausts.
func BenchmarkRateLimitedRequest(b *testing.B) {
	e := MustEnv(b)
	for _, c := range []struct{ name, rules string }{
		{"no-rule", `[]`},
		{"rule", `[{"label": "/api/health", "duration": 86400, "maxRequests": 1000000000}]`},
	} {
		e.MustJSON("PATCH", "/api/settings", "", `{"rateLimits": {"enabled": true, "rules": `+c.rules+`}}`, 200, nil)
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				if status, body := e.Do("GET", "/api/health", "-", ""); status != 200 {
					b.Fatalf("status %d: %s", status, body)
				}
			}
		})
	}
}
