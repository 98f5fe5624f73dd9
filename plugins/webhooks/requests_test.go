package webhooks_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lumbunghq/lumbung/plugins"
)

// TestRedirectNotFollowed: a 3xx answer is a failed delivery; the place
// it points to is never asked.
func TestRedirectNotFollowed(t *testing.T) {
	dsn := newDatabase(t)
	n := startNode(t, dsn, testConfig())
	token := signIn(t, n.URL)
	elsewhere := newReceiver(t, nil)
	redirect := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, elsewhere.URL, http.StatusTemporaryRedirect)
	}))
	t.Cleanup(redirect.Close)
	w := setupPosts(t, n.URL, token, redirect.URL, "")
	call(t, n.URL, token, "POST", "/api/collections/posts/records", `{"title": "redirected"}`, nil)
	waitFor(t, "a failed delivery", func() bool { return len(deliveries(t, n.URL, token, w.ID)) > 0 })
	if d := deliveries(t, n.URL, token, w.ID)[0]; d.Success || d.Status != 307 || !strings.Contains(d.Error, "HTTP 307") {
		t.Fatalf("delivery: %+v", d)
	}
	if got := elsewhere.receipts(); len(got) != 0 {
		t.Fatalf("the redirect was followed: %d requests", len(got))
	}
}

// TestTimeout: a receiver that never answers fails the delivery once the
// configured timeout has passed, with the reason in the log.
func TestTimeout(t *testing.T) {
	dsn := newDatabase(t)
	cfg := testConfig()
	cfg.Timeout = plugins.Duration(300 * time.Millisecond)
	n := startNode(t, dsn, cfg)
	token := signIn(t, n.URL)
	var asked atomic.Int32
	done := make(chan struct{})
	silent := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked.Add(1)
		select { // never answers: waits for the client to give up
		case <-r.Context().Done():
		case <-done:
		}
	}))
	t.Cleanup(func() { close(done); silent.Close() })
	w := setupPosts(t, n.URL, token, silent.URL, "")
	call(t, n.URL, token, "POST", "/api/collections/posts/records", `{"title": "unanswered"}`, nil)
	waitFor(t, "a failed delivery", func() bool { return len(deliveries(t, n.URL, token, w.ID)) > 0 })
	log := deliveries(t, n.URL, token, w.ID)
	d := log[len(log)-1] // the first attempt
	if d.Success || d.Status != 0 || !strings.Contains(d.Error, "Timeout") || asked.Load() == 0 {
		t.Fatalf("delivery: %+v (asked %d times)", d, asked.Load())
	}
}
