package filter

import (
	"fmt"
	"strings"

	"github.com/lumbunghq/lumbung/collections"
)

// fieldOf returns the field name of c. Every record has an id, so a
// collection that does not list it still gets a text primary key.
func fieldOf(c *collections.Collection, name string) (*collections.Field, bool) {
	if f, ok := c.Field(name); ok {
		return f, true
	}
	if name == "id" {
		return &collections.Field{Name: "id", Type: "text", System: true, Options: &collections.TextOptions{PrimaryKey: true}}, true
	}
	return nil, false
}

// missingError is an unknown name in a path: an error in a filter, a null
// value in a path of the request (@request.auth.<rel>..., as PocketBase
// reads missing names there).
type missingError struct{ error }

func (e missingError) Unwrap() error { return e.error }

func missing(err error) error { return missingError{err} }

// canRead reports whether field f of c may be used. Without Env.CanRead
// every field but the hidden ones (passwords, token keys) may.
func (r *resolver) canRead(c *collections.Collection, f *collections.Field) bool {
	if r.env.CanRead == nil {
		return !f.Hidden
	}
	return r.env.CanRead(c, f.Name)
}

// lookup finds the collection a relation field points to.
func (r *resolver) lookup(idOrName string) (*collections.Collection, bool) {
	root := r.env.Root
	if idOrName == root.ID || idOrName == root.Name {
		return root, true
	}
	if r.env.Schema == nil {
		return nil, false
	}
	return r.env.Schema.Collection(idOrName)
}

// field resolves a record field or a relation path.
func (r *resolver) field(id *Identifier) (*value, error) {
	rf, err := r.path(r.env.Root, id.Path, id.Modifier, id.Start, id.String())
	if err != nil {
		return nil, err
	}
	return &value{ref: rf, kind: rf.kind, pos: id.Start, name: id.String()}, nil
}

// collection resolves @collection.<name>[:<alias>].<path>: the path is
// walked from a row of collection <name> that is not related to the
// filtered record. The row is keyed by the name and alias, so that
// comparisons joined by && share it as they share a relation's row.
func (r *resolver) collection(id *Identifier) (*value, error) {
	name := id.String()
	c, ok := r.lookup(id.Path[0])
	if !ok {
		return nil, r.invalid(id.Start, "unknown collection %q in %q", id.Path[0], name)
	}
	key := "@collection." + c.Name // by name: the same row whether written by name or id
	if id.Alias != "" {
		key += ":" + id.Alias
	}
	h := hop{kind: hopAll, to: c, key: key}
	if err := r.limit(&h); err != nil {
		return nil, err
	}
	rf, err := r.walk(&ref{hops: []hop{h}}, []string{key}, c, id.Path[1:], id.Modifier, id.Start, name)
	if err != nil {
		return nil, err
	}
	return &value{ref: rf, kind: rf.kind, pos: id.Start, name: name}, nil
}

// path walks props from the collection c: relation fields and
// back-relations (<collection>_via_<field>) move to another collection, a
// json field takes the remaining props as keys, the last prop names the
// compared field.
func (r *resolver) path(c *collections.Collection, props []string, mod string, pos int, name string) (*ref, error) {
	return r.walk(&ref{}, nil, c, props, mod, pos, name)
}

// walk continues the path of rf (whose hops so far are keyed by keys) at
// collection c with props. Hops already in rf do not count towards
// MaxRelationDepth.
func (r *resolver) walk(rf *ref, keys []string, c *collections.Collection, props []string, mod string, pos int, name string) (*ref, error) {
	base := len(rf.hops)
	for i := 0; i < len(props); i++ {
		prop := props[i]
		last := i == len(props)-1
		f, ok := fieldOf(c, prop)
		if !ok {
			if last {
				return nil, missing(r.invalid(pos, "unknown field %q in %q", prop, name))
			}
			h, err := r.backRelation(c, prop, pos, name)
			if err != nil {
				return nil, err
			}
			if len(rf.hops)-base >= MaxRelationDepth {
				return nil, r.invalid(pos, "%q follows more than %d relations", name, MaxRelationDepth)
			}
			if err := r.limit(&h); err != nil {
				return nil, err
			}
			keys = append(keys, prop)
			h.key = strings.Join(keys, ".")
			rf.hops = append(rf.hops, h)
			c = h.to
			continue
		}
		if !r.canRead(c, f) {
			return nil, r.invalid(pos, "the field %q cannot be used in filters", strings.Join(append(keys, prop), "."))
		}
		if last {
			return r.finish(rf, c, f, mod, pos, name)
		}
		if f.Storage() == collections.StorageJSON {
			for _, k := range props[i+1:] {
				if strings.Contains(k, ":") {
					return nil, r.invalid(pos, "invalid json key in %q", name)
				}
			}
			rf.jsonPath = props[i+1:]
			if mod != "" {
				return nil, r.invalid(pos, "the :%s modifier cannot be used on json values", mod)
			}
			return r.finish(rf, c, f, "", pos, name)
		}
		opts, ok := f.Options.(*collections.RelationOptions)
		if !ok {
			return nil, r.invalid(pos, "%q is not a relation field, so %q cannot be resolved", prop, name)
		}
		// author.id is the author column itself: no join needed.
		if !opts.Multi() && i == len(props)-2 && props[i+1] == "id" {
			return r.finish(rf, c, f, mod, pos, name)
		}
		target, ok := r.lookup(opts.CollectionID)
		if !ok {
			return nil, r.invalid(pos, "the relation %q points to an unknown collection", prop)
		}
		if len(rf.hops)-base >= MaxRelationDepth {
			return nil, r.invalid(pos, "%q follows more than %d relations", name, MaxRelationDepth)
		}
		h := hop{kind: hopOne, field: f.Name, to: target}
		if opts.Multi() {
			h.kind = hopMany
		}
		if err := r.limit(&h); err != nil {
			return nil, err
		}
		keys = append(keys, prop)
		h.key = strings.Join(keys, ".")
		rf.hops = append(rf.hops, h)
		c = target
	}
	return nil, r.invalid(pos, "cannot resolve %q", name)
}

