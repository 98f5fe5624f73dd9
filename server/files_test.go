package server_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/lumbunghq/lumbung/server/localpg/pgtest"
)

// TestStaleUploadsRemovedAtStart: temporary uploads a stopped process
// left behind go when a server starts; recent ones and other files stay.
func TestStaleUploadsRemovedAtStart(t *testing.T) {
	dir := t.TempDir()
	uploads := filepath.Join(dir, "uploads")
	os.MkdirAll(uploads, 0o700)
	old := time.Now().Add(-48 * time.Hour)
	for name, mod := range map[string]time.Time{"upload-old": old, "upload-new": time.Now(), "other-old": old} {
		p := filepath.Join(uploads, name)
		os.WriteFile(p, []byte("x"), 0o600)
		os.Chtimes(p, mod, mod)
	}
	startNode(t, pgtest.NewDB(t), withDir(dir))
	for name, want := range map[string]bool{"upload-old": false, "upload-new": true, "other-old": true} {
		if _, err := os.Stat(filepath.Join(uploads, name)); (err == nil) != want {
			t.Errorf("%s: exists %v, want %v", name, err == nil, want)
		}
	}
}
