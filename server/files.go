package server

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/lumbunghq/lumbung/collections"
	"github.com/lumbunghq/lumbung/server/settings"
	"github.com/lumbunghq/lumbung/server/storage"
	"github.com/lumbunghq/lumbung/server/thumb"
)

// settingsStorage is the storage a section of the settings chooses: the
// bucket of its S3 settings when they are enabled, else a folder; opened
// anew when those settings change.
type settingsStorage struct {
	dir      string
	settings *settings.Service // nil: the folder
	section  func(settings.Settings) settings.S3

	mu     sync.Mutex
	opened bool
	s3     settings.S3
	st     storage.Storage
}

// storage returns the storage the current settings name.
func (f *settingsStorage) storage(ctx context.Context) (storage.Storage, error) {
	var s3 settings.S3
	if f.settings != nil {
		s3 = f.section(f.settings.Effective(ctx))
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.opened && s3 == f.s3 {
		return f.st, nil
	}
	st, err := OpenStorage(f.dir, s3)
	if err != nil {
		return nil, err
	}
	f.opened, f.s3, f.st = true, s3, st
	return st, nil
}

// recordFiles keeps the files of records in the storage the s3 settings
// choose (DIR/storage, or a bucket). It is the collections' Files and the
// API's FileServer.
type recordFiles struct {
	settingsStorage
	log    *slog.Logger
	thumbs *thumb.Maker
	gone   chan string // keys and prefixes ("…/") to delete
}

// goneQueue bounds the deletions waiting; beyond, the sweeper removes
// what was not queued.
const goneQueue = 4096

func newRecordFiles(dir string, log *slog.Logger) *recordFiles {
	return &recordFiles{settingsStorage: settingsStorage{dir: filepath.Join(dir, "storage"), section: func(s settings.Settings) settings.S3 { return s.S3 }},
		log: log, gone: make(chan string, goneQueue), thumbs: thumb.New(thumb.Config{})}
}

// Put implements collections.Files.
func (f *recordFiles) Put(ctx context.Context, key string, r io.Reader, size int64, contentType string) error {
	st, err := f.storage(ctx)
	if err != nil {
		return err
	}
	return st.Put(ctx, key, r, size, contentType)
}

// Delete implements collections.Files.
func (f *recordFiles) Delete(ctx context.Context, key string) error {
	st, err := f.storage(ctx)
	if err != nil {
		return err
	}
	return st.Delete(ctx, key)
}

// DeletePrefix implements collections.Files.
func (f *recordFiles) DeletePrefix(ctx context.Context, prefix string) error {
	st, err := f.storage(ctx)
	if err != nil {
		return err
	}
	var errs []error
	for info, err := range st.List(ctx, prefix) {
		if err != nil {
			return errors.Join(append(errs, err)...)
		}
		if err := st.Delete(ctx, info.Key); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Open implements api.FileServer.
func (f *recordFiles) Open(ctx context.Context, key string) (storage.Object, error) {
	st, err := f.storage(ctx)
	if err != nil {
		return nil, err
	}
	return st.Open(ctx, key)
}

// Thumb implements api.FileServer.
func (f *recordFiles) Thumb(ctx context.Context, key, size string) (storage.Object, error) {
	s, err := thumb.Parse(size)
	if err != nil {
		return nil, err
	}
	st, err := f.storage(ctx)
	if err != nil {
		return nil, err
	}
	return f.thumbs.Open(ctx, st, key, s)
}

// changed queues the deletion of the files a committed change let go: the
// files a delete's record held, the ones an update replaced, each with
// its thumbnails. Every node sees every change in the log (writes made
// through the API, cascades, other nodes, plain SQL), so the files go
// whichever way their record went; deleting twice is harmless.
func (f *recordFiles) changed(c *collections.Collection, e collections.Event) {
	if e.Action == "create" || !c.HasFiles() {
		return
	}
	var old, now map[string]json.RawMessage
	if json.Unmarshal(e.Old, &old) != nil {
		return
	}
	if e.Action == "update" && json.Unmarshal(e.New, &now) != nil {
		return
	}
	for _, fld := range c.Fields {
		if fld.Type != "file" {
			continue
		}
		kept := storedNames(now[fld.Name])
		for _, name := range storedNames(old[fld.Name]) {
			if slices.Contains(kept, name) || strings.ContainsAny(name, `/\`) || name == "." || name == ".." {
				continue
			}
			f.forget(collections.FileKey(c, e.RecordID, name))
			f.forget(collections.ThumbsPrefix(c, e.RecordID, name))
		}
	}
}

// forget queues key (a prefix when it ends in "/") for deletion, or drops
// it when the queue is full: the sweeper finds it later.
func (f *recordFiles) forget(key string) {
	select {
	case f.gone <- key:
	default:
	}
}

// storedNames reads a file field's stored value: a name or a list.
func storedNames(raw json.RawMessage) []string {
	var one string
	if json.Unmarshal(raw, &one) == nil {
		if one == "" {
			return nil
		}
		return []string{one}
	}
	var list []string
	_ = json.Unmarshal(raw, &list)
	return list
}

// deleteGone deletes the queued keys until ctx ends.
func (f *recordFiles) deleteGone(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case key := <-f.gone:
			del := f.Delete
			if strings.HasSuffix(key, "/") {
				del = f.DeletePrefix
			}
			if err := del(ctx, key); err != nil && ctx.Err() == nil {
				f.log.Warn("remove a file of a changed record (the sweeper retries)", "key", key, "err", err)
			}
		}
	}
}

// sweepGrace is how old an object must be before the sweeper removes it:
// an upload is stored before its transaction commits.
const sweepGrace = time.Hour

// sweep removes the objects under the collections' folders that no record
// holds and that were stored before cutoff: the files of a write that
// never committed (a crash between the upload and the commit), and any
// deletion the change log's consumer missed. Objects outside the folders
// of known collections are left alone (a bucket may be shared).
func (f *recordFiles) sweep(ctx context.Context, svc *collections.Service, cutoff time.Time) (removed int, err error) {
	st, err := f.storage(ctx)
	if err != nil {
		return 0, err
	}
	recs := svc.SystemRecords()
	for _, c := range svc.Collections() {
		if c.Type == collections.TypeView {
			continue
		}
		held := map[string][]string{} // record id → the names it holds
		for info, err := range st.List(ctx, c.ID+"/") {
			if err != nil {
				return removed, err
			}
			if !info.ModTime.Before(cutoff) {
				continue
			}
			parts := strings.SplitN(strings.TrimPrefix(info.Key, c.ID+"/"), "/", 3)
			if len(parts) < 2 {
				continue
			}
			id, name := parts[0], parts[1]
			if len(parts) == 3 {
				thumbOf, ok := strings.CutPrefix(name, "thumbs_")
				if !ok {
					continue // not a layout Lumbung writes
				}
				name = thumbOf
			}
			names, seen := held[id]
			if !seen {
				names, err = heldNames(ctx, recs, c, id)
				if err != nil {
					return removed, err
				}
				held[id] = names
			}
			if slices.Contains(names, name) {
				continue
			}
			if err := st.Delete(ctx, info.Key); err != nil {
				return removed, err
			}
			removed++
		}
	}
	return removed, nil
}

// heldNames returns the file names record id of c holds (none when it
// does not exist).
func heldNames(ctx context.Context, recs *collections.Records, c *collections.Collection, id string) ([]string, error) {
	rec, err := recs.Get(ctx, c, id)
	if err != nil {
		if code := collections.ErrorCode(err); code == collections.ENOTFOUND || code == collections.EINVALID {
			return nil, nil
		}
		return nil, err
	}
	var names []string
	for _, fld := range c.Fields {
		if fld.Type == "file" {
			names = append(names, collections.FileNames(rec.Data[fld.Name])...)
		}
	}
	return names, nil
}

// filesSweepJob is the id of the server's hourly job that runs sweep.
const filesSweepJob = "__lumbungFilesSweep__"

// sweepFiles is the hourly sweep of the files no record holds.
func (s *Server) sweepFiles(ctx context.Context) error {
	n, err := s.files.sweep(ctx, s.svc, time.Now().Add(-sweepGrace))
	if n > 0 {
		s.cfg.Logger.Info("removed files no record holds", "count", n)
	}
	return err
}

// staleUpload is how old a temporary upload must be to be removed at
// start: one left by a process that stopped in the middle of a request
// (a live upload is never idle for more than a minute).
const staleUpload = 24 * time.Hour

// removeStaleUploads removes the temporary uploads in dir older than
// staleUpload.
func removeStaleUploads(dir string, now time.Time, log *slog.Logger) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return // no folder yet
	}
	for _, e := range entries {
		info, err := e.Info()
		if err != nil || !e.Type().IsRegular() || !strings.HasPrefix(e.Name(), "upload-") || now.Sub(info.ModTime()) < staleUpload {
			continue
		}
		if err := os.Remove(filepath.Join(dir, e.Name())); err != nil {
			log.Warn("remove a stale temporary upload", "file", e.Name(), "err", err)
		}
	}
}
