package collections

import (
	"fmt"
	"unicode/utf8"
)

func init() {
	RegisterFieldType("password", func() FieldOptions { return &PasswordOptions{} })
}

// PasswordOptions configures the password of an auth collection. Values are
// stored as a slow hash and never returned by the API.
type PasswordOptions struct {
	Min  int `json:"min"`
	Max  int `json:"max"`
	Cost int `json:"cost"`
}

// Storage implements FieldOptions.
func (o *PasswordOptions) Storage() Storage { return StorageText }

// Check implements FieldOptions.
func (o *PasswordOptions) Check(_ Lookup, _ *Collection, f *Field) *FieldError {
	if o.Min == 0 {
		o.Min = 8
	}
	if o.Max == 0 || o.Max > 71 { // bcrypt reads at most 72 bytes
		o.Max = 71
	}
	if o.Min > o.Max {
		return &FieldError{Option: "min", Code: "validation_invalid_range", Message: "min must be at most max."}
	}
	f.Hidden = true
	return nil
}

// Prepare implements FieldOptions. It checks the plain password; hashing
// happens in the service.
func (o *PasswordOptions) Prepare(v any) (any, *FieldError) {
	s, ok := v.(string)
	if !ok && v != nil {
		return nil, &FieldError{Code: "validation_invalid_value", Message: "Must be a string."}
	}
	if s == "" {
		return s, nil
	}
	if n := utf8.RuneCountInString(s); n < o.Min || (o.Max > 0 && n > o.Max) || len(s) > 71 {
		return nil, &FieldError{Code: "validation_length_out_of_range", Message: fmt.Sprintf("Must be between %d and %d characters.", o.Min, o.Max)}
	}
	return s, nil
}
