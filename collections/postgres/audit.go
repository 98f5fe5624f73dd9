package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/lumbunghq/lumbung/collections"
	"github.com/lumbunghq/lumbung/collections/filter"
)

// Audit keeps the audit log in _audit, filled from the change log by the
// audit consumer whose position is the 'audit' row of _event_consumers.
// Filters and sorts compile with the filter language against a collection
// whose fields are the entry's (as the request log's do).
type Audit struct {
	db     *DB
	schema *collections.Collection
}

var _ collections.AuditStore = (*Audit)(nil)

// auditFields are the fields of an entry that filters and sorts name: the
// columns of _audit, named alike.
var auditFields = []struct{ name, typ string }{
	{"actor", "text"}, {"requestId", "text"}, {"ip", "text"}, {"collectionId", "text"},
	{"collectionName", "text"}, {"recordId", "text"}, {"action", "text"}, {"created", "date"},
}

// auditConsumer is the audit's row of _event_consumers.
const auditConsumer = "audit"

// NewAudit returns the audit log of db.
func NewAudit(db *DB) *Audit {
	schema := &collections.Collection{Name: "_audit"}
	for _, f := range auditFields {
		field, err := collections.NewField(f.name, f.typ)
		if err != nil {
			panic(err) // the names and types above are valid
		}
		schema.Fields = append(schema.Fields, field)
	}
	return &Audit{db: db, schema: schema}
}

// StartAudit implements collections.AuditStore.
func (s *Audit) StartAudit(ctx context.Context) error {
	_, err := s.db.Pool.Exec(ctx, "INSERT INTO _event_consumers (id, seq) VALUES ($1, _events_horizon()) ON CONFLICT (id) DO NOTHING", auditConsumer)
	if err != nil {
		return fmt.Errorf("start audit: %w", err)
	}
	return nil
}

// ConsumeAudit implements collections.AuditStore. The position's row stays
// locked from its read to the commit that writes the entries and moves
// it: another node skips the batch instead of writing it twice, and
// entries and position commit together or not at all. Events are read up
// to the log's horizon (see Events) in a statement after the one that
// computed it.
func (s *Audit) ConsumeAudit(ctx context.Context, limit int, fn func([]collections.Event) []collections.AuditEntry) (int, error) {
	handled := 0
	err := pgx.BeginFunc(ctx, s.db.Pool, func(tx pgx.Tx) error {
		// The position's row and the log's horizon in one statement; the
		// events in the next (a later snapshot, as the horizon requires).
		// Entries and position commit together: a commit lost to a crash
		// loses both, and the events are audited again, so the commit need
		// not wait for the disk.
		var after, horizon int64
		err := tx.QueryRow(ctx, `SELECT seq, _events_horizon() FROM _event_consumers, set_config('synchronous_commit', 'off', true)
			WHERE id = $1 FOR UPDATE OF _event_consumers SKIP LOCKED`, auditConsumer).Scan(&after, &horizon)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil // another node is at work
		}
		if err != nil {
			return err
		}
		if horizon <= after {
			return nil
		}
		evs, err := auditEvents(ctx, tx, after, horizon, limit)
		if err != nil {
			return err
		}
		next := horizon
		if len(evs) == limit {
			next = evs[len(evs)-1].Seq
		}
		if err := addAudit(ctx, tx, fn(evs), next); err != nil {
			return err
		}
		handled = len(evs)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("audit: %w", err)
	}
	return handled, nil
}

// auditEvents reads up to limit events with after < seq <= horizon.
func auditEvents(ctx context.Context, tx pgx.Tx, after, horizon int64, limit int) ([]collections.Event, error) {
	rows, err := tx.Query(ctx, `SELECT seq, collection_id, action, record_id, new, old, created, actor, request_id, ip
		FROM _events WHERE seq > $1 AND seq <= $2 ORDER BY seq LIMIT $3`, after, horizon, limit)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (collections.Event, error) {
		var e collections.Event
		var nw, old []byte
		err := row.Scan(&e.Seq, &e.CollectionID, &e.Action, &e.RecordID, &nw, &old, &e.Created, &e.Actor, &e.RequestID, &e.IP)
		if nw != nil {
			e.New = nw
		}
		if old != nil {
			e.Old = old
		}
		return e, err
	})
}

// addAuditSQL writes a batch of entries and moves the audit's position in
// one statement; an id already written is skipped.
const addAuditSQL = `WITH added AS (INSERT INTO _audit (id, created, actor, "requestId", ip, "collectionId", "collectionName", "recordId", action, diff, data)
SELECT id, created, actor, req, nullif(ip, ''), cid, cname, rid, action, diff::jsonb, data::jsonb
FROM unnest($1::bigint[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[])
	AS b(id, created, actor, req, ip, cid, cname, rid, action, diff, data)
ON CONFLICT (id) DO NOTHING)
UPDATE _event_consumers SET seq = $12 WHERE id = $13`

