package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// serverProcess is a server under test run as a child: Lumbung or
// PocketBase, both with the same command line shape (`serve --http addr`,
// `superuser upsert email password`, and flags naming their directories).
// It listens on 127.0.0.1, keeps its data in a temporary directory, and
// its output goes to a log file there.
type serverProcess struct {
	name     string // for messages: "lumbung", "pocketbase"
	bin, dir string
	dirArgs  []string // flags naming the server's directories, given to every command
	addr     string
	logPath  string
	env      []string
	cmd      *exec.Cmd     // nil until started
	exited   chan struct{} // closed when the process has exited
	waitErr  error         // valid once exited is closed
}

// newServerProcess makes the temporary directory of a server that bin
// runs; dirArgs returns the flags that name its directories inside it.
// Nothing runs until start.
func newServerProcess(name, bin string, env []string, dirArgs func(dir string) []string) (*serverProcess, error) {
	dir, err := os.MkdirTemp("", "lumbung-bench-"+name+"-")
	if err != nil {
		return nil, err
	}
	p := &serverProcess{name: name, bin: bin, dir: dir, dirArgs: dirArgs(dir), env: env,
		logPath: filepath.Join(dir, name+".log")}
	if p.addr, err = freeAddr(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return p, nil
}

// lumbungHooksDir is the JS hooks folder of a Lumbung whose data
// directory is dir.
func lumbungHooksDir(dir string) string { return filepath.Join(dir, "hooks") }

// startLumbung starts bin serving on a free local port with its own
// temporary data directory and DATABASE_URL=dsn; with hooks, an empty
// JS hooks folder there, which it watches.
func startLumbung(ctx context.Context, bin, dsn string, hooks bool) (*serverProcess, error) {
	p, err := newServerProcess("lumbung", bin, append(os.Environ(), "DATABASE_URL="+dsn), func(dir string) []string {
		return []string{"--dir", dir}
	})
	if err != nil {
		return nil, err
	}
	if hooks {
		if err := os.Mkdir(lumbungHooksDir(p.dir), 0o755); err != nil {
			p.stop()
			return nil, err
		}
	}
	if err := p.start(ctx); err != nil {
		p.stop()
		return nil, err
	}
	return p, nil
}

// start runs `serve` and waits until GET /api/health answers 200.
func (p *serverProcess) start(ctx context.Context) error {
	logFile, err := os.OpenFile(p.logPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	p.exited = make(chan struct{})
	p.cmd = exec.Command(p.bin, append([]string{"serve", "--http", p.addr}, p.dirArgs...)...)
	p.cmd.Dir = p.dir
	p.cmd.Env = p.env
	p.cmd.Stdout, p.cmd.Stderr = logFile, logFile
	p.cmd.SysProcAttr = childProcAttr()
	if err := p.cmd.Start(); err != nil {
		logFile.Close()
		p.cmd = nil
		return fmt.Errorf("start %s: %w", p.name, err)
	}
	cmd, exited := p.cmd, p.exited
	go func() {
		p.waitErr = cmd.Wait()
		logFile.Close()
		close(exited)
	}()
	return p.waitHealthy(ctx, time.Minute)
}

// freeAddr returns a 127.0.0.1 address with a port that was free a moment ago.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// baseURL returns the server's root URL.
func (p *serverProcess) baseURL() string { return "http://" + p.addr }

// pid returns the server's process id, or 0 before it started.
func (p *serverProcess) pid() int {
	if p.cmd == nil || p.cmd.Process == nil {
		return 0
	}
	return p.cmd.Process.Pid
}

func (p *serverProcess) waitHealthy(ctx context.Context, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	client := &http.Client{Timeout: 2 * time.Second}
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	last := "no answer yet"
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.baseURL()+"/api/health", nil)
		if err != nil {
			return err
		}
		resp, err := client.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			last = "GET /api/health: " + resp.Status
		} else {
			last = err.Error()
		}
		select {
		case <-p.exited:
			return fmt.Errorf("%s exited before it was healthy (%v); its log ends:\n%s", p.name, p.waitErr, p.logTail(20))
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return fmt.Errorf("%s not healthy after %s: %s", p.name, timeout, last)
			}
			return ctx.Err()
		case <-tick.C:
		}
	}
}

// upsertSuperuser runs `<bin> superuser upsert` on the server's data.
func (p *serverProcess) upsertSuperuser(ctx context.Context, email, password string) error {
	cmd := exec.CommandContext(ctx, p.bin, append([]string{"superuser", "upsert", email, password}, p.dirArgs...)...)
	cmd.Dir = p.dir
	cmd.Env = p.env
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s superuser upsert: %w: %s", p.name, err, bytes.TrimSpace(out))
	}
	return nil
}

// logTail returns the last n lines the server wrote.
func (p *serverProcess) logTail(n int) string {
	b, err := os.ReadFile(p.logPath)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// restart stops the server and starts it again on its address and data,
// for settings it reads at start.
func (p *serverProcess) restart(ctx context.Context) error {
	if err := p.terminate(); err != nil {
		return err
	}
	return p.start(ctx)
}

// stop stops the server (terminate) and removes its directory.
func (p *serverProcess) stop() error {
	err := p.terminate()
	if rerr := os.RemoveAll(p.dir); err == nil {
		err = rerr
	}
	return err
}

// terminate sends SIGTERM and kills the server if it has not exited
// after 30 seconds.
func (p *serverProcess) terminate() error {
	var err error
	if p.cmd != nil {
		select {
		case <-p.exited:
		default:
			if serr := p.cmd.Process.Signal(syscall.SIGTERM); serr != nil && !errors.Is(serr, os.ErrProcessDone) {
				err = serr
			}
			select {
			case <-p.exited:
			case <-time.After(30 * time.Second):
				p.cmd.Process.Kill()
				<-p.exited
				err = fmt.Errorf("%s did not stop within 30s of SIGTERM: killed", p.name)
			}
		}
	}
	return err
}