// backRelation resolves <collection>_via_<field>: the records of
// <collection> whose relation <field> points at the current record.
func (r *resolver) backRelation(c *collections.Collection, prop string, pos int, name string) (hop, error) {
	i := strings.LastIndex(prop, "_via_")
	if i <= 0 || i+len("_via_") >= len(prop) {
		return hop{}, missing(r.invalid(pos, "unknown field %q in %q", prop, name))
	}
	collName, fieldName := prop[:i], prop[i+len("_via_"):]
	var back *collections.Collection
	if r.env.Schema != nil {
		back, _ = r.env.Schema.Collection(collName)
	}
	if back == nil && (collName == r.env.Root.Name) {
		back = r.env.Root
	}
	if back == nil {
		return hop{}, missing(r.invalid(pos, "unknown collection %q in %q", collName, name))
	}
	f, ok := back.Field(fieldName)
	if !ok {
		return hop{}, missing(r.invalid(pos, "unknown field %q of collection %q in %q", fieldName, collName, name))
	}
	opts, ok := f.Options.(*collections.RelationOptions)
	if !ok || (opts.CollectionID != c.ID && opts.CollectionID != c.Name) {
		return hop{}, r.invalid(pos, "%q is not a relation to %q, so %q cannot be resolved", collName+"."+fieldName, c.Name, name)
	}
	if !r.canRead(back, f) {
		return hop{}, r.invalid(pos, "the field %q cannot be used in filters", collName+"."+fieldName)
	}
	return hop{kind: hopBack, field: f.Name, multi: opts.Multi(), to: back}, nil
}

// finish describes the compared field f of collection c.
func (r *resolver) finish(rf *ref, c *collections.Collection, f *collections.Field, mod string, pos int, name string) (*ref, error) {
	rf.coll, rf.col = c, f.Name
	if r.env.HideEmails && c.Type == collections.TypeAuth && f.Name == "email" {
		rf.masked = true
		if r.env.Auth != nil && r.env.Auth["collectionId"] == c.ID {
			rf.owner, _ = r.env.Auth["id"].(string)
		}
	}
	st := f.Storage()
	rf.nullable = c.Type == collections.TypeView
	switch st {
	case collections.StorageText:
		rf.kind = kText
	case collections.StorageRef:
		rf.kind, rf.nullable = kText, true
	case collections.StorageNumber:
		rf.kind = kNumber
	case collections.StorageBool:
		rf.kind = kBool
	case collections.StorageTime:
		rf.kind, rf.nullable = kTime, true
	case collections.StorageJSON:
		rf.kind, rf.nullable = kJSON, true
	case collections.StorageTextArray:
		// Without :each a list is its JSON text, as PocketBase stores it:
		// tags = '["a","b"]', tags ~ 'a'.
		rf.kind, rf.jsonText = kText, true
	default:
		return nil, r.invalid(pos, "the field %q cannot be used in filters", f.Name)
	}
	switch mod {
	case "lower":
		if rf.kind != kText {
			return nil, r.invalid(pos, ":lower needs a text field, %q is %s", name, rf.kind)
		}
		rf.lower = true
	case "length":
		if !rf.jsonText {
			return nil, r.invalid(pos, ":length needs a multi-valued field, %q is not", strings.TrimSuffix(name, ":length"))
		}
		rf.jsonText, rf.length, rf.kind = false, true, kNumber
	case "each":
		if !rf.jsonText {
			return nil, r.invalid(pos, ":each needs a multi-valued field, %q is not", strings.TrimSuffix(name, ":each"))
		}
		rf.jsonText, rf.items = false, true
	case "isset", "changed":
		return nil, r.invalid(pos, ":%s can only be used on @request values", mod)
	}
	return rf, nil
}

// limit sets the rows of h.to that hop h may reach: the caller's view
// conditions of that collection (Env.Visible), compiled once per
// collection and filter. They are access rules, so they read every field
// and follow relations without limits of their own.
func (r *resolver) limit(h *hop) error {
	if r.env.Visible == nil {
		return nil
	}
	if n, ok := r.limits[h.to]; ok {
		h.cond = n
		return nil
	}
	exprs, all, err := r.env.Visible(h.to)
	if err != nil {
		return err
	}
	var n node
	if !all {
		sub := &resolver{env: Env{Root: h.to, Schema: r.env.Schema, Now: r.now, Auth: r.env.Auth, CanRead: everyField}, now: r.now}
		or := &logic{}
		for _, e := range exprs {
			t, err := sub.build(e)
			if err != nil {
				return fmt.Errorf("view condition of %s: %w", h.to.Name, err)
			}
			or.terms = append(or.terms, t)
		}
		n = fold(or)
		if c, ok := n.(constNode); ok && bool(c) {
			n = nil
		}
	}
	if r.limits == nil {
		r.limits = map[*collections.Collection]node{}
	}
	r.limits[h.to] = n
	h.cond = n
	return nil
}

func everyField(*collections.Collection, string) bool { return true }
