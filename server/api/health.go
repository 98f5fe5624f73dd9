package api

import "github.com/gofiber/fiber/v2"

func (h *handlers) healthRoutes() []Route {
	return []Route{
		{"GET", "/health", Public, h.health, "Report whether the server and its database answer."},
	}
}

// healthProxyHeaders are headers common proxies set, checked after the
// configured one to hint that the server may be behind a proxy it does
// not trust yet (PocketBase's list).
var healthProxyHeaders = []string{"CF-Connecting-IP", "Fly-Client-IP", "X-Forwarded-For"}

// health reports whether the server can reach its database. Superusers
// also get PocketBase's details: canBackup (no backup or restore runs on
// any node), realIP (the client address as
// the trusted-proxy settings make it) and possibleProxyHeader (the first
// proxy header the request carries, "" for none).
func (h *handlers) health(c *fiber.Ctx) error {
	if err := h.Ping(c.UserContext()); err != nil {
		h.Logger.Error("health check failed", "requestId", requestID(c), "err", err)
		c.Set(fiber.HeaderRetryAfter, retryAfter)
		return c.Status(fiber.StatusServiceUnavailable).JSON(errorBody{
			Status: fiber.StatusServiceUnavailable, Message: unavailableMessage, Data: map[string]any{}})
	}
	data := fiber.Map{}
	if identity(c).Superuser() {
		proxyHeader := ""
		configured := h.Settings.Effective(c.UserContext()).TrustedProxy.Header
		for _, name := range append([]string{configured}, healthProxyHeaders...) {
			if name != "" && c.Get(name) != "" {
				proxyHeader = name
				break
			}
		}
		canBackup := false
		if h.Backups != nil {
			busy, err := h.Backups.Busy(c.UserContext())
			if err != nil {
				return err
			}
			canBackup = !busy
		}
		data = fiber.Map{"canBackup": canBackup, "realIP": h.clientIP(c), "possibleProxyHeader": proxyHeader}
	}
	return c.JSON(fiber.Map{"code": 200, "message": "API is healthy.", "data": data})
}
