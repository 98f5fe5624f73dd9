//go:build unix

package localpg

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
)

// serviceUser is the unprivileged system user that runs postgres when
// Lumbung runs as root. A dedicated user (rather than the distribution's
// "postgres") keeps the private cluster apart from any system cluster.
const serviceUser = "lumbung"

// serviceCredential returns the credential initdb and postgres run with:
// nil (the current user) when not root, otherwise the "lumbung" system user,
// created with useradd when missing.
func serviceCredential(ctx context.Context, log *slog.Logger) (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := lookupUser()
	if err != nil {
		return nil, err
	}
	if u == nil {
		if u, err = createUser(ctx, log); err != nil {
			return nil, err
		}
	}
	return credentialOf(u)
}

// lookupUser returns the service user, or nil if it does not exist.
func lookupUser() (*user.User, error) {
	u, err := user.Lookup(serviceUser)
	var unknown user.UnknownUserError
	if errors.As(err, &unknown) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("localpg: look up user %s: %w", serviceUser, err)
	}
	return u, nil
}

// createUser runs useradd. Concurrent useradds can lose one another's
// update of /etc/passwd, so creators on this machine take turns by an flock
// on /etc/passwd itself and look again once it is their turn.
func createUser(ctx context.Context, log *slog.Logger) (*user.User, error) {
	f, err := os.Open("/etc/passwd")
	if err != nil {
		return nil, fmt.Errorf("localpg: %w", err)
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		return nil, fmt.Errorf("localpg: lock /etc/passwd: %w", err)
	}
	if u, err := lookupUser(); u != nil || err != nil {
		return u, err
	}
	log.Info("creating system user for the embedded PostgreSQL", "user", serviceUser)
	out, err := exec.CommandContext(ctx, "useradd", "--system", "--user-group",
		"--no-create-home", "--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin",
		"--comment", "Lumbung embedded PostgreSQL", serviceUser).CombinedOutput()
	if u, err := lookupUser(); u != nil || err != nil {
		return u, err
	}
	return nil, fmt.Errorf("localpg: postgres refuses to run as root, and creating the system user %s failed: %v %s"+
		" (create it yourself, e.g. `useradd --system --user-group %s`)", serviceUser, err, bytes.TrimSpace(out), serviceUser)
}

func credentialOf(u *user.User) (*syscall.Credential, error) {
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err := errors.Join(err1, err2); err != nil {
		return nil, fmt.Errorf("localpg: user %s: %w", u.Username, err)
	}
	if uid == 0 {
		return nil, fmt.Errorf("localpg: user %s has uid 0; postgres needs an unprivileged user", u.Username)
	}
	// An empty Groups drops root's supplementary groups.
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: []uint32{}}, nil
}

// chown gives path to the service user; a no-op when cred is nil.
func chown(path string, cred *syscall.Credential) error {
	if cred == nil {
		return nil
	}
	if err := os.Lchown(path, int(cred.Uid), int(cred.Gid)); err != nil {
		return fmt.Errorf("localpg: %w", err)
	}
	return nil
}

// chownTree gives every file under root to the service user.
func chownTree(root string, cred *syscall.Credential) error {
	return filepath.WalkDir(root, func(path string, _ os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return chown(path, cred)
	})
}

// ownedBy reports whether path belongs to the service user (always true when cred is nil).
func ownedBy(path string, cred *syscall.Credential) (bool, error) {
	if cred == nil {
		return true, nil
	}
	fi, err := os.Stat(path)
	if err != nil {
		return false, err
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && st.Uid == cred.Uid, nil
}

// unreachableParent names the first directory on the way to path that the
// service user cannot search, or "".
func unreachableParent(path string, cred *syscall.Credential) string {
	for _, d := range ancestors(path) {
		if _, ok, err := searchable(d, cred); err != nil || !ok {
			return d
		}
	}
	return ""
}
