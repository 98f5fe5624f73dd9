package postgres

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/lumbunghq/lumbung/collections"
)

// View queries written for SQLite (PocketBase's views) mostly run on
// PostgreSQL as they are; what does not is bridged here and in
// sqlite_compat.sql: SQLite's date, JSON and aggregate functions and its
// loose comparisons live in the _sqlite schema, which is put last on the
// search path while a view is described and created, and `backquoted`
// names become "double-quoted" ones. What is left fails with PostgreSQL's
// reason and a hint naming the SQLite construct.

// sqliteSearchPath puts _sqlite last on the search path for the rest of
// the transaction (once).
const sqliteSearchPath = `SELECT set_config('search_path', current_setting('search_path') || ', _sqlite', true)
WHERE to_regnamespace('_sqlite') IS NOT NULL AND current_setting('search_path') NOT LIKE '%_sqlite%'`

// sqliteFunctions are the SQLite functions _sqlite provides, for messages.
const sqliteFunctions = "strftime, datetime, date, julianday, unixepoch, json_extract, group_concat, json_group_array, total, ifnull, iif, instr, round(x, n), max(a, b), min(a, b)"

// withViewFunctions runs fn with _sqlite on the search path: inside conn's
// transaction, or in one of its own that is rolled back.
func withViewFunctions(ctx context.Context, conn *pgx.Conn, fn func() error) (err error) {
	if conn.PgConn().TxStatus() == 'I' {
		if _, err := conn.Exec(ctx, "BEGIN"); err != nil {
			return err
		}
		defer func() {
			if _, rerr := conn.Exec(context.WithoutCancel(ctx), "ROLLBACK"); rerr != nil && err == nil {
				err = rerr
			}
		}()
	}
	if _, err := conn.Exec(ctx, sqliteSearchPath); err != nil {
		return err
	}
	return fn()
}

// sqliteQuotes rewrites `backquoted` names, which SQLite (and MySQL)
// accept, as "double-quoted" ones, outside string literals and comments.
func sqliteQuotes(q string) string {
	if !strings.Contains(q, "`") {
		return q
	}
	var b strings.Builder
	for i := 0; i < len(q); i++ {
		ch := q[i]
		switch {
		case ch == '\'' || ch == '"':
			j := i + 1
			for j < len(q) && q[j] != ch {
				j++
			}
			if j >= len(q) {
				b.WriteString(q[i:])
				return b.String()
			}
			b.WriteString(q[i : j+1])
			i = j
		case ch == '-' && strings.HasPrefix(q[i:], "--"):
			j := strings.IndexByte(q[i:], '\n')
			if j < 0 {
				b.WriteString(q[i:])
				return b.String()
			}
			b.WriteString(q[i : i+j])
			i += j - 1
		case ch == '`':
			j := strings.IndexByte(q[i+1:], '`')
			if j < 0 {
				b.WriteString(q[i:])
				return b.String()
			}
			b.WriteString(`"` + strings.ReplaceAll(q[i+1:i+1+j], `"`, `""`) + `"`)
			i += j + 1
		default:
			b.WriteByte(ch)
		}
	}
	return b.String()
}

var undefinedColumnRe = regexp.MustCompile(`column "([^"]+)" does not exist`)

// viewQueryError is viewError with a hint for what SQLite accepts and
// PostgreSQL does not: functions it does not have, and "double-quoted"
// strings (names in PostgreSQL).
func viewQueryError(q string, err error) error {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		return err
	}
	hint := ""
	switch pgErr.Code {
	case "42883": // undefined function or operator
		hint = " View queries run on PostgreSQL; of SQLite's own functions Lumbung understands " + sqliteFunctions + ": write the others for PostgreSQL."
	case "42703": // undefined column
		if m := undefinedColumnRe.FindStringSubmatch(pgErr.Message); m != nil && strings.Contains(q, `"`+m[1]+`"`) {
			hint = fmt.Sprintf(` In PostgreSQL "%s" names a column; write '%s' for a string.`, m[1], m[1])
		}
	}
	msg := fmt.Sprintf("Invalid view query: %s.%s", pgErr.Message, hint)
	return collections.Invalid(msg, map[string]collections.FieldError{"viewQuery": {Code: "validation_invalid_view_query", Message: msg}})
}

// caseNamesSQL lists the tables, views and columns of the collections'
// schema whose names have capitals: PostgreSQL folds unquoted names to
// lower case, SQLite matches them in any case.
const caseNamesSQL = `
SELECT c.relname FROM pg_class c
WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'v', 'm') AND c.relname <> lower(c.relname)
UNION
SELECT a.attname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'v', 'm')
  AND a.attnum > 0 AND NOT a.attisdropped AND a.attname <> lower(a.attname)`

