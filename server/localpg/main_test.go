//go:build unix

package localpg

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5"
)

// helperEnv makes the test binary act as a serving Lumbung process: it
// starts the cluster in the named directory (Fast when helperFastEnv is
// set), prints "READY <postgres pid>" and sleeps until it is killed.
const (
	helperEnv     = "LOCALPG_TEST_HELPER_DIR"
	helperFastEnv = "LOCALPG_TEST_HELPER_FAST"
)

func TestMain(m *testing.M) {
	if dir := os.Getenv(helperEnv); dir != "" {
		s, err := Start(context.Background(), Config{Dir: dir, Fast: os.Getenv(helperFastEnv) != ""})
		if err != nil {
			fmt.Println("ERROR", err)
			os.Exit(1)
		}
		fmt.Println("READY", s.pid)
		_, _ = io.Copy(io.Discard, os.Stdin) // the test kills us; EOF means it died
		os.Exit(2)
	}
	os.Exit(m.Run())
}

// mustDir returns a fresh data root. It is not a t.TempDir: that one sits in
// a 0700 directory the unprivileged postgres user could not search. Cleanup
// kills a postgres a failed test left running there.
func mustDir(tb testing.TB) string {
	tb.Helper()
	dir, err := os.MkdirTemp("", "localpg-")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if pid, _, _ := livePostmaster(filepath.Join(dir, "pg", "data")); pid != 0 {
			tb.Logf("killing leftover postgres %d", pid)
			_ = syscall.Kill(-pid, syscall.SIGKILL)
		}
		_ = os.RemoveAll(dir)
	})
	return dir
}

// mustStart starts a Server and stops it at cleanup.
func mustStart(tb testing.TB, cfg Config) *Server {
	tb.Helper()
	s, err := Start(context.Background(), cfg)
	if err != nil {
		tb.Fatalf("Start: %v", err)
	}
	tb.Cleanup(func() { _ = s.Stop(context.Background()) })
	return s
}

// mustExec runs sql on dsn.
func mustExec(tb testing.TB, dsn, sql string) {
	tb.Helper()
	if err := execErr(dsn, sql); err != nil {
		tb.Fatalf("%s: %v", sql, err)
	}
}

// execErr runs sql on dsn and returns what failed.
func execErr(dsn, sql string) error {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, sql)
	return err
}

// mustQueryString runs a query returning one text value.
func mustQueryString(tb testing.TB, dsn, sql string) string {
	tb.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		tb.Fatalf("connect: %v", err)
	}
	defer conn.Close(ctx)
	var s string
	if err := conn.QueryRow(ctx, sql).Scan(&s); err != nil {
		tb.Fatalf("%s: %v", sql, err)
	}
	return s
}

// postmasterPID returns the PID of the postgres running in dir, or 0.
func postmasterPID(tb testing.TB, dir string) int {
	tb.Helper()
	pid, _, err := livePostmaster(filepath.Join(dir, "pg", "data"))
	if err != nil {
		tb.Fatal(err)
	}
	return pid
}

// startHelper runs the helper process serving dir and returns it with the
// PID of the postgres it started.
func startHelper(tb testing.TB, dir string, fast bool) (*exec.Cmd, int) {
	tb.Helper()
	helper := exec.Command(os.Args[0], "-test.run=^$")
	helper.Env = append(os.Environ(), helperEnv+"="+dir)
	if fast {
		helper.Env = append(helper.Env, helperFastEnv+"=1")
	}
	helper.Stderr = os.Stderr
	if _, err := helper.StdinPipe(); err != nil { // kept open until the helper is killed
		tb.Fatal(err)
	}
	out, err := helper.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	if err := helper.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = helper.Process.Kill(); _ = helper.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		tb.Fatalf("helper: %v", err)
	}
	var pid int
	if _, err := fmt.Sscanf(line, "READY %d", &pid); err != nil {
		tb.Fatalf("helper said %q", line)
	}
	return helper, pid
}

// killHelper kills the helper with SIGKILL, as a crash or OOM kill would.
func killHelper(tb testing.TB, helper *exec.Cmd) {
	tb.Helper()
	if err := helper.Process.Signal(syscall.SIGKILL); err != nil {
		tb.Fatal(err)
	}
	_ = helper.Wait()
}
