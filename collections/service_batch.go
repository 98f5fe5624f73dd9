package collections

import (
	"context"
	"fmt"
	"strings"
)

// SchemaBatch is a series of schema changes and record writes made in
// one transaction: what a migration does. Each change is planned and
// applied in the transaction as it is made, so the next one sees it (a
// record saved into a collection created just before, a field added to
// it); nothing is visible to others until the batch commits, and a
// failure leaves nothing behind. The collection before-hooks run in the
// transaction as for any schema change, the after-hooks once it
// committed.
type SchemaBatch struct {
	s     *Service
	ctx   context.Context
	tx    SchemaTx
	view  *importView
	recs  *Records
	plans []*Plan
	opts  SaveOptions
	store MigrationStore // a migration's: runs its SQL
}

// InSchemaBatch runs fn in one schema transaction, committed when fn
// returns nil (and rolled back otherwise). After the commit the schema
// cache is reloaded, the records' after-commit work runs and the
// collection after-hooks run, each collection once, as it ended.
func (s *Service) InSchemaBatch(ctx context.Context, opts SaveOptions, fn func(sb *SchemaBatch) error) error {
	tx, err := s.schema.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // after Commit: nothing to undo
	q := &afterCommit{}
	sb := &SchemaBatch{s: s, ctx: ctx, tx: tx, opts: opts,
		view: &importView{base: s, set: map[string]*Collection{}, gone: map[string]bool{}},
		recs: &Records{svc: s, store: tx.Records(), caller: System, inTx: true, queue: q}}
	sb.recs.look = sb.view
	if err := fn(sb); err != nil {
		q.rollback()
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		q.rollback()
		return err
	}
	if err := s.Reload(ctx); err != nil {
		return err
	}
	q.run()
	s.batchHooks(ctx, sb.plans)
	return nil
}

// Context is the context the batch runs with.
func (sb *SchemaBatch) Context() context.Context { return sb.ctx }

// Tx is the batch's transaction, for stores that write in it (the
// record of an applied migration).
func (sb *SchemaBatch) Tx() SchemaTx { return sb.tx }

// Records are record operations as the system inside the batch's
// transaction.
func (sb *SchemaBatch) Records() *Records { return sb.recs }

// Collection finds a collection by id or name as the batch sees the
// schema: with what it created, changed and deleted so far.
func (sb *SchemaBatch) Collection(idOrName string) (*Collection, bool) {
	return sb.view.Collection(idOrName)
}

// Collections returns every collection as the batch sees the schema.
func (sb *SchemaBatch) Collections() []*Collection { return sb.view.all() }

// Create creates c (a new collection: its id, if given, must be free)
// in the batch.
func (sb *SchemaBatch) Create(c *Collection) error {
	if c.ID != "" {
		if got, ok := sb.view.Collection(c.ID); ok && got.ID == c.ID {
			return Invalid("Failed to save the collection.", map[string]FieldError{
				"id": {Code: "validation_invalid_or_existing_id", Message: "The model id is invalid or already exists."}})
		}
	}
	return sb.s.hooks.collectionCreate.Trigger(&CollectionEvent{Context: sb.ctx, Collection: c, Records: sb.recs}, func(e *CollectionEvent) error {
		c := e.Collection
		if err := Normalize(sb.view, nil, c); err != nil {
			return prefixed(err, c.Name)
		}
		look := overlay{sb.view, c}
		if c.Type != TypeView {
			if err := sb.s.checkRules(look, c); err != nil {
				return prefixed(err, c.Name)
			}
		}
		plan, err := sb.tx.Plan(sb.ctx, Change{New: c, Schema: look, AllowDataLoss: sb.opts.AllowDataLoss, Actor: sb.opts.Actor})
		if err != nil {
			return prefixed(err, c.Name)
		}
		if c.Type == TypeView {
			if err := sb.s.checkRules(look, c); err != nil {
				return prefixed(err, c.Name)
			}
		}
		if err := sb.tx.Apply(sb.ctx, plan); err != nil {
			return prefixed(err, c.Name)
		}
		sb.view.set[c.ID] = c
		sb.plans = append(sb.plans, plan)
		return nil
	})
}

// Update replaces the definition of the collection c names (by id, else
// by name) with c, as a PocketBase collection save does: fields c leaves
// out are dropped (system fields stay).
func (sb *SchemaBatch) Update(c *Collection) error {
	old, ok := sb.find(c.ID, c.Name)
	if !ok {
		return Errorf(ENOTFOUND, "Missing collection %q.", firstOf(c.ID, c.Name))
	}
	c.ID, c.Created, c.Updated = old.ID, old.Created, old.Updated
	matchFieldIDs(old, c)
	return sb.s.hooks.collectionUpdate.Trigger(&CollectionEvent{Context: sb.ctx, Collection: c, Old: old, Records: sb.recs}, func(e *CollectionEvent) error {
		c := e.Collection
		renameIndexColumns(old, c)
		if err := Normalize(sb.view, old, c); err != nil {
			return prefixed(err, c.Name)
		}
		look := overlay{sb.view, c}
		if err := sb.s.checkRules(look, c); err != nil {
			return prefixed(err, c.Name)
		}
		plan, err := sb.tx.Plan(sb.ctx, Change{Old: old, New: c, Schema: look, AllowDataLoss: sb.opts.AllowDataLoss, Actor: sb.opts.Actor})
		if err != nil {
			return prefixed(err, c.Name)
		}
		if err := sb.tx.Apply(sb.ctx, plan); err != nil {
			return prefixed(err, c.Name)
		}
		sb.view.set[c.ID] = c
		sb.plans = append(sb.plans, plan)
		return nil
	})
}

