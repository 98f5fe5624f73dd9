package api

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/lumbunghq/lumbung/collections"
	"github.com/lumbunghq/lumbung/server/auth"
	"github.com/lumbunghq/lumbung/server/storage"
)

// FileServer reads the stored files of records.
type FileServer interface {
	// Open opens the object stored under key.
	Open(ctx context.Context, key string) (storage.Object, error)
	// Thumb opens the thumbnail at size of the image stored under key,
	// making it on the first request. Any error means the original is
	// served instead.
	Thumb(ctx context.Context, key, size string) (storage.Object, error)
}

func (h *handlers) fileRoutes() []Route {
	return []Route{
		{Method: fiber.MethodPost, Path: "/files/token", Access: Authenticated, Handler: h.hooked(RequestFileToken, h.fileToken), Summary: "Issue a short-lived file token"},
		{Method: fiber.MethodGet, Path: "/files/:collection/:recordId/:filename", Access: Public, Handler: h.hooked(RequestFileDownload, h.fresh(h.serveFile)), Summary: "Download a record's file (?thumb=WxH, ?download=1, ?token= for protected files)"},
	}
}

// fileToken answers {"token"}: a token of the caller's record for
// downloading protected files, valid for the collection's file token
// duration (a few minutes).
func (h *handlers) fileToken(c *fiber.Ctx) error {
	rec := identity(c).Record
	token, err := h.Issuer.Issue(rec, auth.TypeFile, seconds(authOptions(rec.Collection).FileToken.Duration))
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"token": token})
}

// thumbTypes are the content types PocketBase makes thumbnails of.
var thumbTypes = []string{"image/png", "image/jpg", "image/jpeg", "image/gif", "image/webp"}

// defaultThumbs are the sizes served for every image field, as PocketBase
// serves them to its dashboard.
var defaultThumbs = []string{"100x100"}

// inlineTypes are shown in the browser; others are downloaded.
var inlineTypes = []string{
	"image/png", "image/jpg", "image/jpeg", "image/gif", "image/webp", "image/x-icon", "image/bmp",
	"video/webm", "video/mp4", "video/3gpp", "video/quicktime", "video/x-ms-wmv",
	"audio/basic", "audio/aiff", "audio/mpeg", "audio/midi", "audio/mp3", "audio/wave",
	"audio/wav", "audio/x-wav", "audio/x-mpeg", "audio/x-m4a", "audio/aac",
	"application/pdf", "application/x-pdf",
}

// serveFile answers GET /api/files/{collection}/{recordId}/{filename} as
// PocketBase does: the file must be one the record's file fields hold; a
// protected one only for a file token (?token=) whose record may view the
// record; every refusal is a 404, so that nothing tells a file that
// exists from one that does not.
func (h *handlers) serveFile(c *fiber.Ctx) error {
	notFound := collections.Errorf(collections.ENOTFOUND, "The requested resource wasn't found.")
	if h.Files == nil {
		return notFound
	}
	col, err := h.Collections.MustCollection(c.Params("collection"))
	if err != nil {
		return err
	}
	id, name := c.Params("recordId"), c.Params("filename")
	if name == "" || strings.ContainsAny(name, "/\\\x00") || path.Clean(name) != name {
		return notFound
	}
	ctx := c.UserContext()
	rec, err := h.Collections.SystemRecords().Get(ctx, col, id)
	if err != nil {
		if collections.ErrorCode(err) == collections.ENOTFOUND || collections.ErrorCode(err) == collections.EINVALID {
			return notFound
		}
		return err
	}
	field := fileFieldOf(rec, name)
	if field == nil {
		return notFound
	}
	opts := field.Options.(*collections.FileOptions)
	protected := opts.Protected
	if protected {
		if ok, err := h.mayViewFile(c, col, id); err != nil || !ok {
			return orNotFound(err, notFound)
		}
	}
	owner, ownerID := col, id
	if col.Type == collections.TypeView {
		if owner, ownerID, err = h.viewFileOwner(ctx, col, name); err != nil || owner == nil {
			return orNotFound(err, notFound)
		}
	}
	key := collections.FileKey(owner, ownerID, name)
	// The body is sent after the handler returns, when the request's
	// context has ended: the object is read under a context of its own,
	// ended when it is closed.
	readCtx, endRead := context.WithTimeout(context.WithoutCancel(ctx), fileReadLimit)
	obj, err := h.Files.Open(readCtx, key)
	if err != nil {
		endRead()
		return orNotFound(err, notFound)
	}
	served := name
	if size := c.Query("thumb"); size != "" && (slices.Contains(defaultThumbs, size) || slices.Contains(opts.Thumbs, size)) &&
		slices.Contains(thumbTypes, baseType(obj.Info().ContentType)) {
		if thumb, err := h.Files.Thumb(readCtx, key, size); err == nil {
			_ = obj.Close()
			obj, served = thumb, size+"_"+name
		} else {
			h.Logger.Warn("serving the original: the thumbnail failed", "key", key, "thumb", size, "err", err)
		}
	}
	return sendObject(c, &endingObject{Object: obj, end: endRead}, served, protected)
}

