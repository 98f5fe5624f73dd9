package filter

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/lumbunghq/lumbung/collections"
)

// listMods tells where :each and :length apply to a request value.
type listMods uint8

const (
	noLists    listMods = iota // never (query, headers, method, context, other body keys)
	valueLists                 // to lists and null (@request.auth.*)
	fieldLists                 // to any value, one item when not a list (body values of select and relation fields)
)

// maxRequestIDs bounds the ids a path through a relation of the request
// (@request.auth.<rel>, @request.body.<rel>) may reach.
const maxRequestIDs = 1000

// request resolves @request.<name>: auth, body, query, headers, method and
// context. Values from the request are constants; paths through a
// relation field of the auth record or of the body reach the rows with
// the ids they hold.
func (r *resolver) request(id *Identifier) (*value, error) {
	req := r.env.Request
	switch id.Path[0] {
	case "auth":
		return r.auth(id)
	case "body":
		if len(id.Path) < 2 {
			return nil, r.invalid(id.Start, "expected @request.body.<field>")
		}
		return r.body(id)
	case "query", "headers":
		if len(id.Path) < 2 {
			return nil, r.invalid(id.Start, "expected @request.%s.<name>", id.Path[0])
		}
		var m map[string]string
		if req != nil {
			m = req.Query
			if id.Path[0] == "headers" {
				m = req.Headers
			}
		}
		s, ok := m[id.Path[1]]
		if len(id.Path) > 2 || !ok { // a text value has no keys
			return r.constValue(id, nil, false, noLists, true)
		}
		return r.constValue(id, s, true, noLists, true)
	case "method", "context":
		if len(id.Path) != 1 {
			return nil, r.invalid(id.Start, "expected @request.%s", id.Path[0])
		}
		if req == nil {
			return r.constValue(id, nil, false, noLists, true)
		}
		s := req.Method
		if id.Path[0] == "context" {
			if s = req.Context; s == "" {
				s = collections.ContextDefault
			}
		}
		return r.constValue(id, s, true, noLists, true)
	}
	return nil, r.invalid(id.Start, "unknown identifier %q (use @request.auth, @request.body, @request.query, @request.headers, @request.method or @request.context)", id.String())
}

// auth resolves @request.auth.<field>[.<path>]: the signed-in record's
// values (Env.Auth), and through its relation fields the related rows.
func (r *resolver) auth(id *Identifier) (*value, error) {
	if len(id.Path) < 2 {
		return nil, r.invalid(id.Start, "expected @request.auth.<field>")
	}
	name := id.String()
	field, rest := id.Path[1], id.Path[2:]
	auth := r.env.Auth
	raw, present := auth[field] // a nil map: a guest
	if len(rest) == 0 {
		return r.constValue(id, raw, present, valueLists, false)
	}
	if id.Modifier == "isset" || id.Modifier == "changed" {
		return nil, r.invalid(id.Start, ":%s cannot be used on a path through a relation", id.Modifier)
	}
	null := &value{pos: id.Start, name: name, kind: kNull, consts: []any{nil}}
	collID, _ := auth["collectionId"].(string)
	ac, ok := r.lookup(collID)
	if auth == nil || !ok {
		return null, nil // a guest, or a role simulated without a record
	}
	f, ok := ac.Field(field)
	if !ok {
		return null, nil // as PocketBase reads a missing name of @request
	}
	if !present {
		return nil, r.invalid(id.Start, "the field %q cannot be used in filters", "@request.auth."+field)
	}
	if f.Storage() == collections.StorageJSON {
		v, found := nested(raw, rest)
		return r.constValue(id, v, found, valueLists, true)
	}
	opts, ok := f.Options.(*collections.RelationOptions)
	if !ok {
		return nil, r.invalid(id.Start, "%q is not a relation field, so %q cannot be resolved", field, name)
	}
	return r.requestPath(id, "@request.auth."+field, opts, requestIDs(raw), rest)
}

