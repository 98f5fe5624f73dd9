// Package storagetest is the conformance test every storage.Storage
// passes: the same table runs against the local filesystem and S3.
package storagetest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lumbunghq/lumbung/server/storage"
)

// BigSize is the size of the big object the conformance test streams.
const BigSize = 12 << 20

// Run runs the conformance table against the Storage open returns; each
// subtest gets its own empty one.
func Run(t *testing.T, open func(t *testing.T) storage.Storage) {
	tests := []struct {
		name string
		run  func(t *testing.T, ctx context.Context, s storage.Storage)
	}{
		{"put and read back", testPutGet},
		{"ranges", testRanges},
		{"stat and exists", testStat},
		{"overwrite", testOverwrite},
		{"missing", testMissing},
		{"list by prefix", testList},
		{"delete", testDelete},
		{"invalid keys", testInvalidKeys},
		{"failed put leaves the old object", testFailedPut},
		{"readers never see a part of an overwrite", testAtomicOverwrite},
		{"big object streamed, known size", func(t *testing.T, ctx context.Context, s storage.Storage) { testBig(t, ctx, s, BigSize) }},
		{"big object streamed, unknown size", func(t *testing.T, ctx context.Context, s storage.Storage) { testBig(t, ctx, s, -1) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.run(t, t.Context(), open(t))
		})
	}
}

// MustPut stores body under key.
func MustPut(tb testing.TB, s storage.Storage, key, body, contentType string) {
	tb.Helper()
	if err := s.Put(tb.Context(), key, strings.NewReader(body), int64(len(body)), contentType); err != nil {
		tb.Fatalf("put %s: %v", key, err)
	}
}

// MustRead returns the object under key, whole, with its Info.
func MustRead(tb testing.TB, s storage.Storage, key string) (string, storage.Info) {
	tb.Helper()
	o, err := s.Open(tb.Context(), key)
	if err != nil {
		tb.Fatalf("open %s: %v", key, err)
	}
	defer o.Close()
	b, err := io.ReadAll(o)
	if err != nil {
		tb.Fatalf("read %s: %v", key, err)
	}
	return string(b), o.Info()
}

func testPutGet(t *testing.T, ctx context.Context, s storage.Storage) {
	before := time.Now().Add(-time.Minute)
	MustPut(t, s, "col/rec/hello_abc.txt", "hello, world", "text/plain; charset=utf-8")
	body, info := MustRead(t, s, "col/rec/hello_abc.txt")
	if body != "hello, world" || info.Size != 12 || info.ContentType != "text/plain; charset=utf-8" || info.Key != "col/rec/hello_abc.txt" {
		t.Fatalf("read %q %+v", body, info)
	}
	if info.ModTime.Before(before) || info.ModTime.After(time.Now().Add(time.Minute)) {
		t.Fatalf("modification time %v", info.ModTime)
	}
	// Unknown size.
	if err := s.Put(ctx, "u/nosize.bin", strings.NewReader("abc"), -1, "application/octet-stream"); err != nil {
		t.Fatal(err)
	}
	if body, info := MustRead(t, s, "u/nosize.bin"); body != "abc" || info.Size != 3 {
		t.Fatalf("unknown size: %q %+v", body, info)
	}
	// An empty object.
	MustPut(t, s, "empty", "", "text/plain")
	if body, info := MustRead(t, s, "empty"); body != "" || info.Size != 0 {
		t.Fatalf("empty: %q %+v", body, info)
	}
}

func testRanges(t *testing.T, ctx context.Context, s storage.Storage) {
	MustPut(t, s, "r/digits", "0123456789", "text/plain")
	o, err := s.Open(ctx, "r/digits")
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	read := func(whence int, off int64, n int) string {
		t.Helper()
		if _, err := o.Seek(off, whence); err != nil {
			t.Fatalf("seek %d %d: %v", off, whence, err)
		}
		b := make([]byte, n)
		if _, err := io.ReadFull(o, b); err != nil {
			t.Fatalf("read %d at %d/%d: %v", n, off, whence, err)
		}
		return string(b)
	}
	if got := read(io.SeekStart, 3, 4); got != "3456" {
		t.Fatalf("bytes 3-6: %q", got)
	}
	if got := read(io.SeekEnd, -2, 2); got != "89" {
		t.Fatalf("last two: %q", got)
	}
	if got := read(io.SeekStart, 0, 2); got != "01" {
		t.Fatalf("back to the start: %q", got)
	}
	if got := read(io.SeekCurrent, 1, 1); got != "3" {
		t.Fatalf("from current: %q", got)
	}
	if end, err := o.Seek(0, io.SeekEnd); err != nil || end != 10 {
		t.Fatalf("size by seeking: %d %v", end, err)
	}
}

func testStat(t *testing.T, ctx context.Context, s storage.Storage) {
	MustPut(t, s, "s/a.png", "not really a png", "image/png")
	info, err := s.Stat(ctx, "s/a.png")
	if err != nil || info.Size != 16 || info.ContentType != "image/png" || info.Key != "s/a.png" {
		t.Fatalf("stat: %+v %v", info, err)
	}
	for key, want := range map[string]bool{"s/a.png": true, "s/b.png": false, "s": false, "s/a.pn": false} {
		if got, err := storage.Exists(ctx, s, key); err != nil || got != want {
			t.Fatalf("exists %q: %v %v, want %v", key, got, err, want)
		}
	}
}

