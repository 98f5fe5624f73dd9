package collections

import (
	"encoding/json"
	"sort"
	"strconv"
	"time"
)

// Record is one row of a collection. Data holds canonical values keyed by
// field name (see FieldOptions.Prepare); Expand holds related records loaded
// on request, keyed by relation path.
type Record struct {
	Collection *Collection
	Data       map[string]any
	Expand     map[string]any // *Record or []*Record

	readable map[string]bool    // nil: every field; see Restrict
	uploads  map[string]*Upload // files a write adds, by stored name, until it stores them
}

// NewRecord returns an empty record of c.
func NewRecord(c *Collection) *Record {
	return &Record{Collection: c, Data: make(map[string]any, len(c.Fields))}
}

// ID returns the record id.
func (r *Record) ID() string {
	s, _ := r.Data["id"].(string)
	return s
}

// Get returns the value of a field.
func (r *Record) Get(name string) any { return r.Data[name] }

// IDs returns the referenced ids of a relation field value.
func IDs(v any) []string {
	switch x := v.(type) {
	case string:
		if x == "" {
			return nil
		}
		return []string{x}
	case []string:
		return x
	}
	return nil
}

// IsEmpty reports whether v is the empty value of its field: "", 0, false,
// nil, an empty list, or JSON null/""/[]/{}.
func IsEmpty(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return x == ""
	case float64:
		return x == 0
	case bool:
		return !x
	case []string:
		return len(x) == 0
	case time.Time:
		return x.IsZero()
	case json.RawMessage:
		s := string(x)
		return s == "" || s == "null" || s == `""` || s == "[]" || s == "{}"
	}
	return false
}

// Projection decides which fields of a record reach the client. A nil
// *Projection writes every visible field.
type Projection struct {
	all    bool
	fields map[string]*Projection
	// excerpt limits text to N runes (PocketBase's ":excerpt(N,ellipsis)").
	excerpt  int
	ellipsis bool
}

// MarshalJSON writes the record as PocketBase does: collectionId,
// collectionName, the fields in schema order, then expand.
func (r *Record) MarshalJSON() ([]byte, error) {
	return r.AppendJSON(nil, nil, false)
}

// AppendJSON appends the JSON form of r to b. Hidden fields are written only
// when showHidden is set; p narrows the fields (nil for all).
func (r *Record) AppendJSON(b []byte, p *Projection, showHidden bool) ([]byte, error) {
	b = append(b, '{')
	first := true
	key := func(k string) {
		if !first {
			b = append(b, ',')
		}
		first = false
		b = appendString(b, k)
		b = append(b, ':')
	}
	if p.has("collectionId") {
		key("collectionId")
		b = appendString(b, r.Collection.ID)
	}
	if p.has("collectionName") {
		key("collectionName")
		b = appendString(b, r.Collection.Name)
	}
	for _, f := range r.Collection.Fields {
		if (f.Hidden && !showHidden) || !p.has(f.Name) || f.Secret(r.Collection) || !r.canShow(f.Name) {
			continue
		}
		key(f.Name)
		var err error
		if b, err = appendValue(b, f, r.Data[f.Name], p.sub(f.Name)); err != nil {
			return nil, err
		}
	}
	if len(r.Expand) > 0 && p.has("expand") {
		ep := p.sub("expand")
		wrote := false
		names := make([]string, 0, len(r.Expand))
		for name := range r.Expand {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			v := r.Expand[name]
			if !ep.has(name) {
				continue
			}
			if !wrote {
				key("expand")
				b = append(b, '{')
				wrote = true
			} else {
				b = append(b, ',')
			}
			b = appendString(b, name)
			b = append(b, ':')
			var err error
			switch x := v.(type) {
			case *Record:
				b, err = x.AppendJSON(b, ep.sub(name), showHidden)
			case []*Record:
				b = append(b, '[')
				for i, rec := range x {
					if i > 0 {
						b = append(b, ',')
					}
					if b, err = rec.AppendJSON(b, ep.sub(name), showHidden); err != nil {
						break
					}
				}
				b = append(b, ']')
			}
			if err != nil {
				return nil, err
			}
		}
		if wrote {
			b = append(b, '}')
		}
	}
	return append(b, '}'), nil
}

func appendValue(b []byte, f *Field, v any, p *Projection) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		switch f.Storage() {
		case StorageJSON:
			return append(b, "null"...), nil
		case StorageTextArray:
			return append(b, "[]"...), nil
		case StorageNumber:
			return append(b, '0'), nil
		case StorageBool:
			return append(b, "false"...), nil
		}
		return append(b, `""`...), nil
	case string:
		if p != nil && p.excerpt > 0 {
			x = excerpt(x, p.excerpt, p.ellipsis)
		}
		return appendString(b, x), nil
	case float64:
		return strconv.AppendFloat(b, x, 'f', -1, 64), nil
	case bool:
		return strconv.AppendBool(b, x), nil
	case time.Time:
		if x.IsZero() {
			return append(b, `""`...), nil
		}
		return appendString(b, FormatDate(x)), nil
	case json.RawMessage:
		if len(x) == 0 {
			return append(b, "null"...), nil
		}
		return append(b, x...), nil
	case []string:
		b = append(b, '[')
		for i, s := range x {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, s)
		}
		return append(b, ']'), nil
	}
	j, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return append(b, j...), nil
}
