package jsvm

import (
	"maps"
	"reflect"
	"strconv"

	"github.com/dop251/goja"

	"github.com/lumbunghq/lumbung/collections"
	"github.com/lumbunghq/lumbung/plugins"
	"github.com/lumbunghq/lumbung/plugins/hook"
	"github.com/lumbunghq/lumbung/server/api"
)

// requestHook binds the dispatcher of a records request hook.
func requestHook(get func(*plugins.Hooks) *hook.TaggedHook[*api.RecordRequestEvent]) binder {
	return func(r *runner, name string) func() {
		th := get(r.host.Hooks())
		id := th.BindFunc(func(e *api.RecordRequestEvent) error { return r.onRequest(name, e) })
		return func() { th.Unbind(id) }
	}
}

// onRequest runs the handlers of a records request hook. e.record is the
// record a view answers with, the stored record an update (with its body
// applied) or a delete is about, as the caller may view it (the caller
// must be allowed the update or delete of it: else the request fails
// before the handlers run), or a create's new record from its body; e.records are a list's page. What
// the handlers change before e.next() is what Lumbung writes or answers
// with; after e.next(), e.record is the record saved. A handler that
// does not call e.next() answers itself (e.json, …) or not at all.
func (r *runner) onRequest(name string, e *api.RecordRequestEvent) error {
	c := e.Ctx
	var (
		st     *vmState
		ev     *goja.Object
		ref    *recordRef
		before map[string]any // the record's values before the handlers ran
	)
	next := func() error {
		if ref != nil && e.Input != nil {
			for k, v := range ref.rec.Data {
				if old, ok := before[k]; !ok || !reflect.DeepEqual(old, v) {
					e.Input[k] = ref.input(k, v)
				}
			}
			if ref.password != nil {
				e.Input["password"] = *ref.password
			}
		}
		switch name {
		case "onRecordViewRequest":
			e.Record = ref.rec
		case "onRecordsListRequest":
			e.Records = st.listed(ev.Get("records"))
		}
		err := e.Next()
		if err == nil && ref != nil && e.Record != nil && e.Record != ref.rec {
			clear(ref.rec.Data)
			maps.Copy(ref.rec.Data, e.Record.Data)
			ref.isNew, ref.password, ref.original = false, nil, copyRecord(e.Record)
		}
		return err
	}
	// $app acts in the request's transaction: a batch's.
	app := r.host.Records(collections.System).Within(e.Ops)
	return r.dispatch(name, e.Tags(), c.UserContext(), app, next, func(vst *vmState, event *goja.Object) error {
		st, ev = vst, event
		var body func() map[string]any
		if e.Input != nil {
			body = func() map[string]any { return inputBody(e.Input) }
		}
		st.requestFields(ev, c, "", body)
		st.pathValues(ev, e)
		st.responseFields(ev, c)
		st.setCollection(ev, e.Collection)
		switch name {
		case "onRecordsListRequest":
			out := make([]any, len(e.Records))
			for i, rec := range e.Records {
				out[i] = st.recordObject(newRef(rec))
			}
			ev.Set("records", st.vm.NewArray(out...))
			return nil
		case "onRecordViewRequest":
			ref = newRef(e.Record)
		case "onRecordCreateRequest":
			ref = &recordRef{rec: collections.NewRecord(e.Collection), isNew: true}
		default: // an update or a delete, which the caller must be allowed first, as in PocketBase
			action := collections.ActionUpdate
			if name == "onRecordDeleteRequest" {
				action = collections.ActionDelete
			}
			recs := e.Ops
			stored, err := recs.Find(c.UserContext(), e.Collection, e.ID, action)
			if err != nil {
				return err
			}
			if viewed, err := recs.Get(c.UserContext(), e.Collection, e.ID); err == nil {
				stored = viewed
			}
			ref = newRef(stored)
		}
		if e.Input != nil {
			applyInput(ref.rec, e.Input)
		}
		before = maps.Clone(ref.rec.Data)
		ev.Set("record", st.recordObject(ref))
		return nil
	})
}

// pathValues makes e.request.pathValue read the collection and record id
// of the event, which a batch's sub-request has no route for.
func (st *vmState) pathValues(ev *goja.Object, e *api.RecordRequestEvent) {
	req, ok := ev.Get("request").(*goja.Object)
	if !ok {
		return
	}
	values := map[string]string{"collection": e.Collection.Name, "id": e.ID}
	if len(e.Ctx.Route().Params) > 0 { // a request of its own: as the URL names it, by name or id
		values["collection"] = e.Ctx.Params("collection")
	}
	req.Set("pathValue", func(call goja.FunctionCall) goja.Value { return st.vm.ToValue(values[call.Argument(0).String()]) })
}

// inputBody is the body of a create or update as requestInfo() gives
// it: its values, an upload as {name, originalName, size} (PocketBase's
// file) — also from a form the API read as it streamed in.
func inputBody(input map[string]any) map[string]any {
	file := func(v any) any {
		if u, ok := v.(*collections.Upload); ok {
			return map[string]any{"name": u.Name, "originalName": u.OriginalName, "size": u.Size}
		}
		return v
	}
	out := make(map[string]any, len(input))
	for k, v := range input {
		if list, ok := v.([]any); ok {
			items := make([]any, len(list))
			for i, item := range list {
				items[i] = file(item)
			}
			v = items
		}
		out[k] = file(v)
	}
	return out
}

// listed returns the records of a script's array (e.records, as the
// handlers left it).
func (st *vmState) listed(v goja.Value) []*collections.Record {
	arr, ok := v.(*goja.Object)
	if !ok {
		return nil
	}
	n := int(arr.Get("length").ToInteger())
	out := make([]*collections.Record, 0, n)
	for i := range n {
		if ref := st.refOf(arr.Get(strconv.Itoa(i))); ref != nil {
			out = append(out, ref.rec)
		}
	}
	return out
}

// applyInput sets the values of a request's body on rec as the fields
// convert them; values a field refuses are left for the write's
// validation to report, and passwords are never shown.
func applyInput(rec *collections.Record, input map[string]any) {
	for k, v := range input {
		f, ok := rec.Collection.Field(k)
		if !ok || f.Type == "password" || f.Type == "file" {
			continue
		}
		if out, ferr := f.Options.Prepare(v); ferr == nil {
			rec.Data[k] = out
		}
	}
}
