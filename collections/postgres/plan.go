package postgres

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/lumbunghq/lumbung/collections"
)

// planner accumulates the steps of one schema change. Impact queries run
// against the data as it is now, so they use the old table and column names.
type planner struct {
	ctx  context.Context
	q    querier
	plan *collections.Plan
	err  error
}

func (p *planner) step(sql, desc string) *collections.Step {
	p.plan.Steps = append(p.plan.Steps, collections.Step{SQL: sql, Description: desc, AffectedRows: -1})
	return &p.plan.Steps[len(p.plan.Steps)-1]
}

// count runs a count query for impact reporting.
func (p *planner) count(sql string) int64 {
	if p.err != nil {
		return 0
	}
	var n int64
	if err := p.q.QueryRow(p.ctx, sql).Scan(&n); err != nil {
		p.err = fmt.Errorf("plan impact: %w", err)
	}
	return n
}

func (p *planner) block(format string, args ...any) {
	p.plan.Blocked = append(p.plan.Blocked, fmt.Sprintf(format, args...))
}

// nonEmpty is true for rows whose column holds a value other than the empty one.
func nonEmpty(s collections.Storage, col string) string {
	switch s {
	case collections.StorageText:
		return col + " <> ''"
	case collections.StorageNumber:
		return col + " <> 0"
	case collections.StorageBool:
		return col
	case collections.StorageTextArray:
		return "cardinality(" + col + ") > 0"
	}
	return col + " IS NOT NULL"
}

func (p *planner) create(c *collections.Collection, s collections.Lookup) {
	t := ident(c.Name)
	if c.Type == collections.TypeView {
		p.step("CREATE VIEW "+t+" AS SELECT * FROM ("+c.ViewQuery+"\n) AS v", fmt.Sprintf("Create view %q.", c.Name))
		return
	}
	cols := make([]string, len(c.Fields))
	for i, f := range c.Fields {
		cols[i] = ident(f.Name) + " " + columnType(f)
	}
	p.step("CREATE TABLE "+t+" (\n    "+strings.Join(cols, ",\n    ")+"\n)", fmt.Sprintf("Create table %q.", c.Name))
	p.step(fmt.Sprintf("CREATE TRIGGER capture_changes AFTER INSERT OR UPDATE OR DELETE ON %s FOR EACH ROW EXECUTE FUNCTION _capture_change(%s)", t, literal(c.ID)),
		fmt.Sprintf("Record every change of %q records for realtime.", c.Name))
	if c.Type == collections.TypeAuth {
		p.step(fmt.Sprintf("CREATE TRIGGER forget_subject AFTER DELETE ON %s FOR EACH ROW EXECUTE FUNCTION _forget_subject(%s)", t, literal(c.ID)),
			fmt.Sprintf("Remove the access rules of deleted %q records.", c.Name))
	}
	for _, f := range c.Fields {
		p.addRelation(c, f, s)
		p.addOrderIndex(c, f)
	}
	for _, raw := range c.Indexes {
		ix, _ := collections.ParseIndex(raw)
		p.step(indexDDL(c.Name, ix), fmt.Sprintf("Create index %q.", ix.Name))
	}
}

func (p *planner) drop(c *collections.Collection, s collections.Lookup) {
	if c.Type == collections.TypeView {
		p.step("DROP VIEW "+ident(c.Name), fmt.Sprintf("Drop view %q.", c.Name))
		return
	}
	for _, f := range c.Fields {
		p.dropTrigger(c, f, s)
	}
	st := p.step("DROP TABLE "+ident(c.Name), fmt.Sprintf("Drop table %q with all its records.", c.Name))
	st.AffectedRows = p.count("SELECT count(*) FROM " + ident(c.Name))
	st.Impact = fmt.Sprintf("%d record(s) will be deleted.", st.AffectedRows)
}

func (p *planner) truncate(c *collections.Collection) {
	// DELETE rather than TRUNCATE: it runs the foreign key actions and
	// triggers of referencing collections (cascade, set null).
	st := p.step("DELETE FROM "+ident(c.Name), fmt.Sprintf("Delete every record of %q.", c.Name))
	st.AffectedRows = p.count("SELECT count(*) FROM " + ident(c.Name))
	st.Impact = fmt.Sprintf("%d record(s) will be deleted.", st.AffectedRows)
}

