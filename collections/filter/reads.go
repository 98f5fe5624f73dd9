package filter

import "github.com/lumbunghq/lumbung/collections"

// Reads returns the collections other than env.Root whose rows e, compiled
// against env, reads: the targets of its relation paths, back-relations
// and @collection references, each once. A filter that compares only the
// root record's own fields reads none. What e may match changes only when
// rows of env.Root or of these collections change.
func Reads(e Expr, env Env) ([]*collections.Collection, error) {
	r, err := newResolver(env)
	if err != nil {
		return nil, err
	}
	n, err := r.compile(e)
	if err != nil {
		return nil, err
	}
	var out []*collections.Collection
	seen := map[*collections.Collection]bool{}
	var walk func(node)
	walk = func(n node) {
		switch n := n.(type) {
		case *logic:
			for _, t := range n.terms {
				walk(t)
			}
		case *atom:
			for _, v := range []*value{n.l, n.r} {
				if v.ref == nil {
					continue
				}
				for _, h := range v.ref.hops {
					if h.to != env.Root && !seen[h.to] {
						seen[h.to] = true
						out = append(out, h.to)
					}
				}
			}
		}
	}
	walk(n)
	return out, nil
}
