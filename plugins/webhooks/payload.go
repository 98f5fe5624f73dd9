package webhooks

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/lumbunghq/lumbung/collections"
)

// Payload is the body of a delivery: one change of the change log, with
// the record as PocketBase's realtime messages carry it ({"action",
// "record"}) and the collection beside it.
type Payload struct {
	// ID is the event's seq in the change log, as a string; the
	// X-Lumbung-Event-Id header repeats it, for receivers to deduplicate.
	// "test" for a test delivery.
	ID string `json:"id"`
	// Webhook is the id of the webhook delivering it.
	Webhook string `json:"webhook"`
	// Action is "create", "update", "delete" (or "test").
	Action       string `json:"action"`
	Collection   string `json:"collection"`   // its name
	CollectionID string `json:"collectionId"` // its id
	// Record is the record after the change (before it for a delete), as
	// the API writes records, without hidden fields (passwords, token
	// keys).
	Record json.RawMessage `json:"record"`
	// Original is the record before an update.
	Original json.RawMessage `json:"original,omitempty"`
	// Created is when the change was committed ("2006-01-02 15:04:05.000Z").
	Created string `json:"created"`
}

// payload renders event e of collection c for webhook id.
func payload(id string, c *collections.Collection, e *collections.Event) ([]byte, error) {
	p := Payload{ID: strconv.FormatInt(e.Seq, 10), Webhook: id, Action: e.Action, Collection: c.Name,
		CollectionID: c.ID, Created: e.Created.UTC().Format(collections.DateLayout)}
	row := e.New
	if e.Action == "delete" {
		row = e.Old
	}
	var err error
	if p.Record, err = recordJSON(c, row); err != nil {
		return nil, err
	}
	if e.Action == "update" && len(e.Old) > 0 {
		if p.Original, err = recordJSON(c, e.Old); err != nil {
			return nil, err
		}
	}
	return json.Marshal(p)
}

// recordJSON renders a captured row (to_jsonb of the table's row) as the
// API writes records.
func recordJSON(c *collections.Collection, raw json.RawMessage) (json.RawMessage, error) {
	data, err := collections.DecodeRow(c, raw)
	if err != nil {
		return nil, err
	}
	rec := collections.NewRecord(c)
	rec.Data = data
	return rec.AppendJSON(nil, nil, false)
}

// Sign returns the X-Lumbung-Signature header of body sent at t:
// "t=<unix seconds>,v1=<hex HMAC-SHA256 of secret over "<t>.<body>">".
func Sign(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts))
	mac.Write([]byte{'.'})
	mac.Write(body)
	return fmt.Sprintf("t=%s,v1=%s", ts, hex.EncodeToString(mac.Sum(nil)))
}
