package filter

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/lumbunghq/lumbung/collections"
)

// Env is what a filter is compiled against: the collection it filters, the
// schema for following relations, the clock for macros, the caller's
// identity for @request.auth.* and the caller's read permissions.
type Env struct {
	// Root is the collection whose records are filtered.
	Root *collections.Collection
	// Schema resolves relation targets and back-relations. Without it only
	// the root's own fields can be used.
	Schema collections.Lookup
	// Now is the instant the macros (@now, @todayStart, ...) are taken
	// from, in UTC. The zero value means time.Now().
	Now time.Time
	// Auth holds the @request.auth.* values of the signed-in record (id,
	// collectionName, email, ... and its fields), as canonical Go values.
	// Nil means a guest: every @request.auth.* value is null.
	Auth map[string]any
	// CanRead reports whether the caller may read a field of a collection.
	// A filter or sort that references an unreadable field is rejected
	// (EINVALID), so that it cannot be used to probe hidden values. Nil
	// means every field is readable, hidden ones included: pass a CanRead
	// for client-supplied filters.
	CanRead func(c *collections.Collection, field string) bool
}

// Limits on what one filter may ask of the database.
const (
	// MaxRelationDepth is how many relations a path may follow.
	MaxRelationDepth = 6
	// maxAuthItems bounds list values taken from Env.Auth.
	maxAuthItems = 100
)

// kind is the static type of an operand.
type kind uint8

const (
	kNull kind = iota // the null literal (or an absent @request value)
	kText
	kNumber
	kBool
	kTime
	kJSON
)

func (k kind) String() string {
	return [...]string{"null", "text", "a number", "a boolean", "a date", "a json value"}[k]
}

// domain is how one comparison is evaluated; it follows from the kinds of
// its two sides. The JSON domains always have the JSON value on the left.
type domain uint8

const (
	dText     domain = iota + 1 // strings; NULL equals ''
	dNumber                     // float64
	dBool                       // bool
	dTime                       // time.Time, microsecond precision
	dJSONNull                   // json value vs null or ''
	dJSONText                   // json string vs text
	dJSONNum                    // json number vs a number constant
	dJSONBool                   // json boolean vs a boolean constant
)

type hopKind uint8

const (
	hopOne  hopKind = iota + 1 // single relation: target.id = from.field
	hopMany                    // multi relation: target.id = ANY(from.field)
	hopBack                    // back-relation: target.field references from.id
)

// hop is one step of a relation path.
type hop struct {
	kind  hopKind
	field string                  // the relation field (on the source for one/many, on the target for back)
	multi bool                    // for back-relations: the target's field holds many ids
	to    *collections.Collection // the collection reached
	key   string                  // the path up to and including this hop, e.g. "tags.author"
}

// ref is a resolved field reference.
type ref struct {
	hops     []hop
	coll     *collections.Collection // holds the column
	col      string
	kind     kind
	items    bool     // the value is a list (text[]) compared item by item
	length   bool     // :length of a list
	lower    bool     // :lower
	jsonPath []string // keys inside a json column
	nullable bool     // the column itself may hold NULL
}

// value is a resolved operand: a field reference or constants.
type value struct {
	ref    *ref
	consts []any // when ref is nil: the constant (one item) or the items of a list constant
	list   bool  // consts came from a list (compared item by item)
	kind   kind
	pos    int
	name   string // as written, for messages
}

func (v *value) isConst() bool { return v.ref == nil }

// manyValued reports whether v is compared item by item.
func (v *value) manyValued() bool {
	if v.ref == nil {
		return v.list
	}
	if v.ref.items {
		return true
	}
	for _, h := range v.ref.hops {
		if h.kind != hopOne {
			return true
		}
	}
	return false
}

// node is the compiled form of an Expr: *logic, *atom or constNode.
type node interface{}

type logic struct {
	and   bool
	terms []node
}

type constNode bool

// atom is one comparison with both sides resolved and a domain chosen.
// Constants are already converted to the domain's Go type.
type atom struct {
	op   Operator // without "?"
	any  bool
	l, r *value
	dom  domain
}

// resolver compiles an Expr against an Env.
type resolver struct {
	env  Env
	now  time.Time
	sort bool // phrase errors for a sort string
}

