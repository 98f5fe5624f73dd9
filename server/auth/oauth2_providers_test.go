package auth_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/lumbunghq/lumbung/collections"
	"github.com/lumbunghq/lumbung/server/auth"
)

func TestOAuth2Presets(t *testing.T) {
	for _, tc := range []struct {
		provider         collections.OAuth2Provider
		display, authURL string
		scope            string
		pkce             bool
	}{
		{collections.OAuth2Provider{Name: "github", ClientID: "c"}, "GitHub", "https://github.com/login/oauth/authorize?", "read:user user:email", true},
		{collections.OAuth2Provider{Name: "google", ClientID: "c"}, "Google", "https://accounts.google.com/o/oauth2/v2/auth?", "openid email profile", true},
		// What the collection sets wins over the preset.
		{collections.OAuth2Provider{Name: "github", ClientID: "c", DisplayName: "GHE", AuthURL: "http://127.0.0.1:9/authorize", Scopes: []string{"read:user"}, PKCE: new(false)},
			"GHE", "http://127.0.0.1:9/authorize?", "read:user", false},
		// Other names have no preset.
		{collections.OAuth2Provider{Name: "acme", ClientID: "c", AuthURL: "https://id.acme.test/auth"}, "acme", "https://id.acme.test/auth?", "openid email profile", true},
	} {
		t.Run(tc.provider.Name+"/"+tc.display, func(t *testing.T) {
			p := tc.provider
			s := auth.StartOAuth2(&p)
			if s.DisplayName != tc.display || s.PKCE != tc.pkce || !strings.HasPrefix(s.AuthURL, tc.authURL) {
				t.Fatalf("start %+v", s)
			}
			u, err := url.Parse(s.AuthURL)
			if err != nil {
				t.Fatal(err)
			}
			if q := u.Query(); q.Get("scope") != tc.scope || (q.Get("code_challenge") != "") != tc.pkce {
				t.Fatalf("query %v", q)
			}
			if p.AuthURL != tc.provider.AuthURL || p.DisplayName != tc.provider.DisplayName || len(p.Scopes) != len(tc.provider.Scopes) {
				t.Fatalf("the collection's provider changed: %+v", p)
			}
		})
	}
	names := []string{}
	for _, p := range collections.OAuth2Presets() {
		endpoints := p.AuthURL != "" || p.TokenURL != "" || p.UserInfoURL != ""
		// Apple's user is in its ID token; the oidc names bring no endpoints.
		if p.DisplayName == "" || !strings.HasPrefix(p.Logo, "<svg") || (endpoints && (!strings.HasPrefix(p.AuthURL, "https://") ||
			!strings.HasPrefix(p.TokenURL, "https://") || (p.Name != "apple" && !strings.HasPrefix(p.UserInfoURL, "https://")))) {
			t.Errorf("preset %+v", p)
		}
		names = append(names, p.Name)
	}
	// PocketBase's order.
	if strings.Join(names, ",") != "apple,google,microsoft,facebook,github,gitlab,discord,twitter,oidc,oidc2,oidc3" {
		t.Fatalf("presets %v", names)
	}
}

// TestGitHubUser checks which GitHub address becomes the user's email and
// whether it counts as verified.
func TestGitHubUser(t *testing.T) {
	for _, tc := range []struct {
		name        string
		user        string // GET /user
		emails      string // GET /user/emails ("" for 404)
		emailStatus int
		wantEmail   string
		wantOK      bool
		wantErr     bool
	}{
		{name: "private email, primary verified", user: `{"id": 10000000, "login": "octo", "name": null, "email": null}`,
			emails:    `[{"email": "o@old.test", "primary": false, "verified": true}, {"email": "octo@example.com", "primary": true, "verified": true, "visibility": "private"}]`,
			wantEmail: "octo@example.com", wantOK: true},
		{name: "public email differs from the primary", user: `{"id": 10000000, "login": "octo", "email": "public@example.com"}`,
			emails:    `[{"email": "public@example.com", "primary": false, "verified": true}, {"email": "octo@example.com", "primary": true, "verified": true}]`,
			wantEmail: "octo@example.com", wantOK: true},
		{name: "primary unverified", user: `{"id": 10000000, "login": "octo", "email": null}`,
			emails:    `[{"email": "octo@example.com", "primary": true, "verified": false}, {"email": "o@old.test", "primary": false, "verified": true}]`,
			wantEmail: "octo@example.com"},
		{name: "public email, primary unverified", user: `{"id": 10000000, "login": "octo", "email": "public@example.com"}`,
			emails:    `[{"email": "public@example.com", "primary": false, "verified": true}, {"email": "octo@example.com", "primary": true, "verified": false}]`,
			wantEmail: "public@example.com"},
		{name: "no user:email scope", user: `{"id": 10000000, "login": "octo", "email": "public@example.com"}`, emailStatus: http.StatusForbidden,
			wantEmail: "public@example.com"},
		{name: "emails fail", user: `{"id": 10000000, "login": "octo", "email": null}`, emailStatus: http.StatusBadGateway, wantErr: true},
		{name: "no id", user: `{"login": "octo"}`, emails: `[]`, wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mux := http.NewServeMux()
			mux.HandleFunc("POST /login/oauth/access_token", func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				fmt.Fprint(w, `{"access_token": "gho_test", "token_type": "bearer", "scope": "read:user,user:email"}`)
			})
			api := func(body string, status int) http.HandlerFunc {
				return func(w http.ResponseWriter, r *http.Request) {
					if r.Header.Get("Authorization") != "Bearer gho_test" {
						status, body = http.StatusUnauthorized, `{"message": "Bad credentials"}`
					}
					if status != 0 {
						w.WriteHeader(status)
					}
					fmt.Fprint(w, body)
				}
			}
			mux.Handle("GET /api/v3/user", api(tc.user, 0))
			mux.Handle("GET /api/v3/user/emails", api(tc.emails, tc.emailStatus))
			srv := httptest.NewServer(mux)
			defer srv.Close()
			p := &collections.OAuth2Provider{Name: "github", ClientID: "c", ClientSecret: "s",
				TokenURL: srv.URL + "/login/oauth/access_token", UserInfoURL: srv.URL + "/api/v3/user"}
			u, err := (&auth.OAuth2Client{}).Authenticate(context.Background(), p, "code", "", "http://app.test/redirect")
			if tc.wantErr {
				if !errors.Is(err, auth.ErrOAuth2) {
					t.Fatalf("err %v, user %+v", err, u)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if u.ID != "10000000" || u.Username != "octo" || u.Email != tc.wantEmail || u.EmailVerified != tc.wantOK || u.AccessToken != "gho_test" {
				t.Fatalf("user %+v", u)
			}
		})
	}
}
