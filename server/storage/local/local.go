// Package local is the Storage on the local filesystem: each object is a
// plain file under the root (by default <data dir>/storage), written to a
// temporary file and renamed into place so that no reader ever sees a
// part of it. Every file operation goes through an os.Root, so not even a
// symbolic link placed under the root leads outside it.
package local

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"iter"
	"mime"
	"os"
	"path"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/lumbunghq/lumbung/server/storage"
)

var _ storage.Storage = (*Storage)(nil)

// Folders of the root that hold no objects: keys under reserved are
// refused, and List skips it.
const (
	reserved = ".lumbung"
	tmpDir   = reserved + "/tmp"
	metaDir  = reserved + "/meta"
)

// staleTemp is the age past which New removes a temporary file: one not
// written to for that long is left by a process that stopped.
const staleTemp = 24 * time.Hour

// Storage keeps objects as files under a root folder. Content types are
// kept beside, under <root>/.lumbung/meta/<key>.
type Storage struct {
	dir  string
	root *os.Root
}

// New returns the Storage under dir, creating the folder when missing,
// and removes the temporary files a stopped process left there.
func New(dir string) (*Storage, error) {
	if dir == "" {
		return nil, errors.New("local storage: no root folder")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(abs, 0o750); err != nil {
		return nil, fmt.Errorf("local storage: %w", err)
	}
	root, err := os.OpenRoot(abs)
	if err != nil {
		return nil, fmt.Errorf("local storage: %w", err)
	}
	for _, d := range []string{tmpDir, metaDir} {
		if err := root.MkdirAll(d, 0o750); err != nil {
			root.Close()
			return nil, fmt.Errorf("local storage: %w", err)
		}
	}
	if entries, err := fs.ReadDir(root.FS(), tmpDir); err == nil {
		for _, e := range entries {
			if info, err := e.Info(); err == nil && time.Since(info.ModTime()) > staleTemp {
				root.Remove(tmpDir + "/" + e.Name())
			}
		}
	}
	return &Storage{dir: abs, root: root}, nil
}

// Root is the folder the objects are kept in.
func (s *Storage) Root() string { return s.dir }

// Close releases the root folder.
func (s *Storage) Close() error { return s.root.Close() }

// paths returns the root-relative files of key and of its content type.
func (s *Storage) paths(key string) (data, meta string, err error) {
	if err := storage.ValidKey(key); err != nil {
		return "", "", err
	}
	if key == reserved || strings.HasPrefix(key, reserved+"/") {
		return "", "", fmt.Errorf("%w: %q is reserved", storage.ErrInvalidKey, reserved)
	}
	return key, metaDir + "/" + key, nil
}

// Put writes r to a temporary file and syncs it, then renames the content
// type's file and the object's file into place (a failed write changes
// neither).
func (s *Storage) Put(ctx context.Context, key string, r io.Reader, size int64, contentType string) error {
	return s.put(ctx, key, r, size, contentType, true)
}

// PutCache implements storage.Cache: Put without syncing the files to the
// disk (a rename still makes the object whole or missing).
func (s *Storage) PutCache(ctx context.Context, key string, r io.Reader, size int64, contentType string) error {
	return s.put(ctx, key, r, size, contentType, false)
}

func (s *Storage) put(ctx context.Context, key string, r io.Reader, size int64, contentType string, sync bool) error {
	data, meta, err := s.paths(key)
	if err != nil {
		return err
	}
	dataTmp, err := s.writeTemp(ctx, r, size, sync)
	if err != nil {
		return err
	}
	defer s.root.Remove(dataTmp) // gone after a rename
	metaTmp, err := s.writeTemp(ctx, strings.NewReader(contentType), int64(len(contentType)), sync)
	if err != nil {
		return err
	}
	defer s.root.Remove(metaTmp)
	if err := s.rename(metaTmp, meta); err != nil {
		return err
	}
	return s.rename(dataTmp, data)
}

// writeTemp copies r to a new temporary file, synced to the disk when
// sync is set, and returns its path.
func (s *Storage) writeTemp(ctx context.Context, r io.Reader, size int64, sync bool) (_ string, err error) {
	var b [12]byte
	_, _ = rand.Read(b[:])
	name := tmpDir + "/put-" + hex.EncodeToString(b[:])
	tmp, err := s.root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o640)
	if err != nil {
		return "", fmt.Errorf("local storage: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			s.root.Remove(name)
		}
	}()
	n, err := io.Copy(tmp, ctxReader{ctx, r})
	if err != nil {
		return "", fmt.Errorf("local storage: writing: %w", err)
	}
	if size >= 0 && n != size {
		return "", fmt.Errorf("local storage: got %d bytes, want %d: %w", n, size, io.ErrUnexpectedEOF)
	}
	if sync {
		if err := tmp.Sync(); err != nil {
			return "", fmt.Errorf("local storage: %w", err)
		}
	}
	if err := tmp.Close(); err != nil {
		return "", fmt.Errorf("local storage: %w", err)
	}
	return name, nil
}

