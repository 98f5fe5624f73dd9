package collections

import "fmt"

func init() {
	RegisterFieldType("file", func() FieldOptions { return &FileOptions{} })
}

// FileOptions are PocketBase's options of a file field: the names of files
// kept with the record (one, or up to MaxSelect).
//
// Lumbung keeps the field, its options and its column (file names, as
// PocketBase stores them), so that schemas with file fields import and
// their records can be written, but it does not store files yet: a write
// may only leave the field empty (see Prepare).
type FileOptions struct {
	MaxSelect int      `json:"maxSelect"`
	MaxSize   int64    `json:"maxSize"`
	MimeTypes []string `json:"mimeTypes"`
	Thumbs    []string `json:"thumbs"`
	Protected bool     `json:"protected"`
}

// Multi reports whether the field holds several files.
func (o *FileOptions) Multi() bool { return o.MaxSelect > 1 }

// Storage implements FieldOptions: a file name, or a list of them.
func (o *FileOptions) Storage() Storage {
	if o.Multi() {
		return StorageTextArray
	}
	return StorageText
}

// Check implements FieldOptions.
func (o *FileOptions) Check(Lookup, *Collection, *Field) *FieldError {
	if o.MaxSelect < 1 {
		o.MaxSelect = 1
	}
	if o.MaxSize < 0 {
		return &FieldError{Option: "maxSize", Code: "validation_min_greater_equal_than_required", Message: "Must be at least 0."}
	}
	if o.MimeTypes == nil {
		o.MimeTypes = []string{}
	}
	if o.Thumbs == nil {
		o.Thumbs = []string{}
	}
	return nil
}

// Prepare implements FieldOptions. Without file storage the only value a
// write may give is an empty one; anything else is refused, so that no
// record claims a file that was never stored.
func (o *FileOptions) Prepare(v any) (any, *FieldError) {
	list, ferr := toStringList(v)
	if ferr != nil {
		return nil, &FieldError{Code: "validation_invalid_value", Message: "Must be a file name or a list of them."}
	}
	if len(list) > 0 {
		return nil, &FieldError{Code: "validation_file_unsupported", Message: fmt.Sprintf("File uploads are not supported yet: %q can only be left empty.", list[0])}
	}
	if o.Multi() {
		return []string{}, nil
	}
	return "", nil
}
