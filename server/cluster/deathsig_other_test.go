//go:build cluster && !linux

package cluster_test

import "syscall"

// childAttr is the nodes' process attributes: without Linux's parent-death
// signal, nodes are stopped by the tests' cleanups only.
func childAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{} }
