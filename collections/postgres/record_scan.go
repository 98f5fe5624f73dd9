package postgres

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/lumbunghq/lumbung/collections"
)

// selectList writes the column list of c's fields for alias. View columns
// are cast to the types their fields were derived as.
func selectList(c *collections.Collection, alias string) string {
	var b strings.Builder
	for i, f := range c.Fields {
		if i > 0 {
			b.WriteString(", ")
		}
		col := alias + "." + ident(f.Name)
		if c.Type == collections.TypeView {
			switch f.Storage() {
			case collections.StorageNumber:
				col = col + "::double precision"
			case collections.StorageTime:
				col = col + "::timestamptz"
			case collections.StorageJSON:
				col = "to_jsonb(" + col + ")"
			case collections.StorageBool:
				col = col + "::boolean"
			case collections.StorageTextArray:
				col = col + "::text[]"
			default:
				col = col + "::text"
			}
		}
		b.WriteString(col)
	}
	return b.String()
}

// scanner holds typed destinations for one row of c, reused across rows.
type scanner struct {
	c    *collections.Collection
	dest []any
}

func newScanner(c *collections.Collection) *scanner {
	s := &scanner{c: c, dest: make([]any, len(c.Fields))}
	for i, f := range c.Fields {
		// NOT NULL columns scan straight into values; view columns may be NULL.
		nullable := c.Type == collections.TypeView
		switch f.Storage() {
		case collections.StorageNumber:
			if nullable {
				s.dest[i] = new(*float64)
			} else {
				s.dest[i] = new(float64)
			}
		case collections.StorageBool:
			if nullable {
				s.dest[i] = new(*bool)
			} else {
				s.dest[i] = new(bool)
			}
		case collections.StorageText:
			if nullable {
				s.dest[i] = new(*string)
			} else {
				s.dest[i] = new(string)
			}
		case collections.StorageTime:
			s.dest[i] = new(*time.Time)
		case collections.StorageJSON:
			s.dest[i] = new([]byte)
		case collections.StorageTextArray:
			s.dest[i] = new([]string)
		default:
			s.dest[i] = new(*string)
		}
	}
	return s
}

// record converts the scanned destinations to a record with canonical values.
func (s *scanner) record() *collections.Record {
	r := collections.NewRecord(s.c)
	for i, f := range s.c.Fields {
		var v any
		switch d := s.dest[i].(type) {
		case *float64:
			v = *d
		case *bool:
			v = *d
		case *string:
			v = *d
		case **float64:
			v = 0.0
			if *d != nil {
				v = **d
			}
		case **bool:
			v = false
			if *d != nil {
				v = **d
			}
		case **time.Time:
			if *d != nil {
				v = (*d).UTC()
			}
		case *[]byte:
			if *d != nil {
				v = json.RawMessage(append([]byte(nil), *d...))
			}
		case *[]string:
			if *d == nil {
				v = []string{}
			} else {
				v = append([]string(nil), *d...)
			}
		case **string:
			v = ""
			if *d != nil {
				v = **d
			}
		}
		if _, ok := f.Options.(*collections.GeoPointOptions); ok {
			v = collections.StoredGeoPoint(v)
		}
		r.Data[f.Name] = v
	}
	return r
}

// arg converts a canonical value of f to a query argument.
func arg(f *collections.Field, v any) any {
	switch x := v.(type) {
	case nil:
		switch f.Storage() {
		case collections.StorageText:
			return ""
		case collections.StorageNumber:
			return 0.0
		case collections.StorageBool:
			return false
		case collections.StorageTextArray:
			return []string{}
		}
		return nil
	case string:
		if x == "" && f.Storage() == collections.StorageRef {
			return nil
		}
	case json.RawMessage:
		if len(x) == 0 {
			return nil
		}
		return []byte(x)
	case time.Time:
		if x.IsZero() {
			return nil
		}
	case []string:
		if x == nil {
			return []string{}
		}
	}
	return v
}
