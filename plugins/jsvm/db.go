package jsvm

import (
	"regexp"
	"strconv"

	"github.com/dop251/goja"

	"github.com/lumbunghq/lumbung/collections"
)

// queryParam is a {:name} placeholder of a statement.
var queryParam = regexp.MustCompile(`\{:(\w+)\}`)

// sqlDB is PocketBase's app.db(): newQuery(sql), bind({name: value}) for
// its {:name} placeholders (bound as parameters, never pasted into the
// text), then execute(), one(model) — the first row into a DynamicModel,
// a NotFoundError without one — or all(arrayOf(model)). run runs the
// statement with its values bound to $1…; reads says whether rows may be
// read (not in migrations).
func (st *vmState) sqlDB(run func(sql string, args []any) ([]map[string]any, error), reads bool) goja.Value {
	vm := st.vm
	db := vm.NewObject()
	db.Set("newQuery", func(call goja.FunctionCall) goja.Value {
		sql := call.Argument(0).String()
		params := map[string]any{}
		q := vm.NewObject()
		exec := func() []map[string]any {
			var args []any
			var missing string
			text := queryParam.ReplaceAllStringFunc(sql, func(m string) string {
				name := m[2 : len(m)-1]
				v, ok := params[name]
				if !ok {
					missing = name
				}
				args = append(args, v)
				return "$" + strconv.Itoa(len(args))
			})
			if missing != "" {
				st.throw(collections.Errorf(collections.EINVALID, "The query's parameter %q has no value.", missing))
			}
			rows, err := run(text, args)
			if err != nil {
				st.throw(err)
			}
			return rows
		}
		read := func(name string) []map[string]any {
			if !reads {
				panic(vm.NewTypeError("db().newQuery(...).%s(): reading rows is not offered here; read records with the find methods", name))
			}
			return exec()
		}
		q.Set("bind", func(call goja.FunctionCall) goja.Value {
			if obj, ok := call.Argument(0).(*goja.Object); ok {
				for _, k := range obj.Keys() {
					params[k] = exportValue(obj.Get(k))
				}
			}
			return q
		})
		q.Set("execute", func(goja.FunctionCall) goja.Value {
			exec()
			return goja.Undefined()
		})
		q.Set("one", func(call goja.FunctionCall) goja.Value {
			model, ok := call.Argument(0).(*goja.Object)
			if !ok {
				panic(vm.NewTypeError("one(model): the model must be an object, such as new DynamicModel({...})"))
			}
			rows := read("one")
			if len(rows) == 0 {
				st.throw(collections.Errorf(collections.ENOTFOUND, "The requested resource wasn't found."))
			}
			st.fill(model, model, rows[0])
			return goja.Undefined()
		})
		q.Set("all", func(call goja.FunctionCall) goja.Value {
			arr, ok := call.Argument(0).(*goja.Object)
			if !ok || arr.ClassName() != "Array" {
				panic(vm.NewTypeError("all(list): the list must be an array, such as arrayOf(new DynamicModel({...}))"))
			}
			template, _ := arr.GetSymbol(st.model).(*goja.Object)
			rows := read("all")
			arr.Set("length", 0)
			for i, row := range rows {
				item := vm.NewObject()
				st.fill(item, template, row)
				arr.Set(strconv.Itoa(i), item)
			}
			return goja.Undefined()
		})
		return q
	})
	return db
}

// bindArrayOf adds PocketBase's arrayOf(model): an empty array that
// all() fills with rows shaped as model.
func (st *vmState) bindArrayOf() {
	st.model = goja.NewSymbol("model")
	st.vm.Set("arrayOf", func(call goja.FunctionCall) goja.Value {
		arr := st.vm.NewArray()
		if m, ok := call.Argument(0).(*goja.Object); ok {
			if err := arr.DefineDataPropertySymbol(st.model, m, goja.FLAG_FALSE, goja.FLAG_FALSE, goja.FLAG_FALSE); err != nil {
				panic(err)
			}
		}
		return arr
	})
}

// fill sets on obj the columns of row, each as the template's property
// of that name holds its value (number, text, boolean; other kinds as
// read), or every column when the template has none.
func (st *vmState) fill(obj, template *goja.Object, row map[string]any) {
	var keys []string
	if template != nil {
		keys = template.Keys()
	}
	if len(keys) == 0 {
		for k := range row {
			keys = append(keys, k)
		}
	}
	for _, k := range keys {
		v, ok := row[k]
		if !ok {
			continue
		}
		var like any
		if template != nil {
			like = template.Get(k).Export()
		}
		obj.Set(k, st.toJSValue(asKind(v, like)))
	}
}

// asKind converts v to the kind of like: a number, a string or a
// boolean (as a record's getters convert); v itself otherwise.
func asKind(v, like any) any {
	switch like.(type) {
	case int64, float64:
		return toFloat(v)
	case string:
		return toString(v)
	case bool:
		return toBool(v)
	}
	return v
}
