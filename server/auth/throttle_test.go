package auth_test

import (
	"testing"
	"time"

	"github.com/lumbunghq/lumbung/server/auth"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time          { return c.t }
func (c *clock) advance(d time.Duration) { c.t = c.t.Add(d) }

func TestThrottleIdentity(t *testing.T) {
	c := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	th := auth.NewThrottle(auth.ThrottleConfig{MaxPerIdentity: 3, MaxPerAddress: 100, Window: 10 * time.Minute, Now: c.now})
	for i := 0; i < 3; i++ {
		if w := th.Wait("users", "Ada@example.com", "1.2.3.4"); w != 0 {
			t.Fatalf("attempt %d throttled for %v", i, w)
		}
		th.Fail("users", "ada@example.com", "1.2.3.4")
		c.advance(time.Minute)
	}
	// Failures at 0, 1 and 2 minutes; now is 3 minutes: the first expires at 10.
	if w := th.Wait("users", "ADA@example.com ", "5.6.7.8"); w != 7*time.Minute {
		t.Fatalf("wait %v, want 7m (identity compared case-insensitively, any address)", w)
	}
	if w := th.Wait("admins", "ada@example.com", "1.2.3.4"); w != 0 {
		t.Fatalf("other collection throttled for %v", w)
	}
	c.advance(7 * time.Minute)
	if w := th.Wait("users", "ada@example.com", "1.2.3.4"); w != 0 {
		t.Fatalf("still throttled after the oldest failure expired: %v", w)
	}
	th.Fail("users", "ada@example.com", "1.2.3.4")
	if w := th.Wait("users", "ada@example.com", "1.2.3.4"); w != time.Minute {
		t.Fatalf("wait %v, want 1m", w)
	}
	th.Succeed("users", "ada@example.com")
	if w := th.Wait("users", "ada@example.com", "1.2.3.4"); w != 0 {
		t.Fatalf("throttled after a success: %v", w)
	}
}

func TestThrottleAddress(t *testing.T) {
	c := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	th := auth.NewThrottle(auth.ThrottleConfig{MaxPerIdentity: 100, MaxPerAddress: 4, Window: time.Hour, Now: c.now})
	for i := 0; i < 4; i++ {
		th.Fail("users", string(rune('a'+i))+"@example.com", "9.9.9.9")
	}
	if w := th.Wait("users", "new@example.com", "9.9.9.9"); w != time.Hour {
		t.Fatalf("address wait %v, want 1h", w)
	}
	th.Succeed("users", "a@example.com")
	if w := th.Wait("users", "new@example.com", "9.9.9.9"); w == 0 {
		t.Fatal("a success for one identity reset the address")
	}
	if w := th.Wait("users", "new@example.com", "8.8.8.8"); w != 0 {
		t.Fatalf("other address throttled for %v", w)
	}
}

func TestRetryAfterSeconds(t *testing.T) {
	for d, want := range map[time.Duration]int{time.Millisecond: 1, time.Second: 1, 1500 * time.Millisecond: 2, 7 * time.Minute: 420} {
		if got := auth.RetryAfterSeconds(d); got != want {
			t.Errorf("RetryAfterSeconds(%v) = %d, want %d", d, got, want)
		}
	}
}
