package auth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"math"
	"strings"
	"time"
)

// FailureLog keeps failed sign-ins where every node sees them
// (postgres.AuthFailures), so that nodes behind a balancer throttle as one.
type FailureLog interface {
	// Failures returns, for each of keys that has any, the times of its
	// failures after since, oldest first.
	Failures(ctx context.Context, keys []string, since time.Time) (map[string][]time.Time, error)
	// Fail records a failure of each of keys at the time at.
	Fail(ctx context.Context, keys []string, at time.Time) error
	// Forget deletes the failures of key.
	Forget(ctx context.Context, key string) error
}

// ThrottleConfig tunes a Throttle. Zero values take the defaults shown.
type ThrottleConfig struct {
	// Log keeps the failures. Required.
	Log FailureLog
	// MaxPerIdentity failed sign-ins for one identity from one client
	// address within Window lock that identity out from that address until
	// the oldest of them is older than Window.
	MaxPerIdentity int // 5
	// MaxPerAddress failed sign-ins to one collection from one client
	// address within Window, whatever the identities, lock that address
	// out of that collection the same way.
	MaxPerAddress int           // 20
	Window        time.Duration // 15 minutes
	// Now is the clock (time.Now when nil); tests drive it.
	Now func() time.Time
}

// Throttle slows down password guessing: it counts failed sign-ins per
// identity and client address, and per collection and client address, and
// refuses further attempts for a while once either failed too often. The
// failures are kept in the FailureLog, shared by every node.
//
// Every count is per client address, so that no one can lock anyone out
// everywhere: failures from one address never block another, and someone
// who knows an identity (a superuser's email) can only lock it out from
// the addresses they guess from. The price is that a guesser with many
// addresses gets MaxPerIdentity guesses per address and Window; passwords
// of a sensible length, bcrypt and the request rate limits answer that.
type Throttle struct {
	cfg ThrottleConfig
}

// NewThrottle returns a Throttle.
func NewThrottle(cfg ThrottleConfig) *Throttle {
	if cfg.MaxPerIdentity == 0 {
		cfg.MaxPerIdentity = 5
	}
	if cfg.MaxPerAddress == 0 {
		cfg.MaxPerAddress = 20
	}
	if cfg.Window == 0 {
		cfg.Window = 15 * time.Minute
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Throttle{cfg: cfg}
}

// Expired returns the time at or before which failures no longer count:
// the log may forget them.
func (t *Throttle) Expired() time.Time { return t.cfg.Now().Add(-t.cfg.Window) }

// The log's keys are hashes: it holds no identity or address in clear, and
// any text a client sends makes a valid key.
func identityKey(collectionID, identity, addr string) string {
	return logKey("id", collectionID+"\x00"+addr+"\x00"+strings.ToLower(strings.TrimSpace(identity)))
}

func addressKey(collectionID, addr string) string { return logKey("ip", collectionID+"\x00"+addr) }

func logKey(kind, s string) string {
	sum := sha256.Sum256([]byte(s))
	return kind + ":" + hex.EncodeToString(sum[:])
}

// Wait returns how long the client at addr must wait before its next
// attempt to sign in as identity in the collection; 0 means go ahead.
func (t *Throttle) Wait(ctx context.Context, collectionID, identity, addr string) (time.Duration, error) {
	now := t.cfg.Now()
	id, ip := identityKey(collectionID, identity, addr), addressKey(collectionID, addr)
	fails, err := t.cfg.Log.Failures(ctx, []string{id, ip}, t.Expired())
	if err != nil {
		return 0, err
	}
	return max(t.wait(fails[id], t.cfg.MaxPerIdentity, now), t.wait(fails[ip], t.cfg.MaxPerAddress, now)), nil
}

// wait is how long until fewer than limit of the failures (oldest first,
// all within the window) are within the window.
func (t *Throttle) wait(fails []time.Time, limit int, now time.Time) time.Duration {
	if len(fails) < limit {
		return 0
	}
	// Allowed again when all but limit-1 of the failures have expired.
	return fails[len(fails)-limit].Add(t.cfg.Window).Sub(now)
}

// Fail records a failed sign-in.
func (t *Throttle) Fail(ctx context.Context, collectionID, identity, addr string) error {
	return t.cfg.Log.Fail(ctx, []string{identityKey(collectionID, identity, addr), addressKey(collectionID, addr)}, t.cfg.Now())
}

// Succeed forgets the failures of an identity from an address after a
// correct password. Those of the address stay: one good account must not
// reset a guesser.
func (t *Throttle) Succeed(ctx context.Context, collectionID, identity, addr string) error {
	return t.cfg.Log.Forget(ctx, identityKey(collectionID, identity, addr))
}

// RetryAfterSeconds rounds a wait up to whole seconds, as the Retry-After
// header wants it.
func RetryAfterSeconds(d time.Duration) int {
	return max(1, int(math.Ceil(d.Seconds())))
}
