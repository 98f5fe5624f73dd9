package collections

import (
	"encoding/json"
	"fmt"
)

func init() {
	RegisterFieldType("json", func() FieldOptions { return &JSONOptions{} })
}

// JSONOptions configures a field holding any JSON value (jsonb).
type JSONOptions struct {
	MaxSize int `json:"maxSize"`
}

// Storage implements FieldOptions.
func (o *JSONOptions) Storage() Storage { return StorageJSON }

// Check implements FieldOptions.
func (o *JSONOptions) Check(Lookup, *Collection, *Field) *FieldError {
	if o.MaxSize < 0 {
		return &FieldError{Option: "maxSize", Code: "validation_invalid_range", Message: "maxSize must be positive."}
	}
	return nil
}

// Prepare implements FieldOptions.
func (o *JSONOptions) Prepare(v any) (any, *FieldError) {
	if v == nil {
		return nil, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, &FieldError{Code: "validation_invalid_json", Message: "Must be valid JSON."}
	}
	max := o.MaxSize
	if max == 0 {
		max = 1 << 20
	}
	if len(b) > max {
		return nil, &FieldError{Code: "validation_json_size_limit", Message: fmt.Sprintf("The maximum allowed JSON size is %d bytes.", max)}
	}
	return json.RawMessage(b), nil
}
