package jsvm

import (
	"encoding/json"
	"maps"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/dop251/goja"

	"github.com/lumbunghq/lumbung/collections"
)

// recordRef is the Go side of a script's record: PocketBase's Record
// over a collections.Record.
type recordRef struct {
	rec      *collections.Record
	isNew    bool
	original *collections.Record            // as stored (nil for a new record); the stored record before an update
	password *string                        // a new password: hashed when $app.save writes it
	uploads  map[string]*collections.Upload // files set in file fields, by stored name: stored when $app.save writes
}

// newRef is a stored record as a script sees it.
func newRef(rec *collections.Record) *recordRef {
	return &recordRef{rec: rec, original: copyRecord(rec)}
}

func copyRecord(rec *collections.Record) *collections.Record {
	if rec == nil {
		return nil
	}
	out := collections.NewRecord(rec.Collection)
	maps.Copy(out.Data, rec.Data)
	return out
}

// changed returns the fields whose values differ from the stored ones,
// and the new password: the input of an update.
func (ref *recordRef) changed() map[string]any {
	out := map[string]any{}
	for k, v := range ref.rec.Data {
		if k == "id" {
			continue
		}
		if ref.original != nil {
			if old, ok := ref.original.Data[k]; ok && reflect.DeepEqual(old, v) {
				continue
			}
		}
		out[k] = ref.input(k, v)
	}
	if ref.password != nil {
		out["password"] = *ref.password
	}
	return out
}

// input is the value v of field k as input to a write: the files set in
// it as their uploads.
func (ref *recordRef) input(k string, v any) any {
	if len(ref.uploads) == 0 {
		return inputValue(v)
	}
	if f, ok := ref.rec.Collection.Field(k); !ok || f.Type != "file" {
		return inputValue(v)
	}
	names := collections.FileNames(v)
	out := make([]any, len(names))
	for i, name := range names {
		if u, ok := ref.uploads[name]; ok {
			out[i] = u
		} else {
			out[i] = name
		}
	}
	return out
}

// inputValue is a record's canonical value as input to a write.
func inputValue(v any) any {
	switch x := v.(type) {
	case time.Time:
		if x.IsZero() {
			return ""
		}
		return x.UTC().Format(time.RFC3339Nano)
	case json.RawMessage:
		var out any
		if json.Unmarshal(x, &out) != nil {
			return nil
		}
		return out
	}
	return v
}

