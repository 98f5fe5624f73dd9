package server

import (
	"github.com/lumbunghq/lumbung/server/settings"
	"github.com/lumbunghq/lumbung/server/storage"
	"github.com/lumbunghq/lumbung/server/storage/local"
	"github.com/lumbunghq/lumbung/server/storage/s3"
)

// OpenStorage returns the bucket s names when it is enabled, else the
// folder dir (created when missing).
func OpenStorage(dir string, s settings.S3) (storage.Storage, error) {
	if s.Enabled {
		return s3.New(s.Config())
	}
	return local.New(dir)
}
