package filter

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
)

// SQL compiles e into a PostgreSQL condition for a query whose root table
// (the table of env.Root) has the alias alias. Placeholders are numbered
// from $argStart+1; args holds their values (string, float64, bool,
// time.Time, []string), each cast explicitly in the SQL text. Identifiers
// come only from the schema and are quoted; values are always parameters.
//
// Relation paths become EXISTS subqueries. Comparisons joined by && that
// use the same relation path with an any-of operator (or a single
// relation) share one joined row, as in PocketBase: "members_via_team.user
// ?= @request.auth.id && members_via_team.role ?= 'admin'" needs one
// membership row with both values. @collection.<name>[:<alias>] references
// range over every row of the collection and are shared the same way:
// "@collection.members.team ?= team && @collection.members.user ?=
// @request.auth.id" needs one members row with both values.
func SQL(e Expr, env Env, alias string, argStart int) (cond string, args []any, err error) {
	if alias == "" {
		return "", nil, fmt.Errorf("filter: SQL needs the root table's alias")
	}
	n, err := compileIn(env, e)
	if err != nil {
		return "", nil, err
	}
	g := &sqlGen{root: alias, next: argStart, prefix: "_f"}
	if strings.HasPrefix(alias, "_f") { // keep generated aliases distinct from the root's
		g.prefix = "_g"
	}
	cond = g.node(n, scope{})
	cond, args = renumber(cond, g.args, argStart)
	return cond, args, nil
}

