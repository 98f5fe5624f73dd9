package collections

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
)

// Service is the collections domain: it keeps the schema cache, validates
// and plans schema changes, and validates record writes before they reach
// the store.
type Service struct {
	schema        SchemaStore
	records       RecordStore
	log           *slog.Logger
	hash          func(password string) (string, error)
	checkPassword func(hash, password string) bool
	changed       func(c *Collection, id string, deleted bool)
	created       func(ctx context.Context, c *Collection, id string)
	check         func(s Lookup, c *Collection, rule string) error
	applied       func(ctx context.Context)

	loads  atomic.Uint64 // Loads started
	mu     sync.RWMutex
	cached uint64 // the number of the Load in the cache
	byID   map[string]*Collection
	byName map[string]*Collection // lower-cased names
	list   []*Collection
}

// Config holds what a Service needs.
type Config struct {
	Schema  SchemaStore
	Records RecordStore
	Logger  *slog.Logger
	// HashPassword turns a plain password into the stored hash.
	HashPassword func(password string) (string, error)
	// CheckPassword compares a plain password with a stored hash.
	CheckPassword func(hash, password string) bool
	// Changed, if set, is told about every record updated or deleted through
	// the service (e.g. to forget cached sign-ins of an auth record).
	Changed func(c *Collection, id string, deleted bool)
	// Created, if set, is told about every record created through the
	// service, once its insert succeeded (inside a batch, before the
	// batch commits).
	Created func(ctx context.Context, c *Collection, id string)
	// CheckRule, if set, validates an access rule of c (a filter expression)
	// against the schema s the change will produce.
	CheckRule func(s Lookup, c *Collection, rule string) error
	// Applied, if set, runs after every applied schema change, once the
	// cache holds the new schema.
	Applied func(ctx context.Context)
}

// NewService returns a Service with an empty schema cache; call Reload.
func NewService(cfg Config) *Service {
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	return &Service{schema: cfg.Schema, records: cfg.Records, log: log, hash: cfg.HashPassword, checkPassword: cfg.CheckPassword, changed: cfg.Changed, created: cfg.Created, check: cfg.CheckRule, applied: cfg.Applied,
		byID: map[string]*Collection{}, byName: map[string]*Collection{}}
}

// Reload reads every collection from the store into the cache.
func (s *Service) Reload(ctx context.Context) error {
	apply, err := s.Load(ctx)
	if err != nil {
		return err
	}
	apply()
	return nil
}

// Load reads every collection from the store; apply puts them in the
// cache. A Load that started before the one in the cache never replaces
// it, so concurrent reloads end on the newest schema.
func (s *Service) Load(ctx context.Context) (apply func(), err error) {
	n := s.loads.Add(1)
	list, err := s.schema.Load(ctx)
	if err != nil {
		return nil, err
	}
	byID := make(map[string]*Collection, len(list))
	byName := make(map[string]*Collection, len(list))
	for _, c := range list {
		byID[c.ID] = c
		byName[strings.ToLower(c.Name)] = c
	}
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if n > s.cached {
			s.cached = n
			s.byID, s.byName, s.list = byID, byName, list
		}
	}, nil
}

// Collection implements Lookup on the cache. Callers must not modify the
// returned collection; Clone it first.
func (s *Service) Collection(idOrName string) (*Collection, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if c, ok := s.byID[idOrName]; ok {
		return c, true
	}
	c, ok := s.byName[strings.ToLower(idOrName)]
	return c, ok
}

// MustCollection returns the collection or an ENOTFOUND error.
func (s *Service) MustCollection(idOrName string) (*Collection, error) {
	if c, ok := s.Collection(idOrName); ok {
		return c, nil
	}
	return nil, Errorf(ENOTFOUND, "Missing collection context.")
}

// Collections returns every collection in creation order.
func (s *Service) Collections() []*Collection {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return append([]*Collection(nil), s.list...)
}

// MaxPreviewRows is how many rows PreviewView returns at most.
const MaxPreviewRows = 20

// PreviewView runs a view query read-only and returns its first rows, so a
// view can be tried before it is saved.
func (s *Service) PreviewView(ctx context.Context, query string) ([]json.RawMessage, error) {
	if strings.TrimSpace(query) == "" {
		return nil, Errorf(EINVALID, "The view query is empty.")
	}
	return s.schema.PreviewView(ctx, query, MaxPreviewRows)
}

// SaveOptions tune a schema change.
type SaveOptions struct {
	DryRun        bool // plan only
	AllowDataLoss bool
	Actor         string
}

