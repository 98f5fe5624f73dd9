package api

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
)

// TestLingeringListenerClose: closing the listener ends the connections it
// is still draining, at once, and waits for them.
func TestLingeringListenerClose(t *testing.T) {
	t.Parallel()
	app := fiber.New(fiber.Config{BodyLimit: 1 << 10, DisableStartupMessage: true})
	lingerRefused(app)
	raw, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln := LingeringListener(raw).(*lingeringListener)
	served := make(chan error, 1)
	go func() { served <- app.Listener(ln) }()

	conn, err := net.Dial("tcp", raw.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n", 1<<30)
	sent := make(chan error, 1)
	go func() { // a client that keeps sending, as if the body were huge
		chunk := []byte(strings.Repeat("x", 32<<10))
		for {
			if _, err := conn.Write(chunk); err != nil {
				sent <- err
				return
			}
		}
	}()
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 413 {
		t.Fatalf("status %d", res.StatusCode)
	}
	waitFor(t, func() bool { ln.mu.Lock(); defer ln.mu.Unlock(); return len(ln.draining) == 1 })

	start := time.Now()
	if err := app.ShutdownWithTimeout(5 * time.Second); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("shutdown took %v with a connection draining", d)
	}
	if len(ln.draining) != 0 {
		t.Fatalf("%d connections still draining after Close", len(ln.draining))
	}
	select {
	case <-sent:
	case <-time.After(5 * time.Second):
		t.Fatal("the client could still send after the listener closed")
	}
	<-served
}

func waitFor(tb testing.TB, ok func() bool) {
	tb.Helper()
	for end := time.Now().Add(5 * time.Second); !ok(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(end) {
			tb.Fatal("timed out")
		}
	}
}
