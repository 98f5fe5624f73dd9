package api

import (
	"reflect"
	"slices"
	"strings"

	"github.com/lumbunghq/lumbung/collections"
)

// schemaRefs are the schemas the record and auth routes of a collection
// (or of any collection) take and answer.
type schemaRefs struct {
	record, list, create, update, auth obj
}

var genericRefs = schemaRefs{record: ref("Record"), list: ref("RecordList"), create: ref("RecordInput"),
	update: ref("RecordInput"), auth: ref("AuthResponse")}

// collectionShape is what a route under /collections/:collection takes
// and answers: the document shows it for any collection, and for each
// collection it applies to.
type collectionShape struct {
	// action is the record action a caller needs for the collection's
	// route ("" for an auth route).
	action string
	// method is the sign-in method an auth collection must have enabled
	// ("" for routes of every auth collection).
	method string
	apply  func(op obj, r schemaRefs)
}

// collectionSuffix is "METHOD rest" for a route under
// /collections/:collection/, the key of collectionShapes; "" for others.
func collectionSuffix(r Route) string {
	rest, ok := strings.CutPrefix(r.Path, "/collections/:collection/")
	if !ok {
		return ""
	}
	return r.Method + " " + rest
}

// applies reports whether the route of the shape belongs to c for the
// document's caller.
func (s collectionShape) applies(d *openapiDoc, r Route, c *collections.Collection) bool {
	if r.Access == Superusers && !d.superuser {
		return false
	}
	if s.action == "" {
		if c.Type != collections.TypeAuth || c.Auth == nil {
			return false
		}
		switch s.method {
		case "password":
			return c.Auth.PasswordAuth.Enabled
		case "otp":
			return c.Auth.OTP.Enabled
		case "oauth2":
			return c.Auth.OAuth2.Enabled
		}
		return true
	}
	if c.Type == collections.TypeView && s.action != collections.ActionList && s.action != collections.ActionView {
		return false
	}
	return d.superuser || d.caller.Access(c, s.action).Allowed
}

func addParams(op obj, names ...string) {
	ps, _ := op["parameters"].([]any)
	op["parameters"] = append(ps, paramRefs(names...)...)
}

func respond(op obj, status, desc string, schema obj) {
	res := obj{"description": desc}
	if schema != nil {
		res["content"] = jsonContent(schema)
	}
	op["responses"].(obj)[status] = res
}

func failWith(op obj, statuses ...string) {
	for _, s := range statuses {
		op["responses"].(obj)[s] = errorRef
	}
}

func body(op obj, schema obj, multipart bool) {
	content := jsonContent(schema)
	if multipart {
		content["multipart/form-data"] = obj{"schema": schema}
	}
	op["requestBody"] = obj{"required": true, "content": content}
}

// strings of a request body, all required unless named in optional.
func fieldsBody(names []string, optional ...string) obj {
	props, required := obj{}, []any{}
	for _, n := range names {
		props[n] = obj{"type": "string"}
		if !slices.Contains(optional, n) {
			required = append(required, n)
		}
	}
	return obj{"type": "object", "required": required, "properties": props}
}

