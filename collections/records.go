package collections

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Records reads and writes records with validation, on behalf of one
// caller. It is bound to one RecordStore: the shared pool, or a
// transaction inside InTx.
type Records struct {
	svc    *Service
	store  RecordStore
	caller Caller
	req    *RequestInfo // the @request values rules and filters read
	inTx   bool         // store is bound to a transaction
	queue  *afterCommit // work to run once the outermost transaction commits
	actor  string       // the actor its writes are recorded as; "": the caller's
	look   Lookup       // the schema its filters and relation checks see; nil: the cache (see schema)
}

// SystemRecords returns record operations of the system itself: every
// access check passes. Use it only for what the server does on its own
// account (sign-in flows, bootstrap, hooks), never for a caller's request.
func (s *Service) SystemRecords() *Records {
	return &Records{svc: s, store: s.records, caller: System}
}

// RecordsAs returns record operations on behalf of caller. A nil caller
// is refused everything: the system acts as System.
func (s *Service) RecordsAs(caller Caller) *Records {
	if caller == nil {
		caller = nobody{}
	}
	return &Records{svc: s, store: s.records, caller: caller}
}

// InTx runs fn with system record operations bound to one transaction,
// committed when fn returns nil.
func (s *Service) InTx(ctx context.Context, fn func(*Records) error) error {
	return s.SystemRecords().InTx(ctx, fn)
}

// InTx runs fn with r's operations bound to one transaction, committed when
// fn returns nil, and then runs the work the writes queued for after the
// commit (after-hooks): once, after the outermost transaction. Inside a
// transaction it runs fn in it.
func (r *Records) InTx(ctx context.Context, fn func(*Records) error) error {
	if r.inTx {
		return fn(r)
	}
	q := r.queue
	if q == nil {
		q = &afterCommit{}
	}
	err := r.store.InTx(ctx, func(tx RecordStore) error {
		out := *r
		out.store, out.inTx, out.queue = tx, true, q
		return fn(&out)
	})
	if err != nil {
		if r.queue == nil {
			q.rollback()
		}
		return err
	}
	if r.queue == nil {
		q.run()
	}
	return nil
}

// Within returns r's operations (its caller, request and actor) bound to
// the store of other: inside other's transaction when other is in one,
// its writes joining that transaction's after-commit work.
func (r *Records) Within(other *Records) *Records {
	out := *r
	out.store, out.inTx, out.queue, out.look = other.store, other.inTx, other.queue, other.look
	return &out
}

// WithRequest returns r with the request the operations serve: rules and
// filters read its context, method, query and headers as @request.*; the
// body they read is the input of a create or update.
func (r *Records) WithRequest(info *RequestInfo) *Records {
	out := *r
	out.req = info
	return &out
}

// SQL runs one statement of the app's own code, as PocketBase's
// $app.db() does for JS hooks: text from the code, values bound to its
// $1…; in r's transaction when r is in one, its writes recorded in the
// change log as r's. Only the system may: nothing checks access.
func (r *Records) SQL(ctx context.Context, sql string, args ...any) ([]map[string]any, error) {
	if u, ok := r.caller.(Unrestricted); !ok || u.AuthRecord != nil {
		return nil, Errorf(EFORBIDDEN, "Only the system may run SQL.")
	}
	return r.store.SQL(r.stamp(ctx), sql, args)
}

// MaxPerPage is the largest page size a list returns.
const MaxPerPage = 1000

// List returns one page of the records of c the caller may list; fields the
// caller may not read are left out of each record.
func (r *Records) List(ctx context.Context, c *Collection, q Query) (*Page, error) {
	if q.Page < 1 {
		q.Page = 1
	}
	switch {
	case q.PerPage <= 0:
		q.PerPage = 30
	case q.PerPage > MaxPerPage:
		q.PerPage = MaxPerPage
	}
	if q.Now.IsZero() {
		q.Now = time.Now().UTC()
	}
	acc, scope, err := r.decide(c, ActionList, q.Now, nil)
	if err != nil {
		return nil, err
	}
	q.Scope = scope
	r.callerQuery(&q, c, ActionList)
	page, err := r.store.List(ctx, r.schema(), c, q)
	if err != nil {
		return nil, err
	}
	for _, rec := range page.Items {
		rec.Restrict(acc.Fields)
	}
	r.hideEmails(page.Items)
	return page, nil
}

// Get returns one record of c if the caller may view it (ENOTFOUND
// otherwise, as if it did not exist).
func (r *Records) Get(ctx context.Context, c *Collection, id string) (*Record, error) {
	return r.Find(ctx, c, id, ActionView)
}

