package collections

import (
	"encoding/json"
	"time"
)

// Event is one committed row change of a collection table, recorded inside
// the writing transaction (by a trigger, whoever wrote it).
type Event struct {
	Seq          int64
	CollectionID string
	Action       string // "create", "update" or "delete"
	RecordID     string
	New          json.RawMessage // the row after the change; nil for deletes
	Old          json.RawMessage // the row before the change; nil for creates
	Created      time.Time
	// Actor, RequestID and IP are the origin of the change (see Origin);
	// Actor is "" for a write by plain SQL. Only the audit reads them.
	Actor, RequestID, IP string
}