// invalid returns an EINVALID error about the filter (or sort) at pos.
func (r *resolver) invalid(pos int, format string, args ...any) error {
	if r.sort {
		return collections.Errorf(collections.EINVALID, "Invalid sort: %s.", fmt.Sprintf(format, args...))
	}
	return invalid(pos, format, args...)
}

func newResolver(env Env) (*resolver, error) {
	if env.Root == nil {
		return nil, fmt.Errorf("filter: Env.Root is nil")
	}
	now := env.Now
	if now.IsZero() {
		now = time.Now()
	}
	return &resolver{env: env, now: now.UTC()}, nil
}

func invalid(pos int, format string, args ...any) error {
	return collections.Errorf(collections.EINVALID, "Invalid filter at position %d: %s.", pos, fmt.Sprintf(format, args...))
}

// compile turns e into a node tree with constant comparisons folded.
func (r *resolver) compile(e Expr) (node, error) {
	n, err := r.build(e)
	if err != nil {
		return nil, err
	}
	return fold(n), nil
}

// fold evaluates comparisons of two constants and simplifies the logic
// around the results.
func fold(n node) node {
	switch n := n.(type) {
	case *atom:
		if n.l.isConst() && n.r.isConst() {
			return constNode(compare(n.dom, n.op, n.l.consts[0], n.r.consts[0], true))
		}
	case *logic:
		terms := make([]node, 0, len(n.terms))
		for _, t := range n.terms {
			t = fold(t)
			if c, ok := t.(constNode); ok {
				if bool(c) != n.and { // TRUE in an OR, FALSE in an AND
					return c
				}
				continue
			}
			terms = append(terms, t)
		}
		switch len(terms) {
		case 0:
			return constNode(n.and)
		case 1:
			return terms[0]
		}
		return &logic{and: n.and, terms: terms}
	}
	return n
}

// build turns e into a node tree.
func (r *resolver) build(e Expr) (node, error) {
	switch e := e.(type) {
	case *Logical:
		l := &logic{and: e.Op == And}
		for _, t := range e.Terms {
			n, err := r.build(t)
			if err != nil {
				return nil, err
			}
			l.terms = append(l.terms, n)
		}
		return l, nil
	case *Comparison:
		return r.comparison(e)
	}
	return nil, fmt.Errorf("filter: unknown expression %T", e)
}

func (r *resolver) comparison(c *Comparison) (node, error) {
	l, err := r.operand(c.Left)
	if err != nil {
		return nil, err
	}
	rv, err := r.operand(c.Right)
	if err != nil {
		return nil, err
	}
	op := c.Op.Base()
	a := &atom{op: op, any: c.Op.IsAny(), l: l, r: rv}
	if err := setDomain(a, c.OpPos); err != nil {
		return nil, err
	}
	// A list constant is expanded into one comparison per item, so the
	// later stages only see single constants: "any" becomes an OR, "all"
	// an AND. An empty list compares like a list holding one null.
	if l.list || rv.list {
		return expandLists(a), nil
	}
	return a, nil
}

func expandLists(a *atom) node {
	side := a.l
	if !side.list {
		side = a.r
	}
	if !side.list {
		return a
	}
	items := side.consts
	if len(items) == 0 {
		items = []any{nil}
	}
	out := &logic{and: !a.any}
	for _, it := range items {
		b := *a
		one := *side
		one.consts, one.list = []any{it}, false
		if side == a.l {
			b.l = &one
		} else {
			b.r = &one
		}
		out.terms = append(out.terms, expandLists(&b))
	}
	if len(out.terms) == 1 {
		return out.terms[0]
	}
	return out
}

