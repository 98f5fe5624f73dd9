package rbac_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"unsafe"

	"github.com/casbin/casbin/v2"
	"github.com/casbin/casbin/v2/model"
	defaultrolemanager "github.com/casbin/casbin/v2/rbac/default-role-manager"

	"github.com/lumbunghq/lumbung/rbac"
)

// rules is an in-memory Source whose contents tests change between
// reloads.
type rules struct {
	mu          sync.Mutex
	policies    []rbac.Policy
	assignments []rbac.Assignment
	err         error
}

func (r *rules) Load(context.Context) ([]rbac.Policy, []rbac.Assignment, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.policies), slices.Clone(r.assignments), r.err
}

func (r *rules) set(ps []rbac.Policy, as []rbac.Assignment) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.policies, r.assignments = ps, as
}

// MustEnforcer returns an enforcer over ps and as.
func MustEnforcer(tb testing.TB, ps []rbac.Policy, as []rbac.Assignment) *rbac.Enforcer {
	tb.Helper()
	e, err := rbac.NewEnforcer(context.Background(), &rules{policies: ps, assignments: as})
	if err != nil {
		tb.Fatal(err)
	}
	return e
}

const (
	alice = "pbc_users:alice"
	bob   = "pbc_users:bob"
	carol = "pbc_users:carol"
)

func p(sub, obj, act, cond string, fields ...string) rbac.Policy {
	return rbac.Policy{Subject: sub, Collection: obj, Action: act, Condition: cond, Fields: fields}
}

func g(sub, role string) rbac.Assignment { return rbac.Assignment{Subject: sub, Role: role} }

func TestDecideUsers(t *testing.T) {
	e := MustEnforcer(t, []rbac.Policy{
		p(alice, "posts", "list", ""),
		p(alice, "posts", "view", "author = @request.auth.id"),
	}, nil)
	d := e.Decide(alice, "posts", "list")
	if !d.Allowed || !d.Unconditional || d.Conditions != nil || d.Fields != nil {
		t.Errorf("alice list = %+v", d)
	}
	if want := []rbac.Policy{p(alice, "posts", "list", "")}; !equalPolicies(d.Policies, want) {
		t.Errorf("policies = %+v, want %+v", d.Policies, want)
	}
	if want := []string{alice, rbac.Authenticated, rbac.Guest}; !slices.Equal(d.Roles, want) {
		t.Errorf("roles = %v, want %v", d.Roles, want)
	}
	d = e.Decide(alice, "posts", "view")
	if !d.Allowed || d.Unconditional || !slices.Equal(d.Conditions, []string{"author = @request.auth.id"}) {
		t.Errorf("alice view = %+v", d)
	}
	for _, tt := range []struct{ user, obj, act string }{
		{bob, "posts", "list"},
		{"", "posts", "list"},
		{alice, "comments", "list"},
		{alice, "posts", "delete"},
	} {
		d := e.Decide(tt.user, tt.obj, tt.act)
		if d.Allowed || d.Unconditional || d.Conditions != nil || d.Fields != nil || len(d.Policies) != 0 {
			t.Errorf("Decide(%q, %q, %q) = %+v, want denied", tt.user, tt.obj, tt.act, d)
		}
		if len(d.Roles) == 0 || !slices.Contains(d.Roles, rbac.Guest) {
			t.Errorf("Decide(%q, %q, %q).Roles = %v, want the evaluated set", tt.user, tt.obj, tt.act, d.Roles)
		}
	}
}

