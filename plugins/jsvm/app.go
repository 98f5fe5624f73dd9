package jsvm

import (
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"strconv"
	"strings"

	"github.com/dop251/goja"

	"github.com/lumbunghq/lumbung/collections"
)

// app returns PocketBase's $app over records: reads and writes as the
// system (access rules do not apply, as to PocketBase's $app) through
// Lumbung's write path, so validation and record hooks run. In a
// before-hook records are the hook's transaction; in runInTransaction,
// the new one.
func (st *vmState) app(records *collections.Records) *goja.Object {
	vm := st.vm
	a := vm.NewObject()
	records = records.WithRequest(nil)
	ctx := st.context
	a.Set("db", func(goja.FunctionCall) goja.Value {
		return st.sqlDB(func(sql string, args []any) ([]map[string]any, error) { return records.SQL(ctx(), sql, args...) }, true)
	})
	findCollection := func(call goja.FunctionCall) goja.Value {
		return st.collectionObject(st.collectionArg(call.Argument(0)))
	}
	a.Set("findCollectionByNameOrId", findCollection)
	a.Set("findCachedCollectionByNameOrId", findCollection) // every collection is cached
	a.Set("findRecordById", func(call goja.FunctionCall) goja.Value {
		c := st.collectionArg(call.Argument(0))
		rec, err := records.Get(ctx(), c, call.Argument(1).String())
		if err != nil {
			st.throw(err)
		}
		return st.recordObject(newRef(rec))
	})
	a.Set("findRecordsByIds", func(call goja.FunctionCall) goja.Value {
		c := st.collectionArg(call.Argument(0))
		var ids []string
		for _, v := range toStrings(exportValue(call.Argument(1))) {
			ids = append(ids, v.(string))
		}
		if len(ids) == 0 {
			return vm.NewArray()
		}
		page, err := records.List(ctx(), c, collections.Query{IDs: ids, PerPage: collections.MaxPerPage, SkipTotal: true})
		if err != nil {
			st.throw(err)
		}
		return st.recordList(page.Items)
	})
	a.Set("findRecordsByFilter", func(call goja.FunctionCall) goja.Value {
		c := st.collectionArg(call.Argument(0))
		filter := st.bindParams(call.Argument(1).String(), call.Argument(5))
		sort := ""
		if s := call.Argument(2); !goja.IsUndefined(s) && !goja.IsNull(s) {
			sort = s.String()
		}
		items := st.find(records, c, filter, sort, int(call.Argument(3).ToInteger()), int(call.Argument(4).ToInteger()))
		return st.recordList(items)
	})
	a.Set("findFirstRecordByFilter", func(call goja.FunctionCall) goja.Value {
		c := st.collectionArg(call.Argument(0))
		items := st.find(records, c, st.bindParams(call.Argument(1).String(), call.Argument(2)), "", 1, 0)
		if len(items) == 0 {
			st.throw(collections.Errorf(collections.ENOTFOUND, "The requested resource wasn't found."))
		}
		return st.recordObject(newRef(items[0]))
	})
	a.Set("findFirstRecordByData", func(call goja.FunctionCall) goja.Value {
		c := st.collectionArg(call.Argument(0))
		key := call.Argument(1).String()
		if _, ok := c.Field(key); !ok {
			st.throw(collections.Errorf(collections.EINVALID, "%s has no field %q.", c.Name, key))
		}
		lit, err := literal(exportValue(call.Argument(2)))
		if err != nil {
			st.throw(err)
		}
		items := st.find(records, c, key+" = "+lit, "", 1, 0)
		if len(items) == 0 {
			st.throw(collections.Errorf(collections.ENOTFOUND, "The requested resource wasn't found."))
		}
		return st.recordObject(newRef(items[0]))
	})
	a.Set("findAllRecords", func(call goja.FunctionCall) goja.Value {
		c := st.collectionArg(call.Argument(0))
		noExpressions(vm, "findAllRecords", call)
		var all []*collections.Record
		for page := 1; ; page++ {
			p, err := records.List(ctx(), c, collections.Query{Page: page, PerPage: collections.MaxPerPage, SkipTotal: true})
			if err != nil {
				st.throw(err)
			}
			all = append(all, p.Items...)
			if len(p.Items) < collections.MaxPerPage {
				return st.recordList(all)
			}
		}
	})
	a.Set("countRecords", func(call goja.FunctionCall) goja.Value {
		c := st.collectionArg(call.Argument(0))
		noExpressions(vm, "countRecords", call)
		p, err := records.List(ctx(), c, collections.Query{PerPage: 1})
		if err != nil {
			st.throw(err)
		}
		return vm.ToValue(p.TotalItems)
	})
	expand := func(call goja.FunctionCall, refs []*recordRef) {
		var paths []string
		for _, v := range toStrings(exportValue(call.Argument(1))) {
			paths = append(paths, toString(v))
		}
		byCollection := map[*collections.Collection][]*collections.Record{}
		for _, ref := range refs {
			byCollection[ref.rec.Collection] = append(byCollection[ref.rec.Collection], ref.rec)
		}
		for c, recs := range byCollection {
			if err := records.Expand(ctx(), c, recs, strings.Join(paths, ",")); err != nil {
				st.throw(err)
			}
		}
	}
	a.Set("expandRecord", func(call goja.FunctionCall) goja.Value {
		ref := st.refOf(call.Argument(0))
		if ref == nil {
			panic(vm.NewTypeError("$app.expandRecord: not a record"))
		}
		expand(call, []*recordRef{ref})
		return goja.Undefined()
	})
	a.Set("expandRecords", func(call goja.FunctionCall) goja.Value {
		var refs []*recordRef
		if arr, ok := call.Argument(0).(*goja.Object); ok {
			for i := range int(arr.Get("length").ToInteger()) {
				if ref := st.refOf(arr.Get(strconv.Itoa(i))); ref != nil {
					refs = append(refs, ref)
				}
			}
		}
		expand(call, refs)
		return goja.Undefined()
	})
	a.Set("settings", func(goja.FunctionCall) goja.Value {
		b, err := json.Marshal(st.gen.r.host.Settings(ctx()))
		if err != nil {
			st.throw(err)
		}
		return st.fromJSON(b)
	})
	a.Set("findAuthRecordByEmail", func(call goja.FunctionCall) goja.Value {
		c := st.collectionArg(call.Argument(0))
		rec, err := records.FindByEmail(ctx(), c, call.Argument(1).String())
		if err != nil {
			st.throw(err)
		}
		return st.recordObject(newRef(rec))
	})
	save := func(call goja.FunctionCall) goja.Value {
		ref := st.refOf(call.Argument(0))
		if ref == nil {
			panic(vm.NewTypeError("$app.save: not a record"))
		}
		st.save(records, ref)
		return goja.Undefined()
	}
	a.Set("save", save)
	a.Set("saveNoValidate", save)
	a.Set("delete", func(call goja.FunctionCall) goja.Value {
		ref := st.refOf(call.Argument(0))
		if ref == nil {
			panic(vm.NewTypeError("$app.delete: not a record"))
		}
		if err := records.Delete(ctx(), ref.rec.Collection, ref.rec.ID()); err != nil {
			st.throw(err)
		}
		return goja.Undefined()
	})
	a.Set("runInTransaction", func(call goja.FunctionCall) goja.Value {
		fn, ok := goja.AssertFunction(call.Argument(0))
		if !ok {
			panic(vm.NewTypeError("$app.runInTransaction: not a function"))
		}
		err := records.InTx(ctx(), func(tx *collections.Records) error {
			txApp := st.app(tx)
			return st.withApp(func() *goja.Object { return txApp }, func() error {
				_, err := fn(goja.Undefined(), txApp)
				return err
			})
		})
		if err != nil {
			st.rethrow(err)
		}
		return goja.Undefined()
	})
	a.Set("logger", func(goja.FunctionCall) goja.Value { return st.logger() })
	a.Set("newMailClient", func(goja.FunctionCall) goja.Value { return st.mailClient() })
	return a
}