// operand resolves one side of a comparison.
func (r *resolver) operand(o Operand) (*value, error) {
	switch o := o.(type) {
	case *Literal:
		v := &value{pos: o.Start, name: o.String(), consts: []any{o.Value}}
		switch o.Kind {
		case LitString:
			if err := checkText(o.Value.(string)); err != nil {
				return nil, r.invalid(o.Start, "%s", err)
			}
			v.kind = kText
		case LitNumber:
			v.kind = kNumber
		case LitBool:
			v.kind = kBool
		default:
			v.kind, v.consts = kNull, []any{nil}
		}
		return v, nil
	case *Identifier:
		switch o.Kind {
		case IdentMacro:
			mv, _ := macroValue(o.Path[0], r.now)
			k := kNumber
			if _, ok := mv.(time.Time); ok {
				k = kTime
			}
			return &value{consts: []any{mv}, kind: k, pos: o.Start, name: o.String()}, nil
		case IdentRequest:
			return r.request(o)
		case IdentCollection:
			return nil, r.invalid(o.Start, "@collection references are not supported yet")
		}
		return r.field(o)
	}
	return nil, fmt.Errorf("filter: unknown operand %T", o)
}

// checkText rejects strings PostgreSQL cannot store in text.
func checkText(s string) error {
	if strings.IndexByte(s, 0) >= 0 {
		return fmt.Errorf("text values cannot contain NUL characters")
	}
	if !utf8.ValidString(s) {
		return fmt.Errorf("text values must be valid UTF-8")
	}
	return nil
}

// request resolves @request.auth.<field>[:modifier] to a constant.
func (r *resolver) request(id *Identifier) (*value, error) {
	if id.Path[0] != "auth" {
		return nil, r.invalid(id.Start, "unknown identifier %q (only @request.auth.* is supported)", id.String())
	}
	if len(id.Path) != 2 {
		return nil, r.invalid(id.Start, "expected @request.auth.<field>")
	}
	name := id.String()
	raw := r.env.Auth[id.Path[1]] // nil map: a guest, every value is null
	v, err := authValue(raw)
	if err != nil {
		return nil, r.invalid(id.Start, "%s has an unsupported value", name)
	}
	val := &value{pos: id.Start, name: name}
	switch x := v.(type) {
	case nil:
		val.kind, val.consts = kNull, []any{nil}
	case string:
		val.kind, val.consts = kText, []any{x}
	case float64:
		val.kind, val.consts = kNumber, []any{x}
	case bool:
		val.kind, val.consts = kBool, []any{x}
	case time.Time:
		val.kind, val.consts = kTime, []any{x.UTC().Truncate(time.Microsecond)}
	case []string:
		if len(x) > maxAuthItems {
			return nil, r.invalid(id.Start, "%s has too many values", name)
		}
		val.kind, val.list = kText, true
		for _, s := range x {
			val.consts = append(val.consts, s)
		}
	}
	for _, c := range val.consts {
		if s, ok := c.(string); ok {
			if err := checkText(s); err != nil {
				return nil, r.invalid(id.Start, "%s: %s", name, err)
			}
		}
	}
	switch id.Modifier {
	case "lower":
		if val.kind != kText && val.kind != kNull {
			return nil, r.invalid(id.Start, ":lower needs a text value, %s is %s", name, val.kind)
		}
		for i, c := range val.consts {
			if s, ok := c.(string); ok {
				val.consts[i] = strings.ToLower(s)
			}
		}
	case "length":
		n := 0
		switch {
		case val.list:
			n = len(val.consts)
		case val.kind == kNull:
		default:
			return nil, r.invalid(id.Start, ":length needs a list, %s is %s", name, val.kind)
		}
		val.kind, val.consts, val.list = kNumber, []any{float64(n)}, false
	case "each":
		if !val.list && val.kind != kNull {
			return nil, r.invalid(id.Start, ":each needs a list, %s is %s", name, val.kind)
		}
	}
	return val, nil
}

// authValue converts an Env.Auth value to string, float64, bool, time.Time,
// []string or nil.
func authValue(v any) (any, error) {
	switch x := v.(type) {
	case nil, string, float64, bool, []string:
		return x, nil
	case time.Time:
		if x.IsZero() {
			return nil, nil
		}
		return x, nil
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
		return f, err
	case []any:
		out := make([]string, 0, len(x))
		for _, it := range x {
			s, ok := it.(string)
			if !ok {
				return nil, fmt.Errorf("list items must be strings")
			}
			out = append(out, s)
		}
		return out, nil
	case json.RawMessage:
		if len(x) == 0 {
			return nil, nil
		}
		var d any
		if err := json.Unmarshal(x, &d); err != nil {
			return nil, err
		}
		switch d.(type) {
		case map[string]any:
			return nil, fmt.Errorf("objects are not supported")
		}
		return authValue(d)
	}
	return nil, fmt.Errorf("unsupported type %T", v)
}

