package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"time"
)

// PocketBase is the peer Lumbung is measured against: its example
// application, as users install it, built from the Go module proxy.
const (
	pocketbaseVersion = "v0.39.11"
	pocketbaseModule  = "github.com/pocketbase/pocketbase/examples/base"
	pocketbaseBinary  = "base" // what go install names it
)

// pocketbaseBuildTimeout bounds the one build (about three minutes on two
// cores with an empty module cache).
const pocketbaseBuildTimeout = 15 * time.Minute

// pocketbaseCacheDir is where the built PocketBase is kept between runs.
func pocketbaseCacheDir() (string, error) {
	dir, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "lumbung-bench", "pocketbase-"+pocketbaseVersion), nil
}

// goTool returns the go command: the one on PATH, else the toolchain's
// that built this command.
func goTool() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return filepath.Join(runtime.GOROOT(), "bin", "go")
}

// buildPocketBase returns the PocketBase binary in dir, building it there
// with `go install` (the go command goBin) when it is not there yet. The
// build goes to a temporary directory beside dir first, so an interrupted
// build leaves nothing that a later run would take for a binary.
func buildPocketBase(ctx context.Context, dir, goBin string, say func(string, ...any)) (string, error) {
	bin := filepath.Join(dir, pocketbaseBinary)
	if fi, err := os.Stat(bin); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
		return bin, nil
	}
	pkg := pocketbaseModule + "@" + pocketbaseVersion
	fail := func(err error) (string, error) {
		return "", fmt.Errorf("build PocketBase %s (`go install %s`): %w\n"+
			"The Go module proxy must be reachable to build it once; -pocketbase=false measures without PocketBase, "+
			"-pocketbase-bin uses a binary built elsewhere", pocketbaseVersion, pkg, err)
	}
	parent := filepath.Dir(dir)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return fail(err)
	}
	tmp, err := os.MkdirTemp(parent, ".build-")
	if err != nil {
		return fail(err)
	}
	defer os.RemoveAll(tmp)
	say("building PocketBase %s once into %s (go install %s; a few minutes the first time)", pocketbaseVersion, dir, pkg)
	ctx, cancel := context.WithTimeout(ctx, pocketbaseBuildTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, goBin, "install", pkg)
	cmd.Dir = tmp // outside any module or workspace
	cmd.Env = append(os.Environ(), "GOBIN="+tmp, "GOFLAGS=", "GO111MODULE=on")
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		return fail(fmt.Errorf("%w (the limit is %s): %s", ctx.Err(), pocketbaseBuildTimeout, lastLines(out, 10)))
	}
	if err != nil {
		return fail(fmt.Errorf("%w:\n%s", err, lastLines(out, 10)))
	}
	built := filepath.Join(tmp, pocketbaseBinary)
	if _, err := os.Stat(built); err != nil {
		return fail(fmt.Errorf("go install succeeded but left no %s: %w", pocketbaseBinary, err))
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fail(err)
	}
	if err := os.Rename(built, bin); err != nil {
		return fail(err)
	}
	return bin, nil
}

// lastLines returns the last n lines of out, trimmed.
func lastLines(out []byte, n int) string {
	lines := bytes.Split(bytes.TrimSpace(out), []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return string(bytes.Join(lines, []byte("\n")))
}

// pocketbaseDirArgs are the flags of every PocketBase command: its data,
// hooks, migrations and public directories inside dir (by default the
// last three are found beside the data directory or the binary), and dev
// mode off. PocketBase turns dev mode (every SQL statement logged to the
// console) on by default when its binary lies under the temporary or the
// user's cache directory, taking it for `go run`; users run it off.
func pocketbaseDirArgs(dir string) []string {
	return []string{
		"--dir", filepath.Join(dir, "pb_data"),
		"--hooksDir", pocketbaseHooksDir(dir),
		"--migrationsDir", filepath.Join(dir, "pb_migrations"),
		"--publicDir", filepath.Join(dir, "pb_public"),
		"--dev=false",
	}
}

// pocketbaseHooksDir is the pb_hooks folder pocketbaseDirArgs name.
func pocketbaseHooksDir(dir string) string { return filepath.Join(dir, "pb_hooks") }

// startPocketBase creates a superuser with PocketBase's CLI and starts bin
// serving on a free local port with its own temporary directory; with
// hooks, an empty pb_hooks folder there, which it watches (it restarts
// itself, in the same process, when a file there changes).
func startPocketBase(ctx context.Context, bin, email, password string, hooks bool) (*serverProcess, error) {
	p, err := newServerProcess("pocketbase", bin, os.Environ(), pocketbaseDirArgs)
	if err != nil {
		return nil, err
	}
	if hooks {
		if err := os.Mkdir(pocketbaseHooksDir(p.dir), 0o755); err != nil {
			return nil, errors.Join(err, p.stop())
		}
	}
	// Before serve: a PocketBase without a superuser opens its installer.
	err = p.upsertSuperuser(ctx, email, password)
	if err == nil {
		err = p.start(ctx)
	}
	if err != nil {
		return nil, errors.Join(err, p.stop())
	}
	return p, nil
}
