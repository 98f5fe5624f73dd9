package server

import (
	"path/filepath"

	"github.com/lumbunghq/lumbung/server/settings"
	"github.com/lumbunghq/lumbung/server/storage"
	"github.com/lumbunghq/lumbung/server/storage/local"
	"github.com/lumbunghq/lumbung/server/storage/s3"
)

// OpenStorage returns where the files of records are kept: the bucket the
// s3 settings name when they are enabled, else the folder storage under
// the data directory dir (created when missing).
func OpenStorage(dir string, s settings.S3) (storage.Storage, error) {
	if s.Enabled {
		return s3.New(s.Config())
	}
	return local.New(filepath.Join(dir, "storage"))
}
