package collections

import (
	"fmt"
	"slices"
)

func init() {
	RegisterFieldType("select", func() FieldOptions { return &SelectOptions{} })
}

// SelectOptions configures a field whose values come from a fixed list.
// MaxSelect above 1 makes it multi-valued (stored as text[]).
type SelectOptions struct {
	Values    []string `json:"values"`
	MaxSelect int      `json:"maxSelect"`
}

// Multi reports whether the field holds several values.
func (o *SelectOptions) Multi() bool { return o.MaxSelect > 1 }

// Storage implements FieldOptions.
func (o *SelectOptions) Storage() Storage {
	if o.Multi() {
		return StorageTextArray
	}
	return StorageText
}

// Check implements FieldOptions.
func (o *SelectOptions) Check(Lookup, *Collection, *Field) *FieldError {
	// As PocketBase accepts them: a value listed twice counts once, and
	// a blank one is no choice (the empty value means none).
	values := make([]string, 0, len(o.Values))
	for _, v := range o.Values {
		if v != "" && !slices.Contains(values, v) {
			values = append(values, v)
		}
	}
	if len(values) == 0 {
		return &FieldError{Option: "values", Code: "validation_required", Message: "values must list at least one choice."}
	}
	o.Values = values
	if o.MaxSelect < 1 {
		o.MaxSelect = 1
	}
	return nil
}

// Prepare implements FieldOptions.
func (o *SelectOptions) Prepare(v any) (any, *FieldError) {
	list, ferr := toStringList(v)
	if ferr != nil {
		return nil, ferr
	}
	if !o.Multi() && len(list) > 1 {
		list = list[len(list)-1:] // the last one given counts, as in PocketBase
	}
	for _, s := range list {
		if !slices.Contains(o.Values, s) {
			return nil, &FieldError{Code: "validation_invalid_value", Message: fmt.Sprintf("Invalid value %q.", s)}
		}
	}
	if !o.Multi() {
		if len(list) == 0 {
			return "", nil
		}
		return list[0], nil
	}
	if len(list) > o.MaxSelect {
		return nil, &FieldError{Code: "validation_too_many_values", Message: fmt.Sprintf("Select no more than %d.", o.MaxSelect)}
	}
	return list, nil
}

// toStringList accepts a string or a list of strings and returns the distinct
// non-empty strings in order.
func toStringList(v any) ([]string, *FieldError) {
	var raw []any
	switch x := v.(type) {
	case nil:
		return []string{}, nil
	case string:
		raw = []any{x}
	case []string:
		for _, s := range x {
			raw = append(raw, s)
		}
	case []any:
		raw = x
	default:
		return nil, &FieldError{Code: "validation_invalid_value", Message: "Must be a string or a list of strings."}
	}
	out := make([]string, 0, len(raw))
	for _, r := range raw {
		s, ok := r.(string)
		if !ok {
			return nil, &FieldError{Code: "validation_invalid_value", Message: "Must be a string or a list of strings."}
		}
		if s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out, nil
}
