package collections

import "fmt"

func init() {
	RegisterFieldType("editor", func() FieldOptions { return &EditorOptions{} })
}

// EditorOptions configures a rich text (HTML) field.
type EditorOptions struct {
	MaxSize     int  `json:"maxSize"`
	ConvertURLs bool `json:"convertURLs"`
}

// Storage implements FieldOptions.
func (o *EditorOptions) Storage() Storage { return StorageText }

// Check implements FieldOptions.
func (o *EditorOptions) Check(Lookup, *Collection, *Field) *FieldError {
	if o.MaxSize < 0 {
		return &FieldError{Option: "maxSize", Code: "validation_invalid_range", Message: "maxSize must be positive."}
	}
	return nil
}

// Prepare implements FieldOptions.
func (o *EditorOptions) Prepare(v any) (any, *FieldError) {
	s, ferr := toText(v)
	if ferr != nil {
		return nil, ferr
	}
	max := o.MaxSize
	if max == 0 {
		max = 5 << 20
	}
	if len(s) > max {
		return nil, &FieldError{Code: "validation_content_size_limit", Message: fmt.Sprintf("The maximum allowed content size is %d bytes.", max)}
	}
	return s, nil
}