var collectionShapes = map[string]collectionShape{
	"GET records": {action: collections.ActionList, apply: func(op obj, r schemaRefs) {
		addParams(op, "page", "perPage", "sort", "filter", "expand", "fields", "skipTotal")
		respond(op, "200", "A page of the records the caller may list.", r.list)
		failWith(op, "400", "403")
	}},
	"POST records": {action: collections.ActionCreate, apply: func(op obj, r schemaRefs) {
		addParams(op, "expand", "fields")
		body(op, r.create, true)
		respond(op, "200", "The new record.", r.record)
		failWith(op, "400", "403")
	}},
	"GET records/:id": {action: collections.ActionView, apply: func(op obj, r schemaRefs) {
		addParams(op, "expand", "fields")
		respond(op, "200", "The record.", r.record)
		failWith(op, "403", "404")
	}},
	"PATCH records/:id": {action: collections.ActionUpdate, apply: func(op obj, r schemaRefs) {
		addParams(op, "expand", "fields")
		body(op, r.update, true)
		respond(op, "200", "The changed record.", r.record)
		failWith(op, "400", "403", "404")
	}},
	"DELETE records/:id": {action: collections.ActionDelete, apply: func(op obj, r schemaRefs) {
		respond(op, "204", "Deleted.", nil)
		failWith(op, "400", "403", "404")
	}},
	"GET auth-methods": {apply: func(op obj, r schemaRefs) {
		respond(op, "200", "The sign-in methods.", ref("AuthMethods"))
	}},
	"POST auth-with-password": {method: "password", apply: func(op obj, r schemaRefs) {
		body(op, fieldsBody([]string{"identity", "password", "identityField"}, "identityField"), false)
		respond(op, "200", "The record and its token.", r.auth)
		failWith(op, "400")
		op["responses"].(obj)["401"] = mfaResponse
	}},
	"POST auth-with-oauth2": {method: "oauth2", apply: func(op obj, r schemaRefs) {
		b := fieldsBody([]string{"provider", "code", "codeVerifier", "redirectURL"}, "codeVerifier")
		b["properties"].(obj)["createData"] = obj{"type": "object", "additionalProperties": true,
			"description": "Fields of the record created on a first sign-in."}
		body(op, b, false)
		respond(op, "200", "The record, its token and what the provider said.", r.auth)
		failWith(op, "400")
		op["responses"].(obj)["401"] = mfaResponse
	}},
	"POST request-otp": {method: "otp", apply: func(op obj, r schemaRefs) {
		body(op, fieldsBody([]string{"email"}), false)
		respond(op, "200", "The id of the one-time password to send back with it.",
			obj{"type": "object", "required": []any{"otpId"}, "properties": obj{"otpId": obj{"type": "string"}}})
		failWith(op, "400")
	}},
	"POST auth-with-otp": {method: "otp", apply: func(op obj, r schemaRefs) {
		body(op, fieldsBody([]string{"otpId", "password"}), false)
		respond(op, "200", "The record and its token.", r.auth)
		failWith(op, "400")
		op["responses"].(obj)["401"] = mfaResponse
	}},
	"POST auth-refresh": {apply: func(op obj, r schemaRefs) {
		addParams(op, "expand", "fields")
		respond(op, "200", "The record and a new token.", r.auth)
	}},
	"POST request-verification":   {apply: noContent([]string{"email"})},
	"POST confirm-verification":   {apply: noContent([]string{"token"})},
	"POST request-password-reset": {apply: noContent([]string{"email"})},
	"POST confirm-password-reset": {apply: noContent([]string{"token", "password", "passwordConfirm"})},
	"POST request-email-change":   {apply: noContent([]string{"newEmail"})},
	"POST confirm-email-change":   {apply: noContent([]string{"token", "password"})},
	"POST impersonate/:id": {apply: func(op obj, r schemaRefs) {
		body(op, obj{"type": "object", "properties": obj{"duration": obj{"type": "integer",
			"description": "How long the token lasts, in seconds (0: the collection's auth token duration)."}}}, false)
		respond(op, "200", "The record and a token for it.", r.auth)
		failWith(op, "400", "404")
	}},
}

// mfaResponse is the answer to a first sign-in method when the
// collection asks for a second one.
var mfaResponse = obj{"description": "A second method is needed (MFA): sign in again with it and this mfaId, or another error.",
	"content": jsonContent(obj{"oneOf": []any{
		obj{"type": "object", "required": []any{"mfaId"}, "properties": obj{"mfaId": obj{"type": "string"}}},
		ref("Error"),
	}})}

func noContent(fields []string) func(obj, schemaRefs) {
	return func(op obj, _ schemaRefs) {
		body(op, fieldsBody(fields), false)
		respond(op, "204", "Done.", nil)
		failWith(op, "400")
	}
}

// collectionSchemas adds the schemas of c's records as the caller reads
// and writes them, and returns references to them.
func (d *openapiDoc) collectionSchemas(c *collections.Collection) schemaRefs {
	name := c.Name + "."
	view := d.recordSchema(c, collections.ActionView)
	d.schemas[name+"record"] = view
	r := schemaRefs{record: ref(name + "record")}
	if d.superuser || d.caller.Access(c, collections.ActionList).Allowed {
		item := r.record
		if list := d.recordSchema(c, collections.ActionList); !reflect.DeepEqual(list, view) {
			d.schemas[name+"listItem"] = list
			item = ref(name + "listItem")
		}
		d.schemas[name+"list"] = listSchema(item)
		r.list = ref(name + "list")
	}
	if c.Type != collections.TypeView {
		for _, action := range []string{collections.ActionCreate, collections.ActionUpdate} {
			if s, ok := d.inputSchema(c, action); ok {
				d.schemas[name+action] = s
			}
		}
		if d.schemas[name+collections.ActionCreate] != nil {
			r.create = ref(name + collections.ActionCreate)
		}
		if d.schemas[name+collections.ActionUpdate] != nil {
			r.update = ref(name + collections.ActionUpdate)
		}
	}
	if c.Type == collections.TypeAuth {
		d.schemas[name+"auth"] = authSchema(r.record)
		r.auth = ref(name + "auth")
	}
	return r
}

