package localpg

import (
	"encoding/binary"
	"errors"
	"fmt"

	"golang.org/x/sys/unix"
)

// POSIX access ACLs as Linux stores them in the system.posix_acl_access
// extended attribute (what getfacl and setfacl read and write): a version
// header, then one (tag, perm, id) entry per line of getfacl's output, all
// little-endian.
const (
	aclXattr   = "system.posix_acl_access"
	aclVersion = 2
	aclEntrySz = 8
)

// readACL returns the access ACL of path, or nil when it has none beyond
// its mode bits (or the file system keeps none).
func readACL(path string) ([]aclEntry, error) {
	buf := make([]byte, 256)
	for {
		n, err := unix.Getxattr(path, aclXattr, buf)
		switch {
		case errors.Is(err, unix.ERANGE):
			if sz, err := unix.Getxattr(path, aclXattr, nil); err == nil {
				buf = make([]byte, sz)
				continue
			}
			buf = make([]byte, 2*len(buf))
			continue
		case errors.Is(err, unix.ENODATA), errors.Is(err, unix.EOPNOTSUPP):
			return nil, nil
		case err != nil:
			return nil, fmt.Errorf("read the ACL of %s: %w", path, err)
		}
		return decodeACL(buf[:n])
	}
}

func decodeACL(b []byte) ([]aclEntry, error) {
	if len(b) < 4 || binary.LittleEndian.Uint32(b) != aclVersion || (len(b)-4)%aclEntrySz != 0 {
		return nil, errors.New("unknown ACL format")
	}
	var acl []aclEntry
	for b = b[4:]; len(b) > 0; b = b[aclEntrySz:] {
		acl = append(acl, aclEntry{
			tag:  binary.LittleEndian.Uint16(b),
			perm: binary.LittleEndian.Uint16(b[2:]),
			id:   binary.LittleEndian.Uint32(b[4:]),
		})
	}
	return acl, nil
}

// writeACL replaces the access ACL of path; acl must be in canonical order.
// It fails with errNoACL where the file system keeps no ACLs.
func writeACL(path string, acl []aclEntry) error {
	b := binary.LittleEndian.AppendUint32(nil, aclVersion)
	for _, e := range acl {
		b = binary.LittleEndian.AppendUint16(b, e.tag)
		b = binary.LittleEndian.AppendUint16(b, e.perm)
		b = binary.LittleEndian.AppendUint32(b, e.id)
	}
	err := unix.Setxattr(path, aclXattr, b, 0)
	if errors.Is(err, unix.EOPNOTSUPP) {
		return errNoACL
	}
	return err
}
