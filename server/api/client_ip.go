package api

import (
	"net/netip"

	"github.com/gofiber/fiber/v2"
)

const clientIPKey = "clientIP"

// clientIP is the address of the client that sent the request, as the
// trusted proxy settings in force say: the one function every part of the
// server asks (request logs, rate limits, sign-in throttling). It is
// worked out once per request.
func (h *handlers) clientIP(c *fiber.Ctx) string {
	if ip, ok := c.Locals(clientIPKey).(string); ok {
		return ip
	}
	remote, _ := netip.AddrFromSlice(c.Context().RemoteIP())
	p := h.Settings.Proxies(c.UserContext())
	var header [][]byte
	if name := p.Header(); name != "" {
		header = c.Request().Header.PeekAll(name)
	}
	ip := p.Client(remote, header).String()
	c.Locals(clientIPKey, ip)
	return ip
}

// ClientIP returns the address of the client that sent a request of the
// API, as the trusted proxy settings say (PocketBase's e.realIP()).
func ClientIP(c *fiber.Ctx) string {
	if ip, ok := c.Locals(clientIPKey).(string); ok {
		return ip
	}
	return c.IP()
}
