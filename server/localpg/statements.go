package localpg

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// statementsModule keeps statistics of the statements the server runs:
// database insights read the slowest queries of each collection from it.
const statementsModule = "pg_stat_statements"

// hasStatementsModule tells whether the PostgreSQL of the postgres
// binary ships pg_stat_statements (Debian's server package does, in
// <bindir>/../lib): the cluster then loads it at start.
func hasStatementsModule(postgres string) bool {
	bin, err := filepath.EvalSymlinks(postgres)
	if err != nil {
		return false
	}
	_, err = os.Stat(filepath.Join(filepath.Dir(bin), "..", "lib", statementsModule+".so"))
	return err == nil
}

// ensureStatements installs pg_stat_statements, when the server loaded
// it, in the database db is connected to and in template1 (so databases
// created later have it too). It runs as the superuser: the application
// role reads the statistics of its own statements but may not install
// the extension.
func ensureStatements(ctx context.Context, db *pgx.Conn, template1 string) error {
	var preload string
	if err := db.QueryRow(ctx, "SHOW shared_preload_libraries").Scan(&preload); err != nil {
		return fmt.Errorf("localpg: %w", err)
	}
	loaded := slices.ContainsFunc(strings.Split(preload, ","), func(s string) bool { return strings.TrimSpace(s) == statementsModule })
	if !loaded {
		return nil
	}
	create := func(conn *pgx.Conn) error {
		_, err := conn.Exec(ctx, "CREATE EXTENSION IF NOT EXISTS "+statementsModule)
		var pgErr *pgconn.PgError
		if err != nil && !(errors.As(err, &pgErr) && (pgErr.Code == "42710" || pgErr.Code == "23505")) { // another process won
			return fmt.Errorf("localpg: install %s: %w", statementsModule, err)
		}
		return nil
	}
	if err := create(db); err != nil {
		return err
	}
	tmpl, err := pgx.Connect(ctx, template1)
	if err != nil {
		return fmt.Errorf("localpg: %w", err)
	}
	defer tmpl.Close(context.WithoutCancel(ctx))
	return create(tmpl)
}
