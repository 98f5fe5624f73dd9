package api

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// CORSSettings are the origins whose web pages may call the API from a
// browser, as PocketBase's --origins flag sets them.
type CORSSettings struct {
	// Origins are "*" (any origin, the default), origins such as
	// "https://app.example.com" or patterns in which * stands for any
	// run of host or port characters and ? for one of them
	// ("https://*.example.com", "http://localhost:*").
	Origins []string `json:"origins"`
}

// CORSMethods are the methods a preflight allows, as PocketBase's.
const CORSMethods = "GET,HEAD,PUT,PATCH,POST,DELETE"

// DefaultCORSMaxAge is how long browsers may reuse the answer to a
// preflight, in seconds (they cap it: Chromium at two hours, Firefox at
// a day).
const DefaultCORSMaxAge = 86400

// Origins are parsed allowed origins.
type Origins struct {
	any      bool
	exact    map[string]bool
	patterns []*regexp.Regexp
}

// AnyOrigin allows every origin.
var AnyOrigin = &Origins{any: true}

var originRe = regexp.MustCompile(`^[a-z][a-z0-9+.-]*://[a-z0-9.*?\[\]:_-]+$`)

// ParseOrigins parses allowed origins; the error names the first entry
// that is not "*", an origin or an origin pattern.
func ParseOrigins(list []string) (*Origins, error) {
	o := &Origins{exact: map[string]bool{}}
	for _, entry := range list {
		e := strings.ToLower(strings.TrimSpace(entry))
		switch {
		case e == "*":
			o.any = true
		case strings.Count(e, "/") > 2 || strings.HasSuffix(e, "/"):
			return nil, fmt.Errorf("%q: an origin is a scheme and a host, with no path (such as https://app.example.com)", entry)
		case !originRe.MatchString(e):
			return nil, fmt.Errorf("%q is not an origin such as https://app.example.com", entry)
		case strings.ContainsAny(e, "*?"):
			// * and ? stand for host and port characters only, so that a
			// pattern for subdomains cannot match another site.
			p := regexp.QuoteMeta(e)
			p = strings.ReplaceAll(p, `\*`, `[a-z0-9.:_-]*`)
			p = strings.ReplaceAll(p, `\?`, `[a-z0-9.:_-]`)
			o.patterns = append(o.patterns, regexp.MustCompile("^"+p+"$"))
		default:
			o.exact[e] = true
		}
	}
	return o, nil
}

// allow returns the Access-Control-Allow-Origin for a request from
// origin, or "" when that origin is not allowed.
func (o *Origins) allow(origin string) string {
	if o == nil {
		return ""
	}
	if o.any {
		return "*"
	}
	// Browsers send origins in lower case; the bound keeps the patterns
	// from running over long made-up values.
	if len(origin) > 300 {
		return ""
	}
	if o.exact[origin] {
		return origin
	}
	for _, p := range o.patterns {
		if p.MatchString(origin) {
			return origin
		}
	}
	return ""
}

// CORSConfig configures the CORS middleware.
type CORSConfig struct {
	// Next skips the middleware for a request when it returns true.
	Next func(c *fiber.Ctx) bool
	// Origins returns the origins allowed for a request (read on every
	// request, so that a settings change applies at once).
	Origins func(c *fiber.Ctx) *Origins
	// MaxAge is how long, in seconds, browsers may cache the answer to a
	// preflight.
	MaxAge int
}

// CORSConfigDefault allows every origin, as PocketBase does by default.
var CORSConfigDefault = CORSConfig{
	Origins: func(*fiber.Ctx) *Origins { return AnyOrigin },
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
			allow = cfg.Origins(c).allow(origin)
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
