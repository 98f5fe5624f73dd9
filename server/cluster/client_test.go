//go:build cluster

package cluster_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// client spreads requests round-robin over the nodes, as a load balancer
// with a passive health check does: a node whose connection failed is
// left out from then on.
type client struct {
	token string // sent as Authorization unless ""
	http  *http.Client
	nodes []*node
	next  atomic.Uint64

	mu   sync.Mutex
	down map[*node]bool
}

// answer is what one request got.
type answer struct {
	node       *node
	status     int
	retryAfter string
	body       string
	err        error // a transport error: no status
}

func (a answer) String() string {
	if a.err != nil {
		return fmt.Sprintf("%s: %v", a.node.name, a.err)
	}
	return fmt.Sprintf("%s: %d %s", a.node.name, a.status, strings.TrimSpace(a.body))
}

// newClient returns a client of the cluster's nodes acting as token.
// Requests that take longer than hangGuard fail: a node that hangs is
// reported instead of hanging the test.
func (c *cluster) newClient(token string) *client {
	return &client{token: token, nodes: c.nodes, down: map[*node]bool{},
		http: &http.Client{Timeout: hangGuard, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}}
}

// pick returns the next node in turn that is not down.
func (cl *client) pick() *node {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	for range cl.nodes {
		nd := cl.nodes[cl.next.Add(1)%uint64(len(cl.nodes))]
		if !cl.down[nd] {
			return nd
		}
	}
	return cl.nodes[0] // all down: the request fails and says so
}

// do sends a request to the next node in turn.
func (cl *client) do(method, path, body string) answer {
	return cl.on(cl.pick(), method, path, body)
}

// on sends a request to nd. A transport error marks nd down.
func (cl *client) on(nd *node, method, path, body string) answer {
	a := answer{node: nd}
	req, err := http.NewRequest(method, nd.base+path, strings.NewReader(body))
	if err != nil {
		a.err = err
		return a
	}
	req.Header.Set("Content-Type", "application/json")
	if cl.token != "" {
		req.Header.Set("Authorization", cl.token)
	}
	res, err := cl.http.Do(req)
	if err != nil {
		a.err = err
		cl.mu.Lock()
		cl.down[nd] = true
		cl.mu.Unlock()
		return a
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	a.status, a.retryAfter, a.body, a.err = res.StatusCode, res.Header.Get("Retry-After"), string(b), err
	return a
}

// must sends a request to nd and fails the test unless it answers 200 or
// 204; it returns the body.
func (cl *client) must(t *testing.T, nd *node, method, path, body string) string {
	t.Helper()
	a := cl.on(nd, method, path, body)
	if a.err != nil || (a.status != 200 && a.status != 204) {
		t.Fatalf("%s %s: %v", method, path, a)
	}
	return a.body
}

// signIn signs the superuser in through nd and returns a client acting as
// them.
func (c *cluster) signIn(t *testing.T, nd *node) *client {
	t.Helper()
	body := c.newClient("").must(t, nd, "POST", "/api/collections/_superusers/auth-with-password",
		fmt.Sprintf(`{"identity": %q, "password": %q}`, adminEmail, adminPassword))
	var auth struct{ Token string }
	if err := json.Unmarshal([]byte(body), &auth); err != nil || auth.Token == "" {
		t.Fatalf("sign in: %s", body)
	}
	return c.newClient(auth.Token)
}

// waitStatus polls nd with GET path until it answers status and returns
// how long that took. The bound only guards against a hang.
func (cl *client) waitStatus(t *testing.T, nd *node, path string, status int) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		a := cl.on(nd, "GET", path, "")
		if a.err == nil && a.status == status {
			return time.Since(start)
		}
		if time.Since(start) > hangGuard {
			t.Fatalf("GET %s: %v, want %d", path, a, status)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// decode unmarshals body into v or fails the test.
func decode(t *testing.T, body string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(body), v); err != nil {
		t.Fatalf("decode %s: %v", body, err)
	}
}

// mustJSON marshals v or fails the test.
func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
