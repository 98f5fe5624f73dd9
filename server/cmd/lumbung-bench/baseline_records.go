package main

import (
	"encoding/json"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/valyala/fasthttp"
)

// maxPerPage is the largest page Lumbung returns.
const maxPerPage = 1000

// list answers GET …/records with page, perPage, skipTotal and a filter of
// the forms the baseline understands: textField='value' and
// textField!='value'.
func (b *baseline) list(ctx *fasthttp.RequestCtx) {
	args := ctx.QueryArgs()
	page, perPage := 1, 30
	for _, p := range []struct {
		name string
		dst  *int
	}{{"page", &page}, {"perPage", &perPage}} {
		if v := args.Peek(p.name); len(v) > 0 {
			n, err := strconv.Atoi(string(v))
			if err != nil || n < 1 {
				writeError(ctx, fasthttp.StatusBadRequest, p.name+" must be a positive integer.")
				return
			}
			*p.dst = n
		}
	}
	perPage = min(perPage, maxPerPage)
	skipTotal, _ := strconv.ParseBool(string(args.Peek("skipTotal")))
	where, qargs := "", []any(nil)
	if f := strings.TrimSpace(string(args.Peek("filter"))); f != "" {
		col, op, val, ok := b.parseFilter(f)
		if !ok {
			writeError(ctx, fasthttp.StatusBadRequest, "The baseline only understands filters of the forms textField='value' and textField!='value'.")
			return
		}
		// As Lumbung compiles them for a text column that is never NULL:
		// every parameter cast, the alias quoted, a non-empty value.
		where, qargs = " WHERE "+pgx.Identifier{"r", col}.Sanitize()+" "+op+" $1::text", []any{val}
	}
	sel := b.selectFrom + where + b.orderBy +
		" LIMIT " + strconv.Itoa(perPage) + " OFFSET " + strconv.Itoa((page-1)*perPage)

	total := int64(-1)
	var rows pgx.Rows
	var err error
	if skipTotal {
		rows, err = b.pool.Query(ctx, sel, qargs...)
	} else {
		batch := &pgx.Batch{}
		batch.Queue(b.countFrom+where, qargs...)
		batch.Queue(sel, qargs...)
		br := b.pool.SendBatch(ctx, batch)
		defer br.Close()
		if err = br.QueryRow().Scan(&total); err != nil {
			b.fail(ctx, err)
			return
		}
		rows, err = br.Query()
	}
	if err != nil {
		b.fail(ctx, err)
		return
	}
	defer rows.Close()

	buf := make([]byte, 0, 256+perPage*256)
	buf = append(buf, `{"page":`...)
	buf = strconv.AppendInt(buf, int64(page), 10)
	buf = append(buf, `,"perPage":`...)
	buf = strconv.AppendInt(buf, int64(perPage), 10)
	buf = append(buf, `,"totalItems":`...)
	buf = strconv.AppendInt(buf, total, 10)
	buf = append(buf, `,"totalPages":`...)
	totalPages := int64(-1)
	if total >= 0 {
		totalPages = (total + int64(perPage) - 1) / int64(perPage)
	}
	buf = strconv.AppendInt(buf, totalPages, 10)
	buf = append(buf, `,"items":[`...)
	dest := b.newRow()
	for n := 0; rows.Next(); n++ {
		if err := rows.Scan(dest...); err != nil {
			b.fail(ctx, err)
			return
		}
		if n > 0 {
			buf = append(buf, ',')
		}
		buf = b.appendRecord(buf, dest)
	}
	if err := rows.Err(); err != nil {
		b.fail(ctx, err)
		return
	}
	buf = append(buf, "]}"...)
	ctx.SetContentType("application/json")
	ctx.Response.SetBodyRaw(buf)
}

// parseFilter reads textField='value' or textField!='value' (a non-empty
// value) for a text field of the collection and returns the SQL operator.
func (b *baseline) parseFilter(f string) (col, op, val string, ok bool) {
	name, quoted, found := strings.Cut(f, "=")
	name, quoted = strings.TrimSpace(name), strings.TrimSpace(quoted)
	op = "="
	if n, neq := strings.CutSuffix(name, "!"); neq {
		name, op = strings.TrimSpace(n), "<>"
	}
	if !found || len(quoted) < 2 || quoted[0] != '\'' || quoted[len(quoted)-1] != '\'' {
		return "", "", "", false
	}
	val = quoted[1 : len(quoted)-1]
	if strings.ContainsAny(val, `'\`) || (op == "<>" && val == "") {
		return "", "", "", false
	}
	for _, c := range b.columns {
		if c.name == name && c.kind == kindText {
			return name, op, val, true
		}
	}
	return "", "", "", false
}

// view answers GET …/records/<id>.
func (b *baseline) view(ctx *fasthttp.RequestCtx, id string) {
	rows, err := b.pool.Query(ctx, b.selectFrom+" WHERE r.id = $1", id)
	if err != nil {
		b.fail(ctx, err)
		return
	}
	b.writeOne(ctx, rows)
}

// create answers POST …/records: the id is generated, autodate fields get
// the current time, absent fields their zero value.
func (b *baseline) create(ctx *fasthttp.RequestCtx) {
	var in map[string]any
	if err := json.Unmarshal(ctx.PostBody(), &in); err != nil {
		writeError(ctx, fasthttp.StatusBadRequest, "Invalid JSON body.")
		return
	}
	now := time.Now().UTC().Truncate(time.Millisecond)
	args := make([]any, len(b.columns))
	for i, c := range b.columns {
		v, set := in[c.name]
		ok := true
		switch {
		case c.kind == kindAutodate:
			args[i] = now
		case c.name == "id":
			args[i] = newID()
		case c.kind == kindText:
			args[i], ok = v.(string)
			ok = ok || !set
			if !set {
				args[i] = ""
			}
		case c.kind == kindNumber:
			args[i], ok = v.(float64)
			ok = ok || !set
			if !set {
				args[i] = 0.0
			}
		case c.kind == kindBool:
			args[i], ok = v.(bool)
			ok = ok || !set
			if !set {
				args[i] = false
			}
		default:
			args[i], ok = nil, !set
		}
		if !ok {
			writeError(ctx, fasthttp.StatusBadRequest, "Failed to create record.")
			return
		}
	}
	rows, err := b.pool.Query(ctx, b.insert, args...)
	if err != nil {
		b.fail(ctx, err)
		return
	}
	b.writeOne(ctx, rows)
}

// writeOne answers with the single row of rows, or 404.
func (b *baseline) writeOne(ctx *fasthttp.RequestCtx, rows pgx.Rows) {
	defer rows.Close()
	dest := b.newRow()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			b.fail(ctx, err)
			return
		}
		writeError(ctx, fasthttp.StatusNotFound, "The requested resource wasn't found.")
		return
	}
	if err := rows.Scan(dest...); err != nil {
		b.fail(ctx, err)
		return
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		b.fail(ctx, err)
		return
	}
	ctx.SetContentType("application/json")
	ctx.Response.SetBodyRaw(b.appendRecord(make([]byte, 0, 512), dest))
}

const idAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789"

// newID returns a random 15-character record id, [a-z0-9]{15}.
func newID() string {
	var b [15]byte
	for i := range b {
		b[i] = idAlphabet[rand.IntN(len(idAlphabet))]
	}
	return string(b[:])
}
