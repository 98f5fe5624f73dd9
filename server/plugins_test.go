package server_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"maps"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/gofiber/fiber/v2"

	"github.com/lumbunghq/lumbung/plugins"
	"github.com/lumbunghq/lumbung/server"
	"github.com/lumbunghq/lumbung/server/api"
	"github.com/lumbunghq/lumbung/server/localpg/pgtest"
)

// probe is a plugin that records what the server asks of it.
type probe struct {
	id       string
	log      *[]string
	mu       *sync.Mutex
	register func(plugins.Host) error
	failProv bool
	invalid  bool
}

func (p probe) ID() string { return p.id }

func (p probe) note(s string) {
	p.mu.Lock()
	*p.log = append(*p.log, s)
	p.mu.Unlock()
}

func (p probe) Register(h plugins.Host) error {
	p.note("register " + p.id)
	h.Hooks().OnServe().BindFunc(func(e *plugins.ServeEvent) error {
		p.note("serve " + p.id)
		return e.Next()
	})
	h.Hooks().OnTerminate().BindFunc(func(e *plugins.TerminateEvent) error {
		p.note("terminate " + p.id)
		return e.Next()
	})
	if p.register != nil {
		return p.register(h)
	}
	return nil
}

func (p probe) Validate() error {
	p.note("validate " + p.id)
	if p.invalid {
		return errors.New("bad config")
	}
	return nil
}

func (p probe) Provision(context.Context) error {
	p.note("provision " + p.id)
	if p.failProv {
		return errors.New("no")
	}
	return nil
}

func (p probe) Cleanup() error {
	p.note("cleanup " + p.id)
	return nil
}

func newServer(t *testing.T, list ...plugins.Plugin) (*server.Server, error) {
	t.Helper()
	return server.New(context.Background(), server.Config{
		DatabaseURL: pgtest.NewDB(t), HTTPAddr: "127.0.0.1:0", PasswordCost: 4, MaxConns: 4,
		Logger:  slog.New(slog.NewTextHandler(io.Discard, nil)),
		Plugins: list,
	})
}

// Plugins start in order, are provisioned after every one registered,
// see the server start and stop, and are cleaned up in reverse order.
func TestPluginLifecycle(t *testing.T) {
	var log []string
	var mu sync.Mutex
	mk := func(id string) probe { return probe{id: id, log: &log, mu: &mu} }
	srv, err := newServer(t, mk("a"), mk("b"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx, func(string) { stop() }) }()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	srv.Close(context.Background())
	want := "register a, register b, validate a, validate b, provision a, provision b, serve a, serve b, terminate a, terminate b, cleanup b, cleanup a"
	if got := strings.Join(log, ", "); got != want {
		t.Errorf("lifecycle\n got %s\nwant %s", got, want)
	}
}

