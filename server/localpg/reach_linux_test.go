package localpg

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
)

// mustACLDir makes a directory with the given mode and, when acl is not
// nil, that access ACL; it skips the test where ACLs are not kept.
func mustACLDir(tb testing.TB, mode os.FileMode, acl []aclEntry) (string, *syscall.Stat_t) {
	tb.Helper()
	dir := filepath.Join(tb.TempDir(), "d")
	if err := os.Mkdir(dir, mode); err != nil {
		tb.Fatal(err)
	}
	if err := os.Chmod(dir, mode); err != nil { // past the umask
		tb.Fatal(err)
	}
	if acl != nil {
		if err := writeACL(dir, acl); errors.Is(err, errNoACL) {
			tb.Skip("the temporary directory's file system keeps no POSIX ACLs")
		} else if err != nil {
			tb.Fatal(err)
		}
	}
	return dir, mustStat(tb, dir)
}

func mustStat(tb testing.TB, path string) *syscall.Stat_t {
	tb.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		tb.Fatal(err)
	}
	return fi.Sys().(*syscall.Stat_t)
}

func mustReadACL(tb testing.TB, dir string) []aclEntry {
	tb.Helper()
	acl, err := readACL(dir)
	if err != nil {
		tb.Fatal(err)
	}
	return acl
}

func TestGrantSearch(t *testing.T) {
	t.Parallel()
	const svc, svcGroup, member, stranger = 54321, 54321, 54322, 54323
	dir, st := mustACLDir(t, 0o750, nil)
	if canSearch(st, mustReadACL(t, dir), svc, svcGroup) {
		t.Fatal("a stranger may search a 0750 directory")
	}
	if err := grantSearch(dir, st, svc); errors.Is(err, errNoACL) {
		t.Skip("the temporary directory's file system keeps no POSIX ACLs")
	} else if err != nil {
		t.Fatal(err)
	}
	acl := mustReadACL(t, dir)
	want := []aclEntry{
		{aclUserObj, 7, aclUndefinedID},
		{aclUser, aclSearch, svc},
		{aclGroupObj, 5, aclUndefinedID},
		{aclMask, 5, aclUndefinedID},
		{aclOther, 0, aclUndefinedID},
	}
	if !slices.Equal(acl, want) {
		t.Fatalf("ACL after the grant:\n got %v\nwant %v", acl, want)
	}
	st = mustStat(t, dir)
	if !canSearch(st, acl, svc, svcGroup) {
		t.Error("the service user may not search after the grant")
	}
	if canSearch(st, acl, stranger, stranger) {
		t.Error("a stranger may search after the grant")
	}
	if !canSearch(st, acl, member, st.Gid) {
		t.Error("the owning group lost search")
	}
	if mode := st.Mode & 0o7777; mode != 0o750 {
		t.Errorf("mode %o after the grant, want 750", mode)
	}
	// Granting again changes nothing.
	if err := grantSearch(dir, st, svc); err != nil {
		t.Fatal(err)
	}
	if again := mustReadACL(t, dir); !slices.Equal(again, want) {
		t.Fatalf("ACL after a second grant: %v", again)
	}

	// In a 0700 directory the owning group gains nothing either.
	private, st := mustACLDir(t, 0o700, nil)
	if err := grantSearch(private, st, svc); err != nil {
		t.Fatal(err)
	}
	st = mustStat(t, private)
	acl = mustReadACL(t, private)
	if !canSearch(st, acl, svc, svcGroup) || canSearch(st, acl, member, st.Gid) || canSearch(st, acl, stranger, stranger) {
		t.Fatalf("0700 directory after the grant: %v", acl)
	}
}

// TestGrantSearchWouldWiden: when an ACL's mask withholds search from
// entries that have it, unmasking it for the service user would give it
// to them too, so the grant is refused and the ACL left alone.
func TestGrantSearchWouldWiden(t *testing.T) {
	t.Parallel()
	const svc, friend = 54321, 54324
	acl := []aclEntry{
		{aclUserObj, 7, aclUndefinedID},
		{aclUser, 5, friend},
		{aclGroupObj, 0, aclUndefinedID},
		{aclMask, 4, aclUndefinedID},
		{aclOther, 0, aclUndefinedID},
	}
	dir, st := mustACLDir(t, 0o700, acl)
	if canSearch(st, mustReadACL(t, dir), friend, friend) {
		t.Fatal("the mask does not hide search")
	}
	if err := grantSearch(dir, st, svc); !errors.Is(err, errWouldWiden) {
		t.Fatalf("grant: %v, want errWouldWiden", err)
	}
	if got := mustReadACL(t, dir); !slices.Equal(got, acl) {
		t.Fatalf("ACL changed by a refused grant: %v", got)
	}
}

func TestCanSearch(t *testing.T) {
	t.Parallel()
	const owner, group, user, other = 1000, 1000, 2000, 3000
	st := &syscall.Stat_t{Uid: owner, Gid: group}
	for _, c := range []struct {
		name     string
		mode     uint32
		acl      []aclEntry
		uid, gid uint32
		want     bool
	}{
		{"owner", 0o100, nil, owner, group, true},
		{"owner without x", 0o011, nil, owner, group, false},
		{"group", 0o010, nil, user, group, true},
		{"group is not other", 0o001, nil, user, group, false},
		{"other", 0o001, nil, user, other, true},
		{"named user", 0o700, []aclEntry{{aclUserObj, 7, aclUndefinedID}, {aclUser, 1, user}, {aclGroupObj, 0, aclUndefinedID}, {aclMask, 1, aclUndefinedID}, {aclOther, 0, aclUndefinedID}}, user, other, true},
		{"named user masked", 0o700, []aclEntry{{aclUserObj, 7, aclUndefinedID}, {aclUser, 1, user}, {aclGroupObj, 0, aclUndefinedID}, {aclMask, 4, aclUndefinedID}, {aclOther, 1, aclUndefinedID}}, user, other, false},
		{"named group", 0o700, []aclEntry{{aclUserObj, 7, aclUndefinedID}, {aclGroupObj, 0, aclUndefinedID}, {aclGroup, 1, other}, {aclMask, 1, aclUndefinedID}, {aclOther, 0, aclUndefinedID}}, user, other, true},
		{"matched group without x is not other", 0o701, []aclEntry{{aclUserObj, 7, aclUndefinedID}, {aclGroupObj, 0, aclUndefinedID}, {aclGroup, 4, other}, {aclMask, 4, aclUndefinedID}, {aclOther, 1, aclUndefinedID}}, user, other, false},
	} {
		st.Mode = syscall.S_IFDIR | c.mode
		if got := canSearch(st, c.acl, c.uid, c.gid); got != c.want {
			t.Errorf("%s: canSearch = %v, want %v", c.name, got, c.want)
		}
	}
}
