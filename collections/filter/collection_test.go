package filter

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/lumbunghq/lumbung/collections"
)

// teamSchema is a small workspace: projects belong to teams, members link
// users to teams with a role, and invites is an empty collection.
func teamSchema(tb testing.TB) testSchema {
	tb.Helper()
	coll := func(id, name string, fields ...*collections.Field) *collections.Collection {
		return &collections.Collection{ID: id, Name: name, Type: collections.TypeBase,
			Fields: append([]*collections.Field{fld(tb, "id", "text")}, fields...)}
	}
	secret := fld(tb, "secret", "text")
	secret.Hidden = true
	return testSchema{
		"users": coll("pbc_users", "users", fld(tb, "name", "text"), fld(tb, "email", "email"), secret),
		"teams": coll("pbc_teams", "teams", fld(tb, "name", "text")),
		"members": coll("pbc_members", "members",
			fld(tb, "team", "relation", rel("pbc_teams", 1)),
			fld(tb, "user", "relation", rel("pbc_users", 1)),
			fld(tb, "role", "select", sel(1, "admin", "member"))),
		"projects": coll("pbc_projects", "projects",
			fld(tb, "name", "text"),
			fld(tb, "team", "relation", rel("pbc_teams", 1))),
		"invites": coll("pbc_invites", "invites",
			fld(tb, "team", "relation", rel("pbc_teams", 1)),
			fld(tb, "email", "email")),
	}
}

var teamSeed = map[string][]map[string]any{
	"users": {
		{"id": "u1", "name": "Alice", "email": "alice@example.com", "secret": "s1"},
		{"id": "u2", "name": "Bob", "email": "bob@example.com", "secret": "s2"},
		{"id": "u3", "name": "Carol", "email": "carol@example.com", "secret": "s3"},
	},
	"teams": {
		{"id": "t1", "name": "Red"},
		{"id": "t2", "name": "Blue"},
		{"id": "t3", "name": "Empty"},
	},
	"members": {
		{"id": "m1", "team": "t1", "user": "u1", "role": "admin"},
		{"id": "m2", "team": "t1", "user": "u2", "role": "member"},
		{"id": "m3", "team": "t2", "user": "u2", "role": "admin"},
	},
	"projects": {
		{"id": "j1", "name": "one", "team": "t1"},
		{"id": "j2", "name": "two", "team": "t2"},
		{"id": "j3", "name": "three", "team": "t3"},
		{"id": "j4", "name": "four", "team": ""},
	},
	"invites": {},
}

func teamEnv(s testSchema, user string) Env {
	env := Env{Root: s["projects"], Schema: s, Now: testNow}
	for _, u := range teamSeed["users"] {
		if u["id"] == user {
			env.Auth = map[string]any{"id": u["id"], "collectionName": "users", "name": u["name"], "email": u["email"]}
		}
	}
	return env
}

