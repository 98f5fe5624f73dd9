package collections

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// MaxExpandDepth is how many relations an expand path may follow.
const MaxExpandDepth = 6

// maxBackRelations caps the records one back-relation expand loads per
// request, as PocketBase does.
const maxBackRelations = 1000

type expandTree map[string]expandTree

// ParseExpand reads PocketBase's expand parameter: comma separated dotted
// relation paths.
func ParseExpand(s string) (expandTree, error) {
	tree := expandTree{}
	for _, path := range strings.Split(s, ",") {
		path = strings.TrimSpace(path)
		if path == "" {
			continue
		}
		parts := strings.Split(path, ".")
		if len(parts) > MaxExpandDepth {
			return nil, Errorf(EINVALID, "Cannot expand %q: at most %d levels are allowed.", path, MaxExpandDepth)
		}
		node := tree
		for _, p := range parts {
			p = strings.TrimSpace(p)
			if p == "" {
				return nil, Errorf(EINVALID, "Cannot expand %q: empty path segment.", path)
			}
			next, ok := node[p]
			if !ok {
				next = expandTree{}
				node[p] = next
			}
			node = next
		}
	}
	return tree, nil
}

// Expand loads the related records named by expand (PocketBase's syntax,
// including back-relations "<collection>_via_<field>") into each record's
// Expand map. Names that are no relation are left out, as PocketBase does;
// a malformed or too deep expand is EINVALID.
func (r *Records) Expand(ctx context.Context, c *Collection, recs []*Record, expand string) error {
	tree, err := ParseExpand(expand)
	if err != nil || len(tree) == 0 || len(recs) == 0 {
		return err
	}
	return r.expandLevel(ctx, c, recs, tree)
}

// CheckExpand checks, without loading anything, that every path of
// expand follows relation fields or back-relations.
func (r *Records) CheckExpand(c *Collection, expand string) error {
	tree, err := ParseExpand(expand)
	if err != nil {
		return err
	}
	return r.checkExpandLevel(c, tree)
}

func (r *Records) checkExpandLevel(c *Collection, tree expandTree) error {
	for name, sub := range tree {
		rel, err := r.relation(c, name)
		if err != nil {
			return err
		}
		if rel.target != nil {
			if err := r.checkExpandLevel(rel.target, sub); err != nil {
				return err
			}
		}
	}
	return nil
}

// relation is one step of an expand path: a relation field of a
// collection (field set) or a back-relation to it (back set).
type relation struct {
	target *Collection // nil when the related collection no longer exists
	field  *Field      // the relation field, in c or (back) in target
	back   bool
}

// relation resolves the expand step name of c; an unknown name is
// EINVALID.
func (r *Records) relation(c *Collection, name string) (relation, error) {
	if f, ok := c.Field(name); ok {
		o, isRel := f.Options.(*RelationOptions)
		if !isRel {
			return relation{}, Errorf(EINVALID, "Cannot expand %q: it is not a relation field of %q.", name, c.Name)
		}
		target, _ := r.svc.Collection(o.CollectionID)
		return relation{target: target, field: f}, nil
	}
	other, field, ok := r.backRelation(c, name)
	if !ok {
		return relation{}, Errorf(EINVALID, "Cannot expand %q: %q has no such relation field or back-relation.", name, c.Name)
	}
	return relation{target: other, field: field, back: true}, nil
}

func (r *Records) expandLevel(ctx context.Context, c *Collection, recs []*Record, tree expandTree) error {
	for name, sub := range tree {
		rel, err := r.relation(c, name)
		if err != nil {
			continue // a name that is no relation is left out, as PocketBase does
		}
		related := rel.target
		if related == nil {
			continue
		}
		scope, ok := r.viewScope(related)
		if !ok {
			continue // relations the caller cannot view are left out, as PocketBase does
		}
		var loaded []*Record
		if !rel.back {
			if !recs[0].canShow(name) {
				continue
			}
			loaded, err = r.expandForward(ctx, rel.field, related, recs, scope)
		} else {
			if !r.unrestricted() && !r.canRead(related, rel.field.Name) {
				continue
			}
			loaded, err = r.expandBack(ctx, name, related, rel.field, recs, scope)
		}
		if err != nil {
			return err
		}
		if !r.unrestricted() {
			acc := r.caller.Access(related, ActionView)
			for _, l := range loaded {
				l.Restrict(acc.Fields)
			}
			r.hideEmails(loaded)
		}
		if len(sub) > 0 && len(loaded) > 0 {
			if err := r.expandLevel(ctx, related, loaded, sub); err != nil {
				return err
			}
		}
	}
	return nil
}

