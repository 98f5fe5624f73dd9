package auth_test

import (
	"crypto/sha256"
	"encoding/base64"
	"net/url"
	"strings"
	"testing"

	"github.com/lumbunghq/lumbung/collections"
	"github.com/lumbunghq/lumbung/server/auth"
)

func TestStartOAuth2(t *testing.T) {
	p := &collections.OAuth2Provider{Name: "oidc", ClientID: "client", AuthURL: "https://id.example/authorize?prompt=login"}
	s := auth.StartOAuth2(p)
	if !strings.HasSuffix(s.AuthURL, "&redirect_uri=") || !strings.HasPrefix(s.AuthURL, p.AuthURL+"&") {
		t.Fatalf("authURL %q", s.AuthURL)
	}
	u, err := url.Parse(s.AuthURL)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	sum := sha256.Sum256([]byte(s.CodeVerifier))
	challenge := base64.RawURLEncoding.EncodeToString(sum[:])
	for k, want := range map[string]string{"client_id": "client", "response_type": "code", "scope": "openid email profile",
		"state": s.State, "code_challenge": challenge, "code_challenge_method": "S256", "prompt": "login"} {
		if q.Get(k) != want {
			t.Errorf("%s = %q, want %q", k, q.Get(k), want)
		}
	}
	if len(s.CodeVerifier) < 43 || s.DisplayName != "OIDC" || !s.PKCE || s.CodeChallenge != challenge {
		t.Fatalf("start %+v", s)
	}
	if other := auth.StartOAuth2(p); other.State == s.State || other.CodeVerifier == s.CodeVerifier {
		t.Fatal("state and verifier repeat")
	}
	off := false
	p.PKCE = &off
	if s := auth.StartOAuth2(p); s.CodeVerifier != "" || strings.Contains(s.AuthURL, "code_challenge") {
		t.Fatalf("pkce off: %+v", s)
	}
}
