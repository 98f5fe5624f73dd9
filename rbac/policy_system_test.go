package rbac_test

import (
	"errors"
	"testing"

	"github.com/lumbunghq/lumbung/collections"
	"github.com/lumbunghq/lumbung/rbac"
)

func TestCheckSystemPolicies(t *testing.T) {
	system := &collections.Collection{ID: "pbc_system0001", Name: "_superusers", System: true}
	own := rbac.Policy{Subject: rbac.Guest, Action: rbac.ActionList, Condition: "id = @request.auth.id"}
	current := []rbac.Policy{own}
	tests := []struct {
		name string
		c    *collections.Collection
		next []rbac.Policy
		keys []string // the error's keys; none: allowed
	}{
		{"the same set", system, []rbac.Policy{own}, nil},
		{"the same set, written otherwise", system, []rbac.Policy{{Subject: rbac.Guest, Action: rbac.ActionList, Condition: " id = @request.auth.id ", Fields: []string{}}}, nil},
		{"a guest list", system, []rbac.Policy{own, {Subject: rbac.Guest, Action: rbac.ActionList}}, []string{"items.1"}},
		{"a role on everything", system, []rbac.Policy{{Subject: "staff", Action: rbac.Any}, own}, []string{"items.0"}},
		{"fewer fields", system, []rbac.Policy{{Subject: rbac.Guest, Action: rbac.ActionList, Condition: own.Condition, Fields: []string{"id"}}}, []string{"items.0"}},
		{"a removal", system, nil, []string{"items"}},
		{"another collection", &collections.Collection{ID: "pbc_posts00001", Name: "posts"}, []rbac.Policy{{Subject: rbac.Guest, Action: rbac.Any}}, nil},
	}
	for _, tt := range tests {
		err := rbac.CheckSystemPolicies(tt.c, current, tt.next)
		var e *collections.Error
		if len(tt.keys) == 0 {
			if err != nil {
				t.Errorf("%s: %v", tt.name, err)
			}
			continue
		}
		if !errors.As(err, &e) || e.Code != collections.EINVALID || len(e.Data) != len(tt.keys) {
			t.Errorf("%s: %v, want EINVALID keyed %v", tt.name, err, tt.keys)
			continue
		}
		for _, k := range tt.keys {
			if e.Data[k].Code != "validation_collection_system_rule_change" {
				t.Errorf("%s: %v lacks %s", tt.name, e.Data, k)
			}
		}
	}
}