// fileReadLimit bounds how long one file may take to be sent.
const fileReadLimit = 6 * time.Hour

// endingObject ends its read context when closed.
type endingObject struct {
	storage.Object
	end context.CancelFunc
}

func (o *endingObject) Close() error {
	err := o.Object.Close()
	o.end()
	return err
}

// mayViewFile reports whether the record of the request's file token may
// view record id of col (the view rule or policy, with @request.context
// "protectedFile").
func (h *handlers) mayViewFile(c *fiber.Ctx, col *collections.Collection, id string) (bool, error) {
	var who *auth.Identity
	if token := c.Query("token"); token != "" {
		rec, _, err := h.Auth.Resolve(c.UserContext(), token, auth.TypeFile)
		if err != nil && !errors.Is(err, auth.ErrInvalidToken) {
			return false, err
		}
		if rec != nil {
			who = &auth.Identity{Record: rec}
		}
	}
	info := requestInfo(c)
	info.Context = collections.ContextProtectedFile
	recs := h.Collections.RecordsAs(auth.CallerFor(who, h.Decider)).WithRequest(info)
	_, err := recs.Get(c.UserContext(), col, id)
	if err == nil {
		return true, nil
	}
	switch collections.ErrorCode(err) {
	case collections.ENOTFOUND, collections.EFORBIDDEN, collections.EINVALID:
		return false, nil
	}
	return false, err
}

// plainFileName matches the names a file's owner can be looked up by.
var plainFileName = regexp.MustCompile(`^[\w.*\-+=#]+$`)

// viewFileOwner finds where a file a record of view shows is kept: in the
// record that holds name in a file field of a collection the view's query
// reads (stored names have a random part, so one record holds it); nil
// when none does.
func (h *handlers) viewFileOwner(ctx context.Context, view *collections.Collection, name string) (*collections.Collection, string, error) {
	if !plainFileName.MatchString(name) {
		return nil, "", nil
	}
	query := strings.ToLower(view.ViewQuery)
	for _, c := range h.Collections.Collections() {
		if c.Type == collections.TypeView || !strings.Contains(query, strings.ToLower(c.Name)) {
			continue
		}
		for _, src := range c.Fields {
			o, ok := src.Options.(*collections.FileOptions)
			if !ok {
				continue
			}
			filter := fmt.Sprintf("%s = %q", src.Name, name)
			if o.Multi() {
				filter = fmt.Sprintf("%s:each ?= %q", src.Name, name)
			}
			page, err := h.Collections.SystemRecords().List(ctx, c, collections.Query{PerPage: 1, SkipTotal: true, Filter: filter})
			if err != nil {
				return nil, "", err
			}
			if len(page.Items) == 1 {
				return c, page.Items[0].ID(), nil
			}
		}
	}
	return nil, "", nil
}

// fileFieldOf returns the file field of rec that holds name.
func fileFieldOf(rec *collections.Record, name string) *collections.Field {
	for _, f := range rec.Collection.Fields {
		if f.Type == "file" && slices.Contains(collections.FileNames(rec.Data[f.Name]), name) {
			return f
		}
	}
	return nil
}

// orNotFound maps a missing object (or nothing) to notFound.
func orNotFound(err, notFound error) error {
	if err == nil || errors.Is(err, storage.ErrNotFound) || errors.Is(err, storage.ErrInvalidKey) {
		return notFound
	}
	return err
}

func baseType(contentType string) string {
	t, _, _ := strings.Cut(contentType, ";")
	return strings.ToLower(strings.TrimSpace(t))
}

