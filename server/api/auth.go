package api

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/lumbunghq/lumbung/collections"
	"github.com/lumbunghq/lumbung/server/auth"
)

func (h *handlers) authRoutes() []Route {
	const c = "/collections/:collection"
	return []Route{
		{"GET", c + "/auth-methods", Public, h.authMethods, "List the sign-in methods of an auth collection."},
		{"POST", c + "/auth-with-password", Public, h.hooked(RequestAuthWithPassword, h.authWithPassword), "Sign in with an identity and a password."},
		{"POST", c + "/auth-with-oauth2", Public, h.hooked(RequestAuthWithOAuth2, h.authWithOAuth2), "Sign in (or up) with an OAuth2 provider's code."},
		{"POST", c + "/request-otp", Public, h.hooked(RequestOTP, h.requestOTP), "Email a one-time password."},
		{"POST", c + "/auth-with-otp", Public, h.hooked(RequestAuthWithOTP, h.authWithOTP), "Sign in with a one-time password."},
		{"POST", c + "/auth-refresh", Authenticated, h.hooked(RequestAuthRefresh, h.authRefresh), "Issue a new token to the signed-in record."},
		{"POST", c + "/request-verification", Public, h.hooked(RequestVerification, h.requestVerification), "Email a verification link."},
		{"POST", c + "/confirm-verification", Public, h.hooked(RequestConfirmVerification, h.confirmVerification), "Verify an email with the link's token."},
		{"POST", c + "/request-password-reset", Public, h.hooked(RequestPasswordReset, h.requestPasswordReset), "Email a password reset link."},
		{"POST", c + "/confirm-password-reset", Public, h.hooked(RequestConfirmPasswordReset, h.confirmPasswordReset), "Set a new password with the link's token."},
		{"POST", c + "/request-email-change", Authenticated, h.hooked(RequestEmailChange, h.requestEmailChange), "Email a link confirming a new address."},
		{"POST", c + "/confirm-email-change", Public, h.hooked(RequestConfirmEmailChange, h.confirmEmailChange), "Change the email with the link's token."},
		{"POST", c + "/impersonate/:id", Superusers, h.impersonate, "Issue a token for a record, as a superuser."},
	}
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

// authOptions returns the collection's auth options (defaults for a
// collection saved before it had any).
func authOptions(col *collections.Collection) *collections.AuthOptions {
	if col.Auth != nil {
		return col.Auth
	}
	return collections.DefaultAuthOptions(col.Name)
}

func seconds(n int64) time.Duration { return time.Duration(n) * time.Second }

// authMethods lists the sign-in methods of an auth collection, in
// PocketBase's shape.
func (h *handlers) authMethods(c *fiber.Ctx) error {
	col, err := h.authCollection(c)
	if err != nil {
		return err
	}
	opts := authOptions(col)
	pa := opts.PasswordAuth
	providers := []auth.OAuth2Start{}
	if opts.OAuth2.Enabled {
		for i := range opts.OAuth2.Providers {
			providers = append(providers, auth.StartOAuth2(&opts.OAuth2.Providers[i]))
		}
	}
	identityFields := []string{}
	if pa.Enabled {
		identityFields = pa.IdentityFields
	}
	// PocketBase still answers the fields of its 0.22 API beside them.
	var legacyProviders []auth.OAuth2Start // null while OAuth2 is off
	if opts.OAuth2.Enabled {
		legacyProviders = make([]auth.OAuth2Start, len(providers))
		for i, p := range providers {
			p.Logo = ""
			legacyProviders[i] = p
		}
	}
	return c.JSON(fiber.Map{
		"password":         fiber.Map{"enabled": pa.Enabled, "identityFields": identityFields},
		"oauth2":           fiber.Map{"enabled": opts.OAuth2.Enabled, "providers": providers},
		"mfa":              fiber.Map{"enabled": opts.MFA.Enabled, "duration": mfaDuration(opts)},
		"otp":              fiber.Map{"enabled": opts.OTP.Enabled, "duration": otpDuration(opts)},
		"authProviders":    legacyProviders,
		"usernamePassword": pa.Enabled && slices.Contains(identityFields, "username"),
		"emailPassword":    pa.Enabled && slices.Contains(identityFields, "email"),
	})
}

func (h *handlers) authWithPassword(c *fiber.Ctx) error {
	col, err := h.authCollection(c)
	if err != nil {
		return err
	}
	opts := authOptions(col)
	if !opts.PasswordAuth.Enabled {
		return collections.Errorf(collections.EFORBIDDEN, "The collection is not configured to allow password authentication.")
	}
	var in struct {
		Identity      string `json:"identity"`
		Password      string `json:"password"`
		IdentityField string `json:"identityField"`
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
	fields := opts.PasswordAuth.IdentityFields
	if in.IdentityField != "" {
		if !slices.Contains(fields, in.IdentityField) {
			errs["identityField"] = collections.FieldError{Code: "validation_in_invalid", Message: "Must be one of the collection's identity fields."}
		}
		fields = []string{in.IdentityField}
	}
	if len(errs) > 0 {
		return collections.Invalid("Failed to authenticate.", errs)
	}
	ip := h.clientIP(c)
	if wait, err := h.Throttle.Wait(c.UserContext(), col.ID, in.Identity, ip); err != nil {
		return err
	} else if wait > 0 {
		return tooManyAttempts(c, wait)
	}
	rec, err := h.findByIdentity(c, col, fields, in.Identity)
	hash := ""
	switch {
	case err == nil:
		hash, _ = rec.Data["password"].(string)
	case collections.ErrorCode(err) != collections.ENOTFOUND:
		return err
	}
	// Compare even when the identity is unknown, so timing reveals nothing.
	if !auth.CheckPassword(hash, in.Password) {
		if err := h.Throttle.Fail(c.UserContext(), col.ID, in.Identity, ip); err != nil {
			return err
		}
		return collections.Errorf(collections.EINVALID, "Failed to authenticate.")
	}
	if err := h.Throttle.Succeed(c.UserContext(), col.ID, in.Identity, ip); err != nil {
		return err
	}
	if err := h.checkSignIn(c, col, rec); err != nil {
		return err
	}
	return h.sendAuth(c, rec, auth.Claims{Type: auth.TypeAuth, Refreshable: true}, seconds(opts.AuthToken.Duration))
}

// checkSignIn refuses a new sign-in the collection's authRule keeps out,
// and runs the MFA step (an *mfaRequired after a first method); a sign-in
// let through is recorded for new-location alerts.
func (h *handlers) checkSignIn(c *fiber.Ctx, col *collections.Collection, rec *collections.Record) error {
	if err := h.checkAuthRule(c, col, rec); err != nil {
		return err
	}
	method := signInMethod(c)
	if err := h.secondFactor(c, col, rec, method); err != nil {
		return err
	}
	if method != "" {
		h.alertNewOrigin(c, col, rec)
	}
	return nil
}

// mfaDuration is the MFA duration auth-methods reports (0 when disabled).
func mfaDuration(opts *collections.AuthOptions) int64 {
	if !opts.MFA.Enabled {
		return 0
	}
	return opts.MFA.Duration
}

// otpDuration is the OTP duration auth-methods reports (0 when disabled).
func otpDuration(opts *collections.AuthOptions) int64 {
	if !opts.OTP.Enabled {
		return 0
	}
	return opts.OTP.Duration
}

// checkAuthRule refuses records the collection's authRule keeps out.
func (h *handlers) checkAuthRule(c *fiber.Ctx, col *collections.Collection, rec *collections.Record) error {
	ok, err := h.Collections.SystemRecords().WithRequest(requestInfo(c)).AllowsSignIn(c.UserContext(), col, rec)
	if err != nil {
		return err
	}
	if !ok {
		return collections.Errorf(collections.EFORBIDDEN, "The collection's auth rule does not allow this record to sign in.")
	}
	return nil
}

// tooManyAttempts answers 429 with Retry-After.
func tooManyAttempts(c *fiber.Ctx, wait time.Duration) error {
	c.Set(fiber.HeaderRetryAfter, strconv.Itoa(auth.RetryAfterSeconds(wait)))
	return collections.Errorf(collections.ETOOMANY, "Too many failed attempts; try again later.")
}

// findByIdentity looks the identity up in each identity field in turn:
// emails case-insensitively, other fields exactly.
func (h *handlers) findByIdentity(c *fiber.Ctx, col *collections.Collection, fields []string, identity string) (*collections.Record, error) {
	recs := h.Collections.SystemRecords()
	for _, name := range fields {
		f, ok := col.Field(name)
		if !ok {
			continue
		}
		var rec *collections.Record
		var err error
		if f.Type == "email" && name == "email" {
			rec, err = recs.FindByEmail(c.UserContext(), col, identity)
		} else {
			rec, err = findByField(c, recs, col, name, identity)
		}
		if err == nil || collections.ErrorCode(err) != collections.ENOTFOUND {
			return rec, err
		}
	}
	return nil, collections.Errorf(collections.ENOTFOUND, "The requested resource wasn't found.")
}

// findByField finds the record whose field equals value, through the
// filter language. Values the language could not quote exactly are never
// found.
func findByField(c *fiber.Ctx, recs *collections.Records, col *collections.Collection, field, value string) (*collections.Record, error) {
	notFound := collections.Errorf(collections.ENOTFOUND, "The requested resource wasn't found.")
	if strings.ContainsAny(value, `"\`) {
		return nil, notFound
	}
	page, err := recs.List(c.UserContext(), col, collections.Query{
		PerPage: 1, SkipTotal: true, Filter: field + ` = "` + value + `"`,
		CanRead: func(*collections.Collection, string) bool { return true },
	})
	if err != nil {
		return nil, err
	}
	if len(page.Items) == 0 {
		return nil, notFound
	}
	return page.Items[0], nil
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
		return collections.Errorf(collections.EUNAUTHORIZED, "The token belongs to another collection than %q.", col.Name)
	}
	if !id.Refreshable {
		return collections.Errorf(collections.EFORBIDDEN, "The current auth token is not refreshable.")
	}
	if err := h.checkAuthRule(c, col, id.Record); err != nil {
		return err
	}
	return h.sendAuth(c, id.Record, auth.Claims{Type: auth.TypeAuth, Refreshable: true}, seconds(authOptions(col).AuthToken.Duration))
}

// impersonate lets a superuser act as any auth record: it answers with a
// non-refreshable token for the record, valid for duration seconds (the
// collection's auth token duration when 0).
func (h *handlers) impersonate(c *fiber.Ctx) error {
	col, err := h.authCollection(c)
	if err != nil {
		return err
	}
	var in struct {
		Duration int64 `json:"duration"`
	}
	if len(strings.TrimSpace(string(c.Body()))) > 0 {
		if err := decodeJSON(c.Body(), &in); err != nil {
			return err
		}
	}
	if in.Duration < 0 || in.Duration > 3*365*24*60*60 {
		return collections.Invalid("An error occurred while validating the submitted data.", map[string]collections.FieldError{
			"duration": {Code: "validation_out_of_range", Message: "Must be between 0 and 94608000 seconds."},
		})
	}
	ttl := seconds(in.Duration)
	if ttl == 0 {
		ttl = seconds(authOptions(col).AuthToken.Duration)
	}
	rec, err := h.Collections.SystemRecords().Get(c.UserContext(), col, c.Params("id"))
	if err != nil {
		return err
	}
	return h.sendAuth(c, rec, auth.Claims{Type: auth.TypeAuth}, ttl)
}

// sendAuth answers a successful sign-in with a fresh token and the record.
// The record is its owner's (or a superuser's) to see: the email is shown;
// hidden fields only to superusers.
func (h *handlers) sendAuth(c *fiber.Ctx, rec *collections.Record, claims auth.Claims, ttl time.Duration) error {
	return h.sendAuthMeta(c, rec, claims, ttl, nil)
}

// sendAuthMeta is sendAuth with a "meta" object beside token and record
// (nil for none), as OAuth2 sign-ins answer.
func (h *handlers) sendAuthMeta(c *fiber.Ctx, rec *collections.Record, claims auth.Claims, ttl time.Duration, meta any) error {
	if err := h.Hooks.recordAuth.Trigger(&AuthEvent{Ctx: c, Collection: rec.Collection, Record: rec, Method: authMethod(c)}); err != nil {
		return err
	}
	showHidden := rec.Collection.Name == collections.SuperusersName || identity(c).Superuser()
	token, err := h.Issuer.IssueClaims(rec, claims, ttl)
	if err != nil {
		return err
	}
	if err := h.records(c).Enrich(c.UserContext(), rec); err != nil {
		return err
	}
	quoted, _ := json.Marshal(token)
	b := append([]byte(`{"token":`), quoted...)
	b = append(b, `,"record":`...)
	b, err = rec.AppendJSON(b, nil, showHidden)
	if err != nil {
		return err
	}
	if meta != nil {
		m, err := json.Marshal(meta)
		if err != nil {
			return err
		}
		b = append(append(b, `,"meta":`...), m...)
	}
	b = append(b, '}')
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	return c.Send(b)
}