func testOverwrite(t *testing.T, ctx context.Context, s storage.Storage) {
	MustPut(t, s, "o/file", "first version, longer", "text/plain")
	MustPut(t, s, "o/file", "second", "application/json")
	body, info := MustRead(t, s, "o/file")
	if body != "second" || info.Size != 6 || info.ContentType != "application/json" {
		t.Fatalf("overwritten: %q %+v", body, info)
	}
}

func testMissing(t *testing.T, ctx context.Context, s storage.Storage) {
	MustPut(t, s, "m/dir/file", "x", "text/plain")
	for _, key := range []string{"m/none", "none", "m/dir", "m/dir/file/deeper"} {
		if _, err := s.Open(ctx, key); !errors.Is(err, storage.ErrNotFound) {
			t.Fatalf("open %q: %v, want ErrNotFound", key, err)
		}
		if _, err := s.Stat(ctx, key); !errors.Is(err, storage.ErrNotFound) {
			t.Fatalf("stat %q: %v, want ErrNotFound", key, err)
		}
		if err := s.Delete(ctx, key); err != nil {
			t.Fatalf("delete missing %q: %v", key, err)
		}
	}
}

// keys lists prefix and returns the keys, sorted.
func keys(t *testing.T, ctx context.Context, s storage.Storage, prefix string) []string {
	t.Helper()
	var out []string
	for info, err := range s.List(ctx, prefix) {
		if err != nil {
			t.Fatalf("list %q: %v", prefix, err)
		}
		if info.ModTime.IsZero() || (prefix == "" && info.Size != int64(len(info.Key))) {
			t.Fatalf("list %q: %+v", prefix, info)
		}
		out = append(out, info.Key)
	}
	slices.Sort(out)
	return out
}

func testList(t *testing.T, ctx context.Context, s storage.Storage) {
	// The listing's sizes are checked on the whole listing: each body is its key.
	all := []string{"a-c", "a/1", "a/2", "a/b/3", "ab/4", "b/5"}
	for _, k := range all {
		MustPut(t, s, k, k, "text/plain")
	}
	for prefix, want := range map[string][]string{
		"":     all,
		"a/":   {"a/1", "a/2", "a/b/3"},
		"a":    {"a-c", "a/1", "a/2", "a/b/3", "ab/4"},
		"a/b":  {"a/b/3"},
		"a/b/": {"a/b/3"},
		"ab/4": {"ab/4"},
		"zz/":  nil,
		"a/3":  nil,
	} {
		if got := keys(t, ctx, s, prefix); !slices.Equal(got, want) {
			t.Fatalf("list %q: %v, want %v", prefix, got, want)
		}
	}
	n := 0
	for _, err := range s.List(ctx, "") {
		if err != nil {
			t.Fatal(err)
		}
		if n++; n == 2 {
			break
		}
	}
	if n != 2 {
		t.Fatalf("stopped after %d", n)
	}
	for _, bad := range []string{"../", "/a", "a/../"} {
		for _, err := range s.List(ctx, bad) {
			if !errors.Is(err, storage.ErrInvalidKey) {
				t.Fatalf("list %q: %v, want ErrInvalidKey", bad, err)
			}
		}
	}
}

func testDelete(t *testing.T, ctx context.Context, s storage.Storage) {
	MustPut(t, s, "d/x/1", "1", "text/plain")
	MustPut(t, s, "d/x/2", "2", "text/plain")
	if err := s.Delete(ctx, "d/x/1"); err != nil {
		t.Fatal(err)
	}
	if got := keys(t, ctx, s, "d/"); !slices.Equal(got, []string{"d/x/2"}) {
		t.Fatalf("after delete: %v", got)
	}
	if err := s.Delete(ctx, "d/x/1"); err != nil {
		t.Fatalf("second delete: %v", err)
	}
	if err := s.Delete(ctx, "d/x/2"); err != nil {
		t.Fatal(err)
	}
	// The emptied folders are gone: a new object may take their name.
	MustPut(t, s, "d/x", "now a file", "text/plain")
	if body, _ := MustRead(t, s, "d/x"); body != "now a file" {
		t.Fatalf("read %q", body)
	}
}