// renumber makes the placeholders of cond consecutive from $start+1 in the
// order they appear, keeping only the arguments still referenced: parts of
// a condition that turned out constant may have bound values that the
// final text no longer uses, and PostgreSQL rejects unused parameters.
// Quoted identifiers and string literals are skipped.
func renumber(cond string, args []any, start int) (string, []any) {
	var b strings.Builder
	var out []any
	seen := map[int]int{}
	for i := 0; i < len(cond); i++ {
		c := cond[i]
		switch {
		case c == '"' || c == '\'':
			j := i + 1
			for j < len(cond) && cond[j] != c {
				j++
			}
			b.WriteString(cond[i:min(j+1, len(cond))])
			i = j
		case c == '$' && i+1 < len(cond) && isDigit(cond[i+1]):
			j := i + 1
			for j < len(cond) && isDigit(cond[j]) {
				j++
			}
			n, _ := strconv.Atoi(cond[i+1 : j])
			k, ok := seen[n]
			if !ok {
				out = append(out, args[n-start-1])
				k = start + len(out)
				seen[n] = k
			}
			b.WriteString("$" + strconv.Itoa(k))
			i = j - 1
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), out
}

type sqlGen struct {
	root    string
	args    []any
	next    int // last placeholder number used
	prefix  string
	aliases int
}

// scope maps relation path keys ("tags", "tags.author") to the alias of
// the row bound for them by an enclosing EXISTS.
type scope map[string]string

func (s scope) with() scope {
	c := make(scope, len(s))
	for k, v := range s {
		c[k] = v
	}
	return c
}

func ident(parts ...string) string { return pgx.Identifier(parts).Sanitize() }

func (g *sqlGen) param(v any, cast string) string {
	g.args = append(g.args, v)
	g.next++
	return "$" + strconv.Itoa(g.next) + "::" + cast
}

func (g *sqlGen) alias() string {
	g.aliases++
	return g.prefix + strconv.Itoa(g.aliases)
}

func (g *sqlGen) node(n node, sc scope) string {
	switch n := n.(type) {
	case constNode:
		if n {
			return "TRUE"
		}
		return "FALSE"
	case *atom:
		return g.atom(n, sc)
	case *logic:
		if n.and {
			return g.and(n.terms, sc)
		}
		parts := make([]string, 0, len(n.terms))
		for _, t := range n.terms {
			parts = append(parts, g.node(t, sc))
		}
		return join(parts, " OR ")
	}
	return "FALSE"
}

// join combines conditions with " AND " or " OR ", dropping the constants
// that do not change the result and short-cutting those that decide it.
func join(parts []string, sep string) string {
	neutral, absorbing := "TRUE", "FALSE"
	if sep == " OR " {
		neutral, absorbing = absorbing, neutral
	}
	kept := parts[:0:0]
	for _, p := range parts {
		switch p {
		case neutral:
			continue
		case absorbing:
			return absorbing
		}
		kept = append(kept, p)
	}
	switch len(kept) {
	case 0:
		return neutral
	case 1:
		return kept[0]
	}
	return "(" + strings.Join(kept, sep) + ")"
}

// anyForm reports whether an atom is true when some combination of items
// satisfies it (any-of operators, and comparisons of single values);
// otherwise every combination must.
func (a *atom) anyForm() bool {
	return a.any || !(a.l.manyValued() || a.r.manyValued())
}

// chains collects, for the any-form atoms of n, every relation path key
// not bound in sc, with the hops leading to it.
func chains(n node, sc scope, out map[string][]hop) {
	switch n := n.(type) {
	case *logic:
		for _, t := range n.terms {
			chains(t, sc, out)
		}
	case *atom:
		if !n.anyForm() {
			return
		}
		for _, rf := range append(n.l.refs(), n.r.refs()...) {
			for i, h := range rf.hops {
				if _, bound := sc[h.key]; !bound {
					out[h.key] = rf.hops[:i+1]
				}
			}
		}
	}
}

// and compiles a conjunction. Terms that use the same unbound relation
// path are grouped under one EXISTS that binds the path's row for all of
// them; the other terms are compiled on their own.
func (g *sqlGen) and(terms []node, sc scope) string {
	used := make([]map[string][]hop, len(terms))
	count := map[string]int{}
	for i, t := range terms {
		used[i] = map[string][]hop{}
		chains(t, sc, used[i])
		for k := range used[i] {
			count[k]++
		}
	}
	// Union terms that share a path.
	group := make([]int, len(terms))
	for i := range group {
		group[i] = i
	}
	var find func(int) int
	find = func(i int) int {
		for group[i] != i {
			i = group[i]
		}
		return i
	}
	for k, c := range count {
		if c < 2 {
			continue
		}
		first := -1
		for i := range terms {
			if _, ok := used[i][k]; ok {
				if first < 0 {
					first = i
				} else {
					group[find(i)] = find(first)
				}
			}
		}
	}
	var parts []string
	done := make([]bool, len(terms))
	for i := range terms {
		if done[i] {
			continue
		}
		root := find(i)
		var members []int
		shared := map[string][]hop{}
		for j := i; j < len(terms); j++ {
			if find(j) == root {
				members = append(members, j)
				done[j] = true
				for k, h := range used[j] {
					if count[k] >= 2 {
						shared[k] = h
					}
				}
			}
		}
		if len(shared) == 0 {
			for _, j := range members {
				parts = append(parts, g.node(terms[j], sc))
			}
			continue
		}
		inner := sc.with()
		from := g.bind(shared, inner)
		conds := make([]string, len(members))
		for x, j := range members {
			conds[x] = g.node(terms[j], inner)
		}
		parts = append(parts, "EXISTS (SELECT 1 FROM "+from+" WHERE "+join(conds, " AND ")+")")
	}
	return join(parts, " AND ")
}

// bind joins the rows of the given relation paths, parents first, records
// their aliases in sc and returns the FROM clause: a one-row dummy with a
// LEFT JOIN per path, so that a path with no rows yields one row of NULLs
// (an empty relation, or an empty @collection, compares like null).
func (g *sqlGen) bind(paths map[string][]hop, sc scope) string {
	keys := make([]string, 0, len(paths))
	for k := range paths {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := len(paths[keys[i]]), len(paths[keys[j]])
		if a != b {
			return a < b
		}
		return keys[i] < keys[j]
	})
	var b strings.Builder
	b.WriteString("(SELECT 1) AS " + ident(g.alias()))
	for _, k := range keys {
		chain := paths[k]
		h := chain[len(chain)-1]
		from := g.root
		if len(chain) > 1 {
			from = sc[chain[len(chain)-2].key]
		}
		to := g.alias()
		sc[k] = to
		b.WriteString(" LEFT JOIN " + ident(h.to.Name) + " AS " + ident(to) + " ON ")
		switch {
		case h.kind == hopAll:
			b.WriteString("TRUE")
		case h.kind == hopIDs:
			b.WriteString(ident(to, "id") + " = ANY(" + g.param(h.ids, "text[]") + ")")
		case h.kind == hopOne:
			b.WriteString(ident(to, "id") + " = " + ident(from, h.field))
		case h.kind == hopMany:
			b.WriteString(ident(to, "id") + " = ANY(" + ident(from, h.field) + ")")
		case h.multi:
			b.WriteString(ident(from, "id") + " = ANY(" + ident(to, h.field) + ")")
		default:
			b.WriteString(ident(to, h.field) + " = " + ident(from, "id"))
		}
		if h.cond != nil {
			b.WriteString(" AND " + g.under(to, h.cond))
		}
	}
	return b.String()
}

