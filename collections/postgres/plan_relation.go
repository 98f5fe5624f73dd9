package postgres

import (
	"fmt"

	"github.com/lumbunghq/lumbung/collections"
)

// relationTarget resolves the collection a relation field points to. self
// stands in for the collection being created, which s may not know yet.
func relationTarget(f *collections.Field, s collections.Lookup, self *collections.Collection) (*collections.Collection, bool) {
	o, ok := f.Options.(*collections.RelationOptions)
	if !ok {
		return nil, false
	}
	if self != nil && o.CollectionID == self.ID {
		return self, true
	}
	return s.Collection(o.CollectionID)
}

// onDelete is what happens to a single relation when its target is deleted:
// cascade, clear the reference, or refuse while a required reference exists.
func onDelete(f *collections.Field) string {
	o := f.Options.(*collections.RelationOptions)
	switch {
	case o.CascadeDelete:
		return "CASCADE"
	case f.Required:
		return "RESTRICT"
	}
	return "SET NULL"
}

// relationSpec summarizes what the database keeps for a relation field, so a
// change to any of it recreates the constraint, trigger and index.
func relationSpec(c *collections.Collection, f *collections.Field, s collections.Lookup) string {
	o, ok := f.Options.(*collections.RelationOptions)
	if !ok {
		return ""
	}
	if o.Multi() {
		return fmt.Sprintf("multi:%s:%t", o.CollectionID, o.CascadeDelete)
	}
	return fmt.Sprintf("single:%s:%s", o.CollectionID, onDelete(f))
}

// addRelation queues the foreign key (single) or maintenance trigger
// (multi), and the index, of a relation field.
func (p *planner) addRelation(c *collections.Collection, f *collections.Field, s collections.Lookup) {
	target, ok := relationTarget(f, s, c)
	if !ok {
		return
	}
	t, col := ident(c.Name), ident(f.Name)
	idx := ident(relationIndexName(c, f))
	if f.Storage() == collections.StorageRef {
		p.step(fmt.Sprintf("ALTER TABLE %s ADD CONSTRAINT %s FOREIGN KEY (%s) REFERENCES %s (id) ON DELETE %s",
			t, ident(fkName(f)), col, ident(target.Name), onDelete(f)),
			fmt.Sprintf("Make %q reference %q.", f.Name, target.Name))
		p.step(fmt.Sprintf("CREATE INDEX %s ON %s (%s)", idx, t, col), fmt.Sprintf("Index relation %q.", f.Name))
		return
	}
	mode := "remove"
	if f.Options.(*collections.RelationOptions).CascadeDelete {
		mode = "cascade"
	}
	p.step(fmt.Sprintf("CREATE TRIGGER %s AFTER DELETE ON %s FOR EACH ROW EXECUTE FUNCTION _multi_relation_on_delete(%s, %s, %s)",
		ident(triggerName(c, f)), ident(target.Name), literal(c.Name), literal(f.Name), literal(mode)),
		fmt.Sprintf("Keep %q in step when %q records are deleted.", f.Name, target.Name))
	p.step(fmt.Sprintf("CREATE INDEX %s ON %s USING gin (%s)", idx, t, col), fmt.Sprintf("Index relation %q.", f.Name))
}

// dropRelation removes what addRelation created for the old field.
func (p *planner) dropRelation(old *collections.Collection, of *collections.Field, s collections.Lookup, _ bool) {
	if _, ok := of.Options.(*collections.RelationOptions); !ok {
		return
	}
	p.step("DROP INDEX IF EXISTS "+ident(relationIndexName(old, of)), fmt.Sprintf("Drop the index of relation %q.", of.Name))
	if of.Storage() == collections.StorageRef {
		// The table may have been renamed by an earlier step: find it by the
		// constraint instead of by name.
		p.step(fmt.Sprintf("ALTER TABLE %s DROP CONSTRAINT IF EXISTS %s", ident(p.plan.New.Name), ident(fkName(of))),
			fmt.Sprintf("Drop the foreign key of %q.", of.Name))
		return
	}
	p.dropTrigger(old, of, s)
}

func (p *planner) dropTrigger(c *collections.Collection, f *collections.Field, s collections.Lookup) {
	o, ok := f.Options.(*collections.RelationOptions)
	if !ok || !o.Multi() {
		return
	}
	target, ok := relationTarget(f, s, c)
	if !ok {
		return
	}
	name := target.Name
	if target.ID == c.ID && p.plan.New != nil {
		name = p.plan.New.Name // a self-relation on a table renamed earlier in the plan
	}
	p.step(fmt.Sprintf("DROP TRIGGER IF EXISTS %s ON %s", ident(triggerName(c, f)), ident(name)),
		fmt.Sprintf("Drop the maintenance trigger of %q.", f.Name))
}

// literal quotes a string constant for DDL, where parameters cannot be used.
// It is only given names that passed collections.CheckName.
func literal(s string) string {
	out := []byte{'\''}
	for i := 0; i < len(s); i++ {
		if s[i] == '\'' {
			out = append(out, '\'')
		}
		out = append(out, s[i])
	}
	return string(append(out, '\''))
}
