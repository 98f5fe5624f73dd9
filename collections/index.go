package collections

import (
	"strings"
	"unicode"
)

// Index is a collection index, written in PocketBase's form:
//
//	CREATE [UNIQUE] INDEX `name` ON `table` (`col` [COLLATE NOCASE] [ASC|DESC], ...)
//	    [WHERE `field` != '' [AND `field` != '' ...]]
//
// Only plain column lists are accepted, and of partial indexes only the
// form PocketBase gives the email of auth collections: rows whose fields
// are not empty. Lumbung generates the real DDL.
type Index struct {
	Name    string
	Unique  bool
	Columns []IndexColumn
	// NotEmpty limits the index to rows where each of these text fields
	// is not empty ('' and NULL are left out).
	NotEmpty []string
}

// IndexColumn is one column of an index. NoCase compares case-insensitively.
type IndexColumn struct {
	Name   string
	Desc   bool
	NoCase bool
}

// String writes the index in PocketBase's form for table.
func (ix Index) String(table string) string {
	var b strings.Builder
	b.WriteString("CREATE ")
	if ix.Unique {
		b.WriteString("UNIQUE ")
	}
	b.WriteString("INDEX `" + ix.Name + "` ON `" + table + "` (")
	for i, c := range ix.Columns {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("`" + c.Name + "`")
		if c.NoCase {
			b.WriteString(" COLLATE NOCASE")
		}
		if c.Desc {
			b.WriteString(" DESC")
		}
	}
	b.WriteString(")")
	for i, f := range ix.NotEmpty {
		if i == 0 {
			b.WriteString(" WHERE ")
		} else {
			b.WriteString(" AND ")
		}
		b.WriteString("`" + f + "` != ''")
	}
	return b.String()
}

// ParseIndex reads an index definition. Errors are EINVALID.
func ParseIndex(s string) (Index, error) {
	toks := indexTokens(s)
	var ix Index
	i := 0
	next := func() string {
		if i < len(toks) {
			i++
			return toks[i-1]
		}
		return ""
	}
	peek := func() string {
		if i < len(toks) {
			return toks[i]
		}
		return ""
	}
	bad := func(why string) (Index, error) {
		return Index{}, Errorf(EINVALID, "Invalid index %q: %s.", s, why)
	}
	if !strings.EqualFold(next(), "create") {
		return bad("expected CREATE")
	}
	if strings.EqualFold(peek(), "unique") {
		next()
		ix.Unique = true
	}
	if !strings.EqualFold(next(), "index") {
		return bad("expected INDEX")
	}
	if strings.EqualFold(peek(), "if") {
		next()
		if !strings.EqualFold(next(), "not") || !strings.EqualFold(next(), "exists") {
			return bad("expected IF NOT EXISTS")
		}
	}
	ix.Name = unquote(next())
	if CheckName(ix.Name, true) != "" {
		return bad("the index needs a valid name")
	}
	if !strings.EqualFold(next(), "on") {
		return bad("expected ON")
	}
	if next() == "" { // the table: always the collection's own
		return bad("expected the table name")
	}
	if next() != "(" {
		return bad("expected a column list")
	}
	for {
		name := unquote(next())
		if name == "" || name == ")" || name == "," {
			return bad("expected a column name")
		}
		col := IndexColumn{Name: name}
		for {
			t := peek()
			switch {
			case strings.EqualFold(t, "collate"):
				next()
				if !strings.EqualFold(unquote(next()), "nocase") {
					return bad("only COLLATE NOCASE is supported")
				}
				col.NoCase = true
				continue
			case strings.EqualFold(t, "asc"):
				next()
				continue
			case strings.EqualFold(t, "desc"):
				next()
				col.Desc = true
				continue
			}
			break
		}
		ix.Columns = append(ix.Columns, col)
		switch next() {
		case ",":
			continue
		case ")":
		default:
			return bad("expected , or )")
		}
		break
	}
	if rest := next(); rest != "" {
		if !strings.EqualFold(rest, "where") {
			return bad("unexpected " + rest)
		}
		for {
			name, op, val := next(), next(), next()
			if unquote(name) == "" || (op != "!=" && op != "<>") || val != "''" {
				return bad("the only WHERE a partial index may have is `field` != '' (joined with AND)")
			}
			ix.NotEmpty = append(ix.NotEmpty, unquote(name))
			if t := next(); t == "" {
				break
			} else if !strings.EqualFold(t, "and") {
				return bad("the only WHERE a partial index may have is `field` != '' (joined with AND)")
			}
		}
	}
	return ix, nil
}

// indexTokens splits an index definition into words, quoted names and
// punctuation. A quoted name keeps its quotes so that unquote knows it was one.
func indexTokens(s string) []string {
	var out []string
	rs := []rune(s)
	for i := 0; i < len(rs); {
		r := rs[i]
		switch {
		case unicode.IsSpace(r) || r == ';':
			i++
		case r == '(' || r == ')' || r == ',':
			out = append(out, string(r))
			i++
		case r == '`' || r == '"' || r == '[' || r == '\'':
			end := r
			if r == '[' {
				end = ']'
			}
			j := i + 1
			for j < len(rs) && rs[j] != end {
				j++
			}
			if j >= len(rs) {
				out = append(out, string(rs[i:]))
				return out
			}
			out = append(out, string(rs[i:j+1]))
			i = j + 1
		default:
			j := i
			for j < len(rs) && !unicode.IsSpace(rs[j]) && !strings.ContainsRune("(),`\"[';", rs[j]) {
				j++
			}
			out = append(out, string(rs[i:j]))
			i = j
		}
	}
	return out
}

func unquote(t string) string {
	if len(t) >= 2 && strings.ContainsRune("`\"['", rune(t[0])) {
		return t[1 : len(t)-1]
	}
	return t
}
