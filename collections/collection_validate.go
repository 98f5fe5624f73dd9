package collections

import (
	"fmt"
	"strings"
)

// maxIDLength bounds record ids (PocketBase allows 5000 characters; ids
// appear in relation values, URLs and access rules).
const maxIDLength = 100

// authFields are the system fields every auth collection has.
var authFields = []struct{ name, typ string }{
	{"password", "password"},
	{"tokenKey", "text"},
	{"email", "email"},
	{"emailVisibility", "bool"},
	{"verified", "bool"},
}

// Normalize validates c as the new version of old (nil for a new collection)
// against the other collections in s, filling in ids, system fields and
// defaults. It returns an EINVALID error listing every problem.
func Normalize(s Lookup, old, c *Collection) error {
	errs := map[string]FieldError{}
	fail := func(key, code, msg string) { errs[key] = FieldError{Code: code, Message: msg} }

	if old != nil {
		c.ID = old.ID
		c.System = old.System
		if c.Type != old.Type {
			fail("type", "validation_type_change", "The collection type cannot be changed.")
		}
		if old.System && c.Name != old.Name {
			fail("name", "validation_collection_system_name_change", "System collection name cannot be changed.")
		}
	} else if c.ID == "" {
		c.ID = NewCollectionID()
	} else if msg := CheckCollectionID(c.ID); msg != "" {
		fail("id", "validation_invalid_id", msg)
	}
	if c.Type == "" {
		c.Type = TypeBase
	}
	if c.Indexes == nil {
		c.Indexes = []string{}
	}
	switch c.Type {
	case TypeBase, TypeAuth, TypeView:
	default:
		fail("type", "validation_invalid_type", fmt.Sprintf("Unknown collection type %q; expected base, auth or view.", c.Type))
	}
	if msg := CheckName(c.Name, c.System); msg != "" {
		fail("name", "validation_invalid_name", msg)
	} else if schemaNames[strings.ToLower(c.Name)] {
		fail("name", "validation_invalid_name", "\""+c.Name+"\" is a reserved word.")
	} else if strings.HasPrefix(strings.ToLower(c.Name), "pg_") && !c.System {
		// PostgreSQL looks in pg_catalog first: such a name could mean
		// one of its relations instead of the collection's table.
		fail("name", "validation_invalid_name", "Names starting with \"pg_\" are reserved by PostgreSQL.")
	} else if other, ok := s.Collection(c.Name); ok && other.ID != c.ID {
		fail("name", "validation_collection_name_exists", "Collection name must be unique (case insensitive).")
	}
	if c.Type == TypeView {
		if strings.TrimSpace(c.ViewQuery) == "" {
			fail("viewQuery", "validation_required", "View collections need a SELECT query.")
		}
		if len(c.Indexes) > 0 {
			fail("indexes", "validation_view_indexes", "View collections cannot have indexes.")
		}
		// Fields of a view come from its query; the store fills them in.
	} else {
		c.ViewQuery = ""
		normalizeFields(s, old, c, fail)
		if c.Type == TypeAuth {
			ensureAuthIndexes(c)
		}
		normalizeIndexes(c, fail)
	}
	normalizeAuth(c, fail)
	if old != nil && old.System {
		checkSystemRules(old, c, fail)
	}
	if len(errs) > 0 {
		return Invalid("Failed to save the collection.", errs)
	}
	return nil
}

