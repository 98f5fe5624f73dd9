package collections

import (
	"context"
	"slices"
	"time"

	"github.com/lumbunghq/lumbung/plugins/hook"
)

// The write path. Every record write — a caller's create, update or
// delete, a batch, the auth flows, a hook's or plugin's own writes, and
// the records a delete cascades to — passes save or remove, inside a
// transaction: the before-hooks run there with the store write as the last
// step of their chain, and the after-hooks are queued and run once the
// outermost transaction has committed (never for one rolled back).

// afterCommit is the work queued by the writes of one transaction: fns
// to run once it commits, undo once it does not (files stored for it).
type afterCommit struct{ fns, undo []func() }

// run runs the queued work in order.
func (q *afterCommit) run() {
	for _, fn := range q.fns {
		fn()
	}
	q.fns, q.undo = nil, nil
}

// rollback runs the undo work, in reverse order.
func (q *afterCommit) rollback() {
	for i := len(q.undo) - 1; i >= 0; i-- {
		q.undo[i]()
	}
	q.fns, q.undo = nil, nil
}

// create runs fn, a create, in a transaction, then the after-commit work
// it queued. A create whose access needs no check against the database
// (unlimited) and that no before-hook may extend is one statement, run as
// its own transaction: the same guarantees without a BEGIN and COMMIT of
// their own.
func (r *Records) create(ctx context.Context, unlimited bool, fn func(*Records) error) error {
	if r.inTx || !unlimited || r.svc.hooks.recordCreate.Length() > 0 {
		return r.InTx(ctx, fn)
	}
	q := &afterCommit{}
	w := *r
	w.queue = q
	if err := fn(&w); err != nil {
		q.rollback()
		return err
	}
	q.run()
	return nil
}

// save writes rec through the record hooks: an insert when old is nil,
// else an update of old. r must be bound to a transaction (or be the one
// statement of create).
func (r *Records) save(ctx context.Context, rec, old *Record) error {
	ctx = r.stamp(ctx)
	h := &r.svc.hooks
	e := &RecordEvent{Context: ctx, Collection: rec.Collection, Record: rec, Old: old, Records: r.system(), Caller: r.caller}
	before, after := &h.recordCreate, &h.recordAfterCreate
	store := r.store.Insert
	if old != nil {
		before, after, store = &h.recordUpdate, &h.recordAfterUpdate, r.store.Update
	}
	err := before.Trigger(e, func(e *RecordEvent) error {
		if err := r.putUploads(ctx, e.Record); err != nil {
			return err
		}
		return store(ctx, e.Record)
	})
	if err != nil {
		return err
	}
	r.later(func() {
		done := &RecordEvent{Context: context.WithoutCancel(ctx), Collection: e.Collection, Record: e.Record.copy(), Old: old, Caller: r.caller}
		if err := after.Trigger(done); err != nil {
			r.svc.log.Error("after-save hook", "collection", e.Collection.Name, "id", e.Record.ID(), "err", err)
		}
	})
	return nil
}

// remove deletes record id of c through the record hooks, after the
// records referencing it: those whose relation cascades are removed the
// same way, the others lose the reference (an update). A required single
// reference is left for the database to refuse. seen holds the records
// this delete already removes (cycles of cascades).
func (r *Records) remove(ctx context.Context, c *Collection, id string, seen map[string]bool) error {
	if seen == nil {
		seen = map[string]bool{}
	}
	ctx = r.stamp(ctx)
	seen[c.ID+"/"+id] = true
	if err := r.cascade(ctx, c, id, seen); err != nil {
		return err
	}
	h := &r.svc.hooks
	rec := NewRecord(c)
	rec.Data["id"] = id
	if h.recordDelete.Length() > 0 {
		stored, err := r.store.Get(ctx, r.svc, c, id, nil)
		if err != nil {
			return err
		}
		rec = stored
	}
	e := &RecordEvent{Context: ctx, Collection: c, Record: rec, Records: r.system(), Caller: r.caller}
	err := h.recordDelete.Trigger(e, func(e *RecordEvent) error {
		gone, err := r.store.Delete(ctx, c, id)
		if err == nil {
			e.Record = gone
		}
		return err
	})
	if err != nil {
		return err
	}
	r.later(func() {
		done := &RecordEvent{Context: context.WithoutCancel(ctx), Collection: c, Record: e.Record, Caller: r.caller}
		if err := h.recordAfterDelete.Trigger(done); err != nil {
			r.svc.log.Error("after-delete hook", "collection", c.Name, "id", id, "err", err)
		}
	})
	return nil
}

