package api_test

import (
	"bytes"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/lumbunghq/lumbung/server"
)

// lockedBuffer is a log sink tests read while the server writes.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestOAuth2ProviderErrors: whatever a built-in provider answers — an
// error, HTML, a list, no id — auth-with-oauth2 is a 400 with PocketBase's
// message, and the server's log (at debug level) names no code, secret or
// token.
func TestOAuth2ProviderErrors(t *testing.T) {
	t.Parallel()
	var userInfo, token string
	var mu sync.Mutex
	fake := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		switch r.URL.Path {
		case "/token":
			fmt.Fprint(w, token)
		case "/me":
			fmt.Fprint(w, userInfo)
		}
	}))
	defer fake.Close()
	logs := &lockedBuffer{}
	e := MustEnv(t, func(c *server.Config) {
		c.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	e.MustJSON("PATCH", "/api/collections/users", "", `{"oauth2": {"enabled": true, "providers": [
		{"name": "discord", "clientId": "client-1", "clientSecret": "very-secret-1", "tokenURL": "`+fake.URL+`/token", "userInfoURL": "`+fake.URL+`/me"},
		{"name": "gitlab", "clientId": "client-1", "clientSecret": "very-secret-1", "tokenURL": "`+fake.URL+`/token", "userInfoURL": "`+fake.URL+`/me"}]}}`, 200, nil)
	const goodToken = `{"access_token": "access-token-1", "token_type": "Bearer"}`
	for _, tc := range []struct {
		name, provider, token, user string
	}{
		{"token error", "discord", `{"error": "invalid_grant", "error_description": "Invalid \"code\" in request."}`, `{}`},
		{"html token", "gitlab", `<html><body>502 Bad Gateway</body></html>`, `{}`},
		{"html user", "discord", goodToken, `<!doctype html><title>rate limited</title>`},
		{"user is a list", "gitlab", goodToken, `[{"id": 1}]`},
		{"no id", "discord", goodToken, `{"username": "nobody"}`},
		{"empty user", "gitlab", goodToken, ``},
	} {
		mu.Lock()
		token, userInfo = tc.token, tc.user
		mu.Unlock()
		st, body := e.Do("POST", "/api/collections/users/auth-with-oauth2", "-",
			`{"provider": "`+tc.provider+`", "code": "the-code-`+tc.provider+`", "codeVerifier": "v", "redirectURL": "http://app.test/cb"}`)
		if st != 400 || !strings.Contains(body, "Failed to authenticate with the OAuth2 provider.") {
			t.Errorf("%s: %d %s", tc.name, st, body)
		}
	}
	for _, secret := range []string{"the-code-", "very-secret-1", "access-token-1"} {
		if strings.Contains(logs.String(), secret) {
			t.Fatalf("the log names %q:\n%s", secret, logs.String())
		}
	}
	if !strings.Contains(logs.String(), "oauth2 sign-in failed") {
		t.Fatalf("the failures are not logged:\n%s", logs.String())
	}
}
