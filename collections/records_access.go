package collections

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"
)

// decide asks the caller for access to an action and turns it into a store
// scope whose conditions read the request (with body as @request.body, for
// a create or update). Denied actions are EFORBIDDEN, as PocketBase answers
// a missing rule.
func (r *Records) decide(c *Collection, action string, now time.Time, body map[string]any) (Access, *Scope, error) {
	if r.unrestricted() {
		return Access{Allowed: true}, nil, nil
	}
	acc := r.caller.Access(c, action)
	if !acc.Allowed {
		return acc, nil, Errorf(EFORBIDDEN, "Only superusers can perform this action.")
	}
	if len(acc.Conditions) == 0 {
		return acc, nil, nil
	}
	return acc, &Scope{Conditions: acc.Conditions, Auth: r.authFor(acc.Conditions...), Request: r.request(body), Now: now}, nil
}

// request is what rules read as @request.* besides auth: the request the
// operations serve, with body for a create or update.
func (r *Records) request(body map[string]any) *RequestInfo {
	if body == nil {
		return r.req
	}
	return r.req.WithBody(uploadsAsNames(body))
}

// uploadsAsNames returns body with each upload replaced by the name it
// will be stored under: what rules read of an uploaded file, as of a kept
// one. body itself is not changed.
func uploadsAsNames(body map[string]any) map[string]any {
	var out map[string]any
	for k, v := range body {
		switch x := v.(type) {
		case *Upload, []*Upload:
		case []any:
			if !slices.ContainsFunc(x, func(item any) bool { _, ok := item.(*Upload); return ok }) {
				continue
			}
		default:
			continue
		}
		if out == nil {
			out = maps.Clone(body)
		}
		names := FileNames(v)
		if _, single := v.(*Upload); single && len(names) == 1 {
			out[k] = names[0]
			continue
		}
		list := make([]any, len(names))
		for i, n := range names {
			list[i] = n
		}
		out[k] = list
	}
	if out == nil {
		return body
	}
	return out
}

// authFor returns the caller's @request.auth.* values when one of the
// filter expressions names them, else nil: building them costs, and most
// filters and conditions do not use them.
func (r *Records) authFor(exprs ...string) map[string]any {
	for _, e := range exprs {
		if strings.Contains(e, "@request") {
			return r.caller.Auth()
		}
	}
	return nil
}

// callerQuery reads the filter and sort of q on root as the caller's
// under action (list, or view for a single record's subscription): they
// may name only fields it may read (root's by that action's access, as
// PocketBase's listRule governs a list's filter and sort), reach through
// relations only records it may view, and see the emails it would get
// back.
func (r *Records) callerQuery(q *Query, root *Collection, action string) {
	q.CanRead = r.canReadAs(root, action)
	q.Request = r.req
	// A superuser's filter reads its own record as @request.auth, as in
	// PocketBase; the system has none.
	q.Auth = r.authFor(q.Filter)
	if r.unrestricted() {
		return
	}
	q.HideEmails = true
	q.Visible = r.viewAccess
	// A path through a relation applies that collection's view
	// conditions, which may name @request.auth.
	if q.Auth == nil && strings.ContainsRune(q.Filter+q.Sort, '.') {
		q.Auth = r.caller.Auth()
	}
}

func (r *Records) viewAccess(c *Collection) Access { return r.caller.Access(c, ActionView) }

// Passing returns which of ids are records of c that pass filterSrc, read
// as the caller's filter under action (list or view; see callerQuery).
// Access to c itself is not checked: the caller checks it separately.
func (r *Records) Passing(ctx context.Context, c *Collection, action string, ids []string, filterSrc string, now time.Time) ([]string, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	q := Query{Filter: filterSrc, IDs: ids, Page: 1, PerPage: len(ids), SkipTotal: true, Now: now}
	r.callerQuery(&q, c, action)
	page, err := r.store.List(ctx, r.svc, c, q)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(page.Items))
	for i, rec := range page.Items {
		out[i] = rec.ID()
	}
	return out, nil
}