// fieldOf returns the field name of c. Every record has an id, so a
// collection that does not list it still gets a text primary key.
func fieldOf(c *collections.Collection, name string) (*collections.Field, bool) {
	if f, ok := c.Field(name); ok {
		return f, true
	}
	if name == "id" {
		return &collections.Field{Name: "id", Type: "text", System: true, Options: &collections.TextOptions{PrimaryKey: true}}, true
	}
	return nil, false
}

func (r *resolver) canRead(c *collections.Collection, field string) bool {
	return r.env.CanRead == nil || r.env.CanRead(c, field)
}

// lookup finds the collection a relation field points to.
func (r *resolver) lookup(idOrName string) (*collections.Collection, bool) {
	root := r.env.Root
	if idOrName == root.ID || idOrName == root.Name {
		return root, true
	}
	if r.env.Schema == nil {
		return nil, false
	}
	return r.env.Schema.Collection(idOrName)
}

// field resolves a record field or a relation path.
func (r *resolver) field(id *Identifier) (*value, error) {
	rf, err := r.path(r.env.Root, id.Path, id.Modifier, id.Start, id.String())
	if err != nil {
		return nil, err
	}
	return &value{ref: rf, kind: rf.kind, pos: id.Start, name: id.String()}, nil
}

// path walks props from the collection c: relation fields and
// back-relations (<collection>_via_<field>) move to another collection, a
// json field takes the remaining props as keys, the last prop names the
// compared field.
func (r *resolver) path(c *collections.Collection, props []string, mod string, pos int, name string) (*ref, error) {
	rf := &ref{}
	var keys []string
	for i := 0; i < len(props); i++ {
		prop := props[i]
		last := i == len(props)-1
		f, ok := fieldOf(c, prop)
		if !ok {
			if last {
				return nil, r.invalid(pos, "unknown field %q in %q", prop, name)
			}
			h, err := r.backRelation(c, prop, pos, name)
			if err != nil {
				return nil, err
			}
			if len(rf.hops) >= MaxRelationDepth {
				return nil, r.invalid(pos, "%q follows more than %d relations", name, MaxRelationDepth)
			}
			keys = append(keys, prop)
			h.key = strings.Join(keys, ".")
			rf.hops = append(rf.hops, h)
			c = h.to
			continue
		}
		if !r.canRead(c, f.Name) {
			return nil, r.invalid(pos, "the field %q cannot be used in filters", strings.Join(append(keys, prop), "."))
		}
		if last {
			return r.finish(rf, c, f, mod, pos, name)
		}
		if f.Storage() == collections.StorageJSON {
			for _, k := range props[i+1:] {
				if strings.Contains(k, ":") {
					return nil, r.invalid(pos, "invalid json key in %q", name)
				}
			}
			rf.jsonPath = props[i+1:]
			if mod != "" {
				return nil, r.invalid(pos, "the :%s modifier cannot be used on json values", mod)
			}
			return r.finish(rf, c, f, "", pos, name)
		}
		opts, ok := f.Options.(*collections.RelationOptions)
		if !ok {
			return nil, r.invalid(pos, "%q is not a relation field, so %q cannot be resolved", prop, name)
		}
		// author.id is the author column itself: no join needed.
		if !opts.Multi() && i == len(props)-2 && props[i+1] == "id" {
			return r.finish(rf, c, f, mod, pos, name)
		}
		target, ok := r.lookup(opts.CollectionID)
		if !ok {
			return nil, r.invalid(pos, "the relation %q points to an unknown collection", prop)
		}
		if len(rf.hops) >= MaxRelationDepth {
			return nil, r.invalid(pos, "%q follows more than %d relations", name, MaxRelationDepth)
		}
		h := hop{kind: hopOne, field: f.Name, to: target}
		if opts.Multi() {
			h.kind = hopMany
		}
		keys = append(keys, prop)
		h.key = strings.Join(keys, ".")
		rf.hops = append(rf.hops, h)
		c = target
	}
	return nil, r.invalid(pos, "cannot resolve %q", name)
}

