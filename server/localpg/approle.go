package localpg

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// appRole is the role Lumbung connects as. It owns the database and its
// objects but is no superuser: SQL that Lumbung runs on behalf of its own
// superusers (view queries) cannot read the server's files or run
// programs, as a PostgreSQL superuser could. CREATEDB lets tests make
// their databases.
const appRole = "lumbung_app"

// appPassword derives the application role's password from the cluster's
// superuser password: whoever can read one can read the other, and no
// second secret file is needed.
func appPassword(superuserPassword string) string {
	sum := sha256.Sum256([]byte(superuserPassword + "\x00" + appRole))
	return hex.EncodeToString(sum[:])
}

// ensureAppRole makes sure appRole exists with password, and owns the
// database conn is connected to (as the superuser), its public schema and
// every table, view, sequence and function in it, such as those created by
// earlier versions, which connected as the superuser. It is idempotent and
// safe to run from several processes at once.
func ensureAppRole(ctx context.Context, conn *pgx.Conn, password string) error {
	_, err := conn.Exec(ctx, `DO $$ BEGIN
		IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '`+appRole+`') THEN
			CREATE ROLE `+appRole+` LOGIN NOSUPERUSER CREATEDB NOCREATEROLE NOREPLICATION;
		END IF;
	END $$`)
	var pgErr *pgconn.PgError
	if err != nil && !(errors.As(err, &pgErr) && pgErr.Code == "42710") { // duplicate_object: another process won
		return fmt.Errorf("localpg: create role %s: %w", appRole, err)
	}
	var setPassword string
	if err := conn.QueryRow(ctx, "SELECT format('ALTER ROLE "+appRole+" PASSWORD %L', $1::text)", password).Scan(&setPassword); err != nil {
		return fmt.Errorf("localpg: %w", err)
	}
	for _, stmt := range []string{
		setPassword,
		"ALTER ROLE " + appRole + " NOSUPERUSER", // in case someone granted it
		"ALTER DATABASE " + pgx.Identifier{database}.Sanitize() + " OWNER TO " + appRole,
		"ALTER SCHEMA public OWNER TO " + appRole,
		`DO $$
		DECLARE r record;
		BEGIN
			FOR r IN
				SELECT c.oid::regclass AS name, c.relkind FROM pg_class c
				WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
				  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
				  AND pg_get_userbyid(c.relowner) <> '` + appRole + `'
				  AND NOT (c.relkind = 'S' AND EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype IN ('a', 'i')))
			LOOP
				EXECUTE format('ALTER %s %s OWNER TO ` + appRole + `',
					CASE r.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'S' THEN 'SEQUENCE' WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END,
					r.name);
			END LOOP;
			FOR r IN
				SELECT p.oid::regprocedure AS name FROM pg_proc p
				WHERE p.pronamespace = 'public'::regnamespace
				  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')
				  AND pg_get_userbyid(p.proowner) <> '` + appRole + `'
			LOOP
				EXECUTE format('ALTER ROUTINE %s OWNER TO ` + appRole + `', r.name);
			END LOOP;
		END $$`,
	} {
		if _, err := conn.Exec(ctx, stmt); err != nil {
			return fmt.Errorf("localpg: hand the database to %s: %w", appRole, err)
		}
	}
	return nil
}
