package api_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/lumbunghq/lumbung/server"
)

// TestNoGlobalLockout: twenty failed sign-ins from one address, with
// random identities and some with the superuser's own, behind a load
// balancer (a trusted proxy) with the default rate limits, lock that
// address out of that collection only. The superuser signing in with the
// right password from another address is never blocked, nor is a user of
// another collection signing in from the guessing address.
func TestNoGlobalLockout(t *testing.T) {
	t.Parallel()
	// The balancer's address is fixed on the node by its flag.
	e := MustAuthEnv(t, func(cfg *server.Config) { cfg.TrustedProxies = []string{"0.0.0.0/32"} })
	MustUser(t, e.env, "ada@example.com", "ada password")
	const attacker, admin = "203.0.113.66", "198.51.100.10"
	signIn := func(collection, from, identity, password string) (int, string) {
		t.Helper()
		res, body := e.DoFrom("POST", "/api/collections/"+collection+"/auth-with-password", "-",
			fmt.Sprintf(`{"identity": %q, "password": %q}`, identity, password), forwarded(from))
		return res.StatusCode, body
	}
	rng := rand.New(rand.NewPCG(11, 0))
	for i := 0; i < 20; i++ {
		identity := fmt.Sprintf("guess%08x@example.com", rng.Uint32())
		if i%4 == 0 {
			identity = adminEmail // some guesses aim at the superuser
		}
		if status, body := signIn("_superusers", attacker, identity, "wrong"); status != 400 {
			t.Fatalf("failure %d: status %d: %s", i+1, status, body)
		}
	}
	// The default request rate limit (*:auth, 20 per 10 s and address)
	// is spent too; a new window shows the throttle alone.
	e.clock.Advance(10 * time.Second)
	if status, body := signIn("_superusers", attacker, adminEmail, adminPassword); status != 429 || !strings.Contains(body, "failed attempts") {
		t.Fatalf("the guessing address, right password: status %d, want the throttle's 429: %s", status, body)
	}
	for i := 0; i < 3; i++ {
		if status, body := signIn("_superusers", admin, adminEmail, adminPassword); status != 200 {
			t.Fatalf("the superuser from another address, attempt %d: status %d: %s", i+1, status, body)
		}
		signIn("_superusers", attacker, adminEmail, "wrong") // the guesser keeps going
	}
	e.clock.Advance(10 * time.Second)
	if status, body := signIn("users", attacker, "ada@example.com", "ada password"); status != 200 {
		t.Fatalf("another collection from the guessing address: status %d: %s", status, body)
	}
}
