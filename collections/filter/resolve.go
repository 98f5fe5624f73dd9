package filter

import (
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
		if o.Modifier == "isset" || o.Modifier == "changed" {
			return nil, r.invalid(o.Start, ":%s can only be used on @request values", o.Modifier)
		}
		return r.field(o)
	case *Call:
		return r.call(o)
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
