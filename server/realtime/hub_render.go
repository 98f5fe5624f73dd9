package realtime

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/lumbunghq/lumbung/collections"
	"github.com/lumbunghq/lumbung/collections/filter"
)

// render returns the record of e as caller may see it, or nil when caller
// may not view it. The row of the event (the old one for deletes) is
// judged in memory with the caller's view conditions and projected to its
// readable fields. When a condition needs the database, a created or
// updated record is loaded through the records service instead (the same
// decision and projection as a REST view, of the record as it is now), and
// a deleted one is skipped.
func (h *Hub) render(ctx context.Context, caller collections.Caller, e Event) ([]byte, error) {
	col, ok := h.cfg.Records.Collection(e.CollectionID)
	if !ok {
		return nil, nil
	}
	row := e.New
	if e.Action == "delete" {
		row = e.Old
	}
	rec, err := decodeRow(col, row)
	if err != nil {
		return nil, err
	}
	ok, needsDB, err := mayView(caller, col, rec)
	if err != nil {
		return nil, err
	}
	if needsDB {
		if e.Action == "delete" {
			return nil, nil // the row is gone: nothing to check against
		}
		// The record as it is now, through the same decision as REST.
		rec, err = h.cfg.Records.RecordsAs(caller).Get(ctx, col, e.RecordID)
		if err != nil {
			switch collections.ErrorCode(err) {
			case collections.ENOTFOUND, collections.EFORBIDDEN:
				return nil, nil
			}
			return nil, err
		}
		ok = true
	}
	if !ok {
		return nil, nil
	}
	return rec.AppendJSON(nil, nil, false)
}

// mayView decides in memory whether caller may view rec, and restricts rec
// to the fields caller may read as the records service does. needsDB is
// set when no condition held and one could not be evaluated in memory.
func mayView(caller collections.Caller, c *collections.Collection, rec *collections.Record) (ok, needsDB bool, err error) {
	if caller == nil {
		return true, false, nil
	}
	acc := caller.Access(c, collections.ActionView)
	if !acc.Allowed {
		return false, false, nil
	}
	auth := caller.Auth()
	if len(acc.Conditions) > 0 {
		env := filter.Env{Root: c, Auth: auth, Now: time.Now().UTC()}
		matched := false
		for _, cond := range acc.Conditions {
			expr, err := filter.Parse(cond)
			if err != nil {
				return false, false, err
			}
			ok, err := filter.Eval(expr, env, rec.Data)
			if errors.Is(err, filter.ErrNeedsDatabase) {
				needsDB = true
				continue
			}
			if err != nil {
				return false, false, err
			}
			if ok {
				matched = true
				break
			}
		}
		if !matched {
			return false, needsDB, nil
		}
	}
	rec.Restrict(acc.Fields)
	if c.Type == collections.TypeAuth && !ownEmail(auth, c, rec) {
		rec.Restrict(withoutField(c, acc.Fields, "email"))
	}
	return true, false, nil
}

// ownEmail reports whether the email of auth record rec may be shown:
// its owner asks or emailVisibility is set.
func ownEmail(auth map[string]any, c *collections.Collection, rec *collections.Record) bool {
	if visible, _ := rec.Data["emailVisibility"].(bool); visible {
		return true
	}
	return auth != nil && auth["collectionId"] == c.ID && auth["id"] == rec.ID()
}

// withoutField returns fields (nil: all of c) less name.
func withoutField(c *collections.Collection, fields []string, name string) []string {
	if fields == nil {
		for _, f := range c.Fields {
			fields = append(fields, f.Name)
		}
	}
	out := make([]string, 0, len(fields))
	for _, f := range fields {
		if f != name {
			out = append(out, f)
		}
	}
	return out
}

// decodeRow turns a captured row (to_jsonb of the table row) into a record
// with the canonical values the store would scan.
func decodeRow(c *collections.Collection, raw json.RawMessage) (*collections.Record, error) {
	var row map[string]json.RawMessage
	if err := json.Unmarshal(raw, &row); err != nil {
		return nil, fmt.Errorf("decode row of %s: %w", c.Name, err)
	}
	rec := collections.NewRecord(c)
	for _, f := range c.Fields {
		v, err := decodeValue(f, row[f.Name])
		if err != nil {
			return nil, fmt.Errorf("decode %s.%s: %w", c.Name, f.Name, err)
		}
		rec.Data[f.Name] = v
	}
	return rec, nil
}

func decodeValue(f *collections.Field, raw json.RawMessage) (any, error) {
	null := len(raw) == 0 || string(raw) == "null"
	switch f.Storage() {
	case collections.StorageNumber:
		var n float64
		if null {
			return n, nil
		}
		err := json.Unmarshal(raw, &n)
		return n, err
	case collections.StorageBool:
		var b bool
		if null {
			return b, nil
		}
		err := json.Unmarshal(raw, &b)
		return b, err
	case collections.StorageTime:
		if null {
			return nil, nil
		}
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, err
		}
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return nil, err
		}
		return t.UTC(), nil
	case collections.StorageJSON:
		if null {
			return nil, nil
		}
		return json.RawMessage(append([]byte(nil), raw...)), nil
	case collections.StorageTextArray:
		list := []string{}
		if null {
			return list, nil
		}
		err := json.Unmarshal(raw, &list)
		return list, err
	default: // text and references
		var s string
		if null {
			return s, nil
		}
		err := json.Unmarshal(raw, &s)
		return s, err
	}
}