func TestDecideRoleInheritance(t *testing.T) {
	e := MustEnforcer(t, []rbac.Policy{
		p("reader", "posts", "view", ""),
		p("writer", "posts", "create", ""),
		p("editor", "posts", "update", ""),
		p("admin", "*", "*", ""),
	}, []rbac.Assignment{
		g(alice, "editor"),
		g("editor", "writer"),
		g("writer", "reader"),
		g(bob, "reader"),
		g(carol, "admin"),
	})
	for _, tt := range []struct {
		user, act string
		want      bool
	}{
		{alice, "view", true}, {alice, "create", true}, {alice, "update", true}, {alice, "delete", false},
		{bob, "view", true}, {bob, "create", false}, {bob, "update", false},
		{carol, "delete", true}, {"", "view", false},
	} {
		if got := e.Decide(tt.user, "posts", tt.act).Allowed; got != tt.want {
			t.Errorf("Decide(%q, posts, %q).Allowed = %v, want %v", tt.user, tt.act, got, tt.want)
		}
	}
	want := []string{alice, rbac.Authenticated, "editor", rbac.Guest, "reader", "writer"}
	if got := e.Decide(alice, "posts", "view").Roles; !slices.Equal(got, want) {
		t.Errorf("alice's subject set = %v, want %v", got, want)
	}
	if got, want := e.RolesOf(alice), want[1:]; !slices.Equal(got, want) {
		t.Errorf("RolesOf(alice) = %v, want %v", got, want)
	}
	if got, want := e.RolesOf(""), []string{rbac.Guest}; !slices.Equal(got, want) {
		t.Errorf("RolesOf(guest) = %v, want %v", got, want)
	}
	// A role name stands for a signed-in member of just that role.
	if d := e.Decide("writer", "posts", "create"); !d.Allowed {
		t.Errorf("Decide(writer, posts, create) = %+v", d)
	}
	if d := e.Decide("writer", "posts", "update"); d.Allowed {
		t.Errorf("Decide(writer, posts, update) = %+v", d)
	}
}

func TestDecideDeepAndCyclicRoles(t *testing.T) {
	var as []rbac.Assignment
	as = append(as, g(alice, "r0"))
	for i := range rbac.MaxRoleDepth - 1 {
		as = append(as, g(fmt.Sprintf("r%d", i), fmt.Sprintf("r%d", i+1)))
	}
	last := fmt.Sprintf("r%d", rbac.MaxRoleDepth-1)
	// carol is one level further away from the last role than alice.
	as = append(as, g(carol, "c"), g("c", "r0"))
	// A cycle: x -> y -> x.
	as = append(as, g(bob, "x"), g("x", "y"), g("y", "x"), g("y", last))
	e := MustEnforcer(t, []rbac.Policy{p(last, "posts", "list", "")}, as)
	if d := e.Decide(alice, "posts", "list"); !d.Allowed || len(d.Roles) != rbac.MaxRoleDepth+3 {
		t.Errorf("alice through a chain of %d roles: %+v", rbac.MaxRoleDepth, d)
	}
	if d := e.Decide(carol, "posts", "list"); d.Allowed {
		t.Errorf("carol through a chain of %d roles: %+v", rbac.MaxRoleDepth+1, d)
	}
	d := e.Decide(bob, "posts", "list")
	if !d.Allowed {
		t.Errorf("bob through a cycle: %+v", d)
	}
	if want := []string{bob, rbac.Authenticated, rbac.Guest, last, "x", "y"}; !slices.Equal(d.Roles, want) {
		t.Errorf("bob's roles = %v, want %v", d.Roles, want)
	}
}

func TestDecideImplicitRoles(t *testing.T) {
	e := MustEnforcer(t, []rbac.Policy{
		p(rbac.Guest, "posts", "list", "public = true"),
		p(rbac.Authenticated, "posts", "list", "members_only = true"),
		p("member", "posts", "view", ""),
	}, []rbac.Assignment{
		// Every signed-in user is a member.
		g(rbac.Authenticated, "member"),
	})
	d := e.Decide("", "posts", "list")
	if !d.Allowed || !slices.Equal(d.Conditions, []string{"public = true"}) || !slices.Equal(d.Roles, []string{rbac.Guest}) {
		t.Errorf("guest list = %+v", d)
	}
	if d := e.Decide("", "posts", "view"); d.Allowed {
		t.Errorf("guest view = %+v, want denied", d)
	}
	d = e.Decide(alice, "posts", "list")
	if !d.Allowed || !slices.Equal(d.Conditions, []string{"members_only = true", "public = true"}) {
		t.Errorf("alice list = %+v", d)
	}
	if want := []string{alice, rbac.Authenticated, rbac.Guest, "member"}; !slices.Equal(d.Roles, want) {
		t.Errorf("alice's roles = %v, want %v", d.Roles, want)
	}
	if d := e.Decide(alice, "posts", "view"); !d.Allowed || !d.Unconditional {
		t.Errorf("alice view = %+v", d)
	}
}

