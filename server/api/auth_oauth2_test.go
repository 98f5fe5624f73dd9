package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"testing"

	"github.com/oauth2-proxy/mockoidc"
)

const oauth2Redirect = "http://app.test/redirect"

// MustOIDC runs a mock OpenID Connect provider on loopback and enables it
// on the users collection as "oidc".
func MustOIDC(tb testing.TB, e *env) *mockoidc.MockOIDC {
	tb.Helper()
	m, err := mockoidc.Run()
	if err != nil {
		tb.Fatalf("mockoidc: %v", err)
	}
	tb.Cleanup(func() { m.Shutdown() }) //nolint:errcheck
	e.MustJSON("PATCH", "/api/collections/users", "", fmt.Sprintf(`{"oauth2": {"enabled": true,
		"mappedFields": {"name": "name"},
		"providers": [{"name": "oidc", "displayName": "Mock", "clientId": %q, "clientSecret": %q,
			"authURL": %q, "tokenURL": %q, "userInfoURL": %q}]}}`,
		m.ClientID, m.ClientSecret, m.AuthorizationEndpoint(), m.TokenEndpoint(), m.UserinfoEndpoint()), 200, nil)
	return m
}

type oauth2Provider struct {
	Name, DisplayName, State, AuthURL, CodeVerifier, CodeChallengeMethod string
}

// oauth2Providers lists the OAuth2 providers of auth-methods.
func oauth2Providers(tb testing.TB, e *env) []oauth2Provider {
	tb.Helper()
	var methods struct {
		OAuth2 struct {
			Enabled   bool
			Providers []oauth2Provider
		}
	}
	e.MustJSON("GET", "/api/collections/users/auth-methods", "-", "", 200, &methods)
	if !methods.OAuth2.Enabled {
		tb.Fatalf("auth methods: %+v", methods.OAuth2)
	}
	return methods.OAuth2.Providers
}

