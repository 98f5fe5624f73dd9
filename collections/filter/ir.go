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
	hopIDs                     // @request.auth.<rel>, @request.body.<rel>: the rows of target with the given ids
)

// hop is one step of a relation path.
type hop struct {
	kind  hopKind
	field string                  // the relation field (on the source for one/many, on the target for back)
	multi bool                    // for back-relations: the target's field holds many ids; for hopIDs: the relation is multiple
	ids   []string                // hopIDs: the ids reached
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
	items    bool     // the value is a list (text[]) compared item by item (:each)
	jsonText bool     // a list read as its JSON text, as PocketBase stores it (no :each)
	dateText bool     // a date read as text, as PocketBase writes it ('2006-01-02 15:04:05.000Z')
	length   bool     // :length of a list
	lower    bool     // :lower
	jsonPath []string // keys inside a json column
	nullable bool     // the column itself may hold NULL
	masked   bool     // an email that reads as '' unless visible (Env.HideEmails)
	owner    string   // with masked: the caller's own record id, whose email it sees
}

// value is a resolved operand: a field reference, a function of field
// references, or constants.
type value struct {
	ref    *ref
	call   *call // a function of references (strftime, geoDistance)
	pred   node  // a condition read as a boolean (@request.body.<field>:changed)
	consts []any // when ref and call are nil: the constant (one item) or the items of a list constant
	list   bool  // consts came from a list (compared item by item)
	kind   kind
	pos    int
	name   string // as written, for messages
	// soft marks constants taken from the request (@request.body, query,
	// headers, method, context): one that cannot be read as the other
	// side's type compares like a value equal to nothing (mismatch), not
	// as an error in the filter.
	soft bool
}

func (v *value) isConst() bool { return v.ref == nil && v.call == nil && v.pred == nil }

// refs returns the field references v reads.
func (v *value) refs() []*ref {
	switch {
	case v.ref != nil:
		return []*ref{v.ref}
	case v.call != nil:
		var out []*ref
		for _, a := range v.call.args {
			out = append(out, a.refs()...)
		}
		return out
	}
	return nil
}

// manyValued reports whether v is compared item by item.
func (v *value) manyValued() bool {
	switch {
	case v.call != nil:
		return v.call.manyValued()
	case v.ref == nil:
		return v.list
	}
	return v.ref.manyValued()
}

// manyValued reports whether the reference has many values: a list read
// item by item, or a path through a relation that reaches many rows.
func (rf *ref) manyValued() bool {
	if rf.items {
		return true
	}
	for _, h := range rf.hops {
		if h.kind != hopOne && (h.kind != hopIDs || h.multi) {
			return true
		}
	}
	return false
}

// mismatch is a request constant that could not be read as the type it is
// compared with: it equals nothing and orders against nothing.
type mismatch struct{}

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
		for _, v := range []*value{n.l, n.r} {
			if v.isConst() && len(v.consts) == 1 && v.consts[0] == (mismatch{}) {
				return constNode(n.op == OpNeq || n.op == OpNotLike)
			}
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
