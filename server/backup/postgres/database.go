// Package postgres backs up and restores the Lumbung database with
// PostgreSQL's own programs: pg_dump (custom format) and pg_restore, of
// the server's major version, with the password in PGPASSWORD.
package postgres

import (
	"bufio"
	"bytes"
	"context"

	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/lumbunghq/lumbung/collections"
	cpg "github.com/lumbunghq/lumbung/collections/postgres"
	rbacpg "github.com/lumbunghq/lumbung/rbac/postgres"
	"github.com/lumbunghq/lumbung/server/backup"
	"github.com/lumbunghq/lumbung/server/localpg"
)

var _ backup.Database = (*Database)(nil)

// lockKey is the advisory lock that lets one backup or restore run at a
// time across every node on the database.
const lockKey int64 = 0x6c756d62756e67 // "lumbung"

// Database is the Lumbung database as backups see it.
type Database struct {
	pool     *pgxpool.Pool
	conn     string // for the client programs: no password, no pgx settings
	password string
	binDir   string
}

// New returns the database pool reaches, whose connection string is dsn;
// binDir, when set, is the only place the client programs are looked for.
func New(pool *pgxpool.Pool, dsn, binDir string) (*Database, error) {
	conn, password, err := libpqConn(dsn)
	if err != nil {
		return nil, err
	}
	return &Database{pool: pool, conn: conn, password: password, binDir: binDir}, nil
}

// tools finds pg_dump, pg_restore and psql of the server's major version.
func (d *Database) tools(ctx context.Context) (localpg.Tools, error) {
	var num int
	if err := d.pool.QueryRow(ctx, "SELECT current_setting('server_version_num')::int").Scan(&num); err != nil {
		return localpg.Tools{}, err
	}
	major := num / 10000
	if num < 100000 {
		major = num / 100 // 9.6 and older: two numbers make the major version
	}
	t, err := localpg.FindTools(ctx, d.binDir, major, "pg_dump", "pg_restore", "psql")
	if err != nil {
		return t, collections.Errorf(collections.EINVALID, "%s", err.Error())
	}
	return t, nil
}

// Lock takes the lock that lets one backup or restore run at a time on
// every node; EINVALID (PocketBase's 400) when another holds it.
func (d *Database) Lock(ctx context.Context) (release func(), err error) {
	c, err := d.pool.Acquire(ctx)
	if err != nil {
		return nil, err
	}
	var ok bool
	if err := c.QueryRow(ctx, "SELECT pg_try_advisory_lock($1)", lockKey).Scan(&ok); err != nil {
		c.Release()
		return nil, err
	}
	if !ok {
		c.Release()
		return nil, collections.Errorf(collections.EINVALID, "Try again later - another backup/restore process has already been started.")
	}
	return func() {
		if _, err := c.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", lockKey); err != nil {
			c.Conn().Close(context.WithoutCancel(ctx)) // closing the session releases it
		}
		c.Release()
	}, nil
}

