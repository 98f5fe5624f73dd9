package rbac

import (
	"context"
	"fmt"
	"testing"
)

func mustEnforcer(tb testing.TB, ps []Policy, as []Assignment) *Enforcer {
	tb.Helper()
	e, err := NewEnforcer(context.Background(), SourceFunc(func(context.Context) ([]Policy, []Assignment, error) {
		return ps, as, nil
	}))
	if err != nil {
		tb.Fatal(err)
	}
	return e
}

// TestDecisionsSharedBySubjectSet checks the cache key: users whose
// subject sets own the same policies share one cached decision, and a
// user's own policies give it a decision of its own.
func TestDecisionsSharedBySubjectSet(t *testing.T) {
	e := mustEnforcer(t, []Policy{
		{Subject: "staff", Collection: "posts", Action: ActionList},
		{Subject: "pbc_users:carol", Collection: "posts", Action: ActionList, Condition: "a = 1"},
	}, []Assignment{
		{Subject: "pbc_users:alice", Role: "staff"},
		{Subject: "pbc_users:bob", Role: "staff"},
		{Subject: "pbc_users:bob", Role: "no_policies"},
		{Subject: "pbc_users:carol", Role: "staff"},
	})
	for _, u := range []string{"pbc_users:alice", "pbc_users:bob", "pbc_users:carol"} {
		if d := e.Decide(u, "posts", ActionList); !d.Allowed {
			t.Fatalf("%s: %+v", u, d)
		}
	}
	s := e.cur.Load()
	if s.subjects.len() != 3 || s.decisions.len() != 2 {
		t.Errorf("%d subject sets and %d decisions cached, want 3 and 2", s.subjects.len(), s.decisions.len())
	}
	if err := e.Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	if s := e.cur.Load(); s.subjects.len() != 0 || s.decisions.len() != 0 {
		t.Errorf("Reload kept %d subject sets and %d decisions", s.subjects.len(), s.decisions.len())
	}
}

func TestCacheBounded(t *testing.T) {
	e := mustEnforcer(t, nil, nil)
	for i := range maxCachedSubjects + 10 {
		e.Decide(fmt.Sprintf("pbc_users:u%d", i), "posts", ActionList)
	}
	if n := e.cur.Load().subjects.len(); n > maxCachedSubjects {
		t.Errorf("%d subject sets cached, bound is %d", n, maxCachedSubjects)
	}
}

// benchRules is a mid-sized installation: 50 collections, 20 roles in
// chains of 3, 1000 users with 2 roles each, guest and authenticated rules.
func benchRules() ([]Policy, []Assignment) {
	var ps []Policy
	var as []Assignment
	for c := range 50 {
		col := fmt.Sprintf("pbc_%d", c)
		ps = append(ps,
			Policy{Subject: Guest, Collection: col, Action: ActionList, Condition: "public = true"},
			Policy{Subject: Authenticated, Collection: col, Action: ActionView, Condition: "owner = @request.auth.id"})
		for r := range 20 {
			ps = append(ps, Policy{Subject: fmt.Sprintf("role%d", r), Collection: col, Action: ActionList,
				Condition: fmt.Sprintf("team = %d", r), Fields: []string{"title", fmt.Sprintf("f%d", r)}})
		}
	}
	for r := range 20 {
		if r%3 != 2 {
			as = append(as, Assignment{Subject: fmt.Sprintf("role%d", r), Role: fmt.Sprintf("role%d", r+1)})
		}
	}
	for u := range 1000 {
		user := fmt.Sprintf("pbc_users:u%d", u)
		as = append(as, Assignment{Subject: user, Role: fmt.Sprintf("role%d", u%20)}, Assignment{Subject: user, Role: fmt.Sprintf("role%d", (u*7)%20)})
	}
	return ps, as
}

func BenchmarkDecide(b *testing.B) {
	ps, as := benchRules()
	e := mustEnforcer(b, ps, as)
	users := make([]string, 1000)
	for i := range users {
		users[i] = fmt.Sprintf("pbc_users:u%d", i)
	}
	b.Run("cached", func(b *testing.B) {
		for _, u := range users {
			e.Decide(u, "pbc_7", ActionList)
		}
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			e.Decide(users[i%len(users)], "pbc_7", ActionList)
			i++
		}
	})
	b.Run("cached-parallel", func(b *testing.B) {
		for _, u := range users {
			e.Decide(u, "pbc_7", ActionList)
		}
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			i := 0
			for pb.Next() {
				e.Decide(users[i%len(users)], "pbc_7", ActionList)
				i++
			}
		})
	})
	b.Run("uncached", func(b *testing.B) {
		// Both cache levels miss: the subject set is resolved through
		// Casbin's role manager and the matching policies collected.
		s := e.cur.Load()
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			sub := s.resolve(users[i%len(users)])
			s.evaluate(sub.owners, "pbc_7", ActionList)
			i++
		}
	})
}

func BenchmarkReload(b *testing.B) {
	ps, as := benchRules()
	e := mustEnforcer(b, ps, as)
	b.ReportAllocs()
	for b.Loop() {
		if err := e.Reload(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
}
