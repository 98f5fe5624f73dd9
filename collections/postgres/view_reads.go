package postgres

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/lumbunghq/lumbung/collections"
)

// viewRead is one relation, one column of it, or one function that a view
// reads or calls, as PostgreSQL records it for the view's rewrite rule.
type viewRead struct {
	// Local is true for relations in the schema that holds the collections
	// and for functions of pg_catalog.
	Local bool
	Table string
	// Column is a column the view names anywhere in its query (select
	// list, WHERE, joins, subqueries), "*" for a whole-row reference such
	// as to_jsonb(t), or "" for the relation as a whole.
	Column string
	// Function names a function the view calls (Table is then "").
	Function string
}

// viewReadsSQL lists what the view $1 (a regclass name) reads. Column and
// relation references come from pg_depend, which records every column the
// query names, wherever it names it. A whole-row reference depends on the
// relation only, so it is found in the stored rule instead: a Var with
// attribute number 0 whose type is the relation's row type. Built-in
// functions have no pg_depend rows either: their calls are found in the
// rule too.
const viewReadsSQL = `
WITH rule AS (
    SELECT r.oid, r.ev_class, r.ev_action::text AS action FROM pg_rewrite r WHERE r.ev_class = $1::text::regclass
)
SELECT n.nspname = current_schema(), c.relname, COALESCE(a.attname, ''), ''
FROM rule
JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = rule.oid AND d.refclassid = 'pg_class'::regclass
JOIN pg_class c ON c.oid = d.refobjid AND c.oid <> rule.ev_class
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = d.refobjsubid AND d.refobjsubid > 0
UNION
SELECT n.nspname = current_schema(), c.relname, '*', ''
FROM rule
CROSS JOIN LATERAL regexp_matches(rule.action, ':varattno 0 :vartype (\d+) ', 'g') AS m
JOIN pg_class c ON c.reltype = m[1]::oid AND c.oid <> rule.ev_class
JOIN pg_namespace n ON n.oid = c.relnamespace
UNION
SELECT p.pronamespace = 'pg_catalog'::regnamespace, '', '', p.proname
FROM rule
CROSS JOIN LATERAL regexp_matches(rule.action, ':(?:funcid|aggfnoid|winfnoid|opfuncid) (\d+) ', 'g') AS m
JOIN pg_proc p ON p.oid = m[1]::oid`

// dynamicSQL are the built-in functions that run SQL given as text, or
// read whole tables or schemas by name: what they read is not part of the
// view's query, so PostgreSQL records no dependency for it.
var dynamicSQL = map[string]bool{
	"query_to_xml": true, "query_to_xmlschema": true, "query_to_xml_and_xmlschema": true,
	"cursor_to_xml": true, "cursor_to_xmlschema": true,
	"table_to_xml": true, "table_to_xmlschema": true, "table_to_xml_and_xmlschema": true,
	"schema_to_xml": true, "schema_to_xmlschema": true, "schema_to_xml_and_xmlschema": true,
	"database_to_xml": true, "database_to_xmlschema": true, "database_to_xml_and_xmlschema": true,
	"ts_stat": true, "ts_rewrite": true,
}

// dependentViewsSQL lists the views that read the collection table $1 in
// any way (a column, whole rows, or the table itself).
const dependentViewsSQL = `
SELECT DISTINCT v.relname
FROM pg_class t
JOIN pg_depend d ON d.refclassid = 'pg_class'::regclass AND d.refobjid = t.oid AND d.classid = 'pg_rewrite'::regclass
JOIN pg_rewrite r ON r.oid = d.objid
JOIN pg_class v ON v.oid = r.ev_class AND v.oid <> t.oid AND v.relkind = 'v'
WHERE t.relname = $1 AND t.relnamespace = current_schema()::regnamespace
ORDER BY 1`

// probeView is the temporary view a view query is created as to learn
// what it reads.
const probeView = "lumbung_view_probe"

// probeViewReads creates query as a temporary view and returns what it
// reads, then undoes the view: in a transaction of its own, or under a
// savepoint when conn is inside one (a schema transaction). The statement
// goes through the extended protocol, which refuses more than one.
func probeViewReads(ctx context.Context, conn *pgx.Conn, query string) (reads []viewRead, err error) {
	undo := func() error { _, err := conn.Exec(context.WithoutCancel(ctx), "ROLLBACK"); return err }
	if conn.PgConn().TxStatus() == 'I' {
		if _, err := conn.Exec(ctx, "BEGIN"); err != nil {
			return nil, err
		}
	} else {
		if _, err := conn.Exec(ctx, "SAVEPOINT lumbung_view_probe"); err != nil {
			return nil, err
		}
		undo = func() error {
			if _, err := conn.Exec(context.WithoutCancel(ctx), "ROLLBACK TO SAVEPOINT lumbung_view_probe"); err != nil {
				return err
			}
			_, err := conn.Exec(context.WithoutCancel(ctx), "RELEASE SAVEPOINT lumbung_view_probe")
			return err
		}
	}
	defer func() {
		if uerr := undo(); uerr != nil && err == nil {
			err = uerr
		}
	}()
	create := "CREATE TEMPORARY VIEW " + ident(probeView) + " AS SELECT * FROM (" + query + "\n) AS v"
	if _, err := conn.PgConn().ExecParams(ctx, create, nil, nil, nil, nil).Close(); err != nil {
		return nil, viewQueryError(query, err)
	}
	return viewReads(ctx, conn, "pg_temp."+ident(probeView))
}