// noExpressions refuses $dbx expressions after a method's collection:
// Lumbung has no $dbx; findRecordsByFilter takes a filter instead.
func noExpressions(vm *goja.Runtime, method string, call goja.FunctionCall) {
	if len(call.Arguments) > 1 {
		panic(vm.NewTypeError("$app.%s: $dbx expressions are not supported; use findRecordsByFilter with a filter", method))
	}
}

// withApp runs fn with the global $app giving what app returns, as
// PocketBase scopes $app to a hook's transaction.
func (st *vmState) withApp(app func() *goja.Object, fn func() error) error {
	prev := st.appFn
	st.appFn = app
	defer func() { st.appFn = prev }()
	return fn()
}

// lazyApp returns st.app(records), built on its first call: most hooks
// never read $app, and building it costs more than a trivial hook.
func lazyApp(st *vmState, records *collections.Records) func() *goja.Object {
	var a *goja.Object
	return func() *goja.Object {
		if a == nil {
			a = st.app(records)
		}
		return a
	}
}

// save writes a script's record: a create when it is new, else an update
// of the fields it changed; the record then holds what was stored.
func (st *vmState) save(records *collections.Records, ref *recordRef) {
	c := ref.rec.Collection
	var (
		rec *collections.Record
		err error
	)
	if ref.isNew {
		input := map[string]any{}
		for k, v := range ref.rec.Data {
			input[k] = ref.input(k, v)
		}
		if ref.password != nil {
			input["password"] = *ref.password
		}
		rec, err = records.Create(st.context(), c, input)
	} else {
		rec, err = records.Update(st.context(), c, ref.rec.ID(), ref.changed())
	}
	if err != nil {
		st.throw(err)
	}
	clear(ref.rec.Data)
	maps.Copy(ref.rec.Data, rec.Data)
	ref.isNew, ref.password, ref.uploads, ref.original = false, nil, nil, copyRecord(rec)
}

