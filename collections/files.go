package collections

import (
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Files keeps the bytes of record files, under keys
// "<collectionId>/<recordId>/<name>" (FileKey), as PocketBase lays them
// out. The server implements it over its storage (a folder or a bucket).
type Files interface {
	// Put stores size bytes of r under key, replacing any object there.
	Put(ctx context.Context, key string, r io.Reader, size int64, contentType string) error
	// Delete removes the object under key; a missing one is no error.
	Delete(ctx context.Context, key string) error
	// DeletePrefix removes every object whose key starts with prefix.
	DeletePrefix(ctx context.Context, prefix string) error
}

// FileKey is where file name of record id of collection c is kept.
func FileKey(c *Collection, id, name string) string { return c.ID + "/" + id + "/" + name }

// ThumbsPrefix is where the thumbnails of file name of record id of c are
// kept, beside the file.
func ThumbsPrefix(c *Collection, id, name string) string {
	return c.ID + "/" + id + "/thumbs_" + name + "/"
}

// Upload is a file a write adds to a file field: the name it is stored
// under, the client's name for it, its size and its content type (sniffed
// from its bytes, never taken from the client), and how to read it until
// the write stores it.
type Upload struct {
	Name         string
	OriginalName string
	Size         int64
	ContentType  string
	Open         func() (io.ReadCloser, error)
}

var (
	extInvalid = regexp.MustCompile(`[^\w.*\-+=#]+`)
	wordSplit  = regexp.MustCompile(`[\W_]+`)
)

// StoredName is the name a file the client named name is stored under, as
// PocketBase makes one: the base name in snake case (at most 100
// characters), a random part, and the cleaned extension (or ext, such as
// ".txt", when the name has none): "My Photo.jpg" → "my_photo_k3j2h1g9f8.jpg".
func StoredName(name, ext string) string {
	name = strings.ToValidUTF8(name, "")
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	if len(name) > 300 {
		name = name[len(name)-300:]
	}
	given := ""
	if i := strings.LastIndex(name, "."); i >= 0 {
		given = name[i:]
	}
	clean := "." + strings.Trim(extInvalid.ReplaceAllString(given, ""), ".")
	if clean == "." {
		clean = ext
	}
	if len(clean) > 20 {
		clean = "." + strings.Trim(clean[len(clean)-20:], ".")
	}
	base := snakeCase(strings.Trim(strings.TrimSuffix(name, given), "."))
	if len(base) < 3 {
		base += randomString(10)
	} else if len(base) > 100 {
		cut := 100
		for !utf8.RuneStart(base[cut]) {
			cut--
		}
		base = base[:cut]
	}
	return base + "_" + randomString(10) + clean
}

// snakeCase joins the words of s (split at anything but letters and
// digits, and before an upper-case letter that follows a lower-case one)
// with underscores, in lower case.
func snakeCase(s string) string {
	var b strings.Builder
	for _, word := range wordSplit.Split(s, -1) {
		if word == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('_')
		}
		prev := rune(0)
		for i, r := range word {
			if i > 0 && unicode.IsUpper(r) && !unicode.IsUpper(prev) {
				b.WriteByte('_')
			}
			b.WriteRune(unicode.ToLower(r))
			prev = r
		}
	}
	return b.String()
}

// baseMIME is contentType without its parameters, in lower case.
func baseMIME(contentType string) string {
	t, _, _ := strings.Cut(contentType, ";")
	return strings.ToLower(strings.TrimSpace(t))
}

// mimeAllowed reports whether contentType is one of allowed (compared
// without parameters; "image/*" allows every image).
func mimeAllowed(contentType string, allowed []string) bool {
	t := baseMIME(contentType)
	for _, a := range allowed {
		a = baseMIME(a)
		if a == t || (strings.HasSuffix(a, "/*") && strings.HasPrefix(t, strings.TrimSuffix(a, "*"))) {
			return true
		}
	}
	return false
}

