package collections

import (
	"bytes"
	"context"
	"encoding/json"
	"time"
)

// AuditEntry is one change of a record as the audit log keeps it: who made
// it (Actor, "sql" for a write by plain SQL), from where (RequestID, IP),
// when, what (Collection, RecordID, Action) and how (Diff, Data).
type AuditEntry struct {
	// ID is the change's seq in the change log.
	ID             int64
	Created        time.Time
	Actor          string
	RequestID      string
	IP             string // "" when the change came without a request
	CollectionID   string
	CollectionName string
	RecordID       string
	Action         string // "create", "update" or "delete"
	// Diff holds, per field the change set or changed, its value before
	// and after; secret and hidden fields read MaskedValue.
	Diff map[string]AuditChange
	// Data is the record after the change (before it, for a delete),
	// masked alike: what restoring this version writes back.
	Data map[string]json.RawMessage
}

// AuditChange is one field of a change: Old is absent for a create, New
// for a delete.
type AuditChange struct {
	Old json.RawMessage `json:"old,omitempty"`
	New json.RawMessage `json:"new,omitempty"`
}

// MaskedValue stands in the audit for the value of a password, a token
// key or a hidden field.
const MaskedValue = `"***"`

// ActorSQL is the audit's actor of a change made by plain SQL.
const ActorSQL = "sql"

// AuditQuery selects entries of the audit log.
type AuditQuery struct {
	// After leaves out the entries made at or before it (the retention).
	After time.Time
	// CollectionID and RecordID, when set, limit the list to one record's
	// changes (its history).
	CollectionID, RecordID string
	// Filter and Sort are in the filter language over actor, requestId,
	// ip, collectionId, collectionName, recordId, action and created; the
	// default order is newest first.
	Filter, Sort string
	// Now is the instant of the filter's date macros.
	Now time.Time
	// Offset and Limit page the list (Limit 0: no entry, the total only).
	Offset, Limit int
}

// AuditStore keeps the audit log (postgres.Audit). Filters and sorts that
// are not valid fail with EINVALID.
type AuditStore interface {
	// StartAudit gives the audit a position in the change log, at its
	// end, unless it has one: from then on the log keeps the changes the
	// audit has not handled.
	StartAudit(ctx context.Context) error
	// ConsumeAudit claims the audit's position in the change log unless
	// another node holds it, turns up to limit of the events after it
	// into entries with fn, and writes them with the new position in one
	// transaction. It returns how many events it handled (0 when another
	// node holds the position or none are new).
	ConsumeAudit(ctx context.Context, limit int, fn func([]Event) []AuditEntry) (int, error)
	// Audit returns a page of the entries q selects and how many it
	// selects in all.
	Audit(ctx context.Context, q AuditQuery) ([]AuditEntry, int, error)
	// AuditEntry returns entry id if made after after (ENOTFOUND otherwise).
	AuditEntry(ctx context.Context, id int64, after time.Time) (AuditEntry, error)
	// PruneAudit deletes the entries made at or before before and
	// returns how many went.
	PruneAudit(ctx context.Context, before time.Time) (int64, error)
}

// AuditEntryOf turns an event of the change log into its audit entry, with
// c the event's collection as defined now (nil if it is gone): the fields
// it names secret (passwords, token keys) or hidden are masked (a changed
// one still shows as changed), dates are written as records show them.
func AuditEntryOf(e Event, c *Collection) AuditEntry {
	out := AuditEntry{ID: e.Seq, Created: e.Created, Actor: e.Actor, RequestID: e.RequestID, IP: e.IP,
		CollectionID: e.CollectionID, RecordID: e.RecordID, Action: e.Action, Diff: map[string]AuditChange{}}
	if out.Actor == "" {
		out.Actor = ActorSQL
	}
	if c != nil {
		out.CollectionName = c.Name
	}
	old, nw := auditRow(e.Old, c), auditRow(e.New, c)
	for k, v := range nw {
		o, had := old[k]
		switch {
		case had && bytes.Equal(o, v):
			continue
		case !had && e.Action == "create" && emptyJSON(v):
			continue // a create lists the values it set
		}
		ch := AuditChange{New: masked(c, k, v)}
		if had {
			ch.Old = masked(c, k, o)
		}
		out.Diff[k] = ch
	}
	for k, o := range old {
		if _, ok := nw[k]; !ok && (e.Action != "delete" || !emptyJSON(o)) {
			out.Diff[k] = AuditChange{Old: masked(c, k, o)}
		}
	}
	row := nw
	if e.Action == "delete" {
		row = old
	}
	out.Data = make(map[string]json.RawMessage, len(row))
	for k, v := range row {
		out.Data[k] = masked(c, k, v)
	}
	return out
}

// auditRow decodes a captured row (to_jsonb of the table row) into its
// values by column, dates written as records show them.
func auditRow(raw json.RawMessage, c *Collection) map[string]json.RawMessage {
	row := map[string]json.RawMessage{}
	if len(raw) == 0 || json.Unmarshal(raw, &row) != nil {
		return row
	}
	if c == nil {
		return row
	}
	for _, f := range c.Fields {
		v, ok := row[f.Name]
		if !ok || f.Storage() != StorageTime {
			continue
		}
		var s string
		if json.Unmarshal(v, &s) != nil {
			continue
		}
		if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
			b, _ := json.Marshal(t.UTC().Format(DateLayout))
			row[f.Name] = b
		}
	}
	return row
}

// masked returns v, or MaskedValue for a secret or hidden field of c (by
// name alone when c is gone).
func masked(c *Collection, name string, v json.RawMessage) json.RawMessage {
	if c == nil {
		if name == "password" || name == "tokenKey" {
			return json.RawMessage(MaskedValue)
		}
		return v
	}
	if f, ok := c.Field(name); ok && (f.Hidden || f.Secret(c)) {
		return json.RawMessage(MaskedValue)
	}
	return v
}

// emptyJSON reports whether v is a null, an empty string or an empty list.
func emptyJSON(v json.RawMessage) bool {
	switch string(v) {
	case "null", `""`, "[]":
		return true
	}
	return false
}
