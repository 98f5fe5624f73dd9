package api

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/lumbunghq/lumbung/collections"
	"github.com/lumbunghq/lumbung/rbac"
	"github.com/lumbunghq/lumbung/server/auth"
)

// AccessControl is what the rbac endpoints need: roles, policies and
// assignments, each change enforced on this node when the call returns.
type AccessControl interface {
	Roles(ctx context.Context) ([]rbac.Role, error)
	CreateRole(ctx context.Context, name, description string) (rbac.Role, error)
	UpdateRole(ctx context.Context, name, description string) (rbac.Role, error)
	DeleteRole(ctx context.Context, name string) error
	// Policies lists policies, optionally only one subject's or one collection's.
	Policies(ctx context.Context, subject, collectionID string) ([]rbac.Policy, error)
	// SetPolicies replaces every policy on a collection.
	SetPolicies(ctx context.Context, collectionID string, ps []rbac.Policy) error
	Assignments(ctx context.Context, subject, role string) ([]rbac.Assignment, error)
	Assign(ctx context.Context, subject, role string) error
	Unassign(ctx context.Context, subject, role string) error
}

func (h *handlers) rbacRoutes() []Route {
	return []Route{
		{"GET", "/rbac/roles", Superusers, h.listRoles, "List the roles."},
		{"POST", "/rbac/roles", Superusers, h.createRole, "Create a role."},
		{"PATCH", "/rbac/roles/:role", Superusers, h.updateRole, "Rename a role or change what it inherits."},
		{"DELETE", "/rbac/roles/:role", Superusers, h.deleteRole, "Delete a role."},
		{"GET", "/rbac/policies", Superusers, h.listPolicies, "List every policy."},
		{"GET", "/rbac/collections/:collection/policies", Superusers, h.collectionPolicies, "List a collection's policies."},
		{"PUT", "/rbac/collections/:collection/policies", Superusers, h.setCollectionPolicies, "Replace a collection's policies."},
		{"GET", "/rbac/assignments", Superusers, h.listAssignments, "List who has which role."},
		{"POST", "/rbac/assignments", Superusers, h.assign, "Give a record a role."},
		{"DELETE", "/rbac/assignments", Superusers, h.unassign, "Take a role from a record."},
		{"POST", "/rbac/explain", Superusers, h.explain, "Explain a decision: which policies grant or deny an action."},
	}
}

func (h *handlers) listRoles(c *fiber.Ctx) error {
	roles, err := h.Access.Roles(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"items": roles})
}

func (h *handlers) createRole(c *fiber.Ctx) error {
	var in struct{ Name, Description string }
	if err := decodeJSON(c.Body(), &in); err != nil {
		return err
	}
	role, err := h.Access.CreateRole(c.UserContext(), in.Name, in.Description)
	if err != nil {
		return err
	}
	return c.JSON(role)
}

func (h *handlers) updateRole(c *fiber.Ctx) error {
	var in struct{ Description string }
	if err := decodeJSON(c.Body(), &in); err != nil {
		return err
	}
	role, err := h.Access.UpdateRole(c.UserContext(), c.Params("role"), in.Description)
	if err != nil {
		return err
	}
	return c.JSON(role)
}

func (h *handlers) deleteRole(c *fiber.Ctx) error {
	if err := h.Access.DeleteRole(c.UserContext(), c.Params("role")); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (h *handlers) listPolicies(c *fiber.Ctx) error {
	collectionID := ""
	if name := c.Query("collection"); name != "" {
		col, err := h.Collections.MustCollection(name)
		if err != nil {
			return err
		}
		collectionID = col.ID
	}
	ps, err := h.Access.Policies(c.UserContext(), c.Query("subject"), collectionID)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"items": ps})
}

func (h *handlers) collectionPolicies(c *fiber.Ctx) error {
	col, err := h.Collections.MustCollection(c.Params("collection"))
	if err != nil {
		return err
	}
	ps, err := h.Access.Policies(c.UserContext(), "", col.ID)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"items": ps})
}

