package main

import (
	"os"
	"strconv"
	"strings"
	"syscall"
)

// processRSS reads VmRSS in KiB from /proc/<pid>/status, or -1.
func processRSS(pid int) int64 { return procStatusKiB(pid, "VmRSS") }

// procStatusKiB reads a size in KiB from /proc/<pid>/status (VmRSS,
// VmHWM: the peak RSS since the process started), or -1.
func procStatusKiB(pid int, key string) int64 {
	if pid <= 0 {
		return -1
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, key+":"); ok {
			f := strings.Fields(v)
			if len(f) > 0 {
				n, err := strconv.ParseInt(f[0], 10, 64)
				if err == nil {
					return n
				}
			}
		}
	}
	return -1
}

// raiseFileLimit raises this process's soft RLIMIT_NOFILE to at least want
// (as far as the hard limit allows, higher when privileged). It sets the
// limit explicitly, so children started afterwards — the lumbung server —
// inherit it too. It returns the soft limit in effect.
func raiseFileLimit(want uint64) uint64 {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0
	}
	if lim.Cur >= want {
		// Set it anyway: Go restores the limit it found at start for children
		// unless the program set one itself.
		syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim) //nolint:errcheck
		return lim.Cur
	}
	if lim.Max < want {
		raised := syscall.Rlimit{Cur: want, Max: want}
		if syscall.Setrlimit(syscall.RLIMIT_NOFILE, &raised) == nil {
			return want
		}
	}
	lim.Cur = min(want, lim.Max)
	syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim) //nolint:errcheck
	return fileLimit()
}

// fileLimit is the current soft RLIMIT_NOFILE, or 0.
func fileLimit() uint64 {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0
	}
	return lim.Cur
}
