package server_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/lumbunghq/lumbung/server"
	"github.com/lumbunghq/lumbung/server/settings"
	"github.com/lumbunghq/lumbung/server/storage"
	"github.com/lumbunghq/lumbung/server/storage/local"
	"github.com/lumbunghq/lumbung/server/storage/s3"
	"github.com/lumbunghq/lumbung/server/storage/s3/s3test"
)

func TestOpenStorage(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s, err := server.OpenStorage(filepath.Join(dir, "storage"), settings.S3{Bucket: "ignored while disabled"})
	if err != nil {
		t.Fatal(err)
	}
	if l, ok := s.(*local.Storage); !ok || l.Root() != filepath.Join(dir, "storage") {
		t.Fatalf("default storage %T %v", s, s)
	}
	if st, err := os.Stat(filepath.Join(dir, "storage")); err != nil || !st.IsDir() {
		t.Fatalf("storage folder: %v", err)
	}
	srv := s3test.MustServer(t)
	srv.MustBucket(t, "files", true)
	s, err = server.OpenStorage(dir, settings.S3{Enabled: true, Endpoint: srv.URL, Bucket: "files", Region: "us-east-1",
		AccessKey: "a", Secret: "b", ForcePathStyle: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := s.(*s3.Storage); !ok {
		t.Fatalf("enabled s3 gave %T", s)
	}
	if err := storage.Probe(t.Context(), s); err != nil {
		t.Fatal(err)
	}
}
