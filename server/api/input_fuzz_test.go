package api_test

import (
	"io"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/lumbunghq/lumbung/server"
)

// badInputs are requests clients can send that once reached a 500; each
// must get a 4xx (or a 2xx where the input is fine).
var badInputs = []struct{ method, path, body string }{
	{"POST", "/api/collections/posts/records", `{"title": "a\u0000b"}`},
	{"POST", "/api/collections/posts/records", `{"title": "x", "body": "a\u0000b"}`},
	{"POST", "/api/collections/posts/records", `{"title": "x", "meta": {"k": "a\u0000"}}`},
	{"POST", "/api/collections/posts/records", `{"title": "x", "meta": {"a\u0000": 1}}`},
	{"POST", "/api/collections/posts/records", "{\"title\": \"\xff\xfe\"}"},
	{"POST", "/api/collections/posts/records", "title=\xff"},
	{"POST", "/api/collections/authors/auth-with-password", `{"identity": "a\u0000b", "password": "x"}`},
	{"GET", "/api/collections/posts/records?page=9223372036854775807", ""},
	{"GET", "/api/collections/posts/records?page=-9223372036854775808&perPage=9223372036854775807", ""},
	{"GET", "/api/collections/posts/records/%00x", ""},
	{"GET", "/api/collections/posts/records/%ff", ""},
	{"GET", "/api/collections/posts/records?filter=title%3D%27%ff%27", ""},
	{"GET", "/api/collections/posts/records?sort=%ff&expand=%00&fields=%ff", ""},
	{"POST", "/api/collections", `{"name": "t1", "fields": [{"name": "ctid", "type": "text"}]}`},
	{"POST", "/api/collections", `{"name": "t2", "fields": [{"name": "xmin", "type": "number"}]}`},
	{"POST", "/api/collections", `{"name": "pg_roles", "fields": [{"name": "x", "type": "text"}]}`},
	{"POST", "/api/collections", `{"name": "pg_stats", "type": "view", "viewQuery": "select id from posts"}`},
	{"POST", "/api/collections", `{"name": "v1", "type": "view", "viewQuery": "select id from posts where title = $1"}`},
	{"POST", "/api/collections/view-preview", `{"viewQuery": "select id from posts where title = $2"}`},
	{"POST", "/api/collections/view-preview", `{"viewQuery": "select id from posts where title = $1"}`},
	{"POST", "/api/collections/view-preview", `{"viewQuery": "select id from posts -- a comment"}`},
	{"POST", "/api/collections/view-preview", `{"viewQuery": "select id from posts /* open"}`},
	{"GET", "/_/assets", ""},
	{"GET", "/_/assets/", ""},
	{"PATCH", "/api/settings", `{"meta": {"appName": "a\u0000"}}`},
	{"PATCH", "/api/settings", `{"batch": {"enabled": true, "maxRequests": -1, "timeout": "x"}}`},
	{"POST", "/api/collections/meta/dry-run-view", `{"query": "select id from posts where title = $1"}`},
	{"POST", "/api/collections/meta/dry-run-view", `{"query": "select id from posts -- a comment"}`},
	{"POST", "/api/collections/meta/dry-run-view", `{"query": "select 'a\u0000' as id"}`},
	{"POST", "/api/collections/meta/dry-run-view", `{"query": 5}`},
	{"GET", "/api/logs/%ff", ""},
	{"GET", "/api/collections/meta/scaffolds?x=%00", ""},
	{"GET", "/api/collections/posts/records?filter=@request.headers.x%3D%27%ff%27", ""},
	{"GET", "/api/collections/posts/records?filter=strftime('%25Y',%20created)%3D@request.query.y&y=%00", ""},
}

// TestBadInputIs4xx: every input above is answered without a 5xx.
func TestBadInputIs4xx(t *testing.T) {
	t.Parallel()
	e := MustEnv(t, func(c *server.Config) { c.Dashboard = testDashboard() })
	MustBlog(t, e)
	for _, in := range badInputs {
		if status, body := e.Do(in.method, in.path, "", in.body); status >= 500 {
			t.Errorf("%s %s %q: %d %s", in.method, in.path, in.body, status, body)
		}
	}
	// A filter as long as the language allows, every character
	// percent-encoded, fits in a request.
	long := "title != '" + strings.Repeat("é", (4096-12)/2) + "'"
	if status, body := e.Do("GET", "/api/collections/posts/records?filter="+url.QueryEscape(long), "", ""); status != 200 {
		t.Errorf("a %d-byte filter: %d %s", len(long), status, body)
	}
}

// fuzzRoutes are the request templates FuzzHTTPInput fills: %s is replaced
// by generated text (a name, an id, a query string).
var fuzzRoutes = []struct{ method, path string }{
	{"GET", "/api/collections/posts/records?%s"},
	{"GET", "/api/collections/posts/records/%s"},
	{"POST", "/api/collections/posts/records"},
	{"PATCH", "/api/collections/posts/records/%s"},
	{"GET", "/api/collections/%s/records"},
	{"POST", "/api/collections"},
	{"PATCH", "/api/collections/posts"},
	{"POST", "/api/collections/view-preview"},
	{"POST", "/api/batch"},
	{"POST", "/api/collections/authors/auth-with-password"},
	{"GET", "/api/collections/posts/records?filter=%s"},
	{"GET", "/api/collections/posts/records?sort=%s"},
	{"GET", "/_/%s"},
	{"POST", "/api/realtime"},
	{"PATCH", "/api/settings"},
	{"POST", "/api/collections/meta/dry-run-view"},
	{"GET", "/api/logs/%s"},
}

// FuzzHTTPInput drives the real handlers with generated paths, queries and
// bodies, as a superuser and as a guest: no input a client can send may
// get a 5xx.
//
//	go test ./server/api -run '^$' -fuzz FuzzHTTPInput -fuzztime 5m
func FuzzHTTPInput(f *testing.F) {
	e := MustEnv(f, func(c *server.Config) { c.Dashboard = testDashboard() })
	MustBlog(f, e)
	for i, in := range badInputs {
		f.Add(uint8(i), in.path, in.body, i%2 == 0)
	}
	f.Add(uint8(0), "filter=title~'%25'&sort=-author.name,@random&expand=author,editors&fields=id,expand.author.name", "", true)
	f.Add(uint8(5), "", `{"name": "x", "fields": [{"name": "a", "type": "relation", "collectionId": "posts", "maxSelect": -1}]}`, true)
	f.Add(uint8(8), "", `{"requests": [{"method": "POST", "url": "/api/collections/posts/records", "body": {"title": "\u0000"}}]}`, true)
	f.Fuzz(func(t *testing.T, route uint8, text, body string, superuser bool) {
		r := fuzzRoutes[int(route)%len(fuzzRoutes)]
		path := r.path
		if strings.Contains(path, "%s") {
			path = strings.Replace(path, "%s", text, 1)
		}
		if _, err := url.ParseRequestURI(path); err != nil || strings.ContainsAny(path, " \t\r\n#") || len(path) > 16<<10 {
			return // not a request line a client could send
		}
		req := httptest.NewRequest(r.method, path, strings.NewReader(body))
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		if superuser {
			req.Header.Set("Authorization", e.token)
		}
		res, err := e.srv.App().Test(req, 20_000)
		if err != nil {
			t.Fatalf("%s %s %q: %v", r.method, path, body, err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		if res.StatusCode >= 500 {
			t.Fatalf("%s %s %q (superuser %v): %d %s", r.method, path, body, superuser, res.StatusCode, b)
		}
	})
}
