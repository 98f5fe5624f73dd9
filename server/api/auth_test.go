package api_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lumbunghq/lumbung/collections"
	"github.com/lumbunghq/lumbung/server"
	"github.com/lumbunghq/lumbung/server/localpg/pgtest"
	"github.com/lumbunghq/lumbung/server/mail/mailtest"
)

// clock is a settable clock for rate limits and sign-in throttling.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// authEnv is a server with a settable clock whose settings send mail to a
// real SMTP server on loopback.
type authEnv struct {
	*env
	clock *clock
	sink  *mailtest.Sink
}

const appURL = "http://app.test"

// MustAuthEnv starts a server with a settable clock and points its SMTP
// settings at a mailtest sink. opts adjust the server's configuration.
func MustAuthEnv(tb testing.TB, opts ...func(*server.Config)) *authEnv {
	tb.Helper()
	clk := &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	e := MustEnv(tb, append([]func(*server.Config){func(cfg *server.Config) { cfg.Clock = clk.Now }}, opts...)...)
	sink := mailtest.Start(tb)
	e.MustJSON("PATCH", "/api/settings", "", fmt.Sprintf(`{
		"meta": {"appName": "Acme", "appURL": %q, "senderName": "Acme Support", "senderAddress": "support@acme.test"},
		"smtp": {"enabled": true, "host": %q, "port": %d, "tlsMode": "none"}
	}`, appURL, sink.Host(), sink.Port()), 200, nil)
	return &authEnv{env: e, clock: clk, sink: sink}
}

// MustUser creates a user (as the superuser) and returns its id.
func MustUser(tb testing.TB, e *env, email, password string) string {
	tb.Helper()
	var rec struct{ ID string }
	e.MustJSON("POST", "/api/collections/users/records", "", fmt.Sprintf(`{"email": %q, "password": %q, "name": "Test"}`, email, password), 200, &rec)
	return rec.ID
}

// MustSignIn signs a user in and returns the token.
func MustSignIn(tb testing.TB, e *env, collection, identity, password string) string {
	tb.Helper()
	var out struct{ Token string }
	e.MustJSON("POST", "/api/collections/"+collection+"/auth-with-password", "-",
		fmt.Sprintf(`{"identity": %q, "password": %q}`, identity, password), 200, &out)
	return out.Token
}

// linkToken returns the token of the first link to the dashboard page in
// a message's text part.
func linkToken(tb testing.TB, m mailtest.Message, page string) string {
	tb.Helper()
	re := regexp.MustCompile(regexp.QuoteMeta(appURL+"/_/#/auth/"+page+"/") + `([A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+)`)
	mt := re.FindStringSubmatch(m.Text)
	if mt == nil {
		tb.Fatalf("no %s link in the text part:\n%s", page, m.Text)
	}
	if !strings.Contains(m.HTML, `href="`+appURL+"/_/#/auth/"+page+"/"+mt[1]+`"`) {
		tb.Fatalf("the HTML part lacks the %s link:\n%s", page, m.HTML)
	}
	return mt[1]
}

func claims(tb testing.TB, token string) map[string]any {
	tb.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		tb.Fatalf("not a JWT: %q", token)
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		tb.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		tb.Fatal(err)
	}
	return m
}

func TestUsersCollectionOnNewInstall(t *testing.T) {
	t.Parallel()
	e := MustEnv(t)
	var users map[string]any
	e.MustJSON("GET", "/api/collections/users", "", "", 200, &users)
	own := "id = @request.auth.id"
	for rule, want := range map[string]any{"listRule": own, "viewRule": own, "createRule": "", "updateRule": own, "deleteRule": own, "authRule": ""} {
		if users[rule] != want {
			t.Errorf("%s = %#v, want %#v", rule, users[rule], want)
		}
	}
	if users["type"] != "auth" || users["system"] != false {
		t.Errorf("type %v, system %v", users["type"], users["system"])
	}
	names := map[string]bool{}
	for _, f := range users["fields"].([]any) {
		names[f.(map[string]any)["name"].(string)] = true
	}
	for _, n := range []string{"id", "password", "tokenKey", "email", "emailVisibility", "verified", "name", "created", "updated"} {
		if !names[n] {
			t.Errorf("users lacks field %q", n)
		}
	}
	if d := users["authToken"].(map[string]any)["duration"]; d != float64(604800) {
		t.Errorf("authToken.duration %v", d)
	}
	var su map[string]any
	e.MustJSON("GET", "/api/collections/_superusers", "", "", 200, &su)
	if d := su["authToken"].(map[string]any)["duration"]; d != float64(86400) {
		t.Errorf("_superusers authToken.duration %v", d)
	}
	// A sign-up whose confirmation differs is refused, and nothing is stored.
	status, body := e.Do("POST", "/api/collections/users/records", "-",
		`{"email": "u1@example.com", "password": "12345678", "passwordConfirm": "1234567"}`)
	if status != 400 || !strings.Contains(body, `"passwordConfirm":{"code":"validation_values_mismatch"`) {
		t.Errorf("mismatched confirmation: %d %s", status, body)
	}
	e.MustJSON("POST", "/api/collections/users/auth-with-password", "-", `{"identity": "u1@example.com", "password": "12345678"}`, 400, nil)
}