// TestCollectionSQL runs @collection filters over projects on the team
// data, as each user and as a guest.
func TestCollectionSQL(t *testing.T) {
	s := teamSchema(t)
	conn := seededDB(t, s, teamSeed)
	const member = `@collection.members.team ?= team && @collection.members.user ?= @request.auth.id`
	cases := []struct {
		src  string
		want map[string]string // user ("" is a guest) → selected ids
	}{
		// The rule: one members row with this project's team and the caller.
		{member, map[string]string{"u1": "j1", "u2": "j1 j2", "u3": "", "": ""}},
		// The same, written the other way round and with a comment.
		{"team ?= @collection.members.team // the project's team\n && @request.auth.id ?= @collection.members.user",
			map[string]string{"u1": "j1", "u2": "j1 j2", "u3": "", "": ""}},
		// Three comparisons on the same row: u2 is admin of t2 only.
		{member + ` && @collection.members.role ?= 'admin'`, map[string]string{"u1": "j1", "u2": "j2", "u3": ""}},
		// An alias is another row: "the team has members, and the caller
		// is an admin somewhere".
		{`@collection.members.team ?= team && @collection.members:m.user ?= @request.auth.id && @collection.members:m.role ?= 'admin'`,
			map[string]string{"u1": "j1 j2", "u2": "j1 j2", "u3": ""}},
		// A collection named by id is the same row as by name.
		{`@collection.pbc_members.team ?= team && @collection.members.user ?= @request.auth.id`,
			map[string]string{"u1": "j1", "u2": "j1 j2"}},
		// The same alias twice is one row again.
		{`@collection.members:m.team ?= team && @collection.members:m.user ?= @request.auth.id`,
			map[string]string{"u1": "j1", "u2": "j1 j2"}},
		// Under || each comparison has its own row.
		{`@collection.members.team ?= team || @collection.members.user ?= @request.auth.id`,
			map[string]string{"u1": "j1 j2 j3 j4", "u3": "j1 j2"}},
		// A shared row inside a nested ||.
		{`@collection.members.team ?= team && (@collection.members.role ?= 'admin' || @collection.members.user ?= 'u2')`,
			map[string]string{"u1": "j1 j2"}},
		// Paths from the row follow relations.
		{`@collection.members.team ?= team && @collection.members.user.name ?= 'Alice'`, map[string]string{"u1": "j1"}},
		{`@collection.members.team ?= team && @collection.members.user.email ?= @request.auth.email`,
			map[string]string{"u1": "j1", "u2": "j1 j2", "u3": ""}},
		{`@collection.members.team.name ?= name`, map[string]string{"u1": ""}},
		{`@collection.members.team.name ?~ 'blu' && @collection.members.team ?= team`, map[string]string{"u1": "j2"}},
		// Plain operators need every row: not every member is an admin,
		// every member has a role.
		{`@collection.members.role = 'admin'`, map[string]string{"u1": ""}},
		{`@collection.members.role != ''`, map[string]string{"u1": "j1 j2 j3 j4"}},
		{`@collection.members.role ?= 'admin'`, map[string]string{"u1": "j1 j2 j3 j4"}},
		{`@collection.members.team != team`, map[string]string{"u1": "j3 j4"}},
		{`@collection.members.user.name != 'Dave'`, map[string]string{"u1": "j1 j2 j3 j4"}},
		// An empty collection counts as one row of nulls, never as "every
		// row satisfies it" by default.
		{`@collection.invites.email = 'x@example.com'`, map[string]string{"u1": ""}},
		{`@collection.invites.email ?= 'x@example.com'`, map[string]string{"u1": ""}},
		{`@collection.invites.email != 'x@example.com'`, map[string]string{"u1": "j1 j2 j3 j4"}},
		{`@collection.invites.email = ''`, map[string]string{"u1": "j1 j2 j3 j4"}},
		{`@collection.invites.email ?= @request.auth.email`, map[string]string{"u1": "", "": "j1 j2 j3 j4"}},
		{`@collection.invites.team ?= team`, map[string]string{"u1": "j4"}},
		// The filtered collection itself, under an alias.
		{`@collection.projects:p.team ?= team && @collection.projects:p.id ?!= id`, map[string]string{"u1": ""}},
		{`@collection.projects:p.team ?= team && @collection.projects:p.id ?= id`, map[string]string{"u1": "j1 j2 j3 j4"}},
		{`@collection.projects:p.name ?> name`, map[string]string{"u1": "j1 j3 j4"}},
	}
	for _, c := range cases {
		e, err := Parse(c.src)
		if err != nil {
			t.Fatalf("Parse(%q): %v", c.src, err)
		}
		for user, want := range c.want {
			env := teamEnv(s, user)
			cond, args, err := SQL(e, env, "t", 0)
			if err != nil {
				t.Fatalf("SQL(%q): %v", c.src, err)
			}
			got, err := queryIDs(context.Background(), conn, "projects", cond, args)
			if err != nil {
				t.Fatalf("%s: %v\n%s", c.src, err, cond)
			}
			if strings.Join(got, " ") != want {
				t.Errorf("%s as %q: got %v, want %s\n%s %v", c.src, user, got, want, cond, args)
			}
			if !strings.Contains(cond, "EXISTS (") {
				t.Errorf("%s: no subquery in %s", c.src, cond)
			}
			if _, err := Eval(e, env, map[string]any{"id": "j1", "team": "t1"}); !errors.Is(err, ErrNeedsDatabase) {
				t.Errorf("Eval(%q) = %v, want ErrNeedsDatabase", c.src, err)
			}
		}
	}
}

// TestCollectionSharedRow checks the SQL shape of the membership rule: one
// EXISTS over one members row, values bound as parameters.
func TestCollectionSharedRow(t *testing.T) {
	s := teamSchema(t)
	e, err := Parse(`@collection.members.team ?= team && @collection.members.user ?= @request.auth.id`)
	if err != nil {
		t.Fatal(err)
	}
	cond, args, err := SQL(e, teamEnv(s, "u1"), "t", 4)
	if err != nil {
		t.Fatal(err)
	}
	want := `EXISTS (SELECT 1 FROM (SELECT 1) AS "_f1" LEFT JOIN "members" AS "_f2" ON TRUE WHERE (COALESCE("_f2"."team", '') = COALESCE("t"."team", '') AND "_f2"."user" = $5::text))`
	if cond != want || !slices.Equal(args, []any{"u1"}) {
		t.Errorf("got  %s %v\nwant %s [u1]", cond, args, want)
	}
	// A root alias that looks like a generated one does not clash.
	cond, _, err = SQL(e, teamEnv(s, "u1"), "_f1", 0)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(cond, `"_g2"."team", '') = COALESCE("_f1"."team"`) {
		t.Errorf("aliases: %s", cond)
	}
}

