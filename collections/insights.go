package collections

import (
	"context"
	"time"
)

// TableStats are PostgreSQL's figures of one collection's table, as the
// database insights show them.
type TableStats struct {
	// Table is the collection's table (its name).
	Table string
	// Rows is the number of rows: counted when the table is small
	// (RowsExact), else the planner's estimate (pg_class.reltuples; -1
	// when the table was never analyzed).
	Rows      int64
	RowsExact bool
	// TableBytes is the table with its TOAST data, IndexBytes its
	// indexes, TotalBytes both.
	TableBytes, IndexBytes, TotalBytes int64
	// LiveRows and DeadRows are the statistics' live and dead tuples;
	// dead rows wait for a vacuum.
	LiveRows, DeadRows int64
	// SeqScans and IndexScans count the scans of the table since the
	// statistics were reset.
	SeqScans, IndexScans int64
	// The latest vacuum and analyze, by hand or automatic (nil: never).
	LastVacuum, LastAutovacuum, LastAnalyze, LastAutoanalyze *time.Time
	Indexes                                                  []IndexStats
}

// IndexStats are the figures of one index of a collection's table.
type IndexStats struct {
	Name string
	// Columns are the index's key columns in order: a column's name, or
	// an expression in parentheses ("(lower(title))").
	Columns []string
	// Unique and Primary indexes enforce a constraint: they are never
	// reported unused.
	Unique, Primary bool
	Bytes           int64
	// Scans counts the index scans since the statistics were reset.
	Scans int64
}

// StatementStats are pg_stat_statements' figures of one normalized
// statement (constants replaced by $n).
type StatementStats struct {
	Query                  string
	Calls                  int64
	MeanMs, MaxMs, TotalMs float64
	Rows                   int64
}

// InsightsStore reads the database's statistics of collection tables.
// Table names come only from the schema; the store binds them as values
// or quotes them as identifiers.
type InsightsStore interface {
	// Tables returns the figures of the given tables, by name; a name
	// without a table (a view) is left out.
	Tables(ctx context.Context, tables []string) (map[string]TableStats, error)
	// Statements returns the slowest statements reading table by their
	// mean time, at most limit; ok is false when pg_stat_statements is
	// not installed or not readable.
	Statements(ctx context.Context, table string, limit int) (stats []StatementStats, ok bool, err error)
	// StatsReset is when the database's statistics were last reset (nil:
	// never).
	StatsReset(ctx context.Context) (*time.Time, error)
}
