package collections

import (
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"
)

func init() {
	RegisterFieldType("text", func() FieldOptions { return &TextOptions{} })
}

// TextOptions configures a plain text field.
type TextOptions struct {
	Min                 int    `json:"min"`
	Max                 int    `json:"max"`
	Pattern             string `json:"pattern"`
	AutogeneratePattern string `json:"autogeneratePattern"`
	PrimaryKey          bool   `json:"primaryKey"`

	re *regexp.Regexp
}

// Storage implements FieldOptions.
func (o *TextOptions) Storage() Storage { return StorageText }

// Check implements FieldOptions.
func (o *TextOptions) Check(_ Lookup, _ *Collection, f *Field) *FieldError {
	if o.Min < 0 || o.Max < 0 || (o.Max > 0 && o.Min > o.Max) {
		return &FieldError{Option: "min", Code: "validation_invalid_range", Message: "min and max must be positive and min at most max."}
	}
	if o.PrimaryKey && f.Name != "id" {
		return &FieldError{Option: "primaryKey", Code: "validation_invalid_primary_key", Message: "Only the id field can be the primary key."}
	}
	if o.Pattern != "" {
		re, err := regexp.Compile(o.Pattern)
		if err != nil {
			return &FieldError{Option: "pattern", Code: "validation_invalid_pattern", Message: "Invalid pattern: " + err.Error()}
		}
		o.re = re
	}
	if o.AutogeneratePattern != "" {
		// As PocketBase: try a few values against the field's own rules.
		for range 10 {
			v, err := RandomByPattern(o.AutogeneratePattern)
			if err != nil {
				return &FieldError{Option: "autogeneratePattern", Code: "validation_invalid_autogenerate_pattern", Message: "Invalid autogenerate pattern: " + err.Error()}
			}
			if _, ferr := o.Prepare(v); ferr != nil {
				return &FieldError{Option: "autogeneratePattern", Code: "validation_invalid_autogenerate_pattern_value",
					Message: fmt.Sprintf("The autogenerate pattern could produce invalid field values, e.g. %q.", v)}
			}
		}
	}
	return nil
}

// Autogenerate returns a new value for an empty field on create, from
// AutogeneratePattern ("" when the field has none).
func (o *TextOptions) Autogenerate() string {
	switch o.AutogeneratePattern {
	case "":
		return ""
	case defaultIDPattern:
		return NewID()
	}
	v, err := RandomByPattern(o.AutogeneratePattern)
	if err != nil {
		return "" // Check refused the pattern when the field was saved
	}
	return v
}

// defaultIDPattern is how the id field generates ids unless it says
// otherwise; defaultIDFormat is the format it accepts.
const (
	defaultIDPattern = "[a-z0-9]{15}"
	defaultIDFormat  = "^[a-z0-9]+$"
)

// forbiddenIDChars cannot appear in ids of a collection whose id field has
// its own pattern (ids appear in URLs and file paths), as in PocketBase.
const forbiddenIDChars = "./\\|\"'`<>:?*%$\x00\t\n\r "

// Prepare implements FieldOptions.
func (o *TextOptions) Prepare(v any) (any, *FieldError) {
	s, ferr := toText(v)
	if ferr != nil {
		return nil, ferr
	}
	if s == "" {
		return s, nil
	}
	n := utf8.RuneCountInString(s)
	if o.Min > 0 && n < o.Min {
		return nil, &FieldError{Code: "validation_min_text_constraint", Message: fmt.Sprintf("Must be at least %d character(s).", o.Min)}
	}
	if max := o.Max; (max > 0 && n > max) || (max == 0 && n > 5000) {
		if max == 0 {
			max = 5000
		}
		return nil, &FieldError{Code: "validation_max_text_constraint", Message: fmt.Sprintf("Must be less than %d character(s).", max)}
	}
	if o.Pattern != "" {
		if o.re == nil {
			o.re = regexp.MustCompile(o.Pattern)
		}
		if !o.re.MatchString(s) {
			return nil, &FieldError{Code: "validation_invalid_format", Message: "Invalid value format."}
		}
	}
	if o.PrimaryKey && o.Pattern != defaultIDFormat {
		if i := strings.IndexAny(s, forbiddenIDChars); i >= 0 {
			return nil, &FieldError{Code: "validation_forbidden_pk_character", Message: fmt.Sprintf("%q is not a valid primary key character.", s[i:i+1])}
		}
	}
	return s, nil
}

// toText converts scalar input to a string, as PocketBase casts numbers and
// booleans sent to text fields.
func toText(v any) (string, *FieldError) {
	switch x := v.(type) {
	case nil:
		return "", nil
	case string:
		return x, nil
	case bool:
		if x {
			return "true", nil
		}
		return "false", nil
	case interface{ String() string }: // json.Number
		return x.String(), nil
	case float64:
		return fmt.Sprint(x), nil
	}
	return "", &FieldError{Code: "validation_invalid_value", Message: "Must be a string."}
}
