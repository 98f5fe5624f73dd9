package api

import "github.com/gofiber/fiber/v2"

func (h *handlers) healthRoutes(r fiber.Router) {
	r.Get("/health", h.health)
}

// health reports whether the server can reach its database.
func (h *handlers) health(c *fiber.Ctx) error {
	if err := h.Ping(c.UserContext()); err != nil {
		h.Logger.Error("health check failed", "requestId", requestID(c), "err", err)
		c.Set(fiber.HeaderRetryAfter, retryAfter)
		return c.Status(fiber.StatusServiceUnavailable).JSON(errorBody{
			Status: fiber.StatusServiceUnavailable, Message: unavailableMessage, Data: map[string]any{}})
	}
	return c.JSON(fiber.Map{"code": 200, "message": "API is healthy.", "data": fiber.Map{}})
}
