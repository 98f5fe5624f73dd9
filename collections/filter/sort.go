package filter

import (
	"fmt"
	"strings"

	"github.com/lumbunghq/lumbung/collections"
)

// MaxSortFields bounds the number of fields in a sort string.
const MaxSortFields = 16

// ParseSort compiles a PocketBase sort string such as "-created,title" into
// an ORDER BY list for a query whose root table has the alias alias. A
// leading "-" sorts descending, "+" (or nothing) ascending; "@random"
// shuffles. Fields must exist and be readable; single-relation paths
// (author.name) are allowed, multi-valued paths are not. Empty input gives
// an empty result. NULLs sort as PostgreSQL orders them by default (last
// ascending, first descending).
//
// Placeholders (for the view conditions of relations a path enters, and a
// caller's own record id) are numbered from $argStart+1; args holds
// their values.
func ParseSort(src string, env Env, alias string, argStart int) (orderBy string, args []any, err error) {
	if len(src) > MaxLength {
		return "", nil, collections.Errorf(collections.EINVALID, "Invalid sort: it is longer than %d characters.", MaxLength)
	}
	if alias == "" {
		return "", nil, fmt.Errorf("filter: ParseSort needs the root table's alias")
	}
	r, err := newResolver(env)
	if err != nil {
		return "", nil, err
	}
	r.sort = true
	g := &sqlGen{root: alias, prefix: "_f", next: argStart}
	if strings.HasPrefix(alias, "_f") {
		g.prefix = "_g"
	}
	var parts []string
	for _, item := range strings.Split(src, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		if len(parts) == MaxSortFields {
			return "", nil, collections.Errorf(collections.EINVALID, "Invalid sort: at most %d fields can be sorted by.", MaxSortFields)
		}
		dir := " ASC"
		switch item[0] {
		case '-':
			dir, item = " DESC", item[1:]
		case '+':
			item = item[1:]
		}
		if item == "@random" {
			parts = append(parts, "random()")
			continue
		}
		expr, err := r.sortExpr(g, item)
		if err != nil {
			return "", nil, err
		}
		parts = append(parts, expr+dir)
	}
	orderBy, args = renumber(strings.Join(parts, ", "), g.args, argStart)
	return orderBy, args, nil
}

// sortExpr returns the SQL of one sort field: a column of the root, or a
// scalar subquery through single relations.
func (r *resolver) sortExpr(g *sqlGen, name string) (string, error) {
	bad := func(format string, args ...any) error {
		return collections.Errorf(collections.EINVALID, "Invalid sort: "+format+".", args...)
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; !isIdentPart(c) || c == '@' || c == ':' {
			return "", bad("%q is not a field name", name)
		}
	}
	props := strings.Split(name, ".")
	for _, p := range props {
		if p == "" {
			return "", bad("%q is not a field name", name)
		}
	}
	rf, err := r.path(r.env.Root, props, "", 0, name)
	if err != nil {
		return "", err
	}
	if len(rf.jsonPath) > 0 {
		return "", bad("cannot sort by a key inside the json field %q", rf.col)
	}
	for _, h := range rf.hops {
		if h.kind != hopOne {
			return "", bad("cannot sort by %q: it has many values", name)
		}
	}
	if len(rf.hops) == 0 {
		return g.column(rf, g.root), nil
	}
	// (SELECT j2.col FROM t1 AS j1 JOIN t2 AS j2 ON j2.id = j1.f2 WHERE j1.id = root.f1)
	var b strings.Builder
	aliases := make([]string, len(rf.hops))
	for i := range rf.hops {
		aliases[i] = g.alias()
	}
	// Each hop reaches only the rows the caller may view: a hidden related
	// record sorts like a missing one.
	b.WriteString("(SELECT " + g.column(rf, aliases[len(aliases)-1]) + " FROM ")
	for i, h := range rf.hops {
		if i > 0 {
			b.WriteString(" JOIN ")
		}
		b.WriteString(ident(h.to.Name) + " AS " + ident(aliases[i]))
		if i > 0 {
			b.WriteString(" ON " + ident(aliases[i], "id") + " = " + ident(aliases[i-1], h.field))
		}
	}
	b.WriteString(" WHERE " + ident(aliases[0], "id") + " = " + ident(g.root, rf.hops[0].field))
	for i, h := range rf.hops {
		if h.cond != nil {
			b.WriteString(" AND " + g.under(aliases[i], h.cond))
		}
	}
	b.WriteString(")")
	return b.String(), nil
}
