package rbac

import (
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/casbin/casbin/v2"
	"github.com/casbin/casbin/v2/model"
	defaultrolemanager "github.com/casbin/casbin/v2/rbac/default-role-manager"
)

// Cache bounds: when a cache reaches its bound it is emptied and refills
// with what is asked for next. Entries are small (a few slices), so the
// bounds only matter against a flood of distinct users.
const (
	maxCachedSubjects  = 1 << 16
	maxCachedDecisions = 1 << 16
)

// snapshot is one loaded rule set with its caches. It is never changed
// after newSnapshot, except for the caches; Reload replaces it whole.
type snapshot struct {
	// model holds the rules in Casbin's model, with a role manager that
	// resolves inheritance. Casbin's role manager creates and drops
	// temporary entries while answering for names it does not know, so
	// calls into it are serialized by modelMu; they happen only on cache
	// misses.
	modelMu sync.Mutex
	model   *casbin.Enforcer

	policies  []Policy         // as the model holds them, in load order
	bySubject map[string][]int // subject -> indexes into policies

	subjects  boundedCache // user -> *subjectSet
	decisions boundedCache // decisionKey -> *Decision
}

// boundedCache is a sync.Map (reads scale across cores without locks or
// allocations) that is emptied when it reaches max entries.
type boundedCache struct {
	m   sync.Map
	n   atomic.Int64
	max int64
}

func (c *boundedCache) load(k any) (any, bool) { return c.m.Load(k) }

// store keeps v under k unless another goroutine stored one first, and
// returns the value kept.
func (c *boundedCache) store(k, v any) any {
	if c.n.Load() >= c.max {
		c.m.Clear()
		c.n.Store(0)
	}
	actual, loaded := c.m.LoadOrStore(k, v)
	if !loaded {
		c.n.Add(1)
	}
	return actual
}

// len returns about how many entries the cache holds.
func (c *boundedCache) len() int { return int(c.n.Load()) }

// subjectSet is the subject set of one user.
type subjectSet struct {
	// all is Decision.Roles: the user, then its roles (sorted).
	all []string
	// owners are the members of all that own policies, in the same
	// order: the only ones that can change a decision.
	owners []string
	// key identifies owners in the decision cache. Users whose subject
	// sets differ only in roles without policies share cached decisions.
	key string
}

type decisionKey struct {
	owners, collection, action string
}

// newSnapshot builds a Casbin enforcer for Model holding the rules a
// loads, and indexes its policies by subject.
func newSnapshot(a *adapter) (*snapshot, error) {
	m, err := model.NewModelFromString(Model)
	if err != nil {
		return nil, err
	}
	ce, err := casbin.NewEnforcer(m)
	if err != nil {
		return nil, err
	}
	ce.SetRoleManager(defaultrolemanager.NewRoleManagerImpl(MaxRoleDepth))
	ce.SetAdapter(a)
	ce.EnableAutoSave(false)
	if err := ce.LoadPolicy(); err != nil {
		return nil, err
	}
	// Read the policies back from the model: it has dropped repeats.
	rules, err := ce.GetPolicy()
	if err != nil {
		return nil, err
	}
	s := &snapshot{
		model:     ce,
		policies:  make([]Policy, len(rules)),
		bySubject: make(map[string][]int),
	}
	s.subjects.max, s.decisions.max = maxCachedSubjects, maxCachedDecisions
	for i, r := range rules {
		s.policies[i] = Policy{Subject: r[0], Collection: r[1], Action: r[2], Condition: r[3], Fields: splitFields(r[4])}
		s.bySubject[r[0]] = append(s.bySubject[r[0]], i)
	}
	return s, nil
}

// subjectsOf returns the cached subject set of user, resolving it on a
// miss.
func (s *snapshot) subjectsOf(user string) *subjectSet {
	if v, ok := s.subjects.load(user); ok {
		return v.(*subjectSet)
	}
	// Keys outlive the call, and callers may pass strings backed by
	// reused buffers (Fiber's), so the cache keeps its own copies.
	user = strings.Clone(user)
	return s.subjects.store(user, s.resolve(user)).(*subjectSet)
}

// resolve computes the subject set of user: the user, the implicit roles
// that apply, and every role they inherit, transitively.
func (s *snapshot) resolve(user string) *subjectSet {
	seen := map[string]bool{user: true}
	var roles []string
	add := func(name string) {
		if !seen[name] {
			seen[name] = true
			roles = append(roles, name)
		}
	}
	s.modelMu.Lock()
	withRoles := func(name string) {
		add(name)
		// Errors come only from a missing role manager, which the model
		// always has.
		inherited, _ := s.model.GetImplicitRolesForUser(name)
		for _, r := range inherited {
			add(r)
		}
	}
	if user != "" {
		withRoles(user)
		withRoles(Authenticated)
	}
	withRoles(Guest)
	s.modelMu.Unlock()

	slices.Sort(roles)
	sub := &subjectSet{all: make([]string, 0, len(roles)+1)}
	if user != "" {
		sub.all = append(sub.all, user)
	}
	sub.all = append(sub.all, roles...)
	for _, name := range sub.all {
		if len(s.bySubject[name]) > 0 {
			sub.owners = append(sub.owners, name)
		}
	}
	sub.key = strings.Join(sub.owners, "\n")
	return sub
}

// decide returns the cached decision for a subject set, computing it on a
// miss. Roles is left for the caller to fill in.
func (s *snapshot) decide(sub *subjectSet, collectionID, action string) Decision {
	k := decisionKey{owners: sub.key, collection: collectionID, action: action}
	if v, ok := s.decisions.load(k); ok {
		return *v.(*Decision)
	}
	d := s.evaluate(sub.owners, collectionID, action)
	k.collection, k.action = strings.Clone(collectionID), strings.Clone(action)
	return *s.decisions.store(k, &d).(*Decision)
}

// evaluate applies Model's matcher to the policies of owners: a policy
// matches when its subject is in the set (g(r.sub, p.sub)), its collection
// is collectionID or Any and its action is action or Any. The result
// holds no strings of the caller's.
func (s *snapshot) evaluate(owners []string, collectionID, action string) Decision {
	var d Decision
	allFields := false
	var conds, fields []string
	for _, owner := range owners {
		for _, i := range s.bySubject[owner] {
			p := s.policies[i]
			if (p.Collection != Any && p.Collection != collectionID) || (p.Action != Any && p.Action != action) {
				continue
			}
			d.Policies = append(d.Policies, p)
			if p.Condition == "" {
				d.Unconditional = true
			} else {
				conds = append(conds, p.Condition)
			}
			if len(p.Fields) == 0 {
				allFields = true
			} else {
				fields = append(fields, p.Fields...)
			}
		}
	}
	d.Allowed = len(d.Policies) > 0
	if d.Allowed && !d.Unconditional {
		slices.Sort(conds)
		d.Conditions = slices.Compact(conds)
	}
	if d.Allowed && !allFields {
		slices.Sort(fields)
		d.Fields = slices.Compact(fields)
	}
	return d
}
