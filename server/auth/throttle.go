package auth

import (
	"math"
	"strings"
	"sync"
	"time"
)

// ThrottleConfig tunes a Throttle. Zero values take the defaults shown.
type ThrottleConfig struct {
	// MaxPerIdentity failed sign-ins for one identity within Window lock it
	// out until the oldest of them is older than Window.
	MaxPerIdentity int // 5
	// MaxPerAddress failed sign-ins from one client address within Window,
	// whatever the identities, lock that address out the same way.
	MaxPerAddress int           // 20
	Window        time.Duration // 15 minutes
	// Now is the clock (time.Now when nil); tests drive it.
	Now func() time.Time
}

// Throttle slows down password guessing: it counts failed sign-ins per
// identity and per client address and refuses further attempts for a while
// once either failed too often. Counts live in the memory of each node, so
// with N nodes behind a balancer a guesser gets at most N times the budget.
type Throttle struct {
	cfg ThrottleConfig

	mu    sync.Mutex
	fails map[string][]time.Time // key -> recent failures, oldest first
}

// maxThrottleKeys bounds the memory a flood of distinct identities can take;
// expired entries are swept when it is reached.
const maxThrottleKeys = 100_000

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
	return &Throttle{cfg: cfg, fails: map[string][]time.Time{}}
}

func identityKey(collectionID, identity string) string {
	return "id\x00" + collectionID + "\x00" + strings.ToLower(strings.TrimSpace(identity))
}

func addressKey(addr string) string { return "ip\x00" + addr }

// Wait returns how long the identity (in the collection) or the address
// must wait before the next attempt; 0 means go ahead.
func (t *Throttle) Wait(collectionID, identity, addr string) time.Duration {
	now := t.cfg.Now()
	t.mu.Lock()
	defer t.mu.Unlock()
	return max(t.wait(identityKey(collectionID, identity), t.cfg.MaxPerIdentity, now),
		t.wait(addressKey(addr), t.cfg.MaxPerAddress, now))
}

func (t *Throttle) wait(key string, limit int, now time.Time) time.Duration {
	recent := t.recent(key, now)
	if len(recent) < limit {
		return 0
	}
	// Allowed again when all but limit-1 of the failures have expired.
	return recent[len(recent)-limit].Add(t.cfg.Window).Sub(now)
}

// recent drops expired failures of key and returns the rest.
func (t *Throttle) recent(key string, now time.Time) []time.Time {
	list := t.fails[key]
	i := 0
	for i < len(list) && !list[i].Add(t.cfg.Window).After(now) {
		i++
	}
	if i == len(list) {
		delete(t.fails, key)
		return nil
	}
	if i > 0 {
		list = append(list[:0:0], list[i:]...)
		t.fails[key] = list
	}
	return list
}

// Fail records a failed sign-in.
func (t *Throttle) Fail(collectionID, identity, addr string) {
	now := t.cfg.Now()
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.fails) >= maxThrottleKeys {
		for k := range t.fails {
			t.recent(k, now)
		}
		if len(t.fails) >= maxThrottleKeys {
			t.fails = map[string][]time.Time{}
		}
	}
	t.add(identityKey(collectionID, identity), t.cfg.MaxPerIdentity, now)
	t.add(addressKey(addr), t.cfg.MaxPerAddress, now)
}

func (t *Throttle) add(key string, limit int, now time.Time) {
	list := append(t.recent(key, now), now)
	if len(list) > limit { // older failures no longer change the answer
		list = list[len(list)-limit:]
	}
	t.fails[key] = list
}

// Succeed forgets the failures of an identity after a correct password.
// Those of the address stay: one good account must not reset a guesser.
func (t *Throttle) Succeed(collectionID, identity string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.fails, identityKey(collectionID, identity))
}

// RetryAfterSeconds rounds a wait up to whole seconds, as the Retry-After
// header wants it.
func RetryAfterSeconds(d time.Duration) int {
	return max(1, int(math.Ceil(d.Seconds())))
}
