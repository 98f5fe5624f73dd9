package api_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/lumbunghq/lumbung/server"
)

// TestOAuth2AppleName: Apple posts the user's name to the redirect on the
// first sign-in only (not in its ID token); auth-with-oauth2 with that code
// gives it to the new record, as in PocketBase.
func TestOAuth2AppleName(t *testing.T) {
	t.Parallel()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	idToken, err := jwt.NewWithClaims(jwt.SigningMethodES256, jwt.MapClaims{
		"iss": "https://appleid.apple.com", "aud": "com.example.app", "sub": "001234.apple.0001",
		"email": "ada@privaterelay.appleid.example", "email_verified": "true",
		"exp": time.Now().Add(time.Hour).Unix(), "iat": time.Now().Unix(),
	}).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	apple := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm() //nolint:errcheck // checked through the values
		if r.URL.Path != "/auth/token" || r.PostForm.Get("code") != "apple-code" || r.PostForm.Get("client_secret") != "apple-jwt" {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `{"error": "invalid_grant"}`)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"access_token": "a", "token_type": "Bearer", "expires_in": 3600, "id_token": idToken}) //nolint:errcheck
	}))
	defer apple.Close()

	e := MustEnv(t, func(c *server.Config) { c.HTTPAddr = "127.0.0.1:0" })
	addr := MustServe(t, e)
	e.MustJSON("PATCH", "/api/collections/users", "", `{"oauth2": {"enabled": true, "mappedFields": {"name": "name"}, "providers": [
		{"name": "apple", "clientId": "com.example.app", "clientSecret": "apple-jwt", "tokenURL": "`+apple.URL+`/auth/token"}]}}`, 200, nil)

	s := MustStream(t, addr)
	s.subscribe("", s.id, "@oauth2")
	st, page := redirectFrom(t, addr, "127.0.0.1", "POST", url.Values{"state": {s.id}, "code": {"apple-code"},
		"user": {`{"name": {"firstName": "Ada", "lastName": "Lovelace"}, "email": "ada@privaterelay.appleid.example"}`}})
	if st != 200 || !strings.Contains(page, redirectOK) {
		t.Fatalf("redirect: %d %s", st, page)
	}
	var msg struct{ State, Code string }
	if ev := s.next(); json.Unmarshal([]byte(ev.Data), &msg) != nil || msg.Code != "apple-code" || strings.Contains(ev.Data, "Ada") {
		t.Fatalf("message %+v", ev)
	}
	var got struct {
		Record map[string]any
		Meta   struct {
			ID, Name string
			IsNew    bool
		}
	}
	e.MustJSON("POST", "/api/collections/users/auth-with-oauth2", "-",
		`{"provider": "apple", "code": "apple-code", "codeVerifier": "v", "redirectURL": "http://`+addr+`/api/oauth2-redirect"}`, 200, &got)
	if got.Record["name"] != "Ada Lovelace" || got.Record["email"] != "ada@privaterelay.appleid.example" || got.Record["verified"] != true ||
		got.Meta.ID != "001234.apple.0001" || got.Meta.Name != "Ada Lovelace" || !got.Meta.IsNew {
		t.Fatalf("sign-in %+v", got)
	}
}
