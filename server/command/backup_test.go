package command

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

// TestBackupCommands: on the embedded default (a private PostgreSQL the
// commands start in the data directory), a backup is created, listed and
// restored, which takes back what was done after it, and deleted;
// mistakes print the usage.
func TestBackupCommands(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a PostgreSQL cluster")
	}
	dir, err := os.MkdirTemp("", "lumbung-backup-") // not t.TempDir: postgres may run as another user and must reach it
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("DATABASE_URL", "")
	run := func(args ...string) (string, error) {
		t.Helper()
		var stdout, stderr bytes.Buffer
		err := Run(append(args, "--dir", dir), &stdout, &stderr)
		return stdout.String(), err
	}
	must := func(want string, args ...string) string {
		t.Helper()
		out, err := run(args...)
		if err != nil || !strings.Contains(out, want) {
			t.Fatalf("%q: %q %v, want %q", args, out, err, want)
		}
		return out
	}
	must("superuser first@example.com created", "superuser", "upsert", "first@example.com", "long enough password")
	must("backup one.zip created", "backup", "create", "one.zip")
	must("superuser second@example.com created", "superuser", "upsert", "second@example.com", "long enough password")
	must("superuser first@example.com deleted", "superuser", "delete", "first@example.com")
	if out := must("one.zip", "backup", "list"); !strings.HasPrefix(out, "NAME") {
		t.Errorf("list: %q", out)
	}
	must("backup one.zip restored", "backup", "restore", "one.zip")
	// What the backup held is back; what came after it is gone.
	must("superuser first@example.com updated", "superuser", "upsert", "first@example.com", "long enough password")
	if _, err := run("superuser", "delete", "second@example.com"); err == nil || !strings.Contains(err.Error(), "no superuser") {
		t.Errorf("a superuser created after the backup survived the restore: %v", err)
	}
	must("backup one.zip deleted", "backup", "delete", "one.zip")
	if out := must("NAME", "backup", "list"); strings.Contains(out, "one.zip") {
		t.Errorf("list after delete: %q", out)
	}
	for _, args := range [][]string{{"backup"}, {"backup", "nope"}, {"backup", "delete"}, {"backup", "list", "x"}, {"backup", "restore", "a.zip", "b.zip"}} {
		if _, err := run(args...); err == nil || !strings.Contains(err.Error(), "usage: lumbung backup") {
			t.Errorf("%q: %v", args, err)
		}
	}
	if _, err := run("backup", "create", "Bad.zip"); err == nil || !strings.Contains(err.Error(), "name") {
		t.Errorf("a bad name: %v", err)
	}
	if _, err := run("backup", "restore", "missing.zip"); err == nil || !strings.Contains(err.Error(), "Missing or invalid backup file") {
		t.Errorf("a missing backup: %v", err)
	}
}