// extensionTypes are the types some files are served as whatever their
// content looks like, as PocketBase serves them.
var extensionTypes = map[string]string{
	".svg": "image/svg+xml", ".css": "text/css", ".js": "text/javascript", ".mjs": "text/javascript",
	".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
	".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
	".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}

// sendObject answers with obj (closed once sent): its type, a disposition
// (inline for media, attachment otherwise or with ?download=1), a policy
// that keeps any active content from running, caching headers, and the
// conditional and single-range requests browsers make for media.
func sendObject(c *fiber.Ctx, obj storage.Object, name string, private bool) error {
	info := obj.Info()
	ct := info.ContentType
	if t, ok := extensionTypes[strings.ToLower(path.Ext(name))]; ok {
		ct = t
	}
	disposition := "attachment"
	if download, _ := strconv.ParseBool(c.Query("download")); !download && slices.Contains(inlineTypes, baseType(info.ContentType)) {
		disposition = "inline"
	}
	c.Set(fiber.HeaderContentDisposition, mime.FormatMediaType(disposition, map[string]string{"filename": name}))
	c.Set(fiber.HeaderContentType, ct)
	c.Set("Content-Security-Policy", "default-src 'none'; media-src 'self'; style-src 'unsafe-inline'; sandbox")
	c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
	c.Set(fiber.HeaderAcceptRanges, "bytes")
	if private {
		c.Set(fiber.HeaderCacheControl, "private, max-age=0, no-store")
	} else {
		c.Set(fiber.HeaderCacheControl, "max-age=2592000, stale-while-revalidate=86400")
	}
	mod := info.ModTime.UTC().Truncate(time.Second)
	etag := fmt.Sprintf(`"%x-%x"`, info.Size, info.ModTime.UnixNano())
	c.Set(fiber.HeaderLastModified, mod.Format(http.TimeFormat))
	c.Set(fiber.HeaderETag, etag)
	if notModified(c, etag, mod) {
		_ = obj.Close()
		return c.SendStatus(fiber.StatusNotModified)
	}
	start, length := int64(0), info.Size
	if r := c.Get(fiber.HeaderRange); r != "" && ifRange(c, etag, mod) {
		s, n, ok := parseRange(r, info.Size)
		if !ok {
			_ = obj.Close()
			c.Set(fiber.HeaderContentRange, fmt.Sprintf("bytes */%d", info.Size))
			return c.SendStatus(fiber.StatusRequestedRangeNotSatisfiable)
		}
		if n >= 0 {
			start, length = s, n
			c.Status(fiber.StatusPartialContent)
			c.Set(fiber.HeaderContentRange, fmt.Sprintf("bytes %d-%d/%d", start, start+length-1, info.Size))
		}
	}
	if start > 0 {
		if _, err := obj.Seek(start, io.SeekStart); err != nil {
			_ = obj.Close()
			return err
		}
	}
	if c.Method() == fiber.MethodHead {
		_ = obj.Close()
		c.Response().Header.SetContentLength(int(length))
		c.Response().SkipBody = true
		return nil
	}
	c.Context().SetBodyStream(readCloser{io.LimitReader(obj, length), obj}, int(length))
	return nil
}

type readCloser struct {
	io.Reader
	io.Closer
}

// notModified reports whether the request's validators match.
func notModified(c *fiber.Ctx, etag string, mod time.Time) bool {
	if inm := c.Get(fiber.HeaderIfNoneMatch); inm != "" {
		for _, t := range strings.Split(inm, ",") {
			if t = strings.TrimSpace(t); t == "*" || strings.TrimPrefix(t, "W/") == etag {
				return true
			}
		}
		return false
	}
	if ims := c.Get(fiber.HeaderIfModifiedSince); ims != "" {
		if t, err := http.ParseTime(ims); err == nil && !mod.After(t) {
			return true
		}
	}
	return false
}

// ifRange reports whether a Range applies: no If-Range, or one naming
// the current version.
func ifRange(c *fiber.Ctx, etag string, mod time.Time) bool {
	v := c.Get(fiber.HeaderIfRange)
	if v == "" {
		return true
	}
	if strings.HasPrefix(v, `"`) {
		return v == etag
	}
	t, err := http.ParseTime(v)
	return err == nil && mod.Equal(t)
}

// parseRange reads a "bytes=" range of an object of size bytes: its start
// and length, length -1 for a header that asks for several ranges or is
// not understood (the whole object is sent), ok false for a range outside
// the object (416).
func parseRange(h string, size int64) (start, length int64, ok bool) {
	spec, found := strings.CutPrefix(strings.TrimSpace(h), "bytes=")
	if !found || strings.Contains(spec, ",") {
		return 0, -1, true
	}
	first, last, found := strings.Cut(strings.TrimSpace(spec), "-")
	if !found {
		return 0, -1, true
	}
	if first == "" { // the last n bytes
		n, err := strconv.ParseInt(last, 10, 64)
		if err != nil || n < 0 {
			return 0, -1, true
		}
		if n == 0 || size == 0 {
			return 0, 0, false
		}
		n = min(n, size)
		return size - n, n, true
	}
	s, err := strconv.ParseInt(first, 10, 64)
	if err != nil || s < 0 {
		return 0, -1, true
	}
	if s >= size {
		return 0, 0, false
	}
	e := size - 1
	if last != "" {
		if e, err = strconv.ParseInt(last, 10, 64); err != nil || e < s {
			return 0, -1, true
		}
		e = min(e, size-1)
	}
	return s, e - s + 1, true
}
