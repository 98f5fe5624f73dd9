package auth_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/lumbunghq/lumbung/collections"
	"github.com/lumbunghq/lumbung/server/auth"
)

// fakeProvider is a provider's token and user info endpoints on loopback:
// the token endpoint answers token (a JSON body) for the code "good" and
// checks the client's credentials; the user info endpoint answers user for
// the access token "at-1".
type fakeProvider struct {
	*httptest.Server
	basicAuth bool // the client must send Basic credentials
}

func MustFakeProvider(tb testing.TB, token, user string, basicAuth bool) *fakeProvider {
	tb.Helper()
	f := &fakeProvider{basicAuth: basicAuth}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm() //nolint:errcheck // checked through the values
		id, secret, basic := r.BasicAuth()
		if !basic {
			id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
		}
		switch {
		case basic != f.basicAuth || id != "client-1" || secret != "secret-1":
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"error": "invalid_client"}`)
		case r.PostForm.Get("code") != "good" || r.PostForm.Get("grant_type") != "authorization_code":
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `{"error": "invalid_grant"}`)
		default:
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, token)
		}
	})
	mux.HandleFunc("GET /me", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer at-1" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		fmt.Fprint(w, user)
	})
	f.Server = httptest.NewServer(mux)
	tb.Cleanup(f.Close)
	return f
}

// provider is name pointed at the fake's endpoints.
func (f *fakeProvider) provider(name string) *collections.OAuth2Provider {
	return &collections.OAuth2Provider{Name: name, ClientID: "client-1", ClientSecret: "secret-1",
		TokenURL: f.URL + "/token", UserInfoURL: f.URL + "/me"}
}

const plainToken = `{"access_token": "at-1", "token_type": "Bearer", "expires_in": 3600, "refresh_token": "rt-1"}`

// TestOAuth2ProviderUsers maps each built-in provider's user info as
// PocketBase does, with the email verified only where the provider says so.
func TestOAuth2ProviderUsers(t *testing.T) {
	for _, tc := range []struct {
		name, user string
		want       auth.OAuth2User
		verified   bool
	}{
		{name: "microsoft", user: `{"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users/$entity", "businessPhones": [],
			"displayName": "Adele Vance", "givenName": "Adele", "mail": "AdeleV@contoso.example", "surname": "Vance",
			"userPrincipalName": "AdeleV@contoso.example", "id": "87d349ed-44d7-43e1-9a83-5f2406dee5bd"}`,
			want: auth.OAuth2User{ID: "87d349ed-44d7-43e1-9a83-5f2406dee5bd", Name: "Adele Vance", Email: "AdeleV@contoso.example"}},
		{name: "discord", user: `{"id": "80351110224678912", "username": "nelly", "discriminator": "0", "global_name": "Nelly",
			"avatar": "8342729096ea3675442027381ff50dfe", "verified": true, "email": "nelly@discord.example", "flags": 64}`,
			want: auth.OAuth2User{ID: "80351110224678912", Name: "Nelly", Username: "nelly", Email: "nelly@discord.example",
				AvatarURL: "https://cdn.discordapp.com/avatars/80351110224678912/8342729096ea3675442027381ff50dfe.png"}, verified: true},
		{name: "discord", user: `{"id": "1", "username": "old", "discriminator": "1337", "global_name": null, "avatar": null,
			"verified": false, "email": "old@discord.example"}`,
			want: auth.OAuth2User{ID: "1", Name: "old#1337", Username: "old", Email: "old@discord.example"}},
		{name: "gitlab", user: `{"id": 1, "username": "john_smith", "name": "John Smith", "email": "john@gitlab.example",
			"avatar_url": "https://gitlab.example/uploads/user/avatar/1/index.jpg", "confirmed_at": "2012-05-23T09:05:22Z"}`,
			want: auth.OAuth2User{ID: "1", Name: "John Smith", Username: "john_smith", Email: "john@gitlab.example",
				AvatarURL: "https://gitlab.example/uploads/user/avatar/1/index.jpg"}, verified: true},
		{name: "gitlab", user: `{"id": 2, "username": "new", "name": "New", "email": "new@gitlab.example", "confirmed_at": null}`,
			want: auth.OAuth2User{ID: "2", Name: "New", Username: "new", Email: "new@gitlab.example"}},
		{name: "facebook", user: `{"name": "Jane Doe", "email": "jane@facebook.example",
			"picture": {"data": {"height": 200, "is_silhouette": false, "url": "https://platform-lookaside.fbsbx.example/p.jpg", "width": 200}},
			"id": "10158290000000000"}`,
			want: auth.OAuth2User{ID: "10158290000000000", Name: "Jane Doe", Email: "jane@facebook.example",
				AvatarURL: "https://platform-lookaside.fbsbx.example/p.jpg"}},
		{name: "twitter", user: `{"data": {"id": "2244994945", "name": "X Dev", "username": "XDevelopers",
			"profile_image_url": "https://pbs.twimg.example/p_normal.jpg", "confirmed_email": "dev@x.example"}}`,
			want: auth.OAuth2User{ID: "2244994945", Name: "X Dev", Username: "XDevelopers", Email: "dev@x.example",
				AvatarURL: "https://pbs.twimg.example/p_normal.jpg"}, verified: true},
	} {
		t.Run(tc.name+"/"+tc.want.ID, func(t *testing.T) {
			pre, _ := collections.OAuth2PresetFor(tc.name)
			f := MustFakeProvider(t, plainToken, tc.user, pre.BasicAuth)
			u, err := (&auth.OAuth2Client{}).Authenticate(context.Background(), f.provider(tc.name), "good", "v", "http://app.test/cb")
			if err != nil {
				t.Fatal(err)
			}
			if u.ID != tc.want.ID || u.Name != tc.want.Name || u.Username != tc.want.Username || u.Email != tc.want.Email ||
				u.AvatarURL != tc.want.AvatarURL || u.EmailVerified != tc.verified {
				t.Fatalf("user %+v\nwant %+v (verified %v)", u, tc.want, tc.verified)
			}
			if u.AccessToken != "at-1" || u.RefreshToken != "rt-1" || u.Expiry == "" || len(u.RawUser) == 0 {
				t.Fatalf("tokens %+v", u)
			}
		})
	}
}

// TestOAuth2ProviderFailures: every way a provider can fail is ErrOAuth2
// (the API's 400), never a panic or another error.
func TestOAuth2ProviderFailures(t *testing.T) {
	for _, tc := range []struct {
		name, provider, token, user, code string
	}{
		{name: "bad code", provider: "discord", token: plainToken, user: `{"id": "1"}`, code: "bad"},
		{name: "html token answer", provider: "gitlab", token: `<html>oops</html>`, user: `{"id": 1}`, code: "good"},
		{name: "token without access token", provider: "microsoft", token: `{"token_type": "Bearer"}`, user: `{"id": "1"}`, code: "good"},
		{name: "html user", provider: "facebook", token: plainToken, user: `<html>rate limited</html>`, code: "good"},
		{name: "user is a list", provider: "gitlab", token: plainToken, user: `[1, 2]`, code: "good"},
		{name: "no id", provider: "twitter", token: plainToken, user: `{"errors": [{"title": "Unauthorized"}]}`, code: "good"},
		{name: "apple without id token", provider: "apple", token: plainToken, code: "good"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pre, _ := collections.OAuth2PresetFor(tc.provider)
			f := MustFakeProvider(t, tc.token, tc.user, pre.BasicAuth)
			u, err := (&auth.OAuth2Client{}).Authenticate(context.Background(), f.provider(tc.provider), tc.code, "", "http://app.test/cb")
			if !errors.Is(err, auth.ErrOAuth2) {
				t.Fatalf("err %v, user %+v", err, u)
			}
			if strings.Contains(err.Error(), "secret-1") || strings.Contains(err.Error(), "at-1") {
				t.Fatalf("the error names a secret: %v", err)
			}
		})
	}
	// X wants Basic credentials: a form-only client is refused by the fake,
	// so a preset that sent them in the form would fail here.
	f := MustFakeProvider(t, plainToken, `{"data": {"id": "9"}}`, true)
	if _, err := (&auth.OAuth2Client{}).Authenticate(context.Background(), f.provider("twitter"), "good", "v", "http://app.test/cb"); err != nil {
		t.Fatalf("twitter with basic credentials: %v", err)
	}
	if _, err := (&auth.OAuth2Client{}).Authenticate(context.Background(), f.provider("gitlab"), "good", "v", "http://app.test/cb"); !errors.Is(err, auth.ErrOAuth2) {
		t.Fatalf("gitlab sends its credentials in the form: %v", err)
	}
}

// appleIDToken signs claims as Apple's ID tokens are (the signature is not
// what the client checks: the token comes from the token endpoint).
func appleIDToken(tb testing.TB, claims jwt.MapClaims) string {
	tb.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	s, err := jwt.NewWithClaims(jwt.SigningMethodES256, claims).SignedString(key)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// TestOAuth2AppleUser reads Apple's user from the ID token: sub, email,
// email_verified as a boolean or a quoted one; the audience must be the
// client and the token unexpired.
func TestOAuth2AppleUser(t *testing.T) {
	now := time.Now()
	for _, tc := range []struct {
		name     string
		claims   jwt.MapClaims
		verified bool
		wantErr  bool
	}{
		{name: "verified as text", claims: jwt.MapClaims{"iss": "https://appleid.apple.com", "aud": "client-1", "sub": "001234.abcd.0123",
			"email": "x@privaterelay.appleid.example", "email_verified": "true", "exp": now.Add(time.Hour).Unix(), "iat": now.Unix()}, verified: true},
		{name: "verified as bool", claims: jwt.MapClaims{"aud": "client-1", "sub": "001234.abcd.0123", "email": "x@privaterelay.appleid.example",
			"email_verified": true, "exp": now.Add(time.Hour).Unix()}, verified: true},
		{name: "unverified", claims: jwt.MapClaims{"aud": "client-1", "sub": "001234.abcd.0123", "email": "x@privaterelay.appleid.example",
			"email_verified": "false", "exp": now.Add(time.Hour).Unix()}},
		{name: "another client's token", claims: jwt.MapClaims{"aud": "client-2", "sub": "001234.abcd.0123", "exp": now.Add(time.Hour).Unix()}, wantErr: true},
		{name: "expired", claims: jwt.MapClaims{"aud": "client-1", "sub": "001234.abcd.0123", "exp": now.Add(-time.Hour).Unix()}, wantErr: true},
		{name: "no expiry", claims: jwt.MapClaims{"aud": "client-1", "sub": "001234.abcd.0123"}, wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tok, _ := json.Marshal(map[string]any{"access_token": "at-1", "token_type": "Bearer", "expires_in": 3600,
				"refresh_token": "rt-1", "id_token": appleIDToken(t, tc.claims)})
			f := MustFakeProvider(t, string(tok), "", false)
			p := f.provider("apple")
			p.UserInfoURL = "" // Apple has none
			u, err := (&auth.OAuth2Client{}).Authenticate(context.Background(), p, "good", "v", "http://app.test/cb")
			if tc.wantErr {
				if !errors.Is(err, auth.ErrOAuth2) {
					t.Fatalf("err %v, user %+v", err, u)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if u.ID != "001234.abcd.0123" || u.Email != "x@privaterelay.appleid.example" || u.EmailVerified != tc.verified {
				t.Fatalf("user %+v", u)
			}
		})
	}
}

// TestOAuth2PresetURLs: Apple's authorization URL asks for form_post, each
// built-in provider reports its logo and a PKCE challenge.
func TestOAuth2PresetURLs(t *testing.T) {
	for _, p := range collections.OAuth2Presets() {
		if p.AuthURL == "" {
			continue // the oidc names: endpoints come from the collection
		}
		s := auth.StartOAuth2(&collections.OAuth2Provider{Name: p.Name, ClientID: "c"})
		u, err := url.Parse(s.AuthURL)
		if err != nil {
			t.Fatal(err)
		}
		q := u.Query()
		if !strings.HasPrefix(s.Logo, "<svg") || s.DisplayName != p.DisplayName || q.Get("code_challenge") == "" || s.AuthURLLegacy != s.AuthURL {
			t.Errorf("%s: %+v", p.Name, s)
		}
		if (q.Get("response_mode") == "form_post") != (p.Name == "apple") {
			t.Errorf("%s: response_mode %q", p.Name, q.Get("response_mode"))
		}
	}
}

// TestAppleClientSecret makes the JWT Apple's token endpoint asks for.
func TestAppleClientSecret(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	pemKey := string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	in := auth.AppleSecretInput{ClientID: "com.example.app", TeamID: "ABCDE12345", KeyID: "KEY1234567", PrivateKey: pemKey, Duration: 3600}
	if errs := in.Validate(); len(errs) > 0 {
		t.Fatalf("valid input refused: %v", errs)
	}
	now := time.Unix(1_700_000_000, 0)
	secret, err := auth.AppleClientSecret(in, now)
	if err != nil {
		t.Fatal(err)
	}
	claims := jwt.RegisteredClaims{}
	tok, err := jwt.ParseWithClaims(secret, &claims, func(*jwt.Token) (any, error) { return &key.PublicKey, nil },
		jwt.WithValidMethods([]string{"ES256"}), jwt.WithTimeFunc(func() time.Time { return now }))
	if err != nil {
		t.Fatal(err)
	}
	if tok.Header["kid"] != "KEY1234567" || claims.Issuer != "ABCDE12345" || claims.Subject != "com.example.app" ||
		len(claims.Audience) != 1 || claims.Audience[0] != "https://appleid.apple.com" ||
		!claims.IssuedAt.Equal(now) || !claims.ExpiresAt.Equal(now.Add(time.Hour)) {
		t.Fatalf("secret %v %+v", tok.Header, claims)
	}

	bad := auth.AppleSecretInput{TeamID: "short", KeyID: "KEY1234567", PrivateKey: "not a key", Duration: auth.AppleSecretMaxDuration + 1}
	errs := bad.Validate()
	for field, code := range map[string]string{"clientId": "validation_required", "teamId": "validation_length_invalid",
		"privateKey": "validation_match_invalid", "duration": "validation_max_less_equal_than_required"} {
		if errs[field].Code != code {
			t.Errorf("%s: %+v, want %s", field, errs[field], code)
		}
	}
	if _, ok := errs["keyId"]; ok || len(errs) != 4 {
		t.Errorf("errors %v", errs)
	}
	in.PrivateKey = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----"
	if _, err := auth.AppleClientSecret(in, now); err == nil {
		t.Fatal("a key that does not parse made a secret")
	}
}