func (p *planner) update(old, c *collections.Collection, s collections.Lookup, allowLoss bool) {
	if c.Type == collections.TypeView {
		if old.ViewQuery != c.ViewQuery || old.Name != c.Name {
			p.step("DROP VIEW "+ident(old.Name), fmt.Sprintf("Drop view %q.", old.Name))
			p.create(c, s)
		}
		return
	}
	oldT, t := ident(old.Name), ident(c.Name)
	if old.Name != c.Name {
		p.step("ALTER TABLE "+oldT+" RENAME TO "+t, fmt.Sprintf("Rename table %q to %q.", old.Name, c.Name))
	}

	oldIdx, newIdx := indexMap(old), indexMap(c)
	for _, ix := range indexList(old) {
		name := ix.Name
		if n, ok := newIdx[name]; !ok || !sameIndex(ix, n) {
			p.step("DROP INDEX "+ident(name), fmt.Sprintf("Drop index %q.", name))
		}
	}

	for _, of := range old.Fields {
		f, kept := c.FieldByID(of.ID)
		if !kept || relationSpec(old, of, s) != relationSpec(c, f, s) || of.Name != f.Name || old.Name != c.Name {
			p.dropRelation(old, of, s, kept && f.Storage() == of.Storage() && f.Name == of.Name)
		}
		if !kept {
			st := p.step("ALTER TABLE "+t+" DROP COLUMN "+ident(of.Name), fmt.Sprintf("Drop field %q.", of.Name))
			st.AffectedRows = p.count("SELECT count(*) FROM " + oldT + " WHERE " + nonEmpty(of.Storage(), ident(of.Name)))
			st.Impact = fmt.Sprintf("%d record(s) lose their %q value.", st.AffectedRows, of.Name)
		}
	}
	for _, f := range c.Fields {
		of, ok := old.FieldByID(f.ID)
		if !ok {
			continue
		}
		if of.Name != f.Name {
			p.step("ALTER TABLE "+t+" RENAME COLUMN "+ident(of.Name)+" TO "+ident(f.Name),
				fmt.Sprintf("Rename field %q to %q; values are kept.", of.Name, f.Name))
		}
		if of.Storage() != f.Storage() || columnDefault(of) != columnDefault(f) {
			p.changeType(oldT, t, of, f, allowLoss)
		}
	}
	for _, f := range c.Fields {
		if _, ok := old.FieldByID(f.ID); !ok {
			p.step("ALTER TABLE "+t+" ADD COLUMN "+ident(f.Name)+" "+columnType(f), fmt.Sprintf("Add field %q.", f.Name))
			p.addOrderIndex(c, f)
		}
	}
	for _, f := range c.Fields {
		of, ok := old.FieldByID(f.ID)
		if !ok || relationSpec(old, of, s) != relationSpec(c, f, s) || of.Name != f.Name || old.Name != c.Name {
			p.addRelation(c, f, s)
			if ok && f.Storage() == collections.StorageRef {
				p.checkReferences(oldT, t, of, f, s, allowLoss)
			}
		}
	}
	for _, ix := range indexList(c) {
		name := ix.Name
		if o, ok := oldIdx[name]; !ok || !sameIndex(o, ix) {
			st := p.step(indexDDL(c.Name, ix), fmt.Sprintf("Create index %q.", name))
			if ix.Unique {
				p.uniqueImpact(old, oldT, ix, st)
			}
		}
	}
}

// changeType converts a column to a new storage, counting the values that
// would not survive and refusing unless data loss is allowed.
func (p *planner) changeType(oldT, t string, of, f *collections.Field, allowLoss bool) {
	col := ident(f.Name)
	using, loss := convert(of.Storage(), f.Storage(), col)
	if def := columnDefault(f); def != "" && f.Storage() == collections.StorageJSON {
		// A json default (geoPoint) also fills the values converted to null.
		using = "COALESCE(" + using + ", " + def + ")"
	}
	if def := columnDefault(of); def != "" {
		p.step("ALTER TABLE "+t+" ALTER COLUMN "+col+" DROP DEFAULT", fmt.Sprintf("Drop the default of %q before converting it.", f.Name))
	}
	if strings.Contains(columnType(of), "NOT NULL") {
		p.step("ALTER TABLE "+t+" ALTER COLUMN "+col+" DROP NOT NULL", fmt.Sprintf("Allow empty %q values while converting.", f.Name))
	}
	st := p.step("ALTER TABLE "+t+" ALTER COLUMN "+col+" TYPE "+sqlType(f.Storage())+" USING "+using,
		fmt.Sprintf("Convert field %q from %s to %s.", f.Name, typeLabel(of), typeLabel(f)))
	if loss != "" {
		oldCol := ident(of.Name)
		st.AffectedRows = p.count("SELECT count(*) FROM " + oldT + " WHERE " + strings.ReplaceAll(loss, col, oldCol))
		if st.AffectedRows > 0 {
			st.Impact = fmt.Sprintf("%d record(s) have %q values that cannot be converted to %s.", st.AffectedRows, of.Name, typeLabel(f))
			if allowLoss {
				st.Impact += " They will be reset to the empty value."
			} else {
				p.block("%d record(s) have %q values that cannot be converted to %s; fix them or allow data loss.", st.AffectedRows, of.Name, typeLabel(f))
			}
		}
	}
	if def := columnDefault(f); def != "" {
		p.step("ALTER TABLE "+t+" ALTER COLUMN "+col+" SET DEFAULT "+def, fmt.Sprintf("Default %q to the empty value.", f.Name))
		p.step("ALTER TABLE "+t+" ALTER COLUMN "+col+" SET NOT NULL", fmt.Sprintf("Require a value in %q.", f.Name))
	}
}