func TestDecideWildcards(t *testing.T) {
	e := MustEnforcer(t, []rbac.Policy{
		p("auditor", "*", "list", ""),
		p("auditor", "*", "view", ""),
		p("owner", "posts", "*", "owner = @request.auth.id"),
	}, []rbac.Assignment{g(alice, "auditor"), g(bob, "owner")})
	for _, tt := range []struct {
		user, obj, act string
		want           bool
	}{
		{alice, "posts", "list", true}, {alice, "anything", "view", true}, {alice, "posts", "delete", false},
		{bob, "posts", "delete", true}, {bob, "posts", "create", true}, {bob, "comments", "list", false},
	} {
		if got := e.Decide(tt.user, tt.obj, tt.act).Allowed; got != tt.want {
			t.Errorf("Decide(%q, %q, %q).Allowed = %v, want %v", tt.user, tt.obj, tt.act, got, tt.want)
		}
	}
	// "*" in a request is a literal: it matches only policies for "*".
	if d := e.Decide(bob, "*", "list"); d.Allowed {
		t.Errorf("Decide(bob, *, list) = %+v", d)
	}
}

func TestDecideCombinesPolicies(t *testing.T) {
	e := MustEnforcer(t, []rbac.Policy{
		p(rbac.Guest, "posts", "list", "public = true", "title", "body"),
		p("staff", "posts", "list", "team = @request.auth.team", "title", "author"),
		p("staff", "posts", "list", "public = true", "created"), // same condition again
		p("editor", "posts", "list", "", "summary"),
		p("admin", "posts", "list", "status != 'deleted'"),
		p("admin", "posts", "*", ""),
	}, []rbac.Assignment{
		g(alice, "staff"), g(bob, "staff"), g(bob, "editor"), g(carol, "staff"), g(carol, "admin"),
	})

	t.Run("conditions are OR-ed, fields unioned", func(t *testing.T) {
		d := e.Decide(alice, "posts", "list")
		if !d.Allowed || d.Unconditional {
			t.Fatalf("alice = %+v", d)
		}
		if want := []string{"public = true", "team = @request.auth.team"}; !slices.Equal(d.Conditions, want) {
			t.Errorf("conditions = %q, want %q", d.Conditions, want)
		}
		if want := []string{"author", "body", "created", "title"}; !slices.Equal(d.Fields, want) {
			t.Errorf("fields = %v, want %v", d.Fields, want)
		}
		if len(d.Policies) != 3 {
			t.Errorf("policies = %+v, want 3", d.Policies)
		}
	})
	t.Run("an unconditional policy drops the row filter", func(t *testing.T) {
		d := e.Decide(bob, "posts", "list")
		if !d.Allowed || !d.Unconditional || d.Conditions != nil {
			t.Errorf("bob = %+v", d)
		}
		if want := []string{"author", "body", "created", "summary", "title"}; !slices.Equal(d.Fields, want) {
			t.Errorf("fields = %v, want %v", d.Fields, want)
		}
		if len(d.Policies) != 4 {
			t.Errorf("policies = %+v, want 4", d.Policies)
		}
	})
	t.Run("a policy with every field makes the union every field", func(t *testing.T) {
		d := e.Decide(carol, "posts", "list")
		if !d.Allowed || !d.Unconditional || d.Conditions != nil || d.Fields != nil {
			t.Errorf("carol = %+v", d)
		}
		// Grouped by subject in the order of Roles, load order within one.
		var subjects []string
		for _, p := range d.Policies {
			subjects = append(subjects, p.Subject)
		}
		if want := []string{"admin", "admin", rbac.Guest, "staff", "staff"}; !slices.Equal(subjects, want) {
			t.Errorf("policy subjects = %v, want %v", subjects, want)
		}
	})
	t.Run("guest", func(t *testing.T) {
		d := e.Decide("", "posts", "list")
		if !slices.Equal(d.Conditions, []string{"public = true"}) || !slices.Equal(d.Fields, []string{"body", "title"}) {
			t.Errorf("guest = %+v", d)
		}
	})
}

func TestDecideRepeatedRules(t *testing.T) {
	e := MustEnforcer(t, []rbac.Policy{
		p("staff", "posts", "list", "a = 1"),
		p("staff", "posts", "list", "a = 1"),
	}, []rbac.Assignment{g(alice, "staff"), g(alice, "staff")})
	if d := e.Decide(alice, "posts", "list"); len(d.Policies) != 1 || len(d.Conditions) != 1 {
		t.Errorf("repeated rules counted twice: %+v", d)
	}
}