// oauth2Code runs the browser's part of the flow with the provider named
// name: auth-methods, then the provider's authorization endpoint, which
// redirects back with a code.
func oauth2Code(tb testing.TB, e *env, name string) (code, verifier string) {
	tb.Helper()
	var p oauth2Provider
	for _, p = range oauth2Providers(tb, e) {
		if p.Name == name {
			break
		}
	}
	if p.Name != name || p.CodeVerifier == "" || p.CodeChallengeMethod != "S256" {
		tb.Fatalf("provider %+v", p)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.Get(p.AuthURL + url.QueryEscape(oauth2Redirect))
	if err != nil {
		tb.Fatal(err)
	}
	res.Body.Close()
	loc, err := url.Parse(res.Header.Get("Location"))
	if err != nil || res.StatusCode != http.StatusFound {
		tb.Fatalf("authorize: status %d, location %q", res.StatusCode, res.Header.Get("Location"))
	}
	if loc.Query().Get("state") != p.State {
		tb.Fatalf("state %q, want %q", loc.Query().Get("state"), p.State)
	}
	return loc.Query().Get("code"), p.CodeVerifier
}

func oauth2Body(code, verifier string, createData map[string]any) string {
	return oauth2BodyFor("oidc", code, verifier, createData)
}

func oauth2BodyFor(provider, code, verifier string, createData map[string]any) string {
	b, _ := json.Marshal(map[string]any{"provider": provider, "code": code, "codeVerifier": verifier, "redirectURL": oauth2Redirect, "createData": createData})
	return string(b)
}

type oauth2Answer struct {
	Token  string
	Record map[string]any
	Meta   struct {
		ID, Email, Username, AccessToken string
		IsNew                            bool
	}
}

func TestOAuth2SignIn(t *testing.T) {
	t.Parallel()
	e := MustEnv(t)
	m := MustOIDC(t, e)
	if ps := oauth2Providers(t, e); len(ps) != 1 || ps[0].Name != "oidc" || ps[0].DisplayName != "Mock" {
		t.Fatalf("providers %+v", ps)
	}

	// A new provider user becomes a new, verified record.
	m.QueueUser(&mockoidc.MockUser{Subject: "sub-jane", Email: "jane@example.com", EmailVerified: true, PreferredUsername: "jane"})
	code, verifier := oauth2Code(t, e, "oidc")
	var first oauth2Answer
	e.MustJSON("POST", "/api/collections/users/auth-with-oauth2", "-", oauth2Body(code, verifier, map[string]any{"name": "Jane"}), 200, &first)
	if !first.Meta.IsNew || first.Meta.ID != "sub-jane" || first.Meta.AccessToken == "" || first.Meta.Username != "jane" {
		t.Fatalf("meta %+v", first.Meta)
	}
	if first.Record["email"] != "jane@example.com" || first.Record["verified"] != true || first.Record["name"] != "Jane" {
		t.Fatalf("record %v", first.Record)
	}
	if c := claims(t, first.Token); c["type"] != "auth" || c["id"] != first.Record["id"] {
		t.Fatalf("claims %v", c)
	}

	// The same provider user signs in to the same record.
	m.QueueUser(&mockoidc.MockUser{Subject: "sub-jane", Email: "jane@example.com", EmailVerified: true})
	code, verifier = oauth2Code(t, e, "oidc")
	var again oauth2Answer
	e.MustJSON("POST", "/api/collections/users/auth-with-oauth2", "-", oauth2Body(code, verifier, nil), 200, &again)
	if again.Meta.IsNew || again.Record["id"] != first.Record["id"] {
		t.Fatalf("second sign-in: new %v, record %v", again.Meta.IsNew, again.Record["id"])
	}

	// A verified provider email links the existing record with that email.
	bob := MustUser(t, e, "bob@example.com", "bob password")
	m.QueueUser(&mockoidc.MockUser{Subject: "sub-bob", Email: "bob@example.com", EmailVerified: true})
	code, verifier = oauth2Code(t, e, "oidc")
	var linked oauth2Answer
	e.MustJSON("POST", "/api/collections/users/auth-with-oauth2", "-", oauth2Body(code, verifier, nil), 200, &linked)
	if linked.Meta.IsNew || linked.Record["id"] != bob || linked.Record["verified"] != true {
		t.Fatalf("linked: new %v, record %v", linked.Meta.IsNew, linked.Record)
	}

	// An unverified provider email does not take over an account: without
	// an email of its own the new record cannot be created.
	MustUser(t, e, "carol@example.com", "carol password")
	m.QueueUser(&mockoidc.MockUser{Subject: "sub-mallory", Email: "carol@example.com", EmailVerified: false})
	code, verifier = oauth2Code(t, e, "oidc")
	e.Run(t, []scenario{{Name: "unverified email of another account", Method: "POST", URL: "/api/collections/users/auth-with-oauth2", Token: "-",
		Body: oauth2Body(code, verifier, nil), ExpectedStatus: 400, ExpectedContent: []string{`"email":{"code":"validation_required"`}}})
	// With an address of its own it is a new record.
	m.QueueUser(&mockoidc.MockUser{Subject: "sub-mallory", Email: "carol@example.com", EmailVerified: false})
	code, verifier = oauth2Code(t, e, "oidc")
	var other oauth2Answer
	e.MustJSON("POST", "/api/collections/users/auth-with-oauth2", "-", oauth2Body(code, verifier, map[string]any{"email": "mallory@example.com"}), 200, &other)
	if !other.Meta.IsNew || other.Record["email"] != "mallory@example.com" || other.Record["verified"] != false {
		t.Fatalf("unverified email: new %v, record %v", other.Meta.IsNew, other.Record)
	}

	// The links are records of _externalAuths.
	var links struct{ TotalItems int }
	e.MustJSON("GET", "/api/collections/_externalAuths/records", "", "", 200, &links)
	if links.TotalItems != 3 {
		t.Fatalf("%d external auths, want 3", links.TotalItems)
	}

	code, verifier = oauth2Code(t, e, "oidc")
	e.Run(t, []scenario{
		{Name: "wrong code verifier", Method: "POST", URL: "/api/collections/users/auth-with-oauth2", Token: "-",
			Body: oauth2Body(code, "not-the-verifier-not-the-verifier-not-the-ver", nil), ExpectedStatus: 400},
		{Name: "a code works once", Method: "POST", URL: "/api/collections/users/auth-with-oauth2", Token: "-",
			Body: oauth2Body(code, verifier, nil), ExpectedStatus: 400},
		{Name: "unknown provider", Method: "POST", URL: "/api/collections/users/auth-with-oauth2", Token: "-",
			Body: `{"provider": "nope", "code": "x", "redirectURL": "http://app.test"}`, ExpectedStatus: 400, ExpectedContent: []string{`"provider":{"code":"validation_invalid_provider"`}},
		{Name: "missing code", Method: "POST", URL: "/api/collections/users/auth-with-oauth2", Token: "-",
			Body: `{"provider": "oidc", "redirectURL": "http://app.test"}`, ExpectedStatus: 400, ExpectedContent: []string{`"code":{"code":"validation_required"`}},
		{Name: "provider without endpoints", Method: "PATCH", URL: "/api/collections/users",
			Body: `{"oauth2": {"enabled": true, "providers": [{"name": "x", "clientId": "c", "authURL": "nope"}]}}`, ExpectedStatus: 400,
			ExpectedContent: []string{`"authURL":{"code":"validation_is_url"`, `"tokenURL":{`}},
		{Name: "disabled", Method: "PATCH", URL: "/api/collections/users", Body: `{"oauth2": {"enabled": false}}`, ExpectedStatus: 200},
		{Name: "no providers once disabled", Method: "GET", URL: "/api/collections/users/auth-methods", Token: "-", ExpectedStatus: 200,
			ExpectedContent: []string{`"oauth2":{"enabled":false,"providers":[]}`}},
		{Name: "sign-in refused once disabled", Method: "POST", URL: "/api/collections/users/auth-with-oauth2", Token: "-",
			Body: oauth2Body("x", "y", nil), ExpectedStatus: 400, ExpectedContent: []string{`validation_invalid_provider`}},
	})
}
