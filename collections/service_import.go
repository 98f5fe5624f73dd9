package collections

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
)

// importItem is one collection of an import.
type importItem struct {
	def *Collection // as imported; normalized in place
	old *Collection // the stored collection it replaces, nil when new
}

// Import creates or updates every collection in defs (matched by id, then
// name) in one transaction, as PocketBase's import does:
//
//   - ids are kept as given; a collection matched by name keeps its stored
//     id, and relations that named the imported id follow it. PocketBase's
//     well-known ids (_pb_users_auth_ and the system collections' pbc_…)
//     mean the collections of those names (RelationOptions.Check).
//   - tables are created first, then views in the order they read each
//     other (whatever order defs lists them in); every plan is made inside
//     the transaction, so it sees what the plans before it created.
//   - fields of an existing collection that defs leaves out are kept,
//     unless deleteMissing is set (system fields are always kept).
//   - with deleteMissing, collections not in defs (other than system ones)
//     are dropped first, also those that only reference each other.
//   - PocketBase's internal system collections that Lumbung has no use for
//     (_mfas, _otps, _authOrigins) are skipped. The rules of system
//     collections cannot change (the same rule written with other quotes
//     or spacing is the same rule).
//
// An empty defs is refused. A dry run runs the same steps in a
// transaction that is rolled back, and stops at the first plan that is
// blocked (the plans returned show why).
func (s *Service) Import(ctx context.Context, defs []*Collection, deleteMissing bool, opts SaveOptions) ([]*Plan, error) {
	if len(defs) == 0 {
		// As PocketBase: an empty import with deleteMissing would drop
		// every collection.
		return nil, Invalid("Failed to import the collections.", map[string]FieldError{
			"collections": {Code: "validation_required", Message: "Cannot be blank."}})
	}
	items, err := s.matchImport(defs, deleteMissing)
	if err != nil {
		return nil, err
	}
	view := &importView{base: s, set: map[string]*Collection{}, gone: map[string]bool{}}
	var gone []*Collection
	if deleteMissing {
		imported := map[string]bool{}
		for _, it := range items {
			imported[it.def.ID] = true
		}
		for _, c := range s.Collections() {
			if !imported[c.ID] && !c.System {
				gone = append(gone, c)
				view.gone[c.ID] = true
			}
		}
	}
	for _, it := range items {
		if it.old == nil {
			view.set[it.def.ID] = it.def
		}
	}
	if err := s.checkDropped(items, gone); err != nil {
		return nil, err
	}
	var tables, views []*importItem
	for _, it := range items {
		if it.def.Type == TypeView {
			views = append(views, it)
		} else {
			tables = append(tables, it)
		}
	}
	if views, err = viewOrder(views); err != nil {
		return nil, err
	}

	tx, err := s.schema.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // after Commit: nothing to undo
	run := &importRun{ctx: ctx, tx: tx, dryRun: opts.DryRun}
	if err := s.dropMissing(run, items, gone, opts); err != nil {
		return nil, err
	}
	if err := s.importTables(run, view, tables, opts); err != nil {
		return nil, err
	}
	for _, it := range views {
		if run.stopped {
			break
		}
		def := it.def
		if err := Normalize(view, it.old, def); err != nil {
			return nil, prefixed(err, def.Name)
		}
		view.set[def.ID] = def
		plan, err := run.plan(Change{Old: it.old, New: def, Schema: view, AllowDataLoss: opts.AllowDataLoss, Actor: opts.Actor})
		if err != nil {
			return nil, prefixed(err, def.Name)
		}
		// The view's fields come from its query: check its rules now.
		if err := s.checkRules(view, def); err != nil {
			return nil, prefixed(err, def.Name)
		}
		if err := run.apply(plan); err != nil {
			return nil, err
		}
	}
	if opts.DryRun {
		return run.plans, nil
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, err
	}
	if err := s.Reload(ctx); err != nil {
		return nil, err
	}
	s.batchHooks(ctx, run.plans)
	return run.plans, nil
}