func TestReloadInvalidatesCache(t *testing.T) {
	src := &rules{}
	e, err := rbac.NewEnforcer(context.Background(), src)
	if err != nil {
		t.Fatal(err)
	}
	if d := e.Decide(alice, "posts", "list"); d.Allowed {
		t.Fatalf("before = %+v", d)
	}
	src.set([]rbac.Policy{p("staff", "posts", "list", "")}, []rbac.Assignment{g(alice, "staff")})
	if d := e.Decide(alice, "posts", "list"); d.Allowed {
		t.Fatalf("changed without a reload: %+v", d)
	}
	if err := e.Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	if d := e.Decide(alice, "posts", "list"); !d.Allowed || !slices.Contains(d.Roles, "staff") {
		t.Fatalf("after reload = %+v", d)
	}
	if got := e.RolesOf(alice); !slices.Contains(got, "staff") {
		t.Fatalf("RolesOf after reload = %v", got)
	}

	// A failing load keeps the rules in force.
	src.mu.Lock()
	src.err = errors.New("connection refused")
	src.mu.Unlock()
	if err := e.Reload(context.Background()); err == nil || !strings.Contains(err.Error(), "connection refused") {
		t.Fatalf("Reload = %v, want the load error", err)
	}
	if d := e.Decide(alice, "posts", "list"); !d.Allowed {
		t.Fatalf("after a failed reload = %+v", d)
	}

	src.mu.Lock()
	src.err = nil
	src.mu.Unlock()
	src.set(nil, nil)
	if err := e.Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	if d := e.Decide(alice, "posts", "list"); d.Allowed || slices.Contains(d.Roles, "staff") {
		t.Fatalf("after revoking = %+v", d)
	}
}

func TestNewEnforcerLoadError(t *testing.T) {
	src := rbac.SourceFunc(func(context.Context) ([]rbac.Policy, []rbac.Assignment, error) {
		return nil, nil, errors.New("no database")
	})
	if _, err := rbac.NewEnforcer(context.Background(), src); err == nil {
		t.Fatal("NewEnforcer succeeded without rules")
	}
}

// TestCacheKeepsOwnCopies passes strings backed by a buffer that is then
// overwritten, as Fiber's request strings are: cached entries must not
// change with it.
func TestCacheKeepsOwnCopies(t *testing.T) {
	e := MustEnforcer(t, []rbac.Policy{p(alice, "posts", "list", ""), p(bob, "notes", "list", "")}, nil)
	buf := []byte(alice + "posts" + "list")
	user := unsafe.String(&buf[0], len(alice))
	col := unsafe.String(&buf[len(alice)], len("posts"))
	act := unsafe.String(&buf[len(alice)+len("posts")], len("list"))
	if d := e.Decide(user, col, act); !d.Allowed {
		t.Fatalf("Decide = %+v", d)
	}
	copy(buf, bob+"notes"+"view")
	if d := e.Decide(alice, "posts", "list"); !d.Allowed || d.Roles[0] != alice {
		t.Errorf("alice after the buffer changed = %+v", d)
	}
	if d := e.Decide(bob, "notes", "view"); d.Allowed {
		t.Errorf("bob view after the buffer changed = %+v", d)
	}
}