// setCollectionPolicies replaces every policy on a collection. Each
// condition is compiled against the collection's schema, so a policy that
// would fail at request time is refused now, with its position. The
// policies of system collections cannot be changed.
func (h *handlers) setCollectionPolicies(c *fiber.Ctx) error {
	col, err := h.Collections.MustCollection(c.Params("collection"))
	if err != nil {
		return err
	}
	var in struct {
		Items []rbac.Policy `json:"items"`
	}
	if err := decodeJSON(c.Body(), &in); err != nil {
		return err
	}
	if col.System {
		current, err := h.Access.Policies(c.UserContext(), "", col.ID)
		if err != nil {
			return err
		}
		if err := rbac.CheckSystemPolicies(col, current, in.Items); err != nil {
			return err
		}
	}
	roles, err := h.Access.Roles(c.UserContext())
	if err != nil {
		return err
	}
	known := map[string]bool{rbac.Guest: true, rbac.Authenticated: true}
	for _, r := range roles {
		known[r.Name] = true
	}
	// Problems are keyed items.<i>.<subject|action|condition|fields>, each
	// message as the policy's own (a condition's with its position).
	errs := map[string]collections.FieldError{}
	for i, p := range in.Items {
		p.Collection = col.ID
		p = p.Normalize()
		in.Items[i] = p
		key := "items." + itoa(i)
		if err := p.Validate(); err != nil {
			var e *collections.Error
			if errors.As(err, &e) && len(e.Data) > 0 {
				for k, v := range e.Data {
					errs[key+"."+k] = collections.FieldError{Code: "validation_invalid_policy", Message: v.Message}
				}
			} else {
				errs[key] = collections.FieldError{Code: "validation_invalid_policy", Message: collections.ErrorMessage(err)}
			}
			continue
		}
		if !strings.Contains(p.Subject, ":") && !known[p.Subject] {
			errs[key+".subject"] = collections.FieldError{Code: "validation_invalid_policy", Message: fmt.Sprintf("Unknown role %q.", p.Subject)}
		}
		if field, err := checkPolicy(h.Collections, col, p); err != nil {
			errs[key+"."+field] = collections.FieldError{Code: "validation_invalid_policy", Message: collections.ErrorMessage(err)}
		}
	}
	if len(errs) > 0 {
		return collections.Invalid("Invalid policies.", errs)
	}
	if err := h.Access.SetPolicies(c.UserContext(), col.ID, in.Items); err != nil {
		return err
	}
	return h.collectionPolicies(c)
}

// checkPolicy compiles a policy's condition against the collection and
// checks its fields exist; field names the policy's part at fault
// ("fields" or "condition").
func checkPolicy(svc *collections.Service, col *collections.Collection, p rbac.Policy) (field string, err error) {
	for _, f := range p.Fields {
		if _, ok := col.Field(f); !ok {
			return "fields", collections.Errorf(collections.EINVALID, "Unknown field %q of %q.", f, col.Name)
		}
	}
	if p.Condition == "" {
		return "", nil
	}
	return "condition", CheckCondition(svc, col, p.Condition)
}

func (h *handlers) listAssignments(c *fiber.Ctx) error {
	as, err := h.Access.Assignments(c.UserContext(), c.Query("subject"), c.Query("role"))
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"items": as})
}

// assignmentInput names a user as {collection, id} or a subject key, and a role.
type assignmentInput struct {
	Subject    string `json:"subject"`
	Collection string `json:"collection"`
	ID         string `json:"id"`
	Role       string `json:"role"`
}

// subject resolves the assignment's subject to a user key (an existing auth
// record) or a role name (role inheritance).
func (h *handlers) subject(ctx context.Context, in assignmentInput) (string, error) {
	if in.Subject != "" {
		return in.Subject, nil
	}
	col, err := h.Collections.MustCollection(in.Collection)
	if err != nil {
		return "", err
	}
	if col.Type != collections.TypeAuth {
		return "", collections.Errorf(collections.EINVALID, "%q is not an auth collection.", col.Name)
	}
	rec, err := h.Collections.SystemRecords().Get(ctx, col, in.ID)
	if err != nil {
		return "", err
	}
	return auth.UserKey(rec), nil
}

func (h *handlers) assign(c *fiber.Ctx) error {
	var in assignmentInput
	if err := decodeJSON(c.Body(), &in); err != nil {
		return err
	}
	sub, err := h.subject(c.UserContext(), in)
	if err != nil {
		return err
	}
	if err := h.Access.Assign(c.UserContext(), sub, in.Role); err != nil {
		return err
	}
	return c.JSON(rbac.Assignment{Subject: sub, Role: in.Role})
}

// unassign takes the assignment as POST does, in a JSON body, or as query
// parameters of the same names.
func (h *handlers) unassign(c *fiber.Ctx) error {
	in := assignmentInput{Subject: c.Query("subject"), Collection: c.Query("collection"), ID: c.Query("id"), Role: c.Query("role")}
	if len(bytes.TrimSpace(c.Body())) > 0 {
		in = assignmentInput{}
		if err := decodeJSON(c.Body(), &in); err != nil {
			return err
		}
	}
	sub, err := h.subject(c.UserContext(), in)
	if err != nil {
		return err
	}
	if err := h.Access.Unassign(c.UserContext(), sub, in.Role); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}
