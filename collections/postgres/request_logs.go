package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/lumbunghq/lumbung/collections"
	"github.com/lumbunghq/lumbung/collections/filter"
)

// RequestLogs keeps the request log of every node in _logs. Filters and
// sorts compile with the filter language against a collection whose
// fields are the log's (logSchema), as a collection's do: identifiers come
// only from that fixed list and values are always parameters.
type RequestLogs struct {
	db     *DB
	schema *collections.Collection
}

var _ collections.LogStore = (*RequestLogs)(nil)

// logFields are the fields of a log entry that filters and sorts name:
// the columns of _logs, named alike.
var logFields = []struct{ name, typ string }{
	{"method", "text"}, {"url", "text"}, {"status", "number"}, {"execTime", "number"},
	{"auth", "text"}, {"authId", "text"}, {"ip", "text"}, {"level", "number"}, {"created", "date"},
}

// NewRequestLogs returns the request log of db.
func NewRequestLogs(db *DB) *RequestLogs {
	schema := &collections.Collection{Name: "_logs"}
	for _, f := range logFields {
		field, err := collections.NewField(f.name, f.typ)
		if err != nil {
			panic(err) // the names and types above are valid
		}
		schema.Fields = append(schema.Fields, field)
	}
	return &RequestLogs{db: db, schema: schema}
}

// addLogsSQL writes a batch in one statement, in the batch's order.
const addLogsSQL = `INSERT INTO _logs (id, created, method, url, status, "execTime", auth, "authId", ip, level)
SELECT id, created, method, url, status, "execTime", auth, "authId", ip, level
FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::text[], $5::float8[], $6::float8[], $7::text[], $8::text[], $9::text[], $10::float8[])
	WITH ORDINALITY AS b(id, created, method, url, status, "execTime", auth, "authId", ip, level, n)
ORDER BY n
ON CONFLICT (id) DO NOTHING`

// AddLogs stores entries in one statement. A log line is not worth a
// wait for the disk: the batch commits without one.
func (s *RequestLogs) AddLogs(ctx context.Context, entries []collections.LogEntry) error {
	if len(entries) == 0 {
		return nil
	}
	n := len(entries)
	ids, methods, urls, auths, authIDs, ips := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	created := make([]time.Time, n)
	statuses, took, levels := make([]float64, n), make([]float64, n), make([]float64, n)
	for i, e := range entries {
		ids[i], created[i], methods[i], urls[i] = e.ID, e.Created, e.Method, e.URL
		statuses[i], took[i], levels[i] = float64(e.Status), e.ExecTime, float64(e.Level())
		auths[i], authIDs[i], ips[i] = e.Auth, e.AuthID, e.IP
	}
	err := pgx.BeginFunc(ctx, s.db.Pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SET LOCAL synchronous_commit = off"); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, addLogsSQL, ids, created, methods, urls, statuses, took, auths, authIDs, ips, levels)
		return err
	})
	if err != nil {
		return fmt.Errorf("add logs: %w", err)
	}
	return nil
}

// where returns the condition on _logs AS l of keep and filter src, with
// its arguments.
func (s *RequestLogs) where(keep collections.LogRetention, src string, now time.Time) (string, []any, error) {
	if keep.None {
		return "FALSE", nil, nil
	}
	cond, args := "l.level >= $1 AND l.created > $2", []any{float64(keep.MinLevel), keep.After}
	if strings.TrimSpace(src) == "" {
		return cond, args, nil
	}
	expr, err := filter.Parse(src)
	if err != nil {
		return "", nil, err
	}
	fcond, fargs, err := filter.SQL(expr, filter.Env{Root: s.schema, Now: now.UTC()}, "l", len(args))
	if err != nil {
		return "", nil, err
	}
	return cond + " AND (" + fcond + ")", append(args, fargs...), nil
}

const logColumns = `l.id, l.created, l.method, l.url, l.status, l."execTime", l.auth, l."authId", l.ip`

// scanLog reads the columns of logColumns.
func scanLog(row pgx.Row) (collections.LogEntry, error) {
	var e collections.LogEntry
	var status float64
	err := row.Scan(&e.ID, &e.Created, &e.Method, &e.URL, &status, &e.ExecTime, &e.Auth, &e.AuthID, &e.IP)
	e.Status = int(status)
	return e, err
}

// Logs returns a page of the entries q selects and their total.
func (s *RequestLogs) Logs(ctx context.Context, q collections.LogQuery) ([]collections.LogEntry, int, error) {
	where, wargs, err := s.where(q.Keep, q.Filter, q.Now)
	if err != nil {
		return nil, 0, err
	}
	// Entries of the same instant keep the order they were written in.
	order, sargs := "l.created DESC, l.seq DESC", []any(nil)
	if strings.TrimSpace(q.Sort) != "" {
		by, args, err := filter.ParseSort(q.Sort, filter.Env{Root: s.schema, Now: q.Now.UTC()}, "l", len(wargs))
		if err != nil {
			return nil, 0, err
		}
		order, sargs = by+", l.seq", args
	}
	return listPage(ctx, s.db, "logs", "_logs AS l", logColumns, where, order, wargs, sargs, q.Limit, q.Offset,
		func(row pgx.CollectableRow) (collections.LogEntry, error) { return scanLog(row) })
}

// LogStats counts the entries q selects by minute, oldest first.
func (s *RequestLogs) LogStats(ctx context.Context, q collections.LogQuery) ([]collections.LogCount, error) {
	where, args, err := s.where(q.Keep, q.Filter, q.Now)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.Pool.Query(ctx, "SELECT date_trunc('minute', l.created, 'UTC'), count(*) FROM _logs AS l WHERE "+where+
		" GROUP BY 1 ORDER BY 1", args...)
	if err != nil {
		return nil, fmt.Errorf("log stats: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (collections.LogCount, error) {
		var c collections.LogCount
		err := row.Scan(&c.Minute, &c.Total)
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("log stats: %w", err)
	}
	return out, nil
}

// Log returns entry id if keep still keeps it.
func (s *RequestLogs) Log(ctx context.Context, id string, keep collections.LogRetention) (collections.LogEntry, error) {
	where, args, err := s.where(keep, "", time.Time{})
	if err != nil {
		return collections.LogEntry{}, err
	}
	args = append(args, id)
	e, err := scanLog(s.db.Pool.QueryRow(ctx, "SELECT "+logColumns+" FROM _logs AS l WHERE "+where+
		" AND l.id = $"+strconv.Itoa(len(args)), args...))
	if errors.Is(err, pgx.ErrNoRows) {
		return collections.LogEntry{}, collections.Errorf(collections.ENOTFOUND, "The requested resource wasn't found.")
	}
	if err != nil {
		return collections.LogEntry{}, fmt.Errorf("log: %w", err)
	}
	return e, nil
}

// PruneLogs deletes the entries keep does not keep. Every node prunes;
// the delete is idempotent.
func (s *RequestLogs) PruneLogs(ctx context.Context, keep collections.LogRetention) (int64, error) {
	var tag interface{ RowsAffected() int64 }
	var err error
	if keep.None {
		tag, err = s.db.Pool.Exec(ctx, "DELETE FROM _logs")
	} else {
		tag, err = s.db.Pool.Exec(ctx, "DELETE FROM _logs WHERE level < $1 OR created <= $2", float64(keep.MinLevel), keep.After)
	}
	if err != nil {
		return 0, fmt.Errorf("prune logs: %w", err)
	}
	return tag.RowsAffected(), nil
}