// under compiles n, a condition on the rows of another collection, for
// the row with alias row.
func (g *sqlGen) under(row string, n node) string {
	saved := g.root
	g.root = row
	defer func() { g.root = saved }()
	return "(" + g.node(n, scope{}) + ")"
}

// sqlVal is one side of a comparison in SQL.
type sqlVal struct {
	e        string // expression (unused for constants)
	nullable bool
	isConst  bool
	c        any // the constant, in the comparison's domain
}

func (g *sqlGen) atom(a *atom, sc scope) string {
	if a.l.isConst() && a.r.isConst() {
		if compare(a.dom, a.op, a.l.consts[0], a.r.consts[0], true) {
			return "TRUE"
		}
		return "FALSE"
	}
	anyForm := a.anyForm()
	inner := sc.with()
	if !anyForm {
		inner = scope{} // every combination: walk the paths afresh
	}
	paths := map[string][]hop{}
	for _, rf := range append(a.l.refs(), a.r.refs()...) {
		for i, h := range rf.hops {
			if _, bound := inner[h.key]; !bound {
				paths[h.key] = rf.hops[:i+1]
			}
		}
	}
	from := ""
	if len(paths) > 0 {
		from = g.bind(paths, inner)
	}
	// tags ?= 'x' on a list column: an index-friendly containment test.
	if anyForm && a.op == OpEq && a.dom == dText {
		for _, pair := range [][2]*value{{a.l, a.r}, {a.r, a.l}} {
			list, c := pair[0], pair[1]
			if list.ref != nil && list.ref.items && !list.ref.lower && c.isConst() {
				if s, _ := c.consts[0].(string); s != "" {
					cond := g.rowCol(list.ref, inner) + " @> ARRAY[" + g.param(s, "text") + "]"
					return g.wrap(from, cond, true)
				}
			}
		}
	}
	if from == "" && ((a.l.ref != nil && a.l.ref.items) || (a.r.ref != nil && a.r.ref.items)) {
		from = "(SELECT 1) AS " + ident(g.alias())
	}
	l, lfrom := g.side(a.l, inner)
	r, rfrom := g.side(a.r, inner)
	from += lfrom + rfrom
	return g.wrap(from, g.cmp(a, l, r), anyForm)
}

// wrap puts cond in an EXISTS over from (any-form) or a NOT EXISTS over the
// combinations that fail it (every-form).
func (g *sqlGen) wrap(from, cond string, anyForm bool) string {
	if from == "" {
		return cond
	}
	if anyForm {
		return "EXISTS (SELECT 1 FROM " + from + " WHERE " + cond + ")"
	}
	return "NOT EXISTS (SELECT 1 FROM " + from + " WHERE (" + cond + ") IS NOT TRUE)"
}

// rowCol returns the column of ref on its row: the root alias or the alias
// bound for its last relation hop.
func (g *sqlGen) rowCol(rf *ref, sc scope) string {
	row := g.root
	if len(rf.hops) > 0 {
		row = sc[rf.hops[len(rf.hops)-1].key]
	}
	return g.column(rf, row)
}

// column returns the column of ref on the row with alias row. A masked
// email reads as ” where its owner keeps it hidden from the caller.
func (g *sqlGen) column(rf *ref, row string) string {
	col := ident(row, rf.col)
	if !rf.masked {
		return col
	}
	shown := "FALSE"
	if _, ok := rf.coll.Field("emailVisibility"); ok {
		shown = ident(row, "emailVisibility")
	}
	if rf.owner != "" {
		shown += " OR " + ident(row, "id") + " = " + g.param(rf.owner, "text")
	}
	return "(CASE WHEN " + shown + " THEN " + col + " ELSE '' END)"
}

