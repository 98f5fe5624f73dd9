// Package postgres stores collections and records in PostgreSQL: the schema
// store, the DDL planner, record queries and the system migrations. It is the
// only place in the collections tree that holds SQL text.
package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/jackc/puddle/v2"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"

	"github.com/lumbunghq/lumbung/collections"
)

// DB is a connection pool shared by the stores: record queries use pgx
// directly (typed scans, real bind parameters); Bun runs the system schema.
type DB struct {
	Pool *pgxpool.Pool
	Bun  *bun.DB
	sql  *sql.DB

	announce chan struct{} // a commit wrote records; capacity 1
	stop     context.CancelFunc
	done     chan struct{}
}

// Options tune a connection pool.
type Options struct {
	// MaxConns is the pool size; 0 lets pgx choose.
	MaxConns int32
	// AsyncCommit makes the pool's transactions commit without waiting
	// for their WAL to reach the disk (synchronous_commit off): a crash
	// of the operating system or a power loss may lose the commits of the
	// last moments (at most three times wal_writer_delay, 600 ms by
	// default), a crash of Lumbung or PostgreSQL loses nothing, and
	// nothing is ever corrupted. The durability of PocketBase's default
	// (SQLite's WAL with synchronous=NORMAL).
	AsyncCommit bool
}

// Open connects to the database at dsn with a pool of at most maxConns
// (0: pgx's default) and checks that it answers.
func Open(ctx context.Context, dsn string, maxConns int32) (*DB, error) {
	return OpenWith(ctx, dsn, Options{MaxConns: maxConns})
}

// OpenWith connects to the database at dsn with opts and checks that it
// answers.
func OpenWith(ctx context.Context, dsn string, opts Options) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("database url: %w", err)
	}
	if opts.MaxConns > 0 {
		cfg.MaxConns = opts.MaxConns
	}
	// Lumbung's own writes do not NOTIFY from the capture trigger; the
	// node announces its commits instead (see Announce).
	setup := "SET lumbung.quiet = on"
	if opts.AsyncCommit {
		setup += "; SET synchronous_commit = off"
	}
	cfg.AfterConnect = func(ctx context.Context, conn *pgx.Conn) error {
		_, err := conn.Exec(ctx, setup)
		return err
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connect: %w", err)
	}
	sqldb := stdlib.OpenDBFromPool(pool)
	db := &DB{Pool: pool, Bun: bun.NewDB(sqldb, pgdialect.New()), sql: sqldb,
		announce: make(chan struct{}, 1), done: make(chan struct{})}
	actx, stop := context.WithCancel(context.Background())
	db.stop = stop
	go db.announcer(actx)
	return db, nil
}

// Close stops the announcer and closes every connection.
func (db *DB) Close() {
	db.stop()
	<-db.done
	db.sql.Close()
	db.Pool.Close()
}

// Announce tells every node that a transaction of this node committed
// record changes: it returns at once, and one NOTIFY on EventsChannel
// follows, covering every commit announced before it is sent. Sent from
// one goroutine, the notifications of a busy node cost one small
// transaction at a time instead of a database-wide lock held through
// every writer's commit.
func (db *DB) Announce() {
	select {
	case db.announce <- struct{}{}:
	default: // one is pending and will cover this commit
	}
}

// announcer sends the notifications Announce asks for until ctx ends. The
// NOTIFY does not wait for its own WAL flush: it carries no data, and a
// node that misses it reads the log on its next poll.
func (db *DB) announcer(ctx context.Context) {
	defer close(db.done)
	for {
		select {
		case <-ctx.Done():
			return
		case <-db.announce:
		}
		// An error means the database is away: the tailers read the log
		// once it is back, announced or not.
		db.Pool.Exec(ctx, "SELECT set_config('synchronous_commit', 'off', true), pg_notify($1, '')", EventsChannel) //nolint:errcheck
	}
}

// Ping checks the database answers.
func (db *DB) Ping(ctx context.Context) error { return db.Pool.Ping(ctx) }

// querier is what pgx pools, connections and transactions have in common.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults
}

