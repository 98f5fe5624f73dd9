//go:build !linux

package main

// processRSS is unknown outside Linux.
func processRSS(pid int) int64 { return -1 }

// procStatusKiB is unknown outside Linux.
func procStatusKiB(pid int, key string) int64 { return -1 }

// raiseFileLimit leaves the limit alone outside Linux.
func raiseFileLimit(want uint64) uint64 { return 0 }

// fileLimit is unknown outside Linux.
func fileLimit() uint64 { return 0 }