// rename moves a temporary file to dst, creating dst's folder. A
// concurrent Delete may remove an emptied folder between the two: it tries
// again a few times.
func (s *Storage) rename(tmp, dst string) (err error) {
	for range 5 {
		if err = s.root.MkdirAll(path.Dir(dst), 0o750); err != nil {
			break
		}
		if err = s.root.Rename(tmp, dst); err == nil || !errors.Is(err, fs.ErrNotExist) {
			break
		}
	}
	if err != nil {
		return fmt.Errorf("local storage: %w", err)
	}
	return nil
}

// ctxReader stops a copy when its context ends.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// object is an open file with its Info.
type object struct {
	*os.File
	info storage.Info
}

func (o *object) Info() storage.Info { return o.info }

// Open opens key's file.
func (s *Storage) Open(_ context.Context, key string) (storage.Object, error) {
	data, meta, err := s.paths(key)
	if err != nil {
		return nil, err
	}
	f, err := s.root.Open(data)
	if err != nil {
		return nil, notFound(key, err)
	}
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		f.Close()
		return nil, notFound(key, err)
	}
	return &object{File: f, info: s.info(key, meta, st)}, nil
}

// Stat describes key's file.
func (s *Storage) Stat(_ context.Context, key string) (storage.Info, error) {
	data, meta, err := s.paths(key)
	if err != nil {
		return storage.Info{}, err
	}
	st, err := s.root.Stat(data)
	if err != nil || !st.Mode().IsRegular() {
		return storage.Info{}, notFound(key, err)
	}
	return s.info(key, meta, st), nil
}

// info is the Info of key, with the content type Put kept (or, when it
// kept none, the one of the key's extension).
func (s *Storage) info(key, meta string, st fs.FileInfo) storage.Info {
	ct := ""
	if b, err := s.root.ReadFile(meta); err == nil && len(b) <= 255 {
		ct = string(b)
	}
	if ct == "" {
		ct = mime.TypeByExtension(path.Ext(key))
	}
	if ct == "" {
		ct = "application/octet-stream"
	}
	return storage.Info{Key: key, Size: st.Size(), ModTime: st.ModTime(), ContentType: ct}
}

func notFound(key string, err error) error {
	if err == nil || errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrInvalid) || errors.Is(err, syscall.ENOTDIR) {
		return fmt.Errorf("%w: %q", storage.ErrNotFound, key)
	}
	return fmt.Errorf("local storage: %w", err)
}

// Delete removes key's file and content type, then the folders this
// left empty.
func (s *Storage) Delete(_ context.Context, key string) error {
	data, meta, err := s.paths(key)
	if err != nil {
		return err
	}
	for _, p := range []string{data, meta} {
		if st, err := s.root.Lstat(p); err != nil || st.IsDir() {
			continue // missing, or a folder of other keys
		}
		if err := s.root.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("local storage: %w", err)
		}
	}
	s.prune(path.Dir(data), ".")
	s.prune(path.Dir(meta), metaDir)
	return nil
}

// prune removes dir and its parents up to (not including) top while they
// are empty.
func (s *Storage) prune(dir, top string) {
	for dir != top && dir != "." && dir != "/" {
		if s.root.Remove(dir) != nil {
			return
		}
		dir = path.Dir(dir)
	}
}

// List walks the folder of prefix's last complete segment and yields the
// files whose keys start with prefix. Symbolic links are not followed.
func (s *Storage) List(ctx context.Context, prefix string) iter.Seq2[storage.Info, error] {
	return func(yield func(storage.Info, error) bool) {
		if err := storage.ValidPrefix(prefix); err != nil {
			yield(storage.Info{}, err)
			return
		}
		start := "."
		if i := strings.LastIndex(prefix, "/"); i >= 0 {
			start = prefix[:i]
		}
		stop := errors.New("stop")
		err := fs.WalkDir(s.root.FS(), start, func(key string, d fs.DirEntry, err error) error {
			if err != nil {
				if key == start && (errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR)) {
					return nil
				}
				return err
			}
			if err := ctx.Err(); err != nil {
				return err
			}
			if d.IsDir() {
				if key == reserved || (key != "." && !strings.HasPrefix(key+"/", prefix) && !strings.HasPrefix(prefix, key+"/")) {
					return fs.SkipDir
				}
				return nil
			}
			if !d.Type().IsRegular() || !strings.HasPrefix(key, prefix) {
				return nil
			}
			st, err := d.Info()
			if errors.Is(err, fs.ErrNotExist) {
				return nil // deleted while listing
			} else if err != nil {
				return err
			}
			if !yield(storage.Info{Key: key, Size: st.Size(), ModTime: st.ModTime()}, nil) {
				return stop
			}
			return nil
		})
		if err != nil && !errors.Is(err, stop) {
			yield(storage.Info{}, fmt.Errorf("local storage: listing: %w", err))
		}
	}
}
