package backup_test

import (
	"archive/zip"
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lumbunghq/lumbung/collections"
	"github.com/lumbunghq/lumbung/server/backup"
	"github.com/lumbunghq/lumbung/server/storage"
	"github.com/lumbunghq/lumbung/server/storage/local"
	"github.com/lumbunghq/lumbung/server/storage/s3"
	"github.com/lumbunghq/lumbung/server/storage/s3/s3test"
)

// dumper stands in for PostgreSQL's programs where only the files
// matter (server's TestBackup* run the real ones): its dump is fixed
// bytes, and it checks that a restored dump is one of its own.
type dumper struct {
	mu       sync.Mutex
	restored []string
}

func (d *dumper) Lock(context.Context) (func(), error) { return func() {}, nil }
func (d *dumper) Busy(context.Context) (bool, error)   { return false, nil }
func (d *dumper) Dump(_ context.Context, w io.Writer) error {
	_, err := io.WriteString(w, "PGDMP dump")
	return err
}
func (d *dumper) Check(_ context.Context, path string) error {
	b, err := os.ReadFile(path)
	if err != nil || string(b) != "PGDMP dump" {
		return collections.Errorf(collections.EINVALID, "The backup cannot be restored.")
	}
	return nil
}
func (d *dumper) Restore(_ context.Context, path string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.restored = append(d.restored, path)
	return nil
}

func keys(t *testing.T, m *backup.Manager) []string {
	t.Helper()
	list, err := m.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, b := range list {
		out = append(out, b.Key)
	}
	slices.Sort(out)
	return out
}

// TestManager: names as PocketBase's, a zip holding lumbung.dump, no
// temporary file left or listed, a name never taken twice (even by
// concurrent uploads), automatic backups kept to their number while those
// made by hand stay: with backups kept in a folder, and in an S3 bucket.
func TestManager(t *testing.T) {
	t.Run("folder", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "backups")
		st, err := local.New(dir)
		if err != nil {
			t.Fatal(err)
		}
		testManager(t, dir, st)
	})
	t.Run("S3", func(t *testing.T) {
		srv := s3test.MustServer(t)
		srv.MustBucket(t, "backups", true)
		st, err := s3.New(srv.Config("backups", true))
		if err != nil {
			t.Fatal(err)
		}
		testManager(t, filepath.Join(t.TempDir(), "work"), st)
	})
}

func testManager(t *testing.T, dir string, st storage.Storage) {
	ctx := context.Background()
	now := time.Date(2026, 12, 6, 3, 0, 0, 0, time.UTC)
	m := backup.New(backup.Config{Dir: dir, Store: func(context.Context) (storage.Storage, error) { return st, nil }, Database: &dumper{},
		Now: func() time.Time { now = now.Add(time.Second); return now }, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})

	for _, bad := range []string{"", "X.zip", "a.tar", "../a.zip", "a/b.zip", "@auto_x.zip", strings.Repeat("a", 147) + ".zip"} {
		if err := backup.CheckName(bad); collections.ErrorCode(err) != collections.EINVALID {
			t.Errorf("CheckName(%q) = %v", bad, err)
		}
	}
	name, err := m.Create(ctx, "")
	if err != nil || name != "lb_backup_20261206030001.zip" {
		t.Fatalf("create: %q %v", name, err)
	}
	o, info, err := m.Open(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	good, _ := io.ReadAll(o)
	o.Close()
	zr, err := zip.NewReader(bytes.NewReader(good), int64(len(good)))
	if err != nil || len(zr.File) != 1 || zr.File[0].Name != backup.DumpEntry || info.Size != int64(len(good)) {
		t.Fatalf("archive: %v", err)
	}
	if _, err := m.Create(ctx, name); collections.ErrorCode(err) != collections.EINVALID {
		t.Errorf("a taken name: %v", err)
	}

	// Concurrent uploads of one name: one wins, the others are refused.
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() { errs <- m.Upload(ctx, "same.zip", strings.NewReader(string(good))) })
	}
	wg.Wait()
	close(errs)
	won := 0
	for err := range errs {
		if err == nil {
			won++
		} else if collections.ErrorCode(err) != collections.EINVALID {
			t.Errorf("upload: %v", err)
		}
	}
	if won != 1 {
		t.Errorf("%d uploads of one name succeeded", won)
	}

	var autos []string
	for range 4 {
		a, err := m.CreateAuto(ctx, 2)
		if err != nil || !strings.HasPrefix(a, backup.AutoPrefix) {
			t.Fatal(a, err)
		}
		autos = append(autos, a)
	}
	want := []string{autos[2], autos[3], name, "same.zip"}
	if got := keys(t, m); !slices.Equal(got, want) {
		t.Errorf("backups %v, want %v", got, want)
	}
	if err := m.Restore(ctx, want[0]); err != nil {
		t.Errorf("restore of an automatic backup: %v", err)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") && e.Name() != ".lumbung" { // the folder store's own
			t.Errorf("left behind: %s", e.Name())
		}
	}
	if err := m.Delete(ctx, "../backups/same.zip"); collections.ErrorCode(err) != collections.EINVALID {
		t.Errorf("delete ../: %v", err)
	}
	if _, _, err := m.Open(ctx, "@auto_../x.zip"); collections.ErrorCode(err) != collections.ENOTFOUND {
		t.Errorf("open: %v", err)
	}
}
