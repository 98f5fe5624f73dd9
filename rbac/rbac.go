// Package rbac decides what a subject may do with a collection's records.
//
// Rules follow Casbin's RBAC model (Model): a policy grants a subject an
// action on a collection, optionally limited to the rows matching a
// filter-language condition and to a list of fields; assignments give users
// roles and roles other roles. Every policy that matches a request
// contributes to the Decision: conditions are OR-ed, field lists unioned.
//
// Subjects are users, named by UserKey ("<collectionId>:<recordId>"), and
// roles (ValidRoleName). Two roles are implicit: Guest holds for everyone,
// signed in or not, and Authenticated for every signed-in user. Superusers
// bypass access control altogether; callers check for them before asking.
//
// The package holds no SQL: an Enforcer reads its rules from a Source
// (rbac/postgres.Store in the server) and keeps them in memory, so that a
// decision never waits for the database.
package rbac

import (
	"context"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/lumbunghq/lumbung/collections"
)

// Model is the Casbin model the rules follow. Policies are "p" rules
// (subject, collection id or "*", action or "*", condition, fields) and
// assignments "g" rules (member, role).
const Model = `[request_definition]
r = sub, obj, act

[policy_definition]
p = sub, obj, act, cond, fields

[role_definition]
g = _, _

[policy_effect]
e = some(where (p.eft == allow))

[matchers]
m = g(r.sub, p.sub) && (p.obj == "*" || r.obj == p.obj) && (p.act == "*" || r.act == p.act)
`

// The implicit roles. They exist in every installation and cannot be
// deleted or assigned: Guest applies to every request, Authenticated to
// every request by a signed-in user.
const (
	Guest         = "guest"
	Authenticated = "authenticated"
)

// Any, as a policy's collection or action, matches every collection or
// action.
const Any = "*"

// Actions on records, as used in policies and decisions.
const (
	ActionList   = collections.ActionList
	ActionView   = collections.ActionView
	ActionCreate = collections.ActionCreate
	ActionUpdate = collections.ActionUpdate
	ActionDelete = collections.ActionDelete
)

// MaxRoleDepth is how many levels of role inheritance are followed: a
// role inherited through a longer chain is not granted.
const MaxRoleDepth = 32

// Policy grants Subject the Action on the records of Collection.
type Policy struct {
	// Subject is a user key or a role name.
	Subject string `json:"subject"`
	// Collection is a collection id (stable across renames) or Any.
	Collection string `json:"collection"`
	// Action is one of the Action constants or Any.
	Action string `json:"action"`
	// Condition is a filter expression the records must match; "" grants
	// every record.
	Condition string `json:"condition"`
	// Fields limits the fields the subject may read or write; nil (or
	// empty) means every field.
	Fields []string `json:"fields"`
}

// Assignment makes Subject (a user key or a role) a member of Role, so that
// it holds every policy of Role and of the roles Role is a member of.
type Assignment struct {
	Subject string `json:"subject"`
	Role    string `json:"role"`
}

// Role is a named group of subjects.
type Role struct {
	Name        string    `json:"name"`
	Description string    `json:"description"`
	Created     time.Time `json:"created"`
	Updated     time.Time `json:"updated"`
}

// Source supplies the complete rule set: every policy and every assignment.
type Source interface {
	Load(ctx context.Context) ([]Policy, []Assignment, error)
}

// SourceFunc adapts a function to Source.
type SourceFunc func(ctx context.Context) ([]Policy, []Assignment, error)

// Load implements Source.
func (f SourceFunc) Load(ctx context.Context) ([]Policy, []Assignment, error) { return f(ctx) }

// UserKey names a record of an auth collection as a subject.
func UserKey(collectionID, recordID string) string { return collectionID + ":" + recordID }

// IsImplicitRole reports whether name is Guest or Authenticated.
func IsImplicitRole(name string) bool { return name == Guest || name == Authenticated }

var (
	roleNameRe     = regexp.MustCompile(`^[a-z][a-z0-9_]{0,62}$`)
	collectionIDRe = regexp.MustCompile(`^[A-Za-z0-9_]{1,100}$`) // as PocketBase's: digits may come first
	fieldNameRe    = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,62}$`)
)

// maxRecordIDLength bounds the record part of a user key.
const maxRecordIDLength = 255

// ValidRoleName reports whether name can name a role: a lowercase letter
// followed by up to 62 lowercase letters, digits and underscores.
func ValidRoleName(name string) error {
	if name == "" {
		return collections.Errorf(collections.EINVALID, "A role name is required.")
	}
	if !roleNameRe.MatchString(name) {
		return collections.Errorf(collections.EINVALID, "Invalid role name %q: use a lowercase letter followed by up to 62 lowercase letters, digits and underscores.", clip(name))
	}
	return nil
}

// ValidAction reports whether a can be a policy's action: one of list,
// view, create, update, delete, or Any.
func ValidAction(a string) error {
	switch a {
	case ActionList, ActionView, ActionCreate, ActionUpdate, ActionDelete, Any:
		return nil
	case "":
		return collections.Errorf(collections.EINVALID, "An action is required.")
	}
	return collections.Errorf(collections.EINVALID, "Invalid action %q: use list, view, create, update, delete or *.", clip(a))
}

// ValidSubject reports whether s can be a policy's or an assignment's
// subject: a role name or a user key.
func ValidSubject(s string) error {
	if s == "" {
		return collections.Errorf(collections.EINVALID, "A subject is required.")
	}
	col, rec, ok := strings.Cut(s, ":")
	if !ok {
		if ValidRoleName(s) != nil {
			return collections.Errorf(collections.EINVALID, "Invalid subject %q: use a role name or a user as <collectionId>:<recordId>.", clip(s))
		}
		return nil
	}
	if !collectionIDRe.MatchString(col) || rec == "" || len(rec) > maxRecordIDLength || !printable(rec) {
		return collections.Errorf(collections.EINVALID, "Invalid subject %q: use a role name or a user as <collectionId>:<recordId>.", clip(s))
	}
	return nil
}

// ValidCollection reports whether id can be a policy's collection: a
// collection id or Any.
func ValidCollection(id string) error {
	if id == "" {
		return collections.Errorf(collections.EINVALID, "A collection is required.")
	}
	if id != Any && !collectionIDRe.MatchString(id) {
		return collections.Errorf(collections.EINVALID, "Invalid collection id %q.", clip(id))
	}
	return nil
}

// printable reports whether s holds no spaces, control characters or
// colons: a record id as it can appear in a user key.
func printable(s string) bool {
	for _, r := range s {
		if r <= ' ' || r == 0x7f || r == ':' || r == ',' {
			return false
		}
	}
	return true
}

// clip shortens user input quoted back in messages.
func clip(s string) string {
	const n = 64
	if len(s) <= n {
		return s
	}
	i := n
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i] + "…"
}
