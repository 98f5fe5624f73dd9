//go:build deploy

package deploy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/fasthttp/websocket"

	"github.com/lumbunghq/lumbung/collections/postgres"
	"github.com/lumbunghq/lumbung/server/localpg/pgtest"
)

// TestMain gives the balancer test its PostgreSQL (one private server for
// the process, a fresh migrated database per test).
func TestMain(m *testing.M) { pgtest.Main(m, postgres.MigrateURL) }

// caddyBinary finds Caddy: $LUMBUNG_CADDY, bin/caddy (make caddy unpacks
// Debian's package there), or caddy on PATH.
func caddyBinary() string {
	if p := os.Getenv("LUMBUNG_CADDY"); p != "" {
		return p
	}
	if p, err := filepath.Abs("../bin/caddy"); err == nil {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if p, err := exec.LookPath("caddy"); err == nil {
		return p
	}
	return ""
}

// lockedBuffer collects a process's output for the test to search.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// freeAddr returns a loopback address with a port nobody listens on now.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// process is a started command: its output, and done closes when it has
// exited (err is then its exit error).
type process struct {
	cmd  *exec.Cmd
	out  *lockedBuffer
	done chan struct{}
	err  error
}

// startProcess starts cmd with its output in a buffer, and kills it when
// the test ends if it still runs.
func startProcess(t *testing.T, cmd *exec.Cmd) *process {
	t.Helper()
	p := &process{cmd: cmd, out: &lockedBuffer{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.out, p.out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.err = cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-p.done
	})
	return p
}

// waitFor polls until check passes, for at most a minute.
func waitFor(t *testing.T, what string, check func() bool) {
	t.Helper()
	for stop := time.Now().Add(time.Minute); !check(); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(stop) {
			t.Fatalf("gave up waiting for %s", what)
		}
	}
}

