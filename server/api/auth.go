package api

import (
	"encoding/json"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/lumbunghq/lumbung/collections"
	"github.com/lumbunghq/lumbung/server/auth"
)

func (h *handlers) authRoutes(r fiber.Router) {
	r.Get("/collections/:collection/auth-methods", h.authMethods)
	r.Post("/collections/:collection/auth-with-password", h.authWithPassword)
	r.Post("/collections/:collection/auth-refresh", h.authRefresh)
}

func (h *handlers) authCollection(c *fiber.Ctx) (*collections.Collection, error) {
	col, err := h.Collections.MustCollection(c.Params("collection"))
	if err != nil {
		return nil, err
	}
	if col.Type != collections.TypeAuth {
		return nil, collections.Errorf(collections.EINVALID, "%q is not an auth collection.", col.Name)
	}
	return col, nil
}

// authMethods lists the sign-in methods of an auth collection, in
// PocketBase's shape.
func (h *handlers) authMethods(c *fiber.Ctx) error {
	if _, err := h.authCollection(c); err != nil {
		return err
	}
	return c.JSON(fiber.Map{
		"password": fiber.Map{"enabled": true, "identityFields": []string{"email"}},
		"oauth2":   fiber.Map{"enabled": false, "providers": []any{}},
		"mfa":      fiber.Map{"enabled": false, "duration": 0},
		"otp":      fiber.Map{"enabled": false, "duration": 0},
	})
}

func (h *handlers) authWithPassword(c *fiber.Ctx) error {
	col, err := h.authCollection(c)
	if err != nil {
		return err
	}
	var in struct {
		Identity string `json:"identity"`
		Password string `json:"password"`
	}
	if err := decodeJSON(c.Body(), &in); err != nil {
		return err
	}
	errs := map[string]collections.FieldError{}
	if strings.TrimSpace(in.Identity) == "" {
		errs["identity"] = collections.FieldError{Code: "validation_required", Message: "Cannot be blank."}
	}
	if in.Password == "" {
		errs["password"] = collections.FieldError{Code: "validation_required", Message: "Cannot be blank."}
	}
	if len(errs) > 0 {
		return collections.Invalid("Failed to authenticate.", errs)
	}
	rec, err := h.Collections.Records().FindByEmail(c.UserContext(), col, in.Identity)
	hash := ""
	switch {
	case err == nil:
		hash, _ = rec.Data["password"].(string)
	case collections.ErrorCode(err) != collections.ENOTFOUND:
		return err
	}
	// Compare even when the identity is unknown, so timing reveals nothing.
	if !auth.CheckPassword(hash, in.Password) {
		return collections.Errorf(collections.EINVALID, "Failed to authenticate.")
	}
	return h.sendAuth(c, rec)
}

func (h *handlers) authRefresh(c *fiber.Ctx) error {
	col, err := h.authCollection(c)
	if err != nil {
		return err
	}
	id := identity(c)
	if id == nil {
		return collections.Errorf(collections.EUNAUTHORIZED, "The request requires valid record authorization token.")
	}
	if id.Record.Collection.ID != col.ID {
		return collections.Errorf(collections.EFORBIDDEN, "The authorized record is not from the %q collection.", col.Name)
	}
	return h.sendAuth(c, id.Record)
}

// sendAuth answers a successful sign-in with a fresh token and the record.
func (h *handlers) sendAuth(c *fiber.Ctx, rec *collections.Record) error {
	token, err := h.Issuer.Issue(rec, auth.TypeAuth, h.TokenTTL)
	if err != nil {
		return err
	}
	quoted, _ := json.Marshal(token)
	b := append([]byte(`{"token":`), quoted...)
	b = append(b, `,"record":`...)
	b, err = rec.AppendJSON(b, nil, true)
	if err != nil {
		return err
	}
	b = append(b, '}')
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	return c.Send(b)
}
