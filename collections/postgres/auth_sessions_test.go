package postgres_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/lumbunghq/lumbung/collections"
	"github.com/lumbunghq/lumbung/collections/postgres"
	"github.com/lumbunghq/lumbung/server/localpg/pgtest"
)

// MustAuthSessions returns the auth session store of a fresh database.
func MustAuthSessions(tb testing.TB) *postgres.AuthSessions {
	tb.Helper()
	db, err := postgres.Open(context.Background(), pgtest.NewDB(tb), 8)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(db.Close)
	return postgres.NewAuthSessions(db)
}

func TestAuthSessionsOTPs(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := MustAuthSessions(t)
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for i, id := range []string{"otp1", "otp2", "otp3"} {
		o := &collections.OTP{ID: id, CollectionID: "users", RecordID: "ada", CodeHash: "h" + id, SentTo: "ada@example.com",
			KeySum: "k", Created: t0.Add(time.Duration(i) * time.Minute)}
		if err := s.CreateOTP(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	recent, err := s.RecentOTPs(ctx, "users", "ada", t0)
	if err != nil || len(recent) != 2 || recent[0].ID != "otp3" || recent[1].ID != "otp2" {
		t.Fatalf("recent: %v %v", recent, err)
	}
	if _, err := s.OTP(ctx, "other", "otp1"); collections.ErrorCode(err) != collections.ENOTFOUND {
		t.Fatalf("an OTP of another collection: %v", err)
	}
	o, err := s.OTP(ctx, "users", "otp1")
	if err != nil || o.CodeHash != "hotp1" || o.SentTo != "ada@example.com" || !o.Created.Equal(t0) || o.Attempts != 0 {
		t.Fatalf("otp: %+v %v", o, err)
	}
	// Concurrent attempts each see another count.
	var mu sync.Mutex
	seen := map[int]bool{}
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n, err := s.AttemptOTP(ctx, "otp1")
			if err != nil {
				t.Error(err)
			}
			mu.Lock()
			seen[n] = true
			mu.Unlock()
		}()
	}
	wg.Wait()
	if len(seen) != 8 || !seen[0] || !seen[7] {
		t.Fatalf("attempt counts %v", seen)
	}
	// Of concurrent uses, one wins.
	wins := make(chan bool, 4)
	for range 4 {
		go func() {
			ok, err := s.UseOTP(ctx, "otp2")
			if err != nil {
				t.Error(err)
			}
			wins <- ok
		}()
	}
	n := 0
	for range 4 {
		if <-wins {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d uses won", n)
	}
	if _, err := s.AttemptOTP(ctx, "otp2"); collections.ErrorCode(err) != collections.ENOTFOUND {
		t.Fatalf("attempt at a used OTP: %v", err)
	}
	if gone, err := s.Prune(ctx, t0.Add(time.Minute)); err != nil || gone != 1 {
		t.Fatalf("pruned %d, %v", gone, err)
	}
	if err := s.Forget(ctx, "users", "ada"); err != nil {
		t.Fatal(err)
	}
	if recent, _ := s.RecentOTPs(ctx, "users", "ada", t0.Add(-time.Hour)); len(recent) != 0 {
		t.Fatalf("forgotten OTPs left: %v", recent)
	}
}

func TestAuthSessionsMFAsAndOrigins(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := MustAuthSessions(t)
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	if err := s.CreateMFA(ctx, &collections.MFA{ID: "mfa1", CollectionID: "users", RecordID: "ada", Method: "password", KeySum: "k", Created: t0}); err != nil {
		t.Fatal(err)
	}
	m, err := s.MFA(ctx, "mfa1")
	if err != nil || m.Method != "password" || m.RecordID != "ada" || !m.Created.Equal(t0) {
		t.Fatalf("mfa: %+v %v", m, err)
	}
	if _, err := s.MFA(ctx, "nope"); collections.ErrorCode(err) != collections.ENOTFOUND {
		t.Fatalf("unknown mfa: %v", err)
	}
	// Ids a client sends that PostgreSQL cannot store as text name nothing.
	for _, id := range []string{"mfa\x00", "\xff\xfe"} {
		if _, err := s.MFA(ctx, id); collections.ErrorCode(err) != collections.ENOTFOUND {
			t.Fatalf("mfa %q: %v", id, err)
		}
		if _, err := s.OTP(ctx, "users", id); collections.ErrorCode(err) != collections.ENOTFOUND {
			t.Fatalf("otp %q: %v", id, err)
		}
		if ok, err := s.DeleteMFA(ctx, id); ok || err != nil {
			t.Fatalf("delete mfa %q: %v %v", id, ok, err)
		}
	}
	if ok, _ := s.DeleteMFA(ctx, "mfa1"); !ok {
		t.Fatal("delete mfa")
	}
	if ok, _ := s.DeleteMFA(ctx, "mfa1"); ok {
		t.Fatal("deleted twice")
	}

	save := func(id, fp string, at time.Duration) {
		t.Helper()
		o := &collections.AuthOrigin{ID: id, CollectionID: "users", RecordID: "ada", Fingerprint: fp, KeySum: "k", Created: t0, Updated: t0.Add(at)}
		if err := s.SaveAuthOrigin(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	save("o1", "laptop", 0)
	save("o2", "phone", time.Minute)
	save("o3", "laptop", 2*time.Minute) // the same place again: updated, not added
	origins, err := s.AuthOrigins(ctx, "users", "ada")
	if err != nil || len(origins) != 2 || origins[0].ID != "o1" || origins[1].ID != "o2" || !origins[0].Updated.Equal(t0.Add(2*time.Minute)) {
		t.Fatalf("origins: %v %v", origins, err)
	}
	if err := s.DeleteAuthOrigins(ctx, []string{"o2"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Forget(ctx, "users", ""); err != nil {
		t.Fatal(err)
	}
	if origins, _ := s.AuthOrigins(ctx, "users", "ada"); len(origins) != 0 {
		t.Fatalf("forgotten origins left: %v", origins)
	}
}