func TestDecideConcurrentWithReload(t *testing.T) {
	src := &rules{}
	src.set([]rbac.Policy{p("staff", "posts", "list", "")}, []rbac.Assignment{g(alice, "staff")})
	e, err := rbac.NewEnforcer(context.Background(), src)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for i := range 2000 {
				user := fmt.Sprintf("pbc_users:u%d", (w*2000+i)%50)
				d := e.Decide(user, "posts", "list")
				if d.Allowed {
					t.Errorf("%s allowed: %+v", user, d)
					return
				}
				if d := e.Decide(alice, "posts", "list"); !d.Allowed {
					t.Errorf("alice denied: %+v", d)
					return
				}
				_ = e.RolesOf(user)
			}
		})
	}
	for range 50 {
		if err := e.Reload(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
}

// TestDecideAgreesWithCasbin checks, on random rule sets, that a decision
// holds exactly the policies for which Casbin's enforcer, running Model on
// that policy alone, allows the request for the user or an implicit role.
func TestDecideAgreesWithCasbin(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	users := []string{alice, bob, carol, ""}
	roles := []string{"r1", "r2", "r3", "r4", rbac.Guest, rbac.Authenticated}
	subjects := append([]string{alice, bob, carol}, roles...)
	objs := []string{"posts", "notes", "*"}
	acts := []string{"list", "view", "create", "*"}
	pick := func(xs []string) string { return xs[rng.IntN(len(xs))] }
	for round := range 30 {
		var ps []rbac.Policy
		for i := range 3 + rng.IntN(12) {
			cond := ""
			if rng.IntN(2) == 0 {
				cond = fmt.Sprintf("n = %d", rng.IntN(3))
			}
			var fields []string
			if rng.IntN(2) == 0 {
				fields = []string{pick([]string{"a", "b", "c"}), fmt.Sprint("f", i%2)}
			}
			ps = append(ps, p(pick(subjects), pick(objs), pick(acts), cond, fields...))
		}
		var as []rbac.Assignment
		for range rng.IntN(8) {
			as = append(as, g(pick(subjects), pick(roles)))
		}
		e := MustEnforcer(t, ps, as)
		// One Casbin enforcer per policy tells whether that policy matches.
		single := make([]*casbin.Enforcer, len(ps))
		for i, pol := range ps {
			single[i] = casbinEnforcer(t, []rbac.Policy{pol}, as)
		}
		for _, user := range users {
			for _, obj := range objs[:2] {
				for _, act := range acts[:3] {
					var want []rbac.Policy
					for i, pol := range ps {
						if casbinAllows(t, single[i], user, obj, act) && !containsPolicy(want, pol) {
							want = append(want, pol)
						}
					}
					d := e.Decide(user, obj, act)
					if d.Allowed != (len(want) > 0) || !samePolicies(d.Policies, want) {
						t.Fatalf("round %d: Decide(%q, %q, %q) = %+v\nCasbin matches %+v\npolicies %+v\nassignments %+v", round, user, obj, act, d, want, ps, as)
					}
				}
			}
		}
	}
}

func casbinEnforcer(tb testing.TB, ps []rbac.Policy, as []rbac.Assignment) *casbin.Enforcer {
	tb.Helper()
	m, err := model.NewModelFromString(rbac.Model)
	if err != nil {
		tb.Fatal(err)
	}
	ce, err := casbin.NewEnforcer(m)
	if err != nil {
		tb.Fatal(err)
	}
	ce.SetRoleManager(defaultrolemanager.NewRoleManagerImpl(rbac.MaxRoleDepth))
	for _, p := range ps {
		if _, err := ce.AddPolicy(p.Subject, p.Collection, p.Action, p.Condition, strings.Join(p.Fields, ",")); err != nil {
			tb.Fatal(err)
		}
	}
	for _, a := range as {
		if _, err := ce.AddGroupingPolicy(a.Subject, a.Role); err != nil {
			tb.Fatal(err)
		}
	}
	return ce
}

// casbinAllows asks Casbin about the user and the implicit roles that
// apply to it: the request subjects the model is evaluated for.
func casbinAllows(tb testing.TB, ce *casbin.Enforcer, user, obj, act string) bool {
	tb.Helper()
	subs := []string{rbac.Guest}
	if user != "" {
		subs = append(subs, user, rbac.Authenticated)
	}
	for _, sub := range subs {
		ok, err := ce.Enforce(sub, obj, act)
		if err != nil {
			tb.Fatal(err)
		}
		if ok {
			return true
		}
	}
	return false
}

func equalPolicies(a, b []rbac.Policy) bool {
	return slices.EqualFunc(a, b, func(x, y rbac.Policy) bool {
		return x.Subject == y.Subject && x.Collection == y.Collection && x.Action == y.Action &&
			x.Condition == y.Condition && slices.Equal(x.Fields, y.Fields)
	})
}

func containsPolicy(ps []rbac.Policy, p rbac.Policy) bool {
	return slices.ContainsFunc(ps, func(q rbac.Policy) bool { return equalPolicies([]rbac.Policy{p}, []rbac.Policy{q}) })
}

func samePolicies(a, b []rbac.Policy) bool {
	if len(a) != len(b) {
		return false
	}
	for _, p := range a {
		if !containsPolicy(b, p) {
			return false
		}
	}
	return true
}