// recordSchema is a record of c as the caller reads it under action (list
// or view): the fields it may read, hidden ones for superusers only.
func (d *openapiDoc) recordSchema(c *collections.Collection, action string) obj {
	readable := d.recs.ReadableAs(c, action)
	props := obj{
		"collectionId":   obj{"type": "string", "const": c.ID},
		"collectionName": obj{"type": "string", "const": c.Name},
	}
	required := []any{"collectionId", "collectionName"}
	expand := obj{}
	for _, f := range c.Fields {
		if f.Secret(c) || (f.Hidden && !d.superuser) || !readable(c, f.Name) {
			continue
		}
		props[f.Name] = d.valueSchema(c, f, false)
		// Other records' emails show only with emailVisibility.
		if d.superuser || c.Type != collections.TypeAuth || f.Name != "email" {
			required = append(required, f.Name)
		}
		if o, ok := f.Options.(*collections.RelationOptions); ok && d.described[o.CollectionID] != nil {
			target := ref(d.described[o.CollectionID].Name + ".record")
			if o.Multi() {
				target = obj{"type": "array", "items": target}
			}
			expand[f.Name] = target
		}
	}
	props["expand"] = expandedSchema(expand)
	return obj{"type": "object", "required": required, "properties": props}
}

// inputSchema is the body of a create or update of c by the caller: the
// fields it may write and read.
func (d *openapiDoc) inputSchema(c *collections.Collection, action string) (obj, bool) {
	acc := d.caller.Access(c, action)
	if !d.superuser && !acc.Allowed {
		return nil, false
	}
	creating, auth := action == collections.ActionCreate, c.Type == collections.TypeAuth
	viewable := d.recs.ReadableAs(c, collections.ActionView)
	props, required := obj{}, []any{}
	for _, f := range c.Fields {
		switch {
		case f.Type == "autodate", f.Name == "tokenKey" && auth, f.Name == "id" && !creating:
			continue
		case f.Hidden && !d.superuser, !d.superuser && auth && f.Name == "verified":
			continue
		case acc.Fields != nil && !slices.Contains(acc.Fields, f.Name):
			continue
		case !d.superuser && f.Type != "password" && !viewable(c, f.Name):
			continue
		}
		props[f.Name] = d.valueSchema(c, f, true)
		if f.Type == "password" && auth && f.Name == "password" {
			props["passwordConfirm"] = obj{"type": "string", "writeOnly": true, "description": "The password again."}
			if !creating && !d.superuser {
				props["oldPassword"] = obj{"type": "string", "writeOnly": true, "description": "The current password, to change it."}
			}
		}
		if creating && f.Required && !autogenerated(f) {
			required = append(required, f.Name)
			if f.Type == "password" && f.Name == "password" {
				required = append(required, "passwordConfirm")
			}
		}
		if !creating {
			for _, m := range modifiers(f) {
				props[m] = obj{"description": "Changes " + f.Name + " (" + strings.Replace(m, f.Name, "field", 1) + ")."}
			}
		}
	}
	s := obj{"type": "object", "properties": props}
	if len(required) > 0 {
		s["required"] = required
	}
	return s, true
}

// autogenerated reports whether the server fills f when the input has none.
func autogenerated(f *collections.Field) bool {
	o, ok := f.Options.(*collections.TextOptions)
	return ok && o.AutogeneratePattern != ""
}

