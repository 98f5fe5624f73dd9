//go:build !unix

package pgtest

// sweep does nothing here: there is no embedded cluster to leave behind.
func sweep(string) {}
