package pgtest

import (
	"os"
	"syscall"
)

// tempParent is where Main puts the cluster: /dev/shm when it is a tmpfs
// with room to spare (a test cluster on memory creates databases several
// times faster than one on disk), else os.TempDir(). Setting TMPDIR wins.
func tempParent() string {
	if _, set := os.LookupEnv("TMPDIR"); set {
		return os.TempDir()
	}
	const tmpfsMagic = 0x01021994
	var st syscall.Statfs_t
	if err := syscall.Statfs("/dev/shm", &st); err == nil && st.Type == tmpfsMagic &&
		uint64(st.Bavail)*uint64(st.Bsize) >= 1<<30 && syscall.Access("/dev/shm", 7 /* rwx */) == nil {
		return "/dev/shm"
	}
	return os.TempDir()
}
