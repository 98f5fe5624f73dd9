package thumb

import (
	"bytes"
	"context"
	"errors"
	"image"
	"io"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/lumbunghq/lumbung/server/storage"
	"github.com/lumbunghq/lumbung/server/storage/local"
)

// MustLocal is a local storage in the test's folder.
func MustLocal(tb testing.TB) *local.Storage {
	tb.Helper()
	s, err := local.New(filepath.Join(tb.TempDir(), "storage"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

// MustPut stores data under key or fails the test.
func MustPut(tb testing.TB, st storage.Storage, key string, data []byte, contentType string) {
	tb.Helper()
	if err := st.Put(context.Background(), key, bytes.NewReader(data), int64(len(data)), contentType); err != nil {
		tb.Fatal(err)
	}
}

// readAll reads and closes o.
func readAll(tb testing.TB, o storage.Object) []byte {
	tb.Helper()
	defer o.Close()
	b, err := io.ReadAll(o)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// countingStorage counts the Puts and the opens of one source. Until
// waitFor callers have missed the thumbnail, it holds the opening of the
// source back, so that all of them ask for the thumbnail while it is
// being made.
type countingStorage struct {
	storage.Storage
	source, thumb string
	waitFor       int32

	puts, sourceOpens, misses atomic.Int32
	allMissed                 chan struct{}
	once                      sync.Once
}

func (c *countingStorage) Put(ctx context.Context, key string, r io.Reader, size int64, contentType string) error {
	c.puts.Add(1)
	return c.Storage.Put(ctx, key, r, size, contentType)
}

func (c *countingStorage) Open(ctx context.Context, key string) (storage.Object, error) {
	switch key {
	case c.source:
		c.sourceOpens.Add(1)
		<-c.allMissed
	case c.thumb:
		o, err := c.Storage.Open(ctx, key)
		if errors.Is(err, storage.ErrNotFound) && c.misses.Add(1) == c.waitFor {
			c.once.Do(func() { close(c.allMissed) })
		}
		return o, err
	}
	return c.Storage.Open(ctx, key)
}

func TestKey(t *testing.T) {
	for _, tc := range []struct{ file, spec, want string }{
		{"c1/r1/photo_ab12.png", "100x100", "c1/r1/thumbs_photo_ab12.png/100x100_photo_ab12.png"},
		{"c1/r1/photo_ab12.png", "0x50f", "c1/r1/thumbs_photo_ab12.png/0x50f_photo_ab12.png"},
		{"c1/r1/photo_ab12.png", "0100x050", "c1/r1/thumbs_photo_ab12.png/100x50_photo_ab12.png"},
	} {
		if got := Key(tc.file, MustParse(t, tc.spec)); got != tc.want {
			t.Errorf("Key(%q, %s) = %q; want %q", tc.file, tc.spec, got, tc.want)
		}
	}
}

// TestOpenOnce has 16 callers ask for the same missing thumbnail at once:
// it is made and stored once, and all get the same bytes.
func TestOpenOnce(t *testing.T) {
	const callers = 16
	src := "c1/r1/photo_ab12.jpg"
	size := MustParse(t, "50x50")
	st := &countingStorage{Storage: MustLocal(t), source: src, thumb: Key(src, size), waitFor: callers, allMissed: make(chan struct{})}
	MustPut(t, st.Storage, src, encodeJPEG(t, bands(300, 200)), "image/jpeg")

	m := New(Config{})
	got := make([][]byte, callers)
	errs := make([]error, callers)
	var wg sync.WaitGroup
	for i := range callers {
		wg.Go(func() {
			o, err := m.Open(context.Background(), st, src, size)
			if err != nil {
				errs[i] = err
				return
			}
			defer o.Close()
			if ct := o.Info().ContentType; ct != "image/jpeg" {
				errs[i] = errors.New("content type " + ct)
			}
			got[i], errs[i] = io.ReadAll(o)
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("caller %d: %v", i, err)
		}
		if !bytes.Equal(got[i], got[0]) {
			t.Fatalf("caller %d got other bytes than caller 0", i)
		}
	}
	if n := st.puts.Load(); n != 1 {
		t.Fatalf("%d Puts; want 1", n)
	}
	if n := st.sourceOpens.Load(); n != 1 {
		t.Fatalf("the source was opened %d times; want 1", n)
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(got[0]))
	if err != nil || format != "jpeg" || cfg.Width != 50 || cfg.Height != 50 {
		t.Fatalf("the thumbnail is %s %dx%d (%v); want a 50x50 jpeg", format, cfg.Width, cfg.Height, err)
	}

	// Asked again, the stored thumbnail is served as it is.
	o, err := m.Open(context.Background(), st, src, size)
	if err != nil {
		t.Fatal(err)
	}
	if b := readAll(t, o); !bytes.Equal(b, got[0]) || st.puts.Load() != 1 {
		t.Fatalf("the second Open made it again (%d Puts)", st.puts.Load())
	}
}

// TestOpenErrors checks the errors of Open, and that no thumbnail is
// stored after one.
func TestOpenErrors(t *testing.T) {
	st := MustLocal(t)
	ctx := context.Background()
	MustPut(t, st, "c1/r1/notes.txt", []byte("hello"), "text/plain")
	MustPut(t, st, "c1/r1/broken.png", []byte("\x89PNG\r\n\x1a\nnot really"), "image/png")
	MustPut(t, st, "c1/r1/big.png", encodePNG(t, bands(300, 200)), "image/png")
	m := New(Config{Limits: Limits{MaxPixels: 10_000}})
	size := MustParse(t, "10x10")

	for _, tc := range []struct {
		key  string
		want error
	}{
		{"c1/r1/missing.png", storage.ErrNotFound},
		{"c1/r1/notes.txt", ErrUnsupported},
		{"c1/r1/broken.png", ErrInvalidImage},
		{"c1/r1/big.png", ErrTooLarge},
	} {
		o, err := m.Open(ctx, st, tc.key, size)
		if !errors.Is(err, tc.want) {
			if o != nil {
				o.Close()
			}
			t.Errorf("%s: err = %v; want %v", tc.key, err, tc.want)
			continue
		}
		if ok, err := storage.Exists(ctx, st, Key(tc.key, size)); ok || err != nil {
			t.Errorf("%s: a thumbnail was stored (%v)", tc.key, err)
		}
	}

	if _, err := m.Open(ctx, st, "c1/r1/big.png", Size{}); !errors.Is(err, ErrInvalidSize) {
		t.Errorf("a zero Size: err = %v; want ErrInvalidSize", err)
	}
	// The byte limit is checked from the stored size, before reading.
	small := New(Config{Limits: Limits{MaxBytes: 100}})
	if _, err := small.Open(ctx, st, "c1/r1/big.png", size); !errors.Is(err, ErrTooLarge) {
		t.Errorf("over MaxBytes: err = %v; want ErrTooLarge", err)
	}
}
