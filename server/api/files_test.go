package api_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/png"
	"io"
	"io/fs"
	"math/rand/v2"
	"mime/multipart"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/lumbunghq/lumbung/server"
	"github.com/lumbunghq/lumbung/server/storage/s3"
	"github.com/lumbunghq/lumbung/server/storage/s3/s3test"
)

// part is one part of a multipart body: a file when filename is set,
// else a value.
type part struct {
	field, filename string
	body            []byte
}

func multipartBody(tb testing.TB, parts ...part) (string, []byte) {
	tb.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	for _, p := range parts {
		var dst io.Writer
		var err error
		if p.filename != "" {
			dst, err = w.CreateFormFile(p.field, p.filename)
		} else {
			dst, err = w.CreateFormField(p.field)
		}
		if err != nil {
			tb.Fatal(err)
		}
		dst.Write(p.body)
	}
	w.Close()
	return w.FormDataContentType(), b.Bytes()
}

// filesEnv is a server on a real listener with a data directory of its
// own, and a collection "docs" with file fields.
type filesEnv struct {
	*env
	base, dir, storage string
	docs               string // the id of docs
	dsn                string
}

func mustFilesEnv(t *testing.T, opts ...func(*server.Config)) *filesEnv {
	t.Helper()
	dir := t.TempDir()
	var dsn string
	e := MustEnv(t, append([]func(*server.Config){func(c *server.Config) {
		c.HTTPAddr, c.Dir, dsn = "127.0.0.1:0", dir, c.DatabaseURL
	}}, opts...)...)
	f := &filesEnv{env: e, base: "http://" + MustServe(t, e), dir: dir, storage: filepath.Join(dir, "storage"), dsn: dsn}
	var docs struct{ ID string }
	e.MustJSON("POST", "/api/collections", "", `{
		"name": "docs", "type": "base",
		"listRule": "", "viewRule": "owner = @request.auth.id", "createRule": "", "updateRule": "", "deleteRule": "",
		"fields": [
			{"name": "title", "type": "text"},
			{"name": "owner", "type": "text"},
			{"name": "avatar", "type": "file", "maxSelect": 1, "maxSize": 5000, "mimeTypes": ["image/png", "image/jpeg"], "thumbs": ["20x10", "0x8"]},
			{"name": "attachments", "type": "file", "maxSelect": 3, "maxSize": 100000},
			{"name": "secret", "type": "file", "maxSelect": 1, "protected": true}
		]
	}`, 200, &docs)
	f.docs = docs.ID
	return f
}

// send sends a multipart request and returns the status and body.
func (f *filesEnv) send(method, path, token string, parts ...part) (int, string) {
	f.tb.Helper()
	ct, body := multipartBody(f.tb, parts...)
	return f.raw(method, path, token, ct, bytes.NewReader(body))
}