// addAudit writes entries and moves the audit's position to next.
func addAudit(ctx context.Context, tx pgx.Tx, entries []collections.AuditEntry, next int64) error {
	n := len(entries)
	ids, created := make([]int64, n), make([]time.Time, n)
	actors, reqs, ips, cids, cnames, rids, actions, diffs, datas := make([]string, n), make([]string, n), make([]string, n),
		make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	for i, e := range entries {
		diff, err := json.Marshal(e.Diff)
		if err != nil {
			return err
		}
		data, err := json.Marshal(e.Data)
		if err != nil {
			return err
		}
		ids[i], created[i], actors[i], reqs[i], ips[i] = e.ID, e.Created, e.Actor, e.RequestID, e.IP
		cids[i], cnames[i], rids[i], actions[i], diffs[i], datas[i] = e.CollectionID, e.CollectionName, e.RecordID, e.Action, string(diff), string(data)
	}
	_, err := tx.Exec(ctx, addAuditSQL, ids, created, actors, reqs, ips, cids, cnames, rids, actions, diffs, datas, next, auditConsumer)
	return err
}

// where returns the condition on _audit AS a of q, with its arguments.
func (s *Audit) where(q collections.AuditQuery) (string, []any, error) {
	cond, args := "a.created > $1", []any{q.After}
	if q.CollectionID != "" {
		args = append(args, q.CollectionID, q.RecordID)
		cond += ` AND a."collectionId" = $2 AND a."recordId" = $3`
	}
	if strings.TrimSpace(q.Filter) == "" {
		return cond, args, nil
	}
	expr, err := filter.Parse(q.Filter)
	if err != nil {
		return "", nil, err
	}
	fcond, fargs, err := filter.SQL(expr, filter.Env{Root: s.schema, Now: q.Now.UTC()}, "a", len(args))
	if err != nil {
		return "", nil, err
	}
	return cond + " AND (" + fcond + ")", append(args, fargs...), nil
}

const auditColumns = `a.id, a.created, a.actor, a."requestId", coalesce(a.ip, ''), a."collectionId", a."collectionName", a."recordId", a.action, a.diff, a.data`

// scanAudit reads the columns of auditColumns.
func scanAudit(row pgx.Row) (collections.AuditEntry, error) {
	var e collections.AuditEntry
	var diff, data []byte
	if err := row.Scan(&e.ID, &e.Created, &e.Actor, &e.RequestID, &e.IP, &e.CollectionID, &e.CollectionName, &e.RecordID, &e.Action, &diff, &data); err != nil {
		return e, err
	}
	if err := json.Unmarshal(diff, &e.Diff); err != nil {
		return e, err
	}
	return e, json.Unmarshal(data, &e.Data)
}

// Audit implements collections.AuditStore.
func (s *Audit) Audit(ctx context.Context, q collections.AuditQuery) ([]collections.AuditEntry, int, error) {
	where, wargs, err := s.where(q)
	if err != nil {
		return nil, 0, err
	}
	order, sargs := "a.id DESC", []any(nil)
	if strings.TrimSpace(q.Sort) != "" {
		by, args, err := filter.ParseSort(q.Sort, filter.Env{Root: s.schema, Now: q.Now.UTC()}, "a", len(wargs))
		if err != nil {
			return nil, 0, err
		}
		order, sargs = by+", a.id", args
	}
	return listPage(ctx, s.db, "audit", "_audit AS a", auditColumns, where, order, wargs, sargs, q.Limit, q.Offset,
		func(row pgx.CollectableRow) (collections.AuditEntry, error) { return scanAudit(row) })
}

// AuditEntry implements collections.AuditStore.
func (s *Audit) AuditEntry(ctx context.Context, id int64, after time.Time) (collections.AuditEntry, error) {
	e, err := scanAudit(s.db.Pool.QueryRow(ctx, "SELECT "+auditColumns+" FROM _audit AS a WHERE a.id = $1 AND a.created > $2", id, after))
	if errors.Is(err, pgx.ErrNoRows) {
		return e, collections.Errorf(collections.ENOTFOUND, "The requested resource wasn't found.")
	}
	if err != nil {
		return e, fmt.Errorf("audit entry: %w", err)
	}
	return e, nil
}

// PruneAudit implements collections.AuditStore. Every node prunes; the
// delete is idempotent.
func (s *Audit) PruneAudit(ctx context.Context, before time.Time) (int64, error) {
	tag, err := s.db.Pool.Exec(ctx, "DELETE FROM _audit WHERE created <= $1", before)
	if err != nil {
		return 0, fmt.Errorf("prune audit: %w", err)
	}
	return tag.RowsAffected(), nil
}
