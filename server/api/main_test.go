package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/lumbunghq/lumbung/collections/postgres"
	"github.com/lumbunghq/lumbung/server"
	"github.com/lumbunghq/lumbung/server/localpg/pgtest"
)

func TestMain(m *testing.M) {
	pgtest.Main(m, postgres.MigrateURL)
}

const (
	adminEmail    = "admin@example.com"
	adminPassword = "correct horse battery"
)

// env is one test's server on its own database, with a superuser token.
type env struct {
	tb     testing.TB
	srv    *server.Server
	token  string
	events *hookEvents
}

// MustEnv starts a server on a fresh database and signs in a superuser.
// opts adjust the server's configuration.
func MustEnv(tb testing.TB, opts ...func(*server.Config)) *env {
	tb.Helper()
	ctx := context.Background()
	cfg := server.Config{
		DatabaseURL:  pgtest.NewDB(tb),
		Logger:       slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError})),
		PasswordCost: 4,
		BodyLimit:    1 << 20,
		MaxConns:     4,
	}
	for _, o := range opts {
		o(&cfg)
	}
	srv, err := server.New(ctx, cfg)
	if err != nil {
		tb.Fatalf("server: %v", err)
	}
	tb.Cleanup(func() { srv.Close(context.Background()) })
	col, _ := srv.Collections().Collection("_superusers")
	if _, err := srv.Collections().SystemRecords().Create(ctx, col, map[string]any{"email": adminEmail, "password": adminPassword}); err != nil {
		tb.Fatalf("superuser: %v", err)
	}
	e := &env{tb: tb, srv: srv, events: recordHooks(srv)}
	var auth struct{ Token string }
	e.MustJSON("POST", "/api/collections/_superusers/auth-with-password", "",
		`{"identity":"`+adminEmail+`","password":"`+adminPassword+`"}`, 200, &auth)
	e.token = auth.Token
	return e
}

// Do sends a request (with the superuser token unless token is "-" for
// none, or another token) and returns status and body.
func (e *env) Do(method, url, token, body string) (int, string) {
	e.tb.Helper()
	res, b := e.DoFull(method, url, token, body)
	return res.StatusCode, b
}

// DoFull sends a request (with the superuser token unless token is "-" for
// none, or another token) and returns the whole response and its body.
func (e *env) DoFull(method, url, token, body string) (*http.Response, string) {
	e.tb.Helper()
	return e.DoFrom(method, url, token, body, nil)
}

// DoFrom sends a request as DoFull does, with extra headers (such as a
// proxy's X-Forwarded-For). In-process requests come from 0.0.0.0.
func (e *env) DoFrom(method, url, token, body string, headers map[string]string) (*http.Response, string) {
	e.tb.Helper()
	req := httptest.NewRequest(method, url, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	switch token {
	case "":
		req.Header.Set("Authorization", e.token)
	case "-":
	default:
		req.Header.Set("Authorization", token)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	res, err := e.srv.App().Test(req, -1)
	if err != nil {
		e.tb.Fatalf("%s %s: %v", method, url, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

// MustJSON sends a request, checks the status and decodes the body into out.
func (e *env) MustJSON(method, url, token, body string, status int, out any) {
	e.tb.Helper()
	got, b := e.Do(method, url, token, body)
	if got != status {
		e.tb.Fatalf("%s %s: status %d, want %d; body %s", method, url, got, status, b)
	}
	if out != nil {
		if err := json.Unmarshal([]byte(b), out); err != nil {
			e.tb.Fatalf("%s %s: decode %q: %v", method, url, b, err)
		}
	}
}

// scenario is one API call and what it must answer.
type scenario struct {
	Name            string
	Method, URL     string
	Token           string // "" superuser, "-" none
	Body            string
	ExpectedStatus  int
	ExpectedContent []string // substrings the body must contain
	NotExpected     []string // substrings it must not contain
	// ExpectedEvents, when set, are the hooks the call must fire, by
	// name, and how often (see recordHooks); no other hook may fire.
	ExpectedEvents map[string]int
}

func (e *env) Run(t *testing.T, scenarios []scenario) {
	t.Helper()
	for _, s := range scenarios {
		t.Run(s.Name, func(t *testing.T) {
			e.events.take()
			status, body := e.Do(s.Method, s.URL, s.Token, s.Body)
			if s.ExpectedEvents != nil {
				if got := e.events.take(); !maps.Equal(got, s.ExpectedEvents) {
					t.Errorf("hooks fired %v, want %v", got, s.ExpectedEvents)
				}
			}
			if status != s.ExpectedStatus {
				t.Fatalf("status %d, want %d; body %s", status, s.ExpectedStatus, body)
			}
			for _, want := range s.ExpectedContent {
				if !strings.Contains(body, want) {
					t.Errorf("body lacks %q:\n%s", want, body)
				}
			}
			for _, bad := range s.NotExpected {
				if strings.Contains(body, bad) {
					t.Errorf("body contains %q:\n%s", bad, body)
				}
			}
			if status >= 500 {
				t.Errorf("server error: %s", body)
			}
		})
	}
}

func jsonBody(tb testing.TB, v any) string {
	tb.Helper()
	var b bytes.Buffer
	if err := json.NewEncoder(&b).Encode(v); err != nil {
		tb.Fatal(err)
	}
	return b.String()
}
