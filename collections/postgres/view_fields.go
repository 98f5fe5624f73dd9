package postgres

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/lumbunghq/lumbung/collections"
)

// columnSource is the table (or view) column a view column copies.
type columnSource struct {
	Table, Column string
}

// columnSourcesSQL names the columns of the collections' schema given as
// (relation oid, attribute number) pairs.
const columnSourcesSQL = `
SELECT c.oid, a.attnum, c.relname, a.attname
FROM unnest($1::oid[], $2::int2[]) AS s(rel, att)
JOIN pg_class c ON c.oid = s.rel AND c.relnamespace = current_schema()::regnamespace
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = s.att`

// columnSources finds, for each result column of a view query that is a
// plain reference to a column of a table or view (PostgreSQL reports its
// origin, through subqueries too), that column, by result position.
func columnSources(ctx context.Context, conn *pgx.Conn, fds []pgconn.FieldDescription) (map[int]columnSource, error) {
	var rels []uint32
	var atts []int16
	for _, fd := range fds {
		if fd.TableOID != 0 && fd.TableAttributeNumber > 0 {
			rels = append(rels, fd.TableOID)
			atts = append(atts, int16(fd.TableAttributeNumber))
		}
	}
	out := map[int]columnSource{}
	if len(rels) == 0 {
		return out, nil
	}
	rows, err := conn.Query(ctx, columnSourcesSQL, rels, atts)
	if err != nil {
		return nil, fmt.Errorf("view column sources: %w", err)
	}
	type key struct {
		rel uint32
		att int16
	}
	names := map[key]columnSource{}
	for rows.Next() {
		var k key
		var src columnSource
		if err := rows.Scan(&k.rel, &k.att, &src.Table, &src.Column); err != nil {
			rows.Close()
			return nil, fmt.Errorf("view column sources: %w", err)
		}
		names[k] = src
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("view column sources: %w", err)
	}
	for i, fd := range fds {
		if src, ok := names[key{fd.TableOID, int16(fd.TableAttributeNumber)}]; ok {
			out[i] = src
		}
	}
	return out, nil
}

// viewField is the field of a view's column name: as in PocketBase, a copy
// of the collection field the column copies (a relation stays a relation
// and can be expanded, a select keeps its values), a single relation to
// the collection whose id it copies, and otherwise a field of the
// column's type. The id column is always text.
func viewField(schema collections.Lookup, name string, typeOID uint32, src columnSource) *collections.Field {
	if name != "id" && src.Table != "" {
		if c, ok := schema.Collection(src.Table); ok && c.Name == src.Table {
			if f, ok := c.Field(src.Column); ok {
				if f.Name == "id" {
					if c.Type != collections.TypeView {
						rel, _ := collections.NewField(name, "relation")
						o := rel.Options.(*collections.RelationOptions)
						o.CollectionID, o.MaxSelect = c.ID, 1
						return rel
					}
				} else if cp, err := copyField(f); err == nil {
					cp.Name, cp.System, cp.Required = name, false, false
					return cp
				}
			}
		}
	}
	typ := viewFieldType(typeOID)
	if name == "id" {
		typ = "text"
	}
	f, _ := collections.NewField(name, typ)
	return f
}

// copyField returns a deep copy of f, options included.
func copyField(f *collections.Field) (*collections.Field, error) {
	b, err := json.Marshal(f)
	if err != nil {
		return nil, err
	}
	cp := &collections.Field{}
	if err := json.Unmarshal(b, cp); err != nil {
		return nil, err
	}
	return cp, nil
}
