package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/lumbunghq/lumbung/collections"
)

// Insights reads PostgreSQL's statistics of collection tables: sizes,
// row counts, dead rows, vacuums, index use, and pg_stat_statements when
// the extension is there. Table names are bound as values (resolved by
// to_regclass) or quoted as identifiers; nothing else reaches the SQL.
type Insights struct {
	db *DB
}

var _ collections.InsightsStore = (*Insights)(nil)

// NewInsights returns the statistics reader of db.
func NewInsights(db *DB) *Insights { return &Insights{db: db} }

// Tables counted exactly: those the planner estimates below exactRows
// rows whose heap is below exactBytes (an estimate of a table never
// analyzed is -1, whatever its size).
const (
	exactRows  = 10000
	exactBytes = 32 << 20
)

const tablesSQL = `SELECT t.name, c.reltuples::bigint, pg_relation_size(c.oid),
	pg_table_size(c.oid), pg_indexes_size(c.oid), pg_total_relation_size(c.oid),
	COALESCE(s.n_live_tup, 0), COALESCE(s.n_dead_tup, 0), COALESCE(s.seq_scan, 0), COALESCE(s.idx_scan, 0),
	s.last_vacuum, s.last_autovacuum, s.last_analyze, s.last_autoanalyze
FROM unnest($1::text[]) AS t(name)
JOIN pg_class c ON c.oid = to_regclass(quote_ident(t.name)) AND c.relkind IN ('r', 'p')
LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid`

// indexesSQL lists the indexes of the tables with their key columns (a
// column's name, or the expression in parentheses).
const indexesSQL = `SELECT t.name, ic.relname, x.indisunique, x.indisprimary,
	pg_relation_size(x.indexrelid), COALESCE(s.idx_scan, 0),
	ARRAY(SELECT COALESCE(a.attname::text, '(' || pg_get_indexdef(x.indexrelid, k.n::int, true) || ')')
		FROM unnest(x.indkey::int2[]) WITH ORDINALITY AS k(attnum, n)
		LEFT JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.attnum AND k.attnum > 0
		WHERE k.n <= x.indnkeyatts ORDER BY k.n)
FROM unnest($1::text[]) AS t(name)
JOIN pg_index x ON x.indrelid = to_regclass(quote_ident(t.name))
JOIN pg_class ic ON ic.oid = x.indexrelid
LEFT JOIN pg_stat_user_indexes s ON s.indexrelid = x.indexrelid
ORDER BY t.name, ic.relname`

// Tables implements collections.InsightsStore.
func (s *Insights) Tables(ctx context.Context, tables []string) (map[string]collections.TableStats, error) {
	out := map[string]collections.TableStats{}
	heap := map[string]int64{}
	rows, err := s.db.Pool.Query(ctx, tablesSQL, tables)
	if err != nil {
		return nil, fmt.Errorf("table stats: %w", err)
	}
	for rows.Next() {
		var t collections.TableStats
		var h int64
		if err := rows.Scan(&t.Table, &t.Rows, &h, &t.TableBytes, &t.IndexBytes, &t.TotalBytes,
			&t.LiveRows, &t.DeadRows, &t.SeqScans, &t.IndexScans,
			&t.LastVacuum, &t.LastAutovacuum, &t.LastAnalyze, &t.LastAutoanalyze); err != nil {
			rows.Close()
			return nil, fmt.Errorf("table stats: %w", err)
		}
		out[t.Table], heap[t.Table] = t, h
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("table stats: %w", err)
	}
	rows, err = s.db.Pool.Query(ctx, indexesSQL, tables)
	if err != nil {
		return nil, fmt.Errorf("index stats: %w", err)
	}
	for rows.Next() {
		var table string
		var ix collections.IndexStats
		if err := rows.Scan(&table, &ix.Name, &ix.Unique, &ix.Primary, &ix.Bytes, &ix.Scans, &ix.Columns); err != nil {
			rows.Close()
			return nil, fmt.Errorf("index stats: %w", err)
		}
		if t, ok := out[table]; ok {
			t.Indexes = append(t.Indexes, ix)
			out[table] = t
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("index stats: %w", err)
	}
	for name, t := range out {
		if t.Rows >= exactRows || heap[name] >= exactBytes {
			continue
		}
		// The name is a table's, quoted as an identifier.
		if err := s.db.Pool.QueryRow(ctx, "SELECT count(*) FROM "+ident(name)).Scan(&t.Rows); err != nil {
			return nil, fmt.Errorf("count %s: %w", name, err)
		}
		t.RowsExact = true
		out[name] = t
	}
	return out, nil
}

// statementsSQL reads the slowest statements of this database that
// select from a table (its quoted name after FROM, as the record store
// writes its reads).
const statementsSQL = `SELECT query, calls, mean_exec_time, max_exec_time, total_exec_time, rows
FROM pg_stat_statements
WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
	AND query LIKE 'SELECT %' AND strpos(query, $1) > 0
ORDER BY mean_exec_time DESC
LIMIT $2`

// Statements implements collections.InsightsStore. The extension must be
// installed in the database and loaded by the server; a role that may
// not read it, or an older extension without these columns, counts as
// no extension.
func (s *Insights) Statements(ctx context.Context, table string, limit int) ([]collections.StatementStats, bool, error) {
	var installed bool
	if err := s.db.Pool.QueryRow(ctx, "SELECT to_regclass('pg_stat_statements') IS NOT NULL").Scan(&installed); err != nil {
		return nil, false, fmt.Errorf("statements: %w", err)
	}
	if !installed {
		return nil, false, nil
	}
	rows, err := s.db.Pool.Query(ctx, statementsSQL, " FROM "+ident(table)+" ", limit)
	if err != nil {
		return nil, false, statementsErr(err)
	}
	var out []collections.StatementStats
	for rows.Next() {
		var st collections.StatementStats
		if err := rows.Scan(&st.Query, &st.Calls, &st.MeanMs, &st.MaxMs, &st.TotalMs, &st.Rows); err != nil {
			rows.Close()
			return nil, false, statementsErr(err)
		}
		out = append(out, st)
	}
	if err := rows.Err(); err != nil {
		return nil, false, statementsErr(err)
	}
	return out, true, nil
}

// statementsErr is nil for the errors of an extension that is installed
// but cannot be read here: not loaded by the server (55000), not
// permitted (42501), or without these columns (42703).
func statementsErr(err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "55000", "42501", "42703", "42883":
			return nil
		}
	}
	return fmt.Errorf("statements: %w", err)
}

// StatsReset implements collections.InsightsStore.
func (s *Insights) StatsReset(ctx context.Context) (*time.Time, error) {
	var t *time.Time
	err := s.db.Pool.QueryRow(ctx, "SELECT stats_reset FROM pg_stat_database WHERE datname = current_database()").Scan(&t)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("stats reset: %w", err)
	}
	return t, nil
}
