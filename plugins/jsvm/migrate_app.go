package jsvm

import (
	"encoding/json"
	"errors"

	"github.com/dop251/goja"

	"github.com/lumbunghq/lumbung/collections"
)

// migratePrelude defines PocketBase's collection and field constructors
// for migrations: new Collection({...}) and new Field({...}) (and the
// typed TextField, NumberField, …) are PocketBase's collection JSON, as
// exported and imported; a collection's fields have add, addAt,
// getById, getByName, removeById, removeByName and fieldNames, its
// indexes addIndex, removeIndex and getIndex; unmarshal(data, target)
// copies data into a collection (its fields replaced) or a record.
const migratePrelude = `
(function (g) {
	function hide(o, k, v) {
		Object.defineProperty(o, k, { value: v, enumerable: false, writable: true, configurable: true });
	}
	function put(list, pos, f) {
		let i = -1;
		if (f.id) i = list.findIndex((x) => x.id === f.id);
		if (i < 0 && !f.id) i = list.findIndex((x) => x.name === f.name);
		if (i >= 0) {
			if (pos < 0) { list[i] = f; return; }
			list.splice(i, 1);
		}
		if (pos < 0 || pos >= list.length) list.push(f); else list.splice(pos, 0, f);
	}
	function fieldList(src) {
		const out = [];
		for (const f of (Array.isArray(src) ? src : [])) out.push(f);
		hide(out, "add", function (...fs) { for (const f of fs) put(this, -1, f); });
		hide(out, "addAt", function (pos, ...fs) { for (const f of fs) { put(this, pos, f); pos++; } });
		hide(out, "getById", function (id) { return this.find((f) => f.id === id) || null; });
		hide(out, "getByName", function (name) { return this.find((f) => f.name === name) || null; });
		hide(out, "removeById", function (id) { const i = this.findIndex((f) => f.id === id); if (i >= 0) this.splice(i, 1); });
		hide(out, "removeByName", function (name) { const i = this.findIndex((f) => f.name === name); if (i >= 0) this.splice(i, 1); });
		hide(out, "fieldNames", function () { return this.map((f) => f.name); });
		return out;
	}
	const indexName = /INDEX\s+(?:IF\s+NOT\s+EXISTS\s+)?[` + "`" + `"'\[]?(\w+)/i;
	function decorate(c, isNew) {
		c.fields = fieldList(c.fields);
		if (!Array.isArray(c.indexes)) c.indexes = [];
		hide(c, "__new", !!isNew);
		hide(c, "isAuth", function () { return this.type === "auth"; });
		hide(c, "isBase", function () { return this.type === "base"; });
		hide(c, "isView", function () { return this.type === "view"; });
		hide(c, "getIndex", function (name) {
			return this.indexes.find((ix) => { const m = indexName.exec(ix); return m && m[1].toLowerCase() === String(name).toLowerCase(); }) || "";
		});
		hide(c, "removeIndex", function (name) {
			this.indexes = this.indexes.filter((ix) => { const m = indexName.exec(ix); return !(m && m[1].toLowerCase() === String(name).toLowerCase()); });
		});
		hide(c, "addIndex", function (name, unique, columns, where) {
			this.removeIndex(name);
			let ix = "CREATE " + (unique ? "UNIQUE " : "") + "INDEX ` + "`" + `" + name + "` + "`" + ` ON ` + "`" + `" + this.name + "` + "`" + ` (" + columns + ")";
			if (where) ix += " WHERE " + where;
			this.indexes.push(ix);
		});
		return c;
	}
	function Collection(data) {
		Object.assign(this, JSON.parse(JSON.stringify(data || {})));
		if (!this.type) this.type = "base";
		decorate(this, true);
	}
	function Field(data) { Object.assign(this, data || {}); }
	g.Collection = Collection;
	g.Field = Field;
	const types = { TextField: "text", NumberField: "number", BoolField: "bool", EmailField: "email", URLField: "url",
		EditorField: "editor", DateField: "date", AutodateField: "autodate", SelectField: "select", JSONField: "json",
		RelationField: "relation", FileField: "file", PasswordField: "password", GeoPointField: "geoPoint" };
	for (const [name, type] of Object.entries(types)) {
		g[name] = function (data) { Object.assign(this, data || {}); this.type = type; };
	}
	g.unmarshal = function (data, target) {
		if (target && typeof target.load === "function" && typeof target.set === "function") {
			target.load(data);
			return target;
		}
		for (const k of Object.keys(data || {})) target[k] = k === "fields" ? fieldList(data[k]) : data[k];
		return target;
	};
	hide(g, "__lumbungCollection", function (json, isNew) { return decorate(JSON.parse(json), isNew); });
	hide(g, "__lumbungRefresh", function (c, json) {
		for (const k of Object.keys(c)) delete c[k];
		Object.assign(c, JSON.parse(json));
		decorate(c, false);
	});
})(this);
`