// side returns the SQL of one operand and, for list fields, the LATERAL
// join that produces its items.
func (g *sqlGen) side(v *value, sc scope) (sqlVal, string) {
	if v.isConst() {
		return sqlVal{isConst: true, c: v.consts[0]}, ""
	}
	if v.pred != nil {
		return sqlVal{e: "COALESCE(" + g.node(v.pred, sc) + ", FALSE)"}, ""
	}
	if v.call != nil {
		args := make([]sqlVal, len(v.call.args))
		for i, a := range v.call.args {
			args[i], _ = g.side(a, sc)
			if a.kind == kJSON {
				args[i].e = jsonNumberSQL(args[i].e)
			}
		}
		return sqlVal{e: g.callSQL(v.call, args), nullable: v.call.fn == "geoDistance"}, ""
	}
	rf := v.ref
	col := g.rowCol(rf, sc)
	out := sqlVal{e: col, nullable: rf.nullable || len(rf.hops) > 0}
	from := ""
	switch {
	case rf.items:
		u := g.alias()
		from = " LEFT JOIN LATERAL unnest(" + col + ") AS " + ident(u) + "(v) ON TRUE"
		out.e, out.nullable = ident(u, "v"), true
	case rf.length:
		out.e = "cardinality(" + col + ")::float8"
	case rf.jsonText:
		out.e = jsonTextSQL(col)
	case rf.dateText:
		out.e = "to_char(" + col + " AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.MS\"Z\"')"
	case len(rf.jsonPath) > 0:
		out.e = "(" + col + " #> " + g.param(append([]string(nil), rf.jsonPath...), "text[]") + ")"
	}
	if rf.lower {
		out.e = "lower(" + out.e + ")"
	}
	return out, from
}

const jsonEmpty = "'{}'"

// jsonTextSQL writes a text[] column as the JSON text Go's encoding gives
// (PocketBase stores lists so): PostgreSQL's array_to_json escapes the same
// characters except the ones Go escapes for HTML and JavaScript.
func jsonTextSQL(col string) string {
	e := "array_to_json(" + col + ")::text"
	for _, r := range [][2]string{{"'&'", `'\u0026'`}, {"'<'", `'\u003c'`}, {"'>'", `'\u003e'`}, {"chr(8232)", `'\u2028'`}, {"chr(8233)", `'\u2029'`}} {
		e = "replace(" + e + ", " + r[0] + ", " + r[1] + ")"
	}
	return e
}

// jsonNumberSQL reads a json value as a float8: null unless it is a number
// a float8 can hold.
func jsonNumberSQL(v string) string {
	n := "(" + v + ")::numeric"
	return "(CASE WHEN jsonb_typeof(" + v + ") = 'number' AND (" + n + " = 0 OR abs(" + n + ") BETWEEN 1e-300 AND 1e300) THEN (" + v + ")::float8 END)"
}

// cmp emits `l op r` in the atom's domain with the truth table of compare:
// the result is TRUE exactly when compare returns true (NULL counts as
// false, and negated operators are written so that they stay exact).
func (g *sqlGen) cmp(a *atom, l, r sqlVal) string {
	op := a.op
	if l.isConst && !r.isConst && op != OpLike && op != OpNotLike {
		l, r, op = r, l, op.flip()
	}
	switch a.dom {
	case dText:
		return g.cmpText(op, l, r)
	case dNumber:
		return g.cmpScalar(op, l, r, "float8")
	case dBool:
		return g.cmpScalar(op, l, r, "boolean")
	case dTime:
		return g.cmpScalar(op, l, r, "timestamptz")
	}
	v := l.e // the json value
	switch a.dom {
	case dJSONNull:
		switch op {
		case OpEq:
			return "COALESCE(" + v + " #>> " + jsonEmpty + ", '') = ''"
		case OpNeq:
			return "COALESCE(" + v + " #>> " + jsonEmpty + ", '') <> ''"
		}
		return "FALSE"
	case dJSONText:
		str := "CASE WHEN COALESCE(jsonb_typeof(" + v + "), 'null') = 'null' THEN '' WHEN jsonb_typeof(" + v + ") = 'string' THEN " + v + " #>> " + jsonEmpty + " END"
		switch op {
		case OpEq, OpNeq:
			if r.isConst {
				s, _ := r.c.(string)
				if s == "" { // not produced by setDomain; kept exact anyway
					return g.cmp(&atom{op: op, dom: dJSONNull}, l, r)
				}
				if op == OpEq {
					return v + " = to_jsonb(" + g.param(s, "text") + ")"
				}
				return v + " IS DISTINCT FROM to_jsonb(" + g.param(s, "text") + ")"
			}
			if op == OpEq {
				return "(" + str + ") = " + coalesceText(r)
			}
			return "(" + str + ") IS DISTINCT FROM " + coalesceText(r)
		case OpLike:
			return "(" + str + ") ILIKE " + g.pattern(r)
		case OpNotLike:
			return "NOT COALESCE((" + str + ") ILIKE " + g.pattern(r) + ", FALSE)"
		}
		if r.isConst && r.c == nil {
			return "FALSE"
		}
		rhs := coalesceText(r)
		if r.isConst {
			rhs = g.param(r.c, "text")
		}
		return "(jsonb_typeof(" + v + ") = 'string' AND (" + v + " #>> " + jsonEmpty + ") COLLATE \"C\" " + string(op) + " " + rhs + ")"
	case dJSONNum:
		f, _ := r.c.(float64)
		n := "to_jsonb(" + g.param(strconv.FormatFloat(f, 'g', -1, 64), "text") + "::numeric)"
		switch op {
		case OpEq:
			return v + " = " + n
		case OpNeq:
			return v + " IS DISTINCT FROM " + n
		}
		return "(jsonb_typeof(" + v + ") = 'number' AND " + v + " " + string(op) + " " + n + ")"
	case dJSONBool:
		b, _ := r.c.(bool)
		switch op {
		case OpEq:
			return v + " = to_jsonb(" + g.param(b, "boolean") + ")"
		case OpNeq:
			return v + " IS DISTINCT FROM to_jsonb(" + g.param(b, "boolean") + ")"
		}
	}
	return "FALSE"
}