// backRelation resolves <collection>_via_<field>: the records of
// <collection> whose relation <field> points at the current record.
func (r *resolver) backRelation(c *collections.Collection, prop string, pos int, name string) (hop, error) {
	i := strings.LastIndex(prop, "_via_")
	if i <= 0 || i+len("_via_") >= len(prop) {
		return hop{}, r.invalid(pos, "unknown field %q in %q", prop, name)
	}
	collName, fieldName := prop[:i], prop[i+len("_via_"):]
	var back *collections.Collection
	if r.env.Schema != nil {
		back, _ = r.env.Schema.Collection(collName)
	}
	if back == nil && (collName == r.env.Root.Name) {
		back = r.env.Root
	}
	if back == nil {
		return hop{}, r.invalid(pos, "unknown collection %q in %q", collName, name)
	}
	f, ok := back.Field(fieldName)
	if !ok {
		return hop{}, r.invalid(pos, "unknown field %q of collection %q in %q", fieldName, collName, name)
	}
	opts, ok := f.Options.(*collections.RelationOptions)
	if !ok || (opts.CollectionID != c.ID && opts.CollectionID != c.Name) {
		return hop{}, r.invalid(pos, "%q is not a relation to %q, so %q cannot be resolved", collName+"."+fieldName, c.Name, name)
	}
	if !r.canRead(back, f.Name) {
		return hop{}, r.invalid(pos, "the field %q cannot be used in filters", collName+"."+fieldName)
	}
	return hop{kind: hopBack, field: f.Name, multi: opts.Multi(), to: back}, nil
}

// finish describes the compared field f of collection c.
func (r *resolver) finish(rf *ref, c *collections.Collection, f *collections.Field, mod string, pos int, name string) (*ref, error) {
	rf.coll, rf.col = c, f.Name
	st := f.Storage()
	rf.nullable = c.Type == collections.TypeView
	switch st {
	case collections.StorageText:
		rf.kind = kText
	case collections.StorageRef:
		rf.kind, rf.nullable = kText, true
	case collections.StorageNumber:
		rf.kind = kNumber
	case collections.StorageBool:
		rf.kind = kBool
	case collections.StorageTime:
		rf.kind, rf.nullable = kTime, true
	case collections.StorageJSON:
		rf.kind, rf.nullable = kJSON, true
	case collections.StorageTextArray:
		rf.kind, rf.items = kText, true
	default:
		return nil, r.invalid(pos, "the field %q cannot be used in filters", f.Name)
	}
	switch mod {
	case "lower":
		if rf.kind != kText {
			return nil, r.invalid(pos, ":lower needs a text field, %q is %s", name, rf.kind)
		}
		rf.lower = true
	case "length":
		if !rf.items {
			return nil, r.invalid(pos, ":length needs a multi-valued field, %q is not", strings.TrimSuffix(name, ":length"))
		}
		rf.items, rf.length, rf.kind = false, true, kNumber
	case "each":
		if !rf.items {
			return nil, r.invalid(pos, ":each needs a multi-valued field, %q is not", strings.TrimSuffix(name, ":each"))
		}
	}
	return rf, nil
}

