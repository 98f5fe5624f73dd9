//go:build unix

package localpg

import (
	"cmp"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"syscall"
)

// As root, postgres runs as the service user, which must be able to search
// (not list) every directory on the way to Dir/pg. A data directory below a
// private one — a clone in /root, mode 0700, is the common case — is made
// reachable for that user alone: each directory on the way that it cannot
// search gets a POSIX ACL entry user:lumbung:--x, what
// `setfacl -m u:lumbung:x DIR` adds. Nobody else gains anything, and the
// directory's mode stays as it was (ls shows its ACL mask in the group
// bits, with a "+").
//
// The entries stay when the server stops: the next start needs them
// again, other clusters below the same directory (or a `lumbung superuser`
// command attached to this one) may rely on them, and they let a user
// that can log in nowhere search, not read. `setfacl -x u:lumbung DIR`
// removes one.

// POSIX ACL entry tags (acl(5)), in their canonical order, and permissions.
const (
	aclUserObj  uint16 = 0x01
	aclUser     uint16 = 0x02
	aclGroupObj uint16 = 0x04
	aclGroup    uint16 = 0x08
	aclMask     uint16 = 0x10
	aclOther    uint16 = 0x20

	aclSearch      uint16 = 1 // execute: search, for a directory
	aclUndefinedID        = ^uint32(0)
)

// aclEntry is one line of an access ACL.
type aclEntry struct {
	tag, perm uint16
	id        uint32 // the user or group of aclUser and aclGroup entries
}

// errNoACL reports a file system (or platform) that keeps no POSIX ACLs.
var errNoACL = errors.New("the file system keeps no POSIX ACLs")

// errWouldWiden reports an ACL whose mask hides search from the group
// class: granting search to the service user would grant it to others too.
var errWouldWiden = errors.New("its ACL mask withholds search from the group class, so an entry for one user would widen it for others")

// reach lets the service user search every directory on the way to Dir,
// Dir included, as described above. A data root on a file system without
// ACLs that this process owns gets the search bit for others instead (no
// listing), as before ACLs were used.
func (l layout) reach(cred *syscall.Credential, log *slog.Logger) error {
	for _, d := range ancestors(l.root) {
		fi, ok, err := searchable(d, cred)
		if err != nil {
			return fmt.Errorf("localpg: %w", err)
		}
		if ok {
			continue
		}
		err = grantSearch(d, fi.Sys().(*syscall.Stat_t), cred.Uid)
		if err == nil {
			log.Info("let the PostgreSQL user search a directory on the way to its data (an ACL entry, as setfacl -m u:"+serviceUser+":x)",
				"dir", d, "user", serviceUser)
			continue
		}
		if d == l.root && errors.Is(err, errNoACL) && int(fi.Sys().(*syscall.Stat_t).Uid) == os.Geteuid() {
			if err := os.Chmod(d, fi.Mode().Perm()|0o001); err != nil {
				return fmt.Errorf("localpg: %w", err)
			}
			continue
		}
		return fmt.Errorf("localpg: postgres runs as the system user %s, which cannot search %s, and letting it failed: %v; %s",
			serviceUser, d, err, reachHint(d))
	}
	return nil
}

// reachHint says how to make dir searchable for the service user.
func reachHint(dir string) string {
	return fmt.Sprintf("run `setfacl -m u:%s:x %s` (or `chmod o+x %s`), or choose a data directory it can reach (--dir, LUMBUNG_DIR)",
		serviceUser, dir, dir)
}

// ancestors lists the directories from / down to dir, dir included, along
// its path as written and along its path with symbolic links resolved
// (both are walked to reach it).
func ancestors(dir string) []string {
	var out []string
	add := func(p string) {
		var chain []string
		for d := p; ; d = filepath.Dir(d) {
			chain = append(chain, d)
			if d == filepath.Dir(d) {
				break
			}
		}
		for i := len(chain) - 1; i >= 0; i-- {
			if !slices.Contains(out, chain[i]) {
				out = append(out, chain[i])
			}
		}
	}
	add(dir)
	if real, err := filepath.EvalSymlinks(dir); err == nil {
		add(real)
	}
	return out
}

// searchable reports whether the user of cred may search dir.
func searchable(dir string, cred *syscall.Credential) (os.FileInfo, bool, error) {
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, false, err
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return fi, true, nil
	}
	acl, err := readACL(dir)
	if err != nil {
		return nil, false, err
	}
	return fi, canSearch(st, acl, cred.Uid, cred.Gid), nil
}

// canSearch is the access check of acl(5) for search by uid whose only
// group is gid (the service user runs without supplementary groups); acl
// is nil when the directory has only its mode bits.
func canSearch(st *syscall.Stat_t, acl []aclEntry, uid, gid uint32) bool {
	mode := uint16(st.Mode)
	if uid == st.Uid {
		return mode>>6&aclSearch != 0
	}
	if acl == nil {
		if gid == st.Gid {
			return mode>>3&aclSearch != 0
		}
		return mode&aclSearch != 0
	}
	mask := uint16(7)
	for _, e := range acl {
		if e.tag == aclMask {
			mask = e.perm
		}
	}
	for _, e := range acl {
		if e.tag == aclUser && e.id == uid {
			return e.perm&mask&aclSearch != 0
		}
	}
	inGroup := false
	for _, e := range acl {
		if e.tag == aclGroupObj && gid == st.Gid || e.tag == aclGroup && e.id == gid {
			if e.perm&mask&aclSearch != 0 {
				return true
			}
			inGroup = true
		}
	}
	if inGroup {
		return false
	}
	return mode&aclSearch != 0
}

// grantSearch adds search for uid to dir's access ACL (creating the ACL
// from the mode bits when it has none), unless that would widen what
// anyone else may do.
func grantSearch(dir string, st *syscall.Stat_t, uid uint32) error {
	acl, err := readACL(dir)
	if err != nil {
		return err
	}
	if acl == nil {
		mode := uint16(st.Mode)
		acl = []aclEntry{
			{tag: aclUserObj, perm: mode >> 6 & 7, id: aclUndefinedID},
			{tag: aclGroupObj, perm: mode >> 3 & 7, id: aclUndefinedID},
			{tag: aclOther, perm: mode & 7, id: aclUndefinedID},
		}
	}
	var (
		others  uint16 // what the rest of the group class holds
		mask    = -1
		granted bool
	)
	for i, e := range acl {
		switch {
		case e.tag == aclUser && e.id == uid:
			acl[i].perm |= aclSearch
			granted = true
		case e.tag == aclUser || e.tag == aclGroupObj || e.tag == aclGroup:
			others |= e.perm
		case e.tag == aclMask:
			mask = i
		}
	}
	switch {
	case mask < 0: // a new ACL's mask: what the group class holds, so nobody else gains
		acl = append(acl, aclEntry{tag: aclMask, perm: others | aclSearch, id: aclUndefinedID})
	case acl[mask].perm&aclSearch == 0 && others&aclSearch != 0:
		return errWouldWiden
	default:
		acl[mask].perm |= aclSearch
	}
	if !granted {
		acl = append(acl, aclEntry{tag: aclUser, perm: aclSearch, id: uid})
	}
	slices.SortFunc(acl, func(a, b aclEntry) int {
		if a.tag != b.tag {
			return cmp.Compare(a.tag, b.tag)
		}
		return cmp.Compare(a.id, b.id)
	})
	return writeACL(dir, acl)
}
