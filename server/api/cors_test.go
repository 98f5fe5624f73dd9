package api_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/lumbunghq/lumbung/server"
)

// corsCase is one request and the CORS headers its answer must carry
// ("" for a header that must be absent).
type corsCase struct {
	Name           string
	Method, URL    string
	Headers        map[string]string
	ExpectedStatus int
	Expected       map[string]string
}

func (e *env) RunCORS(t *testing.T, cases []corsCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			res, body := e.DoFrom(c.Method, c.URL, "-", "", c.Headers)
			if res.StatusCode != c.ExpectedStatus {
				t.Fatalf("status %d, want %d: %s", res.StatusCode, c.ExpectedStatus, body)
			}
			for h, want := range c.Expected {
				if got := strings.Join(res.Header.Values(h), ", "); got != want {
					t.Errorf("%s: %q, want %q", h, got, want)
				}
			}
			if got := res.Header.Get("Access-Control-Allow-Credentials"); got != "" {
				t.Errorf("credentials allowed: %q", got)
			}
		})
	}
}

func preflight(origin, method, headers string) map[string]string {
	return map[string]string{"Origin": origin, "Access-Control-Request-Method": method, "Access-Control-Request-Headers": headers}
}

func TestCORS(t *testing.T) {
	t.Parallel()
	e := MustEnv(t)
	// Preflights are answered before rate limits: they never count.
	e.MustJSON("PATCH", "/api/settings", "", `{"rateLimits": {"enabled": true, "rules": [{"label": "/api/", "duration": 60, "maxRequests": 100}]}}`, 200, nil)
	allowedPreflight := map[string]string{
		"Access-Control-Allow-Origin":  "*",
		"Access-Control-Allow-Methods": "GET,HEAD,PUT,PATCH,POST,DELETE",
		"Access-Control-Allow-Headers": "authorization,content-type",
		"Access-Control-Max-Age":       "86400",
		"Vary":                         "Origin, Access-Control-Request-Method, Access-Control-Request-Headers",
	}
	e.RunCORS(t, []corsCase{
		{Name: "any origin by default", Method: "GET", URL: "/api/health", Headers: map[string]string{"Origin": "http://127.0.0.1:5173"},
			ExpectedStatus: 200, Expected: map[string]string{"Access-Control-Allow-Origin": "*", "Vary": "Origin", "Access-Control-Allow-Methods": ""}},
		{Name: "errors too", Method: "GET", URL: "/api/collections/nope/records", Headers: map[string]string{"Origin": "https://app.example.com"},
			ExpectedStatus: 404, Expected: map[string]string{"Access-Control-Allow-Origin": "*"}},
		{Name: "preflight", Method: "OPTIONS", URL: "/api/collections/users/records",
			Headers: preflight("https://app.example.com", "POST", "authorization,content-type"), ExpectedStatus: 204, Expected: allowedPreflight},
		{Name: "preflight of the realtime endpoint", Method: "OPTIONS", URL: "/api/realtime",
			Headers: preflight("https://app.example.com", "POST", "authorization,content-type"), ExpectedStatus: 204, Expected: allowedPreflight},
		{Name: "OPTIONS without an origin", Method: "OPTIONS", URL: "/api/health",
			ExpectedStatus: 204, Expected: map[string]string{"Access-Control-Allow-Origin": "", "Vary": "Origin"}},
		{Name: "no origin, no header", Method: "GET", URL: "/api/health", ExpectedStatus: 200,
			Expected: map[string]string{"Access-Control-Allow-Origin": ""}},
	})
	for i := 0; i < 120; i++ {
		if res, _ := e.DoFrom("OPTIONS", "/api/health", "-", "", preflight("https://app.example.com", "GET", "")); res.StatusCode != 204 {
			t.Fatalf("preflight %d: status %d", i+1, res.StatusCode)
		}
	}

	e.Run(t, []scenario{
		{Name: "default origins", Method: "GET", URL: "/api/settings", ExpectedStatus: 200, ExpectedContent: []string{`"cors":{"origins":["*"]}`}},
		{Name: "an origin with a path", Method: "PATCH", URL: "/api/settings", Body: `{"cors": {"origins": ["https://app.example.com/"]}}`,
			ExpectedStatus: 400, ExpectedContent: []string{`"cors":{"origins":{"0":{"code":"validation_invalid_origin","message":"\"https://app.example.com/\": an origin is a scheme and a host, with no path`}},
		{Name: "not an origin", Method: "PATCH", URL: "/api/settings", Body: `{"cors": {"origins": ["*", "app.example.com"]}}`,
			ExpectedStatus: 400, ExpectedContent: []string{`"1":{"code":"validation_invalid_origin"`}},
		{Name: "some origins", Method: "PATCH", URL: "/api/settings", Body: `{"cors": {"origins": ["https://app.example.com", "https://*.example.org", "http://localhost:*"]}}`,
			ExpectedStatus: 200, ExpectedContent: []string{`"cors":{"origins":["https://app.example.com","https://*.example.org","http://localhost:*"]}`}},
	})
	echo := func(origin string) map[string]string { return map[string]string{"Access-Control-Allow-Origin": origin} }
	e.RunCORS(t, []corsCase{
		{Name: "a listed origin", Method: "GET", URL: "/api/health", Headers: map[string]string{"Origin": "https://app.example.com"},
			ExpectedStatus: 200, Expected: echo("https://app.example.com")},
		{Name: "a subdomain pattern", Method: "GET", URL: "/api/health", Headers: map[string]string{"Origin": "https://a.b.example.org"},
			ExpectedStatus: 200, Expected: echo("https://a.b.example.org")},
		{Name: "a port pattern", Method: "OPTIONS", URL: "/api/health", Headers: preflight("http://localhost:5173", "GET", ""),
			ExpectedStatus: 204, Expected: map[string]string{"Access-Control-Allow-Origin": "http://localhost:5173", "Access-Control-Allow-Methods": "GET,HEAD,PUT,PATCH,POST,DELETE", "Access-Control-Max-Age": "86400"}},
		{Name: "another origin is served without the header", Method: "GET", URL: "/api/health", Headers: map[string]string{"Origin": "https://evil.test"},
			ExpectedStatus: 200, Expected: map[string]string{"Access-Control-Allow-Origin": "", "Vary": "Origin"}},
		{Name: "another origin's preflight allows nothing", Method: "OPTIONS", URL: "/api/collections/users/records", Headers: preflight("https://evil.test", "POST", "authorization"),
			ExpectedStatus: 204, Expected: map[string]string{"Access-Control-Allow-Origin": "", "Access-Control-Allow-Methods": "", "Access-Control-Allow-Headers": "", "Access-Control-Max-Age": ""}},
		{Name: "another scheme", Method: "GET", URL: "/api/health", Headers: map[string]string{"Origin": "http://app.example.com"},
			ExpectedStatus: 200, Expected: echo("")},
		{Name: "a pattern does not reach another site", Method: "GET", URL: "/api/health", Headers: map[string]string{"Origin": "https://example.org.evil.test"},
			ExpectedStatus: 200, Expected: echo("")},
		{Name: "nor a site that ends like it", Method: "GET", URL: "/api/health", Headers: map[string]string{"Origin": "https://evilexample.org"},
			ExpectedStatus: 200, Expected: echo("")},
	})
	e.MustJSON("PATCH", "/api/settings", "", `{"cors": {"origins": []}}`, 200, nil)
	e.RunCORS(t, []corsCase{
		{Name: "no origins", Method: "GET", URL: "/api/health", Headers: map[string]string{"Origin": "https://app.example.com"},
			ExpectedStatus: 200, Expected: echo("")},
	})
}