func (f *filesEnv) raw(method, path, token, contentType string, body io.Reader) (int, string) {
	f.tb.Helper()
	req, err := http.NewRequest(method, f.base+path, body)
	if err != nil {
		f.tb.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	if token == "" {
		token = f.token
	}
	if token != "-" {
		req.Header.Set("Authorization", token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		f.tb.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// get fetches a URL under the server.
func (f *filesEnv) get(path string, headers ...string) (*http.Response, []byte) {
	f.tb.Helper()
	req, _ := http.NewRequest("GET", f.base+path, nil)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		f.tb.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, b
}

// stored lists the keys in the storage folder under prefix.
func (f *filesEnv) stored(prefix string) []string {
	var keys []string
	root := filepath.Join(f.storage, filepath.FromSlash(prefix))
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && !strings.HasPrefix(d.Name(), ".") && !strings.Contains(p, string(filepath.Separator)+".") {
			rel, _ := filepath.Rel(f.storage, p)
			keys = append(keys, filepath.ToSlash(rel))
		}
		return nil
	})
	return keys
}

// eventually polls cond: the change log's consumer deletes files shortly
// after a commit. The bound only keeps a broken build from hanging.
func eventually(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	for range 600 {
		if cond() {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	tb.Fatalf("never happened: %s", what)
}

func pngBytes(tb testing.TB, w, h int) []byte {
	tb.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for x := range w {
		for y := range h {
			img.Set(x, y, color.RGBA{uint8(x * 7), uint8(y * 5), 90, 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

// pngHeader is the start of a PNG whose header claims w×h pixels.
func pngHeader(w, h uint32) []byte {
	ihdr := make([]byte, 17)
	copy(ihdr, "IHDR")
	binary.BigEndian.PutUint32(ihdr[4:], w)
	binary.BigEndian.PutUint32(ihdr[8:], h)
	copy(ihdr[12:], []byte{8, 6, 0, 0, 0})
	out := []byte("\x89PNG\r\n\x1a\n")
	out = binary.BigEndian.AppendUint32(out, 13)
	out = append(out, ihdr...)
	out = binary.BigEndian.AppendUint32(out, crc32.ChecksumIEEE(ihdr))
	return append(out, make([]byte, 64)...)
}

type docRecord struct {
	ID          string   `json:"id"`
	Avatar      string   `json:"avatar"`
	Attachments []string `json:"attachments"`
	Secret      string   `json:"secret"`
}

func decodeDoc(tb testing.TB, body string) docRecord {
	tb.Helper()
	var d docRecord
	if err := json.Unmarshal([]byte(body), &d); err != nil {
		tb.Fatalf("decode %s: %v", body, err)
	}
	return d
}

var storedName = regexp.MustCompile(`^[a-z0-9_]+_[a-z0-9]{10}(\.[a-zA-Z0-9]+)?$`)

func TestFileUploadsLifecycle(t *testing.T) {
	f := mustFilesEnv(t)
	avatar := pngBytes(t, 40, 30)
	code, body := f.send("POST", "/api/collections/docs/records", "",
		part{"title", "", []byte("first")},
		part{"avatar", "My Photo.PNG", avatar},
		part{"attachments", "notes.txt", []byte("hello notes")},
		part{"attachments", "../../etc/passwd", []byte("not a passwd")},
	)
	if code != 200 {
		t.Fatalf("create: %d %s", code, body)
	}
	d := decodeDoc(t, body)
	if !storedName.MatchString(d.Avatar) || !strings.HasPrefix(d.Avatar, "my_photo_") || !strings.HasSuffix(d.Avatar, ".PNG") {
		t.Fatalf("avatar name %q", d.Avatar)
	}
	if len(d.Attachments) != 2 || !strings.HasPrefix(d.Attachments[1], "passwd_") {
		t.Fatalf("attachments %q", d.Attachments)
	}
	for _, n := range d.Attachments {
		if !storedName.MatchString(n) {
			t.Fatalf("stored name %q", n)
		}
	}
	url := "/api/files/docs/" + d.ID + "/"

	t.Run("served with its type and disposition", func(t *testing.T) {
		res, b := f.get(url + d.Avatar)
		if res.StatusCode != 200 || !bytes.Equal(b, avatar) {
			t.Fatalf("got %d, %d bytes", res.StatusCode, len(b))
		}
		if ct := res.Header.Get("Content-Type"); ct != "image/png" {
			t.Fatalf("content type %q", ct)
		}
		if cd := res.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, "inline") {
			t.Fatalf("disposition %q", cd)
		}
		if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "sandbox") {
			t.Fatalf("csp %q", csp)
		}
		res, _ = f.get(url + d.Avatar + "?download=1")
		if cd := res.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment") || !strings.Contains(cd, d.Avatar) {
			t.Fatalf("download disposition %q", cd)
		}
		res, b = f.get(url + d.Attachments[0])
		if string(b) != "hello notes" || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/plain") ||
			!strings.HasPrefix(res.Header.Get("Content-Disposition"), "attachment") {
			t.Fatalf("text file: %q %v", b, res.Header)
		}
	})

	t.Run("ranges and validators", func(t *testing.T) {
		res, b := f.get(url+d.Attachments[0], "Range", "bytes=2-6")
		if res.StatusCode != 206 || string(b) != "llo n" || res.Header.Get("Content-Range") != "bytes 2-6/11" {
			t.Fatalf("range: %d %q %q", res.StatusCode, b, res.Header.Get("Content-Range"))
		}
		res, b = f.get(url+d.Attachments[0], "Range", "bytes=-3")
		if res.StatusCode != 206 || string(b) != "tes" {
			t.Fatalf("suffix range: %d %q", res.StatusCode, b)
		}
		res, _ = f.get(url+d.Attachments[0], "Range", "bytes=50-")
		if res.StatusCode != 416 {
			t.Fatalf("unsatisfiable range: %d", res.StatusCode)
		}
		res, _ = f.get(url + d.Attachments[0])
		res2, _ := f.get(url+d.Attachments[0], "If-None-Match", res.Header.Get("ETag"))
		if res2.StatusCode != 304 {
			t.Fatalf("If-None-Match: %d", res2.StatusCode)
		}
	})

	t.Run("thumbnails of listed sizes only", func(t *testing.T) {
		for size, want := range map[string][2]int{"20x10": {20, 10}, "0x8": {11, 8}, "100x100": {100, 100}} {
			res, b := f.get(url + d.Avatar + "?thumb=" + size)
			cfg, _, err := image.DecodeConfig(bytes.NewReader(b))
			if res.StatusCode != 200 || err != nil || cfg.Width != want[0] || cfg.Height != want[1] {
				t.Fatalf("thumb %s: %d %v %dx%d", size, res.StatusCode, err, cfg.Width, cfg.Height)
			}
		}
		if _, b := f.get(url + d.Avatar + "?thumb=7x7"); !bytes.Equal(b, avatar) {
			t.Fatal("an unlisted size is not the original")
		}
		if _, b := f.get(url + d.Attachments[0] + "?thumb=20x10"); string(b) != "hello notes" {
			t.Fatal("a text file's thumb is not the original")
		}
		thumbs := f.stored(f.docs + "/" + d.ID + "/thumbs_" + d.Avatar)
		if len(thumbs) != 3 {
			t.Fatalf("thumbs stored: %q", thumbs)
		}
	})

	t.Run("unknown and hostile names are 404", func(t *testing.T) {
		for _, p := range []string{
			url + "nope.png", url + "..%2F..%2Fetc%2Fpasswd", url + "%2e%2e", "/api/files/docs/nope/" + d.Avatar,
			"/api/files/nope/" + d.ID + "/" + d.Avatar, url + d.Avatar + "%00", url + "thumbs_" + d.Avatar,
		} {
			if res, _ := f.get(p); res.StatusCode != 404 {
				t.Fatalf("%s: %d", p, res.StatusCode)
			}
		}
	})

	t.Run("append, remove, reorder, replace", func(t *testing.T) {
		rec := "/api/collections/docs/records/" + d.ID
		code, body := f.send("PATCH", rec, "", part{"attachments+", "more.txt", []byte("more")})
		if code != 200 {
			t.Fatalf("append: %d %s", code, body)
		}
		d2 := decodeDoc(t, body)
		if len(d2.Attachments) != 3 || !slices.Equal(d2.Attachments[:2], d.Attachments) {
			t.Fatalf("appended: %q", d2.Attachments)
		}
		code, body = f.send("PATCH", rec, "", part{"attachments+", "four.txt", []byte("4")})
		if code != 400 || !strings.Contains(body, "validation_too_many_files") {
			t.Fatalf("a fourth file: %d %s", code, body)
		}
		code, body = f.send("PATCH", rec, "", part{"attachments-", "", []byte(d.Attachments[0])})
		d3 := decodeDoc(t, body)
		if code != 200 || !slices.Equal(d3.Attachments, d2.Attachments[1:]) {
			t.Fatalf("remove: %d %s", code, body)
		}
		eventually(t, "the removed file is deleted", func() bool {
			return !slices.Contains(f.stored(f.docs+"/"+d.ID), f.docs+"/"+d.ID+"/"+d.Attachments[0])
		})
		if res, _ := f.get(url + d.Attachments[0]); res.StatusCode != 404 {
			t.Fatalf("removed file: %d", res.StatusCode)
		}
		reordered := []string{d3.Attachments[1], d3.Attachments[0]}
		code, body = f.Do("PATCH", rec, "", fmt.Sprintf(`{"attachments": [%q, %q]}`, reordered[0], reordered[1]))
		if code != 200 || !slices.Equal(decodeDoc(t, body).Attachments, reordered) {
			t.Fatalf("reorder: %d %s", code, body)
		}
		code, body = f.Do("PATCH", rec, "", `{"attachments": ["someone_elses_1234567890.txt"]}`)
		if code != 400 || !strings.Contains(body, "validation_invalid_file") {
			t.Fatalf("a name the record does not hold: %d %s", code, body)
		}
		// Under the field's own name, kept names and new files together
		// (what the SDK sends for a FormData with both).
		code, body = f.send("PATCH", rec, "", part{"attachments", "", []byte(reordered[0])}, part{"attachments", "new.txt", []byte("new")})
		d4 := decodeDoc(t, body)
		if code != 200 || len(d4.Attachments) != 2 || d4.Attachments[0] != reordered[0] || !strings.HasPrefix(d4.Attachments[1], "new_") {
			t.Fatalf("keep and add: %d %s", code, body)
		}
		code, body = f.send("PATCH", rec, "", part{"avatar", "second.png", pngBytes(t, 3, 3)})
		d5 := decodeDoc(t, body)
		if code != 200 || d5.Avatar == d.Avatar || !strings.HasPrefix(d5.Avatar, "second_") {
			t.Fatalf("replace: %d %s", code, body)
		}
		eventually(t, "the replaced avatar and its thumbs are deleted", func() bool {
			return len(f.stored(f.docs+"/"+d.ID+"/thumbs_"+d.Avatar)) == 0 && !slices.Contains(f.stored(f.docs), f.docs+"/"+d.ID+"/"+d.Avatar)
		})
		code, body = f.Do("PATCH", rec, "", `{"avatar": null, "attachments": []}`)
		if d6 := decodeDoc(t, body); code != 200 || d6.Avatar != "" || len(d6.Attachments) != 0 {
			t.Fatalf("clear: %d %s", code, body)
		}
		eventually(t, "every file of the record is deleted", func() bool { return len(f.stored(f.docs+"/"+d.ID)) == 0 })
	})
}

func TestFileUploadsRefused(t *testing.T) {
	f := mustFilesEnv(t, func(c *server.Config) { c.BodyLimit = 64 << 10 })
	for _, c := range []struct {
		name  string
		parts []part
		want  string
	}{
		{"wrong type", []part{{"avatar", "a.png", []byte("plain text, not an image")}}, "validation_invalid_mime_type"},
		{"too large", []part{{"avatar", "a.png", append(pngBytes(t, 4, 4), make([]byte, 6000)...)}}, "validation_file_size_limit"},
		{"too many", []part{{"attachments", "1.txt", []byte("1")}, {"attachments", "2.txt", []byte("2")},
			{"attachments", "3.txt", []byte("3")}, {"attachments", "4.txt", []byte("4")}}, "validation_too_many_files"},
		{"a name instead of a file", []part{{"avatar", "", []byte("x_1234567890.png")}}, "validation_invalid_file"},
		{"an image claiming 50,000×50,000 pixels", []part{{"attachments", "bomb.png", pngHeader(50000, 50000)}}, "validation_image_too_large"},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, body := f.send("POST", "/api/collections/docs/records", "", c.parts...)
			if code != 400 || !strings.Contains(body, c.want) {
				t.Fatalf("got %d %s", code, body)
			}
		})
	}
	if keys := f.stored(f.docs); len(keys) != 0 {
		t.Fatalf("refused writes left files: %q", keys)
	}
	t.Run("a body over the bound is 413", func(t *testing.T) {
		// attachments may hold 3 × 100,000 bytes; the body limit is 64 KiB.
		big := bytes.Repeat([]byte("x"), 100001)
		code, body := f.send("POST", "/api/collections/docs/records", "",
			part{"attachments", "1.txt", big}, part{"attachments", "2.txt", big}, part{"attachments", "3.txt", big}, part{"attachments", "4.txt", big},
			part{"title", "", bytes.Repeat([]byte("t"), 70<<10)})
		if code != 413 {
			t.Fatalf("got %d %s", code, body)
		}
		code, body = f.raw("POST", "/api/collections/docs/records", "", "application/json", strings.NewReader(`{"title": "`+strings.Repeat("t", 70<<10)+`"}`))
		if code != 413 {
			t.Fatalf("json over the limit: %d %s", code, body)
		}
		// A chunked body (no length) is bounded as it arrives.
		code, body = f.raw("POST", "/api/collections/docs/records", "", "application/json",
			io.MultiReader(strings.NewReader(`{"title": "`), strings.NewReader(strings.Repeat("t", 70<<10)), strings.NewReader(`"}`)))
		if code != 413 {
			t.Fatalf("chunked json over the limit: %d %s", code, body)
		}
		code, _ = f.raw("POST", "/api/collections/docs/records", "", "application/json", io.MultiReader(strings.NewReader(`{"title": "chunked"}`)))
		if code != 200 {
			t.Fatalf("chunked json within the limit: %d", code)
		}
	})
	if keys := f.stored(f.docs); len(keys) != 0 {
		t.Fatalf("refused writes left files: %q", keys)
	}
	t.Run("hostile file names are made safe", func(t *testing.T) {
		for _, name := range []string{"/etc/passwd", `..\..\windows\win.ini`, "a\x00b.txt", "../../", ".hidden", strings.Repeat("é", 400) + ".txt", "x.php%00.png"} {
			code, body := f.send("POST", "/api/collections/docs/records", "", part{"attachments", name, []byte("content")})
			if code == 400 {
				continue // a name the multipart reader refuses is a 400, never a 500
			}
			if code != 200 {
				t.Fatalf("%q: %d %s", name, code, body)
			}
			d := decodeDoc(t, body)
			if len(d.Attachments) != 1 || !storedName.MatchString(d.Attachments[0]) || len(d.Attachments[0]) > 150 {
				t.Fatalf("%q stored as %q", name, d.Attachments)
			}
		}
	})
}

// TestUploadRefusedBeforeReadClosesConnection sends an upload that is
// refused before its body is read (a bad token): the answer closes the
// connection, so that the unread body is never taken for a request.
func TestUploadRefusedBeforeReadClosesConnection(t *testing.T) {
	f := mustFilesEnv(t)
	ct, body := multipartBody(t, part{"attachments", "a.txt", bytes.Repeat([]byte("GET /api/health HTTP/1.1\r\n\r\n"), 2000)})
	conn, err := net.Dial("tcp", strings.TrimPrefix(f.base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /api/collections/docs/records HTTP/1.1\r\nHost: x\r\nAuthorization: not-a-token\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n", ct, len(body))
	go conn.Write(body) //nolint:errcheck // the server may close first
	r := bufio.NewReader(conn)
	res, err := http.ReadResponse(r, nil)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	if res.StatusCode != 401 || !res.Close {
		t.Fatalf("got %d, close %v", res.StatusCode, res.Close)
	}
	if res, err := http.ReadResponse(r, nil); err == nil {
		t.Fatalf("a second answer on the connection: %d", res.StatusCode)
	}
}

// TestUploadStreams uploads a file far larger than the body limit (what
// the server would hold in memory): it is accepted, and the server's
// allocations stay a fraction of its size.
func TestUploadStreams(t *testing.T) {
	f := mustFilesEnv(t) // BodyLimit 1 MiB
	const size = 96 << 20
	f.MustJSON("POST", "/api/collections", "", `{"name": "big", "type": "base", "createRule": "",
		"fields": [{"name": "blob", "type": "file", "maxSelect": 1, "maxSize": 200000000}]}`, 200, nil)
	pr, pw := io.Pipe()
	w := multipart.NewWriter(pw)
	go func() {
		dst, _ := w.CreateFormFile("blob", "big.bin")
		chunk := bytes.Repeat([]byte{0xAB}, 64<<10)
		for written := 0; written < size; written += len(chunk) {
			if _, err := dst.Write(chunk); err != nil {
				pw.CloseWithError(err)
				return
			}
		}
		pw.CloseWithError(w.Close())
	}()
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	code, body := f.raw("POST", "/api/collections/big/records", "", w.FormDataContentType(), pr)
	runtime.ReadMemStats(&after)
	if code != 200 {
		t.Fatalf("upload: %d %s", code, body)
	}
	var rec struct {
		ID, Blob string
	}
	json.Unmarshal([]byte(body), &rec)
	big, _ := f.srv.Collections().Collection("big")
	st, err := os.Stat(filepath.Join(f.storage, big.ID, rec.ID, rec.Blob))
	if err != nil || st.Size() != size {
		t.Fatalf("stored: %v %v", st, err)
	}
	// Client and server share this process: both stream, so what they
	// allocate together stays far below the file's size.
	if grew := after.TotalAlloc - before.TotalAlloc; grew > size/3 {
		t.Fatalf("allocated %d MiB for a %d MiB upload", grew>>20, size>>20)
	}
	if entries, _ := os.ReadDir(filepath.Join(f.dir, "uploads")); len(entries) != 0 {
		t.Fatalf("temporary files left: %d", len(entries))
	}
}

func TestProtectedFiles(t *testing.T) {
	t.Parallel()
	f := mustFilesEnv(t)
	f.MustJSON("POST", "/api/collections", "", `{"name": "members", "type": "auth", "createRule": "", "viewRule": "id = @request.auth.id",
		"passwordAuth": {"enabled": true, "identityFields": ["email"]}, "fields": []}`, 200, nil)
	tokens := map[string]string{}
	ids := map[string]string{}
	for _, who := range []string{"owner", "other"} {
		var rec struct{ ID string }
		f.MustJSON("POST", "/api/collections/members/records", "-", fmt.Sprintf(`{"email": "%s@example.com", "password": "password-123", "passwordConfirm": "password-123"}`, who), 200, &rec)
		ids[who] = rec.ID
		var auth struct{ Token string }
		f.MustJSON("POST", "/api/collections/members/auth-with-password", "-", fmt.Sprintf(`{"identity": "%s@example.com", "password": "password-123"}`, who), 200, &auth)
		var ft struct{ Token string }
		f.MustJSON("POST", "/api/files/token", auth.Token, "", 200, &ft)
		tokens[who] = ft.Token
	}
	code, body := f.send("POST", "/api/collections/docs/records", "", part{"owner", "", []byte(ids["owner"])}, part{"secret", "plan.txt", []byte("the plan")})
	if code != 200 {
		t.Fatalf("create: %d %s", code, body)
	}
	d := decodeDoc(t, body)
	var su struct{ Token string }
	f.MustJSON("POST", "/api/files/token", "", "", 200, &su)
	url := "/api/files/docs/" + d.ID + "/" + d.Secret
	for _, c := range []struct {
		name, query string
		want        int
	}{
		{"no token", "", 404},
		{"a token of a user the view rule refuses", "?token=" + tokens["other"], 404},
		{"an auth token instead of a file token", "?token=" + f.token, 404},
		{"a forged token", "?token=" + tokens["owner"] + "x", 404},
		{"the owner's file token", "?token=" + tokens["owner"], 200},
		{"a superuser's file token", "?token=" + su.Token, 200},
	} {
		t.Run(c.name, func(t *testing.T) {
			res, b := f.get(url + c.query)
			if res.StatusCode != c.want || (c.want == 200 && string(b) != "the plan") {
				t.Fatalf("got %d %q", res.StatusCode, b)
			}
			if c.want == 200 && !strings.Contains(res.Header.Get("Cache-Control"), "no-store") {
				t.Fatalf("cache-control %q", res.Header.Get("Cache-Control"))
			}
		})
	}
	t.Run("an expired file token", func(t *testing.T) {
		f.MustJSON("PATCH", "/api/collections/members", "", `{"fileToken": {"duration": 10}}`, 200, nil)
		var auth, ft struct{ Token string }
		f.MustJSON("POST", "/api/collections/members/auth-with-password", "-", `{"identity": "owner@example.com", "password": "password-123"}`, 200, &auth)
		eventually(t, "file tokens last 10 s", func() bool { // once the node has read the changed collection
			f.MustJSON("POST", "/api/files/token", auth.Token, "", 200, &ft)
			raw, _ := base64.RawURLEncoding.DecodeString(strings.Split(ft.Token, ".")[1])
			var claims struct{ Exp, Iat int64 }
			json.Unmarshal(raw, &claims)
			return claims.Exp-claims.Iat == 10
		})
		if res, _ := f.get(url + "?token=" + ft.Token); res.StatusCode != 200 {
			t.Fatalf("fresh: %d", res.StatusCode)
		}
		time.Sleep(11 * time.Second) // the shortest duration a collection accepts is 10 s
		if res, _ := f.get(url + "?token=" + ft.Token); res.StatusCode != 404 {
			t.Fatalf("expired: %d", res.StatusCode)
		}
	})
}

// TestFilesFollowTheirRecords deletes records every way a record goes (a
// request, a cascade, a batch rolled back, plain SQL) and checks the
// storage against the database.
func TestFilesFollowTheirRecords(t *testing.T) {
	f := mustFilesEnv(t)
	var parents struct{ ID string }
	f.MustJSON("POST", "/api/collections", "", `{"name": "parents", "type": "base", "createRule": "", "deleteRule": "", "fields": [{"name": "name", "type": "text"}]}`, 200, &parents)
	f.MustJSON("POST", "/api/collections", "", fmt.Sprintf(`{"name": "children", "type": "base", "createRule": "",
		"fields": [{"name": "parent", "type": "relation", "collectionId": %q, "maxSelect": 1, "cascadeDelete": true},
		           {"name": "photo", "type": "file", "maxSelect": 1}]}`, parents.ID), 200, nil)
	children, _ := f.srv.Collections().Collection("children")
	newDoc := func() docRecord {
		code, body := f.send("POST", "/api/collections/docs/records", "", part{"attachments", "a.txt", []byte("a")})
		if code != 200 {
			t.Fatalf("create: %d %s", code, body)
		}
		return decodeDoc(t, body)
	}

	t.Run("a delete request", func(t *testing.T) {
		d := newDoc()
		f.MustJSON("DELETE", "/api/collections/docs/records/"+d.ID, "", "", 204, nil)
		eventually(t, "files deleted", func() bool { return len(f.stored(f.docs+"/"+d.ID)) == 0 })
	})
	t.Run("a cascade", func(t *testing.T) {
		var p struct{ ID string }
		f.MustJSON("POST", "/api/collections/parents/records", "", `{"name": "p"}`, 200, &p)
		code, body := f.send("POST", "/api/collections/children/records", "", part{"parent", "", []byte(p.ID)}, part{"photo", "kid.png", pngBytes(t, 2, 2)})
		if code != 200 {
			t.Fatalf("child: %d %s", code, body)
		}
		var child struct{ ID string }
		json.Unmarshal([]byte(body), &child)
		if len(f.stored(children.ID+"/"+child.ID)) != 1 {
			t.Fatal("child's file not stored")
		}
		f.MustJSON("DELETE", "/api/collections/parents/records/"+p.ID, "", "", 204, nil)
		eventually(t, "the child's file deleted", func() bool { return len(f.stored(children.ID+"/"+child.ID)) == 0 })
	})
	t.Run("plain SQL", func(t *testing.T) {
		d := newDoc()
		conn, err := pgx.Connect(context.Background(), f.dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(context.Background())
		if _, err := conn.Exec(context.Background(), `DELETE FROM docs WHERE id = $1`, d.ID); err != nil {
			t.Fatal(err)
		}
		eventually(t, "files deleted", func() bool { return len(f.stored(f.docs+"/"+d.ID)) == 0 })
	})
	t.Run("a batch that fails leaves no file", func(t *testing.T) {
		ct, body := multipartBody(t,
			part{"requests.0.attachments", "kept-not.txt", []byte("x")},
			part{"@jsonPayload", "", []byte(`{"requests": [
				{"method": "POST", "url": "/api/collections/docs/records", "body": {"title": "in a batch"}},
				{"method": "POST", "url": "/api/collections/nope/records", "body": {}}]}`)})
		code, out := f.raw("POST", "/api/batch", "", ct, bytes.NewReader(body))
		if code != 400 {
			t.Fatalf("batch: %d %s", code, out)
		}
		var n int
		conn, _ := pgx.Connect(context.Background(), f.dsn)
		defer conn.Close(context.Background())
		conn.QueryRow(context.Background(), `SELECT count(*) FROM docs WHERE title = 'in a batch'`).Scan(&n)
		if n != 0 {
			t.Fatal("the batch's record was kept")
		}
		for _, k := range f.stored(f.docs) {
			if strings.Contains(k, "kept_not_") {
				t.Fatalf("a file of the failed batch is stored: %s", k)
			}
		}
	})
	t.Run("a batch with files", func(t *testing.T) {
		ct, body := multipartBody(t,
			part{"requests.0.attachments", "one.txt", []byte("1")},
			part{"requests.1.avatar", "face.png", pngBytes(t, 5, 5)},
			part{"@jsonPayload", "", []byte(`{"requests": [
				{"method": "POST", "url": "/api/collections/docs/records", "body": {"title": "b0"}},
				{"method": "POST", "url": "/api/collections/docs/records", "body": {"title": "b1"}}]}`)})
		code, out := f.raw("POST", "/api/batch", "", ct, bytes.NewReader(body))
		var results []struct {
			Status int
			Body   docRecord
		}
		json.Unmarshal([]byte(out), &results)
		if code != 200 || len(results) != 2 || len(results[0].Body.Attachments) != 1 || results[1].Body.Avatar == "" {
			t.Fatalf("batch: %d %s", code, out)
		}
		if res, b := f.get("/api/files/docs/" + results[0].Body.ID + "/" + results[0].Body.Attachments[0]); res.StatusCode != 200 || string(b) != "1" {
			t.Fatalf("batch file: %d %q", res.StatusCode, b)
		}
	})
	t.Run("the sweeper removes what no record holds", func(t *testing.T) {
		d := newDoc()
		orphan := filepath.Join(f.storage, f.docs, "gone_record", "left_1234567890.txt")
		stray := filepath.Join(f.storage, f.docs, d.ID, "stray_1234567890.txt")
		young := filepath.Join(f.storage, f.docs, d.ID, "young_1234567890.txt")
		old := time.Now().Add(-2 * time.Hour)
		for _, k := range f.stored(f.docs + "/" + d.ID) {
			p := filepath.Join(f.storage, filepath.FromSlash(k))
			os.Chtimes(p, old, old) // the record's own file, old too: kept
		}
		for _, p := range []string{orphan, stray, young} {
			os.MkdirAll(filepath.Dir(p), 0o755)
			os.WriteFile(p, []byte("x"), 0o644)
		}
		os.Chtimes(orphan, old, old)
		os.Chtimes(stray, old, old)
		f.MustJSON("POST", "/api/crons/__lumbungFilesSweep__", "", "", 204, nil) // runs in the background
		var keys []string
		eventually(t, "orphans removed", func() bool {
			keys = f.stored(f.docs)
			return !slices.ContainsFunc(keys, func(k string) bool { return strings.Contains(k, "left_") || strings.Contains(k, "stray_") })
		})
		if !slices.ContainsFunc(keys, func(k string) bool { return strings.Contains(k, "young_") }) ||
			!slices.Contains(keys, f.docs+"/"+d.ID+"/"+d.Attachments[0]) {
			t.Fatalf("held or recent files removed: %q", keys)
		}
	})
}

// TestFilesInS3 runs the lifecycle of a record's files with the s3
// settings on, against an S3 server on loopback: upload, serve, thumb,
// range, and deletion when the record goes.
func TestFilesInS3(t *testing.T) {
	t.Parallel()
	f := mustFilesEnv(t)
	srv := s3test.MustServer(t)
	srv.MustBucket(t, "files", true)
	f.MustJSON("PATCH", "/api/settings", "", fmt.Sprintf(`{"s3": {"enabled": true, "bucket": "files", "region": "us-east-1",
		"endpoint": %q, "accessKey": "access", "secret": "s3-secret", "forcePathStyle": true}}`, srv.URL), 200, nil)
	bucket, err := s3.New(srv.Config("files", true))
	if err != nil {
		t.Fatal(err)
	}
	inBucket := func(prefix string) []string {
		var keys []string
		for info, err := range bucket.List(t.Context(), prefix) {
			if err != nil {
				t.Fatal(err)
			}
			keys = append(keys, info.Key)
		}
		return keys
	}
	img := pngBytes(t, 30, 30)
	code, body := f.send("POST", "/api/collections/docs/records", "", part{"avatar", "face.png", img}, part{"attachments", "a.txt", []byte("abcdef")})
	if code != 200 {
		t.Fatalf("create: %d %s", code, body)
	}
	d := decodeDoc(t, body)
	if keys := inBucket(f.docs + "/" + d.ID + "/"); len(keys) != 2 {
		t.Fatalf("in the bucket: %q", keys)
	}
	if len(f.stored(f.docs)) != 0 {
		t.Fatal("a file went to the folder, not the bucket")
	}
	url := "/api/files/docs/" + d.ID + "/"
	if res, b := f.get(url + d.Avatar); res.StatusCode != 200 || !bytes.Equal(b, img) || res.Header.Get("Content-Type") != "image/png" {
		t.Fatalf("served: %d %v", res.StatusCode, res.Header)
	}
	if res, b := f.get(url+d.Attachments[0], "Range", "bytes=1-2"); res.StatusCode != 206 || string(b) != "bc" {
		t.Fatalf("range: %d %q", res.StatusCode, b)
	}
	res, b := f.get(url + d.Avatar + "?thumb=20x10")
	if cfg, _, err := image.DecodeConfig(bytes.NewReader(b)); res.StatusCode != 200 || err != nil || cfg.Width != 20 || cfg.Height != 10 {
		t.Fatalf("thumb: %d %v", res.StatusCode, err)
	}
	if keys := inBucket(f.docs + "/" + d.ID + "/thumbs_" + d.Avatar + "/"); len(keys) != 1 {
		t.Fatalf("thumb in the bucket: %q", keys)
	}
	f.MustJSON("DELETE", "/api/collections/docs/records/"+d.ID, "", "", 204, nil)
	eventually(t, "the record's files leave the bucket", func() bool { return len(inBucket(f.docs+"/"+d.ID+"/")) == 0 })
}

// TestViewFiles serves the files a view's records show from the records
// of the collection they belong to, under the view's own rules.
func TestViewFiles(t *testing.T) {
	t.Parallel()
	f := mustFilesEnv(t)
	f.MustJSON("POST", "/api/collections", "", `{"name": "doc_view", "type": "view", "listRule": "", "viewRule": "",
		"viewQuery": "SELECT id, title, avatar, attachments, secret FROM docs"}`, 200, nil)
	f.MustJSON("POST", "/api/collections", "", `{"name": "closed_view", "type": "view", "listRule": null, "viewRule": null,
		"viewQuery": "SELECT id, secret FROM docs"}`, 200, nil)
	img := pngBytes(t, 12, 12)
	code, body := f.send("POST", "/api/collections/docs/records", "", part{"avatar", "v.png", img},
		part{"attachments", "a.txt", []byte("in a view")}, part{"secret", "s.txt", []byte("secret in a view")})
	if code != 200 {
		t.Fatalf("create: %d %s", code, body)
	}
	d := decodeDoc(t, body)
	for _, c := range []struct {
		path, want string
		status     int
	}{
		{"/api/files/doc_view/" + d.ID + "/" + d.Attachments[0], "in a view", 200},
		{"/api/files/doc_view/" + d.ID + "/" + d.Avatar + "?thumb=100x100", "", 200},
		{"/api/files/doc_view/" + d.ID + "/nope_1234567890.txt", "", 404},
		{"/api/files/doc_view/" + d.ID + "/" + d.Secret, "secret in a view", 200}, // the view's rule lets anyone view
		{"/api/files/closed_view/" + d.ID + "/" + d.Secret, "", 404},              // only superusers may view
	} {
		res, b := f.get(c.path)
		if res.StatusCode != c.status || (c.want != "" && string(b) != c.want) {
			t.Errorf("%s: %d %q", c.path, res.StatusCode, b)
		}
	}
	var su struct{ Token string }
	f.MustJSON("POST", "/api/files/token", "", "", 200, &su)
	if res, b := f.get("/api/files/closed_view/" + d.ID + "/" + d.Secret + "?token=" + su.Token); res.StatusCode != 200 || string(b) != "secret in a view" {
		t.Errorf("superuser through the closed view: %d %q", res.StatusCode, b)
	}
}

// TestMultipartBounds: a body of many tiny parts is refused with a 400,
// not read into memory part after part.
func TestMultipartBounds(t *testing.T) {
	t.Parallel()
	f := mustFilesEnv(t)
	var parts []part
	for i := range 1001 {
		parts = append(parts, part{fmt.Sprintf("v%d", i), "", []byte("x")})
	}
	code, body := f.send("POST", "/api/collections/docs/records", "", parts...)
	if code != 400 || !strings.Contains(body, "more than 1000 parts") {
		t.Fatalf("got %d %s", code, body)
	}
	code, _ = f.send("POST", "/api/collections/docs/records", "", parts[:1000]...)
	if code != 200 {
		t.Fatalf("1000 parts: %d", code)
	}
}

// TestFileRules: rules read uploads as the names they will be stored
// under (@request.body.<field>:length counts them), and filters count a
// record's files.
func TestFileRules(t *testing.T) {
	t.Parallel()
	f := mustFilesEnv(t)
	f.MustJSON("POST", "/api/collections", "", `{"name": "albums", "type": "base", "listRule": "", "viewRule": "",
		"createRule": "@request.body.photos:length >= 1 && @request.body.photos:length <= 2",
		"fields": [{"name": "photos", "type": "file", "maxSelect": 5}]}`, 200, nil)
	one := part{"photos", "a.txt", []byte("a")}
	for _, c := range []struct {
		name  string
		parts []part
		want  int
	}{
		{"no file", []part{{"title", "", []byte("x")}}, 400},
		{"one file", []part{one}, 200},
		{"two files", []part{one, {"photos", "b.txt", []byte("b")}}, 200},
		{"three files", []part{one, {"photos", "b.txt", []byte("b")}, {"photos", "c.txt", []byte("c")}}, 400},
	} {
		if code, body := f.send("POST", "/api/collections/albums/records", "-", c.parts...); code != c.want {
			t.Errorf("%s: %d %s", c.name, code, body)
		}
	}
	var page struct{ TotalItems int }
	f.MustJSON("GET", "/api/collections/albums/records?filter="+url.QueryEscape("photos:length = 2"), "-", "", 200, &page)
	if page.TotalItems != 1 {
		t.Errorf("photos:length = 2 lists %d", page.TotalItems)
	}
}

// TestProtectedFilesFollowViewAccess: on generated records, owners and
// callers, a protected file is served with a caller's file token exactly
// when that caller may view the record (the records API is the oracle),
// and without a token exactly when a guest may; every other answer is a
// 404.
func TestProtectedFilesFollowViewAccess(t *testing.T) {
	t.Parallel()
	f := mustFilesEnv(t)
	f.MustJSON("POST", "/api/collections", "", `{"name": "cards", "type": "base", "createRule": null,
		"listRule": "owner = @request.auth.id || shared = true", "viewRule": "owner = @request.auth.id || shared = true",
		"fields": [{"name": "owner", "type": "text"}, {"name": "shared", "type": "bool"},
		           {"name": "doc", "type": "file", "maxSelect": 1, "protected": true, "thumbs": ["10x10"]}]}`, 200, nil)
	type caller struct{ name, auth, file, id string }
	callers := []caller{{name: "guest", auth: "-"}}
	for i := range 3 {
		email := fmt.Sprintf("u%d@example.com", i)
		var rec struct{ ID string }
		f.MustJSON("POST", "/api/collections/users/records", "", fmt.Sprintf(`{"email": %q, "password": "password-123", "passwordConfirm": "password-123"}`, email), 200, &rec)
		var auth, ft struct{ Token string }
		f.MustJSON("POST", "/api/collections/users/auth-with-password", "-", fmt.Sprintf(`{"identity": %q, "password": "password-123"}`, email), 200, &auth)
		f.MustJSON("POST", "/api/files/token", auth.Token, "", 200, &ft)
		callers = append(callers, caller{email, auth.Token, ft.Token, rec.ID})
	}
	var su struct{ Token string }
	f.MustJSON("POST", "/api/files/token", "", "", 200, &su)
	callers = append(callers, caller{"superuser", f.token, su.Token, ""})
	rng := rand.New(rand.NewPCG(7, 11))
	img := pngBytes(t, 12, 12)
	for i := range 12 {
		owner := callers[1+rng.IntN(4)].id // a user, or no one
		code, body := f.send("POST", "/api/collections/cards/records", "", part{"owner", "", []byte(owner)},
			part{"shared", "", []byte(fmt.Sprint(rng.IntN(3) == 0))}, part{"doc", fmt.Sprintf("card%d.png", i), img})
		if code != 200 {
			t.Fatalf("create: %d %s", code, body)
		}
		d := decodeDoc(t, strings.Replace(body, `"doc"`, `"secret"`, 1))
		for _, c := range callers {
			view, _ := f.Do("GET", "/api/collections/cards/records/"+d.ID, c.auth, "")
			url := "/api/files/cards/" + d.ID + "/" + d.Secret
			want := 404
			if view == 200 {
				want = 200
			}
			if c.file != "" {
				for _, q := range []string{"?token=" + c.file, "?thumb=10x10&token=" + c.file, "?download=1&token=" + c.file} {
					if res, _ := f.get(url + q); res.StatusCode != want {
						t.Errorf("%s, record %d (owner %q): file %s is %d, the record %d", c.name, i, owner, q, res.StatusCode, view)
					}
				}
			}
			if c.name == "guest" {
				if res, _ := f.get(url); res.StatusCode != want {
					t.Errorf("guest, record %d: file without a token is %d, the record %d", i, res.StatusCode, view)
				}
			}
		}
	}
}