// body resolves @request.body.<key>[.<path>][:modifier]. A key that names
// a field of the filtered collection takes that field's modifiers; a path
// through a relation field reaches the rows with the submitted ids; other
// keys and paths read the submitted value as it is.
func (r *resolver) body(id *Identifier) (*value, error) {
	var body map[string]any
	if r.env.Request != nil {
		body = r.env.Request.Body
	}
	key, rest := id.Path[1], id.Path[2:]
	raw, present := body[key]
	if f, ok := r.env.Root.Field(key); ok {
		opts, isRel := f.Options.(*collections.RelationOptions)
		switch {
		case isRel && len(rest) > 0:
			if id.Modifier == "isset" || id.Modifier == "changed" {
				return nil, r.invalid(id.Start, ":%s cannot be used on a path through a relation", id.Modifier)
			}
			return r.requestPath(id, "@request.body."+key, opts, requestIDs(raw), rest)
		case len(rest) == 0 && id.Modifier == "changed":
			return r.changed(id, f, raw, present)
		case len(rest) == 0 && multiCapable(f):
			return r.constValue(id, raw, present, fieldLists, true)
		}
	}
	if len(rest) > 0 {
		var found bool
		raw, found = nested(raw, rest)
		present = present && found
	}
	return r.constValue(id, raw, present, noLists, true)
}

// requestPath resolves the rest of a path through a relation field of the
// request (key names it: "@request.auth.org"): the rows with ids, which
// comparisons joined by && share like a relation's rows.
func (r *resolver) requestPath(id *Identifier, key string, opts *collections.RelationOptions, ids []string, rest []string) (*value, error) {
	name := id.String()
	if len(ids) > maxRequestIDs {
		return nil, r.invalid(id.Start, "%s has too many values", name)
	}
	for _, s := range ids {
		if checkText(s) != nil {
			ids = nil // not an id of any record
			break
		}
	}
	if len(ids) == 0 {
		return &value{pos: id.Start, name: name, kind: kNull, consts: []any{nil}}, nil
	}
	target, ok := r.lookup(opts.CollectionID)
	if !ok {
		return nil, r.invalid(id.Start, "the relation %q points to an unknown collection", key)
	}
	// <rel>.id of a single relation is the id itself: no join needed.
	if !opts.Multi() && len(rest) == 1 && rest[0] == "id" {
		return r.constValue(id, ids[0], true, noLists, false)
	}
	h := hop{kind: hopIDs, ids: ids, multi: opts.Multi(), to: target, key: key}
	if err := r.limit(&h); err != nil {
		return nil, err
	}
	rf, err := r.walk(&ref{hops: []hop{h}}, []string{key}, target, rest, id.Modifier, id.Start, name)
	var m missingError
	if errors.As(err, &m) {
		return &value{pos: id.Start, name: name, kind: kNull, consts: []any{nil}}, nil
	}
	if err != nil {
		return nil, err
	}
	return &value{ref: rf, kind: rf.kind, pos: id.Start, name: name}, nil
}

// changed resolves @request.body.<field>:changed, PocketBase's
// "@request.body.<field>:isset = true && @request.body.<field> != <field>":
// the body sets the field to another value than the record holds (the
// stored one before an update, Env.Stored).
func (r *resolver) changed(id *Identifier, f *collections.Field, raw any, present bool) (*value, error) {
	name := id.String()
	out := &value{pos: id.Start, name: name, kind: kBool, consts: []any{false}}
	plainID := *id
	plainID.Modifier = ""
	body, err := r.constValue(&plainID, raw, present, noLists, true)
	if err != nil || !present {
		return out, err
	}
	var cur *value
	if r.env.Stored != nil {
		cur, err = storedValue(f, r.env.Stored[f.Name])
		if err != nil {
			return nil, r.invalid(id.Start, "%s: %s", name, err)
		}
		cur.pos, cur.name = id.Start, f.Name
	} else {
		rf, err := r.path(r.env.Root, []string{f.Name}, "", id.Start, name)
		if err != nil {
			return nil, err
		}
		cur = &value{ref: rf, kind: rf.kind, pos: id.Start, name: f.Name}
	}
	a := &atom{op: OpNeq, l: body, r: cur}
	if err := setDomain(a, id.Start); err != nil {
		return nil, err
	}
	n := fold(a)
	if c, ok := n.(constNode); ok {
		out.consts = []any{bool(c)}
		return out, nil
	}
	out.consts, out.pred = nil, n
	return out, nil
}

