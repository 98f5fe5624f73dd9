package api

import (
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/lumbunghq/lumbung/server/settings"
)

// CORSMethods are the methods a preflight allows, as PocketBase's.
const CORSMethods = "GET,HEAD,PUT,PATCH,POST,DELETE"

// DefaultCORSMaxAge is how long browsers may reuse the answer to a
// preflight, in seconds (they cap it: Chromium at two hours, Firefox at
// a day).
const DefaultCORSMaxAge = 86400

// CORSConfig configures the CORS middleware.
type CORSConfig struct {
	// Next skips the middleware for a request when it returns true.
	Next func(c *fiber.Ctx) bool
	// Origins returns the origins allowed for a request (read on every
	// request, so that a settings change applies at once).
	Origins func(c *fiber.Ctx) *settings.Origins
	// MaxAge is how long, in seconds, browsers may cache the answer to a
	// preflight.
	MaxAge int
}

// CORSConfigDefault allows every origin, as PocketBase does by default.
var CORSConfigDefault = CORSConfig{
	Origins: func(*fiber.Ctx) *settings.Origins { return settings.AnyOrigin },
	MaxAge:  DefaultCORSMaxAge,
}

// CORS answers cross-origin requests as PocketBase does: every OPTIONS
// request is a preflight, answered here with 204 (with the
// Access-Control-Allow-* headers when its origin is allowed: the methods
// of CORSMethods, the headers it asks for, and Access-Control-Max-Age so
// that the browser does not ask again for every call); other requests
// from an allowed origin get Access-Control-Allow-Origin ("*" when every
// origin is allowed, else the origin) and go on. Credentials (cookies)
// are never allowed: clients send tokens in the Authorization header.
// Requests from other origins are still served, without the header, so
// that the browser keeps the answer from the page.
func CORS(config ...CORSConfig) fiber.Handler {
	cfg := CORSConfigDefault
	if len(config) > 0 {
		cfg = config[0]
		if cfg.Origins == nil {
			cfg.Origins = CORSConfigDefault.Origins
		}
		if cfg.MaxAge == 0 {
			cfg.MaxAge = CORSConfigDefault.MaxAge
		}
	}
	maxAge := strconv.Itoa(cfg.MaxAge)
	return func(c *fiber.Ctx) error {
		if cfg.Next != nil && cfg.Next(c) {
			return c.Next()
		}
		c.Vary(fiber.HeaderOrigin)
		preflight := c.Method() == fiber.MethodOptions
		origin := c.Get(fiber.HeaderOrigin)
		allow := ""
		if origin != "" {
			allow = cfg.Origins(c).Allow(origin)
		}
		if allow == "" {
			if preflight {
				return c.SendStatus(fiber.StatusNoContent)
			}
			return c.Next()
		}
		c.Set(fiber.HeaderAccessControlAllowOrigin, allow)
		if !preflight {
			return c.Next()
		}
		c.Vary(fiber.HeaderAccessControlRequestMethod, fiber.HeaderAccessControlRequestHeaders)
		c.Set(fiber.HeaderAccessControlAllowMethods, CORSMethods)
		if h := c.Get(fiber.HeaderAccessControlRequestHeaders); h != "" {
			c.Set(fiber.HeaderAccessControlAllowHeaders, h)
		}
		c.Set(fiber.HeaderAccessControlMaxAge, maxAge)
		return c.SendStatus(fiber.StatusNoContent)
	}
}
