package backup

import (
	"archive/zip"
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/lumbunghq/lumbung/collections"
	"github.com/lumbunghq/lumbung/server/storage"
)

// StoragePrefix starts the names of the archive entries that hold the file
// storage's objects: "storage/<key>", the content type in the entry's
// comment.
const StoragePrefix = "storage/"

// addFiles copies every object of the file storage into the archive.
// Objects are stored as they are (most are compressed already). A file
// deleted while the backup runs may be missing from it; one uploaded
// meanwhile may be in it without its record (the sweep removes it after a
// restore).
func (m *Manager) addFiles(ctx context.Context, zw *zip.Writer) (int, error) {
	if m.cfg.Files == nil {
		return 0, nil
	}
	st, err := m.cfg.Files(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	for info, err := range st.List(ctx, "") {
		if err != nil {
			return n, err
		}
		if err := addObject(ctx, zw, st, info.Key); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

func addObject(ctx context.Context, zw *zip.Writer, st storage.Storage, key string) error {
	o, err := st.Open(ctx, key)
	if err != nil {
		return fmt.Errorf("back up file %s: %w", key, err)
	}
	defer o.Close()
	info := o.Info()
	w, err := zw.CreateHeader(&zip.FileHeader{Name: StoragePrefix + key, Method: zip.Store, Modified: info.ModTime, Comment: info.ContentType})
	if err != nil {
		return err
	}
	if _, err := io.Copy(w, o); err != nil {
		return fmt.Errorf("back up file %s: %w", key, err)
	}
	return nil
}

// storageEntries returns the archive's entries of file storage objects;
// EINVALID for an entry whose key the storage refuses (a path leaving its
// root), checked before anything is restored.
func storageEntries(zr *zip.Reader) ([]*zip.File, error) {
	var entries []*zip.File
	for _, f := range zr.File {
		key, ok := strings.CutPrefix(f.Name, StoragePrefix)
		if !ok || strings.HasSuffix(f.Name, "/") {
			continue
		}
		if err := storage.ValidKey(key); err != nil {
			return nil, collections.Errorf(collections.EINVALID, "The backup holds a file whose name is not valid: %q.", f.Name)
		}
		entries = append(entries, f)
	}
	return entries, nil
}

// restoreFiles puts the objects of entries back into the file storage.
func (m *Manager) restoreFiles(ctx context.Context, entries []*zip.File) (int, error) {
	if m.cfg.Files == nil || len(entries) == 0 {
		return 0, nil
	}
	st, err := m.cfg.Files(ctx)
	if err != nil {
		return 0, err
	}
	for i, f := range entries {
		if err := restoreObject(ctx, st, f); err != nil {
			return i, err
		}
	}
	return len(entries), nil
}

func restoreObject(ctx context.Context, st storage.Storage, f *zip.File) error {
	r, err := f.Open()
	if err != nil {
		return err
	}
	defer r.Close()
	key := strings.TrimPrefix(f.Name, StoragePrefix)
	if err := st.Put(ctx, key, r, int64(f.UncompressedSize64), f.Comment); err != nil {
		return fmt.Errorf("restore file %s: %w", key, err)
	}
	return nil
}
