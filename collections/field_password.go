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
	// PocketBase's codes and messages; bcrypt reads 72 bytes at most.
	maxLen := o.Max
	if maxLen <= 0 || maxLen > 71 {
		maxLen = 71
	}
	switch n := utf8.RuneCountInString(s); {
	case n < o.Min:
		return nil, &FieldError{Code: "validation_min_text_constraint", Message: fmt.Sprintf("Must be at least %d character(s)", o.Min)}
	case n > maxLen || len(s) > 71:
		return nil, &FieldError{Code: "validation_max_text_constraint", Message: fmt.Sprintf("Must be less than %d character(s)", maxLen)}
	}
	return s, nil
}