// canRead tells filters and sorts which fields the caller may name: fields
// it may view, on the listed collection and on every related one a path
// passes through. The system and superusers may name hidden fields too;
// nobody may name secrets.
func (r *Records) canRead(c *Collection, field string) bool {
	return r.readableAs(c, field, ActionView)
}

// canReadAs is canRead with root's fields read under action (list or
// view) and every other collection's under view.
func (r *Records) canReadAs(root *Collection, action string) func(*Collection, string) bool {
	if action == ActionView {
		return r.canRead
	}
	return func(c *Collection, field string) bool {
		if c == root {
			return r.readableAs(c, field, action)
		}
		return r.readableAs(c, field, ActionView)
	}
}

// readableAs reports whether the caller may read field of c under action.
func (r *Records) readableAs(c *Collection, field, action string) bool {
	f, ok := c.Field(field)
	if ok && f.Secret(c) {
		return false
	}
	if r.unrestricted() {
		return true
	}
	if ok && f.Hidden {
		return false
	}
	acc := r.caller.Access(c, action)
	return acc.Allowed && (acc.Fields == nil || slices.Contains(acc.Fields, field) || field == "id")
}

// requireMatch fails unless record id of c lies inside scope: ENOTFOUND
// when deny is "" (the record is not there for the caller), else
// EFORBIDDEN with deny as the message.
func (r *Records) requireMatch(ctx context.Context, c *Collection, id string, scope *Scope, deny string) error {
	if scope.Unlimited() {
		return nil
	}
	ids, err := r.store.Matching(ctx, r.svc, c, []string{id}, scope, deny == "")
	if err != nil {
		return err
	}
	if len(ids) == 1 {
		return nil
	}
	if deny == "" {
		return Errorf(ENOTFOUND, "The requested resource wasn't found.")
	}
	return Errorf(EFORBIDDEN, "%s", deny)
}

// restrictForView narrows a written record to the fields the caller may
// view before it is returned.
func (r *Records) restrictForView(c *Collection, rec *Record) {
	if r.unrestricted() {
		return
	}
	acc := r.caller.Access(c, ActionView)
	if !acc.Allowed {
		rec.Restrict([]string{"id"})
		return
	}
	rec.Restrict(acc.Fields)
	r.hideEmails([]*Record{rec})
}

// checkWritable refuses input naming fields outside the caller's writable
// list (nil: all), modifiers included, and verified on a record created by
// anyone but the system and superusers (on update, checkVerified).
func (r *Records) checkWritable(c *Collection, fields []string, input map[string]any, creating bool) error {
	if r.unrestricted() {
		return nil
	}
	if _, set := input["verified"]; set && creating && c.Type == TypeAuth {
		return errVerified
	}
	if fields == nil {
		return nil
	}
	var denied []string
	for k := range input {
		name := strings.TrimSuffix(strings.TrimSuffix(strings.TrimPrefix(k, "+"), "+"), "-")
		if _, ok := c.Field(name); !ok {
			continue // unknown keys are ignored, as PocketBase does
		}
		if !slices.Contains(fields, name) {
			denied = append(denied, name)
		}
	}
	if len(denied) == 0 {
		return nil
	}
	sort.Strings(denied)
	errs := map[string]FieldError{}
	for _, name := range denied {
		errs[name] = FieldError{Code: "validation_forbidden_field", Message: "You are not allowed to set this field."}
	}
	return &Error{Code: EFORBIDDEN, Message: fmt.Sprintf("You are not allowed to set %s.", strings.Join(denied, ", ")), Data: errs}
}

// Restrict limits the fields written by AppendJSON to fields (and the id);
// nil leaves every field.
func (r *Record) Restrict(fields []string) {
	if fields == nil {
		return
	}
	allowed := make(map[string]bool, len(fields)+1)
	for _, f := range fields {
		if r.readable == nil || r.readable[f] {
			allowed[f] = true
		}
	}
	allowed["id"] = true
	r.readable = allowed
}

func (r *Record) canShow(field string) bool {
	return r.readable == nil || r.readable[field]
}

