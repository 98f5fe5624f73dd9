package filter

import (
	"strconv"
	"strings"
)

// Expr is a parsed filter: a *Logical joining other expressions, or a
// *Comparison. Parse returns it; SQL and Eval give it meaning against a
// schema.
type Expr interface {
	// Pos returns the 1-based character position where the node starts.
	Pos() int
	// String renders the node in the filter syntax.
	String() string
	isExpr()
}

// LogicalOp is the operator of a *Logical.
type LogicalOp int

// Logical operators. And binds tighter than Or.
const (
	And LogicalOp = iota + 1 // &&
	Or                       // ||
)

// String returns "&&" or "||".
func (o LogicalOp) String() string {
	if o == Or {
		return "||"
	}
	return "&&"
}

// Logical is two or more expressions joined by the same operator. Nested
// groups with the same operator are flattened by the parser.
type Logical struct {
	Op    LogicalOp
	Terms []Expr
	Start int
}

// Pos implements Expr.
func (l *Logical) Pos() int { return l.Start }

// String implements Expr.
func (l *Logical) String() string {
	parts := make([]string, len(l.Terms))
	for i, t := range l.Terms {
		s := t.String()
		if inner, ok := t.(*Logical); ok && inner.Op != l.Op {
			s = "(" + s + ")"
		}
		parts[i] = s
	}
	return strings.Join(parts, " "+l.Op.String()+" ")
}

func (*Logical) isExpr() {}

// Operator is a comparison operator.
type Operator string

// Comparison operators. The "?" variants are true when at least one item
// of a multi-valued operand satisfies the comparison; the plain ones need
// every item to.
const (
	OpEq         Operator = "="
	OpNeq        Operator = "!="
	OpGt         Operator = ">"
	OpGte        Operator = ">="
	OpLt         Operator = "<"
	OpLte        Operator = "<="
	OpLike       Operator = "~"
	OpNotLike    Operator = "!~"
	OpAnyEq      Operator = "?="
	OpAnyNeq     Operator = "?!="
	OpAnyGt      Operator = "?>"
	OpAnyGte     Operator = "?>="
	OpAnyLt      Operator = "?<"
	OpAnyLte     Operator = "?<="
	OpAnyLike    Operator = "?~"
	OpAnyNotLike Operator = "?!~"
)

// IsAny reports whether o is one of the "?" (any-of) operators.
func (o Operator) IsAny() bool { return strings.HasPrefix(string(o), "?") }

// Base returns o without its "?" prefix.
func (o Operator) Base() Operator { return Operator(strings.TrimPrefix(string(o), "?")) }

// flip returns the operator that gives the same result with the operands
// swapped. ~ and !~ have no flipped form.
func (o Operator) flip() Operator {
	switch o {
	case OpGt:
		return OpLt
	case OpGte:
		return OpLte
	case OpLt:
		return OpGt
	case OpLte:
		return OpGte
	}
	return o
}

// Comparison is `Left Op Right`.
type Comparison struct {
	Left  Operand
	Op    Operator
	Right Operand
	OpPos int // position of the operator
}

// Pos implements Expr.
func (c *Comparison) Pos() int { return c.Left.Pos() }

// String implements Expr.
func (c *Comparison) String() string {
	return c.Left.String() + " " + string(c.Op) + " " + c.Right.String()
}

func (*Comparison) isExpr() {}

// Operand is one side of a comparison: a *Literal, an *Identifier or a
// *Call.
type Operand interface {
	// Pos returns the 1-based character position of the operand.
	Pos() int
	// String renders the operand in the filter syntax.
	String() string
	isOperand()
}

// LiteralKind is the type of a *Literal.
type LiteralKind int

// Literal kinds.
const (
	LitString LiteralKind = iota + 1
	LitNumber
	LitBool
	LitNull
)

// Literal is a constant written in the filter: 'text', "text", 12.5, true,
// false or null. Value holds a string, float64, bool or nil.
type Literal struct {
	Kind  LiteralKind
	Value any
	Start int
}

// Pos implements Operand.
func (l *Literal) Pos() int { return l.Start }

// String implements Operand.
func (l *Literal) String() string {
	switch l.Kind {
	case LitString:
		s := l.Value.(string)
		if !strings.Contains(s, "'") {
			return "'" + s + "'"
		}
		return `"` + strings.ReplaceAll(s, `"`, `\"`) + `"`
	case LitNumber:
		return strconv.FormatFloat(l.Value.(float64), 'g', -1, 64)
	case LitBool:
		return strconv.FormatBool(l.Value.(bool))
	}
	return "null"
}

func (*Literal) isOperand() {}

// IdentKind tells what an *Identifier names.
type IdentKind int

// Identifier kinds.
const (
	// IdentField is a field of the filtered record or a path through its
	// relations and back-relations: title, author.name, comments_via_post.title.
	IdentField IdentKind = iota + 1
	// IdentMacro is a time macro such as @now or @todayStart.
	IdentMacro
	// IdentRequest is a request value: @request.auth.id.
	IdentRequest
	// IdentCollection is a field of the rows of another collection, joined
	// without a relation: @collection.<name>.<field> or, with an alias that
	// gives a second independent row, @collection.<name>:<alias>.<field>.
	IdentCollection
)

// Identifier is a name in the filter. Path holds its dot-separated parts
// without the leading "@" word: ["author", "name"] for author.name,
// ["now"] for @now, ["auth", "id"] for @request.auth.id and
// ["users", "email"] for @collection.users.email. Modifier is the suffix
// after ":" on the last part ("lower", "length", "each"), or "". Alias is
// the <alias> of @collection.<name>:<alias>.<field>, or "".
type Identifier struct {
	Kind     IdentKind
	Path     []string
	Modifier string
	Alias    string
	Start    int
}

// Pos implements Operand.
func (id *Identifier) Pos() int { return id.Start }

// String implements Operand.
func (id *Identifier) String() string {
	var b strings.Builder
	switch id.Kind {
	case IdentMacro:
		b.WriteString("@")
	case IdentRequest:
		b.WriteString("@request.")
	case IdentCollection:
		b.WriteString("@collection.")
	}
	if id.Alias != "" && len(id.Path) > 0 {
		b.WriteString(id.Path[0] + ":" + id.Alias + ".")
		b.WriteString(strings.Join(id.Path[1:], "."))
	} else {
		b.WriteString(strings.Join(id.Path, "."))
	}
	if id.Modifier != "" {
		b.WriteString(":" + id.Modifier)
	}
	return b.String()
}

func (*Identifier) isOperand() {}

// Call is a function applied to operands: strftime('%Y', created) or
// geoDistance(lon, lat, 13.4, 52.5). Arguments are literals and
// identifiers.
type Call struct {
	Name  string
	Args  []Operand
	Start int
}

// Pos implements Operand.
func (c *Call) Pos() int { return c.Start }

// String implements Operand.
func (c *Call) String() string {
	parts := make([]string, len(c.Args))
	for i, a := range c.Args {
		parts[i] = a.String()
	}
	return c.Name + "(" + strings.Join(parts, ", ") + ")"
}

func (*Call) isOperand() {}