func testInvalidKeys(t *testing.T, ctx context.Context, s storage.Storage) {
	for _, key := range []string{
		"", "../escape", "a/../../escape", "a/..", "..", ".", "./a", "/etc/passwd", "a//b", "a/",
		"a\x00b", "a\\..\\b", "a\nb", strings.Repeat("k", storage.MaxKeyLength+1), "bad\xffutf8",
	} {
		if err := s.Put(ctx, key, strings.NewReader("x"), 1, "text/plain"); !errors.Is(err, storage.ErrInvalidKey) {
			t.Fatalf("put %q: %v, want ErrInvalidKey", key, err)
		}
		if _, err := s.Open(ctx, key); !errors.Is(err, storage.ErrInvalidKey) {
			t.Fatalf("open %q: %v", key, err)
		}
		if _, err := s.Stat(ctx, key); !errors.Is(err, storage.ErrInvalidKey) {
			t.Fatalf("stat %q: %v", key, err)
		}
		if err := s.Delete(ctx, key); !errors.Is(err, storage.ErrInvalidKey) {
			t.Fatalf("delete %q: %v", key, err)
		}
	}
	long := strings.Repeat("k", 200) + "/" + strings.Repeat("é", 100) // 401 bytes
	MustPut(t, s, long, "ok", "text/plain")
	if body, _ := MustRead(t, s, long); body != "ok" {
		t.Fatalf("long key read %q", body)
	}
}

// failingReader yields n bytes, then fails.
type failingReader struct{ n int }

func (f *failingReader) Read(p []byte) (int, error) {
	if f.n == 0 {
		return 0, errors.New("the client went away")
	}
	k := min(len(p), f.n)
	clear(p[:k])
	f.n -= k
	return k, nil
}

func testFailedPut(t *testing.T, ctx context.Context, s storage.Storage) {
	MustPut(t, s, "f/keep", "the old object", "text/plain")
	if err := s.Put(ctx, "f/keep", &failingReader{n: 1 << 20}, 4<<20, "image/png"); err == nil {
		t.Fatal("a failing reader stored an object")
	}
	if err := s.Put(ctx, "f/keep", &failingReader{n: 1 << 20}, -1, "text/plain"); err == nil {
		t.Fatal("a failing reader of unknown size stored an object")
	}
	if err := s.Put(ctx, "f/keep", strings.NewReader("short"), 10, "application/json"); err == nil {
		t.Fatal("a short body stored an object")
	}
	if err := s.Put(ctx, "f/new", &failingReader{n: 1 << 20}, -1, "text/plain"); err == nil {
		t.Fatal("a failing reader stored a new object")
	}
	if body, info := MustRead(t, s, "f/keep"); body != "the old object" || info.ContentType != "text/plain" {
		t.Fatalf("after failed puts: %q %+v", body, info)
	}
	if ok, err := storage.Exists(ctx, s, "f/new"); ok || err != nil {
		t.Fatalf("a failed put left f/new: %v %v", ok, err)
	}
	if got := keys(t, ctx, s, "f/"); len(got) != 1 {
		t.Fatalf("listing after failed puts: %v", got)
	}
}

func testAtomicOverwrite(t *testing.T, ctx context.Context, s storage.Storage) {
	const size = 256 << 10
	bodies := []string{strings.Repeat("a", size), strings.Repeat("b", size)}
	MustPut(t, s, "atomic/x", bodies[0], "text/plain")
	done := make(chan error, 1)
	go func() {
		for i := range 20 {
			if err := s.Put(ctx, "atomic/x", strings.NewReader(bodies[i%2]), -1, "text/plain"); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	for reads := 0; ; reads++ {
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
			return
		default:
		}
		body, info := MustRead(t, s, "atomic/x")
		if len(body) != size || info.Size != size || strings.Trim(body, body[:1]) != "" {
			t.Fatalf("read %d: a part of an object (%d bytes, info %d)", reads, len(body), info.Size)
		}
	}
}

// pattern yields size pseudo-random bytes from a seed, without holding
// them.
func pattern(seed uint64, size int64) io.Reader {
	return io.LimitReader(&randReader{r: rand.New(rand.NewPCG(seed, seed))}, size)
}

type randReader struct{ r *rand.Rand }

func (g *randReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(g.r.Uint32())
	}
	return len(p), nil
}

// onlyReader hides any other method of a reader (Seek, ReadAt, WriteTo),
// as a request body would.
type onlyReader struct{ io.Reader }

func testBig(t *testing.T, ctx context.Context, s storage.Storage, size int64) {
	want := sha256.New()
	io.Copy(want, pattern(7, BigSize))
	if err := s.Put(ctx, "big/object.bin", onlyReader{pattern(7, BigSize)}, size, "application/octet-stream"); err != nil {
		t.Fatal(err)
	}
	o, err := s.Open(ctx, "big/object.bin")
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	if o.Info().Size != BigSize {
		t.Fatalf("size %d", o.Info().Size)
	}
	got := sha256.New()
	if n, err := io.Copy(got, o); err != nil || n != BigSize {
		t.Fatalf("read back %d bytes: %v", n, err)
	}
	if !bytes.Equal(got.Sum(nil), want.Sum(nil)) {
		t.Fatal("the big object read back differs")
	}
	// A range near the end.
	if _, err := o.Seek(BigSize-5, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	tail, err := io.ReadAll(o)
	p := pattern(7, BigSize)
	io.CopyN(io.Discard, p, BigSize-5)
	wantTail, _ := io.ReadAll(p)
	if err != nil || !bytes.Equal(tail, wantTail) {
		t.Fatalf("tail %x: %v", tail, err)
	}
}