// importRun plans and applies the steps of an import in its transaction.
type importRun struct {
	ctx     context.Context
	tx      SchemaTx
	dryRun  bool
	plans   []*Plan
	stopped bool // a dry run met a blocked plan
}

func (r *importRun) plan(ch Change) (*Plan, error) {
	return r.tx.Plan(r.ctx, ch)
}

// apply runs plan in the transaction and keeps it for the answer. In a dry
// run a blocked plan ends the run: what follows may depend on it.
func (r *importRun) apply(plan *Plan) error {
	r.plans = append(r.plans, plan)
	if r.dryRun && len(plan.Blocked) > 0 {
		r.stopped = true
		return nil
	}
	return r.tx.Apply(r.ctx, plan)
}

// wellKnownIDs are the ids PocketBase gives the collections every
// PocketBase app has, by their names. A relation to one of these ids means
// Lumbung's collection of that name when no collection has the id (a
// database made before Lumbung used them).
var wellKnownIDs = map[string]string{
	"_pb_users_auth_": "users",
	"pbc_3142635823":  SuperusersName,
	"pbc_2281828961":  "_externalAuths",
	"pbc_2279338944":  "_mfas",
	"pbc_1638494021":  "_otps",
	"pbc_4275539003":  "_authOrigins",
}

// WellKnownID returns PocketBase's id of the collection named name (the
// default users collection and the system collections), or "".
func WellKnownID(name string) string {
	for id, n := range wellKnownIDs {
		if n == name {
			return id
		}
	}
	return ""
}

// pocketBaseInternal are PocketBase's system collections that hold what
// only PocketBase's own features use; an import skips them.
var pocketBaseInternal = map[string]bool{"_mfas": true, "_otps": true, "_authOrigins": true}

// matchImport pairs each definition with the stored collection it
// replaces, fills in ids and types, and makes relations follow imported
// ids that became stored ones.
func (s *Service) matchImport(defs []*Collection, deleteMissing bool) ([]*importItem, error) {
	errs := map[string]FieldError{}
	seen := map[string]bool{}
	alias := map[string]string{}
	var items []*importItem
	for i, def := range defs {
		if def == nil {
			errs[fmt.Sprintf("collections.%d", i)] = FieldError{Code: "validation_invalid_value", Message: "Must be a collection object."}
			continue
		}
		if def.Type == "" {
			def.Type = TypeBase
		}
		var old *Collection
		if def.ID != "" {
			old = s.collectionByID(def.ID)
		}
		if old == nil && def.Name != "" {
			old, _ = s.Collection(def.Name)
		}
		if old == nil && def.System && pocketBaseInternal[def.Name] {
			continue
		}
		switch {
		case old != nil:
			if def.ID != "" && def.ID != old.ID {
				alias[def.ID] = old.ID
			}
			def.ID = old.ID
			keepExisting(old, def, deleteMissing)
		case def.ID == "":
			def.ID = NewCollectionID()
		}
		if seen[def.ID] {
			errs[fmt.Sprintf("collections.%d", i)] = FieldError{Code: "validation_duplicated_collection", Message: fmt.Sprintf("Collection %q is listed twice.", def.Name)}
			continue
		}
		seen[def.ID] = true
		items = append(items, &importItem{def: def, old: old})
	}
	if len(errs) > 0 {
		return nil, Invalid("Failed to import the collections.", errs)
	}
	for _, it := range items {
		for _, f := range it.def.Fields {
			if o, ok := f.Options.(*RelationOptions); ok && alias[o.CollectionID] != "" {
				o.CollectionID = alias[o.CollectionID]
			}
		}
	}
	return items, nil
}

// keepExisting adds to def what PocketBase keeps of an existing collection
// on import: the fields def leaves out (only the system ones with
// deleteMissing), matched by id, or by name and type.
func keepExisting(old, def *Collection, deleteMissing bool) {
	for _, of := range old.Fields {
		if _, ok := def.FieldByID(of.ID); ok {
			continue
		}
		if f, ok := def.Field(of.Name); ok {
			if f.Type == of.Type {
				f.ID = of.ID
			}
			continue
		}
		if deleteMissing && !of.System {
			continue
		}
		cp := *of
		def.Fields = append(def.Fields, &cp)
	}
}

