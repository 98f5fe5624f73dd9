// Package thumb makes the thumbnails of record files as PocketBase does
// for GET /api/files/{collection}/{recordId}/{filename}?thumb=WxH: the
// sizes PocketBase spells (Parse), the content types it makes thumbnails
// of (Thumbable), the format it writes for each (OutputType), and where it
// keeps them, beside the original (Key). Maker.Open returns a stored
// thumbnail, making it once when it is missing, however many ask at once.
//
// Sources are checked before they are decoded: a header claiming more
// pixels than the Limits, or more bytes than they allow, is refused with
// ErrTooLarge, so an image bomb costs a few kilobytes of reading.
//
// How the files API should answer each error of Open (PocketBase serves
// the original whenever a thumbnail cannot be made, logging a warning):
//   - storage.ErrNotFound: the original is missing, 404.
//   - ErrUnsupported, ErrTooLarge, ErrInvalidImage: serve the original
//     (a warning in the log), as PocketBase does.
//   - the request's context ended: the client is gone, nothing to answer.
//   - anything else (the storage failing): serve the original too, as
//     PocketBase does, logging it as an error.
package thumb

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path"
	"runtime"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/lumbunghq/lumbung/server/storage"
)

// DefaultTimeout bounds the making of one thumbnail, waiting for a worker
// included (PocketBase's PB_THUMBS_MAX_WAIT).
const DefaultTimeout = 60 * time.Second

// Config tunes a Maker. Zero fields take the defaults.
type Config struct {
	Limits
	// Workers bounds the thumbnails made at once; the default is the
	// number of CPUs. Each may hold a decoded source of up to
	// 4×MaxPixels bytes (8× for 16-bit PNG) and a copy of it when an
	// EXIF orientation turns it.
	Workers int
	// Timeout bounds the making of one thumbnail (DefaultTimeout).
	Timeout time.Duration
}

// Maker makes thumbnails into a storage, each once: callers asking for the
// same thumbnail at the same time share one making. Its zero value is not
// usable; make one with New. It is safe for concurrent use. Makings are
// shared by thumbnail key alone, so use one Maker per Storage.
type Maker struct {
	limits  Limits
	timeout time.Duration
	workers chan struct{}
	group   singleflight.Group
}

// New returns a Maker tuned by cfg.
func New(cfg Config) *Maker {
	if cfg.Workers <= 0 {
		cfg.Workers = runtime.NumCPU()
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	return &Maker{limits: cfg.Limits.withDefaults(), timeout: cfg.Timeout, workers: make(chan struct{}, cfg.Workers)}
}

// Key is where the size thumbnail of the file under fileKey is kept, as
// PocketBase keeps it: "<dir>/thumbs_<name>/<size>_<name>" for
// "<dir>/<name>". Deleting a file should delete the keys under
// "<dir>/thumbs_<name>/" with it.
func Key(fileKey string, size Size) string {
	dir, name := path.Split(fileKey)
	return dir + "thumbs_" + name + "/" + size.String() + "_" + name
}

// Open returns the size thumbnail of the file under key, stored under
// Key(key, size): it opens it when stored, else makes it from the file,
// stores it (with Put, so no reader sees a part of it) and opens it. Of
// concurrent callers asking for the same thumbnail, one makes it and the
// others wait for it; the making goes on for them when that one's ctx
// ends, up to the Config's Timeout. The errors (wrapped) are
// storage.ErrNotFound when the file is missing, ErrUnsupported,
// ErrTooLarge, ErrInvalidImage, ErrInvalidSize, ctx's error, or the
// storage's (storage.ErrInvalidKey for a key it refuses).
func (m *Maker) Open(ctx context.Context, st storage.Storage, key string, size Size) (storage.Object, error) {
	if err := size.check(); err != nil {
		return nil, err
	}
	thumbKey := Key(key, size)
	obj, err := st.Open(ctx, thumbKey)
	if !errors.Is(err, storage.ErrNotFound) {
		return obj, err
	}
	done := m.group.DoChan(thumbKey, func() (any, error) {
		mctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), m.timeout)
		defer cancel()
		return nil, m.make(mctx, st, key, thumbKey, size)
	})
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case res := <-done:
		if res.Err != nil {
			return nil, res.Err
		}
	}
	return st.Open(ctx, thumbKey)
}

// make stores the size thumbnail of key under thumbKey, unless it is
// there already (made by the previous flight).
func (m *Maker) make(ctx context.Context, st storage.Storage, key, thumbKey string, size Size) error {
	select {
	case m.workers <- struct{}{}:
		defer func() { <-m.workers }()
	case <-ctx.Done():
		return fmt.Errorf("thumb: waiting for a worker: %w", ctx.Err())
	}
	if ok, err := storage.Exists(ctx, st, thumbKey); ok || err != nil {
		return err
	}
	src, err := st.Open(ctx, key)
	if err != nil {
		return err
	}
	defer src.Close()
	info := src.Info()
	if !Thumbable(info.ContentType) {
		return fmt.Errorf("%w: %q", ErrUnsupported, info.ContentType)
	}
	if info.Size > m.limits.MaxBytes {
		return fmt.Errorf("%w: %d bytes is above %d", ErrTooLarge, info.Size, m.limits.MaxBytes)
	}
	var out bytes.Buffer
	contentType, err := Make(ctx, &out, src, info.ContentType, size, m.limits)
	if err != nil {
		return fmt.Errorf("%w (%s)", err, key)
	}
	return storage.PutCache(ctx, st, thumbKey, &out, int64(out.Len()), contentType)
}
