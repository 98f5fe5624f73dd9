package api_test

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/lumbunghq/lumbung/server"
)

// testDashboard is a small dashboard bundle.
func testDashboard() fstest.MapFS {
	return fstest.MapFS{
		"index.html":         {Data: []byte("<!doctype html><title>Lumbung</title>")},
		"assets/app-abc.js":  {Data: []byte("console.log(1)")},
		"assets/app-abc.css": {Data: []byte("body{}")},
	}
}

func TestDashboardFiles(t *testing.T) {
	e := MustEnv(t, func(c *server.Config) { c.Dashboard = testDashboard() })
	for _, tc := range []struct {
		path, status, body, typ, cache string
	}{
		{"/_/", "200", "<!doctype html>", "text/html", "no-cache"},
		{"/_/collections/posts", "200", "<!doctype html>", "text/html", "no-cache"}, // the dashboard's own route
		{"/_/assets/app-abc.js", "200", "console.log", "javascript", "immutable"},
		{"/_/assets/app-abc.css", "200", "body{}", "text/css", "immutable"},
		{"/_/assets/gone.js", "404", "", "", ""},
		{"/_/assets", "404", "", "", ""}, // a directory
		{"/_/assets/", "404", "", "", ""},
		{"/_/../../go.mod", "200", "<!doctype html>", "text/html", ""}, // cleaned: never outside the bundle
		{"/_", "200", "<!doctype html>", "text/html", "no-cache"},
	} {
		res, body := e.DoFull("GET", tc.path, "-", "")
		got := res.Status[:3]
		if tc.status == "200" && (!strings.Contains(res.Header.Get("Content-Security-Policy"), "frame-ancestors 'none'") || res.Header.Get("X-Content-Type-Options") != "nosniff") {
			t.Errorf("GET %s: security headers %v", tc.path, res.Header)
		}
		if got != tc.status || !strings.Contains(body, tc.body) ||
			!strings.Contains(res.Header.Get("Content-Type"), tc.typ) || !strings.Contains(res.Header.Get("Cache-Control"), tc.cache) {
			t.Errorf("GET %s: %s %q %q %q", tc.path, res.Status, res.Header.Get("Content-Type"), res.Header.Get("Cache-Control"), body)
		}
	}
}