// FileNames returns the file names of a file field's value: a name, a
// list of names, uploads, or a list mixing them.
func FileNames(v any) []string {
	var out []string
	add := func(name string) {
		if name != "" && !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	switch x := v.(type) {
	case string:
		add(x)
	case *Upload:
		add(x.Name)
	case []string:
		for _, s := range x {
			add(s)
		}
	case []*Upload:
		for _, u := range x {
			add(u.Name)
		}
	case []any:
		for _, item := range x {
			for _, n := range FileNames(item) {
				add(n)
			}
		}
	}
	return out
}

// validFileValue reports whether v is a value fileNames understands.
func validFileValue(v any) bool {
	switch x := v.(type) {
	case nil, string, *Upload, []string, []*Upload:
		return true
	case []any:
		for _, item := range x {
			switch item.(type) {
			case string, *Upload:
			default:
				return false
			}
		}
		return true
	}
	return false
}

// collectUploads keeps the uploads of v on rec, by stored name, for save
// to store.
func (rec *Record) collectUploads(v any) {
	add := func(u *Upload) {
		if u == nil {
			return
		}
		if rec.uploads == nil {
			rec.uploads = map[string]*Upload{}
		}
		rec.uploads[u.Name] = u
	}
	switch x := v.(type) {
	case *Upload:
		add(x)
	case []*Upload:
		for _, u := range x {
			add(u)
		}
	case []any:
		for _, item := range x {
			if u, ok := item.(*Upload); ok {
				add(u)
			}
		}
	}
}

// checkFiles reports the file fields of rec whose value names a file that
// is neither kept from old nor uploaded by this write, or an upload over
// the field's size or of a type it does not accept.
func checkFiles(c *Collection, rec, old *Record, errs map[string]FieldError) {
	for _, f := range c.Fields {
		o, ok := f.Options.(*FileOptions)
		if !ok {
			continue
		}
		if _, failed := errs[f.Name]; failed {
			continue
		}
		var kept []string
		if old != nil {
			kept = FileNames(old.Data[f.Name])
		}
		var invalid []string
		for _, name := range FileNames(rec.Data[f.Name]) {
			if slices.Contains(kept, name) {
				continue
			}
			u := rec.uploads[name]
			switch {
			case u == nil:
				if len(name) > 250 {
					name = name[:250]
				}
				invalid = append(invalid, name)
			case u.Size > o.SizeLimit():
				errs[f.Name] = FieldError{Code: "validation_file_size_limit",
					Message: fmt.Sprintf("Failed to upload %q - the maximum allowed file size is %d bytes.", u.OriginalName, o.SizeLimit())}
			case len(o.MimeTypes) > 0 && !mimeAllowed(u.ContentType, o.MimeTypes):
				errs[f.Name] = FieldError{Code: "validation_invalid_mime_type",
					Message: fmt.Sprintf("%q mime type must be one of: %s.", u.Name, strings.Join(o.MimeTypes, ", "))}
			}
			if _, failed := errs[f.Name]; failed {
				break
			}
		}
		if _, failed := errs[f.Name]; !failed && len(invalid) > 0 {
			errs[f.Name] = FieldError{Code: "validation_invalid_file", Message: fmt.Sprintf("Invalid new files: %q.", invalid)}
		}
	}
}

// ErrNoFileStorage is the answer to an upload when the service has no
// Files.
var ErrNoFileStorage = errors.New("collections: no file storage configured")

// putUploads stores the uploads rec's file fields name, before rec is
// written: if the transaction does not commit, they are removed again.
func (r *Records) putUploads(ctx context.Context, rec *Record) error {
	if len(rec.uploads) == 0 {
		return nil
	}
	for _, f := range rec.Collection.Fields {
		if f.Type != "file" {
			continue
		}
		for _, name := range FileNames(rec.Data[f.Name]) {
			u := rec.uploads[name]
			if u == nil {
				continue
			}
			if r.svc.files == nil {
				return ErrNoFileStorage
			}
			key := FileKey(rec.Collection, rec.ID(), name)
			if err := r.putUpload(ctx, key, u); err != nil {
				return err
			}
			delete(rec.uploads, name)
			r.undo(func() {
				if err := r.svc.files.Delete(context.WithoutCancel(ctx), key); err != nil {
					r.svc.log.Error("remove an upload of a write not kept", "key", key, "err", err)
				}
			})
		}
	}
	return nil
}

func (r *Records) putUpload(ctx context.Context, key string, u *Upload) error {
	body, err := u.Open()
	if err != nil {
		return err
	}
	defer body.Close()
	return r.svc.files.Put(ctx, key, body, u.Size, u.ContentType)
}

// HasFiles reports whether c has a file field.
func (c *Collection) HasFiles() bool {
	return slices.ContainsFunc(c.Fields, func(f *Field) bool { return f.Type == "file" })
}
