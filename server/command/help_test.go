package command

import (
	"bytes"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestHelp: help that was asked for, before or after a command, prints
// the usage to stdout and succeeds; a mistake prints it to stderr and
// fails.
func TestHelp(t *testing.T) {
	for _, args := range [][]string{
		{"help"}, {"-h"}, {"--help"},
		{"serve", "--help"}, {"serve", "-h"}, {"serve", "--dir", "x", "-help"},
		{"superuser", "upsert", "a@example.com", "password", "--help"},
	} {
		var stdout, stderr bytes.Buffer
		if err := Run(args, &stdout, &stderr); err != nil {
			t.Errorf("%q: %v", args, err)
		}
		if !strings.Contains(stdout.String(), "lumbung serve [flags]") || !strings.Contains(stdout.String(), "LUMBUNG_HTTP") {
			t.Errorf("%q: stdout %q", args, stdout.String())
		}
	}
	var stdout, stderr bytes.Buffer
	if err := Run([]string{"serve", "--no-such-flag"}, &stdout, &stderr); err == nil || stdout.Len() != 0 ||
		!strings.Contains(stderr.String(), "lumbung serve [flags]") {
		t.Errorf("unknown flag: err %v, stdout %q, stderr %q", err, stdout.String(), stderr.String())
	}
}

// TestVersionStamped: the version and commit `make build` stamps are
// printed as they are.
func TestVersionStamped(t *testing.T) {
	defer func(v, c string) { version, commit = v, c }(version, commit)
	version, commit = "v1.2.3-4-gabcdef0-dirty", "abcdef0123"
	var stdout bytes.Buffer
	if err := Run([]string{"version"}, &stdout, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	if got := stdout.String(); !strings.HasPrefix(got, "lumbung v1.2.3-4-gabcdef0-dirty (commit abcdef0123, go") {
		t.Fatalf("version printed %q", got)
	}
}

// TestMakeBuild: the binary `make build` makes says which commit it is,
// and its --help exits 0.
func TestMakeBuild(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	git := func(args ...string) string {
		out, err := exec.Command("git", append([]string{"-C", root}, args...)...).Output()
		if err != nil {
			t.Skipf("not a git checkout with git and make (git %v: %v)", args, err)
		}
		return strings.TrimSpace(string(out))
	}
	head := git("rev-parse", "HEAD")
	bin := filepath.Join(t.TempDir(), "lumbung")
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("no make")
	}
	if out, err := exec.Command("make", "-C", root, "--no-print-directory", "build", "BIN="+bin).CombinedOutput(); err != nil {
		t.Fatalf("make build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "version").Output()
	if err != nil {
		t.Fatal(err)
	}
	described := git("describe", "--tags", "--always") // without --dirty: others may be editing
	if got := string(out); !strings.HasPrefix(got, "lumbung "+described) || !strings.Contains(got, "(commit "+head+", go") {
		t.Fatalf("version of a make build: %q, want %s and commit %s", got, described, head)
	}
	for _, args := range [][]string{{"serve", "--help"}, {"help"}} {
		cmd := exec.Command(bin, args...)
		cmd.Env = append(os.Environ(), "DATABASE_URL=postgres://nowhere.invalid/x")
		if out, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(out), "Usage:") {
			t.Errorf("lumbung %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}

// TestListenClash: an address another program listens on is named with
// the flag and the variable that set it.
func TestListenClash(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	addr := busy.Addr().String()
	_, err = net.Listen("tcp", addr) // what Server.Run does
	if !errors.Is(err, syscall.EADDRINUSE) {
		t.Fatalf("second listen: %v", err)
	}
	msg := explainListen(err, addr).Error()
	for _, want := range []string{"cannot listen on " + addr, "address already in use", "another program is listening there", "--http", "LUMBUNG_HTTP"} {
		if !strings.Contains(msg, want) {
			t.Errorf("%q does not say %q", msg, want)
		}
	}
	if other := errors.New("database is down"); explainListen(other, addr) != other {
		t.Error("other errors are changed")
	}
}
