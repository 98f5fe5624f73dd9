package auth

import (
	"time"

	"github.com/lumbunghq/lumbung/collections"
	"github.com/lumbunghq/lumbung/rbac"
)

// Decider is the access decision: the rbac enforcer.
type Decider interface {
	Decide(user, collectionID, action string) rbac.Decision
	RolesOf(user string) []string
}

// UserKey names an auth record as an access-control subject.
func UserKey(rec *collections.Record) string { return rec.Collection.ID + ":" + rec.ID() }

// Caller is the collections.Caller for one request: a guest (nil identity)
// or a signed-in record, decided by the rbac enforcer. Superusers are
// collections.Unrestricted callers instead.
type Caller struct {
	id      *Identity
	subject string // the rbac subject: UserKey of the record, a role, or "" for a guest
	decider Decider
	auth    map[string]any
}

var _ collections.Caller = (*Caller)(nil)

// CallerFor returns the caller for an identity: an unrestricted one for
// superusers.
func CallerFor(id *Identity, d Decider) collections.Caller {
	if id.Superuser() {
		return collections.Unrestricted{AuthRecord: authValues(id.Record)}
	}
	c := &Caller{id: id, decider: d}
	if id != nil {
		c.subject = UserKey(id.Record)
	}
	return c
}

// SubjectCaller returns a caller deciding as subject (a role or a user key)
// without a record behind it: explain uses it to simulate a role.
func SubjectCaller(subject string, d Decider) collections.Caller {
	return &Caller{subject: subject, decider: d}
}

// Access implements collections.Caller.
func (c *Caller) Access(col *collections.Collection, action string) collections.Access {
	d := c.decider.Decide(c.subject, col.ID, action)
	acc := collections.Access{Allowed: d.Allowed, Fields: d.Fields}
	if d.Allowed && !d.Unconditional {
		acc.Conditions = d.Conditions
	}
	return acc
}

// Auth implements collections.Caller: the signed-in record's fields (no
// secrets), its collection and its roles (unless the record has a roles
// field of its own), for @request.auth.* in rules; nil for a guest.
func (c *Caller) Auth() map[string]any {
	if c.auth != nil || c.subject == "" {
		return c.auth
	}
	if c.id == nil { // a simulated subject: no record, only its roles
		c.auth = map[string]any{"id": "", "roles": c.decider.RolesOf(c.subject)}
		return c.auth
	}
	rec := c.id.Record
	m := authValues(rec)
	// A field of the record named roles keeps its meaning (PocketBase
	// apps have such fields); otherwise roles are the caller's roles.
	if _, own := rec.Collection.Field("roles"); !own {
		m["roles"] = c.decider.RolesOf(c.subject)
	}
	c.auth = m
	return m
}

// authValues returns the @request.auth.* values of a signed-in record: its
// fields but secrets, and its collection.
func authValues(rec *collections.Record) map[string]any {
	m := make(map[string]any, len(rec.Data)+3)
	for _, f := range rec.Collection.Fields {
		if f.Secret(rec.Collection) {
			continue
		}
		v := rec.Data[f.Name]
		if t, ok := v.(time.Time); ok && t.IsZero() {
			v = nil
		}
		m[f.Name] = v
	}
	m["collectionId"] = rec.Collection.ID
	m["collectionName"] = rec.Collection.Name
	return m
}

// Actor names the caller's writes in the change log: "user:<collectionId>:<id>"
// for a signed-in record, "impersonated:user:<collectionId>:<id>" for one
// acting through a token a superuser issued for it (impersonation, which
// PocketBase's API keys are), "guest" for a guest.
func (c *Caller) Actor() string {
	switch {
	case c.subject == "":
		return "guest"
	case c.id == nil:
		return "role:" + c.subject
	case !c.id.Refreshable:
		return "impersonated:user:" + c.subject
	}
	return "user:" + c.subject
}

// Record is the record the caller signed in as, nil for a guest or a
// simulated subject.
func (c *Caller) Record() *collections.Record {
	if c.id == nil {
		return nil
	}
	return c.id.Record
}
