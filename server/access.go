package server

import (
	"context"
	"sort"

	"github.com/uptrace/bun"

	"github.com/lumbunghq/lumbung/collections"
	"github.com/lumbunghq/lumbung/rbac"
	rbacpg "github.com/lumbunghq/lumbung/rbac/postgres"
	"github.com/lumbunghq/lumbung/server/api"
)

// accessControl serves the rbac endpoints: each change is written through
// the store (whose triggers notify every node) and enforced on this node
// before the call returns.
type accessControl struct {
	db       *bun.DB
	store    *rbacpg.Store
	enforcer *rbac.Enforcer
}

var _ api.AccessControl = (*accessControl)(nil)

// reloaded runs a change and then reloads the local enforcer.
func (a *accessControl) reloaded(ctx context.Context, err error) error {
	if err != nil {
		return err
	}
	return a.enforcer.Reload(ctx)
}

func (a *accessControl) Roles(ctx context.Context) ([]rbac.Role, error) {
	return a.store.Roles(ctx, nil)
}

func (a *accessControl) CreateRole(ctx context.Context, name, description string) (rbac.Role, error) {
	r, err := a.store.CreateRole(ctx, nil, name, description)
	return r, a.reloaded(ctx, err)
}

func (a *accessControl) UpdateRole(ctx context.Context, name, description string) (rbac.Role, error) {
	return a.store.UpdateRole(ctx, nil, name, description)
}

func (a *accessControl) DeleteRole(ctx context.Context, name string) error {
	return a.reloaded(ctx, a.store.DeleteRole(ctx, nil, name))
}

func (a *accessControl) Policies(ctx context.Context, subject, collectionID string) ([]rbac.Policy, error) {
	return a.store.Policies(ctx, nil, rbacpg.PolicyFilter{Subject: subject, Collection: collectionID})
}

// SetPolicies replaces every policy on a collection in one transaction.
func (a *accessControl) SetPolicies(ctx context.Context, collectionID string, ps []rbac.Policy) error {
	err := a.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		current, err := a.store.Policies(ctx, tx, rbacpg.PolicyFilter{Collection: collectionID})
		if err != nil {
			return err
		}
		bySubject := map[string][]rbac.Policy{}
		for _, p := range current {
			bySubject[p.Subject] = nil // subjects that lose everything get an empty set
		}
		for _, p := range ps {
			bySubject[p.Subject] = append(bySubject[p.Subject], p)
		}
		subjects := make([]string, 0, len(bySubject))
		for s := range bySubject {
			subjects = append(subjects, s)
		}
		sort.Strings(subjects)
		for _, s := range subjects {
			if err := a.store.SetPolicies(ctx, tx, s, collectionID, bySubject[s]); err != nil {
				return err
			}
		}
		return nil
	})
	return a.reloaded(ctx, err)
}

func (a *accessControl) Assignments(ctx context.Context, subject, role string) ([]rbac.Assignment, error) {
	return a.store.Assignments(ctx, nil, rbacpg.AssignmentFilter{Subject: subject, Role: role})
}

func (a *accessControl) Assign(ctx context.Context, subject, role string) error {
	return a.reloaded(ctx, a.store.Assign(ctx, nil, subject, role))
}

func (a *accessControl) Unassign(ctx context.Context, subject, role string) error {
	return a.reloaded(ctx, a.store.Unassign(ctx, nil, subject, role))
}

// syncRules writes a collection's PocketBase rules as the guest role's
// policies, inside the schema change's transaction. Only actions whose
// rule differs from what the guest policies say now are replaced, so
// guest policies with field lists set through the rbac API survive
// saving the collection unchanged.
func (a *accessControl) syncRules(ctx context.Context, tx bun.Tx, plan *collections.Plan) error {
	c := plan.New
	if c == nil || plan.Truncate {
		return nil // a dropped collection's policies go with its row
	}
	current, err := a.store.Policies(ctx, tx, rbacpg.PolicyFilter{Subject: rbac.Guest, Collection: c.ID})
	if err != nil {
		return err
	}
	changed := false
	var next []rbac.Policy
	for _, action := range []string{rbac.ActionList, rbac.ActionView, rbac.ActionCreate, rbac.ActionUpdate, rbac.ActionDelete} {
		var mine []rbac.Policy
		for _, p := range current {
			if p.Action == action {
				mine = append(mine, p)
			}
		}
		rule := c.Rules()[action]
		if sameRule(mine, rule) {
			next = append(next, mine...)
			continue
		}
		changed = true
		if rule != nil {
			next = append(next, rbac.Policy{Subject: rbac.Guest, Collection: c.ID, Action: action, Condition: *rule})
		}
	}
	for _, p := range current { // "*" actions are the rbac API's business
		if p.Action == rbac.Any {
			next = append(next, p)
		}
	}
	if !changed {
		return nil
	}
	return a.store.SetPolicies(ctx, tx, rbac.Guest, c.ID, next)
}

// sameRule reports whether guest policies ps say what rule says.
func sameRule(ps []rbac.Policy, rule *string) bool {
	switch {
	case rule == nil:
		return len(ps) == 0
	case len(ps) != 1:
		return false
	}
	return ps[0].Condition == *rule
}
