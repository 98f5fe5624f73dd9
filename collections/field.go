package collections

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
)

// Storage is how a field's values are kept in PostgreSQL. The postgres
// package maps each storage to a column type; the filter package uses it to
// choose comparison semantics.
type Storage int

// Storages.
const (
	StorageText      Storage = iota // text NOT NULL DEFAULT ''
	StorageNumber                   // double precision NOT NULL DEFAULT 0
	StorageBool                     // boolean NOT NULL DEFAULT false
	StorageTime                     // timestamptz NULL
	StorageJSON                     // jsonb NULL
	StorageTextArray                // text[] NOT NULL DEFAULT '{}'
	StorageRef                      // text NULL, a foreign key to another collection's id
)

// Field is one column of a collection. Common attributes are struct fields;
// type-specific options live in Options and are flattened into the field's
// JSON object, as PocketBase does.
type Field struct {
	ID          string
	Name        string
	Type        string
	System      bool
	Hidden      bool
	Presentable bool
	Required    bool
	Options     FieldOptions
}

// FieldOptions is the type-specific part of a field. Each field type has one
// implementation (one file per type) registered with RegisterFieldType.
type FieldOptions interface {
	// Storage reports how values are stored.
	Storage() Storage
	// Check validates and normalizes the options themselves.
	Check(s Lookup, c *Collection, f *Field) *FieldError
	// Prepare converts a decoded JSON input value to the field's canonical Go
	// value (string, float64, bool, time.Time or nil, json.RawMessage or nil,
	// []string), reporting a field error when it cannot be converted or
	// violates an option.
	Prepare(v any) (any, *FieldError)
}

// Emptier is implemented by field options whose empty value is not one
// IsEmpty recognizes, such as the point (0, 0) of a geoPoint field.
type Emptier interface {
	IsEmpty(v any) bool
}

// IsEmpty reports whether v is an empty value of f, the value a required
// field refuses.
func (f *Field) IsEmpty(v any) bool {
	if e, ok := f.Options.(Emptier); ok {
		return e.IsEmpty(v)
	}
	return IsEmpty(v)
}

var fieldTypes = map[string]func() FieldOptions{}

// RegisterFieldType adds a field type. It is called from init functions only
// and panics on a duplicate name.
func RegisterFieldType(name string, newOptions func() FieldOptions) {
	if _, dup := fieldTypes[name]; dup {
		panic("collections: duplicate field type " + name)
	}
	fieldTypes[name] = newOptions
}

// FieldTypes returns the registered field type names, sorted.
func FieldTypes() []string {
	names := make([]string, 0, len(fieldTypes))
	for n := range fieldTypes {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// NewField returns a field of the given type with default options.
func NewField(name, typ string) (*Field, error) {
	mk, ok := fieldTypes[typ]
	if !ok {
		return nil, Errorf(EINVALID, "Unknown field type %q.", typ)
	}
	return &Field{Name: name, Type: typ, Options: mk()}, nil
}

// Secret reports whether the field's values never leave the server, not
// even for superusers: passwords and the token key of auth collections.
func (f *Field) Secret(c *Collection) bool {
	return f.Type == "password" || (f.Name == "tokenKey" && c.Type == TypeAuth)
}

// Storage reports how the field's values are stored.
func (f *Field) Storage() Storage { return f.Options.Storage() }

type fieldCommon struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Type        string `json:"type"`
	System      bool   `json:"system"`
	Hidden      bool   `json:"hidden"`
	Presentable bool   `json:"presentable"`
	Required    bool   `json:"required"`
}

// MarshalJSON writes the common attributes and the options as one object.
func (f *Field) MarshalJSON() ([]byte, error) {
	common, err := json.Marshal(fieldCommon{f.ID, f.Name, f.Type, f.System, f.Hidden, f.Presentable, f.Required})
	if err != nil {
		return nil, err
	}
	if f.Options == nil {
		return common, nil
	}
	opts, err := json.Marshal(f.Options)
	if err != nil {
		return nil, err
	}
	if len(opts) <= 2 { // "{}"
		return common, nil
	}
	var b bytes.Buffer
	b.Write(common[:len(common)-1])
	b.WriteByte(',')
	b.Write(opts[1:])
	return b.Bytes(), nil
}

// UnmarshalJSON reads a PocketBase field object. Unknown keys are ignored so
// that exports of other PocketBase versions import.
//
// Its errors are EINVALID with Data keyed by the attribute at fault
// ("type", "min"…); a collection's decoding keys them fields.<i>.<key>.
func (f *Field) UnmarshalJSON(data []byte) error {
	var c fieldCommon
	if err := json.Unmarshal(data, &c); err != nil {
		return fieldDecodeError(fmt.Sprintf("Invalid field definition: %s.", jsonProblem(err)), err)
	}
	mk, ok := fieldTypes[c.Type]
	if !ok {
		msg := fmt.Sprintf("Field %q has unknown type %q.", c.Name, c.Type)
		if c.Type == "" {
			msg = fmt.Sprintf("Field %q has no type.", c.Name)
		}
		return Invalid(msg, map[string]FieldError{"type": {Code: "validation_invalid_type", Message: msg}})
	}
	opts := mk()
	if err := json.Unmarshal(data, opts); err != nil {
		return fieldDecodeError(fmt.Sprintf("Invalid options for field %q: %s.", c.Name, jsonProblem(err)), err)
	}
	*f = Field{ID: c.ID, Name: c.Name, Type: c.Type, System: c.System, Hidden: c.Hidden, Presentable: c.Presentable, Required: c.Required, Options: opts}
	return nil
}

// fieldDecodeError is msg as an EINVALID error, keyed by the attribute
// whose value had the wrong type when err names it.
func fieldDecodeError(msg string, err error) *Error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" {
		return Invalid(msg, map[string]FieldError{te.Field: {Code: "validation_invalid_value", Message: msg}})
	}
	return Errorf(EINVALID, "%s", msg)
}

// jsonProblem describes a JSON decoding error without echoing Go type names.
func jsonProblem(err error) string {
	switch e := err.(type) {
	case *json.UnmarshalTypeError:
		if e.Field != "" {
			return fmt.Sprintf("%q must be a %s", e.Field, jsonKind(e.Type.Kind().String()))
		}
		return "wrong value type"
	case *json.SyntaxError:
		return fmt.Sprintf("malformed JSON at byte %d", e.Offset)
	}
	return "malformed JSON"
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "string"
	case "bool":
		return "boolean"
	case "slice", "array":
		return "list"
	case "map", "struct", "ptr":
		return "object"
	}
	return "number"
}