// CheckProjection checks that the fields parameter p names only fields
// the caller may read under action (list for a list, as PocketBase's
// listRule governs it, else view; hidden ones only with showHidden).
func (r *Records) CheckProjection(c *Collection, action string, p *Projection, showHidden bool) error {
	for _, name := range p.Fields() {
		switch name {
		case "collectionId", "collectionName", "expand":
			continue
		}
		f, ok := c.Field(name)
		if !ok || !r.readableAs(c, name, action) || (f.Hidden && !showHidden) {
			return Errorf(EINVALID, "Unknown field %q in the fields parameter.", name)
		}
	}
	return nil
}

// Readable reports whether the caller may read a field of c: what the
// "fields" parameter, filters and sorts of a single record may name.
func (r *Records) Readable(c *Collection, field string) bool {
	_, ok := c.Field(field)
	return ok && r.canRead(c, field)
}

// ReadableAs is what the filters of the caller on root under action (list
// or view) may name: root's fields by that action's access, other
// collections' by their view access.
func (r *Records) ReadableAs(root *Collection, action string) func(*Collection, string) bool {
	read := r.canReadAs(root, action)
	return func(c *Collection, field string) bool {
		_, ok := c.Field(field)
		return ok && read(c, field)
	}
}

// Matching returns which of ids are records of c inside scope (nil: all).
func (r *Records) Matching(ctx context.Context, c *Collection, ids []string, scope *Scope) ([]string, error) {
	return r.store.Matching(ctx, r.svc, c, ids, scope, false)
}

// hideEmails leaves the email out of auth records the caller does not own
// unless their emailVisibility is set. The system and superusers see every
// email.
func (r *Records) hideEmails(recs []*Record) {
	if r.unrestricted() {
		return
	}
	var auth map[string]any // taken at the first auth record
	for _, rec := range recs {
		if rec == nil || rec.Collection.Type != TypeAuth {
			continue
		}
		if visible, _ := rec.Data["emailVisibility"].(bool); visible {
			continue
		}
		if auth == nil {
			auth = r.caller.Auth()
		}
		if auth != nil && auth["collectionId"] == rec.Collection.ID && auth["id"] == rec.ID() {
			continue
		}
		rec.hide("email")
	}
}

// Hide leaves fields out of the record's JSON (an enrich hook's way to
// keep a value from a caller).
func (r *Record) Hide(fields ...string) {
	for _, f := range fields {
		r.hide(f)
	}
}

// hide leaves one field out of the record's JSON.
func (r *Record) hide(field string) {
	if r.readable == nil {
		r.readable = make(map[string]bool, len(r.Collection.Fields))
		for _, f := range r.Collection.Fields {
			r.readable[f.Name] = true
		}
	}
	delete(r.readable, field)
}

// withoutHidden leaves out of input the hidden fields of c (and their
// modifiers) when the caller is not the system or a superuser: such values
// are ignored, as PocketBase ignores them. An auth collection's password
// is hidden but set by its users. input itself is not changed.
func (r *Records) withoutHidden(c *Collection, input map[string]any) map[string]any {
	if r.unrestricted() {
		return input
	}
	var out map[string]any
	for k := range input {
		name := strings.TrimSuffix(strings.TrimSuffix(strings.TrimPrefix(k, "+"), "+"), "-")
		f, ok := c.Field(name)
		if !ok || !f.Hidden || (c.Type == TypeAuth && name == "password") {
			continue
		}
		if out == nil {
			out = maps.Clone(input)
		}
		delete(out, k)
	}
	if out == nil {
		return input
	}
	return out
}

// errVerified refuses a change of verified.
var errVerified = &Error{Code: EFORBIDDEN, Message: "Only superusers and managers of the record can change verified.",
	Data: map[string]FieldError{"verified": {Code: "validation_forbidden_field", Message: "Only superusers and managers of the record can change verified."}}}

// unrestricted reports whether the caller is the system or a superuser.
func (r *Records) unrestricted() bool { return IsUnrestricted(r.caller) }
