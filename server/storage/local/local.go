// Package local is the Storage on the local filesystem: each object is a
// plain file under the root (by default <data dir>/storage), written to a
// temporary file and renamed into place so that no reader ever sees a
// part of it.
package local

import (
	"context"
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

// reserved is the root's folder of temporary files and content types;
// keys under it are refused and List skips it.
const reserved = ".lumbung"

// Storage keeps objects as files under a root folder. Content types are
// kept beside, under <root>/.lumbung/meta/<key>.
type Storage struct {
	root string
}

// New returns the Storage under root, creating the folder when missing.
func New(root string) (*Storage, error) {
	if root == "" {
		return nil, errors.New("local storage: no root folder")
	}
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, err
	}
	for _, d := range []string{abs, filepath.Join(abs, reserved, "tmp"), filepath.Join(abs, reserved, "meta")} {
		if err := os.MkdirAll(d, 0o750); err != nil {
			return nil, fmt.Errorf("local storage: %w", err)
		}
	}
	// Temporary files of a process that stopped mid-write.
	tmp := filepath.Join(abs, reserved, "tmp")
	if entries, err := os.ReadDir(tmp); err == nil {
		for _, e := range entries {
			if info, err := e.Info(); err == nil && time.Since(info.ModTime()) > staleTemp {
				os.Remove(filepath.Join(tmp, e.Name()))
			}
		}
	}
	return &Storage{root: abs}, nil
}

// staleTemp is the age past which New removes a temporary file: one not
// written to for that long is left by a process that stopped.
const staleTemp = 24 * time.Hour

// Root is the folder the objects are kept in.
func (s *Storage) Root() string { return s.root }

// paths returns the file of key and the file of its content type.
func (s *Storage) paths(key string) (data, meta string, err error) {
	if err := storage.ValidKey(key); err != nil {
		return "", "", err
	}
	if key == reserved || strings.HasPrefix(key, reserved+"/") {
		return "", "", fmt.Errorf("%w: %q is reserved", storage.ErrInvalidKey, reserved)
	}
	rel := filepath.FromSlash(key)
	return filepath.Join(s.root, rel), filepath.Join(s.root, reserved, "meta", rel), nil
}

// Put writes r to a temporary file and syncs it, then renames the content
// type's file and the object's file into place (a failed write changes
// neither).
func (s *Storage) Put(ctx context.Context, key string, r io.Reader, size int64, contentType string) error {
	data, meta, err := s.paths(key)
	if err != nil {
		return err
	}
	dataTmp, err := s.writeTemp(ctx, r, size)
	if err != nil {
		return err
	}
	defer os.Remove(dataTmp) // gone after a rename
	metaTmp, err := s.writeTemp(ctx, strings.NewReader(contentType), int64(len(contentType)))
	if err != nil {
		return err
	}
	defer os.Remove(metaTmp)
	if err := s.rename(metaTmp, meta); err != nil {
		return err
	}
	return s.rename(dataTmp, data)
}

// writeTemp copies r to a new synced temporary file and returns its path.
func (s *Storage) writeTemp(ctx context.Context, r io.Reader, size int64) (_ string, err error) {
	tmp, err := os.CreateTemp(filepath.Join(s.root, reserved, "tmp"), "put-*")
	if err != nil {
		return "", fmt.Errorf("local storage: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	n, err := io.Copy(tmp, ctxReader{ctx, r})
	if err != nil {
		return "", fmt.Errorf("local storage: writing: %w", err)
	}
	if size >= 0 && n != size {
		return "", fmt.Errorf("local storage: got %d bytes, want %d: %w", n, size, io.ErrUnexpectedEOF)
	}
	if err := tmp.Sync(); err != nil {
		return "", fmt.Errorf("local storage: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return "", fmt.Errorf("local storage: %w", err)
	}
	return tmp.Name(), nil
}

// rename moves a temporary file to dst, creating dst's folder. A
// concurrent Delete may remove an emptied folder between the two: it tries
// again a few times.
func (s *Storage) rename(tmp, dst string) (err error) {
	for range 5 {
		if err = os.MkdirAll(filepath.Dir(dst), 0o750); err != nil {
			break
		}
		if err = os.Rename(tmp, dst); err == nil || !errors.Is(err, fs.ErrNotExist) {
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
	f, err := os.Open(data)
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
	st, err := os.Stat(data)
	if err != nil || !st.Mode().IsRegular() {
		return storage.Info{}, notFound(key, err)
	}
	return s.info(key, meta, st), nil
}

// info is the Info of key, with the content type Put kept (or, when it
// kept none, the one of the key's extension).
func (s *Storage) info(key, meta string, st fs.FileInfo) storage.Info {
	ct := ""
	if b, err := os.ReadFile(meta); err == nil && len(b) <= 255 {
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
		if st, err := os.Lstat(p); err != nil || st.IsDir() {
			continue // missing, or a folder of other keys
		}
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("local storage: %w", err)
		}
	}
	s.prune(filepath.Dir(data), s.root)
	s.prune(filepath.Dir(meta), filepath.Join(s.root, reserved, "meta"))
	return nil
}

// prune removes dir and its parents up to (not including) top while they
// are empty.
func (s *Storage) prune(dir, top string) {
	for dir != top && strings.HasPrefix(dir, top+string(filepath.Separator)) {
		if os.Remove(dir) != nil {
			return
		}
		dir = filepath.Dir(dir)
	}
}

// List walks the folder of prefix's last complete segment and yields the
// files whose keys start with prefix.
func (s *Storage) List(ctx context.Context, prefix string) iter.Seq2[storage.Info, error] {
	return func(yield func(storage.Info, error) bool) {
		if err := storage.ValidPrefix(prefix); err != nil {
			yield(storage.Info{}, err)
			return
		}
		start := s.root
		if i := strings.LastIndex(prefix, "/"); i >= 0 {
			start = filepath.Join(s.root, filepath.FromSlash(prefix[:i]))
		}
		stop := errors.New("stop")
		err := filepath.WalkDir(start, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				if p == start && errors.Is(err, fs.ErrNotExist) {
					return nil
				}
				return err
			}
			if err := ctx.Err(); err != nil {
				return err
			}
			rel, _ := filepath.Rel(s.root, p)
			key := filepath.ToSlash(rel)
			if d.IsDir() {
				if key == reserved || (key != "." && !strings.HasPrefix(key+"/", prefix) && !strings.HasPrefix(prefix, key+"/")) {
					return filepath.SkipDir
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
