package api

import (
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"

	"github.com/lumbunghq/lumbung/collections"
)

// Metrics are what the API needs of the node's metrics (server/metrics).
type Metrics interface {
	// ObserveRequest records one answered request: its method, the
	// pattern of the route it matched ("" for none), its status code and
	// how long it took.
	ObserveRequest(method, route string, status int, took time.Duration)
	// Handler serves every metric, unprotected: GET /metrics guards it.
	Handler() http.Handler
}

// metricsRoutes serves GET /metrics, outside /api where Prometheus looks
// for it, as the metrics settings allow: a 404 while they are disabled,
// then the metrics to a request with their bearer token or from one of
// their allowed addresses (the client's address as clientIP says), a 401
// to others when a token is set, and a 403 when only addresses are.
func (h *handlers) metricsRoutes(app *fiber.App) {
	if h.Metrics == nil {
		return
	}
	serve := adaptor.HTTPHandler(h.Metrics.Handler())
	app.Get("/metrics", func(c *fiber.Ctx) error {
		m := h.Settings.Cached(c.UserContext()).Metrics
		if !m.Enabled {
			return fiber.ErrNotFound
		}
		addr, _ := netip.ParseAddr(h.clientIP(c))
		if !m.Authorized(addr, c.Get(fiber.HeaderAuthorization)) {
			if m.Token == "" {
				return collections.Errorf(collections.EFORBIDDEN, "The metrics may not be read from this address.")
			}
			c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="metrics"`)
			return collections.Errorf(collections.EUNAUTHORIZED, "The metrics require a valid bearer token.")
		}
		return serve(c)
	})
}

// observeRequests records every request in m once it has been answered
// (it runs before requestContext, which answers errors): its method, the
// pattern of its route and its status.
func observeRequests(m Metrics) fiber.Handler {
	labels := &routeLabels{}
	return func(c *fiber.Ctx) error {
		start := time.Now()
		err := c.Next()
		status := c.Response().StatusCode()
		if err != nil {
			status = fiber.StatusInternalServerError // requestContext answers errors: not expected
		}
		m.ObserveRequest(methodLabel(c.Method()), labels.of(c), status, time.Since(start))
		return err
	}
}

// methodLabel returns method as one of the constant method names (Fiber's
// strings point into buffers it reuses, and a metric keeps its labels).
func methodLabel(method string) string {
	for _, m := range []string{fiber.MethodGet, fiber.MethodPost, fiber.MethodPatch, fiber.MethodDelete,
		fiber.MethodPut, fiber.MethodHead, fiber.MethodOptions, fiber.MethodConnect, fiber.MethodTrace} {
		if m == method {
			return m
		}
	}
	return "OTHER"
}

// routeLabels name requests by the pattern of their route in the app's
// route table ("/api/collections/:collection/records"), never by their
// path, so that the number of series stays bounded.
type routeLabels struct {
	once sync.Once
	// endpoints are the patterns of the routes by method, in the order
	// Fiber tries them; all holds every route in that order.
	endpoints map[string][]routePattern
	all       []routePattern
	// known holds each route's pattern by method and pattern.
	known map[string]map[string]string
}

// routePattern is one route's pattern, whole and split in segments.
type routePattern struct {
	path string
	segs []string
}

// of returns the pattern of the route that answered c, or "" when none
// matched. A request stopped before its route (a bad token, answered by
// the /api group's middleware) is named by the route it would have
// reached; a CORS preflight by a route of any method.
func (r *routeLabels) of(c *fiber.Ctx) string {
	r.once.Do(func() { r.load(c.App()) })
	method := c.Method()
	if rt := c.Route(); rt != nil {
		if p, ok := r.known[rt.Method][rt.Path]; ok {
			return p
		}
	}
	candidates := r.endpoints[method]
	if method == fiber.MethodOptions {
		candidates = r.all
	}
	segs := routeSegments(c.Path())
	for _, p := range candidates {
		if p.matches(segs) {
			return p.path
		}
	}
	return ""
}

// load reads the route table of app once its routes are all registered
// (at the first request): every route but middleware.
func (r *routeLabels) load(app *fiber.App) {
	r.endpoints, r.known = map[string][]routePattern{}, map[string]map[string]string{}
	for _, rt := range app.GetRoutes(true) {
		p := routePattern{path: strings.Clone(rt.Path), segs: routeSegments(rt.Path)}
		r.endpoints[rt.Method] = append(r.endpoints[rt.Method], p)
		r.all = append(r.all, p)
		if r.known[rt.Method] == nil {
			r.known[rt.Method] = map[string]string{}
		}
		r.known[rt.Method][rt.Path] = p.path
	}
}

// routeSegments splits a path into its segments, ignoring a trailing slash as
// Fiber does.
func routeSegments(path string) []string {
	path = strings.Trim(path, "/")
	if path == "" {
		return nil
	}
	return strings.Split(path, "/")
}

// matches reports whether a path of segs matches the pattern as Fiber
// matches it: a ":name" segment takes any non-empty segment (":name?" may
// be missing at the end), "*" the rest of the path and "+" a non-empty
// rest; other segments are literal, in their exact case. Patterns with
// more than one parameter in a segment match nothing.
func (p routePattern) matches(segs []string) bool {
	for i, want := range p.segs {
		switch {
		case want == "*":
			return true
		case want == "+":
			return i < len(segs)
		case i >= len(segs):
			return strings.HasPrefix(want, ":") && strings.HasSuffix(want, "?") && i == len(p.segs)-1
		case strings.HasPrefix(want, ":"):
			if segs[i] == "" || strings.ContainsAny(want[1:], ":*+") {
				return false
			}
		case want != segs[i]:
			return false
		}
	}
	return len(segs) == len(p.segs)
}
