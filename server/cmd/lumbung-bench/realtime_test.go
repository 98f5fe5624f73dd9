package main

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
)

func TestEventSendTime(t *testing.T) {
	at := time.Unix(0, 1700000000123456789)
	msg := []byte(`{"type":"event","sub":"s","action":"create","record":{"id":"x","title":"rt-` +
		strconv.FormatInt(at.UnixNano(), 10) + `","score":1},"seq":7}`)
	got, ok := eventSendTime(msg)
	if !ok || !got.Equal(at) {
		t.Fatalf("eventSendTime = %v, %v; want %v", got, ok, at)
	}
	for _, m := range []string{
		`{"type":"ack","id":"s"}`,
		`{"type":"event","record":{"title":"Record 1"}}`,
		`{"type":"event","record":{"title":"rt-abc"}}`,
	} {
		if _, ok := eventSendTime([]byte(m)); ok {
			t.Errorf("eventSendTime(%s) found a time", m)
		}
	}
}

func TestProcessRSS(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("processRSS reads /proc/<pid>/status, which only Linux has; the bench reports no memory figure elsewhere")
	}
	if rss := processRSS(os.Getpid()); rss <= 0 {
		t.Fatalf("processRSS(self) = %d", rss)
	}
	if rss := processRSS(-1); rss != -1 {
		t.Fatalf("processRSS(-1) = %d", rss)
	}
}

// fakeRealtime speaks the realtime protocol and broadcasts every created
// record to every subscriber; slow closes every client with index < slow
// with 1008 as the first write arrives.
type fakeRealtime struct {
	mu    sync.Mutex
	conns []*websocket.Conn
	slow  int
}

func (f *fakeRealtime) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.URL.Path == "/api/realtime":
		up := websocket.Upgrader{}
		conn, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		conn.WriteJSON(map[string]string{"type": "connected", "clientId": "c"})
		for {
			var m map[string]string
			if err := conn.ReadJSON(&m); err != nil {
				conn.Close()
				return
			}
			if m["type"] == "subscribe" && m["topic"] == rtTopic {
				f.mu.Lock()
				f.conns = append(f.conns, conn)
				conn.WriteJSON(map[string]string{"type": "ack", "id": m["id"]})
				f.mu.Unlock()
			}
		}
	case r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/records"):
		var rec map[string]any
		json.NewDecoder(r.Body).Decode(&rec)
		rec["id"] = "r"
		f.mu.Lock()
		for i, c := range f.conns {
			if i < f.slow {
				c.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.ClosePolicyViolation, "too slow"))
				continue
			}
			c.WriteJSON(map[string]any{"type": "event", "sub": "s", "action": "create", "record": rec, "seq": 1})
		}
		f.mu.Unlock()
		w.Write([]byte(`{"id":"r"}`))
	default:
		http.NotFound(w, r)
	}
}

func TestRunRealtime(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	fake := &fakeRealtime{slow: 2}
	srv := &http.Server{Handler: fake}
	go srv.Serve(ln)
	defer srv.Close()

	api := newAPIClient("http://" + ln.Addr().String())
	api.token = "tok"
	cfg := realtimeConfig{clients: 10, rate: 20, duration: 500 * time.Millisecond}
	rep, err := runRealtime(context.Background(), cfg, api, ln.Addr().String(), "bench", os.Getpid(), func(string, ...any) {})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Subscribed != 10 || rep.ConnectErr != 0 {
		t.Fatalf("subscribed %d, connect errors %d (%s)", rep.Subscribed, rep.ConnectErr, rep.FirstError)
	}
	if rep.Writes < 5 || rep.WriteErrs != 0 {
		t.Fatalf("writes %d, errors %d", rep.Writes, rep.WriteErrs)
	}
	if rep.TooSlow != 2 || rep.Dropped != 0 {
		t.Fatalf("too slow %d, dropped %d; want 2, 0", rep.TooSlow, rep.Dropped)
	}
	if rep.Expected != rep.Writes*10 || rep.Delivered != rep.Writes*8 || rep.Lost != rep.Writes*2 {
		t.Fatalf("expected %d delivered %d lost %d for %d writes", rep.Expected, rep.Delivered, rep.Lost, rep.Writes)
	}
	if rep.P50Ms <= 0 || rep.P99Ms < rep.P50Ms {
		t.Fatalf("latency p50 %v p99 %v", rep.P50Ms, rep.P99Ms)
	}
	var out strings.Builder
	rep.writeTable(&out)
	if !strings.Contains(out.String(), "2 as too slow") {
		t.Fatalf("table:\n%s", out.String())
	}
}
