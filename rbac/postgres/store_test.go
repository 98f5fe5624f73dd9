package postgres_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/uptrace/bun"

	"github.com/lumbunghq/lumbung/collections"
	collpg "github.com/lumbunghq/lumbung/collections/postgres"
	"github.com/lumbunghq/lumbung/rbac"
	"github.com/lumbunghq/lumbung/rbac/postgres"
	"github.com/lumbunghq/lumbung/server/localpg/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m, collpg.MigrateURL) }

// MustDB opens a fresh migrated database and returns its DSN and a Bun
// handle on it.
func MustDB(tb testing.TB) (string, *bun.DB) {
	tb.Helper()
	dsn := pgtest.NewDB(tb)
	return dsn, MustOpen(tb, dsn)
}

// MustOpen opens another connection pool on dsn, as another node would.
func MustOpen(tb testing.TB, dsn string) *bun.DB {
	tb.Helper()
	db, err := collpg.Open(context.Background(), dsn, 4)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(db.Close)
	return db.Bun
}

// MustCollection inserts a bare _collections row.
func MustCollection(tb testing.TB, db bun.IDB, id, typ string) {
	tb.Helper()
	_, err := db.NewRaw("INSERT INTO _collections (id, name, type, definition) VALUES (?, ?, ?, '{}')", id, id, typ).
		Exec(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
}

// MustStore returns a store on a fresh database holding an auth
// collection "users", base collections "posts" and "notes", and a role
// "staff".
func MustStore(tb testing.TB) (*postgres.Store, *bun.DB) {
	tb.Helper()
	_, db := MustDB(tb)
	MustCollection(tb, db, "users", "auth")
	MustCollection(tb, db, "posts", "base")
	MustCollection(tb, db, "notes", "base")
	s := postgres.NewStore(db)
	if _, err := s.CreateRole(context.Background(), nil, "staff", ""); err != nil {
		tb.Fatal(err)
	}
	return s, db
}

const (
	alice = "users:alice"
	bob   = "users:bob"
)

func wantCode(tb testing.TB, err error, code string) {
	tb.Helper()
	if got := collections.ErrorCode(err); got != code {
		tb.Fatalf("error %v has code %s, want %s", err, got, code)
	}
}

func roleNames(rs []rbac.Role) []string {
	var names []string
	for _, r := range rs {
		names = append(names, r.Name)
	}
	return names
}

func TestRoles(t *testing.T) {
	ctx := context.Background()
	_, db := MustDB(t)
	s := postgres.NewStore(db)

	roles, err := s.Roles(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := roleNames(roles), []string{rbac.Authenticated, rbac.Guest}; !slices.Equal(got, want) {
		t.Fatalf("initial roles = %v, want %v", got, want)
	}

	editor, err := s.CreateRole(ctx, db, "editor", "Edits posts.")
	if err != nil {
		t.Fatal(err)
	}
	if editor.Name != "editor" || editor.Description != "Edits posts." || editor.Created.IsZero() || !editor.Updated.Equal(editor.Created) {
		t.Errorf("created %+v", editor)
	}
	_, err = s.CreateRole(ctx, db, "editor", "")
	wantCode(t, err, collections.ECONFLICT)
	_, err = s.CreateRole(ctx, db, "guest", "")
	wantCode(t, err, collections.ECONFLICT)
	_, err = s.CreateRole(ctx, db, "Editor", "")
	wantCode(t, err, collections.EINVALID)
	_, err = s.CreateRole(ctx, db, "long", strings.Repeat("x", 1001))
	wantCode(t, err, collections.EINVALID)

	got, err := s.Role(ctx, db, "editor")
	if err != nil || got.Description != "Edits posts." || !got.Created.Equal(editor.Created) {
		t.Errorf("Role(editor) = %+v, %v", got, err)
	}
	_, err = s.Role(ctx, db, "nobody")
	wantCode(t, err, collections.ENOTFOUND)

	updated, err := s.UpdateRole(ctx, db, "editor", "Edits everything.")
	if err != nil {
		t.Fatal(err)
	}
	if updated.Description != "Edits everything." || !updated.Created.Equal(editor.Created) || updated.Updated.Before(editor.Updated) {
		t.Errorf("updated %+v (was %+v)", updated, editor)
	}
	if _, err := s.UpdateRole(ctx, db, rbac.Guest, "Anyone at all."); err != nil {
		t.Errorf("describing guest: %v", err)
	}
	_, err = s.UpdateRole(ctx, db, "nobody", "")
	wantCode(t, err, collections.ENOTFOUND)

	wantCode(t, s.DeleteRole(ctx, db, rbac.Guest), collections.EINVALID)
	wantCode(t, s.DeleteRole(ctx, db, rbac.Authenticated), collections.EINVALID)
	wantCode(t, s.DeleteRole(ctx, db, "nobody"), collections.ENOTFOUND)
	if err := s.DeleteRole(ctx, db, "editor"); err != nil {
		t.Fatal(err)
	}
	roles, err = s.Roles(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := roleNames(roles), []string{rbac.Authenticated, rbac.Guest}; !slices.Equal(got, want) {
		t.Errorf("roles after delete = %v, want %v", got, want)
	}
}

// TestImplicitRolesGuarded checks the database itself refuses to lose the
// implicit roles, whoever asks.
func TestImplicitRolesGuarded(t *testing.T) {
	ctx := context.Background()
	_, db := MustDB(t)
	_, err := db.ExecContext(ctx, "DELETE FROM _roles WHERE name = 'guest'")
	if err == nil {
		t.Fatal("deleted guest with SQL")
	}
	_, err = db.ExecContext(ctx, "UPDATE _roles SET name = 'visitor' WHERE name = 'authenticated'")
	if err == nil {
		t.Fatal("renamed authenticated with SQL")
	}
}

func TestPolicies(t *testing.T) {
	ctx := context.Background()
	s, db := MustStore(t)

	long := "title = '" + strings.Repeat("a, b ", 700) + "'" // beyond a btree entry
	adds := []rbac.Policy{
		{Subject: rbac.Guest, Collection: "posts", Action: "list", Condition: "public = true"},
		{Subject: "staff", Collection: "posts", Action: "*", Condition: "  team = 'a,b'  ", Fields: []string{"title", "body", "title"}},
		{Subject: "staff", Collection: "*", Action: "view"},
		{Subject: alice, Collection: "notes", Action: "update", Condition: long},
	}
	for _, p := range adds {
		if err := s.AddPolicy(ctx, db, p); err != nil {
			t.Fatalf("AddPolicy(%+v): %v", p, err)
		}
	}
	// Adding again changes nothing.
	if err := s.AddPolicy(ctx, db, adds[1]); err != nil {
		t.Fatal(err)
	}
	if err := s.AddPolicy(ctx, db, adds[3]); err != nil {
		t.Fatal(err)
	}
	all, err := s.Policies(ctx, db, postgres.PolicyFilter{})
	if err != nil {
		t.Fatal(err)
	}
	want := []rbac.Policy{adds[0], adds[1].Normalize(), adds[2], adds[3]}
	if !equalPolicies(all, want) {
		t.Fatalf("policies = %+v\nwant %+v", all, want)
	}

	for _, tt := range []struct {
		f    postgres.PolicyFilter
		want []rbac.Policy
	}{
		{postgres.PolicyFilter{Subject: "staff"}, want[1:3]},
		{postgres.PolicyFilter{Collection: "posts"}, want[0:2]},
		{postgres.PolicyFilter{Collection: "*"}, want[2:3]},
		{postgres.PolicyFilter{Subject: "staff", Collection: "posts"}, want[1:2]},
		{postgres.PolicyFilter{Subject: bob}, nil},
	} {
		got, err := s.Policies(ctx, nil, tt.f)
		if err != nil {
			t.Fatal(err)
		}
		if !equalPolicies(got, tt.want) {
			t.Errorf("Policies(%+v) = %+v, want %+v", tt.f, got, tt.want)
		}
	}

	for _, tt := range []struct {
		name string
		p    rbac.Policy
		code string
	}{
		{"invalid", rbac.Policy{Subject: "staff", Collection: "posts", Action: "read"}, collections.EINVALID},
		{"bad condition", rbac.Policy{Subject: "staff", Collection: "posts", Action: "list", Condition: "(a = 1"}, collections.EINVALID},
		{"unknown role", rbac.Policy{Subject: "ghost", Collection: "posts", Action: "list"}, collections.EINVALID},
		{"unknown collection", rbac.Policy{Subject: "staff", Collection: "missing", Action: "list"}, collections.EINVALID},
		{"user of a base collection", rbac.Policy{Subject: "posts:p1", Collection: "posts", Action: "list"}, collections.EINVALID},
		{"user of no collection", rbac.Policy{Subject: "nope:u1", Collection: "posts", Action: "list"}, collections.EINVALID},
	} {
		t.Run(tt.name, func(t *testing.T) {
			wantCode(t, s.AddPolicy(ctx, db, tt.p), tt.code)
		})
	}

	// Removing takes the policy as it was added, normalized.
	if err := s.RemovePolicy(ctx, db, adds[1]); err != nil {
		t.Fatal(err)
	}
	wantCode(t, s.RemovePolicy(ctx, db, adds[1]), collections.ENOTFOUND)
	if err := s.RemovePolicy(ctx, db, adds[3]); err != nil {
		t.Fatal(err)
	}
	all, err = s.Policies(ctx, db, postgres.PolicyFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if !equalPolicies(all, []rbac.Policy{adds[0], adds[2]}) {
		t.Errorf("after removing: %+v", all)
	}
}

func TestSetPolicies(t *testing.T) {
	ctx := context.Background()
	s, db := MustStore(t)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(s.AddPolicy(ctx, db, rbac.Policy{Subject: "staff", Collection: "posts", Action: "list"}))
	must(s.AddPolicy(ctx, db, rbac.Policy{Subject: "staff", Collection: "notes", Action: "list"}))
	must(s.AddPolicy(ctx, db, rbac.Policy{Subject: rbac.Guest, Collection: "posts", Action: "list"}))

	must(s.SetPolicies(ctx, db, "staff", "posts", []rbac.Policy{
		{Action: "view", Condition: "a = 1"},
		{Subject: "staff", Collection: "posts", Action: "update", Fields: []string{"title"}},
		{Action: "view", Condition: "a = 1"}, // repeated
	}))
	got, err := s.Policies(ctx, db, postgres.PolicyFilter{Subject: "staff", Collection: "posts"})
	must(err)
	want := []rbac.Policy{
		{Subject: "staff", Collection: "posts", Action: "view", Condition: "a = 1"},
		{Subject: "staff", Collection: "posts", Action: "update", Fields: []string{"title"}},
	}
	if !equalPolicies(got, want) {
		t.Fatalf("after SetPolicies: %+v, want %+v", got, want)
	}
	// Other subjects and collections are untouched.
	for _, f := range []postgres.PolicyFilter{{Subject: "staff", Collection: "notes"}, {Subject: rbac.Guest}} {
		if got, err := s.Policies(ctx, db, f); err != nil || len(got) != 1 {
			t.Errorf("Policies(%+v) = %+v, %v", f, got, err)
		}
	}

	// Nothing changes when any policy is wrong.
	for _, bad := range [][]rbac.Policy{
		{{Action: "list"}, {Action: "nope"}},
		{{Action: "list"}, {Subject: rbac.Guest, Action: "list"}},
		{{Action: "list"}, {Collection: "notes", Action: "list"}},
		{{Action: "list", Condition: "x ="}},
	} {
		wantCode(t, s.SetPolicies(ctx, db, "staff", "posts", bad), collections.EINVALID)
	}
	wantCode(t, s.SetPolicies(ctx, db, "ghost", "posts", nil), collections.EINVALID)
	wantCode(t, s.SetPolicies(ctx, db, "staff", "missing", nil), collections.EINVALID)
	got, err = s.Policies(ctx, db, postgres.PolicyFilter{Subject: "staff", Collection: "posts"})
	must(err)
	if !equalPolicies(got, want) {
		t.Fatalf("after failed SetPolicies: %+v, want %+v", got, want)
	}

	// Wildcards and users work as subjects and collections.
	must(s.SetPolicies(ctx, db, alice, "*", []rbac.Policy{{Action: "*"}}))
	if got, err := s.Policies(ctx, db, postgres.PolicyFilter{Subject: alice}); err != nil || !equalPolicies(got, []rbac.Policy{{Subject: alice, Collection: "*", Action: "*"}}) {
		t.Errorf("alice's policies = %+v, %v", got, err)
	}

	must(s.SetPolicies(ctx, db, "staff", "posts", nil))
	if got, err := s.Policies(ctx, db, postgres.PolicyFilter{Subject: "staff", Collection: "posts"}); err != nil || len(got) != 0 {
		t.Errorf("after clearing: %+v, %v", got, err)
	}
}

func TestAssignments(t *testing.T) {
	ctx := context.Background()
	s, db := MustStore(t)
	for _, name := range []string{"editor", "writer", "reader"} {
		if _, err := s.CreateRole(ctx, db, name, ""); err != nil {
			t.Fatal(err)
		}
	}
	for _, a := range []rbac.Assignment{
		{Subject: alice, Role: "editor"},
		{Subject: "editor", Role: "writer"},
		{Subject: "writer", Role: "reader"},
		{Subject: bob, Role: "reader"},
		{Subject: rbac.Authenticated, Role: "reader"},
		{Subject: alice, Role: "editor"}, // again
	} {
		if err := s.Assign(ctx, db, a.Subject, a.Role); err != nil {
			t.Fatalf("Assign(%+v): %v", a, err)
		}
	}
	for _, tt := range []struct {
		name, subject, role string
	}{
		{"unknown role", alice, "ghost"},
		{"unknown subject role", "ghost", "reader"},
		{"implicit role", alice, rbac.Guest},
		{"to authenticated", "editor", rbac.Authenticated},
		{"itself", "reader", "reader"},
		{"cycle", "reader", "editor"},
		{"short cycle", "writer", "editor"},
		{"bad subject", "users alice", "reader"},
		{"user of a base collection", "posts:p1", "reader"},
		{"bad role", alice, "Reader"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			wantCode(t, s.Assign(ctx, db, tt.subject, tt.role), collections.EINVALID)
		})
	}

	all, err := s.Assignments(ctx, nil, postgres.AssignmentFilter{})
	if err != nil {
		t.Fatal(err)
	}
	want := []rbac.Assignment{
		{Subject: alice, Role: "editor"},
		{Subject: "editor", Role: "writer"},
		{Subject: "writer", Role: "reader"},
		{Subject: bob, Role: "reader"},
		{Subject: rbac.Authenticated, Role: "reader"},
	}
	if !slices.Equal(all, want) {
		t.Fatalf("assignments = %+v, want %+v", all, want)
	}
	if got, _ := s.Assignments(ctx, db, postgres.AssignmentFilter{Role: "reader"}); !slices.Equal(got, want[2:]) {
		t.Errorf("members of reader = %+v", got)
	}
	if got, _ := s.Assignments(ctx, db, postgres.AssignmentFilter{Subject: alice}); !slices.Equal(got, want[:1]) {
		t.Errorf("roles of alice = %+v", got)
	}
	if got, _ := s.Assignments(ctx, db, postgres.AssignmentFilter{Subject: bob, Role: "editor"}); len(got) != 0 {
		t.Errorf("bob in editor = %+v", got)
	}

	if err := s.Unassign(ctx, db, bob, "reader"); err != nil {
		t.Fatal(err)
	}
	wantCode(t, s.Unassign(ctx, db, bob, "reader"), collections.ENOTFOUND)

	// Deleting a role takes its assignments, both ways, and its policies.
	if err := s.AddPolicy(ctx, db, rbac.Policy{Subject: "writer", Collection: "posts", Action: "create"}); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteRole(ctx, db, "writer"); err != nil {
		t.Fatal(err)
	}
	all, err = s.Assignments(ctx, db, postgres.AssignmentFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if want := []rbac.Assignment{{Subject: alice, Role: "editor"}, {Subject: rbac.Authenticated, Role: "reader"}}; !slices.Equal(all, want) {
		t.Errorf("after deleting writer: %+v, want %+v", all, want)
	}
	if ps, _ := s.Policies(ctx, db, postgres.PolicyFilter{Subject: "writer"}); len(ps) != 0 {
		t.Errorf("writer's policies survived: %+v", ps)
	}
}

// TestStoreInCallersTransaction runs the writes in a transaction of the
// caller's: rolled back, nothing stays; committed, everything does; and a
// failed write does not spoil the transaction.
func TestStoreInCallersTransaction(t *testing.T) {
	ctx := context.Background()
	s, db := MustStore(t)
	write := func(tx bun.Tx) {
		t.Helper()
		if _, err := s.CreateRole(ctx, tx, "editor", ""); err != nil {
			t.Fatal(err)
		}
		// Fails inside the transaction, which stays usable.
		_, err := s.CreateRole(ctx, tx, "editor", "")
		wantCode(t, err, collections.ECONFLICT)
		wantCode(t, s.Assign(ctx, tx, alice, "ghost"), collections.EINVALID)
		if err := s.Assign(ctx, tx, alice, "editor"); err != nil {
			t.Fatal(err)
		}
		MustCollection(t, tx, "drafts", "base")
		if err := s.SetPolicies(ctx, tx, "editor", "drafts", []rbac.Policy{{Action: "*"}}); err != nil {
			t.Fatal(err)
		}
		if err := s.AddPolicy(ctx, tx, rbac.Policy{Subject: alice, Collection: "posts", Action: "view"}); err != nil {
			t.Fatal(err)
		}
		temp := rbac.Policy{Subject: "staff", Collection: "notes", Action: "list"}
		if err := s.AddPolicy(ctx, tx, temp); err != nil {
			t.Fatal(err)
		}
		if err := s.RemovePolicy(ctx, tx, temp); err != nil {
			t.Fatal(err)
		}
		if err := s.Assign(ctx, tx, bob, "editor"); err != nil {
			t.Fatal(err)
		}
		if err := s.Unassign(ctx, tx, bob, "editor"); err != nil {
			t.Fatal(err)
		}
		if ps, err := s.Policies(ctx, tx, postgres.PolicyFilter{}); err != nil || len(ps) != 2 {
			t.Fatalf("policies seen in the transaction: %+v, %v", ps, err)
		}
		if as, err := s.Assignments(ctx, tx, postgres.AssignmentFilter{Role: "editor"}); err != nil || !slices.Equal(as, []rbac.Assignment{{Subject: alice, Role: "editor"}}) {
			t.Fatalf("assignments seen in the transaction: %+v, %v", as, err)
		}
		if r, err := s.Role(ctx, tx, "editor"); err != nil || r.Name != "editor" {
			t.Fatalf("Role(editor) in the transaction: %+v, %v", r, err)
		}
		if rs, err := s.Roles(ctx, tx); err != nil || len(rs) != 4 {
			t.Fatalf("roles seen in the transaction: %+v, %v", rs, err)
		}
		if _, err := s.UpdateRole(ctx, tx, "staff", "changed"); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteRole(ctx, tx, "staff"); err != nil {
			t.Fatal(err)
		}
	}
	load := func() ([]rbac.Policy, []rbac.Assignment, []string) {
		t.Helper()
		ps, as, err := s.Load(ctx)
		if err != nil {
			t.Fatal(err)
		}
		roles, err := s.Roles(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		return ps, as, roleNames(roles)
	}

	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	write(tx)
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	ps, as, roles := load()
	if len(ps) != 0 || len(as) != 0 || !slices.Equal(roles, []string{rbac.Authenticated, rbac.Guest, "staff"}) {
		t.Fatalf("after rollback: %+v %+v %v", ps, as, roles)
	}

	err = db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		write(tx)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	ps, as, roles = load()
	wantPs := []rbac.Policy{
		{Subject: "editor", Collection: "drafts", Action: "*"},
		{Subject: alice, Collection: "posts", Action: "view"},
	}
	if !equalPolicies(ps, wantPs) || !slices.Equal(as, []rbac.Assignment{{Subject: alice, Role: "editor"}}) ||
		!slices.Equal(roles, []string{rbac.Authenticated, "editor", rbac.Guest}) {
		t.Fatalf("after commit: %+v %+v %v", ps, as, roles)
	}
}

// TestDeletingCollectionDropsItsRules deletes _collections rows directly,
// as the schema store does inside its schema change transaction.
func TestDeletingCollectionDropsItsRules(t *testing.T) {
	ctx := context.Background()
	s, db := MustStore(t)
	MustCollection(t, db, "members", "auth")
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(s.AddPolicy(ctx, db, rbac.Policy{Subject: "staff", Collection: "posts", Action: "list"}))
	must(s.AddPolicy(ctx, db, rbac.Policy{Subject: rbac.Guest, Collection: "posts", Action: "view", Condition: "public = true"}))
	must(s.AddPolicy(ctx, db, rbac.Policy{Subject: "staff", Collection: "notes", Action: "list"}))
	must(s.AddPolicy(ctx, db, rbac.Policy{Subject: "staff", Collection: "*", Action: "view"}))
	must(s.AddPolicy(ctx, db, rbac.Policy{Subject: "members:m1", Collection: "notes", Action: "list"}))
	must(s.Assign(ctx, db, "members:m1", "staff"))
	must(s.Assign(ctx, db, alice, "staff"))

	deleteCollection := func(db bun.IDB, id string) {
		t.Helper()
		if _, err := db.NewRaw("DELETE FROM _collections WHERE id = ?", id).Exec(ctx); err != nil {
			t.Fatal(err)
		}
	}

	// Rolled back, the rules stay.
	tx, err := db.BeginTx(ctx, nil)
	must(err)
	deleteCollection(tx, "posts")
	if ps, _ := s.Policies(ctx, tx, postgres.PolicyFilter{Collection: "posts"}); len(ps) != 0 {
		t.Errorf("inside the transaction the policies on posts remain: %+v", ps)
	}
	must(tx.Rollback())
	if ps, _ := s.Policies(ctx, db, postgres.PolicyFilter{Collection: "posts"}); len(ps) != 2 {
		t.Errorf("after rollback: %+v", ps)
	}

	deleteCollection(db, "posts")
	deleteCollection(db, "members")
	ps, as, err := s.Load(ctx)
	must(err)
	wantPs := []rbac.Policy{
		{Subject: "staff", Collection: "notes", Action: "list"},
		{Subject: "staff", Collection: "*", Action: "view"},
	}
	if !equalPolicies(ps, wantPs) {
		t.Errorf("policies = %+v, want %+v", ps, wantPs)
	}
	if want := []rbac.Assignment{{Subject: alice, Role: "staff"}}; !slices.Equal(as, want) {
		t.Errorf("assignments = %+v, want %+v", as, want)
	}
}

// TestWriteWaitsForCollectionDelete checks the lock that keeps a policy
// from being added to a collection being deleted by a transaction that
// has not committed yet: the write waits, then fails.
func TestWriteWaitsForCollectionDelete(t *testing.T) {
	ctx := context.Background()
	s, db := MustStore(t)
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.NewRaw("DELETE FROM _collections WHERE id = 'notes'").Exec(ctx); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		done <- s.AddPolicy(ctx, db, rbac.Policy{Subject: "staff", Collection: "notes", Action: "list"})
	}()
	// Commit once the write is waiting for the row lock.
	waitFor(t, "the write to wait for the lock", func() bool {
		var n int
		err := db.NewRaw("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'").Scan(ctx, &n)
		return err == nil && n > 0
	})
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	wantCode(t, <-done, collections.EINVALID)
	if ps, _ := s.Policies(ctx, db, postgres.PolicyFilter{Collection: "notes"}); len(ps) != 0 {
		t.Errorf("policy on a deleted collection: %+v", ps)
	}
}

func TestLoadFeedsEnforcer(t *testing.T) {
	ctx := context.Background()
	s, db := MustStore(t)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(s.Assign(ctx, db, alice, "staff"))
	must(s.AddPolicy(ctx, db, rbac.Policy{Subject: "staff", Collection: "posts", Action: "list", Condition: "team = 'x,y'", Fields: []string{"title", "body"}}))
	must(s.AddPolicy(ctx, db, rbac.Policy{Subject: rbac.Guest, Collection: "posts", Action: "list", Condition: "public = true", Fields: []string{"title"}}))
	e, err := rbac.NewEnforcer(ctx, s)
	must(err)
	d := e.Decide(alice, "posts", "list")
	if !d.Allowed || !slices.Equal(d.Conditions, []string{"public = true", "team = 'x,y'"}) || !slices.Equal(d.Fields, []string{"body", "title"}) {
		t.Errorf("alice = %+v", d)
	}
	if d := e.Decide(bob, "posts", "list"); !slices.Equal(d.Conditions, []string{"public = true"}) {
		t.Errorf("bob = %+v", d)
	}
}

// TestNotifications checks what the triggers announce: one notification
// per transaction however many rows and statements changed, and none for
// statements that change nothing.
func TestNotifications(t *testing.T) {
	ctx := context.Background()
	dsn, db := MustDB(t)
	MustCollection(t, db, "posts", "base")
	s := postgres.NewStore(db)
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "LISTEN "+postgres.Channel); err != nil {
		t.Fatal(err)
	}
	// marker sends a notification with a payload of its own: whatever
	// arrives before it was sent before it.
	marker := func(payload string) {
		t.Helper()
		if _, err := db.ExecContext(ctx, "SELECT pg_notify(?, ?)", postgres.Channel, payload); err != nil {
			t.Fatal(err)
		}
	}
	// expect reads notifications up to the marker and compares how many
	// rule changes came before it.
	expect := func(what string, changes int, payload string) {
		t.Helper()
		got := 0
		for {
			wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			n, err := conn.WaitForNotification(wctx)
			cancel()
			if err != nil {
				t.Fatalf("%s: %v", what, err)
			}
			if n.Payload == payload {
				break
			}
			got++
		}
		if got != changes {
			t.Errorf("%s: %d notifications, want %d", what, got, changes)
		}
	}

	err = db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if _, err := s.CreateRole(ctx, tx, "staff", ""); err != nil {
			return err
		}
		if err := s.Assign(ctx, tx, "staff", "member"); err == nil {
			return errors.New("assigned to a missing role")
		}
		if _, err := s.CreateRole(ctx, tx, "member", ""); err != nil {
			return err
		}
		if err := s.Assign(ctx, tx, "staff", "member"); err != nil {
			return err
		}
		return s.SetPolicies(ctx, tx, "staff", "posts", []rbac.Policy{{Action: "list"}, {Action: "view"}})
	})
	if err != nil {
		t.Fatal(err)
	}
	marker("1")
	expect("one transaction", 1, "1")

	// Repeats and misses change nothing.
	if err := s.AddPolicy(ctx, db, rbac.Policy{Subject: "staff", Collection: "posts", Action: "list"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Assign(ctx, db, "staff", "member"); err != nil {
		t.Fatal(err)
	}
	wantCode(t, s.Unassign(ctx, db, "member", "staff"), collections.ENOTFOUND)
	marker("2")
	expect("no-op writes", 0, "2")

	// Each separate statement outside a transaction is a transaction.
	if _, err := s.UpdateRole(ctx, db, "staff", "Staff."); err != nil {
		t.Fatal(err)
	}
	if err := s.Unassign(ctx, db, "staff", "member"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, "DELETE FROM _collections WHERE id = 'posts'"); err != nil {
		t.Fatal(err)
	}
	marker("3")
	expect("three transactions", 3, "3")

	// A rolled back transaction announces nothing.
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteRole(ctx, tx, "staff"); err != nil {
		t.Fatal(err)
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	marker("4")
	expect("rollback", 0, "4")
}

func equalPolicies(a, b []rbac.Policy) bool {
	return slices.EqualFunc(a, b, func(x, y rbac.Policy) bool {
		return x.Subject == y.Subject && x.Collection == y.Collection && x.Action == y.Action &&
			x.Condition == y.Condition && slices.Equal(x.Fields, y.Fields)
	})
}
