package api

import "testing"

// TestRoutePatternMatches: a path matches a pattern as Fiber would route
// it, so that requests stopped before their route are named by it.
func TestRoutePatternMatches(t *testing.T) {
	cases := []struct {
		pattern, path string
		want          bool
	}{
		{"/api/collections/:collection/records", "/api/collections/posts/records", true},
		{"/api/collections/:collection/records", "/api/collections/posts/records/", true},
		{"/api/collections/:collection/records", "/api/collections//records", false},
		{"/api/collections/:collection/records", "/api/collections/posts/records/x", false},
		{"/api/collections/:collection/records", "/api/collections/posts", false},
		{"/api/collections/:collection/records", "/API/collections/posts/records", false},
		{"/api/health", "/api/health", true},
		{"/api/health", "/api/healthz", false},
		{"/api/logs/:id?", "/api/logs", true},
		{"/api/logs/:id?", "/api/logs/abc", true},
		{"/_/*", "/_/", true},
		{"/_/*", "/_/assets/a.js", true},
		{"/files/+", "/files", false},
		{"/files/+", "/files/a/b", true},
		{"/:a-:b", "/x-y", false}, // two parameters in a segment: not named
		{"/", "/", true},
		{"/", "/x", false},
	}
	for _, c := range cases {
		p := routePattern{path: c.pattern, segs: routeSegments(c.pattern)}
		if got := p.matches(routeSegments(c.path)); got != c.want {
			t.Errorf("%s ~ %s: %v, want %v", c.pattern, c.path, got, c.want)
		}
	}
}

// TestMethodLabel: methods become constants; anything else one label.
func TestMethodLabel(t *testing.T) {
	for in, want := range map[string]string{"GET": "GET", "PATCH": "PATCH", "OPTIONS": "OPTIONS", "get": "OTHER", "BREW": "OTHER"} {
		if got := methodLabel(in); got != want {
			t.Errorf("%s: %s, want %s", in, got, want)
		}
	}
}