// migrationApp is the app a migration gets (and its $app): the hooks'
// $app with records in the migration's transaction, where save and
// delete also take collections, findCollectionByNameOrId answers a
// collection a migration may change and save, runInTransaction runs in
// the migration's transaction, and db().newQuery(sql).execute() runs SQL
// in it.
func (st *vmState) migrationApp(sb *collections.SchemaBatch) *goja.Object {
	vm := st.vm
	a := st.app(sb.Records())
	saveRecord, _ := goja.AssertFunction(a.Get("save"))
	deleteRecord, _ := goja.AssertFunction(a.Get("delete"))
	a.Set("findCollectionByNameOrId", func(call goja.FunctionCall) goja.Value {
		return st.migrationCollection(st.collectionArg(call.Argument(0)))
	})
	save := func(call goja.FunctionCall) goja.Value {
		if st.refOf(call.Argument(0)) != nil {
			out, err := saveRecord(goja.Undefined(), call.Arguments...)
			if err != nil {
				st.rethrow(err)
			}
			return out
		}
		st.saveCollection(sb, call.Argument(0))
		return goja.Undefined()
	}
	a.Set("save", save)
	a.Set("saveNoValidate", save)
	a.Set("delete", func(call goja.FunctionCall) goja.Value {
		if st.refOf(call.Argument(0)) != nil {
			out, err := deleteRecord(goja.Undefined(), call.Arguments...)
			if err != nil {
				st.rethrow(err)
			}
			return out
		}
		obj, ok := call.Argument(0).(*goja.Object)
		if !ok {
			panic(vm.NewTypeError("$app.delete: not a record or collection"))
		}
		name := ""
		for _, k := range []string{"id", "name"} {
			if v := obj.Get(k); v != nil && !goja.IsUndefined(v) && v.String() != "" {
				name = v.String()
				break
			}
		}
		if err := sb.Delete(name); err != nil {
			st.throw(err)
		}
		return goja.Undefined()
	})
	a.Set("importCollections", func(call goja.FunctionCall) goja.Value {
		s, err := st.stringify(call.Argument(0))
		if err != nil {
			st.rethrow(err)
		}
		var defs []*collections.Collection
		if err := json.Unmarshal([]byte(s), &defs); err != nil {
			st.throw(collections.Errorf(collections.EINVALID, "importCollections: invalid collections JSON: %v", err))
		}
		if err := sb.Import(defs, call.Argument(1).ToBoolean()); err != nil {
			st.throw(err)
		}
		return goja.Undefined()
	})
	a.Set("runInTransaction", func(call goja.FunctionCall) goja.Value {
		fn, ok := goja.AssertFunction(call.Argument(0))
		if !ok {
			panic(vm.NewTypeError("$app.runInTransaction: not a function"))
		}
		// A migration is one transaction already.
		if _, err := fn(goja.Undefined(), a); err != nil {
			st.rethrow(err)
		}
		return goja.Undefined()
	})
	// db(): statements run in the migration's transaction; reading rows
	// is not offered (read records with the find methods).
	a.Set("db", func(goja.FunctionCall) goja.Value {
		return st.sqlDB(func(sql string, args []any) ([]map[string]any, error) {
			_, err := sb.Exec(sql, args...)
			return nil, err
		}, false)
	})
	return a
}

// migrationCollection is c as a collection object a migration may change
// and save.
func (st *vmState) migrationCollection(c *collections.Collection) goja.Value {
	b, err := json.Marshal(c)
	if err != nil {
		st.throw(err)
	}
	fn, _ := goja.AssertFunction(st.vm.Get("__lumbungCollection"))
	out, err := fn(goja.Undefined(), st.vm.ToValue(string(b)), st.vm.ToValue(false))
	if err != nil {
		st.rethrow(err)
	}
	return out
}

// saveCollection creates (new Collection) or updates (a collection found)
// the collection v, then refreshes v with what was saved (its ids and
// system fields).
func (st *vmState) saveCollection(sb *collections.SchemaBatch, v goja.Value) {
	obj, ok := v.(*goja.Object)
	if !ok {
		panic(st.vm.NewTypeError("$app.save: not a record or collection"))
	}
	s, err := st.stringify(obj)
	if err != nil {
		st.rethrow(err)
	}
	c := &collections.Collection{}
	if err := json.Unmarshal([]byte(s), c); err != nil {
		var de *collections.Error
		if errors.As(err, &de) {
			st.throw(de)
		}
		st.throw(collections.Errorf(collections.EINVALID, "Invalid collection JSON: %v", err))
	}
	isNew := false
	if n := obj.Get("__new"); n != nil {
		isNew = n.ToBoolean()
	}
	if isNew {
		err = sb.Create(c)
	} else {
		err = sb.Update(c)
	}
	if err != nil {
		st.throw(err)
	}
	saved, ok := sb.Collection(c.ID)
	if !ok {
		return
	}
	b, err := json.Marshal(saved)
	if err != nil {
		st.throw(err)
	}
	fn, _ := goja.AssertFunction(st.vm.Get("__lumbungRefresh"))
	if _, err := fn(goja.Undefined(), obj, st.vm.ToValue(string(b))); err != nil {
		st.rethrow(err)
	}
}
