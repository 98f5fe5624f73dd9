package filter

import "github.com/lumbunghq/lumbung/collections"

// Reads returns the collections other than env.Root whose rows e, compiled
// against env, reads: the targets of its relation paths, back-relations
// and @collection references, each once. A filter that compares only the
// root record's own fields reads none. What e may match changes only when
// rows of env.Root or of these collections change.
func Reads(e Expr, env Env) ([]*collections.Collection, error) {
	n, err := compileIn(env, e)
	if err != nil {
		return nil, err
	}
	var out []*collections.Collection
	seen := map[*collections.Collection]bool{}
	eachHop(n, func(h hop) bool {
		if h.to != env.Root && !seen[h.to] {
			seen[h.to] = true
			out = append(out, h.to)
		}
		return true
	})
	return out, nil
}

// eachHop calls fn with every relation hop the comparisons of n follow,
// the hops of the view conditions that limit them included, until fn
// returns false; it reports whether it went through all of them.
func eachHop(n node, fn func(hop) bool) bool {
	switch n := n.(type) {
	case *logic:
		for _, t := range n.terms {
			if !eachHop(t, fn) {
				return false
			}
		}
	case *atom:
		for _, v := range []*value{n.l, n.r} {
			if v.pred != nil && !eachHop(v.pred, fn) {
				return false
			}
			for _, rf := range v.refs() {
				for _, h := range rf.hops {
					if !fn(h) || !eachHop(h.cond, fn) {
						return false
					}
				}
			}
		}
	}
	return true
}