// CreateCollection plans and (unless DryRun) creates a collection.
func (s *Service) CreateCollection(ctx context.Context, c *Collection, opts SaveOptions) (*Plan, error) {
	if err := Normalize(s, nil, c); err != nil {
		return nil, err
	}
	if err := s.checkRules(overlay{s, c}, c); err != nil {
		return nil, err
	}
	plan, err := s.schema.Plan(ctx, Change{New: c, Schema: overlay{s, c}, AllowDataLoss: opts.AllowDataLoss, Actor: opts.Actor})
	if err != nil || opts.DryRun {
		return plan, err
	}
	return plan, s.apply(ctx, plan)
}

// UpdateCollection merges patch (a partial collection JSON object) into the
// collection and plans and (unless DryRun) applies the change. As in
// PocketBase, a "fields" list replaces the fields: fields left out are dropped.
func (s *Service) UpdateCollection(ctx context.Context, idOrName string, patch json.RawMessage, opts SaveOptions) (*Plan, *Collection, error) {
	old, err := s.MustCollection(idOrName)
	if err != nil {
		return nil, nil, err
	}
	c := old.Clone()
	if len(patch) > 0 {
		var probe map[string]json.RawMessage
		if err := json.Unmarshal(patch, &probe); err != nil {
			return nil, nil, Errorf(EINVALID, "Invalid collection JSON: %s.", jsonProblem(err))
		}
		if _, ok := probe["fields"]; ok {
			c.Fields = nil
		}
		if _, ok := probe["indexes"]; ok {
			c.Indexes = nil
		}
		if err := json.Unmarshal(patch, c); err != nil {
			return nil, nil, asInvalid(err, "Invalid collection JSON")
		}
	}
	c.ID, c.Created, c.Updated = old.ID, old.Created, old.Updated
	renameIndexColumns(old, c)
	if err := Normalize(s, old, c); err != nil {
		return nil, nil, err
	}
	if err := s.checkRules(overlay{s, c}, c); err != nil {
		return nil, nil, err
	}
	plan, err := s.schema.Plan(ctx, Change{Old: old, New: c, Schema: overlay{s, c}, AllowDataLoss: opts.AllowDataLoss, Actor: opts.Actor})
	if err != nil || opts.DryRun {
		return plan, c, err
	}
	if err := s.apply(ctx, plan); err != nil {
		return plan, nil, err
	}
	saved, _ := s.Collection(c.ID)
	return plan, saved, nil
}

// Rules returns the PocketBase rules of c by action name.
func (c *Collection) Rules() map[string]*string {
	return map[string]*string{ActionList: c.ListRule, ActionView: c.ViewRule, ActionCreate: c.CreateRule, ActionUpdate: c.UpdateRule, ActionDelete: c.DeleteRule}
}

// checkRules validates every rule of c, naming the offending one.
func (s *Service) checkRules(l Lookup, c *Collection) error {
	if s.check == nil {
		return nil
	}
	errs := map[string]FieldError{}
	rules := map[string]*string{}
	for action, rule := range c.Rules() {
		rules[action+"Rule"] = rule
	}
	if c.Auth != nil {
		rules["manageRule"] = c.Auth.ManageRule // enforced on email changes
	}
	for key, rule := range rules {
		if rule == nil || strings.TrimSpace(*rule) == "" {
			continue
		}
		if err := s.check(l, c, *rule); err != nil {
			errs[key] = FieldError{Code: "validation_invalid_rule", Message: ErrorMessage(err)}
		}
	}
	if len(errs) > 0 {
		return Invalid("Failed to save the collection: invalid rules.", errs)
	}
	return nil
}

// renameIndexColumns rewrites index definitions that still name a field by
// its old name after the field was renamed, as PocketBase does.
func renameIndexColumns(old, c *Collection) {
	for i, raw := range c.Indexes {
		ix, err := ParseIndex(raw)
		if err != nil {
			continue
		}
		changed := false
		rename := func(name *string) {
			if _, ok := c.Field(*name); ok {
				return
			}
			if of, ok := old.Field(*name); ok {
				if f, ok := c.FieldByID(of.ID); ok {
					*name, changed = f.Name, true
				}
			}
		}
		for j := range ix.Columns {
			rename(&ix.Columns[j].Name)
		}
		for j := range ix.NotEmpty {
			rename(&ix.NotEmpty[j])
		}
		if changed {
			c.Indexes[i] = ix.String(c.Name)
		}
	}
}