// find lists records of c matching filter, at most limit (0: up to
// collections.MaxPerPage) after offset.
func (st *vmState) find(records *collections.Records, c *collections.Collection, filter, sort string, limit, offset int) []*collections.Record {
	if limit <= 0 || limit > collections.MaxPerPage {
		limit = collections.MaxPerPage
	}
	offset = max(offset, 0)
	q := collections.Query{Filter: filter, Sort: sort, PerPage: limit, Page: offset/limit + 1, SkipTotal: true}
	skip := 0
	if offset%limit != 0 { // one page that covers the range
		q.PerPage, q.Page, skip = min(offset+limit, collections.MaxPerPage), 1, offset
	}
	page, err := records.List(st.context(), c, q)
	if err != nil {
		st.throw(err)
	}
	items := page.Items
	if skip >= len(items) {
		return nil
	}
	items = items[skip:]
	return items[:min(limit, len(items))]
}

func (st *vmState) recordList(items []*collections.Record) goja.Value {
	out := make([]any, len(items))
	for i, rec := range items {
		out[i] = st.recordObject(newRef(rec))
	}
	return st.vm.NewArray(out...)
}

var paramRe = regexp.MustCompile(`\{:(\w+)\}`)

// bindParams replaces the {:name} placeholders of a filter with params'
// values written as literals of the filter language (PocketBase binds
// them as parameters; Lumbung's filters are parametrized when they run).
func (st *vmState) bindParams(filter string, params goja.Value) string {
	obj, ok := params.(*goja.Object)
	if !ok {
		return filter
	}
	var bad error
	out := paramRe.ReplaceAllStringFunc(filter, func(m string) string {
		name := m[2 : len(m)-1]
		v := obj.Get(name)
		if v == nil {
			bad = collections.Errorf(collections.EINVALID, "The filter's parameter %q has no value.", name)
			return m
		}
		lit, err := literal(exportValue(v))
		if err != nil {
			bad = err
		}
		return lit
	})
	if bad != nil {
		st.throw(bad)
	}
	return out
}

// literal writes v as a literal of the filter language.
func literal(v any) (string, error) {
	switch x := v.(type) {
	case nil:
		return "null", nil
	case bool:
		return strconv.FormatBool(x), nil
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), nil
	case string:
		if strings.HasSuffix(x, `\`) {
			return "", collections.Errorf(collections.EINVALID, "A filter parameter cannot end with a backslash.")
		}
		return "'" + strings.ReplaceAll(x, "'", `\'`) + "'", nil
	}
	return "", collections.Errorf(collections.EINVALID, "A filter parameter must be a string, number, boolean or null, not %T.", v)
}

// collectionObject is a collection as a script sees it: its JSON, with
// the collection behind it for new Record(collection).
func (st *vmState) collectionObject(c *collections.Collection) goja.Value {
	b, err := c.MarshalJSON()
	if err != nil {
		st.throw(err)
	}
	obj, ok := st.fromJSON(b).(*goja.Object)
	if !ok {
		st.throw(fmt.Errorf("collection %s: no JSON", c.Name))
	}
	obj.DefineDataPropertySymbol(st.holder, st.vm.ToValue(c), goja.FLAG_FALSE, goja.FLAG_FALSE, goja.FLAG_FALSE)
	return obj
}

// collectionArg is the collection a script names: a collection object,
// or a name or id.
func (st *vmState) collectionArg(v goja.Value) *collections.Collection {
	if c, ok := st.held(v).(*collections.Collection); ok {
		return c
	}
	if obj, ok := v.(*goja.Object); ok {
		if id := obj.Get("id"); id != nil && !goja.IsUndefined(id) {
			v = id
		}
	}
	name := ""
	if v != nil && !goja.IsUndefined(v) && !goja.IsNull(v) {
		name = v.String()
	}
	c, ok := st.gen.r.host.Collection(name)
	if !ok {
		st.throw(collections.Errorf(collections.ENOTFOUND, "Missing collection %q.", name))
	}
	return c
}

// logger is $app.logger(): info, warn, error and debug with attributes as
// key, value pairs.
func (st *vmState) logger() goja.Value {
	l := st.vm.NewObject()
	log := st.gen.r.log
	for name, fn := range map[string]func(msg string, args ...any){"info": log.Info, "warn": log.Warn, "error": log.Error, "debug": log.Debug} {
		l.Set(name, func(call goja.FunctionCall) goja.Value {
			args := make([]any, 0, len(call.Arguments))
			for _, a := range call.Arguments[min(1, len(call.Arguments)):] {
				args = append(args, a.Export())
			}
			fn(call.Argument(0).String(), append(args, "at", st.caller())...)
			return goja.Undefined()
		})
	}
	return l
}
