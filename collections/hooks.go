package collections

import (
	"context"

	"github.com/lumbunghq/lumbung/plugins/hook"
)

// RecordEvent is a record write passing the write path: the before-hooks
// (OnRecordCreate, OnRecordUpdate, OnRecordDelete) run inside the write's
// transaction, the write itself is the last step of their chain, and the
// after-hooks run once the outermost transaction has committed.
type RecordEvent struct {
	hook.Event
	// Context is the context of the write.
	Context context.Context
	// Collection is the record's collection.
	Collection *Collection
	// Record is the record to create or the record as updated (a before-
	// hook may change its Data; the values are checked again before the
	// write), or the record to delete.
	Record *Record
	// Old is the stored record before an update; nil on create and delete.
	Old *Record
	// Records are the record operations of the writing transaction, as
	// the system: a before-hook reads and writes through them to act in
	// the same transaction. Nil in after-hooks (the transaction is over;
	// use the Service).
	Records *Records
	// Caller is who asked for the write.
	Caller Caller
	// Err is why the write failed, in the after-error hooks.
	Err error
}

// Tags implements hook.Tagger: the collection's id and name.
func (e *RecordEvent) Tags() []string { return []string{e.Collection.ID, e.Collection.Name} }

// EnrichEvent is a record about to leave the server for a caller, by any
// path (a list, a view, a write's answer, an expand, a realtime message).
// A hook may hide fields (Record.Hide) or change values; it cannot show
// what access control has hidden.
type EnrichEvent struct {
	hook.Event
	Context context.Context
	Record  *Record
	Caller  Caller
}

// Tags implements hook.Tagger: the collection's id and name.
func (e *EnrichEvent) Tags() []string {
	return []string{e.Record.Collection.ID, e.Record.Collection.Name}
}

// CollectionEvent is a schema change of one collection. The before-hooks
// run in the change's transaction before it is planned, and may change
// the collection, veto the change, or write records in the same
// transaction; the after-hooks run once it has committed.
type CollectionEvent struct {
	hook.Event
	Context context.Context
	// Collection is the collection as it will be (created or updated) or
	// as it was (deleted).
	Collection *Collection
	// Old is the collection before an update; nil otherwise.
	Old *Collection
	// Records are record operations, as the system, inside the schema
	// change's transaction: what a before-hook writes commits with the
	// change or not at all (after Next, a created collection's table
	// exists). Nil in after-hooks.
	Records *Records
}

// Tags implements hook.Tagger: the collection's id and name.
func (e *CollectionEvent) Tags() []string { return []string{e.Collection.ID, e.Collection.Name} }

// Hooks are the hook points of the collections domain. Tags name
// collections by id or name; no tags means every collection.
type Hooks struct {
	recordCreate, recordUpdate, recordDelete                hook.Hook[*RecordEvent]
	recordAfterCreate, recordAfterUpdate, recordAfterDelete hook.Hook[*RecordEvent]
	recordCreateError, recordUpdateError, recordDeleteError hook.Hook[*RecordEvent]
	recordEnrich                                            hook.Hook[*EnrichEvent]
	collectionCreate, collectionUpdate, collectionDelete    hook.Hook[*CollectionEvent]
	collectionAfterCreate, collectionAfterUpdate            hook.Hook[*CollectionEvent]
	collectionAfterDelete                                   hook.Hook[*CollectionEvent]
}

// OnRecordCreate runs before a record is inserted, inside the write's
// transaction; returning an error vetoes the create (a domain error such
// as Invalid reaches the client as it is).
func (h *Hooks) OnRecordCreate(tags ...string) *hook.TaggedHook[*RecordEvent] {
	return hook.NewTaggedHook(&h.recordCreate, tags...)
}

// OnRecordUpdate runs before a record is updated, inside the write's
// transaction; returning an error vetoes the update.
func (h *Hooks) OnRecordUpdate(tags ...string) *hook.TaggedHook[*RecordEvent] {
	return hook.NewTaggedHook(&h.recordUpdate, tags...)
}

// OnRecordDelete runs before a record is deleted, inside the write's
// transaction; returning an error vetoes the delete. Records the database
// deletes by cascade do not pass it (their after-hooks do not run either;
// the change log has them).
func (h *Hooks) OnRecordDelete(tags ...string) *hook.TaggedHook[*RecordEvent] {
	return hook.NewTaggedHook(&h.recordDelete, tags...)
}

// OnRecordAfterCreate runs after the transaction that created a record
// committed; never for a rolled back one. Its error is logged.
func (h *Hooks) OnRecordAfterCreate(tags ...string) *hook.TaggedHook[*RecordEvent] {
	return hook.NewTaggedHook(&h.recordAfterCreate, tags...)
}