// DeleteCollection drops a collection and its records. It refuses while
// other collections relate to it.
func (s *Service) DeleteCollection(ctx context.Context, idOrName string, opts SaveOptions) (*Plan, error) {
	old, err := s.MustCollection(idOrName)
	if err != nil {
		return nil, err
	}
	if old.System {
		return nil, Errorf(EINVALID, "System collections cannot be deleted.")
	}
	if refs := s.referencing(old); len(refs) > 0 {
		return nil, Errorf(EINVALID, "Collection %q cannot be deleted: it is referenced by %s.", old.Name, strings.Join(refs, ", "))
	}
	plan, err := s.schema.Plan(ctx, Change{Old: old, Schema: s, Actor: opts.Actor})
	if err != nil || opts.DryRun {
		return plan, err
	}
	return plan, s.apply(ctx, plan)
}

// TruncateCollection deletes every record of a collection.
func (s *Service) TruncateCollection(ctx context.Context, idOrName string, opts SaveOptions) (*Plan, error) {
	old, err := s.MustCollection(idOrName)
	if err != nil {
		return nil, err
	}
	if old.Type == TypeView {
		return nil, Errorf(EINVALID, "View collections cannot be truncated.")
	}
	if old.Name == SuperusersName {
		return nil, Errorf(EINVALID, "The _superusers collection cannot be truncated: at least one superuser must remain.")
	}
	plan, err := s.schema.Plan(ctx, Change{Old: old, Schema: s, Truncate: true, Actor: opts.Actor})
	if err != nil || opts.DryRun {
		return plan, err
	}
	return plan, s.apply(ctx, plan)
}

// referencing names the relation fields of other collections that point at c.
func (s *Service) referencing(c *Collection) []string {
	var out []string
	for _, other := range s.Collections() {
		if other.ID == c.ID {
			continue
		}
		for _, f := range other.Fields {
			if o, ok := f.Options.(*RelationOptions); ok && o.CollectionID == c.ID {
				out = append(out, fmt.Sprintf("%s.%s", other.Name, f.Name))
			}
		}
	}
	sort.Strings(out)
	return out
}

func (s *Service) apply(ctx context.Context, plans ...*Plan) error {
	if err := s.schema.Apply(ctx, plans...); err != nil {
		return err
	}
	if err := s.Reload(ctx); err != nil {
		return err
	}
	if s.applied != nil {
		s.applied(ctx)
	}
	return nil
}