// checkDropped refuses to drop a collection that a relation still points
// at once the import is done: a relation of an imported definition, or of
// a stored collection the import leaves as it is. (Relations the import
// removes from kept collections go before the drop, see dropMissing.)
func (s *Service) checkDropped(items []*importItem, gone []*Collection) error {
	if len(gone) == 0 {
		return nil
	}
	dropped := map[string]*Collection{}
	for _, c := range gone {
		dropped[c.ID] = c
	}
	final := map[string]*Collection{}
	for _, c := range s.Collections() {
		if dropped[c.ID] == nil {
			final[c.ID] = c
		}
	}
	for _, it := range items {
		final[it.def.ID] = it.def
	}
	for _, other := range final {
		for _, f := range other.Fields {
			o, ok := f.Options.(*RelationOptions)
			if !ok {
				continue
			}
			if t, ok := relationTarget(s, other, o.CollectionID); ok && dropped[t.ID] != nil {
				return Errorf(EINVALID, "Collection %q cannot be deleted: it is referenced by %s.%s.", t.Name, other.Name, f.Name)
			}
		}
	}
	return nil
}

// dropMissing drops the collections deleteMissing removes: views first
// (those that read others before them), then the relations that point at
// the tables that go (from each other, and from kept collections whose
// imported definition leaves them out), then the tables.
func (s *Service) dropMissing(run *importRun, items []*importItem, gone []*Collection, opts SaveOptions) error {
	var views []*importItem
	var tables []*Collection
	dropped := map[string]bool{}
	for _, c := range gone {
		dropped[c.ID] = true
		if c.Type == TypeView {
			views = append(views, &importItem{def: c})
		} else {
			tables = append(tables, c)
		}
	}
	order, err := viewOrder(views)
	if err != nil {
		return err
	}
	slices.Reverse(order)
	drop := func(c *Collection) error {
		plan, err := run.plan(Change{Old: c, Schema: s, Actor: opts.Actor})
		if err != nil {
			return err
		}
		return run.apply(plan)
	}
	for _, it := range order {
		if err := drop(it.def); err != nil {
			return err
		}
	}
	// strip removes c's relations to the tables that go and returns what
	// is left of c (c itself when nothing points there).
	strip := func(c *Collection) (*Collection, error) {
		kept := c.Clone()
		kept.Fields = slices.DeleteFunc(kept.Fields, func(f *Field) bool {
			o, ok := f.Options.(*RelationOptions)
			return ok && o.CollectionID != c.ID && dropped[o.CollectionID]
		})
		if len(kept.Fields) == len(c.Fields) {
			return c, nil
		}
		plan, err := run.plan(Change{Old: c, New: kept, Schema: s, AllowDataLoss: true, Actor: opts.Actor})
		if err != nil {
			return nil, err
		}
		return kept, run.apply(plan)
	}
	for i, c := range tables {
		if tables[i], err = strip(c); err != nil {
			return err
		}
	}
	for _, it := range items {
		if it.old != nil && it.old.Type != TypeView {
			if it.old, err = strip(it.old); err != nil {
				return err
			}
		}
	}
	for _, c := range tables {
		if err := drop(c); err != nil {
			return err
		}
	}
	return nil
}

