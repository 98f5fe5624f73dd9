package api

import (
	"errors"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/lumbunghq/lumbung/collections"
	"github.com/lumbunghq/lumbung/server/auth"
)

// The verification, password reset and email change flows. Every request-*
// endpoint answers 204 whether or not the address belongs to a record, and
// sends its email in the background so that timing tells nothing either.

func invalidToken() error {
	return collections.Invalid("Invalid or expired token.", map[string]collections.FieldError{
		"token": {Code: "validation_invalid_token", Message: "Invalid or expired token."},
	})
}

func required(errs map[string]collections.FieldError, key, value string) {
	if strings.TrimSpace(value) == "" {
		errs[key] = collections.FieldError{Code: "validation_required", Message: "Cannot be blank."}
	}
}

// checkEmail validates an address the way the collection's email field does.
func checkEmail(col *collections.Collection, errs map[string]collections.FieldError, key, value string) {
	if strings.TrimSpace(value) == "" {
		required(errs, key, value)
		return
	}
	f, ok := col.Field("email")
	if !ok {
		return
	}
	if _, ferr := f.Options.Prepare(value); ferr != nil {
		errs[key] = *ferr
	}
}

func invalidInput(errs map[string]collections.FieldError) error {
	if len(errs) == 0 {
		return nil
	}
	return collections.Invalid("An error occurred while validating the submitted data.", errs)
}

// tokenRecord resolves a token of type typ issued for a record of col whose
// email is still the one the token was issued for.
func (h *handlers) tokenRecord(c *fiber.Ctx, col *collections.Collection, token, typ string) (*collections.Record, *auth.Claims, error) {
	rec, claims, err := h.Auth.Resolve(c.UserContext(), token, typ)
	if err != nil {
		if errors.Is(err, auth.ErrInvalidToken) {
			return nil, nil, invalidToken()
		}
		return nil, nil, err
	}
	email, _ := rec.Data["email"].(string)
	if rec.Collection.ID != col.ID || !strings.EqualFold(claims.Email, email) {
		return nil, nil, invalidToken()
	}
	return rec, claims, nil
}

// findForEmail returns the record with the email, or nil when there is none.
func (h *handlers) findForEmail(c *fiber.Ctx, col *collections.Collection, email string) (*collections.Record, error) {
	rec, err := h.Collections.SystemRecords().FindByEmail(c.UserContext(), col, email)
	if collections.ErrorCode(err) == collections.ENOTFOUND {
		return nil, nil //nolint:nilnil // "no such record" is an answer here, not a failure
	}
	return rec, err
}