// Import creates or updates every collection in defs (matched by id, then
// name) in one transaction. With deleteMissing, collections not in defs
// (other than system ones) are dropped.
func (s *Service) Import(ctx context.Context, defs []*Collection, deleteMissing bool, opts SaveOptions) ([]*Plan, error) {
	view := &importView{base: s, set: map[string]*Collection{}}
	var plans []*Plan
	errs := map[string]FieldError{}
	seen := map[string]bool{}
	// First pass: new collections without relations to collections that do
	// not exist yet; second pass: every collection in full. This allows
	// collections that reference each other.
	type pending struct {
		old, full *Collection
	}
	var todo []pending
	for i, def := range defs {
		var old *Collection
		if def.ID != "" {
			old, _ = s.Collection(def.ID)
		}
		if old == nil {
			old, _ = s.Collection(def.Name)
		}
		if old != nil {
			def.ID = old.ID
		} else if def.ID == "" {
			def.ID = NewCollectionID()
		}
		if seen[def.ID] {
			errs[fmt.Sprintf("collections.%d", i)] = FieldError{Code: "validation_duplicated_collection", Message: fmt.Sprintf("Collection %q is listed twice.", def.Name)}
			continue
		}
		seen[def.ID] = true
		todo = append(todo, pending{old: old, full: def})
		if old == nil {
			view.set[def.ID] = def
		}
	}
	if len(errs) > 0 {
		return nil, Invalid("Failed to import the collections.", errs)
	}
	current := map[string]*Collection{}
	for _, p := range todo {
		if p.old != nil {
			continue
		}
		first := p.full.Clone()
		first.Fields = nil
		for _, f := range p.full.Fields {
			if o, ok := f.Options.(*RelationOptions); ok {
				if _, exists := s.Collection(o.CollectionID); !exists && o.CollectionID != p.full.ID && o.CollectionID != p.full.Name {
					continue
				}
			}
			first.Fields = append(first.Fields, f)
		}
		first.Indexes = nil
		if err := Normalize(view, nil, first); err != nil {
			return nil, prefixed(err, p.full.Name)
		}
		view.set[first.ID] = first
		// The full definition keeps the system fields the first pass added
		// (id in front, autodates behind) around the imported fields.
		orig := map[*Field]bool{}
		for _, f := range p.full.Fields {
			orig[f] = true
		}
		var prefix, suffix []*Field
		seenOrig := false
		for _, f := range first.Fields {
			switch {
			case orig[f]:
				seenOrig = true
			case seenOrig:
				suffix = append(suffix, f)
			default:
				prefix = append(prefix, f)
			}
		}
		p.full.Fields = append(append(prefix, p.full.Fields...), suffix...)
		plan, err := s.schema.Plan(ctx, Change{New: first, Schema: view, Actor: opts.Actor})
		if err != nil {
			return nil, err
		}
		plans = append(plans, plan)
		current[first.ID] = first
	}
	for _, p := range todo {
		old := p.old
		if old == nil {
			old = current[p.full.ID]
		}
		full := p.full
		renameIndexColumns(old, full)
		if err := Normalize(view, old, full); err != nil {
			return nil, prefixed(err, full.Name)
		}
		if err := s.checkRules(view, full); err != nil {
			return nil, prefixed(err, full.Name)
		}
		view.set[full.ID] = full
		if p.old == nil {
			// Merge the second pass into the creating plan's definition.
			full.Created = old.Created
		}
		plan, err := s.schema.Plan(ctx, Change{Old: old, New: full, Schema: view, AllowDataLoss: opts.AllowDataLoss, Actor: opts.Actor})
		if err != nil {
			return nil, err
		}
		if p.old == nil {
			plan.Old = nil // created in this transaction: nothing to compare against
		}
		if len(plan.Steps) > 0 || p.old != nil {
			plans = append(plans, plan)
		}
	}
	if deleteMissing {
		for _, c := range s.Collections() {
			if seen[c.ID] || c.System {
				continue
			}
			for _, other := range view.all() {
				for _, f := range other.Fields {
					if o, ok := f.Options.(*RelationOptions); ok && o.CollectionID == c.ID && other.ID != c.ID {
						return nil, Errorf(EINVALID, "Collection %q cannot be deleted: it is referenced by %s.%s.", c.Name, other.Name, f.Name)
					}
				}
			}
			plan, err := s.schema.Plan(ctx, Change{Old: c, Schema: view, Actor: opts.Actor})
			if err != nil {
				return nil, err
			}
			plans = append(plans, plan)
		}
	}
	if opts.DryRun {
		return plans, nil
	}
	return plans, s.apply(ctx, plans...)
}

func prefixed(err error, name string) error {
	if e, ok := err.(*Error); ok {
		return &Error{Code: e.Code, Message: fmt.Sprintf("Collection %q: %s", name, e.Message), Data: e.Data}
	}
	return err
}

func asInvalid(err error, what string) error {
	if e, ok := err.(*Error); ok {
		return e
	}
	return Errorf(EINVALID, "%s: %s.", what, jsonProblem(err))
}

// overlay is the schema as it will be after c is saved.
type overlay struct {
	base Lookup
	c    *Collection
}

func (o overlay) Collection(idOrName string) (*Collection, bool) {
	if idOrName == o.c.ID || strings.EqualFold(idOrName, o.c.Name) {
		return o.c, true
	}
	c, ok := o.base.Collection(idOrName)
	if ok && c.ID == o.c.ID {
		return o.c, true
	}
	return c, ok
}

// importView is the schema during an import: imported definitions shadow
// the stored ones.
type importView struct {
	base *Service
	set  map[string]*Collection
}

func (v *importView) Collection(idOrName string) (*Collection, bool) {
	if c, ok := v.set[idOrName]; ok {
		return c, true
	}
	for _, c := range v.set {
		if strings.EqualFold(c.Name, idOrName) {
			return c, true
		}
	}
	c, ok := v.base.Collection(idOrName)
	if ok {
		if shadow, ok := v.set[c.ID]; ok {
			return shadow, true
		}
	}
	return c, ok
}

func (v *importView) all() []*Collection {
	out := []*Collection{}
	for _, c := range v.base.Collections() {
		if shadow, ok := v.set[c.ID]; ok {
			out = append(out, shadow)
		} else {
			out = append(out, c)
		}
	}
	for id, c := range v.set {
		if _, ok := v.base.Collection(id); !ok {
			out = append(out, c)
		}
	}
	return out
}
