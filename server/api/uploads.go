package api

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/gabriel-vasile/mimetype"
	"github.com/gofiber/fiber/v2"

	"github.com/lumbunghq/lumbung/collections"
	"github.com/lumbunghq/lumbung/server/thumb"
)

// Request bodies. The server streams them (fasthttp's StreamRequestBody):
// the bodies middleware reads every body in full before the handlers run,
// at most BodyLimit bytes, except the multipart bodies of the routes that
// take uploads (record creates and updates, batches), which their
// handlers read as they arrive: values into memory (BodyLimit bytes in
// all), files into temporary files, each cut at its field's size limit
// (one byte past it, so that the field check reports it) and the whole
// body bounded. A file in memory costs a copy buffer, whatever its size.

// uploadRoute matches the paths whose multipart bodies stream.
var uploadRoute = regexp.MustCompile(`^/api/(batch|backups/upload|collections/[^/]+/records(/[^/]+)?)/?$`)

// streamsUploads reports whether c's body is left for its handler to
// stream.
func streamsUploads(c *fiber.Ctx) bool {
	m := c.Method()
	return (m == fiber.MethodPost || m == fiber.MethodPatch || m == fiber.MethodPut) &&
		strings.HasPrefix(strings.ToLower(c.Get(fiber.HeaderContentType)), fiber.MIMEMultipartForm) &&
		uploadRoute.MatchString(c.Path())
}

const (
	bodyReadKey = "bodyRead"
	formKey     = "form"
)

// bodies reads each request's body before its handler, or, for an upload,
// closes the connection after the answer when the handler did not read
// the body to its end (the next request on it would start inside it).
func (h *handlers) bodies(c *fiber.Ctx) error {
	if streamsUploads(c) {
		err := c.Next()
		if read, _ := c.Locals(bodyReadKey).(bool); !read {
			lingerClose(c)
		}
		if f, ok := c.Locals(formKey).(*form); ok {
			f.close()
		}
		return err
	}
	req := c.Request()
	n := req.Header.ContentLength()
	switch {
	case n > h.BodyLimit:
		lingerClose(c)
		return tooLarge()
	case n > 0:
		req.Body() // reads the rest of the stream
	case n == -1: // chunked: read up to the limit
		stream := c.Context().RequestBodyStream()
		if stream == nil {
			break
		}
		b, err := io.ReadAll(io.LimitReader(stream, int64(h.BodyLimit)+1))
		if err != nil {
			lingerClose(c)
			return collections.Errorf(collections.EINVALID, "Failed to read the request body.")
		}
		if len(b) > h.BodyLimit {
			lingerClose(c)
			return tooLarge()
		}
		req.SetBodyRaw(b)
	}
	return c.Next()
}

func tooLarge() error {
	return collections.Errorf(collections.ETOOLARGE, "Request entity too large")
}

// form is a multipart body read: its values and its files, which stay in
// temporary files until close.
type form struct {
	values map[string][]string
	files  map[string][]*collections.Upload
	temp   []string
}

// close removes the temporary files.
func (f *form) close() {
	for _, p := range f.temp {
		_ = os.Remove(p)
	}
}

// maxParts bounds the parts of a multipart body, as Go's own form reader
// does.
const maxParts = 1000

// fileLimit returns the size limit of the files sent under a form name,
// or false for a name whose files are not wanted (they are read past).
type fileLimit func(name string) (int64, bool)

// errBodyTooLarge ends a body read past its bound.
var errBodyTooLarge = errors.New("body too large")

// bounded fails a read past n bytes. Each read gives the connection
// uploadIdle more to deliver the next bytes: a slow upload goes on as long
// as it moves, a stalled one ends.
type bounded struct {
	r    io.Reader
	n    int64
	conn net.Conn
}

// uploadIdle is how long an upload may send nothing.
const uploadIdle = time.Minute

func (b *bounded) Read(p []byte) (int, error) {
	if b.conn != nil {
		_ = b.conn.SetReadDeadline(time.Now().Add(uploadIdle))
	}
	n, err := b.r.Read(p)
	b.n -= int64(n)
	if b.n < 0 {
		return n, errBodyTooLarge
	}
	return n, err
}

// readForm streams c's multipart body: files whose names limit accepts
// go to temporary files under h.UploadDir, values stay in memory. total
// bounds the body. The form lasts until the request ends (a handler run
// again after a schema change reads the same form).
func (h *handlers) readForm(c *fiber.Ctx, limit fileLimit, total int64) (*form, error) {
	if f, ok := c.Locals(formKey).(*form); ok {
		return f, nil
	}
	_, params, err := mime.ParseMediaType(c.Get(fiber.HeaderContentType))
	if err != nil || params["boundary"] == "" {
		return nil, collections.Errorf(collections.EINVALID, "Invalid multipart body: missing boundary.")
	}
	stream := c.Context().RequestBodyStream()
	if stream == nil {
		stream = bytes.NewReader(c.Body())
	}
	body := &bounded{r: stream, n: total, conn: c.Context().Conn()}
	mr := multipart.NewReader(body, params["boundary"])
	f := &form{values: map[string][]string{}, files: map[string][]*collections.Upload{}}
	valuesLeft := int64(h.BodyLimit)
	for parts := 0; ; parts++ {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			f.close()
			return nil, formError(err)
		}
		if parts == maxParts {
			f.close()
			return nil, collections.Errorf(collections.EINVALID, "Invalid multipart body: more than %d parts.", maxParts)
		}
		name := part.FormName()
		if part.FileName() == "" {
			b, err := io.ReadAll(io.LimitReader(part, valuesLeft+1))
			if err != nil {
				f.close()
				return nil, formError(err)
			}
			if valuesLeft -= int64(len(b)); valuesLeft < 0 {
				f.close()
				return nil, tooLarge()
			}
			f.values[name] = append(f.values[name], string(b))
			continue
		}
		max, wanted := limit(name)
		if !wanted {
			if _, err := io.Copy(io.Discard, part); err != nil {
				f.close()
				return nil, formError(err)
			}
			continue
		}
		u, err := h.saveUpload(f, part, max)
		if err != nil {
			f.close()
			return nil, err
		}
		f.files[name] = append(f.files[name], u)
	}
	// What follows the closing boundary is read too, so that the
	// connection can serve the next request.
	if _, err := io.Copy(io.Discard, body); err != nil {
		f.close()
		return nil, formError(err)
	}
	c.Locals(bodyReadKey, true)
	c.Locals(formKey, f)
	return f, nil
}

