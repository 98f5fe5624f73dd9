package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
)

// The role scenarios run as benchMember, the one record of the auth
// collection benchMembers, who holds benchRole.
const (
	benchRole    = "bench_reader"
	benchMembers = "bench_members"
	benchMember  = "reader@example.com"
)

// roleCondition is the row condition of benchRole's list and view
// policies. Seeded and created records all have a score of at least
// roleMinScore (seedRecord, the create scenario), so it holds for every
// record: the member gets the superuser's rows, and what the role
// scenarios add is the cost of deciding access and of the condition in
// the SQL.
const (
	roleMinScore  = 0
	roleCondition = "score >= 0"
)

// roleScenarios reports whether any of the named scenarios runs as the
// role member.
func roleScenarios(names []string) bool {
	for _, name := range names {
		if s, ok := scenarioByName(name); ok && s.roleOf != "" {
			return true
		}
	}
	return false
}

// setUpRole gives benchRole list and view policies on collection under
// roleCondition, with no field list (every field, as for the superuser),
// creates the auth collection benchMembers with benchMember holding the
// role, and returns the member's token. c must be signed in as a
// superuser.
func (c *apiClient) setUpRole(ctx context.Context, collection, password string) (string, error) {
	if err := c.call(ctx, http.MethodPost, "/api/rbac/roles", map[string]string{"name": benchRole}, nil); err != nil {
		return "", err
	}
	policies := map[string]any{"items": []map[string]string{
		{"subject": benchRole, "action": "list", "condition": roleCondition},
		{"subject": benchRole, "action": "view", "condition": roleCondition},
	}}
	if err := c.call(ctx, http.MethodPut, "/api/rbac/collections/"+collection+"/policies", policies, nil); err != nil {
		return "", err
	}
	if err := c.call(ctx, http.MethodPost, "/api/collections", map[string]string{"name": benchMembers, "type": "auth"}, nil); err != nil {
		return "", err
	}
	var user struct {
		ID string `json:"id"`
	}
	in := map[string]string{"email": benchMember, "password": password}
	if err := c.call(ctx, http.MethodPost, "/api/collections/"+benchMembers+"/records", in, &user); err != nil {
		return "", err
	}
	if user.ID == "" {
		return "", fmt.Errorf("POST /api/collections/%s/records: answer has no id", benchMembers)
	}
	assign := map[string]string{"collection": benchMembers, "id": user.ID, "role": benchRole}
	if err := c.call(ctx, http.MethodPost, "/api/rbac/assignments", assign, nil); err != nil {
		return "", err
	}
	return newAPIClient(c.base).authWithPassword(ctx, benchMembers, benchMember, password)
}

// tearDownRole deletes benchRole, with its policies and assignments, and
// the auth collection benchMembers. Either may be missing when setUpRole
// failed part way.
func (c *apiClient) tearDownRole(ctx context.Context) error {
	return errors.Join(
		unlessNotFound(c.call(ctx, http.MethodDelete, "/api/rbac/roles/"+benchRole, nil, nil)),
		unlessNotFound(c.call(ctx, http.MethodDelete, "/api/collections/"+benchMembers, nil, nil)),
	)
}

// unlessNotFound returns err unless it is a 404 answer.
func unlessNotFound(err error) error {
	var ae *apiError
	if errors.As(err, &ae) && ae.status == http.StatusNotFound {
		return nil
	}
	return err
}
