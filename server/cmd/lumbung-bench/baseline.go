package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/valyala/fasthttp"
)

// baseline is what a lean server for one known collection would be: fasthttp
// and a pgx pool, the SQL Lumbung runs for the same requests, JSON written by
// hand. It has no auth, no request log and no hooks.
type baseline struct {
	pool    *pgxpool.Pool
	col     *collectionInfo
	columns []column
	prefix  []byte // "/api/collections/<name>/records"
	open    []byte // `{"collectionId":"…","collectionName":"…"`

	// The SQL, built once from the collection like Lumbung builds it.
	selectFrom string // SELECT <columns> FROM "<name>" AS r
	countFrom  string // SELECT count(*) FROM "<name>" AS r
	orderBy    string
	insert     string

	ln     net.Listener
	srv    *fasthttp.Server
	served chan error

	errOnce  sync.Once
	firstErr string // the first 500 it answered, for the report
}

// kind is how a column is scanned and written.
type kind int

const (
	kindText kind = iota
	kindNumber
	kindBool
	kindDate
	kindAutodate
)

type column struct {
	name string
	kind kind
	key  []byte // `,"name":`
}

// startBaseline connects a pool with pgx's default size (Lumbung's default)
// and serves col's records on a free 127.0.0.1 port.
func startBaseline(ctx context.Context, dsn string, col *collectionInfo) (*baseline, error) {
	b := &baseline{col: col, prefix: []byte("/api/collections/" + col.Name + "/records")}
	if err := b.build(); err != nil {
		return nil, err
	}
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("database url: %w", err)
	}
	// Writes cost what Lumbung's cost: the capture trigger without its
	// NOTIFY, as on Lumbung's connections (the baseline has no realtime
	// to announce them to).
	cfg.AfterConnect = func(ctx context.Context, conn *pgx.Conn) error {
		_, err := conn.Exec(ctx, "SET lumbung.quiet = on")
		return err
	}
	if b.pool, err = pgxpool.NewWithConfig(ctx, cfg); err != nil {
		return nil, err
	}
	if err := b.pool.Ping(ctx); err != nil {
		b.pool.Close()
		return nil, err
	}
	if b.ln, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
		b.pool.Close()
		return nil, err
	}
	b.srv = &fasthttp.Server{
		Handler:      b.handle,
		ReadTimeout:  time.Minute,
		WriteTimeout: time.Minute,
		IdleTimeout:  2 * time.Minute,
	}
	b.served = make(chan error, 1)
	go func() { b.served <- b.srv.Serve(b.ln) }()
	return b, nil
}

// build prepares the column list and SQL texts from the collection.
func (b *baseline) build() error {
	ident := func(name string) string { return pgx.Identifier{name}.Sanitize() }
	var sel, cols, marks []string
	hasCreated := false
	for _, f := range b.col.Fields {
		c := column{name: f.Name, key: append(appendJSONString([]byte{','}, f.Name), ':')}
		switch f.Type {
		case "text":
			c.kind = kindText
		case "number":
			c.kind = kindNumber
		case "bool":
			c.kind = kindBool
		case "date":
			c.kind = kindDate
		case "autodate":
			c.kind = kindAutodate
			hasCreated = hasCreated || f.Name == "created"
		default:
			return fmt.Errorf("baseline: field %q has type %q, which it does not serve", f.Name, f.Type)
		}
		b.columns = append(b.columns, c)
		sel = append(sel, "r."+ident(f.Name))
		cols = append(cols, ident(f.Name))
		marks = append(marks, "$"+strconv.Itoa(len(marks)+1))
	}
	if len(b.columns) == 0 || b.columns[0].name != "id" {
		return errors.New("baseline: the collection's first field is not id")
	}
	table := ident(b.col.Name)
	b.selectFrom = "SELECT " + strings.Join(sel, ", ") + " FROM " + table + " AS r"
	b.countFrom = "SELECT count(*) FROM " + table + " AS r"
	b.orderBy = " ORDER BY r.id"
	if hasCreated {
		b.orderBy = ` ORDER BY r."created", r.id`
	}
	b.insert = "INSERT INTO " + table + " AS r (" + strings.Join(cols, ", ") + ") VALUES (" +
		strings.Join(marks, ", ") + ") RETURNING " + strings.Join(sel, ", ")
	b.open = appendJSONString([]byte(`{"collectionId":`), b.col.ID)
	b.open = appendJSONString(append(b.open, `,"collectionName":`...), b.col.Name)
	return nil
}

// addr returns the listening address.
func (b *baseline) addr() string { return b.ln.Addr().String() }

// poolSize returns the pool's maximum number of connections.
func (b *baseline) poolSize() int32 { return b.pool.Config().MaxConns }

// handle routes /api/collections/<name>/records[/<id>].
func (b *baseline) handle(ctx *fasthttp.RequestCtx) {
	rest, ok := bytes.CutPrefix(ctx.Path(), b.prefix)
	switch {
	case !ok:
		writeError(ctx, fasthttp.StatusNotFound, "The requested resource wasn't found.")
	case len(rest) == 0 || string(rest) == "/":
		switch {
		case ctx.IsGet():
			b.list(ctx)
		case ctx.IsPost():
			b.create(ctx)
		default:
			writeError(ctx, fasthttp.StatusMethodNotAllowed, "Method Not Allowed")
		}
	case rest[0] == '/' && bytes.IndexByte(rest[1:], '/') < 0:
		if !ctx.IsGet() {
			writeError(ctx, fasthttp.StatusMethodNotAllowed, "Method Not Allowed")
			return
		}
		b.view(ctx, string(rest[1:]))
	default:
		writeError(ctx, fasthttp.StatusNotFound, "The requested resource wasn't found.")
	}
}

// fail answers 500 and keeps the first such error for the report.
func (b *baseline) fail(ctx *fasthttp.RequestCtx, err error) {
	b.errOnce.Do(func() { b.firstErr = err.Error() })
	writeError(ctx, fasthttp.StatusInternalServerError, "Something went wrong while processing your request.")
}

// writeError answers in PocketBase's error shape.
func writeError(ctx *fasthttp.RequestCtx, status int, message string) {
	ctx.SetStatusCode(status)
	ctx.SetContentType("application/json")
	buf := append([]byte(`{"status":`), strconv.Itoa(status)...)
	buf = append(buf, `,"message":`...)
	buf = appendJSONString(buf, message)
	buf = append(buf, `,"data":{}}`...)
	ctx.Response.SetBodyRaw(buf)
}

// close stops serving and closes the pool.
func (b *baseline) close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := b.srv.ShutdownWithContext(ctx)
	if serr := <-b.served; err == nil {
		err = serr
	}
	b.pool.Close()
	return err
}
