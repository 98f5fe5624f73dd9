//go:build unix

package localpg

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestStartStopReuse(t *testing.T) {
	t.Parallel()
	parent := mustDir(t)
	if err := os.Chmod(parent, 0o711); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(parent, `data root "quoted"`) // survives settings and URL
	s := mustStart(t, Config{Dir: dir, Fast: true})
	if !s.owned || s.cmd == nil {
		t.Fatalf("first Start should start postgres as a child: owned=%v cmd=%v", s.owned, s.cmd)
	}
	mustExec(t, s.URL(), "CREATE TABLE notes (body text); INSERT INTO notes VALUES ('kept')")
	if got := mustQueryString(t, s.URL(), "SHOW listen_addresses"); got != "" {
		t.Errorf("listen_addresses = %q, want no TCP", got)
	}
	if got := mustQueryString(t, s.URL(), "SELECT current_database() || ' ' || current_user || ' ' || pg_encoding_to_char(encoding) FROM pg_database WHERE datname = current_database()"); got != "lumbung lumbung_app UTF8" {
		t.Errorf("database, user, encoding = %q", got)
	}
	// Lumbung's role is no superuser: SQL it runs cannot read the server's files.
	if got := mustQueryString(t, s.URL(), "SELECT rolsuper::text FROM pg_roles WHERE rolname = current_user"); got != "false" {
		t.Errorf("the application role is a superuser: %s", got)
	}
	if err := execErr(s.URL(), "SELECT pg_read_file('PG_VERSION')"); err == nil || !strings.Contains(err.Error(), "permission denied") {
		t.Errorf("pg_read_file as the application role: %v", err)
	}
	l, err := newLayout(dir)
	if err != nil {
		t.Fatal(err)
	}
	pw, err := l.readPassword()
	if err != nil {
		t.Fatal(err)
	}
	admin := connURL(l.pgDir, superuser, pw, database)
	fi, err := os.Stat(filepath.Join(dir, "pg", "password"))
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm != 0o600 {
		t.Errorf("password file mode = %o, want 600", perm)
	}
	if os.Geteuid() == 0 {
		u, err := user.Lookup(serviceUser)
		if err != nil {
			t.Fatal(err)
		}
		fi, err := os.Stat(filepath.Join(dir, "pg", "data"))
		if err != nil {
			t.Fatal(err)
		}
		if uid := fi.Sys().(*syscall.Stat_t).Uid; strconv.Itoa(int(uid)) != u.Uid {
			t.Errorf("data directory owned by uid %d, want %s (%s)", uid, u.Uid, serviceUser)
		}
	}

	if got := mustQueryString(t, admin, "SHOW unix_socket_directories"); !strings.Contains(got, "quoted") {
		t.Errorf("unix_socket_directories = %q", got)
	}
	// Objects the superuser created (as versions before the application role
	// did) are handed over at the next start.
	mustExec(t, admin, "CREATE TABLE legacy (x int); CREATE FUNCTION legacy_one() RETURNS int LANGUAGE sql AS 'SELECT 1'")

	pid := s.pid
	if err := s.Stop(context.Background()); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if err := s.Stop(context.Background()); err != nil {
		t.Fatalf("second Stop: %v", err)
	}
	if processAlive(pid) || postmasterPID(t, dir) != 0 {
		t.Fatalf("postgres %d still running after Stop", pid)
	}

	s2 := mustStart(t, Config{Dir: dir, Fast: true})
	if got := mustQueryString(t, s2.URL(), "SELECT body FROM notes"); got != "kept" {
		t.Fatalf("after restart notes = %q, want kept", got)
	}
	mustExec(t, s2.URL(), "ALTER TABLE legacy ADD COLUMN y int; INSERT INTO legacy VALUES (legacy_one(), 2); CREATE OR REPLACE FUNCTION legacy_one() RETURNS int LANGUAGE sql AS 'SELECT 1'")
	if s2.URL() != s.URL() {
		t.Errorf("URL changed across restarts: %q then %q", s.URL(), s2.URL())
	}
}

