package api_test

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// fakeAccount is what a fake provider answers for a user: the user JSON
// (GitHub's /user, Google's userinfo) and, for GitHub, /user/emails.
type fakeAccount struct {
	User, Emails string
}

type fakeGrant struct {
	redirect, challenge string
	account             fakeAccount
}

// fakeProvider mimics GitHub's or Google's OAuth2 endpoints on loopback,
// with their paths, answers and errors.
type fakeProvider struct {
	*httptest.Server
	kind, clientID, clientSecret, scope string

	mu     sync.Mutex
	queue  []fakeAccount
	codes  map[string]fakeGrant
	tokens map[string]fakeAccount
	seq    int
}

// MustGitHub runs a fake GitHub (github.com and api.github.com) on loopback.
func MustGitHub(tb testing.TB) *fakeProvider {
	tb.Helper()
	return mustFakeProvider(tb, "github", "read:user user:email")
}

// MustGoogle runs a fake Google (accounts, oauth2 and userinfo) on loopback.
func MustGoogle(tb testing.TB) *fakeProvider {
	tb.Helper()
	return mustFakeProvider(tb, "google", "openid email profile")
}

func mustFakeProvider(tb testing.TB, kind, scope string) *fakeProvider {
	tb.Helper()
	f := &fakeProvider{kind: kind, clientID: kind + "-client", clientSecret: kind + "-secret", scope: scope,
		codes: map[string]fakeGrant{}, tokens: map[string]fakeAccount{}}
	mux := http.NewServeMux()
	if kind == "github" {
		mux.HandleFunc("GET /login/oauth/authorize", f.authorize)
		mux.HandleFunc("POST /login/oauth/access_token", f.token)
		mux.HandleFunc("GET /user", f.api(func(a fakeAccount) string { return a.User }))
		mux.HandleFunc("GET /user/emails", f.api(func(a fakeAccount) string { return a.Emails }))
	} else {
		mux.HandleFunc("GET /o/oauth2/v2/auth", f.authorize)
		mux.HandleFunc("POST /token", f.token)
		mux.HandleFunc("GET /oauth2/v3/userinfo", f.api(func(a fakeAccount) string { return a.User }))
	}
	f.Server = httptest.NewServer(mux)
	tb.Cleanup(f.Close)
	return f
}

// Provider is the collection's provider entry for f: the preset's name
// and client, with the endpoints on loopback.
func (f *fakeProvider) Provider() string {
	paths := map[string][3]string{
		"github": {"/login/oauth/authorize", "/login/oauth/access_token", "/user"},
		"google": {"/o/oauth2/v2/auth", "/token", "/oauth2/v3/userinfo"},
	}[f.kind]
	return fmt.Sprintf(`{"name": %q, "clientId": %q, "clientSecret": %q, "authURL": %q, "tokenURL": %q, "userInfoURL": %q}`,
		f.kind, f.clientID, f.clientSecret, f.URL+paths[0], f.URL+paths[1], f.URL+paths[2])
}

// Queue makes a the user of the next authorization.
func (f *fakeProvider) Queue(a fakeAccount) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.queue = append(f.queue, a)
}