// viewReads returns what the view named by regclass reads.
func viewReads(ctx context.Context, q querier, regclass string) ([]viewRead, error) {
	rows, err := q.Query(ctx, viewReadsSQL, regclass)
	if err != nil {
		return nil, fmt.Errorf("view reads: %w", err)
	}
	reads, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (viewRead, error) {
		var r viewRead
		err := row.Scan(&r.Local, &r.Table, &r.Column, &r.Function)
		return r, err
	})
	if err != nil {
		return nil, fmt.Errorf("view reads: %w", err)
	}
	return reads, nil
}

// checkViewReads refuses a view that reads what must never leave the
// server: a secret field (Field.Secret: password hashes, token keys), whole
// rows of a collection that has one, or an internal table (names starting
// with "_" that are not collections: the change log holds whole rows,
// settings hold the token secret). A view's records are served like any
// other's, so whatever it reads could be listed, filtered on or streamed.
// resolve maps a read to the collection and field it reads (nil when it
// is none).
func checkViewReads(reads []viewRead, resolve func(r viewRead) (*collections.Collection, *collections.Field)) *collections.FieldError {
	for _, r := range reads {
		if !r.Local {
			continue
		}
		if r.Function != "" {
			if dynamicSQL[r.Function] {
				return &collections.FieldError{Code: "validation_view_dynamic_sql",
					Message: fmt.Sprintf("Views cannot call %s: what it reads cannot be checked for secret fields.", r.Function)}
			}
			continue
		}
		c, f := resolve(r)
		switch {
		case c == nil && strings.HasPrefix(r.Table, "_"):
			return &collections.FieldError{Code: "validation_view_internal_table",
				Message: fmt.Sprintf("Views cannot read %q: it is an internal table, not a collection.", r.Table)}
		case c == nil:
		case r.Column == "*" && hasSecret(c):
			return &collections.FieldError{Code: "validation_view_secret_field",
				Message: fmt.Sprintf("Views cannot read whole rows of %q: they include its secret fields. Name the columns the view needs.", c.Name)}
		case f != nil && f.Secret(c):
			return &collections.FieldError{Code: "validation_view_secret_field",
				Message: fmt.Sprintf("Views cannot read %q.%q: secret fields never leave the server. Name the columns the view needs, without it.", c.Name, f.Name)}
		}
	}
	return nil
}

func hasSecret(c *collections.Collection) bool {
	for _, f := range c.Fields {
		if f.Secret(c) {
			return true
		}
	}
	return false
}

// resolveIn resolves reads against the schema s: a table is the collection
// of the same name, a column its field of the same name.
func resolveIn(s collections.Lookup) func(r viewRead) (*collections.Collection, *collections.Field) {
	return func(r viewRead) (*collections.Collection, *collections.Field) {
		c, ok := s.Collection(r.Table)
		if !ok || c.Name != r.Table {
			return nil, nil
		}
		f, _ := c.Field(r.Column)
		return c, f
	}
}

// checkViewQuery refuses a view query that reads a secret field or an
// internal table (see checkViewReads), keyed on viewQuery.
func checkViewQuery(ctx context.Context, conn *pgx.Conn, schema collections.Lookup, query string) error {
	reads, err := probeViewReads(ctx, conn, query)
	if err != nil {
		return err
	}
	if fe := checkViewReads(reads, resolveIn(schema)); fe != nil {
		return collections.Invalid(fe.Message, map[string]collections.FieldError{"viewQuery": *fe})
	}
	return nil
}

// checkDependentViews refuses a change of a collection that would let an
// existing view read a secret field: a field made secret (a text field
// changed to a password) that a view names, or a secret field added to a
// collection a view reads whole rows of. Views name the table's and fields'
// current names; fields are matched to the new definition by id. The error
// is keyed on the field.
func checkDependentViews(ctx context.Context, conn *pgx.Conn, old, c *collections.Collection) error {
	gained := func(f *collections.Field) bool {
		of, ok := old.FieldByID(f.ID)
		return f.Secret(c) && (!ok || !of.Secret(old))
	}
	if !slices.ContainsFunc(c.Fields, gained) {
		return nil
	}
	rows, err := conn.Query(ctx, dependentViewsSQL, old.Name)
	if err != nil {
		return fmt.Errorf("dependent views: %w", err)
	}
	views, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return fmt.Errorf("dependent views: %w", err)
	}
	for _, v := range views {
		reads, err := viewReads(ctx, conn, ident(v))
		if err != nil {
			return err
		}
		for _, r := range reads {
			if !r.Local || r.Function != "" || r.Table != old.Name {
				continue
			}
			for i, f := range c.Fields {
				if !gained(f) {
					continue
				}
				of, existed := old.FieldByID(f.ID)
				if r.Column != "*" && (!existed || r.Column != of.Name) {
					continue
				}
				msg := fmt.Sprintf("View %q reads %q, which would make it expose the secret field %q; change or delete the view first.", v, old.Name, f.Name)
				return collections.Invalid(msg, map[string]collections.FieldError{
					fmt.Sprintf("fields.%d", i): {Code: "validation_view_secret_field", Message: msg}})
			}
		}
	}
	return nil
}
