// Package backup keeps backups of the Lumbung database in a folder of the
// data directory, as PocketBase keeps its backups in pb_data/backups:
// create, list, delete, download, upload and restore, one backup or
// restore at a time across every node.
//
// A backup is a zip archive named like PocketBase's ([a-z0-9_-]+.zip)
// holding one entry, lumbung.dump: the database in pg_dump's custom
// format (already compressed, so stored as is). The zip keeps PocketBase's
// names, so code written for `pb.backups.*` works unchanged, and leaves
// room for the file storage beside the dump. File storage is not backed
// up yet.
package backup

import (
	"archive/zip"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/lumbunghq/lumbung/collections"
	"github.com/lumbunghq/lumbung/server/storage"
)

// DumpEntry is the name of the database dump inside a backup archive.
const DumpEntry = "lumbung.dump"

// namePattern is PocketBase's backup name rule.
var namePattern = regexp.MustCompile(`^[a-z0-9_-]+\.zip$`)

// AutoPrefix starts the names of the backups the schedule makes (see
// CreateAuto), as PocketBase's "@auto_pb_backup_": no name a caller
// gives can take it, and retention deletes only those.
const AutoPrefix = "@auto_lb_backup_"

// isKey reports whether name is a backup's: a name CheckName allows, or
// one CreateAuto makes.
func isKey(name string) bool {
	return CheckName(strings.TrimPrefix(name, "@auto_")) == nil
}

// Database is what backups need of the database (see server/backup/postgres).
type Database interface {
	// Lock takes the lock that lets one backup or restore run at a time
	// on every node; an error when another holds it.
	Lock(ctx context.Context) (release func(), err error)
	// Busy reports whether another holds the lock.
	Busy(ctx context.Context) (bool, error)
	// Dump writes the database to w in pg_dump's custom format.
	Dump(ctx context.Context, w io.Writer) error
	// Check says whether the dump at path can be restored (EINVALID if not).
	Check(ctx context.Context, path string) error
	// Restore replaces the database's contents with the dump at path, in
	// one transaction, and tells every node to reload.
	Restore(ctx context.Context, path string) error
}

// Config configures a Manager.
type Config struct {
	// Dir is the folder backups are written and read through, such as
	// <data dir>/backups (where the folder store keeps them too).
	Dir string
	// Store returns where the backups are kept: a folder, or the bucket
	// of the backups' S3 settings, which every node shares.
	Store func(ctx context.Context) (storage.Storage, error)
	// Database is what is backed up and restored.
	Database Database
	// AfterRestore runs on this node after a restore (nil: nothing).
	AfterRestore func(ctx context.Context) error
	// Files returns the file storage, backed up beside the database (nil:
	// the database alone).
	Files func(ctx context.Context) (storage.Storage, error)
	// Now names backups created without a name (time.Now when nil).
	Now    func() time.Time
	Logger *slog.Logger
}

// Manager creates, lists, deletes and restores backups.
type Manager struct {
	cfg Config
	mu  sync.Mutex // a name's check and its write, on this node (the backup lock spans nodes)
}

// New returns a Manager for cfg.
func New(cfg Config) *Manager {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Manager{cfg: cfg}
}

// Busy reports whether a backup or a restore runs on any node.
func (m *Manager) Busy(ctx context.Context) (bool, error) { return m.cfg.Database.Busy(ctx) }

// Info describes a backup, as PocketBase lists it.
type Info struct {
	Key      string    `json:"key"`
	Size     int64     `json:"size"`
	Modified time.Time `json:"modified"`
}

// CheckName returns EINVALID unless name is a backup name: lowercase
// letters, digits, _ and - ending in .zip, at most 150 characters.
func CheckName(name string) error {
	if len(name) > 150 || !namePattern.MatchString(name) {
		return collections.Invalid("Invalid backup name.", map[string]collections.FieldError{
			"name": {Code: "validation_match_invalid", Message: "Must be in a valid format (lowercase letters, digits, _ and -, ending in .zip)."}})
	}
	return nil
}

// notFound is the answer for a backup that does not exist.
var notFound = collections.Errorf(collections.ENOTFOUND, "The requested resource wasn't found.")

// exists reports whether the store holds a backup name.
func (m *Manager) exists(ctx context.Context, name string) (bool, error) {
	st, err := m.cfg.Store(ctx)
	if err != nil {
		return false, err
	}
	return storage.Exists(ctx, st, name)
}

// Create backs the database up into name (a name from the time when
// empty) and returns the name.
func (m *Manager) Create(ctx context.Context, name string) (string, error) {
	if name == "" {
		name = "lb_backup_" + m.cfg.Now().UTC().Format("20060102150405") + ".zip"
	}
	if err := CheckName(name); err != nil {
		return "", err
	}
	return m.create(ctx, name)
}

