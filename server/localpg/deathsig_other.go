//go:build unix && !linux

package localpg

import "syscall"

// stopWithParent is not available here: a crashed test process leaves its
// Fast cluster running.
func stopWithParent(*syscall.SysProcAttr) {}
