package postgres

import (
	"crypto/md5" //nolint:gosec // a name, not a secret
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/lumbunghq/lumbung/collections"
)

// columnType is the SQL type and constraints of a field's column: the
// storage's type, NOT NULL with its empty value as default where it has one.
func columnType(f *collections.Field) string {
	if f.Name == "id" {
		return "text PRIMARY KEY"
	}
	if def := columnDefault(f); def != "" {
		return sqlType(f.Storage()) + " NOT NULL DEFAULT " + def
	}
	return sqlType(f.Storage())
}

// sqlType is the bare SQL type of a storage.
func sqlType(s collections.Storage) string {
	switch s {
	case collections.StorageNumber:
		return "double precision"
	case collections.StorageBool:
		return "boolean"
	case collections.StorageTime:
		return "timestamptz"
	case collections.StorageJSON:
		return "jsonb"
	case collections.StorageTextArray:
		return "text[]"
	}
	return "text"
}

// columnDefault is the DEFAULT clause of a field's column, or "": the empty
// value of its storage, or of its type where that differs (a geoPoint is
// {"lon":0,"lat":0}, so that rows from before the field read as that).
func columnDefault(f *collections.Field) string {
	if f.Type == "geoPoint" {
		return `'{"lon":0,"lat":0}'::jsonb`
	}
	switch f.Storage() {
	case collections.StorageText:
		return "''"
	case collections.StorageNumber:
		return "0"
	case collections.StorageBool:
		return "false"
	case collections.StorageTextArray:
		return "'{}'"
	}
	return ""
}

// asText renders a column of storage s as text (” for empty), the common
// ground of every type change.
func asText(s collections.Storage, col string) string {
	switch s {
	case collections.StorageNumber, collections.StorageBool:
		return col + "::text"
	case collections.StorageTime:
		return fmt.Sprintf(`COALESCE(to_char(%s AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.MS"Z"'), '')`, col)
	case collections.StorageJSON:
		return fmt.Sprintf(`COALESCE(CASE jsonb_typeof(%[1]s) WHEN 'string' THEN %[1]s #>> '{}' ELSE %[1]s::text END, '')`, col)
	case collections.StorageTextArray:
		return fmt.Sprintf("COALESCE(%s[1], '')", col)
	case collections.StorageRef:
		return fmt.Sprintf("COALESCE(%s, '')", col)
	}
	return col
}

// convert returns the USING expression that turns column col of storage
// from into storage to, and the condition (over the old column) that is true
// for rows whose value would be lost. An empty loss condition means none.
func convert(from, to collections.Storage, col string) (using, loss string) {
	if from == to || (isTextual(from) && isTextual(to)) {
		if to == collections.StorageRef {
			return fmt.Sprintf("NULLIF(%s, '')", col), ""
		}
		if from == collections.StorageRef {
			return fmt.Sprintf("COALESCE(%s, '')", col), ""
		}
		return col, ""
	}
	switch {
	case from == collections.StorageBool && to == collections.StorageNumber:
		return fmt.Sprintf("CASE WHEN %s THEN 1 ELSE 0 END", col), ""
	case from == collections.StorageTextArray:
		// Keeps the first item: more than one item loses the rest.
		loss = fmt.Sprintf("cardinality(%s) > 1", col)
		if to == collections.StorageRef {
			return col + "[1]", loss
		}
	case to == collections.StorageTextArray:
		if from == collections.StorageRef {
			return fmt.Sprintf("CASE WHEN %[1]s IS NULL THEN '{}'::text[] ELSE ARRAY[%[1]s] END", col), ""
		}
		t := asText(from, col)
		return fmt.Sprintf("CASE WHEN %[1]s = '' THEN '{}'::text[] ELSE ARRAY[%[1]s] END", t), ""
	}
	t := asText(from, col)
	var tryLoss string
	switch to {
	case collections.StorageNumber:
		using = fmt.Sprintf("COALESCE(_try_float8(NULLIF(%s, '')), 0)", t)
		tryLoss = fmt.Sprintf("(%[1]s <> '' AND _try_float8(%[1]s) IS NULL)", t)
	case collections.StorageBool:
		using = fmt.Sprintf("COALESCE(_try_bool(NULLIF(%s, '')), false)", t)
		tryLoss = fmt.Sprintf("(%[1]s <> '' AND _try_bool(%[1]s) IS NULL)", t)
	case collections.StorageTime:
		using = fmt.Sprintf("_try_timestamptz(NULLIF(%s, ''))", t)
		tryLoss = fmt.Sprintf("(%[1]s <> '' AND _try_timestamptz(%[1]s) IS NULL)", t)
	case collections.StorageJSON:
		using = fmt.Sprintf("CASE WHEN %[1]s = '' THEN NULL ELSE COALESCE(_try_jsonb(%[1]s), to_jsonb(%[1]s)) END", t)
	case collections.StorageRef:
		using = fmt.Sprintf("NULLIF(%s, '')", t)
	default:
		using = t
	}
	switch {
	case loss == "":
		loss = tryLoss
	case tryLoss != "":
		loss = "(" + loss + " OR " + tryLoss + ")"
	}
	return using, loss
}

func isTextual(s collections.Storage) bool {
	return s == collections.StorageText || s == collections.StorageRef
}

// indexDDL writes the CREATE INDEX statement of ix on table.
func indexDDL(table string, ix collections.Index) string {
	var b strings.Builder
	b.WriteString("CREATE ")
	if ix.Unique {
		b.WriteString("UNIQUE ")
	}
	b.WriteString("INDEX " + ident(ix.Name) + " ON " + ident(table) + " (")
	for i, c := range ix.Columns {
		if i > 0 {
			b.WriteString(", ")
		}
		if c.NoCase {
			b.WriteString("lower(" + ident(c.Name) + ")")
		} else {
			b.WriteString(ident(c.Name))
		}
		if c.Desc {
			b.WriteString(" DESC")
		}
	}
	b.WriteString(")")
	b.WriteString(indexWhere(ix))
	return b.String()
}

// indexWhere is the WHERE clause of a partial index, or "".
func indexWhere(ix collections.Index) string {
	if len(ix.NotEmpty) == 0 {
		return ""
	}
	conds := make([]string, len(ix.NotEmpty))
	for i, f := range ix.NotEmpty {
		conds[i] = ident(f) + " <> ''"
	}
	return " WHERE " + strings.Join(conds, " AND ")
}

// relationIndexName names the index kept on every relation column.
func relationIndexName(c *collections.Collection, f *collections.Field) string {
	n := "rel_" + c.ID + "_" + f.ID
	if len(n) > 63 {
		n = n[:63]
	}
	return n
}

// triggerName names the trigger that maintains the multi-relation field f
// of c on its target table. Field ids alone repeat across collections
// (PocketBase derives them from field names); a name too long for
// PostgreSQL keeps its start and a hash of the whole (the migration that
// renamed the older triggers computes the same).
func triggerName(c *collections.Collection, f *collections.Field) string {
	n := "mrel_" + c.ID + "_" + f.ID
	if len(n) > 63 {
		sum := md5.Sum([]byte(n))
		n = n[:30] + "_" + hex.EncodeToString(sum[:])
	}
	return n
}
