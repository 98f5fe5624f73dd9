package api

import (
	"context"
	"slices"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/lumbunghq/lumbung/collections"
	"github.com/lumbunghq/lumbung/collections/filter"
	"github.com/lumbunghq/lumbung/rbac"
	"github.com/lumbunghq/lumbung/server/auth"
)

// CheckCondition compiles a rule or policy condition against collection c
// of schema l, so that a broken condition is refused when saved (EINVALID
// with its position), never at request time.
func CheckCondition(l collections.Lookup, c *collections.Collection, cond string) error {
	expr, err := filter.Parse(cond)
	if err != nil {
		return err
	}
	env := filter.Env{Root: c, Schema: l, CanRead: func(*collections.Collection, string) bool { return true }}
	_, _, err = filter.SQL(expr, env, "r", 0)
	return err
}

type explainInput struct {
	Subject string `json:"subject"` // a role name or user key; or:
	User    struct {
		Collection string `json:"collection"`
		ID         string `json:"id"`
	} `json:"user"`
	Collection string `json:"collection"`
	Action     string `json:"action"`
	RecordID   string `json:"recordId"`
}

type explainOutput struct {
	Allowed         bool          `json:"allowed"`
	Subject         string        `json:"subject"`
	Roles           []string      `json:"roles"`
	MatchedPolicies []rbac.Policy `json:"matchedPolicies"`
	Conditions      []string      `json:"conditions"`
	SQLCondition    string        `json:"sqlCondition"`
	SQLArgs         []any         `json:"sqlArgs"`
	ReadableFields  []string      `json:"readableFields"`
	// Record tells whether the given record is inside what the subject may
	// touch with the action.
	Record *struct {
		ID      string `json:"id"`
		Allowed bool   `json:"allowed"`
	} `json:"record,omitempty"`
}

// explain answers: may this subject do this action on this collection
// (and record), which policies say so, and which SQL condition applies.
func (h *handlers) explain(c *fiber.Ctx) error {
	var in explainInput
	if err := decodeJSON(c.Body(), &in); err != nil {
		return err
	}
	col, err := h.Collections.MustCollection(in.Collection)
	if err != nil {
		return err
	}
	if err := rbac.ValidAction(in.Action); err != nil || in.Action == rbac.Any {
		return collections.Errorf(collections.EINVALID, "action must be one of list, view, create, update, delete.")
	}
	ctx := c.UserContext()
	var who *auth.Identity
	subject := in.Subject
	if subject == rbac.Guest {
		subject = "" // a guest is no subject at all, not a signed-in member of "guest"
	}
	if in.User.ID != "" {
		ucol, err := h.Collections.MustCollection(in.User.Collection)
		if err != nil {
			return err
		}
		rec, err := h.Collections.SystemRecords().Get(ctx, ucol, in.User.ID)
		if err != nil {
			return err
		}
		who, subject = &auth.Identity{Record: rec}, auth.UserKey(rec)
	}
	d := h.Decider.Decide(subject, col.ID, in.Action)
	out := explainOutput{Allowed: d.Allowed, Subject: subject, Roles: d.Roles, MatchedPolicies: d.Policies,
		Conditions: d.Conditions, SQLArgs: []any{}, ReadableFields: []string{}}
	if out.MatchedPolicies == nil {
		out.MatchedPolicies = []rbac.Policy{}
	}
	if out.Conditions == nil {
		out.Conditions = []string{}
	}
	if subject == "" && who == nil {
		out.Subject = rbac.Guest
	}
	caller := auth.CallerFor(who, h.Decider)
	if who == nil && subject != "" {
		caller = auth.SubjectCaller(subject, h.Decider)
	}
	if d.Allowed && !d.Unconditional {
		out.SQLCondition, out.SQLArgs, err = conditionSQL(h.Collections, col, d.Conditions, caller.Auth())
		if err != nil {
			return err
		}
		if out.SQLArgs == nil {
			out.SQLArgs = []any{}
		}
	}
	if d.Allowed {
		for _, f := range col.Fields {
			if !f.Secret(col) && (d.Fields == nil || slices.Contains(d.Fields, f.Name) || f.Name == "id") {
				out.ReadableFields = append(out.ReadableFields, f.Name)
			}
		}
	}
	if in.RecordID != "" && caller != nil {
		out.Record = &struct {
			ID      string `json:"id"`
			Allowed bool   `json:"allowed"`
		}{ID: in.RecordID}
		out.Record.Allowed, err = h.recordAllowed(ctx, caller, col, in.Action, in.RecordID)
		if err != nil {
			return err
		}
	}
	return c.JSON(out)
}

// recordAllowed reports whether the record lies inside what caller may do.
func (h *handlers) recordAllowed(ctx context.Context, caller collections.Caller, col *collections.Collection, action, id string) (bool, error) {
	acc := caller.Access(col, action)
	if !acc.Allowed {
		return false, nil
	}
	scope := &collections.Scope{Conditions: acc.Conditions, Auth: caller.Auth()}
	if len(acc.Conditions) == 0 {
		scope = nil
	}
	ids, err := h.Collections.SystemRecords().Matching(ctx, col, []string{id}, scope)
	return len(ids) == 1, err
}

// conditionSQL shows the SQL the conditions compile to for a subject.
func conditionSQL(l collections.Lookup, col *collections.Collection, conds []string, authValues map[string]any) (string, []any, error) {
	env := filter.Env{Root: col, Schema: l, Auth: authValues, CanRead: func(*collections.Collection, string) bool { return true }}
	var parts []string
	var args []any
	for _, src := range conds {
		expr, err := filter.Parse(src)
		if err != nil {
			return "", nil, err
		}
		sql, a, err := filter.SQL(expr, env, "r", len(args))
		if err != nil {
			return "", nil, err
		}
		parts = append(parts, "("+sql+")")
		args = append(args, a...)
	}
	return strings.Join(parts, " OR "), args, nil
}
