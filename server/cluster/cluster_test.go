//go:build cluster

package cluster_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/lumbunghq/lumbung/server/localpg"
)

// The superuser every cluster is created with.
const (
	adminEmail    = "admin@example.com"
	adminPassword = "long enough password"
)

// hangGuard bounds every wait of the suite: it turns a hang into a failure
// naming what never happened. It is not a speed requirement.
const hangGuard = 60 * time.Second

// cluster is a private PostgreSQL and the lumbung nodes serving from it.
type cluster struct {
	t     *testing.T
	bin   string
	pgDir string // the data root of PostgreSQL, kept across restarts
	pg    *localpg.Server
	url   string // the database URL the nodes use
	nodes []*node
}

// node is one `lumbung serve` child process.
type node struct {
	name    string
	base    string // http://127.0.0.1:PORT
	logPath string
	cmd     *exec.Cmd
	exited  chan struct{} // closed once the process has exited
}

// mustCluster starts a private PostgreSQL, creates the superuser with the
// binary's own command and starts n nodes on it. Everything is stopped
// when the test ends, whatever its outcome; a failed test prints the end
// of each node's log.
func mustCluster(t *testing.T, n int) *cluster {
	t.Helper()
	bin := os.Getenv("LUMBUNG_BIN")
	if bin == "" {
		t.Fatal("LUMBUNG_BIN must name a lumbung binary: `make test-cluster` builds one and sets it")
	}
	c := &cluster{t: t, bin: bin}
	// Not t.TempDir: PostgreSQL runs as another user when the tests run
	// as root, and must reach its folder.
	dir, err := os.MkdirTemp("", "lumbung-cluster-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	c.pgDir = dir
	c.startPostgres()
	c.url = c.pg.URL()

	ctx, cancel := context.WithTimeout(context.Background(), hangGuard)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, "superuser", "upsert", adminEmail, adminPassword,
		"--database-url", c.url, "--dir", t.TempDir()).CombinedOutput()
	if err != nil {
		t.Fatalf("lumbung superuser upsert: %v\n%s", err, out)
	}
	for i := range n {
		c.nodes = append(c.nodes, c.startNode(fmt.Sprintf("node%d", i+1)))
	}
	t.Cleanup(func() {
		if t.Failed() {
			for _, nd := range c.nodes {
				t.Logf("the end of %s's log:\n%s", nd.name, nd.logTail(30))
			}
		}
	})
	return c
}

// startPostgres starts the cluster's PostgreSQL (again, after stopPostgres).
func (c *cluster) startPostgres() {
	c.t.Helper()
	pg, err := localpg.Start(context.Background(), localpg.Config{Dir: c.pgDir, Fast: true})
	if err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(func() { pg.Stop(context.Background()) })
	c.pg = pg
}

// stopPostgres shuts PostgreSQL down (a fast shutdown: open sessions are
// ended, committed transactions kept).
func (c *cluster) stopPostgres() {
	c.t.Helper()
	if err := c.pg.Stop(context.Background()); err != nil {
		c.t.Fatal(err)
	}
}

// db opens a connection to the cluster's database, closed when the test
// ends.
func (c *cluster) db() *pgx.Conn {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), hangGuard)
	defer cancel()
	conn, err := pgx.Connect(ctx, c.url)
	if err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// startNode runs `lumbung serve` on a free loopback port and waits until
// it says where it listens. The node is stopped (SIGTERM, then SIGKILL)
// when the test ends.
func (c *cluster) startNode(name string) *node {
	t := c.t
	t.Helper()
	dir := t.TempDir()
	nd := &node{name: name, logPath: filepath.Join(dir, "lumbung.log"), exited: make(chan struct{})}
	logFile, err := os.Create(nd.logPath)
	if err != nil {
		t.Fatal(err)
	}
	addr := make(chan string, 1)
	nd.cmd = exec.Command(c.bin, "serve", "--http", "127.0.0.1:0", "--dir", dir,
		"--database-url", c.url, "--log-format", "json")
	nd.cmd.Env = append(os.Environ(), "LUMBUNG_ORIGINS=", "LUMBUNG_TRUSTED_PROXIES=")
	nd.cmd.Stdout = logFile
	nd.cmd.Stderr = &addrWatcher{out: logFile, addr: addr}
	nd.cmd.SysProcAttr = childAttr()
	if err := nd.cmd.Start(); err != nil {
		logFile.Close()
		t.Fatalf("start %s: %v", name, err)
	}
	go func() {
		nd.cmd.Wait() //nolint:errcheck // a node stopped by the test exits with a signal
		logFile.Close()
		close(nd.exited)
	}()
	t.Cleanup(nd.stop)
	select {
	case a := <-addr:
		nd.base = a
	case <-nd.exited:
		t.Fatalf("%s exited before it served; its log ends:\n%s", name, nd.logTail(20))
	case <-time.After(hangGuard):
		t.Fatalf("%s did not serve within %v; its log ends:\n%s", name, hangGuard, nd.logTail(20))
	}
	return nd
}

// kill ends the node with SIGKILL, as a crash or an OOM killer would, and
// waits until it is gone.
func (nd *node) kill() {
	nd.cmd.Process.Signal(syscall.SIGKILL) //nolint:errcheck // it may have exited already
	<-nd.exited
}

// stop ends the node gracefully (SIGTERM) and kills it if it has not
// exited after a while.
func (nd *node) stop() {
	select {
	case <-nd.exited:
		return
	default:
	}
	nd.cmd.Process.Signal(syscall.SIGTERM) //nolint:errcheck // it may have exited meanwhile
	select {
	case <-nd.exited:
	case <-time.After(20 * time.Second):
		nd.kill()
	}
}

// logTail returns the last n lines of the node's log.
func (nd *node) logTail(n int) string {
	b, err := os.ReadFile(nd.logPath)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// addrWatcher copies a node's log to out and sends the address of its
// "serving" line (a JSON log line) to addr once.
type addrWatcher struct {
	out  *os.File
	addr chan<- string

	mu   sync.Mutex
	buf  []byte
	sent bool
}

func (w *addrWatcher) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.sent {
		w.buf = append(w.buf, p...)
		sc := bufio.NewScanner(bytes.NewReader(w.buf))
		for sc.Scan() {
			var line struct{ Msg, Addr string }
			if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "serving" && line.Addr != "" {
				w.addr <- line.Addr
				w.sent, w.buf = true, nil
				break
			}
		}
	}
	return w.out.Write(p)
}
