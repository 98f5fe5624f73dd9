package rbac_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/lumbunghq/lumbung/collections"
	"github.com/lumbunghq/lumbung/rbac"
)

func TestValidRoleName(t *testing.T) {
	good := []string{"a", "editor", "team_lead", "r2d2", "a" + strings.Repeat("b", 62), "guest", "authenticated"}
	bad := []string{"", "Editor", "1st", "_x", "x-y", "x y", "a" + strings.Repeat("b", 63), "pbc_1:abc", "é"}
	for _, name := range good {
		if err := rbac.ValidRoleName(name); err != nil {
			t.Errorf("ValidRoleName(%q) = %v, want nil", name, err)
		}
	}
	for _, name := range bad {
		if err := rbac.ValidRoleName(name); collections.ErrorCode(err) != collections.EINVALID {
			t.Errorf("ValidRoleName(%q) = %v, want EINVALID", name, err)
		}
	}
}

func TestValidAction(t *testing.T) {
	for _, a := range []string{"list", "view", "create", "update", "delete", "*"} {
		if err := rbac.ValidAction(a); err != nil {
			t.Errorf("ValidAction(%q) = %v", a, err)
		}
	}
	for _, a := range []string{"", "read", "LIST", " list", "**"} {
		if err := rbac.ValidAction(a); collections.ErrorCode(err) != collections.EINVALID {
			t.Errorf("ValidAction(%q) = %v, want EINVALID", a, err)
		}
	}
}

func TestValidSubject(t *testing.T) {
	// Collection ids may start with a digit, as PocketBase's random ones do.
	good := []string{"editor", "guest", "pbc_123:abc", "_pb_users_auth_:u1", "3kb1n6gbhqjeyxk:u1", rbac.UserKey("users", "x1y2")}
	bad := []string{"", "Editor", ":abc", "pbc_1:", "pbc 1:abc", "pbc_1:a b", "pbc_1:a:b", "pbc_1:a,b", "co-l:abc", "pbc_1:" + strings.Repeat("x", 256)}
	for _, s := range good {
		if err := rbac.ValidSubject(s); err != nil {
			t.Errorf("ValidSubject(%q) = %v", s, err)
		}
	}
	for _, s := range bad {
		if err := rbac.ValidSubject(s); collections.ErrorCode(err) != collections.EINVALID {
			t.Errorf("ValidSubject(%q) = %v, want EINVALID", s, err)
		}
	}
}

func TestPolicyNormalize(t *testing.T) {
	p := rbac.Policy{Subject: "editor", Collection: "posts", Action: "list", Condition: "  a = 1 \n", Fields: []string{"title", " body", "title"}}.Normalize()
	if p.Condition != "a = 1" || !slices.Equal(p.Fields, []string{"title", "body"}) {
		t.Errorf("Normalize = %+v", p)
	}
	if p := (rbac.Policy{Fields: []string{}}).Normalize(); p.Fields != nil {
		t.Errorf("empty field list normalized to %#v, want nil", p.Fields)
	}
}

func TestPolicyValidate(t *testing.T) {
	ok := rbac.Policy{Subject: "editor", Collection: "pbc_1", Action: "update", Condition: "author = @request.auth.id", Fields: []string{"title"}}
	if err := ok.Validate(); err != nil {
		t.Fatalf("Validate(%+v) = %v", ok, err)
	}
	wild := rbac.Policy{Subject: "pbc_users:u1", Collection: "*", Action: "*"}
	if err := wild.Validate(); err != nil {
		t.Fatalf("Validate(%+v) = %v", wild, err)
	}
	tests := []struct {
		name string
		p    rbac.Policy
		keys []string
	}{
		{"empty", rbac.Policy{}, []string{"action", "collection", "subject"}},
		{"bad subject", rbac.Policy{Subject: "Admins", Collection: "c", Action: "list"}, []string{"subject"}},
		{"bad collection", rbac.Policy{Subject: "a", Collection: "my posts", Action: "list"}, []string{"collection"}},
		{"bad action", rbac.Policy{Subject: "a", Collection: "c", Action: "read"}, []string{"action"}},
		{"bad condition", rbac.Policy{Subject: "a", Collection: "c", Action: "list", Condition: "title = "}, []string{"condition"}},
		{"long condition", rbac.Policy{Subject: "a", Collection: "c", Action: "list", Condition: "a = '" + strings.Repeat("x", 5000) + "'"}, []string{"condition"}},
		{"bad field", rbac.Policy{Subject: "a", Collection: "c", Action: "list", Fields: []string{"ok", "a,b"}}, []string{"fields"}},
		{"empty field", rbac.Policy{Subject: "a", Collection: "c", Action: "list", Fields: []string{""}}, []string{"fields"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.p.Validate()
			var e *collections.Error
			if !errors.As(err, &e) || e.Code != collections.EINVALID {
				t.Fatalf("Validate = %v, want EINVALID", err)
			}
			var keys []string
			for k, fe := range e.Data {
				keys = append(keys, k)
				if fe.Message == "" || fe.Code == "" {
					t.Errorf("%s: empty field error %+v", k, fe)
				}
			}
			slices.Sort(keys)
			if !slices.Equal(keys, tt.keys) {
				t.Errorf("problems with %v, want %v", keys, tt.keys)
			}
		})
	}
}
