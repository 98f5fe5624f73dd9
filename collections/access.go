package collections

import "time"

// Actions a caller may be granted on a collection.
const (
	ActionList   = "list"
	ActionView   = "view"
	ActionCreate = "create"
	ActionUpdate = "update"
	ActionDelete = "delete"
)

// Access is what a caller may do with one collection and action.
type Access struct {
	// Allowed is false when nothing grants the action at all.
	Allowed bool
	// Conditions are filter expressions; a record qualifies when any of
	// them holds. Empty (when Allowed) means every record.
	Conditions []string
	// Fields limits the fields the caller may read (list, view) or write
	// (create, update); nil means all.
	Fields []string
}

// Caller is who asks, as the records service sees it: a guest, a signed-in
// record deciding by its policies and rules, or an Unrestricted caller.
type Caller interface {
	// Access decides an action on a collection.
	Access(c *Collection, action string) Access
	// Auth returns the @request.auth.* values of the caller, nil for a guest.
	Auth() map[string]any
}

// Unrestricted is a caller every action is granted to, every field shown
// and no rule checked: a signed-in superuser (AuthRecord holds its
// @request.auth values), or the system itself (System).
type Unrestricted struct {
	AuthRecord map[string]any
}

// System is the caller the server acts as on its own account.
var System = Unrestricted{}

// Access implements Caller: everything.
func (Unrestricted) Access(*Collection, string) Access { return Access{Allowed: true} }

// Auth implements Caller.
func (u Unrestricted) Auth() map[string]any { return u.AuthRecord }

// IsUnrestricted reports whether c is an Unrestricted caller.
func IsUnrestricted(c Caller) bool {
	_, ok := c.(Unrestricted)
	return ok
}

// nobody stands in for a missing caller: nothing is granted.
type nobody struct{}

func (nobody) Access(*Collection, string) Access { return Access{} }
func (nobody) Auth() map[string]any              { return nil }

// Scope narrows what the store reads and writes to the records a caller may
// touch. The zero Scope is every record.
type Scope struct {
	// Conditions are OR-ed filter expressions; nil means every record.
	Conditions []string
	// Auth feeds @request.auth.* in the conditions.
	Auth map[string]any
	// Request feeds the other @request.* values in the conditions (nil:
	// none).
	Request *RequestInfo
	// Stored holds the fields of the record an update changes as they
	// were before it, for checking the changed record: the conditions'
	// @request.body.<field>:changed compare the body with them. Nil: with
	// the row checked.
	Stored map[string]any
	// Now is the time the conditions' macros see.
	Now time.Time
}

// Unlimited reports whether the scope admits every record.
func (s *Scope) Unlimited() bool { return s == nil || len(s.Conditions) == 0 }
