package settings_test

import (
	"context"
	"io"
	"log/slog"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/lumbunghq/lumbung/collections/postgres"
	"github.com/lumbunghq/lumbung/server/localpg/pgtest"
	"github.com/lumbunghq/lumbung/server/settings"
)

var _ settings.Store = (*postgres.ParamStore)(nil)

// clock is a settable clock shared by the services of a test.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// MustStore returns the settings store of a fresh database and the
// database.
func MustStore(tb testing.TB) (*postgres.ParamStore, *postgres.DB) {
	tb.Helper()
	db, err := postgres.Open(context.Background(), pgtest.NewDB(tb), 4)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(db.Close)
	return postgres.NewParamStore(db), db
}

// MustGet returns s's settings.
func MustGet(tb testing.TB, s *settings.Service) settings.Settings {
	tb.Helper()
	st, err := s.Get(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	return st
}

// TestServiceNodes: two nodes' services on one store. A node sees what
// another saved once it is told to forget its copy, or when the copy is
// older than TTL, and never re-reads the store within TTL otherwise.
func TestServiceNodes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store, _ := MustStore(t)
	clk := &clock{now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	defaults := settings.Defaults("https://app.test")
	a := settings.New(store, defaults, clk.Now, quiet)
	b := settings.New(store, defaults, clk.Now, quiet)

	if got := MustGet(t, b); got.Meta.AppName != "Lumbung" {
		t.Fatalf("nothing stored: app name %q, want the default", got.Meta.AppName)
	}
	first := MustGet(t, a)
	first.Meta.AppName = "Granary"
	if err := a.Save(ctx, first); err != nil {
		t.Fatal(err)
	}
	if got := MustGet(t, a); got.Meta.AppName != "Granary" {
		t.Fatalf("the saving node reads %q", got.Meta.AppName)
	}
	if got := MustGet(t, b); got.Meta.AppName != "Lumbung" {
		t.Fatalf("the other node re-read the store within TTL: %q", got.Meta.AppName)
	}
	b.Forget()
	if got := MustGet(t, b); got.Meta.AppName != "Granary" {
		t.Fatalf("after Forget: %q", got.Meta.AppName)
	}

	second := first
	second.Meta.AppName = "Lumbung Prod"
	if err := a.Save(ctx, second); err != nil {
		t.Fatal(err)
	}
	clk.Advance(settings.TTL - time.Millisecond)
	if got := b.Cached(ctx); got.Meta.AppName != "Granary" {
		t.Fatalf("within TTL: %q", got.Meta.AppName)
	}
	clk.Advance(time.Millisecond)
	if got := b.Cached(ctx); got.Meta.AppName != "Lumbung Prod" {
		t.Fatalf("after TTL: %q", got.Meta.AppName)
	}

	// What is stored is merged over the defaults: keys saved by an older
	// version keep their defaults.
	if err := store.Set(ctx, "settings", map[string]any{"meta": map[string]any{"appName": "Partial"}}); err != nil {
		t.Fatal(err)
	}
	b.Forget()
	got := MustGet(t, b)
	want := defaults
	want.Meta.AppName = "Partial"
	if got.Meta != want.Meta || got.SMTP != want.SMTP || got.Batch != want.Batch || len(got.RateLimits.Rules) != len(want.RateLimits.Rules) {
		t.Fatalf("partial settings read as %+v", got)
	}
}

// TestServiceStoreFails: when the store cannot be read, Get fails and
// Cached keeps the last settings, trying again only after TTL.
func TestServiceStoreFails(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store, db := MustStore(t)
	clk := &clock{now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	s := settings.New(store, settings.Defaults("https://app.test"), clk.Now, quiet)
	st := MustGet(t, s)
	st.Meta.AppName = "Granary"
	if err := s.Save(ctx, st); err != nil {
		t.Fatal(err)
	}
	db.Close()
	clk.Advance(settings.TTL)
	if _, err := s.Get(ctx); err == nil {
		t.Fatal("Get on a closed database")
	}
	if got := s.Cached(ctx); got.Meta.AppName != "Granary" {
		t.Fatalf("Cached after a failed read: %q", got.Meta.AppName)
	}
	fresh := settings.New(store, settings.Defaults("https://app.test"), clk.Now, quiet)
	if got := fresh.Cached(ctx); got.Meta.AppName != "Lumbung" {
		t.Fatalf("Cached with nothing read: %q, want the defaults", got.Meta.AppName)
	}
	if got, err := fresh.Get(ctx); err != nil || got.Meta.AppName != "Lumbung" {
		t.Fatalf("Get within TTL of the failure: %q, %v; want the defaults kept", got.Meta.AppName, err)
	}
}

// TestServiceParsed: the parsed origins and proxies follow saved settings
// and the node's flags; stored values that do not parse fall back to any
// origin and no proxies.
func TestServiceParsed(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store, _ := MustStore(t)
	s := settings.New(store, settings.Defaults("https://app.test"), nil, quiet)
	client := func() string {
		return s.Proxies(ctx).Client(netip.MustParseAddr("10.0.0.1"), [][]byte{[]byte("203.0.113.7")}).String()
	}
	if got := s.Origins(ctx).Allow("https://a.test"); got != "*" {
		t.Fatalf("default origins: %q", got)
	}
	if got := client(); got != "10.0.0.1" {
		t.Fatalf("default proxies: client %s", got)
	}

	st := MustGet(t, s)
	st.CORS.Origins = []string{"https://a.test"}
	st.TrustedProxy.Proxies = []string{"10.0.0.0/8"}
	if err := s.Save(ctx, st); err != nil {
		t.Fatal(err)
	}
	if got := s.Origins(ctx).Allow("https://b.test"); got != "" {
		t.Fatalf("saved origins: b allowed as %q", got)
	}
	if got := client(); got != "203.0.113.7" {
		t.Fatalf("saved proxies: client %s", got)
	}

	s.Fix(settings.Node{Origins: []string{"https://b.test"}, TrustedProxies: []string{"192.0.2.1"}})
	if got := s.Origins(ctx).Allow("https://b.test"); got != "https://b.test" {
		t.Fatalf("origins fixed by a flag: %q", got)
	}
	if got := client(); got != "10.0.0.1" {
		t.Fatalf("proxies fixed by a flag: client %s", got)
	}
	if got := s.Effective(ctx).CORS.Origins; len(got) != 1 || got[0] != "https://b.test" {
		t.Fatalf("effective origins %v", got)
	}
	if got := MustGet(t, s).CORS.Origins; len(got) != 1 || got[0] != "https://a.test" {
		t.Fatalf("stored origins %v", got)
	}
	if got := s.Node().Flags(); len(got) != 2 {
		t.Fatalf("node flags %v", got)
	}
	s.Fix(settings.Node{})

	// Values saved around validation (by an older version, or by hand).
	if err := store.Set(ctx, "settings", map[string]any{
		"cors": map[string]any{"origins": []string{"https://x.test/path"}}, "trustedProxy": map[string]any{"proxies": []string{"nope"}}}); err != nil {
		t.Fatal(err)
	}
	s.Forget()
	if got := s.Origins(ctx).Allow("https://c.test"); got != "*" {
		t.Fatalf("invalid stored origins: %q, want any origin", got)
	}
	if p := s.Proxies(ctx); p != nil {
		t.Fatalf("invalid stored proxies: %+v, want none", p)
	}
}

// TestServiceMemory: without a store the settings live in memory.
func TestServiceMemory(t *testing.T) {
	t.Parallel()
	clk := &clock{now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	s := settings.New(nil, settings.Defaults(""), clk.Now, quiet)
	st := MustGet(t, s)
	st.Meta.AppName = "Granary"
	if err := s.Save(context.Background(), st); err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Hour)
	if got := MustGet(t, s); got.Meta.AppName != "Granary" {
		t.Fatalf("memory settings after an hour: %q", got.Meta.AppName)
	}
}