func (f *fakeProvider) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	redirect, err := url.Parse(q.Get("redirect_uri"))
	if q.Get("client_id") != f.clientID || q.Get("scope") != f.scope || q.Get("state") == "" || err != nil || redirect.Host == "" ||
		(f.kind == "google" && q.Get("response_type") != "code") {
		http.Error(w, "invalid authorization request", http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	if len(f.queue) == 0 {
		f.mu.Unlock()
		http.Error(w, "no user queued", http.StatusInternalServerError)
		return
	}
	f.seq++
	code := fmt.Sprintf("%s-code-%d", f.kind, f.seq)
	f.codes[code] = fakeGrant{redirect: q.Get("redirect_uri"), challenge: q.Get("code_challenge"), account: f.queue[0]}
	f.queue = f.queue[1:]
	f.mu.Unlock()
	back := redirect.Query()
	back.Set("code", code)
	back.Set("state", q.Get("state"))
	redirect.RawQuery = back.Encode()
	http.Redirect(w, r, redirect.String(), http.StatusFound)
}

func (f *fakeProvider) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	grant, ok := f.codes[r.PostForm.Get("code")]
	delete(f.codes, r.PostForm.Get("code"))
	sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
	ok = ok && r.PostForm.Get("client_id") == f.clientID && r.PostForm.Get("client_secret") == f.clientSecret &&
		r.PostForm.Get("redirect_uri") == grant.redirect &&
		(grant.challenge == "" || grant.challenge == base64.RawURLEncoding.EncodeToString(sum[:]))
	f.seq++
	access := fmt.Sprintf("%s-token-%d", f.kind, f.seq)
	if ok {
		f.tokens[access] = grant.account
	}
	f.mu.Unlock()

	if f.kind == "github" {
		// GitHub answers 200 even for a bad code, and form-encoded unless
		// asked for JSON.
		answer := map[string]string{"access_token": access, "token_type": "bearer", "scope": "read:user,user:email"}
		if !ok {
			answer = map[string]string{"error": "bad_verification_code", "error_description": "The code passed is incorrect or expired.",
				"error_uri": "https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors/#bad-verification-code"}
		}
		if !strings.Contains(r.Header.Get("Accept"), "application/json") {
			form := url.Values{}
			for k, v := range answer {
				form.Set(k, v)
			}
			w.Header().Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
			fmt.Fprint(w, form.Encode())
			return
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		json.NewEncoder(w).Encode(answer) //nolint:errcheck
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	if !ok {
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprint(w, `{"error": "invalid_grant", "error_description": "Bad Request"}`)
		return
	}
	var claims jwt.MapClaims
	if err := json.Unmarshal([]byte(grant.account.User), &claims); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	claims["iss"], claims["aud"], claims["azp"] = "https://accounts.google.com", f.clientID, f.clientID
	claims["iat"], claims["exp"] = time.Now().Unix(), time.Now().Add(time.Hour).Unix()
	idToken, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString([]byte("not google's key"))
	json.NewEncoder(w).Encode(map[string]any{"access_token": access, "expires_in": 3599, "token_type": "Bearer", //nolint:errcheck
		"scope": "openid https://www.googleapis.com/auth/userinfo.email https://www.googleapis.com/auth/userinfo.profile", "id_token": idToken})
}

// api serves a user endpoint to the holder of an access token.
func (f *fakeProvider) api(body func(fakeAccount) string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		if f.kind == "github" && r.Header.Get("User-Agent") == "" {
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprint(w, `{"message": "Request forbidden by administrative rules. Please make sure your request has a User-Agent header."}`)
			return
		}
		f.mu.Lock()
		a, ok := f.tokens[strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")]
		f.mu.Unlock()
		if !ok {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest", "status": "401"}`)
			return
		}
		fmt.Fprint(w, body(a))
	}
}

// githubAccount is a GitHub user with a private email (null in /user) and
// the addresses of /user/emails.
func githubAccount(id int64, login, name string, primary string, verified bool, more ...string) fakeAccount {
	user := fmt.Sprintf(`{"login": %q, "id": %d, "node_id": "MDQ6VXNlcjE=", "avatar_url": "https://avatars.githubusercontent.com/u/%d?v=4",
		"html_url": "https://github.com/%s", "type": "User", "site_admin": false, "name": %q, "company": null, "blog": "",
		"location": null, "email": null, "bio": null, "public_repos": 8, "followers": 20, "following": 0,
		"created_at": "2011-01-25T18:44:36Z", "updated_at": "2024-05-01T10:00:00Z"}`, login, id, id, login, name)
	emails := []map[string]any{{"email": primary, "primary": true, "verified": verified, "visibility": "private"}}
	for _, e := range more {
		emails = append(emails, map[string]any{"email": e, "primary": false, "verified": true, "visibility": nil})
	}
	b, _ := json.Marshal(emails)
	return fakeAccount{User: user, Emails: string(b)}
}

func googleAccount(sub, name, email string, verified bool) fakeAccount {
	return fakeAccount{User: fmt.Sprintf(`{"sub": %q, "name": %q, "given_name": %q, "family_name": "Tester",
		"picture": "https://lh3.googleusercontent.com/a/%s=s96-c", "email": %q, "email_verified": %t, "hd": "example.com"}`,
		sub, name, strings.Fields(name)[0], sub, email, verified)}
}

func TestOAuth2Presets(t *testing.T) {
	t.Parallel()
	e := MustEnv(t)
	// Only the name and the client: the preset fills in the rest.
	e.MustJSON("PATCH", "/api/collections/users", "", `{"oauth2": {"enabled": true, "providers": [
		{"name": "github", "clientId": "gh-id", "clientSecret": "gh-secret"},
		{"name": "google", "clientId": "g-id", "clientSecret": "g-secret"}]}}`, 200, nil)
	ps := oauth2Providers(t, e)
	if len(ps) != 2 {
		t.Fatalf("providers %+v", ps)
	}
	for i, want := range []struct{ name, display, authURL, scope string }{
		{"github", "GitHub", "https://github.com/login/oauth/authorize?", "read:user user:email"},
		{"google", "Google", "https://accounts.google.com/o/oauth2/v2/auth?", "openid email profile"},
	} {
		p := ps[i]
		u, err := url.Parse(p.AuthURL)
		if err != nil {
			t.Fatal(err)
		}
		if p.Name != want.name || p.DisplayName != want.display || !strings.HasPrefix(p.AuthURL, want.authURL) ||
			u.Query().Get("scope") != want.scope || p.CodeChallengeMethod != "S256" || !strings.HasSuffix(p.AuthURL, "&redirect_uri=") {
			t.Errorf("provider %+v", p)
		}
	}
	e.Run(t, []scenario{
		{Name: "stored as written", Method: "GET", URL: "/api/collections/users", ExpectedStatus: 200,
			ExpectedContent: []string{`{"name":"github","displayName":"","clientId":"gh-id","clientSecret":"gh-secret","authURL":"","tokenURL":"","userInfoURL":"","pkce":null}`}},
		{Name: "explicit endpoints must be URLs", Method: "PATCH", URL: "/api/collections/users",
			Body: `{"oauth2": {"providers": [{"name": "github", "clientId": "c", "tokenURL": "nope"}]}}`, ExpectedStatus: 400,
			ExpectedContent: []string{`"providers":{"0":{"tokenURL":{"code":"validation_is_url","message":"Must be an http or https URL."}}}`}},
		{Name: "the oidc names need endpoints", Method: "PATCH", URL: "/api/collections/users",
			Body: `{"oauth2": {"providers": [{"name": "oidc", "clientId": "c"}]}}`, ExpectedStatus: 400,
			ExpectedContent: []string{`"providers":{"0":{"authURL":{"code":"validation_is_url"`, `"userInfoURL":{"code":"validation_is_url"`}},
		{Name: "apple needs no user info endpoint", Method: "PATCH", URL: "/api/collections/users",
			Body: `{"oauth2": {"providers": [{"name": "apple", "clientId": "c", "clientSecret": "jwt"}]}}`, ExpectedStatus: 200},
		{Name: "other names need endpoints", Method: "PATCH", URL: "/api/collections/users",
			Body: `{"oauth2": {"providers": [{"name": "acme", "clientId": "c"}]}}`, ExpectedStatus: 400,
			ExpectedContent: []string{`"providers":{"0":{"authURL":{"code":"validation_is_url"`, `"userInfoURL":{"code":"validation_is_url"`}},
	})
}

func TestOAuth2GitHub(t *testing.T) {
	t.Parallel()
	e := MustEnv(t)
	gh := MustGitHub(t)
	e.MustJSON("PATCH", "/api/collections/users", "", `{"oauth2": {"enabled": true, "mappedFields": {"name": "name"}, "providers": [`+gh.Provider()+`]}}`, 200, nil)
	signIn := func(a fakeAccount, createData map[string]any, status int) oauth2Answer {
		t.Helper()
		gh.Queue(a)
		code, verifier := oauth2Code(t, e, "github")
		var out oauth2Answer
		e.MustJSON("POST", "/api/collections/users/auth-with-oauth2", "-", oauth2BodyFor("github", code, verifier, createData), status, &out)
		return out
	}

	// A new GitHub user with a private email: the verified primary address
	// of /user/emails, the numeric id as written.
	first := signIn(githubAccount(10000001, "octocat", "The Octocat", "octo@example.com", true, "old@example.com"), nil, 200)
	if !first.Meta.IsNew || first.Meta.ID != "10000001" || first.Meta.Username != "octocat" || first.Meta.Email != "octo@example.com" || first.Meta.AccessToken == "" {
		t.Fatalf("meta %+v", first.Meta)
	}
	if first.Record["email"] != "octo@example.com" || first.Record["verified"] != true || first.Record["name"] != "The Octocat" {
		t.Fatalf("record %v", first.Record)
	}

	// The same GitHub user signs in to the same record.
	again := signIn(githubAccount(10000001, "octocat", "The Octocat", "octo@example.com", true), nil, 200)
	if again.Meta.IsNew || again.Record["id"] != first.Record["id"] {
		t.Fatalf("second sign-in: new %v, record %v", again.Meta.IsNew, again.Record["id"])
	}

	// A verified primary address links the record with that email.
	bob := MustUser(t, e, "bob@example.com", "bob password")
	linked := signIn(githubAccount(583231, "bob", "Bob", "bob@example.com", true), nil, 200)
	if linked.Meta.IsNew || linked.Record["id"] != bob || linked.Record["verified"] != true {
		t.Fatalf("linked: new %v, record %v", linked.Meta.IsNew, linked.Record)
	}

	// An unverified primary address links nothing, even when another
	// address of the account is verified.
	carol := MustUser(t, e, "carol@example.com", "carol password")
	mallory := githubAccount(666, "mallory", "Mallory", "carol@example.com", false, "mallory@example.com")
	gh.Queue(mallory)
	code, verifier := oauth2Code(t, e, "github")
	e.Run(t, []scenario{{Name: "unverified primary email of another account", Method: "POST", URL: "/api/collections/users/auth-with-oauth2", Token: "-",
		Body: oauth2BodyFor("github", code, verifier, nil), ExpectedStatus: 400, ExpectedContent: []string{`"email":{"code":"validation_required"`}}})
	other := signIn(mallory, map[string]any{"email": "mallory@example.com"}, 200)
	if !other.Meta.IsNew || other.Record["id"] == carol || other.Record["email"] != "mallory@example.com" || other.Record["verified"] != false {
		t.Fatalf("unverified primary: new %v, record %v", other.Meta.IsNew, other.Record)
	}

	var links struct {
		Items []struct{ Provider, ProviderID string }
	}
	e.MustJSON("GET", "/api/collections/_externalAuths/records?sort=providerId", "", "", 200, &links)
	if got := fmt.Sprint(links.Items); got != "[{github 10000001} {github 583231} {github 666}]" {
		t.Fatalf("external auths %s", got)
	}

	gh.Queue(githubAccount(1, "x", "X", "x@example.com", true))
	code, verifier = oauth2Code(t, e, "github")
	e.Run(t, []scenario{
		{Name: "GitHub rejects a wrong code with status 200", Method: "POST", URL: "/api/collections/users/auth-with-oauth2", Token: "-",
			Body: oauth2BodyFor("github", "not-a-code", verifier, nil), ExpectedStatus: 400,
			ExpectedContent: []string{`Failed to authenticate with the OAuth2 provider.`}},
		{Name: "a code works once", Method: "POST", URL: "/api/collections/users/auth-with-oauth2", Token: "-",
			Body: oauth2BodyFor("github", code, verifier, nil), ExpectedStatus: 200},
		{Name: "and is refused after", Method: "POST", URL: "/api/collections/users/auth-with-oauth2", Token: "-",
			Body: oauth2BodyFor("github", code, verifier, nil), ExpectedStatus: 400},
	})
}

func TestOAuth2Google(t *testing.T) {
	t.Parallel()
	e := MustEnv(t)
	g := MustGoogle(t)
	e.MustJSON("PATCH", "/api/collections/users", "", `{"oauth2": {"enabled": true, "mappedFields": {"name": "name"}, "providers": [`+g.Provider()+`]}}`, 200, nil)

	g.Queue(googleAccount("104729384756102938475", "Jane Doe", "jane@example.com", true))
	code, verifier := oauth2Code(t, e, "google")
	var first oauth2Answer
	e.MustJSON("POST", "/api/collections/users/auth-with-oauth2", "-", oauth2BodyFor("google", code, verifier, nil), 200, &first)
	if !first.Meta.IsNew || first.Meta.ID != "104729384756102938475" || first.Meta.Email != "jane@example.com" {
		t.Fatalf("meta %+v", first.Meta)
	}
	if first.Record["email"] != "jane@example.com" || first.Record["verified"] != true || first.Record["name"] != "Jane Doe" {
		t.Fatalf("record %v", first.Record)
	}

	// An unverified Google email does not link the record that has it.
	dave := MustUser(t, e, "dave@example.com", "dave password")
	g.Queue(googleAccount("200", "Eve Tester", "dave@example.com", false))
	code, verifier = oauth2Code(t, e, "google")
	var eve oauth2Answer
	e.MustJSON("POST", "/api/collections/users/auth-with-oauth2", "-", oauth2BodyFor("google", code, verifier, map[string]any{"email": "eve@example.com"}), 200, &eve)
	if !eve.Meta.IsNew || eve.Record["id"] == dave || eve.Record["verified"] != false {
		t.Fatalf("unverified email: new %v, record %v", eve.Meta.IsNew, eve.Record)
	}

	g.Queue(googleAccount("300", "Jane Doe", "jane@example.com", true))
	code, _ = oauth2Code(t, e, "google")
	e.Run(t, []scenario{
		{Name: "PKCE: the code needs its verifier", Method: "POST", URL: "/api/collections/users/auth-with-oauth2", Token: "-",
			Body: oauth2BodyFor("google", code, "", nil), ExpectedStatus: 400},
	})
}