// CreateAuto makes a backup named AutoPrefix and the time, as the
// schedule does, and deletes the oldest of those beyond keep (none when
// keep is 0). It returns the name.
func (m *Manager) CreateAuto(ctx context.Context, keep int) (string, error) {
	name, err := m.create(ctx, AutoPrefix+m.cfg.Now().UTC().Format("20060102150405")+".zip")
	if err != nil || keep <= 0 {
		return name, err
	}
	list, err := m.List(ctx)
	if err != nil {
		return name, err
	}
	var autos []string
	for _, b := range list {
		if strings.HasPrefix(b.Key, AutoPrefix) {
			autos = append(autos, b.Key)
		}
	}
	// Newest first by the time in their names, whatever the file
	// system's clock resolution.
	slices.SortFunc(autos, func(a, b string) int { return strings.Compare(b, a) })
	for _, key := range autos[min(keep, len(autos)):] {
		if err := m.Delete(ctx, key); err != nil {
			return name, err
		}
	}
	return name, nil
}

// create backs the database up into name, which was checked.
func (m *Manager) create(ctx context.Context, name string) (string, error) {
	if used, err := m.exists(ctx, name); err != nil || used {
		if err != nil {
			return "", err
		}
		return "", collections.Invalid("The backup name is already used.", map[string]collections.FieldError{
			"name": {Code: "validation_backup_name_exists", Message: "The backup file name is already used."}})
	}
	release, err := m.cfg.Database.Lock(ctx)
	if err != nil {
		return "", err
	}
	defer release()
	files := 0
	err = m.write(ctx, name, func(f *os.File) error {
		zw := zip.NewWriter(f)
		w, err := zw.CreateHeader(&zip.FileHeader{Name: DumpEntry, Method: zip.Store, Modified: m.cfg.Now()})
		if err != nil {
			return err
		}
		if err := m.cfg.Database.Dump(ctx, w); err != nil {
			return err
		}
		if files, err = m.addFiles(ctx, zw); err != nil {
			return err
		}
		return zw.Close()
	})
	if err != nil {
		return "", err
	}
	m.cfg.Logger.Info("backup created", "name", name, "files", files)
	return name, nil
}

// write fills a temporary file with a backup, then stores it under name
// (the store's writes are whole or nothing: a crash never leaves half a
// backup under name). The backup lock keeps two writers of one name
// apart.
func (m *Manager) write(ctx context.Context, name string, fill func(*os.File) error) error {
	st, err := m.cfg.Store(ctx)
	if err != nil {
		return err
	}
	f, err := m.temp(".tmp-" + name + "-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	if err := fill(f); err != nil {
		return err
	}
	size, err := f.Seek(0, io.SeekEnd)
	if err == nil {
		_, err = f.Seek(0, io.SeekStart)
	}
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if used, err := storage.Exists(ctx, st, name); err != nil || used {
		if err != nil {
			return err
		}
		return collections.Errorf(collections.EINVALID, "The backup name is already used.")
	}
	return st.Put(ctx, name, f, size, "application/zip")
}

// temp creates a temporary file in the working folder.
func (m *Manager) temp(pattern string) (*os.File, error) {
	if err := os.MkdirAll(m.cfg.Dir, 0o700); err != nil {
		return nil, err
	}
	return os.CreateTemp(m.cfg.Dir, pattern)
}

// List returns the backups, newest first.
func (m *Manager) List(ctx context.Context) ([]Info, error) {
	st, err := m.cfg.Store(ctx)
	if err != nil {
		return nil, err
	}
	out := []Info{}
	for info, err := range st.List(ctx, "") {
		if err != nil {
			return nil, err
		}
		if !isKey(info.Key) {
			continue
		}
		out = append(out, Info{Key: info.Key, Size: info.Size, Modified: info.ModTime.UTC()})
	}
	slices.SortFunc(out, func(a, b Info) int { return b.Modified.Compare(a.Modified) })
	return out, nil
}

// Open opens a backup for download (ENOTFOUND when there is none).
func (m *Manager) Open(ctx context.Context, name string) (storage.Object, Info, error) {
	if !isKey(name) {
		return nil, Info{}, notFound
	}
	st, err := m.cfg.Store(ctx)
	if err != nil {
		return nil, Info{}, err
	}
	o, err := st.Open(ctx, name)
	if errors.Is(err, storage.ErrNotFound) || errors.Is(err, storage.ErrInvalidKey) {
		return nil, Info{}, notFound
	}
	if err != nil {
		return nil, Info{}, err
	}
	info := o.Info()
	return o, Info{Key: name, Size: info.Size, Modified: info.ModTime.UTC()}, nil
}