// storedValue is a stored field value as a constant of the field's kind.
func storedValue(f *collections.Field, raw any) (*value, error) {
	v := &value{soft: true}
	switch f.Storage() {
	case collections.StorageNumber, collections.StorageBool, collections.StorageTime:
		x, err := plain(raw)
		if err != nil {
			return nil, err
		}
		v.consts = []any{x}
		v.kind = kindOf(x)
		return v, nil
	case collections.StorageJSON:
		var doc any
		if m, ok := raw.(json.RawMessage); ok && len(bytes.TrimSpace(m)) > 0 {
			d := json.NewDecoder(bytes.NewReader(m))
			d.UseNumber()
			if err := d.Decode(&doc); err != nil {
				return nil, err
			}
		}
		x, err := plain(doc)
		if err != nil {
			return nil, err
		}
		if items, ok := x.([]any); ok {
			x = jsonText(items)
		}
		v.consts, v.kind = []any{x}, kindOf(x)
		return v, nil
	case collections.StorageTextArray:
		v.consts, v.kind = []any{jsonText(collections.IDs(raw))}, kText
		return v, nil
	}
	s, _ := raw.(string)
	v.consts, v.kind = []any{s}, kText
	return v, nil
}

// constValue resolves a value taken from the request (present: its key
// exists) with the identifier's modifier; lists tells where :each and
// :length apply. Without :each a list is its JSON text, as PocketBase
// compares it. soft marks values the client sent (see value.soft).
func (r *resolver) constValue(id *Identifier, raw any, present bool, lists listMods, soft bool) (*value, error) {
	name := id.String()
	v := &value{pos: id.Start, name: name, soft: soft}
	mod := id.Modifier
	switch mod {
	case "isset":
		v.kind, v.consts, v.soft = kBool, []any{present}, false
		return v, nil
	case "changed":
		return nil, r.invalid(id.Start, ":changed needs a field of %q, %s is not one", r.env.Root.Name, name)
	}
	x, err := plain(raw)
	if err != nil {
		if !soft {
			return nil, r.invalid(id.Start, "%s has an unsupported value", name)
		}
		x = nil
	}
	items, isList := x.([]any)
	switch mod {
	case "each", "length":
		if lists == noLists || (lists == valueLists && !isList && x != nil) {
			return nil, r.invalid(id.Start, ":%s needs a list, %s is %s", mod, name, kindOf(x))
		}
		if !isList && x != nil {
			items = []any{x}
		}
		if mod == "length" {
			v.kind, v.consts = kNumber, []any{float64(len(items))}
			return v, nil
		}
		if len(items) > maxAuthItems && !soft {
			return nil, r.invalid(id.Start, "%s has too many values", name)
		}
		v.list, v.kind, v.consts = true, listKind(items), nil
		for _, it := range items {
			c, err := r.item(it, v, id.Start)
			if err != nil {
				return nil, err
			}
			v.consts = append(v.consts, c)
		}
		if v.kind == kNull {
			v.kind = kText
		}
		return v, nil
	}
	if isList {
		x = jsonText(items)
	}
	if mod == "lower" {
		switch y := x.(type) {
		case nil:
		case string:
			x = strings.ToLower(y)
		default:
			if !soft {
				return nil, r.invalid(id.Start, ":lower needs a text value, %s is %s", name, kindOf(x))
			}
			x = strings.ToLower(textForm(x))
		}
	}
	v.kind = kindOf(x)
	c, err := r.item(x, v, id.Start)
	if err != nil {
		return nil, err
	}
	v.consts = []any{c}
	return v, nil
}

// item checks one constant of v: text PostgreSQL cannot hold is an error,
// or for a request value a mismatch.
func (r *resolver) item(x any, v *value, pos int) (any, error) {
	if v.kind == kText {
		x = textOfKind(x)
	}
	s, ok := x.(string)
	if !ok {
		return x, nil
	}
	if err := checkText(s); err != nil {
		if v.soft {
			return mismatch{}, nil
		}
		return nil, r.invalid(pos, "%s: %s", v.name, err)
	}
	return s, nil
}

// textOfKind writes a scalar as text when a list of mixed kinds is read
// as text; nil stays nil.
func textOfKind(x any) any {
	if x == nil {
		return nil
	}
	if s, ok := x.(string); ok {
		return s
	}
	return textForm(x)
}

