package api

import (
	"github.com/gofiber/fiber/v2"

	"github.com/lumbunghq/lumbung/collections"
	"github.com/lumbunghq/lumbung/server/auth"
)

// oauth2ProviderItem is one built-in provider as PocketBase lists them.
type oauth2ProviderItem struct {
	Name        string `json:"name"`
	DisplayName string `json:"displayName"`
	Logo        string `json:"logo"`
}

// oauth2Providers lists the built-in providers (GET
// /api/collections/meta/oauth2-providers, superusers): [{name,
// displayName, logo}] in PocketBase's order.
func (h *handlers) oauth2Providers(c *fiber.Ctx) error {
	presets := collections.OAuth2Presets()
	out := make([]oauth2ProviderItem, 0, len(presets))
	for _, p := range presets {
		out = append(out, oauth2ProviderItem{Name: p.Name, DisplayName: p.DisplayName, Logo: p.Logo})
	}
	return c.JSON(out)
}

// appleClientSecret makes an Apple client secret from the team id, key id
// and private key (POST /api/settings/apple/generate-client-secret,
// superusers): {"secret": "<JWT>"}. The key is used, never kept or logged.
func (h *handlers) appleClientSecret(c *fiber.Ctx) error {
	var in auth.AppleSecretInput
	if err := decodeJSON(c.Body(), &in); err != nil {
		return err
	}
	if errs := in.Validate(); len(errs) > 0 {
		return collections.Invalid("Invalid client secret data.", errs)
	}
	secret, err := auth.AppleClientSecret(in, h.Now())
	if err != nil {
		return collections.Errorf(collections.EINVALID, "Failed to generate client secret. Raw error: \n%v", err)
	}
	return c.JSON(fiber.Map{"secret": secret})
}