// Find returns one record of c if the caller's access for action (view,
// or list: the record as a list would show it) grants it; ENOTFOUND
// otherwise.
func (r *Records) Find(ctx context.Context, c *Collection, id, action string) (*Record, error) {
	acc, scope, err := r.decide(c, action, time.Now().UTC(), nil)
	if err != nil {
		return nil, err
	}
	rec, err := r.store.Get(ctx, r.schema(), c, id, scope)
	if err != nil {
		return nil, err
	}
	rec.Restrict(acc.Fields)
	r.hideEmails([]*Record{rec})
	return rec, nil
}

// FindByEmail returns the record of auth collection c with that email.
func (r *Records) FindByEmail(ctx context.Context, c *Collection, email string) (*Record, error) {
	if c.Type != TypeAuth {
		return nil, Errorf(EINVALID, "%q is not an auth collection.", c.Name)
	}
	return r.store.FindByEmail(ctx, c, email)
}

// Create validates input (decoded JSON or form values keyed by field name)
// and inserts a record, if the caller may create it: the record about to
// be stored must satisfy one of the caller's create conditions, checked
// against the database as it is before the insert (as PocketBase checks a
// createRule), with input as @request.body.
func (r *Records) Create(ctx context.Context, c *Collection, input map[string]any) (*Record, error) {
	if c.Type == TypeView {
		return nil, Errorf(EINVALID, "View collections are read only.")
	}
	now := time.Now().UTC().Truncate(time.Millisecond)
	acc, scope, err := r.decide(c, ActionCreate, now, input)
	if err != nil {
		return nil, err
	}
	input = r.withoutHidden(c, input)
	if err := r.checkWritable(c, acc.Fields, input, true); err != nil {
		return nil, err
	}
	rec := NewRecord(c)
	if err := r.fill(ctx, c, rec, nil, input, now); err != nil {
		r.failed(ctx, &r.svc.hooks.recordCreateError, rec, nil, err)
		return nil, err
	}
	denied := false
	err = r.create(ctx, scope.Unlimited(), func(tx *Records) error {
		if !scope.Unlimited() {
			ok, err := tx.store.Admits(ctx, r.schema(), rec, scope)
			if err != nil {
				return err
			}
			if !ok { // PocketBase's answer when a create rule does not hold
				denied = true
				return Errorf(EINVALID, "Failed to create record.")
			}
		}
		return tx.save(ctx, rec, nil)
	})
	if err != nil {
		if !denied {
			r.failed(ctx, &r.svc.hooks.recordCreateError, rec, nil, err)
		}
		return nil, err
	}
	r.restrictForView(c, rec)
	return rec, nil
}

// Update applies input (with PocketBase's "field+", "+field" and "field-"
// modifiers) to the record and saves it. The record must satisfy one of the
// caller's update conditions before and after the change, with input as
// @request.body (whose :changed compares with the record before it).
func (r *Records) Update(ctx context.Context, c *Collection, id string, input map[string]any) (*Record, error) {
	if c.Type == TypeView {
		return nil, Errorf(EINVALID, "View collections are read only.")
	}
	now := time.Now().UTC().Truncate(time.Millisecond)
	acc, scope, err := r.decide(c, ActionUpdate, now, input)
	if err != nil {
		return nil, err
	}
	input = r.withoutHidden(c, input)
	if err := r.checkWritable(c, acc.Fields, input, false); err != nil {
		return nil, err
	}
	var rec, before *Record
	var failure error // of the write itself, not of access
	// Always in a transaction with the row locked: modifiers such as
	// "views+" read the old value, and concurrent updates must not lose one.
	err = r.InTx(ctx, func(tx *Records) error {
		ids, err := tx.store.Matching(ctx, r.schema(), c, []string{id}, scope, true)
		if err != nil {
			return err
		}
		if len(ids) == 0 {
			return Errorf(ENOTFOUND, "The requested resource wasn't found.")
		}
		old, err := tx.store.Get(ctx, r.schema(), c, id, nil)
		if err != nil {
			return err
		}
		rec, before = old.copy(), old
		if failure = tx.fill(ctx, c, rec, old, input, now); failure != nil {
			return failure
		}
		if failure = tx.save(ctx, rec, old); failure != nil {
			return failure
		}
		after := scope
		if scope != nil {
			s := *scope
			s.Stored = old.Data
			after = &s
		}
		return tx.requireMatch(ctx, c, id, after, "You are not allowed to make this change.")
	})
	if err != nil {
		if failure != nil {
			r.failed(ctx, &r.svc.hooks.recordUpdateError, rec, before, err)
		}
		return nil, err
	}
	r.restrictForView(c, rec)
	return rec, nil
}

