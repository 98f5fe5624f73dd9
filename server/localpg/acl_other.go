//go:build unix && !linux

package localpg

// readACL reports no ACL: outside Linux only mode bits are consulted.
func readACL(string) ([]aclEntry, error) { return nil, nil }

// writeACL is not implemented outside Linux.
func writeACL(string, []aclEntry) error { return errNoACL }