// Delete drops the collection idOrName names and its records. It refuses
// system collections and collections others relate to.
func (sb *SchemaBatch) Delete(idOrName string) error {
	old, ok := sb.view.Collection(idOrName)
	if !ok {
		return Errorf(ENOTFOUND, "Missing collection %q.", idOrName)
	}
	if old.System {
		return Errorf(EINVALID, "System collections cannot be deleted.")
	}
	var refs []string
	for _, other := range sb.view.all() {
		if other.ID == old.ID {
			continue
		}
		for _, f := range other.Fields {
			if o, ok := f.Options.(*RelationOptions); ok && o.CollectionID == old.ID {
				refs = append(refs, fmt.Sprintf("%s.%s", other.Name, f.Name))
			}
		}
	}
	if len(refs) > 0 {
		return Errorf(EINVALID, "Collection %q cannot be deleted: it is referenced by %s.", old.Name, strings.Join(refs, ", "))
	}
	return sb.s.hooks.collectionDelete.Trigger(&CollectionEvent{Context: sb.ctx, Collection: old, Records: sb.recs}, func(e *CollectionEvent) error {
		sb.view.gone[old.ID] = true
		delete(sb.view.set, old.ID)
		plan, err := sb.tx.Plan(sb.ctx, Change{Old: old, Schema: sb.view, Actor: sb.opts.Actor})
		if err != nil {
			return prefixed(err, old.Name)
		}
		if err := sb.tx.Apply(sb.ctx, plan); err != nil {
			return prefixed(err, old.Name)
		}
		sb.plans = append(sb.plans, plan)
		return nil
	})
}

// matchFieldIDs gives a field of c whose id old does not know the id of
// old's field of the same name and type, as an import matches them: a
// definition written on another installation (whose system collections'
// fields have other ids) keeps the columns and their data.
func matchFieldIDs(old, c *Collection) {
	for _, f := range c.Fields {
		if _, ok := old.FieldByID(f.ID); ok && f.ID != "" {
			continue
		}
		of, ok := old.Field(f.Name)
		if !ok || of.Type != f.Type {
			continue
		}
		if _, taken := c.FieldByID(of.ID); taken {
			continue
		}
		f.ID = of.ID
	}
}

// schema is the schema r's filters and relation checks see: the cache,
// or in a schema batch the batch's view of it.
func (r *Records) schema() Lookup {
	if r.look != nil {
		return r.look
	}
	return r.svc
}

// find returns the collection of id, else of name, as the batch sees it.
func (sb *SchemaBatch) find(id, name string) (*Collection, bool) {
	if id != "" {
		if c, ok := sb.view.Collection(id); ok && c.ID == id {
			return c, true
		}
	}
	if name != "" {
		return sb.view.Collection(name)
	}
	return nil, false
}

// createdFirst orders ids so that each comes after the ids deps names
// for it (depth first, otherwise in the given order; a cycle is broken
// where it is met).
func createdFirst(ids []string, deps func(id string) []string) []string {
	out := make([]string, 0, len(ids))
	seen := map[string]bool{}
	var visit func(id string)
	visit = func(id string) {
		if seen[id] {
			return
		}
		seen[id] = true
		for _, d := range deps(id) {
			visit(d)
		}
		out = append(out, id)
	}
	for _, id := range ids {
		visit(id)
	}
	return out
}

func firstOf(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// batchHooks runs the collection after-hooks for what a batch or an
// import changed: each collection once, as it ended (none for one created
// and dropped again), a created collection after those it created that
// it relates to (so a migration written of each creation, in this order,
// applies).
func (s *Service) batchHooks(ctx context.Context, plans []*Plan) {
	type change struct{ old, new *Collection }
	var order []string
	changes := map[string]*change{}
	for _, p := range plans {
		c := p.New
		if c == nil {
			c = p.Old
		}
		ch, seen := changes[c.ID]
		if !seen {
			ch = &change{old: p.Old}
			changes[c.ID] = ch
			order = append(order, c.ID)
		}
		ch.new = p.New
	}
	order = createdFirst(order, func(id string) []string {
		ch := changes[id]
		if ch.old != nil || ch.new == nil {
			return nil
		}
		var deps []string
		for _, f := range ch.new.Fields {
			if o, ok := f.Options.(*RelationOptions); ok && o.CollectionID != id {
				if dep, ok := changes[o.CollectionID]; ok && dep.old == nil && dep.new != nil {
					deps = append(deps, o.CollectionID)
				}
			}
		}
		return deps
	})
	for _, id := range order {
		ch := changes[id]
		switch {
		case ch.new == nil && ch.old == nil:
		case ch.new == nil:
			if err := s.hooks.collectionAfterDelete.Trigger(&CollectionEvent{Context: ctx, Collection: ch.old}); err != nil {
				s.log.Error("after-collection hook", "collection", ch.old.Name, "err", err)
			}
		case ch.old == nil:
			s.collectionChanged(ctx, &s.hooks.collectionAfterCreate, id, nil)
		default:
			s.collectionChanged(ctx, &s.hooks.collectionAfterUpdate, id, ch.old)
		}
	}
}
