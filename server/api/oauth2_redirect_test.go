package api_test

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/lumbunghq/lumbung/server"
)

// redirectFrom calls /api/oauth2-redirect on the served address from the
// loopback address from (GET with query, or POST with a form body) and
// returns the status and the page.
func redirectFrom(tb testing.TB, addr, from, method string, values url.Values) (int, string) {
	tb.Helper()
	client := &http.Client{Transport: &http.Transport{DialContext: (&net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}}).DialContext},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	defer client.CloseIdleConnections()
	var req *http.Request
	if method == "GET" {
		req, _ = http.NewRequest("GET", "http://"+addr+"/api/oauth2-redirect?"+values.Encode(), nil)
	} else {
		req, _ = http.NewRequest("POST", "http://"+addr+"/api/oauth2-redirect", strings.NewReader(values.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	res, err := client.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode == 200 && !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
		tb.Fatalf("content type %q", res.Header.Get("Content-Type"))
	}
	return res.StatusCode, string(b)
}

const (
	redirectOK     = "Auth completed."
	redirectFailed = "Failed to authenticate."
)

// expectNone checks that s receives no event within a short while.
func (s *sseStream) expectNone() {
	s.tb.Helper()
	select {
	case ev, ok := <-s.events:
		if ok {
			s.tb.Fatalf("unexpected event %+v", ev)
		}
	case <-time.After(300 * time.Millisecond):
	}
}

// TestOAuth2Redirect: the provider's answer reaches the one stream whose
// id is the state, once, as PocketBase's @oauth2 message; every other
// case is the failure page (200, never a 5xx), with no message sent.
func TestOAuth2Redirect(t *testing.T) {
	t.Parallel()
	e := MustEnv(t, func(c *server.Config) { c.HTTPAddr = "127.0.0.1:0" })
	addr := MustServe(t, e)
	host := "127.0.0.1"

	a, b := MustStream(t, addr), MustStream(t, addr)
	for _, s := range []*sseStream{a, b} {
		if st := s.subscribe("", s.id, "@oauth2"); st != 204 {
			t.Fatalf("guest subscribe to @oauth2: %d", st)
		}
	}

	// Another client's state cannot be used to read the code: it goes to
	// the stream of that id only.
	if st, page := redirectFrom(t, addr, host, "GET", url.Values{"state": {a.id}, "code": {"code-a"}}); st != 200 || !strings.Contains(page, redirectOK) {
		t.Fatalf("redirect: %d %s", st, page)
	}
	ev := a.next()
	if ev.Event != "@oauth2" || ev.Data != `{"state":"`+a.id+`","code":"code-a"}` {
		t.Fatalf("message %+v", ev)
	}
	b.expectNone()

	// The subscription ends with its message: the same state again fails.
	if _, page := redirectFrom(t, addr, host, "GET", url.Values{"state": {a.id}, "code": {"code-a2"}}); !strings.Contains(page, redirectFailed) {
		t.Fatalf("second redirect: %s", page)
	}
	a.expectNone()

	// From another client address (the state leaked to someone else): refused.
	if _, page := redirectFrom(t, addr, "127.0.0.2", "GET", url.Values{"state": {b.id}, "code": {"stolen"}}); !strings.Contains(page, redirectFailed) {
		t.Fatalf("redirect from another address: %s", page)
	}
	b.expectNone()

	// Apple's form_post: the answer in a POSTed form.
	if st, page := redirectFrom(t, addr, host, "POST", url.Values{"state": {b.id}, "code": {"code-b"}, "user": {`{"name":{"firstName":"A"}}`}}); st != 200 || !strings.Contains(page, redirectOK) {
		t.Fatalf("form post: %d %s", st, page)
	}
	if ev := b.next(); ev.Event != "@oauth2" || ev.Data != `{"state":"`+b.id+`","code":"code-b"}` {
		t.Fatalf("form post message %+v", ev)
	}

	// The provider's error goes to the client, and the page says it failed.
	c := MustStream(t, addr)
	c.subscribe("", c.id, "@oauth2")
	if _, page := redirectFrom(t, addr, host, "GET", url.Values{"state": {c.id}, "error": {"access_denied"}}); !strings.Contains(page, redirectFailed) {
		t.Fatalf("error redirect: %s", page)
	}
	var msg map[string]string
	if ev := c.next(); ev.Event != "@oauth2" || json.Unmarshal([]byte(ev.Data), &msg) != nil ||
		msg["state"] != c.id || msg["code"] != "" || msg["error"] != "access_denied" {
		t.Fatalf("error message %+v", ev)
	}

	// A stream not subscribed to @oauth2 gets nothing.
	d := MustStream(t, addr)
	for _, tc := range []struct {
		name   string
		method string
		values url.Values
	}{
		{"no subscription", "GET", url.Values{"state": {d.id}, "code": {"x"}}},
		{"unknown state", "GET", url.Values{"state": {"nosuchclient"}, "code": {"x"}}},
		{"no state", "GET", url.Values{"code": {"x"}}},
		{"nothing", "GET", url.Values{}},
		{"empty form", "POST", url.Values{}},
		{"long state", "GET", url.Values{"state": {strings.Repeat("x", 4000)}, "code": {"x"}}},
	} {
		if st, page := redirectFrom(t, addr, host, tc.method, tc.values); st != 200 || !strings.Contains(page, redirectFailed) {
			t.Errorf("%s: %d %s", tc.name, st, page)
		}
	}
	d.expectNone()

	// A body that is no form is the failure page too, not an error status.
	res, page := e.DoFrom("POST", "/api/oauth2-redirect", "-", "%zz&&;=", map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
	if res.StatusCode != 200 || !strings.Contains(page, redirectFailed) {
		t.Fatalf("bad form: %d %s", res.StatusCode, page)
	}
	res, page = e.DoFrom("POST", "/api/oauth2-redirect", "-", `{"state": 1`, map[string]string{"Content-Type": "application/json"})
	if res.StatusCode != 200 || !strings.Contains(page, redirectFailed) {
		t.Fatalf("bad json: %d %s", res.StatusCode, page)
	}

	// The code is not kept in the request log.
	var logs struct {
		Items []struct{ Data struct{ URL string } }
	}
	e.MustJSON("GET", "/api/logs?perPage=500", "", "", 200, &logs)
	seen := false
	for _, it := range logs.Items {
		if strings.Contains(it.Data.URL, "code-a") || strings.Contains(it.Data.URL, "stolen") {
			t.Fatalf("the request log keeps the code: %s", it.Data.URL)
		}
		seen = seen || it.Data.URL == "/api/oauth2-redirect"
	}
	if !seen {
		t.Fatal("the redirects are not in the request log")
	}
}

// TestOAuth2RedirectTopicCarriesNoRecords: @oauth2 is no collection topic;
// a guest subscribed to it alone receives no record events.
func TestOAuth2RedirectTopicCarriesNoRecords(t *testing.T) {
	t.Parallel()
	e := MustEnv(t, func(c *server.Config) { c.HTTPAddr = "127.0.0.1:0" })
	addr := MustServe(t, e)
	e.MustJSON("POST", "/api/collections", "", `{"name": "notes", "type": "base", "listRule": "", "viewRule": "", "createRule": "",
		"fields": [{"name": "title", "type": "text"}]}`, 200, nil)
	s := MustStream(t, addr)
	if st := s.subscribe("", s.id, "@oauth2"); st != 204 {
		t.Fatalf("subscribe: %d", st)
	}
	e.MustJSON("POST", "/api/collections/notes/records", "-", `{"title": "hello"}`, 200, nil)
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	<-ctx.Done()
	s.expectNone()
}