// sqliteNames quotes the unquoted names of a view query that SQLite would
// match case-insensitively: the names of tables and columns with capitals
// (instanceId, secondsthismonth → "instanceId", "secondsThisMonth"), and
// aliases spelled with capitals (AS daysUp), which SQLite keeps as the
// column's name. Names that two spellings share, SQL keywords and
// function calls are left alone.
func sqliteNames(ctx context.Context, conn *pgx.Conn, q string) (string, error) {
	rows, err := conn.Query(ctx, caseNamesSQL)
	if err != nil {
		return "", fmt.Errorf("view names: %w", err)
	}
	known, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return "", fmt.Errorf("view names: %w", err)
	}
	spelling := map[string]string{}
	ambiguous := map[string]bool{}
	add := func(name string) {
		l := strings.ToLower(name)
		if s, ok := spelling[l]; ok && s != name {
			ambiguous[l] = true
		}
		spelling[l] = name
	}
	for _, n := range known {
		add(n)
	}
	toks := sqlTokens(q)
	for i, t := range toks {
		next := neighbour(toks, i, 1)
		if t.kind == tokWord && strings.EqualFold(t.text, "as") && next.kind == tokWord && next.text != strings.ToLower(next.text) && !sqlTypes[strings.ToLower(next.text)] {
			if _, ok := spelling[strings.ToLower(next.text)]; !ok {
				add(next.text)
			}
		}
	}
	var b strings.Builder
	for i, t := range toks {
		s, ok := spelling[strings.ToLower(t.text)]
		switch {
		case t.kind != tokWord || !ok || ambiguous[strings.ToLower(t.text)] || sqlKeywords[strings.ToLower(t.text)]:
		case neighbour(toks, i, 1).text == "(": // a function call
		case neighbour(toks, i, -1).text == "::": // a type
		default:
			b.WriteString(`"` + s + `"`)
			continue
		}
		b.WriteString(t.text)
	}
	return b.String(), nil
}

type tokKind int

const (
	tokOther  tokKind = iota // punctuation, operators, spaces, numbers
	tokWord                  // an unquoted name or keyword
	tokQuoted                // a string, quoted name or comment: kept as is
)

type sqlToken struct {
	kind tokKind
	text string
}

// sqlTokens splits a query into tokens whose texts join back to it.
func sqlTokens(q string) []sqlToken {
	var out []sqlToken
	isWord := func(c byte, first bool) bool {
		return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80 || (!first && (c >= '0' && c <= '9' || c == '$'))
	}
	for i := 0; i < len(q); {
		c := q[i]
		switch {
		case c == '\'' || c == '"':
			j := i + 1
			for j < len(q) {
				if q[j] == c {
					if j+1 < len(q) && q[j+1] == c {
						j += 2
						continue
					}
					break
				}
				j++
			}
			j = min(j+1, len(q))
			out = append(out, sqlToken{tokQuoted, q[i:j]})
			i = j
		case c == '-' && strings.HasPrefix(q[i:], "--"):
			j := strings.IndexByte(q[i:], '\n')
			if j < 0 {
				j = len(q) - i
			}
			out = append(out, sqlToken{tokQuoted, q[i : i+j]})
			i += j
		case c == '/' && strings.HasPrefix(q[i:], "/*"):
			j := strings.Index(q[i+2:], "*/")
			end := len(q)
			if j >= 0 {
				end = i + 2 + j + 2
			}
			out = append(out, sqlToken{tokQuoted, q[i:end]})
			i = end
		case c >= '0' && c <= '9':
			j := i
			for j < len(q) && (q[j] >= '0' && q[j] <= '9' || q[j] == '.' || q[j] == 'e' || q[j] == 'E') {
				j++
			}
			out = append(out, sqlToken{tokOther, q[i:j]})
			i = j
		case isWord(c, true):
			j := i + 1
			for j < len(q) && isWord(q[j], false) {
				j++
			}
			out = append(out, sqlToken{tokWord, q[i:j]})
			i = j
		case c == ':' && strings.HasPrefix(q[i:], "::"):
			out = append(out, sqlToken{tokOther, "::"})
			i += 2
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			j := i
			for j < len(q) && (q[j] == ' ' || q[j] == '\t' || q[j] == '\n' || q[j] == '\r') {
				j++
			}
			out = append(out, sqlToken{tokOther, q[i:j]})
			i = j
		default:
			out = append(out, sqlToken{tokOther, q[i : i+1]})
			i++
		}
	}
	return out
}

// neighbour returns the token next to toks[i] in direction step (+1 or
// -1), skipping spaces, or an empty token.
func neighbour(toks []sqlToken, i, step int) sqlToken {
	for j := i + step; j >= 0 && j < len(toks); j += step {
		if toks[j].kind != tokOther || strings.TrimSpace(toks[j].text) != "" {
			return toks[j]
		}
	}
	return sqlToken{}
}

// sqlTypes are the type names CAST(… AS type) takes, not aliases.
var sqlTypes = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`text integer int bigint smallint real numeric decimal float double boolean bool
		varchar char date time timestamp timestamptz json jsonb blob`) {
		m[w] = true
	}
	return m
}()

// sqlKeywords are words never taken for names when fixing their case.
var sqlKeywords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`all and any array as asc between by case cast collate cross current_date
		current_time current_timestamp default desc distinct else end except exists false fetch filter first for from
		full group having ilike in inner intersect interval is join last lateral left like limit natural not null
		nulls offset on or order outer over partition range right row rows select similar some table then to true
		union using values when where window with`) {
		m[w] = true
	}
	return m
}()
