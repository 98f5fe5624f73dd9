package filter

import "strings"

// IndexedFields returns the record's own fields that e compares with a
// value (a literal, macro or request value) by =, <, <=, > or >=: the
// comparisons a B-tree index on the field serves. Relation paths,
// modifiers (:lower…), functions and any-of operators are left out. A
// field compared several times is listed once, in order of appearance.
func IndexedFields(e Expr) []string {
	var out []string
	seen := map[string]bool{}
	var walk func(Expr)
	walk = func(e Expr) {
		switch n := e.(type) {
		case *Logical:
			for _, t := range n.Terms {
				walk(t)
			}
		case *Comparison:
			switch n.Op {
			case OpEq, OpGt, OpGte, OpLt, OpLte:
			default:
				return
			}
			for _, side := range [][2]Operand{{n.Left, n.Right}, {n.Right, n.Left}} {
				if f, ok := ownField(side[0]); ok && isValue(side[1]) && !seen[f] {
					seen[f] = true
					out = append(out, f)
				}
			}
		}
	}
	walk(e)
	return out
}

// SortFields returns the record's own fields a sort string orders by,
// without relation paths or @random; it does not check that they exist.
func SortFields(src string) []string {
	var out []string
	for _, item := range strings.Split(src, ",") {
		item = strings.TrimLeft(strings.TrimSpace(item), "+-")
		if item == "" || strings.ContainsAny(item, ".:@( ") {
			continue
		}
		out = append(out, item)
	}
	return out
}

func ownField(o Operand) (string, bool) {
	id, ok := o.(*Identifier)
	if !ok || id.Kind != IdentField || len(id.Path) != 1 || id.Modifier != "" {
		return "", false
	}
	return id.Path[0], true
}

func isValue(o Operand) bool {
	switch v := o.(type) {
	case *Literal:
		return true
	case *Identifier:
		return v.Kind == IdentMacro || v.Kind == IdentRequest
	}
	return false
}
