package api

import (
	"errors"
	"io/fs"
	"path"
	"strings"

	"github.com/gofiber/fiber/v2"
)

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
	b, err := fs.ReadFile(h.Dashboard, name)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrInvalid) {
		if strings.HasPrefix(name, "assets/") {
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
	c.Type(path.Ext(name))
	return c.Send(b)
}
