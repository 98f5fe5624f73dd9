package filter

import "github.com/lumbunghq/lumbung/collections"

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

// String names the kind in error messages.
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
	hopAll                     // @collection.<name>: every row of target, unrelated to from
)

// hop is one step of a relation path.
type hop struct {
	kind  hopKind
	field string                  // the relation field (on the source for one/many, on the target for back)
	multi bool                    // for back-relations: the target's field holds many ids
	to    *collections.Collection // the collection reached
	key   string                  // the path up to and including this hop, e.g. "tags.author" or "@collection.members.user"
	cond  node                    // the rows of to the hop may reach (Env.Visible); nil: every row
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
	masked   bool     // an email that reads as '' unless visible (Env.HideEmails)
	owner    string   // with masked: the caller's own record id, whose email it sees
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