// setDomain picks the domain of a comparison from the kinds of its sides,
// converts constants to it and rejects comparisons that make no sense.
// Rules: a text constant takes the type of the other side (a number, a
// boolean or a date written as text); a number constant compared with
// text is compared as text; null compares with the empty value of the
// other side; json values are compared as PocketBase compares them
// (strings with text, numbers with numbers, booleans with booleans).
func setDomain(a *atom, pos int) error {
	l, r := a.l, a.r
	if r.kind == kJSON && l.kind != kJSON {
		if a.op == OpLike || a.op == OpNotLike {
			return invalid(pos, "the right side of %s cannot be a json value", a.op)
		}
		a.l, a.r, a.op = r, l, a.op.flip()
		l, r = a.l, a.r
	}
	like := a.op == OpLike || a.op == OpNotLike
	if l.kind == kJSON {
		if r.kind == kJSON {
			return invalid(pos, "two json values cannot be compared")
		}
		if !r.isConst() && r.kind != kText {
			return invalid(pos, "a json value can only be compared with text fields and literal values")
		}
		switch {
		case like:
			a.dom = dJSONText
			return convert(r, kText, pos)
		case r.kind == kNull || (r.kind == kText && r.isConst() && isEmptyText(r)):
			a.dom = dJSONNull
			for i := range r.consts {
				r.consts[i] = nil
			}
		case r.kind == kText:
			a.dom = dJSONText
		case r.kind == kNumber:
			a.dom = dJSONNum
		case r.kind == kBool:
			a.dom = dJSONBool
		default:
			return invalid(pos, "a json value cannot be compared with %s", r.kind)
		}
		if a.dom == dJSONBool && isOrdering(a.op) {
			return invalid(pos, "%s cannot order booleans", a.op)
		}
		return nil
	}
	k := l.kind
	switch {
	case like:
		k = kText
	case l.kind == r.kind:
	case l.kind == kNull:
		k = r.kind
	case r.kind == kNull:
	case l.kind == kText && l.isConst():
		k = r.kind
	case r.kind == kText && r.isConst():
	case l.kind == kNumber && l.isConst() && r.kind == kText:
		k = kText
	case r.kind == kNumber && r.isConst() && l.kind == kText:
	default:
		return invalid(pos, "%s (%s) cannot be compared with %s (%s)", l.name, l.kind, r.name, r.kind)
	}
	if k == kNull {
		k = kText
	}
	for _, side := range []*value{l, r} {
		if !side.isConst() && side.kind != k {
			if like {
				return invalid(pos, "%s needs text operands, %s is %s", a.op, side.name, side.kind)
			}
			return invalid(pos, "%s (%s) cannot be compared with %s (%s)", l.name, l.kind, r.name, r.kind)
		}
	}
	switch k {
	case kText:
		a.dom = dText
	case kNumber:
		a.dom = dNumber
	case kBool:
		if isOrdering(a.op) {
			return invalid(pos, "%s cannot order booleans", a.op)
		}
		a.dom = dBool
	case kTime:
		a.dom = dTime
	}
	if err := convert(l, k, pos); err != nil {
		return err
	}
	return convert(r, k, pos)
}

func isOrdering(op Operator) bool {
	return op == OpLt || op == OpLte || op == OpGt || op == OpGte
}

func isEmptyText(v *value) bool {
	for _, c := range v.consts {
		if s, _ := c.(string); s != "" {
			return false
		}
	}
	return !v.list
}

// convert turns the constants of v into values of kind k. Null stays nil.
func convert(v *value, k kind, pos int) error {
	if !v.isConst() {
		return nil
	}
	for i, c := range v.consts {
		out, err := convertConst(c, k)
		if err != nil {
			return invalid(pos, "%s cannot be compared with %s: %s", v.name, k, err)
		}
		v.consts[i] = out
	}
	return nil
}

func convertConst(c any, k kind) (any, error) {
	if c == nil {
		return nil, nil
	}
	switch k {
	case kText:
		switch x := c.(type) {
		case string:
			return x, nil
		case float64:
			return strconv.FormatFloat(x, 'f', -1, 64), nil
		}
	case kNumber:
		switch x := c.(type) {
		case float64:
			return x, nil
		case string:
			if strings.TrimSpace(x) == "" {
				return nil, nil
			}
			f, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
			if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
				return nil, fmt.Errorf("%q is not a number", x)
			}
			return f, nil
		}
	case kBool:
		switch x := c.(type) {
		case bool:
			return x, nil
		case string:
			switch strings.ToLower(strings.TrimSpace(x)) {
			case "true", "1":
				return true, nil
			case "false", "0":
				return false, nil
			case "":
				return nil, nil
			}
			return nil, fmt.Errorf("%q is not a boolean", x)
		}
	case kTime:
		switch x := c.(type) {
		case time.Time:
			return x.UTC().Truncate(time.Microsecond), nil
		case string:
			if strings.TrimSpace(x) == "" {
				return nil, nil
			}
			t, ok := collections.ParseDate(x)
			if !ok {
				return nil, fmt.Errorf("%q is not a date", x)
			}
			return t.Truncate(time.Microsecond), nil
		}
	}
	return nil, fmt.Errorf("type mismatch")
}