func TestAuthCollectionOptions(t *testing.T) {
	t.Parallel()
	e := MustEnv(t)
	var col map[string]any
	e.MustJSON("POST", "/api/collections", "", `{"name": "members", "type": "auth", "fields": [{"name": "handle", "type": "text"}],
		"indexes": ["CREATE UNIQUE INDEX idx_handle ON members (handle)"]}`, 200, &col)
	pa := col["passwordAuth"].(map[string]any)
	if pa["enabled"] != true || fmt.Sprint(pa["identityFields"]) != "[email]" {
		t.Fatalf("passwordAuth %v", pa)
	}
	for key, want := range map[string]float64{"authToken": 604800, "passwordResetToken": 1800, "emailChangeToken": 1800, "verificationToken": 259200} {
		if d := col[key].(map[string]any)["duration"]; d != want {
			t.Errorf("%s.duration %v, want %v", key, d, want)
		}
	}
	for _, key := range []string{"verificationTemplate", "resetPasswordTemplate", "confirmEmailChangeTemplate"} {
		tpl := col[key].(map[string]any)
		if !strings.Contains(tpl["body"].(string), "{TOKEN}") || !strings.Contains(tpl["subject"].(string), "{APP_NAME}") {
			t.Errorf("%s: %v", key, tpl)
		}
	}
	e.MustJSON("POST", "/api/collections/members/records", "", `{"email": "m@example.com", "handle": "mm", "password": "12345678"}`, 200, nil)
	e.Run(t, []scenario{
		{Name: "short password refused by the password field's min", Method: "POST", URL: "/api/collections/members/records",
			Body: `{"email": "x@example.com", "password": "1234567"}`, ExpectedStatus: 400, ExpectedContent: []string{`"password":{"code":"validation_min_text_constraint"`}},
		{Name: "duplicate email refused", Method: "POST", URL: "/api/collections/members/records",
			Body: `{"email": "M@example.com", "password": "12345678"}`, ExpectedStatus: 400, ExpectedContent: []string{`"email":{"code":"validation_not_unique"`}},
		{Name: "duration out of range", Method: "PATCH", URL: "/api/collections/members", Body: `{"authToken": {"duration": 5}}`,
			ExpectedStatus: 400, ExpectedContent: []string{`"authToken":{"duration":{"code":"validation_out_of_range"`}},
		{Name: "unknown identity field", Method: "PATCH", URL: "/api/collections/members", Body: `{"passwordAuth": {"identityFields": ["nope"]}}`,
			ExpectedStatus: 400, ExpectedContent: []string{`validation_missing_field`}},
		{Name: "identity field without a unique index", Method: "PATCH", URL: "/api/collections/members",
			Body:           `{"fields": [{"name": "handle", "type": "text"}, {"name": "nick", "type": "text"}], "passwordAuth": {"identityFields": ["nick"]}}`,
			ExpectedStatus: 400, ExpectedContent: []string{`validation_missing_unique_index`}},
		{Name: "set token duration and identity fields", Method: "PATCH", URL: "/api/collections/members",
			Body:           `{"authToken": {"duration": 100}, "passwordAuth": {"identityFields": ["handle", "email"]}, "manageRule": "@request.auth.id != ''"}`,
			ExpectedStatus: 200, ExpectedContent: []string{`"authToken":{"duration":100}`, `"passwordResetToken":{"duration":1800}`, `"manageRule":"@request.auth.id != ''"`}},
		{Name: "auth methods", Method: "GET", URL: "/api/collections/members/auth-methods", Token: "-", ExpectedStatus: 200,
			ExpectedContent: []string{`"password":{"enabled":true,"identityFields":["handle","email"]}`,
				// PocketBase's fields of its 0.22 API, still answered.
				`"authProviders":null`, `"emailPassword":true`, `"usernamePassword":false`}},
		{Name: "not an auth collection", Method: "POST", URL: "/api/collections/nope/auth-with-password", Token: "-",
			Body: `{"identity": "a", "password": "b"}`, ExpectedStatus: 404},
	})
	// The token lives as long as the collection says; the handle identifies.
	tok := MustSignIn(t, e, "members", "mm", "12345678")
	c := claims(t, tok)
	if c["exp"].(float64)-c["iat"].(float64) != 100 || c["refreshable"] != true {
		t.Fatalf("claims %v", c)
	}
	MustSignIn(t, e, "members", "M@Example.com", "12345678")
	// The auth rule decides who may sign in, with @request.auth the record.
	var m struct{ ID string }
	e.MustJSON("POST", "/api/collections/members/auth-with-password", "-", `{"identity": "mm", "password": "12345678"}`, 200, &struct{ Record *struct{ ID string } }{Record: &m})
	e.MustJSON("PATCH", "/api/collections/members", "", `{"authRule": "handle = 'ok' && id = @request.auth.id"}`, 200, nil)
	signIn := `{"identity": "mm", "password": "12345678"}`
	e.Run(t, []scenario{
		{Name: "auth rule keeps the record out", Method: "POST", URL: "/api/collections/members/auth-with-password", Token: "-",
			Body: signIn, ExpectedStatus: 403},
		{Name: "refresh too", Method: "POST", URL: "/api/collections/members/auth-refresh", Token: tok, ExpectedStatus: 403},
		{Name: "record changed to match", Method: "PATCH", URL: "/api/collections/members/records/" + m.ID, Body: `{"handle": "ok"}`, ExpectedStatus: 200},
		{Name: "auth rule lets it in", Method: "POST", URL: "/api/collections/members/auth-with-password", Token: "-",
			Body: `{"identity": "ok", "password": "12345678"}`, ExpectedStatus: 200},
		{Name: "superusers only", Method: "PATCH", URL: "/api/collections/members", Body: `{"authRule": null}`, ExpectedStatus: 200,
			ExpectedContent: []string{`"authRule":null`}},
		{Name: "nobody signs in", Method: "POST", URL: "/api/collections/members/auth-with-password", Token: "-",
			Body: `{"identity": "ok", "password": "12345678"}`, ExpectedStatus: 403},
	})
	e.MustJSON("PATCH", "/api/collections/members", "", `{"authRule": "", "passwordAuth": {"enabled": false}}`, 200, nil)
	e.Run(t, []scenario{
		{Name: "password auth disabled", Method: "POST", URL: "/api/collections/members/auth-with-password", Token: "-",
			Body: `{"identity": "ok", "password": "12345678"}`, ExpectedStatus: 403, ExpectedContent: []string{`not configured to allow password`}},
	})
}

