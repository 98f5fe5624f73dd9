package api_test

import (
	"testing"
	"time"
)

func TestRateLimits(t *testing.T) {
	t.Parallel()
	e := MustAuthEnv(t)
	MustUser(t, e.env, "ada@example.com", "ada password")
	userToken := MustSignIn(t, e.env, "users", "ada@example.com", "ada password")
	e.MustJSON("PATCH", "/api/settings", "", `{"rateLimits": {"enabled": true, "rules": [
		{"label": "*:auth", "duration": 60, "maxRequests": 3},
		{"label": "_superusers:auth", "duration": 60, "maxRequests": 1},
		{"label": "/api/health", "audience": "@guest", "duration": 10, "maxRequests": 1},
		{"label": "GET /api/", "audience": "@auth", "duration": 10, "maxRequests": 2}
	]}}`, 200, nil)
	signIn := `{"identity": "ada@example.com", "password": "ada password"}`
	expect := func(name, method, url, token, body string, status int, retryAfter string) {
		t.Helper()
		res, b := e.DoFull(method, url, token, body)
		if res.StatusCode != status {
			t.Fatalf("%s: status %d, want %d; body %s", name, res.StatusCode, status, b)
		}
		if got := res.Header.Get("Retry-After"); got != retryAfter {
			t.Fatalf("%s: Retry-After %q, want %q", name, got, retryAfter)
		}
	}
	for i := 0; i < 3; i++ {
		expect("sign-in within the limit", "POST", "/api/collections/users/auth-with-password", "-", signIn, 200, "")
	}
	e.clock.Advance(20 * time.Second)
	expect("fourth sign-in in a minute", "POST", "/api/collections/users/auth-with-password", "-", signIn, 429, "40")
	expect("a more specific rule for superusers", "POST", "/api/collections/_superusers/auth-with-password", "-", `{"identity": "x@example.com", "password": "x"}`, 400, "")
	expect("its own counter", "POST", "/api/collections/_superusers/auth-with-password", "-", `{"identity": "x@example.com", "password": "x"}`, 429, "60")
	e.clock.Advance(40 * time.Second)
	expect("a new window", "POST", "/api/collections/users/auth-with-password", "-", signIn, 200, "")

	expect("guest health", "GET", "/api/health", "-", "", 200, "")
	expect("guest health again", "GET", "/api/health", "-", "", 429, "10")
	expect("signed-in users have their own rule", "GET", "/api/health", userToken, "", 200, "")
	expect("prefix rule for signed-in users", "GET", "/api/collections/users/auth-methods", userToken, "", 200, "")
	expect("prefix rule counts both", "GET", "/api/health", userToken, "", 429, "10")
	expect("other methods are not limited by a GET rule", "POST", "/api/collections/users/auth-refresh", userToken, "", 200, "")
	for i := 0; i < 3; i++ {
		expect("superusers are not limited", "GET", "/api/health", "", "", 200, "")
	}
	e.clock.Advance(10 * time.Second)
	expect("guest health later", "GET", "/api/health", "-", "", 200, "")

	e.MustJSON("PATCH", "/api/settings", "", `{"rateLimits": {"enabled": false}}`, 200, nil)
	for i := 0; i < 3; i++ {
		expect("limits off", "GET", "/api/health", "-", "", 200, "")
	}
}

func TestDefaultRateLimitOnEmailRequests(t *testing.T) {
	t.Parallel()
	e := MustAuthEnv(t)
	for i := 0; i < 5; i++ {
		e.MustJSON("POST", "/api/collections/users/request-password-reset", "-", `{"email": "nobody@example.com"}`, 204, nil)
	}
	res, body := e.DoFull("POST", "/api/collections/users/request-password-reset", "-", `{"email": "nobody@example.com"}`)
	if res.StatusCode != 429 || res.Header.Get("Retry-After") != "60" {
		t.Fatalf("status %d, Retry-After %q: %s", res.StatusCode, res.Header.Get("Retry-After"), body)
	}
}

func TestSignInThrottle(t *testing.T) {
	t.Parallel()
	e := MustAuthEnv(t)
	// The request rate limits are off: this is about failed passwords.
	e.MustJSON("PATCH", "/api/settings", "", `{"rateLimits": {"enabled": false}}`, 200, nil)
	MustUser(t, e.env, "ada@example.com", "ada password")
	MustUser(t, e.env, "bob@example.com", "bob password")
	attempt := func(identity, password string) (int, string) {
		res, _ := e.DoFull("POST", "/api/collections/users/auth-with-password", "-", `{"identity": "`+identity+`", "password": "`+password+`"}`)
		return res.StatusCode, res.Header.Get("Retry-After")
	}
	for i := 0; i < 5; i++ {
		if status, _ := attempt("ada@example.com", "wrong"); status != 400 {
			t.Fatalf("failure %d: status %d", i+1, status)
		}
		e.clock.Advance(time.Minute)
	}
	// Five failures at minutes 0-4; now is minute 5: the first expires at 15.
	if status, retry := attempt("ADA@example.com", "ada password"); status != 429 || retry != "600" {
		t.Fatalf("after 5 failures: status %d, Retry-After %q; want 429, 600", status, retry)
	}
	if status, _ := attempt("bob@example.com", "bob password"); status != 200 {
		t.Fatalf("another identity: status %d", status)
	}
	e.clock.Advance(10 * time.Minute)
	if status, _ := attempt("ada@example.com", "ada password"); status != 200 {
		t.Fatalf("after the window: status %d", status)
	}
	// One address trying many identities is stopped too: four of ada's
	// failures are still in the window, sixteen more make twenty.
	for i := 0; i < 16; i++ {
		attempt("guess"+string(rune('a'+i))+"@example.com", "wrong")
	}
	if status, retry := attempt("bob@example.com", "bob password"); status != 429 || retry == "" {
		t.Fatalf("after 20 failures from one address: status %d, Retry-After %q", status, retry)
	}
}