// operand returns the SQL of a non-json side, binding constants with the
// given cast; ok is false for a null constant.
func (g *sqlGen) operand(v sqlVal, cast string) (string, bool) {
	if v.isConst {
		if v.c == nil {
			return "", false
		}
		return g.param(v.c, cast), true
	}
	return v.e, true
}

func coalesceText(v sqlVal) string {
	if v.nullable {
		return "COALESCE(" + v.e + ", '')"
	}
	return v.e
}

// pattern returns the LIKE pattern for the right side of ~: a constant
// through likePattern, a field value escaped and wrapped in %.
func (g *sqlGen) pattern(r sqlVal) string {
	if r.isConst {
		s, _ := r.c.(string)
		return g.param(likePattern(s), "text")
	}
	return "('%' || replace(replace(replace(" + coalesceText(r) + `, E'\\', E'\\\\'), '%', E'\\%'), '_', E'\\_') || '%')`
}

func (g *sqlGen) cmpText(op Operator, l, r sqlVal) string {
	switch op {
	case OpEq, OpNeq:
		sym := " = "
		if op == OpNeq {
			sym = " <> "
		}
		if r.isConst {
			s, _ := r.c.(string)
			if s == "" {
				if op == OpEq {
					return coalesceText(l) + " = ''"
				}
				return l.e + " <> ''" // NULL is '': not different
			}
			if op == OpEq {
				return l.e + " = " + g.param(s, "text")
			}
			return coalesceText(l) + " <> " + g.param(s, "text")
		}
		return coalesceText(l) + sym + coalesceText(r)
	case OpLike, OpNotLike:
		lhs := coalesceText(l)
		if l.isConst {
			s, _ := l.c.(string)
			lhs = g.param(s, "text")
		}
		if op == OpLike {
			return lhs + " ILIKE " + g.pattern(r)
		}
		return lhs + " NOT ILIKE " + g.pattern(r)
	}
	if r.isConst && r.c == nil {
		return "FALSE" // ordering against the null literal
	}
	rhs := coalesceText(r)
	if r.isConst {
		rhs = g.param(r.c, "text")
	}
	return "(" + coalesceText(l) + ") COLLATE \"C\" " + string(op) + " " + rhs
}

// cmpScalar compares numbers, booleans or dates: null equals only null,
// ordering with null is false.
func (g *sqlGen) cmpScalar(op Operator, l, r sqlVal, cast string) string {
	rhs, ok := g.operand(r, cast)
	nullable := l.nullable || r.nullable
	switch op {
	case OpEq:
		switch {
		case !ok:
			return l.e + " IS NULL"
		case nullable && !r.isConst:
			return l.e + " IS NOT DISTINCT FROM " + rhs
		}
		return l.e + " = " + rhs
	case OpNeq:
		switch {
		case !ok:
			return l.e + " IS NOT NULL"
		case nullable:
			return l.e + " IS DISTINCT FROM " + rhs
		}
		return l.e + " <> " + rhs
	}
	if !ok {
		return "FALSE"
	}
	return l.e + " " + string(op) + " " + rhs
}