// TestCORSFlag: origins set by a node's --origins override the settings
// on that node, and the settings say so.
func TestCORSFlag(t *testing.T) {
	t.Parallel()
	e := MustEnv(t, func(cfg *server.Config) { cfg.Origins = []string{"https://flag.example.com"} })
	e.Run(t, []scenario{
		{Name: "the flag's origins", Method: "GET", URL: "/api/settings", ExpectedStatus: 200,
			ExpectedContent: []string{`"cors":{"origins":["https://flag.example.com"]}`, `"nodeFlags":{"cors.origins":"--origins"}`}},
		{Name: "saved, but the flag wins here", Method: "PATCH", URL: "/api/settings", Body: `{"cors": {"origins": ["https://saved.example.com"]}}`,
			ExpectedStatus: 200, ExpectedContent: []string{`"cors":{"origins":["https://flag.example.com"]}`}},
	})
	for origin, want := range map[string]string{"https://flag.example.com": "https://flag.example.com", "https://saved.example.com": ""} {
		res, _ := e.DoFrom("GET", "/api/health", "-", "", map[string]string{"Origin": origin})
		if got := res.Header.Get("Access-Control-Allow-Origin"); got != want || res.StatusCode != http.StatusOK {
			t.Errorf("%s: status %d, Access-Control-Allow-Origin %q, want %q", origin, res.StatusCode, got, want)
		}
	}
	// A bad flag stops the node before it serves.
	if _, err := server.New(t.Context(), server.Config{Origins: []string{"https://x.example.com/path"}}); err == nil || !strings.Contains(err.Error(), "--origins") {
		t.Fatalf("bad --origins: %v", err)
	}
	if _, err := server.New(t.Context(), server.Config{TrustedProxies: []string{"10.0.0.0/40"}}); err == nil || !strings.Contains(err.Error(), "--trusted-proxies") {
		t.Fatalf("bad --trusted-proxies: %v", err)
	}
}
