package filter

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/lumbunghq/lumbung/collections"
)

// resolver compiles an Expr against an Env.
type resolver struct {
	env   Env
	now   time.Time
	sort  bool // phrase errors for a sort string
	atoms int  // comparisons produced so far
	// limits keeps the compiled view conditions of each collection a hop
	// entered (nil: every row).
	limits map[*collections.Collection]node
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

// compileIn compiles e against env.
func compileIn(env Env, e Expr) (node, error) {
	r, err := newResolver(env)
	if err != nil {
		return nil, err
	}
	return r.compile(e)
}

// compile turns e into a node tree with constant comparisons folded.
func (r *resolver) compile(e Expr) (node, error) {
	n, err := r.build(e)
	if err != nil {
		return nil, err
	}
	return fold(n), nil
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
	r.atoms += max(1, len(l.consts)) * max(1, len(rv.consts))
	if r.atoms > maxAtoms {
		return nil, invalid(c.OpPos, "the filter is too complex")
	}
	op := c.Op.Base()
	a := &atom{op: op, any: c.Op.IsAny(), l: l, r: rv}
	// "tags ~ 'x'" on a list field reads as "the list contains x", and that
	// is what PocketBase answers: any item. "!~" stays "no item contains".
	if op == OpLike && directList(l) {
		a.any = true
	}
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
			return r.collection(o)
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

// directList reports whether v is a list field of the record itself (a
// multiple select or relation), not a path through other records.
func directList(v *value) bool {
	return v.ref != nil && v.ref.items && len(v.ref.hops) == 0
}