func TestAuthWithPasswordUsers(t *testing.T) {
	t.Parallel()
	e := MustEnv(t)
	id := MustUser(t, e, "ada@example.com", "ada password")
	MustUser(t, e, "bob@example.com", "bob password")
	var out struct {
		Token  string
		Record map[string]any
	}
	e.MustJSON("POST", "/api/collections/users/auth-with-password", "-", `{"identity": "ADA@example.com", "password": "ada password"}`, 200, &out)
	if out.Record["id"] != id || out.Record["email"] != "ada@example.com" || out.Record["collectionName"] != "users" {
		t.Fatalf("record %v", out.Record)
	}
	for _, secret := range []string{"password", "tokenKey"} {
		if _, ok := out.Record[secret]; ok {
			t.Errorf("record exposes %s", secret)
		}
	}
	c := claims(t, out.Token)
	if c["type"] != "auth" || c["id"] != id || c["exp"].(float64)-c["iat"].(float64) != 604800 {
		t.Fatalf("claims %v", c)
	}
	e.Run(t, []scenario{
		{Name: "refresh", Method: "POST", URL: "/api/collections/users/auth-refresh", Token: out.Token, ExpectedStatus: 200,
			ExpectedContent: []string{`"email":"ada@example.com"`}, NotExpected: []string{`tokenKey`, `"password"`}},
		{Name: "refresh in another collection", Method: "POST", URL: "/api/collections/_superusers/auth-refresh", Token: out.Token, ExpectedStatus: 401},
		{Name: "user token is no superuser", Method: "GET", URL: "/api/collections", Token: out.Token, ExpectedStatus: 403},
		{Name: "wrong password", Method: "POST", URL: "/api/collections/users/auth-with-password", Token: "-",
			Body: `{"identity": "ada@example.com", "password": "nope nope"}`, ExpectedStatus: 400, ExpectedContent: []string{`"data":{}`}},
		{Name: "superuser credentials in users", Method: "POST", URL: "/api/collections/users/auth-with-password", Token: "-",
			Body: `{"identity": "` + adminEmail + `", "password": "` + adminPassword + `"}`, ExpectedStatus: 400},
	})
}

