package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"sync"
	"sync/atomic"
)

// The file scenarios' collection, created in Lumbung and, with the
// definition Lumbung saved, in PocketBase: a text field, "file" for the
// upload and thumbnail scenarios and "big" for upload-memory.
const (
	filesCollection = "bench_files"
	fileFieldMax    = 5 << 20 // maxSize of "file"
	uploadSize      = 1 << 20 // the file of one upload request
	thumbWidth      = 800     // the seeded images' size
	thumbHeight     = 600
	thumbSize       = "100x100" // PocketBase's default thumbnail, served for every image field
)

// filesDefinition is the files collection for uploads of up to bigMB MB
// in "big".
func filesDefinition(bigMB int) map[string]any {
	return map[string]any{
		"name": filesCollection,
		"type": "base",
		"fields": []map[string]any{
			{"name": "title", "type": "text"},
			{"name": "file", "type": "file", "maxSelect": 1, "maxSize": fileFieldMax},
			{"name": "big", "type": "file", "maxSelect": 1, "maxSize": int64(bigMB+1) << 20},
		},
	}
}

// fileSet is one target's part of the file scenarios.
type fileSet struct {
	records string   // the files collection's records path
	thumbs  []string // the thumbnail URL of every seeded image, in seeding order
	upload  []byte   // the upload scenario's body, the same for every request
	form    string   // its Content-Type
}

// setUpFiles creates the files collection in Lumbung (lb) and PocketBase
// (pb, nil when it does not run), and n records with the same image under
// the same ids in each, plus one more whose thumbnail is fetched to check
// that the server makes thumbnails. It returns each server's fileSet (nil
// for no PocketBase) and a warning for a server whose thumbnail was not a
// 100x100 PNG.
func setUpFiles(ctx context.Context, lb, pb *apiClient, n, bigMB int) (lbSet, pbSet *fileSet, warnings []string, err error) {
	saved, err := lb.createCollectionDef(ctx, filesDefinition(bigMB))
	if err != nil {
		return nil, nil, nil, fmt.Errorf("create collection %s: %w", filesCollection, err)
	}
	var pbDef map[string]any
	if pb != nil {
		if pbDef, err = pocketbaseCollection(saved, []string{}); err != nil {
			return nil, nil, nil, err
		}
		if _, err := pb.createCollectionDef(ctx, pbDef); err != nil {
			return nil, nil, nil, fmt.Errorf("PocketBase: create collection %s: %w", filesCollection, err)
		}
	}
	img, err := benchImage(thumbWidth, thumbHeight)
	if err != nil {
		return nil, nil, nil, err
	}
	ids := make([]string, n+1)
	for i := range ids {
		ids[i] = recordID()
	}
	body, form := uploadBody(uploadSize)
	set := func(name string, c *apiClient) (*fileSet, error) {
		names, err := c.seedImages(ctx, filesCollection, ids, img)
		if err != nil {
			return nil, fmt.Errorf("%s: seed images: %w", name, err)
		}
		fs := &fileSet{records: "/api/collections/" + filesCollection + "/records", upload: body, form: form}
		for i, id := range ids {
			fs.thumbs = append(fs.thumbs, "/api/files/"+filesCollection+"/"+id+"/"+names[i]+"?thumb="+thumbSize)
		}
		if w := c.checkThumb(ctx, fs.thumbs[n]); w != "" {
			warnings = append(warnings, name+": "+w)
		}
		fs.thumbs = fs.thumbs[:n]
		return fs, nil
	}
	if lbSet, err = set("lumbung", lb); err != nil {
		return nil, nil, nil, err
	}
	if pb != nil {
		if pbSet, err = set("pocketbase", pb); err != nil {
			return nil, nil, nil, err
		}
	}
	return lbSet, pbSet, warnings, nil
}

