package collections

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
)

func init() {
	RegisterFieldType("number", func() FieldOptions { return &NumberOptions{} })
}

// NumberOptions configures a number field (double precision).
type NumberOptions struct {
	Min     *float64 `json:"min"`
	Max     *float64 `json:"max"`
	OnlyInt bool     `json:"onlyInt"`
}

// Storage implements FieldOptions.
func (o *NumberOptions) Storage() Storage { return StorageNumber }

// Check implements FieldOptions.
func (o *NumberOptions) Check(Lookup, *Collection, *Field) *FieldError {
	if o.Min != nil && o.Max != nil && *o.Min > *o.Max {
		return &FieldError{Option: "min", Code: "validation_invalid_range", Message: "min must be at most max."}
	}
	return nil
}

// Prepare implements FieldOptions.
func (o *NumberOptions) Prepare(v any) (any, *FieldError) {
	n, ferr := toNumber(v)
	if ferr != nil {
		return nil, ferr
	}
	if n == 0 {
		return n, nil // the empty value, as PocketBase: only required refuses it
	}
	if o.OnlyInt && n != math.Trunc(n) {
		return nil, &FieldError{Code: "validation_only_int_constraint", Message: "Decimal numbers are not allowed"}
	}
	if o.Min != nil && n < *o.Min {
		return nil, &FieldError{Code: "validation_min_number_constraint", Message: fmt.Sprintf("Must be larger than %v.", *o.Min)}
	}
	if o.Max != nil && n > *o.Max {
		return nil, &FieldError{Code: "validation_max_number_constraint", Message: fmt.Sprintf("Must be less than %v.", *o.Max)}
	}
	return n, nil
}

func toNumber(v any) (float64, *FieldError) {
	var n float64
	var err error
	switch x := v.(type) {
	case nil:
		return 0, nil
	case float64:
		n = x
	case int:
		n = float64(x)
	case int64:
		n = float64(x)
	case json.Number:
		n, err = x.Float64()
	case bool:
		if x {
			n = 1
		}
	case string:
		if strings.TrimSpace(x) == "" {
			return 0, nil
		}
		n, err = strconv.ParseFloat(strings.TrimSpace(x), 64)
	default:
		return 0, &FieldError{Code: "validation_invalid_number", Message: "Must be a number."}
	}
	if err != nil || math.IsNaN(n) || math.IsInf(n, 0) {
		return 0, &FieldError{Code: "validation_invalid_number", Message: "Must be a finite number."}
	}
	return n, nil
}
