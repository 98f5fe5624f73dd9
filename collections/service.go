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

	"github.com/lumbunghq/lumbung/plugins/hook"
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
	check         func(s Lookup, c *Collection, rule string) error
	hooks         Hooks
	files         Files

	loads   atomic.Uint64 // Loads started
	mu      sync.RWMutex
	cached  uint64 // the number of the Load in the cache
	version int64  // the schema version the cache was loaded at
	byID    map[string]*Collection
	byName  map[string]*Collection // lower-cased names
	list    []*Collection
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
	// CheckRule, if set, validates an access rule of c (a filter expression)
	// against the schema s the change will produce.
	CheckRule func(s Lookup, c *Collection, rule string) error
	// Files keeps the files of records; without it, uploads are refused.
	Files Files
}

// NewService returns a Service with an empty schema cache; call Reload.
func NewService(cfg Config) *Service {
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	return &Service{schema: cfg.Schema, records: cfg.Records, log: log, hash: cfg.HashPassword, checkPassword: cfg.CheckPassword, check: cfg.CheckRule, files: cfg.Files,
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
	version, err := s.schema.Version(ctx)
	if err != nil {
		return nil, err
	}
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
			s.cached, s.version = n, version
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

// ErrMissingCollection is MustCollection's answer for a collection the
// cache does not hold.
var ErrMissingCollection = &Error{Code: ENOTFOUND, Message: "Missing collection context."}

// MustCollection returns the collection or ErrMissingCollection.
func (s *Service) MustCollection(idOrName string) (*Collection, error) {
	if c, ok := s.Collection(idOrName); ok {
		return c, nil
	}
	return nil, ErrMissingCollection
}

// Behind reports whether the database holds schema changes the cache has
// not loaded yet: made on another node, their notification still on its
// way.
func (s *Service) Behind(ctx context.Context) (bool, error) {
	v, err := s.schema.Version(ctx)
	if err != nil {
		return false, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return v > s.version, nil
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

// planner plans a schema change: SchemaStore.Plan for a dry run,
// SchemaTx.Plan inside a change.
type planner func(ctx context.Context, ch Change) (*Plan, error)

// inSchemaTx runs fn in one schema transaction: the before-hooks of a
// collection change, its plan, DDL and policies, and the records the
// hooks write through recs all commit together or not at all. Then the
// cache is reloaded and the records' after-commit work runs.
func (s *Service) inSchemaTx(ctx context.Context, fn func(tx SchemaTx, recs *Records) error) error {
	tx, err := s.schema.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // after Commit: nothing to undo
	q := &afterCommit{}
	if err := fn(tx, &Records{svc: s, store: tx.Records(), caller: System, inTx: true, queue: q}); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return err
	}
	if err := s.Reload(ctx); err != nil {
		return err
	}
	q.run()
	return nil
}

// CreateCollection plans and (unless DryRun) creates a collection,
// through the OnCollectionCreate hooks, in one transaction with them.
func (s *Service) CreateCollection(ctx context.Context, c *Collection, opts SaveOptions) (*Plan, error) {
	if opts.DryRun {
		return s.createCollection(ctx, s.schema.Plan, c, opts)
	}
	var plan *Plan
	err := s.inSchemaTx(ctx, func(tx SchemaTx, recs *Records) error {
		return s.hooks.collectionCreate.Trigger(&CollectionEvent{Context: ctx, Collection: c, Records: recs}, func(e *CollectionEvent) (err error) {
			if plan, err = s.createCollection(ctx, tx.Plan, e.Collection, opts); err != nil {
				return err
			}
			return tx.Apply(ctx, plan)
		})
	})
	if err != nil {
		return plan, err
	}
	s.collectionChanged(ctx, &s.hooks.collectionAfterCreate, c.ID, nil)
	return plan, nil
}

// createCollection checks c and plans its creation.
func (s *Service) createCollection(ctx context.Context, plan planner, c *Collection, opts SaveOptions) (*Plan, error) {
	if c.ID != "" && s.collectionByID(c.ID) != nil {
		return nil, Invalid("Failed to save the collection.", map[string]FieldError{
			"id": {Code: "validation_invalid_or_existing_id", Message: "The model id is invalid or already exists."}})
	}
	if err := Normalize(s, nil, c); err != nil {
		return nil, err
	}
	if c.Type != TypeView {
		if err := s.checkRules(overlay{s, c}, c); err != nil {
			return nil, err
		}
	}
	p, err := plan(ctx, Change{New: c, Schema: overlay{s, c}, AllowDataLoss: opts.AllowDataLoss, Actor: opts.Actor})
	if err != nil {
		return nil, err
	}
	if c.Type == TypeView {
		// A view's fields come from its query, known once it is planned.
		if err := s.checkRules(overlay{s, c}, c); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// collectionByID returns the stored collection with the given id, or nil
// (unlike Collection, it does not look at names).
func (s *Service) collectionByID(id string) *Collection {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.byID[id]
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
	if opts.DryRun {
		plan, err := s.updateCollection(ctx, s.schema.Plan, old, c, opts)
		return plan, c, err
	}
	var plan *Plan
	err = s.inSchemaTx(ctx, func(tx SchemaTx, recs *Records) error {
		return s.hooks.collectionUpdate.Trigger(&CollectionEvent{Context: ctx, Collection: c, Old: old, Records: recs}, func(e *CollectionEvent) (err error) {
			if plan, err = s.updateCollection(ctx, tx.Plan, old, e.Collection, opts); err != nil {
				return err
			}
			return tx.Apply(ctx, plan)
		})
	})
	if err != nil {
		return plan, nil, err
	}
	saved := s.collectionChanged(ctx, &s.hooks.collectionAfterUpdate, c.ID, old)
	return plan, saved, nil
}

// updateCollection checks c and plans the change of old into it.
func (s *Service) updateCollection(ctx context.Context, plan planner, old, c *Collection, opts SaveOptions) (*Plan, error) {
	renameIndexColumns(old, c)
	if err := Normalize(s, old, c); err != nil {
		return nil, err
	}
	if err := s.checkRules(overlay{s, c}, c); err != nil {
		return nil, err
	}
	return plan(ctx, Change{Old: old, New: c, Schema: overlay{s, c}, AllowDataLoss: opts.AllowDataLoss, Actor: opts.Actor})
}

// collectionChanged runs after-hooks for collection id as the cache now
// holds it, and returns it.
func (s *Service) collectionChanged(ctx context.Context, after *hook.Hook[*CollectionEvent], id string, old *Collection) *Collection {
	saved, _ := s.Collection(id)
	if saved == nil {
		return nil
	}
	if err := after.Trigger(&CollectionEvent{Context: ctx, Collection: saved, Old: old}); err != nil {
		s.log.Error("after-collection hook", "collection", saved.Name, "err", err)
	}
	return saved
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
		if c.Auth.MFA.Rule != "" {
			rules["mfa.rule"] = &c.Auth.MFA.Rule
		}
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
	if opts.DryRun {
		return s.schema.Plan(ctx, Change{Old: old, Schema: s, Actor: opts.Actor})
	}
	var plan *Plan
	err = s.inSchemaTx(ctx, func(tx SchemaTx, recs *Records) error {
		return s.hooks.collectionDelete.Trigger(&CollectionEvent{Context: ctx, Collection: old, Records: recs}, func(e *CollectionEvent) (err error) {
			if plan, err = tx.Plan(ctx, Change{Old: old, Schema: s, Actor: opts.Actor}); err != nil {
				return err
			}
			return tx.Apply(ctx, plan)
		})
	})
	if err != nil {
		return plan, err
	}
	if err := s.hooks.collectionAfterDelete.Trigger(&CollectionEvent{Context: ctx, Collection: old}); err != nil {
		s.log.Error("after-collection hook", "collection", old.Name, "err", err)
	}
	return plan, nil
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
	return s.Reload(ctx)
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