func normalizeFields(s Lookup, old, c *Collection, fail func(key, code, msg string)) {
	// Match submitted fields to existing ones by id, else by name, so that
	// clients that omit ids (imports, hand-written JSON) keep their data.
	if old != nil {
		for _, f := range c.Fields {
			if f.ID != "" {
				if _, ok := old.FieldByID(f.ID); ok {
					continue
				}
			}
			if of, ok := old.Field(f.Name); ok && c.fieldIDFree(of.ID) {
				f.ID = of.ID
			}
		}
	}
	_, hadID := c.Field("id")
	ensureField(c, "id", "text", func(f *Field) {
		// PocketBase's id field; its length, format and how ids are
		// generated may be changed, as in PocketBase (no autogenerate
		// pattern: clients give the ids).
		o := f.Options.(*TextOptions)
		o.PrimaryKey = true
		if o.Min == 0 && o.Max == 0 {
			o.Min, o.Max = 15, 15
		}
		if o.Pattern == "" {
			o.Pattern = defaultIDFormat
		}
		if !hadID {
			o.AutogeneratePattern = defaultIDPattern
		}
		f.Required, f.Hidden = true, false
	})
	if f, _ := c.Field("id"); f != nil {
		if o := f.Options.(*TextOptions); o.Max == 0 || o.Max > maxIDLength {
			fail("fields.0.max", "validation_max_id_length", fmt.Sprintf("Ids are at most %d characters here: max must be between 1 and %d.", maxIDLength, maxIDLength))
		}
	}
	if c.Type == TypeAuth {
		_, hadEmail := c.Field("email")
		for _, af := range authFields {
			ensureField(c, af.name, af.typ, func(f *Field) {
				switch af.name {
				case "tokenKey":
					o := f.Options.(*TextOptions)
					o.Min, o.Max, o.AutogeneratePattern = 30, 60, "[a-zA-Z0-9]{50}"
					f.Hidden, f.Required = true, true
				case "password":
					f.Hidden, f.Required = true, true
				case "email":
					// Required unless the collection says otherwise;
					// superusers always sign in by email.
					f.Required = f.Required || !hadEmail || c.Name == SuperusersName
				}
			})
		}
	}
	if old == nil && c.Type != TypeView {
		for _, name := range []string{"created", "updated"} {
			if _, ok := c.Field(name); ok {
				continue
			}
			f, _ := NewField(name, "autodate")
			f.ID = NewFieldID("autodate")
			o := f.Options.(*AutodateOptions)
			o.OnCreate, o.OnUpdate = true, name == "updated"
			c.Fields = append(c.Fields, f)
		}
	}
	seen := map[string]int{}
	ids := map[string]bool{}
	for i, f := range c.Fields {
		// Positions count the system fields added above, as PocketBase's do.
		key := fmt.Sprintf("fields.%d", i)
		if f.ID == "" || ids[f.ID] {
			f.ID = NewFieldID(f.Type)
		}
		ids[f.ID] = true
		if old != nil {
			if of, ok := old.FieldByID(f.ID); ok {
				if of.Type != f.Type && of.System {
					fail(key+".type", "validation_system_field_change", "System fields cannot change type.")
				}
				if of.Name != f.Name && of.System {
					fail(key+".name", "validation_system_field_change", "System fields cannot be renamed.")
				}
				f.System = of.System || f.System
			} else if f.System && !isAuthSystemField(c, f.Name) && f.Name != "id" {
				f.System = false
			}
		}
		if msg := CheckName(f.Name, f.System || c.System); msg != "" && f.Name != "id" {
			fail(key+".name", "validation_invalid_name", msg)
		} else if systemColumns[strings.ToLower(f.Name)] {
			fail(key+".name", "validation_invalid_name", fmt.Sprintf("%q is the name of a column every PostgreSQL table has.", f.Name))
		}
		lower := strings.ToLower(f.Name)
		if j, dup := seen[lower]; dup {
			fail(key+".name", "validation_duplicated_field_name", fmt.Sprintf("Duplicated field name %q (also fields.%d).", f.Name, j))
		}
		seen[lower] = i
		if ferr := f.Options.Check(s, c, f); ferr != nil {
			at := key
			if ferr.Option != "" {
				at += "." + ferr.Option
			}
			fail(at, ferr.Code, ferr.Message)
		}
	}
	if old != nil {
		for _, of := range old.Fields {
			if _, ok := c.FieldByID(of.ID); !ok && of.System {
				fail("fields", "validation_system_field_removed", fmt.Sprintf("System field %q cannot be removed.", of.Name))
			}
		}
	}
}

// checkSystemRules refuses to change the access rules of a system
// collection (the API rules, and an auth collection's authRule and
// manageRule), as PocketBase does: they keep superusers and the other
// system records to those the system lets in.
func checkSystemRules(old, c *Collection, fail func(key, code, msg string)) {
	const code, msg = "validation_collection_system_rule_change", "System collection API rule cannot be changed."
	was := old.Rules()
	for action, rule := range c.Rules() {
		if !sameRule(rule, was[action]) {
			fail(action+"Rule", code, msg)
		}
	}
	if old.Auth != nil && c.Auth != nil {
		if !sameRule(c.Auth.AuthRule, old.Auth.AuthRule) {
			fail("authRule", code, msg)
		}
		if !sameRule(c.Auth.ManageRule, old.Auth.ManageRule) {
			fail("manageRule", code, msg)
		}
	}
}

