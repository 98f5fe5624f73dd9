package collections

import (
	"regexp"
	"strconv"
)

func init() {
	RegisterFieldType("file", func() FieldOptions { return &FileOptions{} })
}

// FileOptions are PocketBase's options of a file field: the names of files
// kept with the record (one, or up to MaxSelect), each at most MaxSize
// bytes (DefaultFileMaxSize when 0) and, when MimeTypes lists any, of one
// of those types. Thumbs lists the thumbnail sizes served for images;
// Protected files are served only to callers who may view the record.
type FileOptions struct {
	MaxSelect int      `json:"maxSelect"`
	MaxSize   int64    `json:"maxSize"`
	MimeTypes []string `json:"mimeTypes"`
	Thumbs    []string `json:"thumbs"`
	Protected bool     `json:"protected"`
}

// DefaultFileMaxSize is the size limit of a file field whose MaxSize is 0,
// PocketBase's 5 MiB.
const DefaultFileMaxSize int64 = 5 << 20

// Multi reports whether the field holds several files.
func (o *FileOptions) Multi() bool { return o.MaxSelect > 1 }

// SizeLimit is the largest file the field accepts, in bytes.
func (o *FileOptions) SizeLimit() int64 {
	if o.MaxSize <= 0 {
		return DefaultFileMaxSize
	}
	return o.MaxSize
}

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
	for _, t := range o.Thumbs {
		if !validThumbSize(t) {
			return &FieldError{Option: "thumbs", Code: "validation_invalid_thumb_size",
				Message: "Each thumb size must be WxH, WxHt, WxHb, WxHf, 0xH or Wx0 (not 0x0), such as 100x100."}
		}
	}
	return nil
}

// Prepare implements FieldOptions: the value is a file name, uploads, or
// a list of them; names of files kept from the record's value, uploads by
// the name they will be stored under. A single-file field keeps the last
// one given, as PocketBase does.
func (o *FileOptions) Prepare(v any) (any, *FieldError) {
	if !validFileValue(v) {
		return nil, &FieldError{Code: "validation_invalid_value", Message: "Must be a file name or a list of them."}
	}
	names := FileNames(v)
	if !o.Multi() {
		if len(names) == 0 {
			return "", nil
		}
		return names[len(names)-1], nil
	}
	if len(names) > o.MaxSelect {
		return nil, &FieldError{Code: "validation_too_many_files", Message: "The maximum allowed files is " + strconv.Itoa(o.MaxSelect)}
	}
	if names == nil {
		names = []string{}
	}
	return names, nil
}

var thumbSize = regexp.MustCompile(`^(\d+)x(\d+)(t|b|f)?$`)

// validThumbSize reports whether s is a thumbnail size PocketBase accepts.
func validThumbSize(s string) bool {
	m := thumbSize.FindStringSubmatch(s)
	return m != nil && !(m[1] == "0" && m[2] == "0") && len(m[1]) <= 5 && len(m[2]) <= 5
}