// Delete removes a record the caller may delete, with the records that
// reference it: those whose relation cascades are deleted, the others
// lose the reference (see remove).
func (r *Records) Delete(ctx context.Context, c *Collection, id string) error {
	if c.Type == TypeView {
		return Errorf(EINVALID, "View collections are read only.")
	}
	_, scope, err := r.decide(c, ActionDelete, time.Now().UTC(), nil)
	if err != nil {
		return err
	}
	var failure error // of the delete itself, not of access
	err = r.InTx(ctx, func(tx *Records) error {
		if err := tx.requireMatch(ctx, c, id, scope, ""); err != nil {
			return err
		}
		if c.Name == SuperusersName {
			// The count holds until the delete commits.
			if err := tx.keepLastSuperuser(ctx, c, id); err != nil {
				return err
			}
		}
		failure = tx.remove(ctx, c, id, nil)
		return failure
	})
	if err != nil && failure != nil {
		rec := NewRecord(c)
		rec.Data["id"] = id
		r.failed(ctx, &r.svc.hooks.recordDeleteError, rec, nil, err)
	}
	return err
}

// fill validates input into rec. old is nil on create.
func (r *Records) fill(ctx context.Context, c *Collection, rec *Record, old *Record, input map[string]any, now time.Time) error {
	errs := map[string]FieldError{}
	for _, f := range c.Fields {
		if f.Type == "autodate" {
			o := f.Options.(*AutodateOptions)
			if (old == nil && o.OnCreate) || (old != nil && o.OnUpdate) {
				rec.Data[f.Name] = now
			} else if old == nil {
				rec.Data[f.Name] = nil
			}
			continue
		}
		if f.Name == "id" && old != nil {
			continue // ids never change
		}
		if f.Name == "tokenKey" && c.Type == TypeAuth {
			continue // only the server sets it (fillAuth)
		}
		raw, set := input[f.Name]
		if f.Type == "file" {
			for _, k := range []string{f.Name, f.Name + "+", "+" + f.Name} {
				rec.collectUploads(input[k])
			}
		}
		if !set {
			if old == nil {
				v, _ := f.Prepare(nil)
				rec.Data[f.Name] = v
			}
		} else {
			v, ferr := f.Prepare(raw)
			if ferr != nil {
				errs[f.Name] = *ferr
				continue
			}
			rec.Data[f.Name] = v
		}
		if ferr := applyModifiers(f, rec, input); ferr != nil {
			errs[f.Name] = *ferr
		}
	}
	if old == nil {
		// Empty text fields with an autogenerate pattern get a value, the
		// id first of all (as in PocketBase).
		for _, f := range c.Fields {
			o, ok := f.Options.(*TextOptions)
			if _, failed := errs[f.Name]; !ok || failed || o.AutogeneratePattern == "" || (f.Name == "tokenKey" && c.Type == TypeAuth) {
				continue
			}
			if v, _ := rec.Data[f.Name].(string); v == "" {
				rec.Data[f.Name] = o.Autogenerate()
			}
		}
		if _, failed := errs["id"]; !failed && IsEmpty(rec.Data["id"]) {
			// An id field without an autogenerate pattern wants the
			// client's id, as in PocketBase.
			errs["id"] = FieldError{Code: "validation_required", Message: "Cannot be blank."}
		}
	}
	if c.Type == TypeAuth {
		if err := r.fillAuth(rec, old, input, errs); err != nil {
			return err
		}
		if err := r.checkManaged(ctx, c, rec, old, input, errs, now); err != nil {
			return err
		}
	}
	for _, f := range c.Fields {
		if _, failed := errs[f.Name]; failed || !f.Required || f.Type == "autodate" {
			continue
		}
		if f.Type == "password" && old != nil {
			continue
		}
		if f.IsEmpty(rec.Data[f.Name]) {
			errs[f.Name] = FieldError{Code: "validation_required", Message: "Cannot be blank."}
		} else if o, ok := f.Options.(*RelationOptions); ok && o.Multi() && len(IDs(rec.Data[f.Name])) < o.MinSelect {
			errs[f.Name] = FieldError{Code: "validation_not_enough_values", Message: fmt.Sprintf("Select at least %d.", o.MinSelect)}
		}
	}
	checkFiles(c, rec, old, errs)
	if err := r.checkRelations(ctx, c, rec, old, errs); err != nil {
		return err
	}
	if len(errs) > 0 {
		return Invalid("Failed to "+map[bool]string{true: "create", false: "update"}[old == nil]+" record.", errs)
	}
	return nil
}