// bindRecord adds the Record class: new Record(collection, data?), and
// the methods of records (get, set, getString, …).
func (st *vmState) bindRecord() {
	vm := st.vm
	p := vm.NewObject()
	st.recordProto = p
	self := func(call goja.FunctionCall) *recordRef {
		ref := st.refOf(call.This)
		if ref == nil {
			panic(vm.NewTypeError("not a record"))
		}
		return ref
	}
	get := func(call goja.FunctionCall) (*recordRef, any) {
		ref := self(call)
		return ref, ref.rec.Data[call.Argument(0).String()]
	}
	p.DefineAccessorProperty("id", st.fn(func(call goja.FunctionCall) goja.Value {
		return vm.ToValue(self(call).rec.ID())
	}), st.fn(func(call goja.FunctionCall) goja.Value {
		self(call).rec.Data["id"] = call.Argument(0).String()
		return goja.Undefined()
	}), goja.FLAG_TRUE, goja.FLAG_FALSE)
	p.Set("get", func(call goja.FunctionCall) goja.Value { _, v := get(call); return st.valueOf(v) })
	p.Set("getRaw", func(call goja.FunctionCall) goja.Value { _, v := get(call); return st.valueOf(v) })
	p.Set("getString", func(call goja.FunctionCall) goja.Value { _, v := get(call); return vm.ToValue(toString(v)) })
	p.Set("getInt", func(call goja.FunctionCall) goja.Value { _, v := get(call); return vm.ToValue(int64(toFloat(v))) })
	p.Set("getFloat", func(call goja.FunctionCall) goja.Value { _, v := get(call); return vm.ToValue(toFloat(v)) })
	p.Set("getBool", func(call goja.FunctionCall) goja.Value { _, v := get(call); return vm.ToValue(toBool(v)) })
	p.Set("getDateTime", func(call goja.FunctionCall) goja.Value { _, v := get(call); return vm.ToValue(toString(v)) })
	p.Set("getStringSlice", func(call goja.FunctionCall) goja.Value {
		_, v := get(call)
		return st.toJSValue(toStrings(v))
	})
	p.Set("set", func(call goja.FunctionCall) goja.Value {
		st.setField(self(call), call.Argument(0).String(), call.Argument(1))
		return goja.Undefined()
	})
	p.Set("load", func(call goja.FunctionCall) goja.Value {
		ref := self(call)
		if obj, ok := call.Argument(0).(*goja.Object); ok {
			for _, k := range obj.Keys() {
				st.setField(ref, k, obj.Get(k))
			}
		}
		return goja.Undefined()
	})
	expanded := func(call goja.FunctionCall) []*collections.Record {
		switch x := self(call).rec.Expand[call.Argument(0).String()].(type) {
		case *collections.Record:
			return []*collections.Record{x}
		case []*collections.Record:
			return x
		}
		return nil
	}
	p.Set("expandedOne", func(call goja.FunctionCall) goja.Value {
		if recs := expanded(call); len(recs) > 0 {
			return st.recordObject(newRef(recs[0]))
		}
		return goja.Null()
	})
	p.Set("expandedAll", func(call goja.FunctionCall) goja.Value { return st.recordList(expanded(call)) })
	p.Set("collection", func(call goja.FunctionCall) goja.Value { return st.collectionObject(self(call).rec.Collection) })
	p.Set("tableName", func(call goja.FunctionCall) goja.Value { return vm.ToValue(self(call).rec.Collection.Name) })
	p.Set("isNew", func(call goja.FunctionCall) goja.Value { return vm.ToValue(self(call).isNew) })
	p.Set("original", func(call goja.FunctionCall) goja.Value {
		ref := self(call)
		if ref.original == nil {
			return st.recordObject(&recordRef{rec: collections.NewRecord(ref.rec.Collection), isNew: true})
		}
		return st.recordObject(newRef(copyRecord(ref.original)))
	})
	p.Set("email", func(call goja.FunctionCall) goja.Value {
		_, v := getField(self(call), "email")
		return vm.ToValue(toString(v))
	})
	p.Set("setEmail", func(call goja.FunctionCall) goja.Value {
		st.setField(self(call), "email", call.Argument(0))
		return goja.Undefined()
	})
	p.Set("verified", func(call goja.FunctionCall) goja.Value {
		_, v := getField(self(call), "verified")
		return vm.ToValue(toBool(v))
	})
	p.Set("setVerified", func(call goja.FunctionCall) goja.Value {
		st.setField(self(call), "verified", call.Argument(0))
		return goja.Undefined()
	})
	p.Set("emailVisibility", func(call goja.FunctionCall) goja.Value {
		_, v := getField(self(call), "emailVisibility")
		return vm.ToValue(toBool(v))
	})
	p.Set("setEmailVisibility", func(call goja.FunctionCall) goja.Value {
		st.setField(self(call), "emailVisibility", call.Argument(0))
		return goja.Undefined()
	})
	p.Set("setPassword", func(call goja.FunctionCall) goja.Value {
		st.setField(self(call), "password", call.Argument(0))
		return goja.Undefined()
	})
	p.Set("hide", func(call goja.FunctionCall) goja.Value {
		ref := self(call)
		for _, a := range call.Arguments {
			ref.rec.Hide(a.String())
		}
		return call.This
	})
	export := func(call goja.FunctionCall) goja.Value {
		b, err := self(call).rec.MarshalJSON()
		if err != nil {
			st.throw(err)
		}
		return st.fromJSON(b)
	}
	p.Set("toJSON", export)
	p.Set("publicExport", export)
	p.Set("toString", func(call goja.FunctionCall) goja.Value {
		b, _ := self(call).rec.MarshalJSON()
		return vm.ToValue(string(b))
	})
	vm.Set("Record", func(call goja.ConstructorCall) *goja.Object {
		c := st.collectionArg(call.Argument(0))
		ref := &recordRef{rec: collections.NewRecord(c), isNew: true}
		obj := st.recordObject(ref)
		if data, ok := call.Argument(1).(*goja.Object); ok {
			for _, k := range data.Keys() {
				st.setField(ref, k, data.Get(k))
			}
		}
		return obj
	})
}

func getField(ref *recordRef, name string) (*recordRef, any) { return ref, ref.rec.Data[name] }

// recordObject is ref as a script's record.
func (st *vmState) recordObject(ref *recordRef) *goja.Object {
	obj := st.vm.CreateObject(st.recordProto)
	obj.DefineDataPropertySymbol(st.holder, st.vm.ToValue(ref), goja.FLAG_FALSE, goja.FLAG_FALSE, goja.FLAG_FALSE)
	return obj
}

