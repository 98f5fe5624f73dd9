package api

import (
	"errors"
	"io/fs"
	"path"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// dashboardCSP is the dashboard's Content-Security-Policy. Styles may be
// inline (components set style attributes); record HTML is previewed in a
// sandboxed srcdoc frame.
const dashboardCSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
	"connect-src 'self'; frame-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'"

// dashboardRoutes serves the dashboard's files at /_/. Paths that name no
// file get index.html, so the dashboard's own routes survive a reload.
// Hashed assets are cached for good; index.html never.
func (h *handlers) dashboardRoutes(app *fiber.App) {
	if h.Dashboard == nil {
		return
	}
	app.Get("/_", h.dashboardFile)
	app.Get("/_/*", h.dashboardFile)
}

func (h *handlers) dashboardFile(c *fiber.Ctx) error {
	name := path.Clean("/" + c.Params("*"))[1:]
	if name == "" {
		name = "index.html"
	}
	var b []byte
	st, err := fs.Stat(h.Dashboard, name)
	if err == nil && st.Mode().IsRegular() {
		b, err = fs.ReadFile(h.Dashboard, name)
	} else if err == nil || errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrInvalid) {
		// No such file, or a directory: assets are files or missing,
		// anything else is one of the dashboard's own routes.
		if name == "assets" || strings.HasPrefix(name, "assets/") {
			return fiber.ErrNotFound
		}
		name = "index.html"
		b, err = fs.ReadFile(h.Dashboard, name)
	}
	if err != nil {
		return err
	}
	if strings.HasPrefix(name, "assets/") {
		c.Set(fiber.HeaderCacheControl, "public, max-age=31536000, immutable")
	} else {
		c.Set(fiber.HeaderCacheControl, "no-cache")
	}
	// The dashboard runs only its own scripts, talks only to this server,
	// and is never framed by another site.
	c.Set(fiber.HeaderContentSecurityPolicy, dashboardCSP)
	c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
	c.Set(fiber.HeaderXFrameOptions, "DENY")
	c.Set(fiber.HeaderReferrerPolicy, "same-origin")
	c.Type(path.Ext(name))
	return c.Send(b)
}