func TestImpersonate(t *testing.T) {
	t.Parallel()
	e := MustEnv(t)
	id := MustUser(t, e, "ada@example.com", "ada password")
	userToken := MustSignIn(t, e, "users", "ada@example.com", "ada password")
	var out struct {
		Token  string
		Record map[string]any
	}
	e.MustJSON("POST", "/api/collections/users/impersonate/"+id, "", `{"duration": 60}`, 200, &out)
	c := claims(t, out.Token)
	if c["id"] != id || c["type"] != "auth" || c["exp"].(float64)-c["iat"].(float64) != 60 {
		t.Fatalf("claims %v", c)
	}
	if _, ok := c["refreshable"]; ok {
		t.Fatalf("impersonation token is refreshable: %v", c)
	}
	if out.Record["email"] != "ada@example.com" {
		t.Fatalf("record %v", out.Record)
	}
	var def struct{ Token string }
	e.MustJSON("POST", "/api/collections/users/impersonate/"+id, "", "", 200, &def)
	if c := claims(t, def.Token); c["exp"].(float64)-c["iat"].(float64) != 604800 {
		t.Fatalf("default duration: %v", c)
	}
	e.Run(t, []scenario{
		{Name: "the token identifies the user", Method: "POST", URL: "/api/collections/users/request-email-change", Token: out.Token,
			Body: `{"newEmail": "ada2@example.com"}`, ExpectedStatus: 204},
		{Name: "not refreshable", Method: "POST", URL: "/api/collections/users/auth-refresh", Token: out.Token, ExpectedStatus: 403},
		{Name: "guest", Method: "POST", URL: "/api/collections/users/impersonate/" + id, Token: "-", Body: `{}`, ExpectedStatus: 401},
		{Name: "user", Method: "POST", URL: "/api/collections/users/impersonate/" + id, Token: userToken, Body: `{}`, ExpectedStatus: 403},
		{Name: "unknown record", Method: "POST", URL: "/api/collections/users/impersonate/nope", Body: `{}`, ExpectedStatus: 404},
		{Name: "negative duration", Method: "POST", URL: "/api/collections/users/impersonate/" + id, Body: `{"duration": -1}`, ExpectedStatus: 400},
		{Name: "not an auth collection", Method: "POST", URL: "/api/collections/nope/impersonate/" + id, Body: `{}`, ExpectedStatus: 404},
	})
}

func TestBootstrapUsers(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	// Two nodes starting together on a new database create one of each.
	dsn := pgtest.NewDB(t)
	var wg sync.WaitGroup
	nodes := make([]*server.Server, 2)
	errs := make([]error, 2)
	for i := range nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			nodes[i], errs[i] = server.New(ctx, server.Config{DatabaseURL: dsn, Logger: quiet, PasswordCost: 4, MaxConns: 2})
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("node %d: %v", i, err)
		}
		defer nodes[i].Close(ctx)
	}
	for i, n := range nodes {
		if err := n.Collections().Reload(ctx); err != nil {
			t.Fatal(err)
		}
		if _, ok := n.Collections().Collection("users"); !ok {
			t.Fatalf("node %d has no users collection", i)
		}
		if got := len(n.Collections().Collections()); got != 3 {
			t.Fatalf("node %d: %d collections, want 3 (_superusers, users, _externalAuths)", i, got)
		}
	}
	// A deleted users collection stays deleted on the next start.
	if _, err := nodes[0].Collections().DeleteCollection(ctx, "users", collections.SaveOptions{}); err != nil {
		t.Fatal(err)
	}
	again, err := server.New(ctx, server.Config{DatabaseURL: dsn, Logger: quiet, PasswordCost: 4, MaxConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close(ctx)
	if _, ok := again.Collections().Collection("users"); ok {
		t.Fatal("users came back after it was deleted")
	}
}