func status(url string) int {
	resp, err := http.Get(url)
	if err != nil {
		return 0
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// TestCaddyBalancer runs deploy/Caddyfile in Debian's Caddy in front of
// three nodes of the static binary on one database, all on loopback: the
// configuration the compose file uses, with the nodes' addresses swapped
// in. Through the balancer: requests reach every node (round robin), a
// client's own X-Forwarded-For is not believed, a WebSocket subscription
// gets its events, and a node stopped with SIGTERM costs no failed
// request.
func TestCaddyBalancer(t *testing.T) {
	caddy := caddyBinary()
	if caddy == "" {
		t.Skip("caddy not found (make caddy unpacks Debian's package into bin/, or set LUMBUNG_CADDY)")
	}
	bin := mustBuildStatic(t)
	dsn := pgtest.NewDB(t)
	env := append(os.Environ(), "DATABASE_URL="+dsn, "LUMBUNG_LOG_FORMAT=json", "LUMBUNG_TRUSTED_PROXIES=127.0.0.1")

	type node struct {
		addr string
		*process
	}
	nodes := make([]*node, 3)
	for i := range nodes {
		n := &node{addr: freeAddr(t)}
		cmd := exec.Command(bin, "serve", "--http", n.addr, "--dir", t.TempDir())
		cmd.Env = env
		n.process = startProcess(t, cmd)
		nodes[i] = n
	}
	for i, n := range nodes {
		waitFor(t, fmt.Sprintf("node %d to be healthy", i+1), func() bool { return status("http://"+n.addr+"/api/health") == 200 })
	}

	// The Caddyfile as compose runs it, with this test's addresses; no
	// admin endpoint, and Caddy's own files in a temporary folder.
	conf, err := os.ReadFile("Caddyfile")
	if err != nil {
		t.Fatal(err)
	}
	for i, n := range nodes {
		conf = bytes.ReplaceAll(conf, []byte(fmt.Sprintf("lumbung-%d:8090", i+1)), []byte(n.addr))
	}
	conf = append([]byte("{\n\tadmin off\n}\n"), conf...)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "Caddyfile"), conf, 0o644); err != nil {
		t.Fatal(err)
	}
	lbAddr := freeAddr(t)
	base := "http://" + lbAddr
	lb := exec.Command(caddy, "run", "--config", filepath.Join(dir, "Caddyfile"), "--adapter", "caddyfile")
	lb.Env = append(os.Environ(), "LUMBUNG_SITE="+base, "HOME="+dir, "XDG_DATA_HOME="+dir, "XDG_CONFIG_HOME="+dir)
	balancer := startProcess(t, lb)
	waitFor(t, "the balancer", func() bool { return status(base+"/api/health") == 200 })

	// A superuser, a collection and 30 records, all through the balancer.
	upsert := exec.Command(bin, "superuser", "upsert", "ops@example.com", "ops-password-1234")
	upsert.Env = env
	if out, err := upsert.CombinedOutput(); err != nil {
		t.Fatalf("superuser upsert: %v\n%s", err, out)
	}
	call := func(method, path, token string, body any, header ...string) (int, map[string]any) {
		t.Helper()
		var rd io.Reader
		if body != nil {
			b, _ := json.Marshal(body)
			rd = bytes.NewReader(b)
		}
		req, _ := http.NewRequest(method, base+path, rd)
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("Authorization", token)
		}
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		defer resp.Body.Close()
		var out map[string]any
		json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}
	code, auth := call("POST", "/api/collections/_superusers/auth-with-password", "",
		map[string]string{"identity": "ops@example.com", "password": "ops-password-1234"})
	token, _ := auth["token"].(string)
	if code != 200 || token == "" {
		t.Fatalf("sign-in through the balancer: %d %v", code, auth)
	}
	if code, body := call("POST", "/api/collections", token, map[string]any{
		"name": "smoke", "type": "base", "listRule": "", "viewRule": "", "createRule": "",
		"fields": []map[string]any{{"name": "title", "type": "text"}},
	}); code != 200 {
		t.Fatalf("create the collection: %d %v", code, body)
	}

	// The other nodes learn of the new collection within a second.
	for i, n := range nodes {
		waitFor(t, fmt.Sprintf("node %d to know the collection", i+1), func() bool {
			return status("http://"+n.addr+"/api/collections/smoke/records") == 200
		})
	}

	// A WebSocket subscription through the balancer.
	ws, resp, err := websocket.DefaultDialer.Dial("ws://"+lbAddr+"/api/realtime", nil)
	if err != nil {
		t.Fatalf("WebSocket through the balancer: %v (%v)", err, resp)
	}
	defer ws.Close()
	read := func(want string) map[string]any {
		t.Helper()
		ws.SetReadDeadline(time.Now().Add(30 * time.Second))
		for {
			var msg map[string]any
			if err := ws.ReadJSON(&msg); err != nil {
				t.Fatalf("waiting for %s: %v", want, err)
			}
			if msg["type"] == want {
				return msg
			}
			t.Logf("while waiting for %s: %v", want, msg)
		}
	}
	read("connected")
	if err := ws.WriteJSON(map[string]string{"type": "subscribe", "id": "s1", "topic": "smoke/*"}); err != nil {
		t.Fatal(err)
	}
	read("ack")

	for i := range 30 {
		// A client's own X-Forwarded-For: Caddy replaces it with the
		// address it saw.
		if code, body := call("POST", "/api/collections/smoke/records", "", map[string]string{"title": fmt.Sprint("t", i)},
			"X-Forwarded-For", "203.0.113.7"); code != 200 {
			t.Fatalf("create %d: %d %v", i, code, body)
		}
	}
	for i := range 30 {
		ev := read("event")
		rec, _ := ev["record"].(map[string]any)
		if ev["action"] != "create" || rec["title"] != fmt.Sprint("t", i) {
			t.Fatalf("event %d: %v", i, ev)
		}
	}
	if code, list := call("GET", "/api/collections/smoke/records?perPage=1", "", nil); code != 200 || list["totalItems"] != float64(30) {
		t.Fatalf("list: %d %v", code, list)
	}
	// Nodes write their request lines out every 200 ms.
	const created = `"method":"POST","path":"/api/collections/smoke/records"`
	waitFor(t, "the nodes' request lines", func() bool {
		total := 0
		for _, n := range nodes {
			total += strings.Count(n.out.String(), created)
		}
		return total == 30
	})
	for i, n := range nodes {
		logs := n.out.String()
		served := strings.Count(logs, created)
		t.Logf("node %d served %d of the 30 creates", i+1, served)
		if served == 0 {
			t.Errorf("node %d served none of the creates: not in rotation", i+1)
		}
		if strings.Contains(logs, "203.0.113.7") {
			t.Errorf("node %d believed a client's X-Forwarded-For", i+1)
		}
	}

	// SIGTERM one node: it drains and exits cleanly, and the balancer
	// keeps every request answered by the others.
	if err := nodes[1].cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	<-nodes[1].done
	if nodes[1].err != nil {
		t.Errorf("node 2 after SIGTERM: %v", nodes[1].err)
	}
	for i := range 30 {
		if code, _ := call("GET", "/api/collections/smoke/records?perPage=1", "", nil); code != 200 {
			t.Fatalf("request %d with node 2 stopped: %d", i, code)
		}
	}
	if t.Failed() {
		t.Logf("balancer log:\n%s", balancer.out.String())
	}
}