// importTables creates and updates the base and auth collections of an
// import. New collections are created first without the relations to
// collections that do not exist yet and without indexes, so collections
// may reference each other; then every collection gets its full
// definition.
func (s *Service) importTables(run *importRun, view *importView, items []*importItem, opts SaveOptions) error {
	first := map[string]*Collection{}
	exists := func(id string) bool {
		if _, ok := first[id]; ok {
			return true
		}
		c, ok := s.Collection(id)
		return ok && !view.gone[c.ID]
	}
	for _, it := range items {
		if it.old != nil || run.stopped {
			continue
		}
		full := it.def
		c := full.Clone()
		c.Fields = nil
		for _, f := range full.Fields {
			if o, ok := f.Options.(*RelationOptions); ok {
				target, found := relationTarget(view, full, o.CollectionID)
				if !found || (target.ID != full.ID && !exists(target.ID)) {
					continue
				}
			}
			c.Fields = append(c.Fields, f)
		}
		c.Indexes = indexesOn(c, full.Indexes)
		if err := Normalize(view, nil, c); err != nil {
			return prefixed(err, full.Name)
		}
		// The full definition keeps the system fields the first pass added
		// (id in front, autodates behind) around the imported fields, also
		// when the first pass left every imported field out.
		orig := map[*Field]bool{}
		for _, f := range full.Fields {
			orig[f] = true
		}
		var prefix, suffix []*Field
		seenOrig := false
		for _, f := range c.Fields {
			switch {
			case orig[f]:
				seenOrig = true
			case seenOrig || f.Type == "autodate":
				suffix = append(suffix, f)
			default:
				prefix = append(prefix, f)
			}
		}
		full.Fields = append(append(prefix, full.Fields...), suffix...)
		plan, err := run.plan(Change{New: c, Schema: view, Actor: opts.Actor})
		if err != nil {
			return prefixed(err, full.Name)
		}
		if err := run.apply(plan); err != nil {
			return err
		}
		first[c.ID] = c
	}
	// Every definition is normalized before any rule is checked, so rules
	// may name fields of collections that come later in the import.
	for _, it := range items {
		old := it.old
		if old == nil {
			old = first[it.def.ID]
		}
		if old == nil {
			continue // a dry run stopped before creating it
		}
		renameIndexColumns(old, it.def)
		if err := Normalize(view, old, it.def); err != nil {
			return prefixed(err, it.def.Name)
		}
		view.set[it.def.ID] = it.def
	}
	for _, it := range items {
		if err := s.checkRules(view, it.def); err != nil {
			return prefixed(err, it.def.Name)
		}
	}
	for _, it := range items {
		old := it.old
		if old == nil {
			old = first[it.def.ID]
		}
		if old == nil || run.stopped {
			continue
		}
		plan, err := run.plan(Change{Old: old, New: it.def, Schema: view, AllowDataLoss: opts.AllowDataLoss, Actor: opts.Actor})
		if err != nil {
			return prefixed(err, it.def.Name)
		}
		if len(plan.Steps) == 0 && it.old == nil && !definitionChanged(old, it.def) {
			continue // the first pass created it in full
		}
		if err := run.apply(plan); err != nil {
			return err
		}
	}
	return nil
}

// indexesOn returns the indexes of list that name only fields c has (the
// first pass of an import leaves out relations to collections not created
// yet, and the indexes on them).
func indexesOn(c *Collection, list []string) []string {
	var out []string
	for _, raw := range list {
		ix, err := ParseIndex(raw)
		if err != nil {
			continue // the full definition reports it
		}
		names := append([]string(nil), ix.NotEmpty...)
		for _, col := range ix.Columns {
			names = append(names, col.Name)
		}
		if !slices.ContainsFunc(names, func(n string) bool { _, ok := c.Field(n); return !ok }) {
			out = append(out, raw)
		}
	}
	return out
}

// definitionChanged reports whether c says more than the first pass saved
// as old: its relation fields or indexes.
func definitionChanged(old, c *Collection) bool {
	return len(old.Fields) != len(c.Fields) || !slices.Equal(old.Indexes, c.Indexes)
}

// relationTarget resolves a relation's target as RelationOptions.Check
// does: c itself, a collection of s by id or name, or the collection a
// well-known PocketBase id stands for.
func relationTarget(s Lookup, c *Collection, idOrName string) (*Collection, bool) {
	if idOrName == c.ID || idOrName == c.Name {
		return c, true
	}
	if t, ok := s.Collection(idOrName); ok {
		return t, true
	}
	if name, ok := wellKnownIDs[idOrName]; ok {
		return s.Collection(name)
	}
	return nil, false
}

