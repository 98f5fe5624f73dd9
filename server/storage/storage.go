// Package storage keeps the files of records behind one interface,
// Storage, with two implementations: the local filesystem under the data
// directory (server/storage/local, the default) and any S3-compatible
// service (server/storage/s3). Keys are slash-separated relative paths
// ("<collectionId>/<recordId>/<name>"); ValidKey refuses any key that
// could leave the storage's root.
package storage

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"iter"
	"strings"
	"time"
	"unicode/utf8"
)

// Errors of every Storage. Implementations wrap them, so test with
// errors.Is.
var (
	// ErrNotFound is returned for a key that names no object.
	ErrNotFound = errors.New("storage: object not found")
	// ErrInvalidKey is returned for a key that ValidKey refuses.
	ErrInvalidKey = errors.New("storage: invalid key")
)

// MaxKeyLength bounds a key, in bytes (S3's own limit).
const MaxKeyLength = 1024

// Storage keeps objects by key.
type Storage interface {
	// Put stores what r yields under key, replacing any object there.
	// size is the number of bytes r yields, or -1 when unknown; when it
	// is known and r yields another number, Put fails. Readers see the
	// old object or the whole new one, never a part: a failed Put leaves
	// the old object (or none) in place.
	Put(ctx context.Context, key string, r io.Reader, size int64, contentType string) error
	// Open returns the object under key for reading, from any offset
	// (Seek), with its Info. The caller closes it.
	Open(ctx context.Context, key string) (Object, error)
	// Stat returns the Info of the object under key.
	Stat(ctx context.Context, key string) (Info, error)
	// Delete removes the object under key; a missing object is not an
	// error.
	Delete(ctx context.Context, key string) error
	// List yields the objects whose keys start with prefix ("" lists
	// all), each once, in an order of the implementation's. The Infos it
	// yields carry no ContentType. Breaking out of the loop stops it.
	List(ctx context.Context, prefix string) iter.Seq2[Info, error]
}

// Cache is a Storage that can also keep objects that may be made again
// (thumbnails) without waiting for them to reach the disk: after a crash
// such an object is whole or missing, never a part.
type Cache interface {
	PutCache(ctx context.Context, key string, r io.Reader, size int64, contentType string) error
}

// PutCache stores an object that may be made again: without waiting for
// the disk where s allows it (Cache), else as Put.
func PutCache(ctx context.Context, s Storage, key string, r io.Reader, size int64, contentType string) error {
	if c, ok := s.(Cache); ok {
		return c.PutCache(ctx, key, r, size, contentType)
	}
	return s.Put(ctx, key, r, size, contentType)
}

// Info describes a stored object.
type Info struct {
	Key         string
	Size        int64
	ModTime     time.Time
	ContentType string
}

// Object is an open stored object: read it from any offset with Seek
// (ranges), and close it.
type Object interface {
	io.ReadSeekCloser
	// Info describes the object as it was when it was opened.
	Info() Info
}

// Exists reports whether an object is stored under key.
func Exists(ctx context.Context, s Storage, key string) (bool, error) {
	_, err := s.Stat(ctx, key)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// ValidKey returns an error wrapping ErrInvalidKey when key is not a
// relative slash-separated path of at most MaxKeyLength bytes of UTF-8
// text without control characters (NUL included) or backslashes, whose
// segments are neither empty, "." nor "..". Such a key names a file
// under a root and never outside it.
func ValidKey(key string) error {
	if err := validPrefix(key); err != nil {
		return err
	}
	if key == "" || strings.HasSuffix(key, "/") {
		return fmt.Errorf("%w: %q names no file", ErrInvalidKey, key)
	}
	return nil
}

// ValidPrefix returns an error wrapping ErrInvalidKey when prefix could
// not start a valid key: "" and "a/b/" are valid, "../" and "/a" are not.
func ValidPrefix(prefix string) error { return validPrefix(prefix) }

func validPrefix(key string) error {
	switch {
	case len(key) > MaxKeyLength:
		return fmt.Errorf("%w: longer than %d bytes", ErrInvalidKey, MaxKeyLength)
	case !utf8.ValidString(key):
		return fmt.Errorf("%w: not UTF-8", ErrInvalidKey)
	case strings.HasPrefix(key, "/"):
		return fmt.Errorf("%w: %q is absolute", ErrInvalidKey, key)
	}
	for _, r := range key {
		if r < 0x20 || r == 0x7f || r == '\\' {
			return fmt.Errorf("%w: %q holds a control character or a backslash", ErrInvalidKey, key)
		}
	}
	segs := strings.Split(key, "/")
	for i, seg := range segs {
		last := i == len(segs)-1
		if seg == "." || seg == ".." || (seg == "" && !last) {
			return fmt.Errorf("%w: %q has an empty, \".\" or \"..\" segment", ErrInvalidKey, key)
		}
	}
	return nil
}

// Probe checks that s works end to end: it writes a small object under a
// random key, reads it back, lists it and deletes it. The error says
// which step failed.
func Probe(ctx context.Context, s Storage) error {
	var b [6]byte
	_, _ = rand.Read(b[:])
	prefix := "lumbung_settings_test_" + hex.EncodeToString(b[:]) + "/"
	key, body := prefix+"test.txt", "test"
	if err := s.Put(ctx, key, strings.NewReader(body), int64(len(body)), "text/plain"); err != nil {
		return fmt.Errorf("failed to upload a test file: %w", err)
	}
	defer s.Delete(context.WithoutCancel(ctx), key) //nolint:errcheck // best effort after a failure
	o, err := s.Open(ctx, key)
	if err != nil {
		return fmt.Errorf("failed to read the test file: %w", err)
	}
	got, err := io.ReadAll(io.LimitReader(o, 64))
	o.Close()
	if err != nil {
		return fmt.Errorf("failed to read the test file: %w", err)
	}
	if string(got) != body {
		return fmt.Errorf("the test file read back as %q, not %q", got, body)
	}
	found := false
	for info, err := range s.List(ctx, prefix) {
		if err != nil {
			return fmt.Errorf("failed to list the test file: %w", err)
		}
		found = found || info.Key == key
	}
	if !found {
		return errors.New("the test file is missing from the listing")
	}
	if err := s.Delete(ctx, key); err != nil {
		return fmt.Errorf("failed to delete the test file: %w", err)
	}
	return nil
}
