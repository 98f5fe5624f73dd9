//go:build unix

package pgtest

import (
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// sweep removes the data roots that crashed or timed-out test processes
// left in parent: no process holds their cluster lock, no postgres runs
// there (a Fast cluster stops when its process dies), and they are older
// than a minute, so a process that is just starting is never touched.
func sweep(parent string) {
	dirs, _ := filepath.Glob(filepath.Join(parent, "pgtest-*"))
	for _, dir := range dirs {
		fi, err := os.Stat(dir)
		if err != nil || time.Since(fi.ModTime()) < time.Minute {
			continue
		}
		if _, err := os.Stat(filepath.Join(dir, "pg", "data", "postmaster.pid")); err == nil {
			continue
		}
		lock, err := os.Open(filepath.Join(dir, "pg", "lumbung.lock"))
		if err != nil {
			continue
		}
		if syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) == nil {
			_ = os.RemoveAll(dir)
		}
		lock.Close()
	}
}
