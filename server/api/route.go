package api

import (
	"fmt"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/lumbunghq/lumbung/collections"
	"github.com/lumbunghq/lumbung/server/auth"
)

// Access says who may call a route.
type Access int

// Who may call a route.
const (
	// Public routes answer anyone; the caller may be a guest.
	Public Access = iota
	// Authenticated routes answer signed-in records (401 for guests).
	Authenticated
	// Superusers routes answer superusers only (401 for guests, 403 for
	// other records), as PocketBase answers.
	Superusers
)

// Route is one endpoint of the API under /api, as plugins declare theirs:
// registered with Lumbung's authentication, rate limits and error
// answers in front, and access checked as Access says before Handler
// runs. CallerOf tells a handler who asks.
type Route struct {
	Method  string // GET, POST, PUT, PATCH, DELETE
	Path    string // a Fiber pattern under /api, such as "/example/hello" or "/things/:id"
	Access  Access
	Handler fiber.Handler
	Summary string // one line saying what the route does
}

// CheckRoutes refuses routes that cannot be registered: a bad method,
// a path outside /api's pattern syntax, no handler, or the same method
// and path twice.
func CheckRoutes(routes []Route) error {
	seen := map[string]bool{}
	for _, r := range routes {
		switch r.Method {
		case fiber.MethodGet, fiber.MethodPost, fiber.MethodPut, fiber.MethodPatch, fiber.MethodDelete:
		default:
			return fmt.Errorf("route %s %s: unsupported method", r.Method, r.Path)
		}
		if !strings.HasPrefix(r.Path, "/") || strings.HasPrefix(r.Path, "/api/") || strings.ContainsAny(r.Path, " ?#") {
			return fmt.Errorf("route %s %s: the path must start with / and is relative to /api", r.Method, r.Path)
		}
		if r.Handler == nil {
			return fmt.Errorf("route %s %s: no handler", r.Method, r.Path)
		}
		if r.Access < Public || r.Access > Superusers {
			return fmt.Errorf("route %s %s: unknown access %d", r.Method, r.Path, r.Access)
		}
		key := r.Method + " " + r.Path
		if seen[key] {
			return fmt.Errorf("route %s is declared twice", key)
		}
		seen[key] = true
	}
	return nil
}

// addRoutes registers routes on the /api group a, behind the check of
// their access; withCaller also gives their handlers CallerOf.
func (h *handlers) addRoutes(a fiber.Router, routes []Route, withCaller bool) {
	for _, r := range routes {
		chain := []fiber.Handler{r.Handler}
		if withCaller {
			chain = append([]fiber.Handler{func(c *fiber.Ctx) error {
				c.Locals(callerKey, auth.CallerFor(identity(c), h.Decider))
				return c.Next()
			}}, chain...)
		}
		switch r.Access {
		case Authenticated:
			chain = append([]fiber.Handler{signedIn}, chain...)
		case Superusers:
			chain = append([]fiber.Handler{superusersOnly}, chain...)
		}
		a.Add(r.Method, r.Path, chain...)
	}
}

const callerKey = "caller"

// CallerOf returns who asks for a request of a Route: a guest, a
// signed-in record, or an unrestricted superuser; use it with
// collections.Service.RecordsAs so the route reads and writes with the
// caller's access.
func CallerOf(c *fiber.Ctx) collections.Caller {
	if caller, ok := c.Locals(callerKey).(collections.Caller); ok {
		return caller
	}
	return nil
}

// AuthRecordOf returns the signed-in record of a request, nil for a guest.
func AuthRecordOf(c *fiber.Ctx) *collections.Record {
	if id := identity(c); id != nil {
		return id.Record
	}
	return nil
}

// signedIn refuses guests with PocketBase's 401.
func signedIn(c *fiber.Ctx) error {
	if identity(c) == nil {
		return collections.Errorf(collections.EUNAUTHORIZED, "The request requires valid record authorization token.")
	}
	return c.Next()
}