// OnRecordAfterUpdate runs after the transaction that updated a record
// committed.
func (h *Hooks) OnRecordAfterUpdate(tags ...string) *hook.TaggedHook[*RecordEvent] {
	return hook.NewTaggedHook(&h.recordAfterUpdate, tags...)
}

// OnRecordAfterDelete runs after the transaction that deleted a record
// committed.
func (h *Hooks) OnRecordAfterDelete(tags ...string) *hook.TaggedHook[*RecordEvent] {
	return hook.NewTaggedHook(&h.recordAfterDelete, tags...)
}

// OnRecordAfterCreateError runs after a create failed — the record
// invalid, refused by a before-hook, or its statement failed —, once no
// transaction holds it any more (at once, or when the transaction it
// was in rolled back); Err says why. Refusals of access do not pass it.
// Its error is logged.
func (h *Hooks) OnRecordAfterCreateError(tags ...string) *hook.TaggedHook[*RecordEvent] {
	return hook.NewTaggedHook(&h.recordCreateError, tags...)
}

// OnRecordAfterUpdateError runs after an update failed, as
// OnRecordAfterCreateError after a create.
func (h *Hooks) OnRecordAfterUpdateError(tags ...string) *hook.TaggedHook[*RecordEvent] {
	return hook.NewTaggedHook(&h.recordUpdateError, tags...)
}

// OnRecordAfterDeleteError runs after a delete failed (refused by a
// before-hook, or its statement failed), as OnRecordAfterCreateError.
func (h *Hooks) OnRecordAfterDeleteError(tags ...string) *hook.TaggedHook[*RecordEvent] {
	return hook.NewTaggedHook(&h.recordDeleteError, tags...)
}

// OnRecordEnrich runs for every record before it leaves the server for a
// caller other than the system.
func (h *Hooks) OnRecordEnrich(tags ...string) *hook.TaggedHook[*EnrichEvent] {
	return hook.NewTaggedHook(&h.recordEnrich, tags...)
}

// OnCollectionCreate runs before a collection is created.
func (h *Hooks) OnCollectionCreate(tags ...string) *hook.TaggedHook[*CollectionEvent] {
	return hook.NewTaggedHook(&h.collectionCreate, tags...)
}

// OnCollectionUpdate runs before a collection is changed.
func (h *Hooks) OnCollectionUpdate(tags ...string) *hook.TaggedHook[*CollectionEvent] {
	return hook.NewTaggedHook(&h.collectionUpdate, tags...)
}

// OnCollectionDelete runs before a collection is deleted.
func (h *Hooks) OnCollectionDelete(tags ...string) *hook.TaggedHook[*CollectionEvent] {
	return hook.NewTaggedHook(&h.collectionDelete, tags...)
}

// OnCollectionAfterCreate runs after a collection's creation committed.
func (h *Hooks) OnCollectionAfterCreate(tags ...string) *hook.TaggedHook[*CollectionEvent] {
	return hook.NewTaggedHook(&h.collectionAfterCreate, tags...)
}

// OnCollectionAfterUpdate runs after a collection's change committed.
func (h *Hooks) OnCollectionAfterUpdate(tags ...string) *hook.TaggedHook[*CollectionEvent] {
	return hook.NewTaggedHook(&h.collectionAfterUpdate, tags...)
}

// OnCollectionAfterDelete runs after a collection's deletion committed.
func (h *Hooks) OnCollectionAfterDelete(tags ...string) *hook.TaggedHook[*CollectionEvent] {
	return hook.NewTaggedHook(&h.collectionAfterDelete, tags...)
}

// Enrich runs the OnRecordEnrich hooks for records about to be sent to
// caller, and for every record expanded inside them. The HTTP and
// realtime layers call it just before writing records out; a hook's
// error fails the response.
func (s *Service) Enrich(ctx context.Context, caller Caller, recs ...*Record) error {
	if s.hooks.recordEnrich.Length() == 0 {
		return nil
	}
	for _, rec := range recs {
		if rec == nil {
			continue
		}
		if err := s.hooks.recordEnrich.Trigger(&EnrichEvent{Context: ctx, Record: rec, Caller: caller}); err != nil {
			return err
		}
		for _, v := range rec.Expand {
			var err error
			switch x := v.(type) {
			case *Record:
				err = s.Enrich(ctx, caller, x)
			case []*Record:
				err = s.Enrich(ctx, caller, x...)
			}
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// Hooks returns the service's hook points.
func (s *Service) Hooks() *Hooks { return &s.hooks }

// Enrich runs the OnRecordEnrich hooks for records about to be sent to
// r's caller (see Service.Enrich).
func (r *Records) Enrich(ctx context.Context, recs ...*Record) error {
	return r.svc.Enrich(ctx, r.caller, recs...)
}