// modifiers are PocketBase's "field+", "+field" and "field-" keys that
// change a number or a multiple value of f.
func modifiers(f *collections.Field) []string {
	switch o := f.Options.(type) {
	case *collections.NumberOptions:
		return []string{f.Name + "+", f.Name + "-"}
	case *collections.SelectOptions:
		if o.Multi() {
			return []string{f.Name + "+", "+" + f.Name, f.Name + "-"}
		}
	case *collections.RelationOptions:
		if o.Multi() {
			return []string{f.Name + "+", "+" + f.Name, f.Name + "-"}
		}
	case *collections.FileOptions:
		if o.Multi() {
			return []string{f.Name + "+", "+" + f.Name, f.Name + "-"}
		}
	}
	return nil
}

// datePattern is a date as records carry it, collections.DateLayout.
const datePattern = `^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}Z$`

// valueSchema is the JSON Schema of f's values in records (input false)
// or in request bodies (input true).
func (d *openapiDoc) valueSchema(c *collections.Collection, f *collections.Field, input bool) obj {
	many := func(item obj, max int) obj {
		s := obj{"type": "array", "items": item}
		if max > 0 {
			s["maxItems"] = max
		}
		return s
	}
	var s obj
	switch o := f.Options.(type) {
	case *collections.TextOptions, *collections.URLOptions:
		s = obj{"type": "string"}
	case *collections.EditorOptions:
		s = obj{"type": "string", "contentMediaType": "text/html"}
	case *collections.EmailOptions:
		s = obj{"type": "string", "description": `An email address ("" when unset).`}
	case *collections.PasswordOptions:
		s = obj{"type": "string", "writeOnly": true}
	case *collections.NumberOptions:
		s = obj{"type": "number"}
		if o.OnlyInt {
			s["type"] = "integer"
		}
	case *collections.BoolOptions:
		s = obj{"type": "boolean"}
	case *collections.DateOptions:
		s = obj{"type": "string", "description": `A date as "2006-01-02 15:04:05.000Z" (UTC), "" when unset.`}
		if !input {
			s["anyOf"] = []any{obj{"pattern": datePattern}, obj{"const": ""}}
		}
	case *collections.AutodateOptions:
		s = obj{"type": "string", "pattern": datePattern, "readOnly": true,
			"description": `Set by the server: a date as "2006-01-02 15:04:05.000Z" (UTC).`}
	case *collections.SelectOptions:
		values := make([]any, 0, len(o.Values)+1)
		for _, v := range o.Values {
			values = append(values, v)
		}
		if o.Multi() {
			s = many(obj{"type": "string", "enum": values}, o.MaxSelect)
			s["uniqueItems"] = true
		} else {
			s = obj{"type": "string", "enum": append(values, "")}
		}
	case *collections.JSONOptions:
		s = obj{"description": "Any JSON value (null when unset)."}
	case *collections.RelationOptions:
		id := obj{"type": "string", "description": "A record id"}
		if t := d.described[o.CollectionID]; t != nil {
			id["description"] = "The id of a record of " + t.Name
		}
		id["description"] = id["description"].(string) + ` ("" when unset).`
		s = id
		if o.Multi() {
			id["description"] = strings.Replace(id["description"].(string), ` ("" when unset)`, "", 1)
			s = many(id, o.MaxSelect)
		}
	case *collections.FileOptions:
		name := obj{"type": "string", "description": "A file name (the file is at /api/files/" + c.ID + "/{recordId}/{name})."}
		if input {
			name = obj{"type": "string", "description": "A file (multipart/form-data), or the name of a file the record keeps."}
		}
		s = name
		if o.Multi() {
			s = many(name, o.MaxSelect)
		}
	case *collections.GeoPointOptions:
		s = obj{"type": "object", "required": []any{"lon", "lat"}, "properties": obj{
			"lon": obj{"type": "number", "minimum": -180, "maximum": 180},
			"lat": obj{"type": "number", "minimum": -90, "maximum": 90}}}
	default:
		s = storageSchema(f.Storage())
	}
	if f.Hidden {
		s["x-hidden"] = true
	}
	return s
}

// storageSchema is the schema of a field type the document does not know,
// by how it is stored.
func storageSchema(st collections.Storage) obj {
	switch st {
	case collections.StorageNumber:
		return obj{"type": "number"}
	case collections.StorageBool:
		return obj{"type": "boolean"}
	case collections.StorageJSON:
		return obj{}
	case collections.StorageTextArray:
		return obj{"type": "array", "items": obj{"type": "string"}}
	}
	return obj{"type": "string"}
}