// createCollectionDef creates def and returns the definition saved.
func (c *apiClient) createCollectionDef(ctx context.Context, def map[string]any) (map[string]any, error) {
	var out map[string]any
	if err := c.call(ctx, http.MethodPost, "/api/collections", def, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// seedImages creates a record with the id ids[i] and img in "file" for
// each i, seedWorkers at a time, and returns the stored file names.
func (c *apiClient) seedImages(ctx context.Context, collection string, ids []string, img []byte) ([]string, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		next     atomic.Int64
		wg       sync.WaitGroup
		errOnce  sync.Once
		firstErr error
	)
	names := make([]string, len(ids))
	for range seedWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= len(ids) {
					return
				}
				name, err := c.createWithFile(ctx, collection, ids[i], img)
				if err != nil {
					errOnce.Do(func() { firstErr = err; cancel() })
					return
				}
				names[i] = name
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	return names, ctx.Err()
}

// createWithFile creates the record id with img as image.png in "file"
// through a multipart body, and returns the stored file's name.
func (c *apiClient) createWithFile(ctx context.Context, collection, id string, img []byte) (string, error) {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	w.WriteField("id", id)         //nolint:errcheck // writes to memory
	w.WriteField("title", "image") //nolint:errcheck
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="file"; filename="image.png"`)
	h.Set("Content-Type", "image/png")
	part, _ := w.CreatePart(h)
	part.Write(img) //nolint:errcheck
	w.Close()       //nolint:errcheck
	path := "/api/collections/" + collection + "/records"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+path, &buf)
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", w.FormDataContentType())
	req.Header.Set("Authorization", c.token)
	resp, err := c.http.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	got, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", &apiError{method: http.MethodPost, path: path, request: []byte("multipart: id " + id + ", image.png"), status: resp.StatusCode, body: got}
	}
	var out struct {
		ID   string `json:"id"`
		File string `json:"file"`
	}
	if err := json.Unmarshal(got, &out); err != nil || out.ID != id || out.File == "" {
		return "", fmt.Errorf("POST %s: unexpected answer (want the id %s and a file name): %.300s", path, id, got)
	}
	return out.File, nil
}

// checkThumb fetches a thumbnail and says what is wrong with it, or "".
func (c *apiClient) checkThumb(ctx context.Context, path string) string {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+path, nil)
	if err != nil {
		return err.Error()
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return "GET " + path + ": " + err.Error()
	}
	defer resp.Body.Close()
	got, err := io.ReadAll(resp.Body)
	if err != nil {
		return "GET " + path + ": " + err.Error()
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Sprintf("GET %s: %d %.200s", path, resp.StatusCode, got)
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(got))
	if err != nil || format != "png" || cfg.Width != 100 || cfg.Height != 100 {
		return fmt.Sprintf("GET %s: not a 100x100 PNG (%s %dx%d, %v): the thumbnail scenarios may measure the original", path, format, cfg.Width, cfg.Height, err)
	}
	return ""
}

// benchImage encodes a w×h RGB PNG: gradients with a pattern, so that it
// neither compresses to nothing nor takes long to make.
func benchImage(w, h int) ([]byte, error) {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.SetRGBA(x, y, color.RGBA{R: uint8(x * 255 / w), G: uint8(y * 255 / h), B: uint8(x ^ y), A: 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// recordID returns a random id in PocketBase's default shape: 15
// characters of [a-z0-9].
func recordID() string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, 15)
	rand.Read(b) //nolint:errcheck // crypto/rand does not fail
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

// multipartFile is a multipart body with one title and one file of any
// size, in three parts: head, the file's bytes, tail.
type multipartFile struct {
	head, tail  []byte
	contentType string
}

// newMultipartFile frames a file named filename sent under field.
func newMultipartFile(field, filename string) multipartFile {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	w.WriteField("title", "upload") //nolint:errcheck // writes to memory
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="`+field+`"; filename="`+filename+`"`)
	h.Set("Content-Type", "application/octet-stream")
	w.CreatePart(h) //nolint:errcheck
	head := bytes.Clone(buf.Bytes())
	buf.Reset()
	w.Close() //nolint:errcheck
	return multipartFile{head: head, tail: bytes.Clone(buf.Bytes()), contentType: w.FormDataContentType()}
}

// length is the body's length with a file of n bytes.
func (m multipartFile) length(n int64) int64 { return int64(len(m.head)) + n + int64(len(m.tail)) }

// reader streams the body with n bytes of filler as the file.
func (m multipartFile) reader(n int64) io.Reader {
	return io.MultiReader(bytes.NewReader(m.head), io.LimitReader(newFiller(), n), bytes.NewReader(m.tail))
}

// uploadBody returns the upload scenario's body, with a file of n random
// bytes in "file", and its Content-Type.
func uploadBody(n int) ([]byte, string) {
	m := newMultipartFile("file", "upload.bin")
	data := make([]byte, n)
	rand.Read(data) //nolint:errcheck // crypto/rand does not fail
	return bytes.Join([][]byte{m.head, data, m.tail}, nil), m.contentType
}

// filler reads a block of random bytes over and over, without end:
// random, so that nothing on the way compresses it.
type filler struct{ block []byte }

func newFiller() *filler {
	b := make([]byte, 64<<10)
	rand.Read(b) //nolint:errcheck // crypto/rand does not fail
	return &filler{block: b}
}

func (f *filler) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		n += copy(p[n:], f.block)
	}
	return n, nil
}
