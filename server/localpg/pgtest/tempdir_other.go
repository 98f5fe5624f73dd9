//go:build !linux

package pgtest

import "os"

// tempParent is where Main puts the cluster.
func tempParent() string { return os.TempDir() }
