package filter

import (
	"slices"
	"testing"
)

func TestReads(t *testing.T) {
	s := teamSchema(t)
	cases := []struct {
		filter string
		want   []string
	}{
		{`name = "one"`, nil},
		{`name = @request.auth.name && id != ""`, nil},
		{`team = "t1"`, nil},
		{`team.id = "t1"`, nil}, // the relation column itself
		{`team.name = "Red"`, []string{"teams"}},
		{`team.members_via_team.user.name ?= "Bob"`, []string{"teams", "members", "users"}},
		{`@collection.members.team ?= team && @collection.members.user ?= @request.auth.id`, []string{"members"}},
		{`name = "x" || (team.name = "Red" && @collection.invites.email ?= "a@b.c")`, []string{"teams", "invites"}},
		{`team.name = "Red" && 1 = 2`, nil}, // folded away
	}
	for _, tc := range cases {
		expr, err := Parse(tc.filter)
		if err != nil {
			t.Fatalf("%s: %v", tc.filter, err)
		}
		got, err := Reads(expr, teamEnv(s, "u1"))
		if err != nil {
			t.Fatalf("%s: %v", tc.filter, err)
		}
		var names []string
		for _, c := range got {
			names = append(names, c.Name)
		}
		if !slices.Equal(names, tc.want) {
			t.Errorf("Reads(%s) = %v, want %v", tc.filter, names, tc.want)
		}
	}
	unknown, err := Parse(`nope = 1`)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Reads(unknown, teamEnv(s, "u1")); err == nil {
		t.Error("Reads of an unknown field: no error")
	}
}