func TestAttach(t *testing.T) {
	t.Parallel()
	dir := mustDir(t)
	serving := mustStart(t, Config{Dir: dir, Fast: true})

	if _, err := Start(context.Background(), Config{Dir: dir}); !errors.Is(err, ErrInUse) || !strings.Contains(err.Error(), "another lumbung serve is using "+dir) {
		t.Fatalf("second serving Start: err = %v, want ErrInUse naming %s", err, dir)
	}

	attached := mustStart(t, Config{Dir: dir, Attach: true})
	if attached.owned || attached.pid != serving.pid {
		t.Fatalf("attached: owned=%v pid=%d, want not owned and pid %d", attached.owned, attached.pid, serving.pid)
	}
	mustExec(t, attached.URL(), "CREATE TABLE seen (n int)")
	if err := attached.Stop(context.Background()); err != nil {
		t.Fatalf("attached Stop: %v", err)
	}
	if !processAlive(serving.pid) {
		t.Fatal("attached Stop stopped the cluster")
	}
	mustExec(t, serving.URL(), "INSERT INTO seen VALUES (1)")
	if err := serving.Stop(context.Background()); err != nil {
		t.Fatalf("Stop: %v", err)
	}

	// Nothing runs: Attach starts the cluster and stops it again.
	cmd := mustStart(t, Config{Dir: dir, Attach: true})
	if !cmd.owned {
		t.Fatal("Attach with no running cluster should own the postgres it starts")
	}
	if _, err := Start(context.Background(), Config{Dir: dir}); !errors.Is(err, ErrInUse) {
		t.Fatalf("serving Start during an attached command: err = %v, want ErrInUse", err)
	}
	pid := cmd.pid
	if err := cmd.Stop(context.Background()); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if processAlive(pid) {
		t.Fatalf("postgres %d still running after the attached command stopped", pid)
	}
}

// TestRecoverAfterKill kills a serving process with SIGKILL; its postgres
// lives on, and the next serving Start adopts and later stops it.
func TestRecoverAfterKill(t *testing.T) {
	t.Parallel()
	dir := mustDir(t)
	helper, orphan := startHelper(t, dir, false)

	if _, err := Start(context.Background(), Config{Dir: dir}); !errors.Is(err, ErrInUse) {
		t.Fatalf("Start while the helper serves: err = %v, want ErrInUse", err)
	}

	killHelper(t, helper)
	if !processAlive(orphan) {
		t.Fatal("postgres died with its parent; the test cannot exercise adoption")
	}

	s := mustStart(t, Config{Dir: dir})
	if s.pid != orphan || !s.owned || s.cmd != nil {
		t.Fatalf("Start after SIGKILL: pid=%d owned=%v child=%v, want to adopt %d", s.pid, s.owned, s.cmd != nil, orphan)
	}
	mustExec(t, s.URL(), "CREATE TABLE after_crash (n int)")
	if err := s.Stop(context.Background()); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if processAlive(orphan) {
		t.Fatalf("adopted postgres %d still running after Stop", orphan)
	}

	s2 := mustStart(t, Config{Dir: dir, Fast: true})
	mustExec(t, s2.URL(), "INSERT INTO after_crash VALUES (1)")
}

// TestFastDiesWithParent: a Fast (test) cluster does not outlive a killed
// process, and the next Start simply starts a new postgres.
func TestFastDiesWithParent(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("Fast clusters stop with their parent through PR_SET_PDEATHSIG, which only Linux has; elsewhere a killed test may leave postgres running")
	}
	t.Parallel()
	dir := mustDir(t)
	helper, pid := startHelper(t, dir, true)
	killHelper(t, helper)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	select {
	case <-pollExit(pid, ctx.Done()):
	case <-ctx.Done():
		t.Fatalf("Fast postgres %d still running after its parent was killed", pid)
	}
	s := mustStart(t, Config{Dir: dir, Fast: true})
	if s.pid == pid || s.cmd == nil {
		t.Fatalf("Start after the Fast cluster died: pid %d, child %v", s.pid, s.cmd != nil)
	}
	mustExec(t, s.URL(), "SELECT 1")
}

