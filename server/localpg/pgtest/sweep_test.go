//go:build unix

package pgtest

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

func TestSweep(t *testing.T) {
	parent := t.TempDir()
	// mkRoot makes a data root as Main would leave it.
	mkRoot := func(name string, age time.Duration, files ...string) string {
		dir := filepath.Join(parent, name)
		for _, f := range append([]string{"pg/lumbung.lock"}, files...) {
			p := filepath.Join(dir, f)
			if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, nil, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		old := time.Now().Add(-age)
		if err := os.Chtimes(dir, old, old); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	crashed := mkRoot("pgtest-crashed", time.Hour)
	fresh := mkRoot("pgtest-fresh", 0)
	running := mkRoot("pgtest-running", time.Hour, "pg/data/postmaster.pid")
	locked := mkRoot("pgtest-locked", time.Hour)
	other := mkRoot("other-crashed", time.Hour)

	lock, err := os.Open(filepath.Join(locked, "pg", "lumbung.lock"))
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatal(err)
	}

	sweep(parent)
	for dir, wantGone := range map[string]bool{crashed: true, fresh: false, running: false, locked: false, other: false} {
		_, err := os.Stat(dir)
		if gone := os.IsNotExist(err); gone != wantGone {
			t.Errorf("%s: removed = %v, want %v", filepath.Base(dir), gone, wantGone)
		}
	}
}