// Whatever keeps a plugin from starting keeps the server from starting,
// with an error that names it; the plugins started are cleaned up.
func TestPluginStartFailures(t *testing.T) {
	route := func(r api.Route) func(plugins.Host) error {
		return func(h plugins.Host) error { h.Route(r); return nil }
	}
	ok := func(c *fiber.Ctx) error { return nil }
	for _, c := range []struct {
		name string
		list func(mk func(string) probe) []plugins.Plugin
		want string
	}{
		{"two plugins of one id", func(mk func(string) probe) []plugins.Plugin { return []plugins.Plugin{mk("a"), mk("a")} }, `"a" is registered twice`},
		{"a malformed id", func(mk func(string) probe) []plugins.Plugin { return []plugins.Plugin{mk("Bad ID")} }, "plugin ID"},
		{"register fails", func(mk func(string) probe) []plugins.Plugin {
			p := mk("a")
			p.register = func(plugins.Host) error { return errors.New("broken") }
			return []plugins.Plugin{p}
		}, "plugin a: broken"},
		{"validate fails", func(mk func(string) probe) []plugins.Plugin {
			p := mk("b")
			p.invalid = true
			return []plugins.Plugin{mk("a"), p}
		}, "plugin b: bad config"},
		{"provision fails", func(mk func(string) probe) []plugins.Plugin {
			p := mk("b")
			p.failProv = true
			return []plugins.Plugin{mk("a"), p}
		}, "plugin b: provision: no"},
		{"one route twice", func(mk func(string) probe) []plugins.Plugin {
			a, b := mk("a"), mk("b")
			a.register = route(api.Route{Method: "GET", Path: "/x", Handler: ok})
			b.register = route(api.Route{Method: "GET", Path: "/x", Handler: ok})
			return []plugins.Plugin{a, b}
		}, "GET /x is declared twice"},
		{"a built-in route", func(mk func(string) probe) []plugins.Plugin {
			a := mk("a")
			a.register = route(api.Route{Method: "GET", Path: "/health", Handler: ok})
			return []plugins.Plugin{a}
		}, "GET /health is declared twice"},
		{"a route with /api", func(mk func(string) probe) []plugins.Plugin {
			a := mk("a")
			a.register = route(api.Route{Method: "GET", Path: "/api/x", Handler: ok})
			return []plugins.Plugin{a}
		}, "relative to /api"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var log []string
			var mu sync.Mutex
			mk := func(id string) probe { return probe{id: id, log: &log, mu: &mu} }
			_, err := newServer(t, c.list(mk)...)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want %q", err, c.want)
			}
			if c.name == "provision fails" && !strings.Contains(strings.Join(log, ", "), "cleanup b, cleanup a") {
				t.Errorf("not cleaned up: %v", log)
			}
		})
	}
}

// A plugin's routes are under /api with access checked before them.
func TestPluginRoutes(t *testing.T) {
	var log []string
	var mu sync.Mutex
	p := probe{id: "routes", log: &log, mu: &mu, register: func(h plugins.Host) error {
		for _, a := range []api.Access{api.Public, api.Authenticated, api.Superusers} {
			h.Route(api.Route{Method: "GET", Path: "/routes/" + []string{"public", "auth", "super"}[a], Access: a,
				Handler: func(c *fiber.Ctx) error {
					if api.CallerOf(c) == nil {
						return errors.New("no caller")
					}
					return c.SendString("ok")
				}})
		}
		return nil
	}}
	srv, err := newServer(t, p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close(context.Background()) })
	for path, want := range map[string]int{"/api/routes/public": 200, "/api/routes/auth": 401, "/api/routes/super": 401, "/routes/public": 404} {
		res, err := srv.App().Test(httptest.NewRequest("GET", path, nil), -1)
		if err != nil {
			t.Fatal(err)
		}
		if res.StatusCode != want {
			t.Errorf("%s: %d, want %d", path, res.StatusCode, want)
		}
	}
}

// A plugin's routes join the OpenAPI document: its path parameters in
// OpenAPI's form, its summary and its access as the security.
func TestPluginRoutesOpenAPI(t *testing.T) {
	p := probe{id: "documented", log: &[]string{}, mu: &sync.Mutex{}, register: func(h plugins.Host) error {
		h.Route(api.Route{Method: "PUT", Path: "/shelves/:shelf/books/:book", Access: api.Authenticated,
			Handler: func(c *fiber.Ctx) error { return c.SendStatus(204) }, Summary: "Put a book on a shelf."})
		return nil
	}}
	srv, err := newServer(t, p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close(context.Background()) })
	res, err := srv.App().Test(httptest.NewRequest("GET", "/api/openapi.json", nil), -1)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Paths map[string]map[string]struct {
			Summary    string
			Security   []map[string][]string
			Parameters []struct{ Name, In string }
		}
	}
	if err := json.NewDecoder(res.Body).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	op, ok := doc.Paths["/api/shelves/{shelf}/books/{book}"]["put"]
	if !ok {
		t.Fatalf("no PUT /api/shelves/{shelf}/books/{book} in %v", slices.Collect(maps.Keys(doc.Paths)))
	}
	if op.Summary != "Put a book on a shelf." || len(op.Security) != 1 || op.Security[0]["recordToken"] == nil ||
		len(op.Parameters) != 2 || op.Parameters[0].Name != "shelf" || op.Parameters[1].In != "path" {
		t.Errorf("operation %+v", op)
	}
}
