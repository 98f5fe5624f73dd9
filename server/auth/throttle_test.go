package auth_test

import (
	"context"
	"testing"
	"time"

	"github.com/lumbunghq/lumbung/collections/postgres"
	"github.com/lumbunghq/lumbung/server/auth"
	"github.com/lumbunghq/lumbung/server/localpg/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m, postgres.MigrateURL) }

type clock struct{ t time.Time }

func (c *clock) now() time.Time          { return c.t }
func (c *clock) advance(d time.Duration) { c.t = c.t.Add(d) }

// failureLog returns the failure log of a fresh database.
func failureLog(t *testing.T) *postgres.AuthFailures {
	db, err := postgres.Open(context.Background(), pgtest.NewDB(t), 2)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	return postgres.NewAuthFailures(db)
}

// throttle wraps a Throttle for tests: any error fails the test.
type throttle struct {
	t  *testing.T
	th *auth.Throttle
}

func (h throttle) wait(col, identity, addr string) time.Duration {
	h.t.Helper()
	w, err := h.th.Wait(context.Background(), col, identity, addr)
	if err != nil {
		h.t.Fatal(err)
	}
	return w
}

func (h throttle) fail(col, identity, addr string) {
	h.t.Helper()
	if err := h.th.Fail(context.Background(), col, identity, addr); err != nil {
		h.t.Fatal(err)
	}
}

func (h throttle) succeed(col, identity, addr string) {
	h.t.Helper()
	if err := h.th.Succeed(context.Background(), col, identity, addr); err != nil {
		h.t.Fatal(err)
	}
}

func TestThrottleIdentity(t *testing.T) {
	t.Parallel()
	c := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	log := failureLog(t)
	th := throttle{t, auth.NewThrottle(auth.ThrottleConfig{Log: log, MaxPerIdentity: 3, MaxPerAddress: 100, Window: 10 * time.Minute, Now: c.now})}
	for i := 0; i < 3; i++ {
		if w := th.wait("users", "Ada@example.com", "1.2.3.4"); w != 0 {
			t.Fatalf("attempt %d throttled for %v", i, w)
		}
		th.fail("users", "ada@example.com", "1.2.3.4")
		c.advance(time.Minute)
	}
	// Failures at 0, 1 and 2 minutes; now is 3 minutes: the first expires at 10.
	if w := th.wait("users", "ADA@example.com ", "1.2.3.4"); w != 7*time.Minute {
		t.Fatalf("wait %v, want 7m (identity compared case-insensitively)", w)
	}
	// No lockout everywhere: the identity is only locked out from the
	// address that failed.
	if w := th.wait("users", "ada@example.com", "5.6.7.8"); w != 0 {
		t.Fatalf("another address throttled for %v", w)
	}
	// Another node with its own Throttle on the same log sees the failures.
	other := throttle{t, auth.NewThrottle(auth.ThrottleConfig{Log: log, MaxPerIdentity: 3, MaxPerAddress: 100, Window: 10 * time.Minute, Now: c.now})}
	if w := other.wait("users", "ada@example.com", "1.2.3.4"); w != 7*time.Minute {
		t.Fatalf("other node: wait %v, want 7m", w)
	}
	if w := th.wait("admins", "ada@example.com", "1.2.3.4"); w != 0 {
		t.Fatalf("other collection throttled for %v", w)
	}
	c.advance(7 * time.Minute)
	if w := th.wait("users", "ada@example.com", "1.2.3.4"); w != 0 {
		t.Fatalf("still throttled after the oldest failure expired: %v", w)
	}
	th.fail("users", "ada@example.com", "1.2.3.4")
	if w := th.wait("users", "ada@example.com", "1.2.3.4"); w != time.Minute {
		t.Fatalf("wait %v, want 1m", w)
	}
	other.succeed("users", "ada@example.com", "1.2.3.4")
	if w := th.wait("users", "ada@example.com", "1.2.3.4"); w != 0 {
		t.Fatalf("throttled after a success on another node: %v", w)
	}
}

func TestThrottleAddress(t *testing.T) {
	t.Parallel()
	c := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	th := throttle{t, auth.NewThrottle(auth.ThrottleConfig{Log: failureLog(t), MaxPerIdentity: 100, MaxPerAddress: 4, Window: time.Hour, Now: c.now})}
	for i := 0; i < 4; i++ {
		th.fail("users", string(rune('a'+i))+"@example.com", "9.9.9.9")
	}
	if w := th.wait("users", "new@example.com", "9.9.9.9"); w != time.Hour {
		t.Fatalf("address wait %v, want 1h", w)
	}
	th.succeed("users", "a@example.com", "9.9.9.9")
	if w := th.wait("users", "new@example.com", "9.9.9.9"); w == 0 {
		t.Fatal("a success for one identity reset the address")
	}
	if w := th.wait("users", "new@example.com", "8.8.8.8"); w != 0 {
		t.Fatalf("other address throttled for %v", w)
	}
	// The count is per collection: guessing users' passwords does not
	// lock the address out of another collection.
	if w := th.wait("_superusers", "root@example.com", "9.9.9.9"); w != 0 {
		t.Fatalf("other collection throttled for %v", w)
	}
}

// TestThrottleAnyText: identities are whatever a client sends; NUL bytes
// and long strings are counted like any other.
func TestThrottleAnyText(t *testing.T) {
	t.Parallel()
	c := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	th := throttle{t, auth.NewThrottle(auth.ThrottleConfig{Log: failureLog(t), MaxPerIdentity: 1, Now: c.now})}
	for _, identity := range []string{"a\x00b", string(make([]byte, 10000)), "ü@example.com"} {
		th.fail("users", identity, "1.1.1.1")
		if w := th.wait("users", identity, "1.1.1.1"); w == 0 {
			t.Errorf("%.20q: not throttled after a failure", identity)
		}
	}
}

func TestThrottlePrune(t *testing.T) {
	t.Parallel()
	c := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	log := failureLog(t)
	th := throttle{t, auth.NewThrottle(auth.ThrottleConfig{Log: log, MaxPerIdentity: 1, Window: time.Minute, Now: c.now})}
	th.fail("users", "ada@example.com", "1.1.1.1")
	c.advance(2 * time.Minute)
	th.fail("users", "bob@example.com", "1.1.1.1")
	n, err := log.Prune(context.Background(), th.th.Expired())
	if err != nil || n != 2 { // ada's identity and address rows
		t.Fatalf("pruned %d, %v; want 2", n, err)
	}
	if w := th.wait("users", "bob@example.com", "1.1.1.1"); w == 0 {
		t.Fatal("a failure inside the window was pruned")
	}
}

func TestRetryAfterSeconds(t *testing.T) {
	for d, want := range map[time.Duration]int{time.Millisecond: 1, time.Second: 1, 1500 * time.Millisecond: 2, 7 * time.Minute: 420} {
		if got := auth.RetryAfterSeconds(d); got != want {
			t.Errorf("RetryAfterSeconds(%v) = %d, want %d", d, got, want)
		}
	}
}
