//go:build !linux

package main

import (
	"syscall"
	"time"
)

// childProcAttr leaves the server in this command's process group.
func childProcAttr() *syscall.SysProcAttr { return nil }

// sampleCPU knows only the time of day outside Linux.
func sampleCPU(serverPID, postmasterPID int) cpuSample {
	return cpuSample{at: time.Now(), self: -1, server: -1, postgres: -1, machine: -1}
}
