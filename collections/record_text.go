package collections

import (
	"strings"
	"unicode/utf8"
)

// Prepare validates and normalizes an input value for the field: text
// PostgreSQL cannot store (NUL characters, invalid UTF-8) is refused for
// every field type, in values and in json keys, before the type's own
// rules run.
func (f *Field) Prepare(v any) (any, *FieldError) {
	if !storableText(v) {
		return nil, &FieldError{Code: "validation_invalid_text", Message: "Text cannot contain NUL characters or invalid UTF-8."}
	}
	return f.Options.Prepare(v)
}

// storableText reports whether every string in v (a decoded JSON value or
// a Go value from the record types) is valid UTF-8 without NUL characters.
func storableText(v any) bool {
	switch x := v.(type) {
	case string:
		return strings.IndexByte(x, 0) < 0 && utf8.ValidString(x)
	case []string:
		for _, s := range x {
			if !storableText(s) {
				return false
			}
		}
	case []any:
		for _, it := range x {
			if !storableText(it) {
				return false
			}
		}
	case map[string]any:
		for k, it := range x {
			if !storableText(k) || !storableText(it) {
				return false
			}
		}
	}
	return true
}
