package api

import (
	"github.com/gofiber/fiber/v2"

	"github.com/lumbunghq/lumbung/server/auth"
)

func (h *handlers) setupRoutes() []Route {
	if h.Setup == nil {
		return nil
	}
	return []Route{
		{"POST", "/setup", Public, h.createFirstSuperuser, "Create the first superuser with the first-run link."},
	}
}

// createFirstSuperuser answers the dashboard's first-run screen: with the
// token of the link `lumbung serve` printed, it creates the first superuser
// and signs it in, as auth-with-password answers.
func (h *handlers) createFirstSuperuser(c *fiber.Ctx) error {
	var in struct {
		Token    string `json:"token"`
		Email    string `json:"email"`
		Password string `json:"password"`
	}
	if err := decodeJSON(c.Body(), &in); err != nil {
		return err
	}
	rec, err := h.Setup.CreateFirstSuperuser(c.UserContext(), in.Token, in.Email, in.Password)
	if err != nil {
		return err
	}
	col := rec.Collection
	return h.sendAuth(c, rec, auth.Claims{Type: auth.TypeAuth, Refreshable: true}, seconds(authOptions(col).AuthToken.Duration))
}