// ident quotes a table or column name taken from the schema.
func ident(name string) string { return pgx.Identifier{name}.Sanitize() }

// translate turns driver errors into domain errors by SQLSTATE. Errors it
// does not know pass through and become a logged 500.
func translate(err error, c *collections.Collection) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, pgx.ErrNoRows) || errors.Is(err, sql.ErrNoRows) {
		return collections.Errorf(collections.ENOTFOUND, "The requested resource wasn't found.")
	}
	if Unavailable(err) {
		return &collections.Error{Code: collections.EUNAVAILABLE, Message: "The database is unavailable right now; try again in a moment."}
	}
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		return err
	}
	field := fieldOfConstraint(c, pgErr.ConstraintName)
	switch pgErr.Code {
	case "42703", "42P01", "0A000": // undefined column or table, a cached plan of another shape
		// The statement was built from a definition a schema change
		// (on any node) has just replaced.
		return collections.ErrSchemaChanged
	case "23505": // unique_violation
		if field != "" {
			return collections.Invalid("Failed to save the record.", map[string]collections.FieldError{
				field: {Code: "validation_not_unique", Message: "Value must be unique."}})
		}
		return collections.Errorf(collections.EINVALID, "A record with the same unique value already exists.")
	case "23503": // foreign_key_violation
		if pgErr.TableName != "" && c != nil && pgErr.TableName != c.Name {
			return collections.Errorf(collections.EINVALID, "The record cannot be deleted because it is part of a required reference in %q.", pgErr.TableName)
		}
		if field != "" {
			return collections.Invalid("Failed to save the record.", map[string]collections.FieldError{
				field: {Code: "validation_missing_rel_records", Message: "Failed to find all relation records with the provided ids."}})
		}
		return collections.Errorf(collections.EINVALID, "A referenced record does not exist or is still referenced.")
	case "23502", "23514", "22001", "22003", "22P02", "22007", "22008":
		return collections.Errorf(collections.EINVALID, "A value does not fit its field.")
	case "22021", "22P05": // invalid byte sequence, unsupported \u0000 in json
		return collections.Errorf(collections.EINVALID, "Text cannot contain NUL characters or invalid UTF-8.")
	case "40001", "40P01":
		return collections.Errorf(collections.ECONFLICT, "The request conflicted with a concurrent change; try again.")
	case "57014":
		return collections.Errorf(collections.EINVALID, "The query took too long and was cancelled.")
	}
	if strings.HasPrefix(pgErr.Code, "22") { // any other data exception: a value the client sent
		return collections.Errorf(collections.EINVALID, "A value is out of range or malformed.")
	}
	return err
}

// Unavailable reports whether err means the database could not be reached
// or went away: a failed connection, a connection lost mid-query, a server
// shutting down or starting up, or no connection slot left. Such errors are
// answered with "try again", not as bugs.
func Unavailable(err error) bool {
	if err == nil {
		return false
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "57P01", "57P02", "57P03", "53300": // shutdown, crash, starting up, too many connections
			return true
		}
		return strings.HasPrefix(pgErr.Code, "08") // connection exceptions
	}
	var connectErr *pgconn.ConnectError
	var netErr net.Error
	return errors.As(err, &connectErr) || errors.As(err, &netErr) ||
		errors.Is(err, pgconn.ErrConnClosed) || errors.Is(err, puddle.ErrClosedPool) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, net.ErrClosed)
}

// fieldOfConstraint finds the field a constraint belongs to from its name:
// constraints and unique indexes created by the planner end in the field id.
func fieldOfConstraint(c *collections.Collection, constraint string) string {
	if c == nil || constraint == "" {
		return ""
	}
	for _, f := range c.Fields {
		if constraint == fkName(f) || constraint == c.Name+"_"+f.Name+"_key" {
			return f.Name
		}
	}
	for _, idx := range c.Indexes {
		ix, err := collections.ParseIndex(idx)
		if err == nil && ix.Name == constraint && len(ix.Columns) == 1 {
			return ix.Columns[0].Name
		}
	}
	return ""
}

func fkName(f *collections.Field) string { return "fk_" + f.ID }