// viewOrder orders the views of an import so that each comes after the
// views of the import its query reads. A view reads another when that
// view's name appears in its query as an identifier (outside strings and
// comments); views that read each other are an error.
func viewOrder(items []*importItem) ([]*importItem, error) {
	index := map[string]int{}
	for i, it := range items {
		index[strings.ToLower(it.def.Name)] = i
	}
	deps := make([][]int, len(items))
	for i, it := range items {
		for _, w := range sqlIdentifiers(it.def.ViewQuery) {
			if j, ok := index[strings.ToLower(w)]; ok && j != i && !slices.Contains(deps[i], j) {
				deps[i] = append(deps[i], j)
			}
		}
	}
	const (
		unseen = iota
		visiting
		done
	)
	state := make([]int, len(items))
	var out []*importItem
	var visit func(i int, path []int) error
	visit = func(i int, path []int) error {
		switch state[i] {
		case done:
			return nil
		case visiting:
			var names []string
			for _, j := range append(path[slices.Index(path, i):], i) {
				names = append(names, fmt.Sprintf("%q", items[j].def.Name))
			}
			sort.Strings(names)
			names = slices.Compact(names)
			return Errorf(EINVALID, "Views %s read each other; a view can only read views created before it.", strings.Join(names, ", "))
		}
		state[i] = visiting
		for _, j := range deps[i] {
			if err := visit(j, append(path, i)); err != nil {
				return err
			}
		}
		state[i] = done
		out = append(out, items[i])
		return nil
	}
	for i := range items {
		if err := visit(i, nil); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// sqlIdentifiers returns the identifiers in a SQL text: bare words and
// "double-quoted" or `backquoted` names, skipping string literals and
// comments.
func sqlIdentifiers(q string) []string {
	var out []string
	for i := 0; i < len(q); {
		ch := q[i]
		switch {
		case ch == '\'':
			i++
			for i < len(q) {
				if q[i] == '\'' {
					if i+1 < len(q) && q[i+1] == '\'' {
						i += 2
						continue
					}
					break
				}
				i++
			}
			i++
		case ch == '-' && strings.HasPrefix(q[i:], "--"):
			for i < len(q) && q[i] != '\n' {
				i++
			}
		case ch == '/' && strings.HasPrefix(q[i:], "/*"):
			end := strings.Index(q[i+2:], "*/")
			if end < 0 {
				return out
			}
			i += end + 4
		case ch == '"' || ch == '`':
			end := strings.IndexByte(q[i+1:], ch)
			if end < 0 {
				return out
			}
			out = append(out, q[i+1:i+1+end])
			i += end + 2
		case ch == '_' || ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z':
			j := i
			for j < len(q) && (q[j] == '_' || q[j] >= 'a' && q[j] <= 'z' || q[j] >= 'A' && q[j] <= 'Z' || q[j] >= '0' && q[j] <= '9') {
				j++
			}
			out = append(out, q[i:j])
			i = j
		default:
			i++
		}
	}
	return out
}

// importView is the schema during an import: imported definitions shadow
// the stored ones, and collections being dropped are gone.
type importView struct {
	base *Service
	set  map[string]*Collection
	gone map[string]bool
}

func (v *importView) Collection(idOrName string) (*Collection, bool) {
	if c, ok := v.set[idOrName]; ok {
		return c, true
	}
	for _, c := range v.set {
		if strings.EqualFold(c.Name, idOrName) {
			return c, true
		}
	}
	c, ok := v.base.Collection(idOrName)
	if !ok || v.gone[c.ID] {
		return nil, false
	}
	if shadow, ok := v.set[c.ID]; ok {
		return shadow, true
	}
	return c, true
}

func (v *importView) all() []*Collection {
	out := []*Collection{}
	for _, c := range v.base.Collections() {
		if v.gone[c.ID] {
			continue
		}
		if shadow, ok := v.set[c.ID]; ok {
			out = append(out, shadow)
		} else {
			out = append(out, c)
		}
	}
	for id, c := range v.set {
		if _, ok := v.base.Collection(id); !ok {
			out = append(out, c)
		}
	}
	return out
}