// held returns the Go value behind a script's record, collection or
// file (kept under the holder symbol), nil for any other value.
func (st *vmState) held(v goja.Value) any {
	obj, ok := v.(*goja.Object)
	if !ok || obj == nil {
		return nil
	}
	if h := obj.GetSymbol(st.holder); h != nil {
		return h.Export()
	}
	return nil
}

// refOf returns the record behind a script value, nil when it is none.
func (st *vmState) refOf(v goja.Value) *recordRef {
	ref, _ := st.held(v).(*recordRef)
	return ref
}

// setField sets a field as PocketBase's record.set does, with the
// field's own conversion (a number field takes "12"); a value the field
// refuses throws the field's validation error. A password is kept apart
// and hashed when $app.save writes the record.
func (st *vmState) setField(ref *recordRef, name string, v goja.Value) {
	val := exportValue(v)
	if other := st.refOf(v); other != nil {
		val = other.rec.ID()
	}
	f, ok := ref.rec.Collection.Field(name)
	if !ok {
		ref.rec.Data[name] = val
		return
	}
	if f.Type == "password" {
		s := toString(val)
		ref.password = &s
		return
	}
	if f.Type == "file" {
		val = st.fileValue(ref, v)
	}
	out, ferr := f.Options.Prepare(val)
	if ferr != nil {
		st.throw(collections.Invalid("Failed to set "+name+".", map[string]collections.FieldError{name: *ferr}))
	}
	ref.rec.Data[name] = out
}

// fileValue is a file field's value as a script set it: names, and files
// of $filesystem (kept on ref, to be stored with the record).
func (st *vmState) fileValue(ref *recordRef, v goja.Value) any {
	item := func(v goja.Value) any {
		if u := st.uploadOf(v); u != nil {
			if ref.uploads == nil {
				ref.uploads = map[string]*collections.Upload{}
			}
			ref.uploads[u.Name] = u
			return u
		}
		return exportValue(v)
	}
	if arr, ok := v.(*goja.Object); ok && arr.ClassName() == "Array" {
		n := int(arr.Get("length").ToInteger())
		out := make([]any, n)
		for i := range n {
			out[i] = item(arr.Get(strconv.Itoa(i)))
		}
		return out
	}
	return item(v)
}

// exportValue is a script value as decoded JSON would be (integers as
// float64, dates as text).
func exportValue(v goja.Value) any {
	if v == nil || goja.IsUndefined(v) || goja.IsNull(v) {
		return nil
	}
	x := v.Export()
	switch n := x.(type) {
	case int64:
		return float64(n)
	case int:
		return float64(n)
	case []any:
		out := make([]any, len(n))
		for i, e := range n {
			out[i] = normalize(e)
		}
		return out
	}
	return normalize(x)
}

func normalize(x any) any {
	switch n := x.(type) {
	case int64:
		return float64(n)
	case int:
		return float64(n)
	case time.Time: // a Date
		return n.UTC().Format(time.RFC3339Nano)
	}
	return x
}

// valueOf is a record's value as a script sees it: dates as PocketBase
// writes them, JSON decoded, lists as arrays.
func (st *vmState) valueOf(v any) goja.Value {
	switch x := v.(type) {
	case nil:
		return goja.Null()
	case time.Time:
		return st.vm.ToValue(toString(x))
	case json.RawMessage:
		if len(x) == 0 {
			return goja.Null()
		}
		return st.fromJSON(x)
	case []string:
		out := make([]any, len(x))
		for i, s := range x {
			out[i] = s
		}
		return st.toJSValue(out)
	}
	return st.toJSValue(v)
}

func toString(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	case time.Time:
		if x.IsZero() {
			return ""
		}
		return x.UTC().Format("2006-01-02 15:04:05.000Z")
	case json.RawMessage:
		return string(x)
	case []string:
		return strings.Join(x, ",")
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func toFloat(v any) float64 {
	switch x := v.(type) {
	case float64:
		return x
	case int64:
		return float64(x)
	case bool:
		if x {
			return 1
		}
	case string:
		f, _ := strconv.ParseFloat(strings.TrimSpace(x), 64)
		return f
	}
	return 0
}

func toBool(v any) bool {
	switch x := v.(type) {
	case bool:
		return x
	case float64:
		return x != 0
	case int64:
		return x != 0
	case string:
		b, _ := strconv.ParseBool(x)
		return b
	}
	return false
}

func toStrings(v any) []any {
	var out []any
	switch x := v.(type) {
	case []string:
		for _, s := range x {
			out = append(out, s)
		}
	case []any:
		for _, e := range x {
			out = append(out, toString(e))
		}
	case string:
		if x != "" {
			out = append(out, x)
		}
	}
	if out == nil {
		out = []any{}
	}
	return out
}