// checkRelations reports relation fields whose ids are not all records of
// the target collection, beside the other validation errors. Unchanged
// values are not checked again.
func (r *Records) checkRelations(ctx context.Context, c *Collection, rec, old *Record, errs map[string]FieldError) error {
	for _, f := range c.Fields {
		o, ok := f.Options.(*RelationOptions)
		if !ok {
			continue
		}
		if _, failed := errs[f.Name]; failed {
			continue
		}
		ids := IDs(rec.Data[f.Name])
		if len(ids) == 0 || (old != nil && slices.Equal(ids, IDs(old.Data[f.Name]))) {
			continue
		}
		target, ok := r.schema().Collection(o.CollectionID)
		if !ok {
			return fmt.Errorf("relation %s.%s: unknown target %q", c.Name, f.Name, o.CollectionID)
		}
		n, err := r.store.CountExisting(ctx, target, ids)
		if err != nil {
			return err
		}
		if n != len(ids) {
			errs[f.Name] = FieldError{Code: "validation_missing_rel_records", Message: "Failed to find all relation records with the provided ids."}
		}
	}
	return nil
}

// fillAuth hashes a new password and rotates the token key when it changes,
// which invalidates every token issued before.
func (r *Records) fillAuth(rec, old *Record, input map[string]any, errs map[string]FieldError) error {
	if old == nil {
		rec.Data["tokenKey"] = randomString(50)
	}
	pw, _ := rec.Data["password"].(string)
	if _, set := input["password"]; !set || pw == "" {
		if old != nil {
			rec.Data["password"] = old.Data["password"]
		}
		return nil
	}
	if _, failed := errs["password"]; failed {
		return nil
	}
	if confirm, given := input["passwordConfirm"]; given && confirm != pw {
		errs["passwordConfirm"] = FieldError{Code: "validation_values_mismatch", Message: "Values don't match."}
		return nil
	}
	if old != nil && !r.unrestricted() {
		// A user changing its own password proves it knows the old one.
		current, _ := old.Data["password"].(string)
		given, _ := input["oldPassword"].(string)
		if r.svc.checkPassword == nil || !r.svc.checkPassword(current, given) {
			errs["oldPassword"] = FieldError{Code: "validation_invalid_old_password", Message: "Missing or invalid old password."}
			return nil
		}
	}
	if r.svc.hash == nil {
		return fmt.Errorf("collections: no password hasher configured")
	}
	h, err := r.svc.hash(pw)
	if err != nil {
		return err
	}
	rec.Data["password"] = h
	if old != nil {
		rec.Data["tokenKey"] = randomString(50)
	}
	return nil
}

// applyModifiers applies "field+" / "+field" (add, append, prepend) and
// "field-" (subtract, remove) to the value in rec. On a single select or
// relation the list they make keeps its last value, as in PocketBase.
func applyModifiers(f *Field, rec *Record, input map[string]any) *FieldError {
	for _, mod := range []string{f.Name + "+", "+" + f.Name, f.Name + "-"} {
		raw, ok := input[mod]
		if !ok {
			continue
		}
		storage := f.Storage()
		if f.Type == "file" {
			cur := FileNames(rec.Data[f.Name])
			items := FileNames(raw)
			if !validFileValue(raw) {
				return &FieldError{Code: "validation_invalid_value", Message: "Must be a file name or a list of them."}
			}
			next := cur
			switch {
			case strings.HasPrefix(mod, "+"):
				next = append(slices.Clone(items), cur...)
			case strings.HasSuffix(mod, "+"):
				next = append(slices.Clone(cur), items...)
			default:
				next = slices.DeleteFunc(slices.Clone(cur), func(n string) bool { return slices.Contains(items, n) })
			}
			v, ferr := f.Prepare(next)
			if ferr != nil {
				return ferr
			}
			rec.Data[f.Name] = v
			continue
		}
		if f.Type == "select" || f.Type == "relation" {
			storage = StorageTextArray
		}
		switch storage {
		case StorageNumber:
			n, ferr := toNumber(raw)
			if ferr != nil {
				return ferr
			}
			cur, _ := rec.Data[f.Name].(float64)
			if strings.HasSuffix(mod, "-") {
				n = -n
			}
			v, ferr := f.Prepare(cur + n)
			if ferr != nil {
				return ferr
			}
			rec.Data[f.Name] = v
		case StorageTextArray:
			items, ferr := toStringList(raw)
			if ferr != nil {
				return ferr
			}
			cur := IDs(rec.Data[f.Name])
			var next []string
			switch {
			case strings.HasPrefix(mod, "+"):
				next = append(append([]string{}, items...), cur...)
			case strings.HasSuffix(mod, "+"):
				next = append(append([]string{}, cur...), items...)
			default:
				for _, id := range cur {
					if !slices.Contains(items, id) {
						next = append(next, id)
					}
				}
			}
			v, ferr := f.Prepare(next)
			if ferr != nil {
				return ferr
			}
			rec.Data[f.Name] = v
		default:
			return &FieldError{Code: "validation_invalid_modifier", Message: fmt.Sprintf("%q does not support the %q modifier.", f.Name, mod)}
		}
	}
	return nil
}