func TestCollectionErrors(t *testing.T) {
	s := teamSchema(t)
	env := teamEnv(s, "u1")
	for _, c := range []struct{ src, want string }{
		{`@collection.nope.name = 'x'`, `position 1: unknown collection "nope" in "@collection.nope.name"`},
		{`name = 'x' && @collection.nope:a.name = 'x'`, `position 15: unknown collection "nope" in "@collection.nope:a.name"`},
		{`name = 'x' && @collection.members.nope ?= 'x'`, `position 15: unknown field "nope" in "@collection.members.nope"`},
		{`@collection.members.user.nope ?= 'x'`, `position 1: unknown field "nope" in "@collection.members.user.nope"`},
		{`@collection.members.role.name ?= 'x'`, `"role" is not a relation field`},
		{`@collection.users.secret ?= 's1'`, `the field "@collection.users.secret" cannot be used in filters`},
		{`@collection.members.user.secret ?= 's1'`, `the field "@collection.members.user.secret" cannot be used in filters`},
		{`@collection.members.role ?> @now`, `@collection.members.role (text) cannot be compared with @now (a date)`},
		{`@collection.members.role:length > 1`, `:length needs a multi-valued field`},
		{`@collection.members.team.nope_via_x.name ?= 'x'`, `unknown collection "nope" in "@collection.members.team.nope_via_x.name"`},
	} {
		e, err := Parse(c.src)
		if err != nil {
			t.Errorf("Parse(%q): %v", c.src, err)
			continue
		}
		_, _, err = SQL(e, env, "t", 0)
		wantInvalid(t, "SQL("+c.src+")", err, c.want)
		_, err = Eval(e, env, map[string]any{})
		wantInvalid(t, "Eval("+c.src+")", err, c.want)
	}

	// CanRead is asked about the fields of the other collection.
	var asked []string
	env.CanRead = func(c *collections.Collection, field string) bool {
		asked = append(asked, c.Name+"."+field)
		return c.Name+"."+field != "members.role" && c.Name+"."+field != "users.email"
	}
	for _, c := range []struct{ src, want string }{
		{`@collection.members.role ?= 'admin'`, `position 1: the field "@collection.members.role" cannot be used in filters`},
		{`name = 'x' || @collection.members:m.role = 'admin'`, `position 15: the field "@collection.members:m.role" cannot be used in filters`},
		{`@collection.members.user.email ?= 'x'`, `the field "@collection.members.user.email" cannot be used in filters`},
	} {
		e, err := Parse(c.src)
		if err != nil {
			t.Fatal(err)
		}
		_, _, err = SQL(e, env, "t", 0)
		wantInvalid(t, c.src, err, c.want)
	}
	asked = nil
	e, _ := Parse(`@collection.members.team ?= team && @collection.members.user.name ?= 'Alice'`)
	if _, _, err := SQL(e, env, "t", 0); err != nil {
		t.Fatal(err)
	}
	slices.Sort(asked)
	if want := []string{"members.team", "members.user", "projects.team", "users.name"}; !slices.Equal(slices.Compact(asked), want) {
		t.Errorf("CanRead asked about %v, want %v", asked, want)
	}

	// Without a schema only the root can be named.
	alone := Env{Root: s["projects"], Now: testNow}
	e, _ = Parse(`@collection.members.user ?= 'u1'`)
	_, _, err := SQL(e, alone, "t", 0)
	wantInvalid(t, "no schema", err, `unknown collection "members"`)
	e, _ = Parse(`@collection.pbc_projects:p.name ?= name`)
	if _, _, err := SQL(e, alone, "t", 0); err != nil {
		t.Errorf("the root by id: %v", err)
	}
}

// TestCollectionDepth checks that the @collection row itself is not one of
// the MaxRelationDepth relations a path may follow.
func TestCollectionDepth(t *testing.T) {
	nodes := &collections.Collection{ID: "pbc_nodes", Name: "nodes", Type: collections.TypeBase,
		Fields: []*collections.Field{fld(t, "name", "text"), fld(t, "parent", "relation", rel("pbc_nodes", 1))}}
	env := Env{Root: nodes, Now: testNow}
	ok := "@collection.nodes.parent.parent.parent.parent.parent.parent.name ?= 'x'"
	e, _ := Parse(ok)
	if _, _, err := SQL(e, env, "t", 0); err != nil {
		t.Errorf("6 relations: %v", err)
	}
	e, _ = Parse(strings.Replace(ok, "parent.", "parent.parent.", 1))
	_, _, err := SQL(e, env, "t", 0)
	wantInvalid(t, "7 relations", err, "follows more than 6 relations")
}