// Busy reports whether a backup or a restore runs on any node.
func (d *Database) Busy(ctx context.Context) (bool, error) {
	var busy bool
	err := d.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted
		AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
		AND classid = ($1::bigint >> 32)::oid AND objid = ($1::bigint & 4294967295)::oid AND objsubid = 1)`, lockKey).Scan(&busy)
	return busy, err
}

// command runs a client program with the password in its environment.
func (d *Database) command(ctx context.Context, path string, args ...string) (*exec.Cmd, *bytes.Buffer) {
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Env = append(os.Environ(), "PGPASSWORD="+d.password, "PGAPPNAME=lumbung backup")
	stderr := &bytes.Buffer{}
	cmd.Stderr = &limited{w: stderr, n: 8 << 10}
	return cmd, stderr
}

// Dump writes the database to w in pg_dump's custom format.
func (d *Database) Dump(ctx context.Context, w io.Writer) error {
	t, err := d.tools(ctx)
	if err != nil {
		return err
	}
	cmd, stderr := d.command(ctx, t.Path("pg_dump"), "--format=custom", "--no-password", "--dbname="+d.conn)
	cmd.Stdout = w
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("pg_dump: %v: %s", err, strings.TrimSpace(stderr.String()))
	}
	return nil
}

// Check reads the archive's table of contents: EINVALID when pg_restore
// cannot read it (another format, or a newer pg_dump's).
func (d *Database) Check(ctx context.Context, path string) error {
	_, _, err := d.contents(ctx, path)
	return err
}

// contents returns the tables and views of the public schema the archive
// holds, and the list of its entries to restore (pg_restore --use-list):
// all but its extensions, which are the database administrator's (a
// managed PostgreSQL's pg_stat_statements, say): Lumbung's role could
// neither drop nor create them, and its schema needs none.
func (d *Database) contents(ctx context.Context, path string) ([]string, []byte, error) {
	t, err := d.tools(ctx)
	if err != nil {
		return nil, nil, err
	}
	cmd, stderr := d.command(ctx, t.Path("pg_restore"), "--list", path)
	out, err := cmd.Output()
	if err != nil {
		if ctx.Err() != nil {
			return nil, nil, ctx.Err()
		}
		msg := strings.TrimSpace(strings.TrimPrefix(firstLine(stderr.String()), "pg_restore: error: "))
		return nil, nil, collections.Errorf(collections.EINVALID, "The backup cannot be restored: %s.", msg)
	}
	var rels []string
	var list bytes.Buffer
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		_, entry, ok := strings.Cut(line, "; ")
		if !ok || strings.HasPrefix(line, ";") {
			continue
		}
		f := strings.Fields(entry) // catalog-oid oid TYPE schema name owner
		if len(f) >= 5 && (f[2] == "TABLE" || f[2] == "VIEW") && f[3] == "public" {
			rels = append(rels, f[4])
		}
		if len(f) >= 5 && (f[2] == "EXTENSION" || f[2] == "COMMENT" && f[4] == "EXTENSION") {
			continue
		}
		list.WriteString(line + "\n")
	}
	return rels, list.Bytes(), nil
}

// Restore replaces the database's contents with the archive's, in one
// transaction: the tables and views the archive does not hold (such as a
// collection created after the backup) are dropped, then pg_restore
// --clean --if-exists replaces everything it holds. The change log keeps
// counting from where it was, so realtime clients miss nothing written
// after the restore, and every node is told to read the schema, the
// policies and the settings again.
func (d *Database) Restore(ctx context.Context, path string) error {
	keep, list, err := d.contents(ctx, path)
	if err != nil {
		return err
	}
	listFile, err := os.CreateTemp(filepath.Dir(path), "restore-*.list")
	if err != nil {
		return err
	}
	defer os.Remove(listFile.Name())
	_, err = listFile.Write(list)
	if cerr := listFile.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	t, err := d.tools(ctx)
	if err != nil {
		return err
	}
	var prelude strings.Builder
	rows, err := d.pool.Query(ctx, `SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm')
		  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var name, kind string
		if err := rows.Scan(&name, &kind); err != nil {
			rows.Close()
			return err
		}
		if slices.Contains(keep, name) {
			continue
		}
		what := "TABLE"
		switch kind {
		case "v":
			what = "VIEW"
		case "m":
			what = "MATERIALIZED VIEW"
		}
		fmt.Fprintf(&prelude, "DROP %s IF EXISTS %s CASCADE;\n", what, pgx.Identifier{"public", name}.Sanitize())
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	var last int64
	if err := d.pool.QueryRow(ctx, "SELECT coalesce(max(seq), 0) FROM _events").Scan(&last); err != nil {
		return err
	}
	epilogue := fmt.Sprintf("SELECT setval(pg_get_serial_sequence('public._events', 'seq'), greatest(%d, (SELECT coalesce(max(seq), 0) FROM public._events)) + 1, false);\n", last)
	for _, ch := range []string{cpg.SchemaChannel, rbacpg.Channel, cpg.ParamsChannel} {
		epilogue += "NOTIFY " + pgx.Identifier{ch}.Sanitize() + ";\n"
	}

	script, scriptErr := d.command(ctx, t.Path("pg_restore"), "--clean", "--if-exists", "--no-owner", "--no-acl", "--use-list="+listFile.Name(), "--file=-", path)
	out, err := script.StdoutPipe()
	if err != nil {
		return err
	}
	run, runErr := d.command(ctx, t.Path("psql"), "--no-psqlrc", "--quiet", "--no-password", "--set=ON_ERROR_STOP=1",
		"--single-transaction", "--file=-", "--dbname="+d.conn)
	run.Stdin = io.MultiReader(strings.NewReader("SET client_min_messages = warning;\n"+prelude.String()), out, strings.NewReader(epilogue))
	run.Stdout = io.Discard
	if err := script.Start(); err != nil {
		return err
	}
	err = run.Run()
	if err != nil {
		_ = script.Process.Kill()
	}
	waitErr := script.Wait()
	if err != nil {
		return fmt.Errorf("restore: %v: %s", err, strings.TrimSpace(runErr.String()))
	}
	if waitErr != nil {
		return fmt.Errorf("restore: pg_restore: %v: %s", waitErr, strings.TrimSpace(scriptErr.String()))
	}
	// Connections may hold plans and types of the tables replaced.
	d.pool.Reset()
	return nil
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}

// limited keeps the first n bytes written to it and drops the rest.
type limited struct {
	w io.Writer
	n int
}

func (l *limited) Write(p []byte) (int, error) {
	if l.n > 0 {
		k := min(len(p), l.n)
		if _, err := l.w.Write(p[:k]); err != nil {
			return 0, err
		}
		l.n -= k
	}
	return len(p), nil
}