// checkReferences counts values of a (new or retargeted) single relation
// that point nowhere; they would make the foreign key fail.
func (p *planner) checkReferences(oldT, t string, of, f *collections.Field, s collections.Lookup, allowLoss bool) {
	target, ok := relationTarget(f, s, nil)
	if !ok {
		return
	}
	old := asText(of.Storage(), ident(of.Name))
	n := p.count(fmt.Sprintf("SELECT count(*) FROM %s AS r WHERE %s <> '' AND NOT EXISTS (SELECT 1 FROM %s AS x WHERE x.id = %s)", oldT, old, ident(target.Name), old))
	if n == 0 {
		return
	}
	if !allowLoss {
		p.block("%d record(s) have %q values that are not ids of %q; fix them or allow data loss.", n, of.Name, target.Name)
		return
	}
	// The foreign key was just queued; clear dangling ids before it.
	fk := p.plan.Steps[len(p.plan.Steps)-1]
	col := ident(f.Name)
	st := collections.Step{
		SQL:          fmt.Sprintf("UPDATE %s AS r SET %s = NULL WHERE %s IS NOT NULL AND NOT EXISTS (SELECT 1 FROM %s AS x WHERE x.id = r.%s)", t, col, col, ident(target.Name), col),
		Description:  fmt.Sprintf("Clear %q values that are not ids of %q.", f.Name, target.Name),
		Impact:       fmt.Sprintf("%d record(s) lose their %q value.", n, f.Name),
		AffectedRows: n,
	}
	for i := range p.plan.Steps {
		if p.plan.Steps[i].SQL == fk.SQL {
			p.plan.Steps = slices.Insert(p.plan.Steps, i, st)
			break
		}
	}
}

func (p *planner) uniqueImpact(old *collections.Collection, oldT string, ix collections.Index, st *collections.Step) {
	cols := make([]string, 0, len(ix.Columns))
	for _, c := range ix.Columns {
		f, ok := old.Field(c.Name)
		if !ok {
			return // a new column: empty everywhere, checked when applied
		}
		col := ident(f.Name)
		if c.NoCase {
			col = "lower(" + col + ")"
		}
		cols = append(cols, col)
	}
	where := indexWhere(ix)
	for _, name := range ix.NotEmpty {
		if _, ok := old.Field(name); !ok {
			return // a new column: empty everywhere, so no row is indexed yet
		}
	}
	n := p.count("SELECT count(*) FROM (SELECT 1 FROM " + oldT + where + " GROUP BY " + strings.Join(cols, ", ") + " HAVING count(*) > 1) AS d")
	st.AffectedRows = n
	if n > 0 {
		st.Impact = fmt.Sprintf("%d value(s) occur more than once.", n)
		p.block("Index %q cannot be unique: %d value(s) occur more than once.", ix.Name, n)
	}
}

// indexList returns the parsed indexes of c in definition order, so plans
// come out the same every time.
func indexList(c *collections.Collection) []collections.Index {
	var out []collections.Index
	for _, raw := range c.Indexes {
		if ix, err := collections.ParseIndex(raw); err == nil {
			out = append(out, ix)
		}
	}
	return out
}

func indexMap(c *collections.Collection) map[string]collections.Index {
	m := map[string]collections.Index{}
	for _, ix := range indexList(c) {
		m[ix.Name] = ix
	}
	return m
}

func sameIndex(a, b collections.Index) bool {
	return a.Unique == b.Unique && slices.Equal(a.Columns, b.Columns) && slices.Equal(a.NotEmpty, b.NotEmpty)
}

// typeLabel names a field's type for plan descriptions, telling single and
// multiple selects and relations apart.
func typeLabel(f *collections.Field) string {
	if f.Storage() == collections.StorageTextArray {
		return "multiple " + f.Type
	}
	if f.Type == "select" || f.Type == "relation" {
		return "single " + f.Type
	}
	return f.Type
}

// addOrderIndex indexes the "created" autodate with the id, the default
// order of record lists, so a page is read from the index instead of
// sorting the table.
func (p *planner) addOrderIndex(c *collections.Collection, f *collections.Field) {
	if f.Name != "created" || f.Type != "autodate" {
		return
	}
	name := "ord_" + c.ID + "_" + f.ID
	if len(name) > 63 {
		name = name[:63]
	}
	p.step(fmt.Sprintf("CREATE INDEX %s ON %s (%s, id)", ident(name), ident(c.Name), ident(f.Name)),
		fmt.Sprintf("Index %q for the default order of records.", f.Name))
}