// TestStalePostmasterPID leaves pid files naming a dead process and a live
// process that is not postgres; Start must remove them and start postgres.
func TestStalePostmasterPID(t *testing.T) {
	t.Parallel()
	dir := mustDir(t)
	s := mustStart(t, Config{Dir: dir, Fast: true})
	if err := s.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	l, err := newLayout(dir)
	if err != nil {
		t.Fatal(err)
	}

	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	// A live process of postgres' own user: postgres itself would take its
	// PID in the pid file for a running server and refuse to start.
	cred, err := serviceCredential(context.Background(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	other := exec.Command("sleep", "600")
	other.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	if err := other.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = other.Process.Kill(); _ = other.Wait() })

	for name, pid := range map[string]int{"dead": dead.Process.Pid, "not postgres": other.Process.Pid} {
		pidFile := fmt.Sprintf("%d\n%s\n1700000000\n%d\n%s\n\n  5432001         0\nready   \n", pid, l.dataDir, port, l.pgDir)
		mustWriteAsOwner(t, filepath.Join(l.dataDir, "postmaster.pid"), pidFile, l.dataDir)
		mustWriteAsOwner(t, l.socket()+".lock", fmt.Sprintf("%d\n%s\n", pid, l.dataDir), l.dataDir)
		s, err := Start(context.Background(), Config{Dir: dir, Fast: true})
		if err != nil {
			t.Fatalf("%s pid: Start: %v", name, err)
		}
		if s.pid == pid || s.cmd == nil {
			t.Fatalf("%s pid: Start attached to pid %d instead of starting postgres", name, pid)
		}
		mustExec(t, s.URL(), "SELECT 1")
		if err := s.Stop(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
}

func TestCommaInDir(t *testing.T) {
	t.Parallel()
	_, err := Start(context.Background(), Config{Dir: filepath.Join(t.TempDir(), "a,b")})
	if err == nil || !strings.Contains(err.Error(), "comma") {
		t.Fatalf("err = %v, want the comma refused", err)
	}
}

func TestNoBinaries(t *testing.T) {
	t.Parallel()
	dir := mustDir(t)
	_, err := Start(context.Background(), Config{Dir: dir, BinDir: t.TempDir()})
	if !errors.Is(err, ErrNoBinaries) {
		t.Fatalf("err = %v, want ErrNoBinaries", err)
	}
	for _, remedy := range []string{"apt-get install -y postgresql", "DATABASE_URL"} {
		if !strings.Contains(err.Error(), remedy) {
			t.Errorf("error %q does not mention %q", err, remedy)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "pg")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Start without binaries created %s/pg", dir)
	}
}

// mustWriteAsOwner writes a file owned like ownerOf, as postgres would have.
func mustWriteAsOwner(tb testing.TB, path, content, ownerOf string) {
	tb.Helper()
	fi, err := os.Stat(ownerOf)
	if err != nil {
		tb.Fatal(err)
	}
	st := fi.Sys().(*syscall.Stat_t)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		tb.Fatal(err)
	}
	if err := os.Chown(path, int(st.Uid), int(st.Gid)); err != nil {
		tb.Fatal(err)
	}
}

// TestPrivateParentDir: as root, a data directory inside private
// directories (a clone in /root, mode 0700) works. The service user may
// search them, through an ACL entry, and nobody else gains anything.
func TestPrivateParentDir(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("only as root does postgres run as the separate service user that this test needs; as any other user it runs as that user and can search every directory it owns")
	}
	t.Parallel()
	home := mustDir(t) // 0700, owned by root, like /root
	clone := filepath.Join(home, "lumbung")
	if err := os.Mkdir(clone, 0o700); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(clone, "lb_data")
	s := mustStart(t, Config{Dir: dir, Fast: true})
	mustExec(t, s.URL(), "SELECT 1")
	for _, d := range []string{home, clone, dir} {
		fi, err := os.Stat(d)
		if err != nil {
			t.Fatal(err)
		}
		if perm := fi.Mode().Perm(); perm&0o067 != 0 {
			t.Errorf("%s: mode %o, want nothing for group and others (an ACL mask shows as g+x)", d, perm)
		}
	}
	svc, err := user.Lookup(serviceUser)
	if err != nil {
		t.Fatal(err)
	}
	svcCred, err := credentialOf(svc)
	if err != nil {
		t.Fatal(err)
	}
	nobody := &syscall.Credential{Uid: 65534, Gid: 65534, Groups: []uint32{}}
	for _, c := range []struct {
		cred *syscall.Credential
		args []string
		ok   bool
	}{
		{svcCred, []string{"test", "-d", filepath.Join(dir, "pg", "data")}, true}, // searches its way in
		{svcCred, []string{"ls", home}, false},                                    // but lists nothing
		{svcCred, []string{"ls", clone}, false},
		{nobody, []string{"test", "-d", clone}, false}, // others cannot even search
	} {
		cmd := exec.Command(c.args[0], c.args[1:]...)
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred}
		if err := cmd.Run(); (err == nil) != c.ok {
			t.Errorf("uid %d: %v: err %v, want success %v", c.cred.Uid, c.args, err, c.ok)
		}
	}
}
