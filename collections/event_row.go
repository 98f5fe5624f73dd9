package collections

import (
	"encoding/json"
	"fmt"
	"time"
)

// DecodeRow turns a row as the change log captured it (to_jsonb of the
// table row: Event.New, Event.Old) into the values the store would scan,
// by field name.
func DecodeRow(c *Collection, raw json.RawMessage) (map[string]any, error) {
	var row map[string]json.RawMessage
	if err := json.Unmarshal(raw, &row); err != nil {
		return nil, fmt.Errorf("decode row of %s: %w", c.Name, err)
	}
	data := make(map[string]any, len(c.Fields))
	for _, f := range c.Fields {
		v, err := decodeValue(f, row[f.Name])
		if err != nil {
			return nil, fmt.Errorf("decode %s.%s: %w", c.Name, f.Name, err)
		}
		if _, ok := f.Options.(*GeoPointOptions); ok {
			v = StoredGeoPoint(v)
		}
		data[f.Name] = v
	}
	return data, nil
}

func decodeValue(f *Field, raw json.RawMessage) (any, error) {
	null := len(raw) == 0 || string(raw) == "null"
	switch f.Storage() {
	case StorageNumber:
		var n float64
		if null {
			return n, nil
		}
		err := json.Unmarshal(raw, &n)
		return n, err
	case StorageBool:
		var b bool
		if null {
			return b, nil
		}
		err := json.Unmarshal(raw, &b)
		return b, err
	case StorageTime:
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
	case StorageJSON:
		if null {
			return nil, nil
		}
		return json.RawMessage(append([]byte(nil), raw...)), nil
	case StorageTextArray:
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
