package api_test

import (
	"testing"
	"time"
)

// forwarded is the header a proxy adds for a client at addr.
func forwarded(addr string) map[string]string { return map[string]string{"X-Forwarded-For": addr} }

// TestClientAddress: request logs, rate limits and the settings all see
// the client's address as the trusted proxy settings say, and the headers
// of senders that are not trusted proxies are ignored.
func TestClientAddress(t *testing.T) {
	t.Parallel()
	e := MustAuthEnv(t)
	loggedIP := func(name, marker string) string {
		t.Helper()
		var logs struct {
			Items []struct{ Data struct{ IP string } }
		}
		e.MustJSON("GET", "/api/logs?filter="+q("url ~ '"+marker+"'"), "", "", 200, &logs)
		if len(logs.Items) != 1 {
			t.Fatalf("%s: %d log entries for %s", name, len(logs.Items), marker)
		}
		return logs.Items[0].Data.IP
	}
	send := func(marker string, headers map[string]string) {
		t.Helper()
		if res, body := e.DoFrom("GET", "/api/health?m="+marker, "-", "", headers); res.StatusCode != 200 {
			t.Fatalf("%s: %d %s", marker, res.StatusCode, body)
		}
	}
	send("none", forwarded("203.0.113.7"))
	if ip := loggedIP("no trusted proxies", "none"); ip != "0.0.0.0" {
		t.Fatalf("no trusted proxies: logged %s, want the sender 0.0.0.0", ip)
	}
	e.Run(t, []scenario{
		{Name: "defaults", Method: "GET", URL: "/api/settings", ExpectedStatus: 200,
			ExpectedContent: []string{`"trustedProxy":{"proxies":[],"header":"X-Forwarded-For"}`, `"nodeFlags":{}`}},
		{Name: "invalid", Method: "PATCH", URL: "/api/settings", Body: `{"trustedProxy": {"proxies": ["10.0.0.0/8", "proxy.local"], "header": "X Real IP"}}`,
			ExpectedStatus: 400, ExpectedContent: []string{`"trustedProxy":{"header":{"code":"validation_invalid_header"`, `"proxies":{"1":{"code":"validation_invalid_proxy"`}},
		{Name: "others are not trusted", Method: "PATCH", URL: "/api/settings", Body: `{"trustedProxy": {"proxies": ["10.0.0.0/8"]}}`,
			ExpectedStatus: 200, ExpectedContent: []string{`"trustedProxy":{"proxies":["10.0.0.0/8"],"header":"X-Forwarded-For"}`}},
	})
	send("notrust", forwarded("203.0.113.7"))
	if ip := loggedIP("untrusted sender", "notrust"); ip != "0.0.0.0" {
		t.Fatalf("untrusted sender: logged %s", ip)
	}
	e.MustJSON("PATCH", "/api/settings", "", `{"trustedProxy": {"proxies": ["0.0.0.0"]}}`, 200, nil)
	send("viaproxy", forwarded("6.6.6.6, 203.0.113.7"))
	if ip := loggedIP("trusted proxy", "viaproxy"); ip != "203.0.113.7" {
		t.Fatalf("trusted proxy: logged %s, want the right-most untrusted address", ip)
	}
	send("otherheader", map[string]string{"X-Real-IP": "203.0.113.8"})
	if ip := loggedIP("a header not configured", "otherheader"); ip != "0.0.0.0" {
		t.Fatalf("X-Real-IP while X-Forwarded-For is trusted: logged %s", ip)
	}
	e.MustJSON("PATCH", "/api/settings", "", `{"trustedProxy": {"header": "X-Real-IP"}}`, 200, nil)
	send("realip", map[string]string{"X-Real-IP": "203.0.113.8", "X-Forwarded-For": "6.6.6.6"})
	if ip := loggedIP("X-Real-IP", "realip"); ip != "203.0.113.8" {
		t.Fatalf("X-Real-IP: logged %s", ip)
	}

	// Rate limits count per client behind the proxy.
	e.MustJSON("PATCH", "/api/settings", "", `{"trustedProxy": {"header": "X-Forwarded-For"}, "rateLimits": {"enabled": true, "rules": [
		{"label": "/api/health", "duration": 10, "maxRequests": 1}]}}`, 200, nil)
	health := func(name, addr string, status int) {
		t.Helper()
		if res, body := e.DoFrom("GET", "/api/health", "-", "", forwarded(addr)); res.StatusCode != status {
			t.Fatalf("%s: status %d, want %d: %s", name, res.StatusCode, status, body)
		}
	}
	health("first client", "203.0.113.7", 200)
	health("first client again", "203.0.113.7", 429)
	health("first client claiming another address before the proxy's", "198.51.100.1, 203.0.113.7", 429)
	health("second client", "203.0.113.9", 200)
	e.clock.Advance(10 * time.Second)
	health("first client in a new window", "203.0.113.7", 200)
}