// textForm writes a plain scalar as text.
func textForm(x any) string {
	switch y := x.(type) {
	case string:
		return y
	case float64:
		return strconv.FormatFloat(y, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(y)
	case time.Time:
		return collections.FormatDate(y)
	case []any:
		return jsonText(y)
	}
	return fmt.Sprint(x)
}

// kindOf is the kind of a plain scalar.
func kindOf(x any) kind {
	switch x.(type) {
	case string:
		return kText
	case float64:
		return kNumber
	case bool:
		return kBool
	case time.Time:
		return kTime
	case []any:
		return kText
	}
	return kNull
}

// listKind is the kind of the items of a list: theirs when they agree
// (nulls aside), else text.
func listKind(items []any) kind {
	k := kNull
	for _, it := range items {
		ik := kindOf(it)
		switch {
		case ik == kNull:
		case k == kNull:
			k = ik
		case k != ik:
			return kText
		}
	}
	return k
}

// plain converts a value from the request or a record to nil, string,
// float64, bool, time.Time or []any (of such values; nested lists and
// objects as JSON text). Objects become their JSON text.
func plain(v any) (any, error) {
	switch x := v.(type) {
	case nil, string, float64, bool:
		return x, nil
	case time.Time:
		if x.IsZero() {
			return nil, nil
		}
		return x.UTC().Truncate(time.Microsecond), nil
	case float32:
		return float64(x), nil
	case int:
		return float64(x), nil
	case int32:
		return float64(x), nil
	case int64:
		return float64(x), nil
	case json.Number:
		f, err := x.Float64()
		if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			return x.String(), nil
		}
		return f, nil
	case []string:
		out := make([]any, len(x))
		for i, s := range x {
			out[i] = s
		}
		return out, nil
	case []any:
		out := make([]any, len(x))
		for i, it := range x {
			p, err := plain(it)
			if err != nil {
				return nil, err
			}
			if l, ok := p.([]any); ok {
				p = jsonText(l)
			}
			out[i] = p
		}
		return out, nil
	case map[string]any:
		b, err := json.Marshal(x)
		if err != nil {
			return nil, err
		}
		return string(b), nil
	case json.RawMessage:
		if len(bytes.TrimSpace(x)) == 0 {
			return nil, nil
		}
		var d any
		dec := json.NewDecoder(bytes.NewReader(x))
		dec.UseNumber()
		if err := dec.Decode(&d); err != nil {
			return nil, err
		}
		return plain(d)
	}
	return nil, fmt.Errorf("unsupported type %T", v)
}

// jsonText is the JSON text of a list as PocketBase stores and compares
// it: Go's encoding, no spaces, "[]" when empty.
func jsonText[T any](items []T) string {
	if items == nil {
		return "[]"
	}
	b, err := json.Marshal(items)
	if err != nil {
		return "[]"
	}
	return string(b)
}

// nested follows keys into a value as PocketBase reads @request.body.a.b:
// object keys and list indexes. found is false when a key is missing.
func nested(raw any, keys []string) (any, bool) {
	for _, k := range keys {
		if m, ok := raw.(json.RawMessage); ok {
			var d any
			dec := json.NewDecoder(bytes.NewReader(m))
			dec.UseNumber()
			if dec.Decode(&d) != nil {
				return nil, false
			}
			raw = d
		}
		switch x := raw.(type) {
		case map[string]any:
			v, ok := x[k]
			if !ok {
				return nil, false
			}
			raw = v
		case []any:
			i, err := strconv.Atoi(k)
			if err != nil || i < 0 || i >= len(x) {
				return nil, false
			}
			raw = x[i]
		case []string:
			i, err := strconv.Atoi(k)
			if err != nil || i < 0 || i >= len(x) {
				return nil, false
			}
			raw = x[i]
		default:
			return nil, false
		}
	}
	return raw, true
}

// requestIDs reads the ids of a relation value from the request or the
// auth record: an id or a list of ids, each once, empty ones left out.
func requestIDs(raw any) []string {
	var list []string
	switch x := raw.(type) {
	case string:
		list = []string{x}
	case []string:
		list = x
	case []any:
		for _, it := range x {
			if s, ok := it.(string); ok {
				list = append(list, s)
			}
		}
	}
	var out []string
	seen := map[string]bool{}
	for _, s := range list {
		if s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// multiCapable reports whether :each and :length apply to the body value
// of f, as PocketBase allows them on select, relation and file fields.
func multiCapable(f *collections.Field) bool {
	switch f.Type {
	case "select", "relation", "file":
		return true
	}
	return f.Storage() == collections.StorageTextArray
}
