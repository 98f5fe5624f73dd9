package collections

import "strings"

func init() {
	RegisterFieldType("bool", func() FieldOptions { return &BoolOptions{} })
}

// BoolOptions configures a boolean field. It has no options; a required bool
// must be true.
type BoolOptions struct{}

// Storage implements FieldOptions.
func (o *BoolOptions) Storage() Storage { return StorageBool }

// Check implements FieldOptions.
func (o *BoolOptions) Check(Lookup, *Collection, *Field) *FieldError { return nil }

// Prepare implements FieldOptions.
func (o *BoolOptions) Prepare(v any) (any, *FieldError) {
	switch x := v.(type) {
	case nil:
		return false, nil
	case bool:
		return x, nil
	case string:
		switch strings.ToLower(strings.TrimSpace(x)) {
		case "true", "1", "on", "yes":
			return true, nil
		case "false", "0", "off", "no", "":
			return false, nil
		}
	case interface{ String() string }:
		switch x.String() {
		case "1":
			return true, nil
		case "0":
			return false, nil
		}
	case float64:
		return x != 0, nil
	}
	return nil, &FieldError{Code: "validation_invalid_bool", Message: "Must be a boolean."}
}
