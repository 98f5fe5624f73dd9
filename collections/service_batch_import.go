package collections

import "fmt"

// Import creates or updates every collection of defs in the batch, as
// PocketBase's importCollections: each is matched by id, then by name;
// fields of an existing collection that defs leaves out are kept unless
// deleteMissing (system fields always stay); new collections are
// created first without the relations to collections that do not exist
// yet, so collections of defs may reference each other; with
// deleteMissing, collections not in defs (other than system ones) are
// dropped, those that nothing kept references first.
func (sb *SchemaBatch) Import(defs []*Collection, deleteMissing bool) error {
	type item struct{ def, old *Collection }
	var items []item
	listed := map[string]bool{}
	for i, def := range defs {
		if def == nil {
			return Errorf(EINVALID, "importCollections: item %d is not a collection.", i)
		}
		if def.Type == "" {
			def.Type = TypeBase
		}
		old, _ := sb.find(def.ID, def.Name)
		if old == nil && def.System && pocketBaseInternal[def.Name] {
			continue
		}
		if old != nil {
			def.ID = old.ID
			keepExisting(old, def, deleteMissing)
		} else if def.ID == "" {
			def.ID = NewCollectionID()
		}
		listed[def.ID] = true
		items = append(items, item{def: def, old: old})
	}
	if deleteMissing {
		if err := sb.dropUnlisted(listed); err != nil {
			return err
		}
	}
	exists := func(id string) bool {
		_, ok := sb.view.Collection(id)
		return ok
	}
	// First pass: the new collections, without relations to collections
	// not created yet and without indexes.
	for _, it := range items {
		if it.old != nil {
			continue
		}
		first := it.def.Clone()
		first.Fields = nil
		first.Indexes = nil
		for _, f := range it.def.Fields {
			if o, ok := f.Options.(*RelationOptions); ok && o.CollectionID != it.def.ID && !exists(o.CollectionID) {
				if target, found := relationTarget(sb.view, it.def, o.CollectionID); !found || !exists(target.ID) {
					continue
				}
			}
			first.Fields = append(first.Fields, f)
		}
		if err := sb.Create(first); err != nil {
			return err
		}
	}
	// Second pass: every collection in full.
	for _, it := range items {
		if err := sb.Update(it.def); err != nil {
			return err
		}
	}
	return nil
}

// dropUnlisted drops the collections not listed (other than system
// ones), those nothing else references first.
func (sb *SchemaBatch) dropUnlisted(listed map[string]bool) error {
	for {
		var gone []*Collection
		for _, c := range sb.view.all() {
			if !listed[c.ID] && !c.System {
				gone = append(gone, c)
			}
		}
		if len(gone) == 0 {
			return nil
		}
		progress := false
		var last error
		for _, c := range gone {
			if err := sb.Delete(c.ID); err != nil {
				last = err
				continue
			}
			progress = true
		}
		if !progress {
			return fmt.Errorf("importCollections: cannot drop the collections left out: %w", last)
		}
	}
}