// viewScope is the scope of records of c the caller may view; false when it
// may view none.
func (r *Records) viewScope(c *Collection) (*Scope, bool) {
	// As PocketBase, the view conditions of an expanded record read
	// @request.context as "expand".
	x := *r
	x.req = r.req.WithContext(ContextExpand)
	_, scope, err := x.decide(c, ActionView, time.Now().UTC(), nil)
	return scope, err == nil
}

func (r *Records) expandForward(ctx context.Context, f *Field, target *Collection, recs []*Record, scope *Scope) ([]*Record, error) {
	var ids []string
	seen := map[string]bool{}
	for _, rec := range recs {
		for _, id := range IDs(rec.Data[f.Name]) {
			if !seen[id] {
				seen[id] = true
				ids = append(ids, id)
			}
		}
	}
	loaded, err := r.store.GetMany(ctx, r.svc, target, ids, scope)
	if err != nil {
		return nil, err
	}
	byID := make(map[string]*Record, len(loaded))
	for _, l := range loaded {
		byID[l.ID()] = l
	}
	multi := f.Options.(*RelationOptions).Multi()
	for _, rec := range recs {
		refs := IDs(rec.Data[f.Name])
		if multi {
			list := make([]*Record, 0, len(refs))
			for _, id := range refs {
				if l, ok := byID[id]; ok {
					list = append(list, l)
				}
			}
			if len(list) > 0 {
				rec.setExpand(f.Name, list)
			}
		} else if len(refs) == 1 {
			if l, ok := byID[refs[0]]; ok {
				rec.setExpand(f.Name, l)
			}
		}
	}
	return loaded, nil
}

func (r *Records) expandBack(ctx context.Context, name string, other *Collection, f *Field, recs []*Record, scope *Scope) ([]*Record, error) {
	ids := make([]string, len(recs))
	byID := make(map[string]*Record, len(recs))
	for i, rec := range recs {
		ids[i] = rec.ID()
		byID[ids[i]] = rec
	}
	// By creation only for a caller who may read it: the order of a field
	// it may not read would tell it something.
	loaded, err := r.store.Referencing(ctx, r.svc, other, f, ids, maxBackRelations, r.canRead(other, "created"), scope)
	if err != nil {
		return nil, err
	}
	single := isUnique(other, f)
	for _, l := range loaded {
		for _, id := range IDs(l.Data[f.Name]) {
			rec, ok := byID[id]
			if !ok {
				continue
			}
			if single {
				rec.setExpand(name, l)
				continue
			}
			list, _ := rec.Expand[name].([]*Record)
			rec.setExpand(name, append(list, l))
		}
	}
	return loaded, nil
}

// backRelation resolves "<collection>_via_<field>" to a relation field of
// another collection that points at c.
func (r *Records) backRelation(c *Collection, name string) (*Collection, *Field, bool) {
	collName, fieldName, ok := strings.Cut(name, "_via_")
	if !ok {
		return nil, nil, false
	}
	other, ok := r.svc.Collection(collName)
	if !ok {
		return nil, nil, false
	}
	f, ok := other.Field(fieldName)
	if !ok {
		return nil, nil, false
	}
	o, ok := f.Options.(*RelationOptions)
	if !ok || o.CollectionID != c.ID {
		return nil, nil, false
	}
	return other, f, true
}

// isUnique reports whether a single relation field has a unique index of
// its own, which makes its back-relation hold at most one record.
func isUnique(c *Collection, f *Field) bool {
	if f.Options.(*RelationOptions).Multi() {
		return false
	}
	for _, raw := range c.Indexes {
		ix, err := ParseIndex(raw)
		if err == nil && ix.Unique && len(ix.Columns) == 1 && ix.Columns[0].Name == f.Name {
			return true
		}
	}
	return false
}

func (r *Record) setExpand(name string, v any) {
	if r.Expand == nil {
		r.Expand = map[string]any{}
	}
	r.Expand[name] = v
}

// String describes the record for logs.
func (r *Record) String() string { return fmt.Sprintf("%s/%s", r.Collection.Name, r.ID()) }