// saveUpload copies a file part to a temporary file, up to one byte past
// max (the rest is read past), sniffing its type from its first bytes.
func (h *handlers) saveUpload(f *form, part *multipart.Part, max int64) (*collections.Upload, error) {
	dir := h.UploadDir
	if dir == "" {
		dir = os.TempDir()
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	tmp, err := os.CreateTemp(dir, "upload-*")
	if err != nil {
		return nil, err
	}
	f.temp = append(f.temp, tmp.Name())
	head := &headBuffer{max: 3072}
	size, err := io.Copy(tmp, io.TeeReader(io.LimitReader(part, max+1), head))
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		_, err = io.Copy(io.Discard, part)
	}
	if err != nil {
		return nil, formError(err)
	}
	path := tmp.Name()
	kind := mimetype.Detect(head.b)
	if err := checkImage(path, kind.String(), part.FormName()); err != nil {
		return nil, err
	}
	name := filepath.Base(part.FileName())
	return &collections.Upload{Name: collections.StoredName(name, kind.Extension()), OriginalName: name, Size: size, ContentType: kind.String(),
		Open: func() (io.ReadCloser, error) { return os.Open(path) }}, nil
}

// maxImagePixels bounds the images an upload may hold: no camera makes
// more, so a header that claims more is a decompression bomb, refused
// without decoding anything. (Thumbnails have a lower bound of their own:
// images above it are served without.)
const maxImagePixels = 200_000_000

// checkImage refuses an image whose header claims more than
// maxImagePixels. Anything it cannot read is left alone: the upload is
// kept as a file, as PocketBase keeps it.
func checkImage(path, contentType, formName string) error {
	if !thumb.Thumbable(contentType) {
		return nil
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	cfg, _, err := image.DecodeConfig(io.LimitReader(f, 1<<20))
	if err != nil || int64(cfg.Width)*int64(cfg.Height) <= maxImagePixels {
		return nil
	}
	field := formName[strings.LastIndex(formName, ".")+1:]
	field = strings.TrimSuffix(strings.TrimPrefix(field, "+"), "+")
	return collections.Invalid("Failed to upload the file.", map[string]collections.FieldError{field: {Code: "validation_image_too_large",
		Message: fmt.Sprintf("The image is %d×%d pixels; at most %d million pixels are accepted.", cfg.Width, cfg.Height, maxImagePixels/1_000_000)}})
}

// headBuffer keeps the first max bytes written to it.
type headBuffer struct {
	b   []byte
	max int
}

func (h *headBuffer) Write(p []byte) (int, error) {
	if room := h.max - len(h.b); room > 0 {
		h.b = append(h.b, p[:min(room, len(p))]...)
	}
	return len(p), nil
}

// formError is the answer to a multipart body that could not be read.
func formError(err error) error {
	if errors.Is(err, errBodyTooLarge) {
		return tooLarge()
	}
	var ce *collections.Error
	if errors.As(err, &ce) {
		return ce
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) {
		return collections.Errorf(collections.EINVALID, "The request body took too long to arrive.")
	}
	return collections.Errorf(collections.EINVALID, "Invalid multipart body.")
}

// recordFileLimit returns the limits of the files of a record body of c:
// under a file field's name, or with PocketBase's "+" modifiers.
func recordFileLimit(c *collections.Collection, prefix string) fileLimit {
	return func(name string) (int64, bool) {
		name, ok := strings.CutPrefix(name, prefix)
		if !ok {
			return 0, false
		}
		name = strings.TrimSuffix(strings.TrimPrefix(name, "+"), "+")
		f, ok := c.Field(name)
		if !ok {
			return 0, false
		}
		o, ok := f.Options.(*collections.FileOptions)
		if !ok {
			return 0, false
		}
		return o.SizeLimit(), true
	}
}

// uploadBound is how large a multipart body of c may be: the value limit
// and every file field full.
func uploadBound(bodyLimit int, cols ...*collections.Collection) int64 {
	total := int64(bodyLimit)
	for _, c := range cols {
		for _, f := range c.Fields {
			if o, ok := f.Options.(*collections.FileOptions); ok {
				total += (o.SizeLimit() + 1) * int64(max(o.MaxSelect, 1))
			}
		}
	}
	return total
}

// withUploads merges the files of a form into a record input as
// PocketBase does: under a field's own name, the files follow the names
// the input keeps there; under "+field" and "field+" they are prepended
// or appended.
func withUploads(in map[string]any, files map[string][]*collections.Upload, prefix string) {
	for key, uploads := range files {
		key, ok := strings.CutPrefix(key, prefix)
		if !ok {
			continue
		}
		var items []any
		if kept, set := in[key]; set && !strings.HasPrefix(key, "+") && !strings.HasSuffix(key, "+") {
			switch x := kept.(type) {
			case string:
				if x != "" {
					items = append(items, x)
				}
			case []any:
				items = append(items, x...)
			}
		}
		for _, u := range uploads {
			items = append(items, u)
		}
		in[key] = items
	}
}
