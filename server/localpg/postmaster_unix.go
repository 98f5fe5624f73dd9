//go:build unix

package localpg

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// livePostmaster reads dataDir/postmaster.pid and returns the PID of the
// postgres serving dataDir. pid is 0 when none runs; stale is then true if a
// pid file was left behind by a postgres that is gone (or whose PID now
// belongs to another process).
func livePostmaster(dataDir string) (pid int, stale bool, err error) {
	b, err := os.ReadFile(filepath.Join(dataDir, "postmaster.pid"))
	if errors.Is(err, os.ErrNotExist) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("localpg: %w", err)
	}
	first, _, _ := strings.Cut(string(b), "\n")
	pid, err = strconv.Atoi(strings.TrimSpace(first))
	if err != nil || pid <= 0 {
		// Being written right now, or garbage left by a crash.
		return 0, true, nil
	}
	if !processAlive(pid) || !isPostgresFor(pid, dataDir) {
		return 0, true, nil
	}
	return pid, false, nil
}

// removeStaleLocks deletes the lock files a dead postgres left behind:
// postgres itself refuses to start when their PID has been reused.
// Call it only while holding lumbung.lock and with no postgres running.
func (l layout) removeStaleLocks() error {
	for _, f := range []string{filepath.Join(l.dataDir, "postmaster.pid"), l.socket() + ".lock"} {
		if err := os.Remove(f); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("localpg: remove stale %s: %w", f, err)
		}
	}
	return nil
}

// processAlive reports whether pid runs and is not a zombie.
func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	if err != nil && !errors.Is(err, syscall.EPERM) {
		return false
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true // no procfs: trust kill
	}
	// "pid (comm) S ...": comm may hold spaces and parentheses.
	if i := bytes.LastIndexByte(stat, ')'); i >= 0 && i+2 < len(stat) {
		return stat[i+2] != 'Z' && stat[i+2] != 'X'
	}
	return true
}

// isPostgresFor reports whether pid is a postgres working in dataDir, judged
// by its working directory (postgres chdirs into its data directory) or,
// when that is not readable, by its command name. Without procfs it
// assumes yes.
func isPostgresFor(pid int, dataDir string) bool {
	if cwd, err := os.Readlink(fmt.Sprintf("/proc/%d/cwd", pid)); err == nil {
		want, err := filepath.EvalSymlinks(dataDir)
		if err != nil {
			want = dataDir
		}
		return cwd == want
	}
	comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	if err != nil {
		return !procfs()
	}
	name := strings.TrimSpace(string(comm))
	return name == "postgres" || name == "postmaster"
}

func procfs() bool {
	_, err := os.Stat("/proc/self/stat")
	return err == nil
}

// startPostmaster starts postgres as a child in its own process group (so a
// Ctrl-C to the terminal reaches only Lumbung, which stops postgres after
// draining). Its output is appended to Dir/pg/postgres.log, which outlives
// this process should it die. It returns the log offset where this run starts.
func (l layout) startPostmaster(bins binaries, cred *syscall.Credential, fast bool) (*exec.Cmd, chan struct{}, int64, error) {
	rotateLog(l.logFile)
	logf, err := os.OpenFile(l.logFile, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, nil, 0, fmt.Errorf("localpg: %w", err)
	}
	defer logf.Close()
	if err := chown(l.logFile, cred); err != nil {
		return nil, nil, 0, err
	}
	offset, _ := logf.Seek(0, io.SeekEnd)

	args := []string{"-D", l.dataDir,
		"-c", "listen_addresses=",
		"-c", "unix_socket_directories=" + quoteListItem(l.pgDir),
		"-c", fmt.Sprintf("port=%d", port),
		"-c", "max_connections=200",
		"-c", "logging_collector=off",
	}
	if fast {
		args = append(args, "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off")
	}
	if hasStatementsModule(bins.postgres) {
		args = append(args, "-c", "shared_preload_libraries="+statementsModule)
	}
	cmd := exec.Command(bins.postgres, args...)
	cmd.Dir = l.dataDir
	cmd.Env = childEnv()
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Credential: cred}
	if fast {
		stopWithParent(cmd.SysProcAttr)
	}
	if err := cmd.Start(); err != nil {
		return nil, nil, 0, fmt.Errorf("localpg: start postgres: %w", err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait() // the exit status is in cmd.ProcessState
		close(exited)
	}()
	return cmd, exited, offset, nil
}

// quoteListItem quotes a directory for a list-valued setting such as
// unix_socket_directories, so commas and spaces in it survive.
func quoteListItem(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// rotateLog keeps one previous log once the current one grows past 16 MiB.
func rotateLog(path string) {
	if fi, err := os.Stat(path); err == nil && fi.Size() > 16<<20 {
		_ = os.Rename(path, path+".1") // best effort: appending to a big log is harmless
	}
}

// logTail returns up to 4 KiB of the log written since offset, for errors.
func logTail(path string, offset int64) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	const max = 4 << 10
	if fi, err := f.Stat(); err == nil && fi.Size()-offset > max {
		offset = fi.Size() - max
	}
	b, _ := io.ReadAll(io.NewSectionReader(f, offset, max))
	return strings.TrimSpace(string(b))
}

// stopPostmaster asks postgres to stop: SIGINT (fast shutdown: abort
// transactions, disconnect, checkpoint), then SIGQUIT (immediate shutdown)
// once fastTimeout passes or done is closed, then SIGKILL to its process
// group. exited is closed once it is gone.
func stopPostmaster(pid int, exited <-chan struct{}, fastTimeout time.Duration, done <-chan struct{}) error {
	if err := syscall.Kill(pid, syscall.SIGINT); err != nil {
		if errors.Is(err, syscall.ESRCH) {
			return nil
		}
		return fmt.Errorf("localpg: signal postgres (pid %d): %w", pid, err)
	}
	t := time.NewTimer(fastTimeout)
	defer t.Stop()
	select {
	case <-exited:
		return nil
	case <-t.C:
	case <-done:
	}
	_ = syscall.Kill(pid, syscall.SIGQUIT)
	select {
	case <-exited:
		return fmt.Errorf("localpg: postgres (pid %d) did not shut down in time; stopped it with SIGQUIT", pid)
	case <-time.After(10 * time.Second):
	}
	if err := syscall.Kill(-pid, syscall.SIGKILL); err != nil {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	select {
	case <-exited:
		return fmt.Errorf("localpg: postgres (pid %d) ignored SIGINT and SIGQUIT; killed it", pid)
	case <-time.After(10 * time.Second):
		return fmt.Errorf("localpg: postgres (pid %d) does not exit even after SIGKILL", pid)
	}
}

// pollExit returns a channel closed once pid is gone, for a postgres that
// is not our child. It polls until stop is closed.
func pollExit(pid int, stop <-chan struct{}) <-chan struct{} {
	ch := make(chan struct{})
	go func() {
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for processAlive(pid) {
			select {
			case <-t.C:
			case <-stop:
				return
			}
		}
		close(ch)
	}()
	return ch
}
