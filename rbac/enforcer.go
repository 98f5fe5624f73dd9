package rbac

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
)

// Decision is what a subject may do with one collection and action.
//
// Its slices are shared with the enforcer's cache: read them, never modify
// them.
type Decision struct {
	// Allowed reports whether any policy grants the action.
	Allowed bool
	// Unconditional reports whether some matching policy has no condition:
	// every record qualifies and no row filter applies.
	Unconditional bool
	// Conditions are the distinct conditions of the matching policies,
	// sorted; a record qualifies when any of them holds. Empty when the
	// decision is Unconditional or not Allowed.
	Conditions []string
	// Fields is the union of the matching policies' field lists, sorted;
	// nil means every field (some matching policy lists none).
	Fields []string
	// Policies are the matching policies, grouped by subject in the order
	// of Roles and in load order within a subject.
	Policies []Policy
	// Roles is the subject set that was evaluated: the user key (when the
	// request has one) followed by every role it holds, transitively,
	// including the implicit ones, sorted.
	Roles []string
}

// Enforcer answers access questions from an in-memory copy of the rules,
// loaded from a Source by NewEnforcer and Reload. Decisions are cached
// until the next Reload, so answering does not touch the database. It is
// safe for concurrent use.
type Enforcer struct {
	src    Source
	loads  atomic.Uint64 // Loads started
	reload sync.Mutex    // guards applied
	// applied is the number of the Load in force: a Load that started
	// earlier (and may have read older rules) never replaces it.
	applied uint64
	cur     atomic.Pointer[snapshot]
}

// NewEnforcer returns an enforcer holding the rules src loads now.
func NewEnforcer(ctx context.Context, src Source) (*Enforcer, error) {
	e := &Enforcer{src: src}
	if err := e.Reload(ctx); err != nil {
		return nil, err
	}
	return e, nil
}

// Reload reads the rules from the source again and swaps them in at once,
// dropping every cached decision. Decisions being made meanwhile finish on
// the rules they started with. On error the current rules stay in force.
func (e *Enforcer) Reload(ctx context.Context) error {
	apply, err := e.Load(ctx)
	if err != nil {
		return err
	}
	apply()
	return nil
}

// Load reads the rules and builds the decisions they give, without using
// them yet: apply puts them in force. A caller that reloads other state
// read from the same database (the schema) loads both first and then
// applies both, so that requests never see one new and the other old for
// longer than the two applies take.
func (e *Enforcer) Load(ctx context.Context) (apply func(), err error) {
	n := e.loads.Add(1)
	s, err := newSnapshot(&adapter{ctx: ctx, src: e.src})
	if err != nil {
		return nil, fmt.Errorf("rbac: load rules: %w", err)
	}
	return func() {
		e.reload.Lock()
		defer e.reload.Unlock()
		if n > e.applied {
			e.applied = n
			e.cur.Store(s)
		}
	}, nil
}

// Decide returns what user may do with the records of collectionID for
// action. user is a user key (UserKey), or "" for a guest; a role name
// may be given instead of a user key to see what a signed-in member of
// just that role could do.
func (e *Enforcer) Decide(user, collectionID, action string) Decision {
	s := e.cur.Load()
	sub := s.subjectsOf(user)
	d := s.decide(sub, collectionID, action)
	d.Roles = sub.all
	return d
}

// RolesOf returns the roles user holds, transitively, including Guest and,
// for a signed-in user (user != ""), Authenticated; sorted. The slice is
// the caller's.
func (e *Enforcer) RolesOf(user string) []string {
	sub := e.cur.Load().subjectsOf(user)
	roles := sub.all
	if user != "" && len(roles) > 0 && roles[0] == user {
		roles = roles[1:]
	}
	return slices.Clone(roles)
}
