package collections

import (
	"strings"
	"time"
)

func init() {
	RegisterFieldType("date", func() FieldOptions { return &DateOptions{} })
}

// DateLayout is how dates are written in records, as PocketBase writes them.
const DateLayout = "2006-01-02 15:04:05.000Z"

// DateOptions configures a date-time field. Min and Max are dates in
// DateLayout (or RFC 3339), or empty.
type DateOptions struct {
	Min string `json:"min"`
	Max string `json:"max"`
}

// Storage implements FieldOptions.
func (o *DateOptions) Storage() Storage { return StorageTime }

// Check implements FieldOptions.
func (o *DateOptions) Check(Lookup, *Collection, *Field) *FieldError {
	for _, s := range []string{o.Min, o.Max} {
		if s == "" {
			continue
		}
		if _, ok := ParseDate(s); !ok {
			return &FieldError{Option: "min", Code: "validation_invalid_date", Message: "min and max must be dates."}
		}
	}
	return nil
}

// Prepare implements FieldOptions.
func (o *DateOptions) Prepare(v any) (any, *FieldError) {
	s, ferr := toText(v)
	if ferr != nil {
		return nil, &FieldError{Code: "validation_invalid_date", Message: "Must be a date."}
	}
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	t, ok := ParseDate(s)
	if !ok {
		return nil, &FieldError{Code: "validation_invalid_date", Message: "Must be a valid date, e.g. 2024-01-31 12:00:00.000Z."}
	}
	if min, ok := ParseDate(o.Min); ok && t.Before(min) {
		return nil, &FieldError{Code: "validation_min_date_constraint", Message: "Must be no earlier than " + FormatDate(min) + "."}
	}
	if max, ok := ParseDate(o.Max); ok && t.After(max) {
		return nil, &FieldError{Code: "validation_max_date_constraint", Message: "Must be no later than " + FormatDate(max) + "."}
	}
	return t, nil
}

var dateLayouts = []string{
	DateLayout,
	"2006-01-02 15:04:05.999999999Z07:00",
	time.RFC3339Nano,
	"2006-01-02 15:04:05Z07:00",
	"2006-01-02 15:04:05",
	"2006-01-02T15:04:05",
	"2006-01-02 15:04",
	"2006-01-02",
}

// ParseDate reads a date in any of the layouts clients commonly send.
// Dates without a zone are UTC.
func ParseDate(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, false
	}
	for _, l := range dateLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// FormatDate writes t in DateLayout, in UTC.
func FormatDate(t time.Time) string { return t.UTC().Format(DateLayout) }
