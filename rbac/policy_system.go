package rbac

import (
	"fmt"

	"github.com/lumbunghq/lumbung/collections"
)

// CheckSystemPolicies refuses to change the policies on a system collection
// (the superusers, the OAuth2 links): they are its PocketBase rules, which
// cannot be changed (collections.Normalize), so no role, guest or signed-in
// user can be given access to those records by another door. current are
// the collection's policies now, next the ones asked for (normalized);
// sending the current set again changes nothing and is allowed. Policies
// added are keyed items.<i>, a removal alone is keyed items.
func CheckSystemPolicies(c *collections.Collection, current, next []Policy) error {
	if !c.System {
		return nil
	}
	key := func(p Policy) string {
		p = p.Normalize()
		return p.Subject + "\x00" + p.Action + "\x00" + p.Condition + "\x00" + joinFields(p.Fields)
	}
	have, want := map[string]bool{}, map[string]bool{}
	for _, p := range current {
		have[key(p)] = true
	}
	problem := collections.FieldError{Code: "validation_collection_system_rule_change",
		Message: fmt.Sprintf("The policies of the system collection %q cannot be changed.", c.Name)}
	errs := map[string]collections.FieldError{}
	for i, p := range next {
		k := key(p)
		want[k] = true
		if !have[k] {
			errs[fmt.Sprintf("items.%d", i)] = problem
		}
	}
	if len(errs) == 0 {
		for k := range have {
			if !want[k] {
				errs["items"] = problem
				break
			}
		}
	}
	if len(errs) > 0 {
		return collections.Invalid(problem.Message, errs)
	}
	return nil
}
