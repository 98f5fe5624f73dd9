package api_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
	"unicode"
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

// TestRateLimitsHoldForEverySpelling: no spelling of a limited path
// escapes its limit. Spellings are generated (letter case, trailing and
// doubled slashes, percent-encoding, dot segments, the collection by id
// or in another case); each must either match no route or name no
// collection (404), or count against the same limit as the path itself:
// with a limit of n, at most n requests pass, whatever their spelling,
// and once one is refused every later one that is not a 404 is too.
func TestRateLimitsHoldForEverySpelling(t *testing.T) {
	t.Parallel()
	e := MustAuthEnv(t)
	MustUser(t, e.env, "ada@example.com", "ada password")
	var users struct{ ID string }
	e.MustJSON("GET", "/api/collections/users", "", "", 200, &users)
	const limit = 3
	e.MustJSON("PATCH", "/api/settings", "", `{"rateLimits": {"enabled": true, "rules": [
		{"label": "*:requestPasswordReset", "duration": 600, "maxRequests": 3},
		{"label": "users:auth", "duration": 600, "maxRequests": 3},
		{"label": "users:list", "duration": 600, "maxRequests": 3},
		{"label": "/api/health", "duration": 600, "maxRequests": 3},
		{"label": "POST /api/batch", "duration": 600, "maxRequests": 3}
	]}}`, 200, nil)
	limited := []struct{ method, path, body string }{
		{"POST", "/api/collections/users/request-password-reset", `{"email": "nobody@example.com"}`},
		{"POST", "/api/collections/users/auth-with-password", `{"identity": "ada@example.com", "password": "ada password"}`},
		{"GET", "/api/collections/users/records", ""},
		{"GET", "/api/health", ""},
		{"POST", "/api/batch", `{"requests": []}`},
	}
	rng := rand.New(rand.NewPCG(5, 11)) // fixed: a failure can be replayed
	for _, l := range limited {
		passed, others, refused := 0, 0, false
		for _, p := range append([]string{l.path}, spellings(rng, l.path, users.ID, 80)...) {
			res, body := e.DoFull(l.method, p, "-", l.body)
			switch {
			case res.StatusCode == 404:
				continue // no route, or no such collection
			case res.StatusCode == 429:
				refused = true
			case refused || passed == limit:
				t.Errorf("%s %s escapes the limit of %s: status %d: %s", l.method, p, l.path, res.StatusCode, body)
			default:
				passed++
			}
			if p != l.path {
				others++
			}
		}
		// The property is only worth something if the limit was reached
		// and spellings other than the path itself reached the route.
		if !refused || others < limit {
			t.Errorf("%s: limit reached: %t; other spellings that reached the route: %d", l.path, refused, others)
		}
	}
}

// spellings returns n random spellings of path: letters in another case,
// trailing or doubled slashes, percent-encoded characters, dot segments,
// and the users collection by id or in another case.
func spellings(rng *rand.Rand, path, usersID string, n int) []string {
	edits := []func(string) string{
		func(p string) string { // one letter in the other case
			var idx []int
			for i, r := range p {
				if unicode.IsLetter(r) {
					idx = append(idx, i)
				}
			}
			i := idx[rng.IntN(len(idx))]
			r := rune(p[i])
			if unicode.IsUpper(r) {
				r = unicode.ToLower(r)
			} else {
				r = unicode.ToUpper(r)
			}
			return p[:i] + string(r) + p[i+1:]
		},
		func(p string) string { return p + strings.Repeat("/", 1+rng.IntN(2)) },
		func(p string) string { // a doubled slash
			i := slashes(p)[rng.IntN(len(slashes(p)))]
			return p[:i] + "/" + p[i:]
		},
		func(p string) string { // one character percent-encoded
			i := 1 + rng.IntN(len(p)-1)
			if p[i] == '%' || p[i-1] == '%' || p[max(i-2, 0)] == '%' {
				return p // inside an escape already
			}
			enc := fmt.Sprintf("%%%02X", p[i])
			if rng.IntN(2) == 0 {
				enc = strings.ToLower(enc)
			}
			return p[:i] + enc + p[i+1:]
		},
		func(p string) string { // a dot segment
			i := slashes(p)[rng.IntN(len(slashes(p)))]
			return p[:i] + []string{"/.", "/x/..", "/./"}[rng.IntN(3)] + p[i:]
		},
		func(p string) string { return strings.Replace(p, "/users/", "/"+usersID+"/", 1) },
		func(p string) string { return strings.Replace(p, "/users/", "/USERS/", 1) },
		func(p string) string { return strings.Replace(p, "/users/", "/Users/", 1) },
	}
	last := strings.LastIndex(path, "/") + 1
	out := []string{strings.ToUpper(path), path[:last] + strings.ToUpper(path[last:]), path + "/", strings.Replace(path, "/users/", "/%75sers/", 1)}
	for len(out) < n {
		p := path
		for k := 1 + rng.IntN(3); k > 0; k-- {
			p = edits[rng.IntN(len(edits))](p)
		}
		if p != path {
			out = append(out, p)
		}
	}
	return out
}

// slashes returns the positions of the slashes in p.
func slashes(p string) []int {
	var out []int
	for i := range p {
		if p[i] == '/' {
			out = append(out, i)
		}
	}
	return out
}