// cascade applies a delete of record id of c to the records referencing
// it, through the write path, as PocketBase does: the database would do
// the same (foreign keys and triggers remain for plain SQL), but without
// hooks.
func (r *Records) cascade(ctx context.Context, c *Collection, id string, seen map[string]bool) error {
	for _, rc := range r.svc.Collections() {
		if rc.Type == TypeView {
			continue
		}
		for _, f := range rc.Fields {
			o, ok := f.Options.(*RelationOptions)
			if !ok || o.CollectionID != c.ID || (!o.CascadeDelete && !o.Multi() && f.Required) {
				continue
			}
			refs, err := r.store.Referencing(ctx, r.svc, rc, f, []string{id}, maxCascade, false, nil)
			if err != nil {
				return err
			}
			for _, ref := range refs {
				if seen[rc.ID+"/"+ref.ID()] {
					continue
				}
				if o.CascadeDelete {
					if err := r.remove(ctx, rc, ref.ID(), seen); err != nil {
						return err
					}
					continue
				}
				next := ref.copy()
				if o.Multi() {
					next.Data[f.Name] = slices.DeleteFunc(slices.Clone(IDs(ref.Data[f.Name])), func(v string) bool { return v == id })
				} else {
					next.Data[f.Name] = ""
				}
				next.touch(time.Now().UTC().Truncate(time.Millisecond))
				if err := r.save(ctx, next, ref); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// maxCascade is how many referencing records of one relation a delete
// passes through the write path; the database handles any beyond.
const maxCascade = 10000

// failed runs the after-error hook hk of rec's write, which failed with
// err: at once, or when the transaction r is in rolls back.
func (r *Records) failed(ctx context.Context, hk *hook.Hook[*RecordEvent], rec, old *Record, err error) {
	if hk.Length() == 0 {
		return
	}
	e := &RecordEvent{Context: context.WithoutCancel(ctx), Collection: rec.Collection, Record: rec.copy(), Old: old, Caller: r.caller, Err: err}
	run := func() {
		if herr := hk.Trigger(e); herr != nil {
			r.svc.log.Error("after-error hook", "collection", e.Collection.Name, "id", e.Record.ID(), "err", herr)
		}
	}
	if r.inTx {
		r.undo(run)
		return
	}
	run()
}

// later queues fn to run after the outermost transaction commits.
func (r *Records) later(fn func()) {
	if r.queue == nil { // not reached: writes run inside InTx or write
		panic("collections: a record write outside the write path")
	}
	r.queue.fns = append(r.queue.fns, fn)
}

// undo queues fn to run if the outermost transaction does not commit.
func (r *Records) undo(fn func()) {
	if r.queue == nil { // not reached: writes run inside InTx or write
		panic("collections: a record write outside the write path")
	}
	r.queue.undo = append(r.queue.undo, fn)
}

// system returns r's transaction and queue acting as the system: what a
// hook reads and writes through.
func (r *Records) system() *Records {
	out := *r
	out.caller, out.req = System, nil
	return &out
}

// copy returns a record with the same collection and a copy of the data.
func (rec *Record) copy() *Record {
	out := NewRecord(rec.Collection)
	for k, v := range rec.Data {
		out.Data[k] = v
	}
	return out
}

// touch sets the autodate fields that follow updates to now.
func (rec *Record) touch(now time.Time) {
	for _, f := range rec.Collection.Fields {
		if o, ok := f.Options.(*AutodateOptions); ok && o.OnUpdate {
			rec.Data[f.Name] = now
		}
	}
}