func (h *handlers) requestVerification(c *fiber.Ctx) error {
	col, err := h.authCollection(c)
	if err != nil {
		return err
	}
	var in struct {
		Email string `json:"email"`
	}
	if err := decodeJSON(c.Body(), &in); err != nil {
		return err
	}
	errs := map[string]collections.FieldError{}
	checkEmail(col, errs, "email", in.Email)
	if err := invalidInput(errs); err != nil {
		return err
	}
	rec, err := h.findForEmail(c, col, in.Email)
	if err != nil {
		return err
	}
	if rec != nil {
		if verified, _ := rec.Data["verified"].(bool); !verified {
			opts := authOptions(col)
			email, _ := rec.Data["email"].(string)
			token, err := h.Issuer.IssueClaims(rec, auth.Claims{Type: auth.TypeVerification, Email: email}, seconds(opts.VerificationToken.Duration))
			if err != nil {
				return err
			}
			h.sendLater(c.UserContext(), "verification", opts.VerificationTemplate, rec, email, token)
		}
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (h *handlers) confirmVerification(c *fiber.Ctx) error {
	col, err := h.authCollection(c)
	if err != nil {
		return err
	}
	var in struct {
		Token string `json:"token"`
	}
	if err := decodeJSON(c.Body(), &in); err != nil {
		return err
	}
	errs := map[string]collections.FieldError{}
	required(errs, "token", in.Token)
	if err := invalidInput(errs); err != nil {
		return err
	}
	rec, _, err := h.tokenRecord(c, col, in.Token, auth.TypeVerification)
	if err != nil {
		return err
	}
	if verified, _ := rec.Data["verified"].(bool); !verified {
		if err := h.Collections.SystemRecords().MarkVerified(c.UserContext(), col, rec.ID()); err != nil {
			return err
		}
		h.Auth.Forget(col.ID, rec.ID())
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (h *handlers) requestPasswordReset(c *fiber.Ctx) error {
	col, err := h.authCollection(c)
	if err != nil {
		return err
	}
	var in struct {
		Email string `json:"email"`
	}
	if err := decodeJSON(c.Body(), &in); err != nil {
		return err
	}
	errs := map[string]collections.FieldError{}
	checkEmail(col, errs, "email", in.Email)
	if err := invalidInput(errs); err != nil {
		return err
	}
	rec, err := h.findForEmail(c, col, in.Email)
	if err != nil {
		return err
	}
	if rec != nil {
		opts := authOptions(col)
		email, _ := rec.Data["email"].(string)
		token, err := h.Issuer.IssueClaims(rec, auth.Claims{Type: auth.TypePasswordReset, Email: email}, seconds(opts.PasswordResetToken.Duration))
		if err != nil {
			return err
		}
		h.sendLater(c.UserContext(), "password reset", opts.ResetPasswordTemplate, rec, email, token)
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// confirmPasswordReset sets a new password. The token key changes with it,
// so the reset token and every token issued before stop working at once.
// Following the emailed link proves the address: the record is verified.
func (h *handlers) confirmPasswordReset(c *fiber.Ctx) error {
	col, err := h.authCollection(c)
	if err != nil {
		return err
	}
	var in struct {
		Token           string `json:"token"`
		Password        string `json:"password"`
		PasswordConfirm string `json:"passwordConfirm"`
	}
	if err := decodeJSON(c.Body(), &in); err != nil {
		return err
	}
	errs := map[string]collections.FieldError{}
	required(errs, "token", in.Token)
	required(errs, "password", in.Password)
	if in.PasswordConfirm != in.Password {
		errs["passwordConfirm"] = collections.FieldError{Code: "validation_values_mismatch", Message: "Values don't match."}
	}
	if err := invalidInput(errs); err != nil {
		return err
	}
	rec, _, err := h.tokenRecord(c, col, in.Token, auth.TypePasswordReset)
	if err != nil {
		return err
	}
	if err := h.Collections.SystemRecords().ResetPassword(c.UserContext(), col, rec.ID(), in.Password); err != nil {
		return err
	}
	h.Auth.Forget(col.ID, rec.ID())
	return c.SendStatus(fiber.StatusNoContent)
}

// requestEmailChange sends a confirmation link to the new address of the
// signed-in record. An address already in use gets no email, and the
// answer is the same.
func (h *handlers) requestEmailChange(c *fiber.Ctx) error {
	col, err := h.authCollection(c)
	if err != nil {
		return err
	}
	id := identity(c)
	switch {
	case id == nil:
		return collections.Errorf(collections.EUNAUTHORIZED, "The request requires valid record authorization token.")
	case id.Record.Collection.ID != col.ID:
		return collections.Errorf(collections.EFORBIDDEN, "The authorized record is not from the %q collection.", col.Name)
	}
	var in struct {
		NewEmail string `json:"newEmail"`
	}
	if err := decodeJSON(c.Body(), &in); err != nil {
		return err
	}
	errs := map[string]collections.FieldError{}
	checkEmail(col, errs, "newEmail", in.NewEmail)
	current, _ := id.Record.Data["email"].(string)
	if _, failed := errs["newEmail"]; !failed && strings.EqualFold(in.NewEmail, current) {
		errs["newEmail"] = collections.FieldError{Code: "validation_same_email", Message: "Must differ from the current email."}
	}
	if err := invalidInput(errs); err != nil {
		return err
	}
	taken, err := h.findForEmail(c, col, in.NewEmail)
	if err != nil {
		return err
	}
	if taken == nil {
		opts := authOptions(col)
		token, err := h.Issuer.IssueClaims(id.Record, auth.Claims{Type: auth.TypeEmailChange, Email: current, NewEmail: in.NewEmail}, seconds(opts.EmailChangeToken.Duration))
		if err != nil {
			return err
		}
		h.sendLater(c.UserContext(), "email change", opts.ConfirmEmailChangeTemplate, id.Record, in.NewEmail, token)
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// confirmEmailChange applies an email change with the emailed token and
// the record's password. The new address counts as verified, and the token
// key changes: sessions signed in under the old address end.
func (h *handlers) confirmEmailChange(c *fiber.Ctx) error {
	col, err := h.authCollection(c)
	if err != nil {
		return err
	}
	var in struct {
		Token    string `json:"token"`
		Password string `json:"password"`
	}
	if err := decodeJSON(c.Body(), &in); err != nil {
		return err
	}
	errs := map[string]collections.FieldError{}
	required(errs, "token", in.Token)
	required(errs, "password", in.Password)
	if err := invalidInput(errs); err != nil {
		return err
	}
	rec, claims, err := h.tokenRecord(c, col, in.Token, auth.TypeEmailChange)
	if err != nil {
		return err
	}
	ip := h.clientIP(c)
	if wait, err := h.Throttle.Wait(c.UserContext(), col.ID, claims.Email, ip); err != nil {
		return err
	} else if wait > 0 {
		return tooManyAttempts(c, wait)
	}
	hash, _ := rec.Data["password"].(string)
	if !auth.CheckPassword(hash, in.Password) {
		if err := h.Throttle.Fail(c.UserContext(), col.ID, claims.Email, ip); err != nil {
			return err
		}
		return invalidInput(map[string]collections.FieldError{
			"password": {Code: "validation_invalid_password", Message: "Missing or invalid auth record password."},
		})
	}
	if other, err := h.findForEmail(c, col, claims.NewEmail); err != nil {
		return err
	} else if other != nil && other.ID() != rec.ID() {
		return invalidInput(map[string]collections.FieldError{
			"token": {Code: "validation_email_exists", Message: "The new email address is already in use."},
		})
	}
	if err := h.Collections.SystemRecords().ChangeEmail(c.UserContext(), col, rec.ID(), claims.NewEmail); err != nil {
		return err
	}
	h.Auth.Forget(col.ID, rec.ID())
	return c.SendStatus(fiber.StatusNoContent)
}
