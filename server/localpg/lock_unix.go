//go:build unix

package localpg

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"
)

// tryLock takes the exclusive flock on Dir/pg/lumbung.lock without waiting.
// It returns the open file holding the lock, or nil and what the holder
// wrote into the file ("pid 123 serve") when another process holds it. The
// lock dies with the process, and the descriptor is close-on-exec so
// postgres never inherits it.
func tryLock(path, mode string) (*os.File, string, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, "", fmt.Errorf("localpg: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		holder, _ := os.ReadFile(path)
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, strings.TrimSpace(string(holder)), nil
		}
		return nil, "", fmt.Errorf("localpg: lock %s: %w", path, err)
	}
	// Who holds it, for the error message others print; informative only.
	if err := f.Truncate(0); err == nil {
		_, _ = fmt.Fprintf(f, "pid %d %s\n", os.Getpid(), mode)
	}
	return f, "", nil
}

// unlock releases a lock taken by tryLock; nil is fine.
func unlock(f *os.File) error {
	if f == nil {
		return nil
	}
	return f.Close() // closing the only descriptor releases the flock
}
