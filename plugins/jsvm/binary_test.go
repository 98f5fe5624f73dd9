package jsvm_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lumbunghq/lumbung/server/localpg/pgtest"
)

// The lumbung command bundles the plugin: built, it serves the routes of
// DIR/hooks.
func TestLumbungBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the lumbung binary")
	}
	bin := filepath.Join(t.TempDir(), "lumbung")
	if out, err := exec.Command("go", "build", "-o", bin, "../../server/cmd/lumbung").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	data := t.TempDir()
	os.MkdirAll(filepath.Join(data, "hooks"), 0o755)
	src := `routerAdd("GET", "/api/js/ping", (e) => e.json(200, { pong: $os.getenv("JSVM_TEST_PONG") }))`
	if err := os.WriteFile(filepath.Join(data, "hooks", "ping.pb.js"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	ln := httptest.NewUnstartedServer(nil) // an address that is free
	addr := ln.Listener.Addr().String()
	ln.Listener.Close()
	cmd := exec.Command(bin, "serve", "--http", addr, "--dir", data, "--database-url", pgtest.NewDB(t))
	cmd.Env = append(os.Environ(), "JSVM_TEST_PONG=yes")
	var logs strings.Builder
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Signal(os.Interrupt); cmd.Wait() })
	deadline := time.Now().Add(time.Minute)
	for {
		res, err := http.Get("http://" + addr + "/api/js/ping")
		if err == nil {
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != 200 || string(b) != `{"pong":"yes"}` {
				t.Fatalf("%d %s\n%s", res.StatusCode, b, logs.String())
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("lumbung did not start: %v\n%s", err, logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}