// sameRule reports whether two rules are both null or the same rule: the
// same text up to spacing and the quotes around string literals
// (PocketBase quotes the strings of _externalAuths' rules with ', Lumbung
// with ").
func sameRule(a, b *string) bool {
	return (a == nil) == (b == nil) && (a == nil || canonicalRule(*a) == canonicalRule(*b))
}

// canonicalRule rewrites a rule with single spaces and every string
// literal in single quotes.
func canonicalRule(rule string) string {
	var b strings.Builder
	space := false
	for i := 0; i < len(rule); i++ {
		ch := rule[i]
		switch {
		case ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r':
			space = true
			continue
		case ch == '\'' || ch == '"':
			var lit strings.Builder
			j := i + 1
			for ; j < len(rule) && rule[j] != ch; j++ {
				if rule[j] == '\\' && j+1 < len(rule) {
					j++
				}
				lit.WriteByte(rule[j])
			}
			if space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = false
			b.WriteString("'" + strings.ReplaceAll(lit.String(), "'", "\\'") + "'")
			i = j
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteByte(ch)
	}
	return b.String()
}

func isAuthSystemField(c *Collection, name string) bool {
	if c.Type != TypeAuth {
		return false
	}
	for _, af := range authFields {
		if af.name == name {
			return true
		}
	}
	return false
}

func (c *Collection) fieldIDFree(id string) bool {
	_, taken := c.FieldByID(id)
	return !taken
}

// ensureField makes sure c has a system field name of type typ, adding it at
// the front when missing, and lets fix adjust its options.
func ensureField(c *Collection, name, typ string, fix func(*Field)) {
	f, ok := c.Field(name)
	if !ok || f.Type != typ {
		if ok { // wrong type: replace it, keeping the id
			nf, _ := NewField(name, typ)
			nf.ID = f.ID
			*f = *nf
		} else {
			f, _ = NewField(name, typ)
			f.ID = name + "_" + randomString(6)
			if name == "id" {
				f.ID = "text3208210256" // PocketBase's id for the id field
			}
			c.Fields = append([]*Field{f}, c.Fields...)
			if name != "id" && len(c.Fields) > 1 && c.Fields[1].Name == "id" {
				c.Fields[0], c.Fields[1] = c.Fields[1], c.Fields[0]
			}
		}
	}
	f.System = true
	fix(f)
}

func normalizeIndexes(c *Collection, fail func(key, code, msg string)) {
	names := map[string]bool{}
	for i, raw := range c.Indexes {
		key := fmt.Sprintf("indexes.%d", i)
		ix, err := ParseIndex(raw)
		if err != nil {
			fail(key, "validation_invalid_index", ErrorMessage(err))
			continue
		}
		if names[strings.ToLower(ix.Name)] {
			fail(key, "validation_duplicated_index", fmt.Sprintf("Duplicated index name %q.", ix.Name))
		}
		names[strings.ToLower(ix.Name)] = true
		for _, col := range ix.Columns {
			f, ok := c.Field(col.Name)
			if !ok {
				fail(key, "validation_invalid_index_column", fmt.Sprintf("Index %q names unknown field %q.", ix.Name, col.Name))
				continue
			}
			if col.NoCase && f.Storage() != StorageText {
				fail(key, "validation_invalid_index_column", fmt.Sprintf("COLLATE NOCASE needs a text field, %q is %s.", col.Name, f.Type))
			}
		}
		for _, name := range ix.NotEmpty {
			f, ok := c.Field(name)
			if !ok {
				fail(key, "validation_invalid_index_column", fmt.Sprintf("Index %q names unknown field %q.", ix.Name, name))
				continue
			}
			if st := f.Storage(); st != StorageText && st != StorageRef {
				fail(key, "validation_invalid_index_column", fmt.Sprintf("WHERE %s != '' needs a text field, %q is %s.", name, name, f.Type))
			}
		}
		c.Indexes[i] = ix.String(c.Name)
	}
}

// systemColumns are the columns PostgreSQL gives every table; a field
// cannot take their names.
var systemColumns = map[string]bool{"tableoid": true, "xmin": true, "cmin": true, "xmax": true, "cmax": true, "ctid": true, "oid": true}
