package local_test

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/lumbunghq/lumbung/server/storage"
	"github.com/lumbunghq/lumbung/server/storage/local"
	"github.com/lumbunghq/lumbung/server/storage/storagetest"
)

func MustLocal(tb testing.TB) *local.Storage {
	tb.Helper()
	s, err := local.New(filepath.Join(tb.TempDir(), "storage"))
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

func TestConformance(t *testing.T) {
	t.Parallel()
	storagetest.Run(t, func(t *testing.T) storage.Storage { return MustLocal(t) })
}

func TestPlainFilesUnderTheRoot(t *testing.T) {
	t.Parallel()
	s := MustLocal(t)
	storagetest.MustPut(t, s, "c1/r1/avatar_x1.png", "png bytes", "image/png")
	b, err := os.ReadFile(filepath.Join(s.Root(), "c1", "r1", "avatar_x1.png"))
	if err != nil || string(b) != "png bytes" {
		t.Fatalf("file on disk: %q %v", b, err)
	}
	// No temporary file is left behind, failed puts included.
	_ = s.Put(t.Context(), "c1/r1/broken", strings.NewReader("short"), 99, "text/plain")
	tmp, _ := os.ReadDir(filepath.Join(s.Root(), ".lumbung", "tmp"))
	if len(tmp) != 0 {
		t.Fatalf("temporary files left: %v", tmp)
	}
	// The reserved folder is not a key, and is not listed.
	if err := s.Put(t.Context(), ".lumbung/meta/x", strings.NewReader("x"), 1, ""); !errors.Is(err, storage.ErrInvalidKey) {
		t.Fatalf("reserved key: %v", err)
	}
	var listed []string
	for info, err := range s.List(t.Context(), "") {
		if err != nil {
			t.Fatal(err)
		}
		listed = append(listed, info.Key)
	}
	if len(listed) != 1 || listed[0] != "c1/r1/avatar_x1.png" {
		t.Fatalf("listed %v", listed)
	}
	// A file written there by hand is served with its extension's type.
	if err := os.WriteFile(filepath.Join(s.Root(), "c1", "r1", "by_hand.json"), []byte("{}"), 0o600); err != nil {
		t.Fatal(err)
	}
	if info, err := s.Stat(t.Context(), "c1/r1/by_hand.json"); err != nil || info.ContentType != "application/json" {
		t.Fatalf("by hand: %+v %v", info, err)
	}
}

func TestKeysStayUnderTheRoot(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s, err := local.New(filepath.Join(dir, "storage"))
	if err != nil {
		t.Fatal(err)
	}
	secret := filepath.Join(dir, "secret.txt")
	if err := os.WriteFile(secret, []byte("do not read"), 0o600); err != nil {
		t.Fatal(err)
	}
	// A symbolic link placed under the root does not lead out of it.
	if err := os.Symlink(dir, filepath.Join(s.Root(), "out")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Open(t.Context(), "out/secret.txt"); err == nil || errors.Is(err, storage.ErrInvalidKey) {
		t.Fatalf("open through a link: %v", err)
	}
	if err := s.Put(t.Context(), "out/written.txt", strings.NewReader("x"), 1, "text/plain"); err == nil {
		t.Fatal("put through a link outside the root")
	}
	if _, err := os.Stat(filepath.Join(dir, "written.txt")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a put wrote outside the root: %v", err)
	}
	for info, err := range s.List(t.Context(), "") {
		t.Fatalf("listed through a link: %+v %v", info, err)
	}
	for _, key := range []string{"../secret.txt", "a/../../secret.txt", secret, "a\\..\\..\\secret.txt"} {
		if _, err := s.Open(t.Context(), key); !errors.Is(err, storage.ErrInvalidKey) {
			t.Fatalf("open %q: %v", key, err)
		}
		if err := s.Delete(t.Context(), key); !errors.Is(err, storage.ErrInvalidKey) {
			t.Fatalf("delete %q: %v", key, err)
		}
	}
	if _, err := os.Stat(secret); err != nil {
		t.Fatal(err)
	}
}

// TestPutStreams: a big Put allocates a copy buffer, not the object.
func TestPutStreams(t *testing.T) {
	s := MustLocal(t)
	body := io.LimitReader(zeros{}, storagetest.BigSize)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	if err := s.Put(t.Context(), "big", struct{ io.Reader }{body}, -1, "application/octet-stream"); err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	if n := after.TotalAlloc - before.TotalAlloc; n > 1<<20 {
		t.Fatalf("a %d MiB put allocated %d bytes", storagetest.BigSize>>20, n)
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

func TestStaleTemporaryFiles(t *testing.T) {
	t.Parallel()
	s := MustLocal(t)
	tmp := filepath.Join(s.Root(), ".lumbung", "tmp")
	old, fresh := filepath.Join(tmp, "put-old"), filepath.Join(tmp, "put-fresh")
	for _, p := range []string{old, fresh} {
		if err := os.WriteFile(p, []byte("part"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chtimes(old, time.Now().Add(-48*time.Hour), time.Now().Add(-48*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := local.New(s.Root()); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(old); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("stale temporary file: %v", err)
	}
	if _, err := os.Stat(fresh); err != nil {
		t.Fatalf("a file being written was removed: %v", err)
	}
}

// TestPutCache: an object stored as a cache (no sync) reads back whole
// with its type, and replaces what was there.
func TestPutCache(t *testing.T) {
	s, err := local.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	storagetest.MustPut(t, s, "c/r/thumbs_a.png/1x1_a.png", "old", "image/png")
	body := strings.Repeat("thumbnail bytes ", 1000)
	if err := storage.PutCache(t.Context(), s, "c/r/thumbs_a.png/1x1_a.png", strings.NewReader(body), int64(len(body)), "image/jpeg"); err != nil {
		t.Fatal(err)
	}
	got, info := storagetest.MustRead(t, s, "c/r/thumbs_a.png/1x1_a.png")
	if got != body || info.ContentType != "image/jpeg" {
		t.Fatalf("read back %d bytes of %q", len(got), info.ContentType)
	}
	if err := storage.PutCache(t.Context(), s, "../x", strings.NewReader("x"), 1, "text/plain"); !errors.Is(err, storage.ErrInvalidKey) {
		t.Fatalf("a key out of the root: %v", err)
	}
}