// Delete deletes a backup (EINVALID when there is none, as PocketBase).
func (m *Manager) Delete(ctx context.Context, name string) error {
	gone := collections.Errorf(collections.EINVALID, "Invalid or already deleted backup file.")
	if !isKey(name) {
		return gone
	}
	st, err := m.cfg.Store(ctx)
	if err != nil {
		return err
	}
	if ok, err := storage.Exists(ctx, st, name); err != nil || !ok {
		if err != nil {
			return err
		}
		return gone
	}
	if err := st.Delete(ctx, name); err != nil {
		return err
	}
	m.cfg.Logger.Info("backup deleted", "name", name)
	return nil
}

// Upload stores r as the backup name after checking it is one: a zip
// archive holding a dump this server's pg_restore reads.
func (m *Manager) Upload(ctx context.Context, name string, r io.Reader) error {
	if err := CheckName(name); err != nil {
		return err
	}
	if used, err := m.exists(ctx, name); err != nil || used {
		if err != nil {
			return err
		}
		return collections.Errorf(collections.EINVALID, "The backup name is already used.")
	}
	release, err := m.cfg.Database.Lock(ctx)
	if err != nil {
		return err
	}
	defer release()
	return m.write(ctx, name, func(f *os.File) error {
		if _, err := io.Copy(f, r); err != nil {
			return err
		}
		dump, err := m.extract(f.Name())
		if err != nil {
			return err
		}
		defer os.Remove(dump)
		return m.cfg.Database.Check(ctx, dump)
	})
}

// extract copies the dump out of the archive at path into a temporary
// file (pg_restore reads a file out of order); EINVALID when path is not
// a backup.
func (m *Manager) extract(path string) (string, error) {
	notBackup := collections.Errorf(collections.EINVALID, "The file is not a Lumbung backup (a zip archive holding %s).", DumpEntry)
	zr, err := zip.OpenReader(path)
	if err != nil {
		return "", notBackup
	}
	defer zr.Close()
	i := slices.IndexFunc(zr.File, func(f *zip.File) bool { return f.Name == DumpEntry })
	if i < 0 {
		return "", notBackup
	}
	src, err := zr.File[i].Open()
	if err != nil {
		return "", notBackup
	}
	defer src.Close()
	dst, err := os.CreateTemp(m.cfg.Dir, ".restore-*")
	if err != nil {
		return "", err
	}
	_, err = io.Copy(dst, src)
	if cerr := dst.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(dst.Name())
		if errors.Is(err, zip.ErrChecksum) || errors.Is(err, zip.ErrFormat) || errors.Is(err, io.ErrUnexpectedEOF) {
			return "", notBackup
		}
		return "", err
	}
	return dst.Name(), nil
}

// fetch copies the backup name out of the store into a temporary file
// (a zip archive is read out of order), whose path it returns.
func (m *Manager) fetch(ctx context.Context, name string) (string, error) {
	o, _, err := m.Open(ctx, name)
	if err != nil {
		return "", err
	}
	defer o.Close()
	f, err := m.temp(".restore-" + name + "-*")
	if err != nil {
		return "", err
	}
	_, err = io.Copy(f, o)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return "", err
	}
	return f.Name(), nil
}

// Restore replaces the database's contents with the backup name's, then
// runs AfterRestore. The backup is checked before anything changes.
func (m *Manager) Restore(ctx context.Context, name string) error {
	if !isKey(name) {
		return collections.Errorf(collections.EINVALID, "Missing or invalid backup file.")
	}
	if ok, err := m.exists(ctx, name); err != nil || !ok {
		if err != nil {
			return err
		}
		return collections.Errorf(collections.EINVALID, "Missing or invalid backup file.")
	}
	release, err := m.cfg.Database.Lock(ctx)
	if err != nil {
		return err
	}
	defer release()
	path, err := m.fetch(ctx, name)
	if err != nil {
		return err
	}
	defer os.Remove(path)
	dump, err := m.extract(path)
	if err != nil {
		return err
	}
	defer os.Remove(dump)
	if err := m.cfg.Database.Check(ctx, dump); err != nil {
		return err
	}
	zr, err := zip.OpenReader(path)
	if err != nil {
		return collections.Errorf(collections.EINVALID, "Missing or invalid backup file.")
	}
	defer zr.Close()
	entries, err := storageEntries(&zr.Reader)
	if err != nil {
		return err
	}
	if err := m.cfg.Database.Restore(ctx, dump); err != nil {
		return fmt.Errorf("restore %s: %w", name, err)
	}
	if m.cfg.AfterRestore != nil {
		if err := m.cfg.AfterRestore(ctx); err != nil {
			return err
		}
	}
	files, err := m.restoreFiles(ctx, entries)
	if err != nil {
		return fmt.Errorf("restore %s: the database is restored, %d files are; the rest failed: %w", name, files, err)
	}
	m.cfg.Logger.Info("backup restored", "name", name, "files", files)
	return nil
}
