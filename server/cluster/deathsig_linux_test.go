//go:build cluster

package cluster_test

import "syscall"

// childAttr makes the kernel kill a node when the test process dies, so a
// test that panics or times out leaves no server behind.
func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
