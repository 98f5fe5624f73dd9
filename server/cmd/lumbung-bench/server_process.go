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

// lumbungProcess is a `lumbung serve` child listening on 127.0.0.1. Its
// output goes to a log file in its data directory.
type lumbungProcess struct {
	bin, dir, addr, logPath string
	env                     []string
	cmd                     *exec.Cmd
	exited                  chan struct{} // closed when the process has exited
	waitErr                 error         // valid once exited is closed
}

// startLumbung starts bin serving on a free local port with its own
// temporary data directory and DATABASE_URL=dsn, and waits until
// GET /api/health answers 200.
func startLumbung(ctx context.Context, bin, dsn string) (*lumbungProcess, error) {
	dir, err := os.MkdirTemp("", "lumbung-bench-data-")
	if err != nil {
		return nil, err
	}
	p := &lumbungProcess{bin: bin, dir: dir, logPath: filepath.Join(dir, "lumbung.log"), exited: make(chan struct{})}
	p.env = append(os.Environ(), "DATABASE_URL="+dsn)
	if p.addr, err = freeAddr(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	logFile, err := os.Create(p.logPath)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	p.cmd = exec.Command(bin, "serve", "--http", p.addr, "--dir", dir)
	p.cmd.Env = p.env
	p.cmd.Stdout, p.cmd.Stderr = logFile, logFile
	p.cmd.SysProcAttr = childProcAttr()
	if err := p.cmd.Start(); err != nil {
		logFile.Close()
		os.RemoveAll(dir)
		return nil, err
	}
	go func() {
		p.waitErr = p.cmd.Wait()
		logFile.Close()
		close(p.exited)
	}()
	if err := p.waitHealthy(ctx, time.Minute); err != nil {
		p.stop()
		return nil, err
	}
	return p, nil
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
func (p *lumbungProcess) baseURL() string { return "http://" + p.addr }

// pid returns the server's process id.
func (p *lumbungProcess) pid() int { return p.cmd.Process.Pid }

func (p *lumbungProcess) waitHealthy(ctx context.Context, timeout time.Duration) error {
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
			return fmt.Errorf("lumbung exited before it was healthy (%v); its log ends:\n%s", p.waitErr, p.logTail(20))
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return fmt.Errorf("lumbung not healthy after %s: %s", timeout, last)
			}
			return ctx.Err()
		case <-tick.C:
		}
	}
}

// upsertSuperuser runs `lumbung superuser upsert` against the same database.
func (p *lumbungProcess) upsertSuperuser(ctx context.Context, email, password string) error {
	cmd := exec.CommandContext(ctx, p.bin, "superuser", "upsert", email, password, "--dir", p.dir)
	cmd.Env = p.env
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("lumbung superuser upsert: %w: %s", err, bytes.TrimSpace(out))
	}
	return nil
}

// logTail returns the last n lines the server wrote.
func (p *lumbungProcess) logTail(n int) string {
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

// stop sends SIGTERM, kills the server if it has not exited after 30
// seconds, and removes its data directory.
func (p *lumbungProcess) stop() error {
	var err error
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
			err = errors.New("lumbung did not stop within 30s of SIGTERM: killed")
		}
	}
	if rerr := os.RemoveAll(p.dir); err == nil {
		err = rerr
	}
	return err
}
