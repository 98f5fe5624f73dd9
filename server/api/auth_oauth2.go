package api

import (
	"crypto/rand"
	"errors"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/lumbunghq/lumbung/collections"
	"github.com/lumbunghq/lumbung/server/auth"
)

// ExternalAuthsCollection links auth records to their OAuth2 identities:
// collectionRef, recordRef, provider, providerId (PocketBase's).
const ExternalAuthsCollection = "_externalAuths"

type oauth2Input struct {
	Provider     string         `json:"provider"`
	Code         string         `json:"code"`
	CodeVerifier string         `json:"codeVerifier"`
	RedirectURL  string         `json:"redirectURL"`
	RedirectURL2 string         `json:"redirectUrl"` // older SDKs
	CreateData   map[string]any `json:"createData"`
}

// authWithOAuth2 completes PocketBase's OAuth2 sign-in: the client sends
// the code the provider gave it. The provider identity is looked up in
// _externalAuths; else it is linked to the signed-in record of the
// collection, or to the record with the provider's email when the provider
// has verified it; else a record is created (under the collection's create
// rule) from createData and the provider's data.
func (h *handlers) authWithOAuth2(c *fiber.Ctx) error {
	col, err := h.authCollection(c)
	if err != nil {
		return err
	}
	opts := authOptions(col)
	var in oauth2Input
	if err := decodeJSON(c.Body(), &in); err != nil {
		return err
	}
	if in.RedirectURL == "" {
		in.RedirectURL = in.RedirectURL2
	}
	errs := map[string]collections.FieldError{}
	required(errs, "provider", in.Provider)
	required(errs, "code", in.Code)
	required(errs, "redirectURL", in.RedirectURL)
	provider, ok := opts.OAuth2.Provider(in.Provider)
	if _, blank := errs["provider"]; !blank && !ok {
		errs["provider"] = collections.FieldError{Code: "validation_invalid_provider", Message: "Unknown or disabled OAuth2 provider."}
	}
	if err := invalidInput(errs); err != nil {
		return err
	}
	user, err := (&auth.OAuth2Client{}).Authenticate(c.UserContext(), provider, in.Code, in.CodeVerifier, in.RedirectURL)
	if err != nil {
		if errors.Is(err, auth.ErrOAuth2) {
			h.Logger.Warn("oauth2 sign-in failed", "requestId", requestID(c), "collection", col.Name, "provider", provider.Name, "err", err)
			return collections.Errorf(collections.EINVALID, "Failed to authenticate with the OAuth2 provider.")
		}
		return err
	}
	if name := h.oauth2Names.take(in.Code, h.Now()); name != "" && user.Name == "" {
		user.Name = name // Apple's, from the redirect
	}
	if strings.ContainsAny(user.ID, "\"\\") {
		return collections.Errorf(collections.EINVALID, "The OAuth2 provider returned an unsupported user id.")
	}
	rec, isNew, err := h.oauth2Record(c, col, provider.Name, user, in.CreateData)
	if err != nil {
		return err
	}
	if err := h.checkSignIn(c, col, rec); err != nil {
		return err
	}
	meta := map[string]any{
		"id": user.ID, "name": user.Name, "username": user.Username, "email": user.Email, "avatarURL": user.AvatarURL,
		"accessToken": user.AccessToken, "refreshToken": user.RefreshToken, "expiry": user.Expiry,
		"isNew": isNew, "rawUser": user.RawUser,
	}
	return h.sendAuthMeta(c, rec, auth.Claims{Type: auth.TypeAuth, Refreshable: true}, seconds(opts.AuthToken.Duration), meta)
}

// oauth2Record finds, links or creates the record of a provider user.
func (h *handlers) oauth2Record(c *fiber.Ctx, col *collections.Collection, provider string, user *auth.OAuth2User, createData map[string]any) (*collections.Record, bool, error) {
	ctx := c.UserContext()
	sys := h.Collections.SystemRecords()
	ext, err := h.Collections.MustCollection(ExternalAuthsCollection)
	if err != nil {
		return nil, false, err
	}
	page, err := sys.List(ctx, ext, collections.Query{PerPage: 1, SkipTotal: true,
		Filter:  `collectionRef = "` + col.ID + `" && provider = "` + provider + `" && providerId = "` + user.ID + `"`,
		CanRead: func(*collections.Collection, string) bool { return true }})
	if err != nil {
		return nil, false, err
	}
	if len(page.Items) == 1 {
		link := page.Items[0]
		recordID, _ := link.Data["recordRef"].(string)
		rec, err := sys.Get(ctx, col, recordID)
		if err == nil {
			return rec, false, nil
		}
		if collections.ErrorCode(err) != collections.ENOTFOUND {
			return nil, false, err
		}
		// The record is gone: forget the stale link and start over.
		if err := sys.Delete(ctx, ext, link.ID()); err != nil {
			return nil, false, err
		}
	}
	var rec *collections.Record
	isNew := false
	if id := identity(c); id != nil && id.Record.Collection.ID == col.ID {
		rec = id.Record
	} else if user.Email != "" && user.EmailVerified {
		if rec, err = h.findForEmail(c, col, user.Email); err != nil {
			return nil, false, err
		}
	}
	if rec == nil {
		if rec, err = h.createOAuth2Record(c, col, user, createData); err != nil {
			return nil, false, err
		}
		isNew = true
	}
	email, _ := rec.Data["email"].(string)
	if verified, _ := rec.Data["verified"].(bool); !verified && user.EmailVerified && email != "" && strings.EqualFold(email, user.Email) {
		if err := sys.MarkVerified(ctx, col, rec.ID()); err != nil {
			return nil, false, err
		}
		rec.Data["verified"] = true
	}
	_, err = sys.Create(ctx, ext, map[string]any{"collectionRef": col.ID, "recordRef": rec.ID(), "provider": provider, "providerId": user.ID})
	if err != nil {
		return nil, false, err
	}
	return rec, isNew, nil
}

// createOAuth2Record creates a record for a new provider user on behalf of
// the caller (the collection's create rule applies): createData, the
// provider's email unless taken, the mapped fields, and a random password.
func (h *handlers) createOAuth2Record(c *fiber.Ctx, col *collections.Collection, user *auth.OAuth2User, createData map[string]any) (*collections.Record, error) {
	input := make(map[string]any, len(createData)+4)
	for k, v := range createData {
		input[k] = v
	}
	if _, set := input["email"]; !set && user.Email != "" {
		taken, err := h.findForEmail(c, col, user.Email)
		if err != nil {
			return nil, err
		}
		if taken == nil {
			input["email"] = user.Email
		}
	}
	if _, set := input["password"]; !set {
		pw := randomPassword(col)
		input["password"], input["passwordConfirm"] = pw, pw
	}
	m := authOptions(col).OAuth2.MappedFields
	for field, value := range map[string]string{m.ID: user.ID, m.Name: user.Name, m.Username: user.Username, m.AvatarURL: user.AvatarURL} {
		if _, set := input[field]; field == "" || set || value == "" {
			continue
		}
		if f, ok := col.Field(field); ok && f.Type == "file" {
			// As PocketBase: the avatar is downloaded into the file field;
			// a failure leaves it empty.
			if u, remove, err := h.downloadAvatar(c.UserContext(), value, f); err != nil {
				h.Logger.Warn("failed to download the OAuth2 avatar", "requestId", requestID(c), "err", err)
			} else {
				defer remove()
				input[field] = u
			}
			continue
		}
		input[field] = value
	}
	rec, err := h.records(c).Create(c.UserContext(), col, input)
	if err != nil {
		return nil, err
	}
	// Created under the caller's rules; answered in full, as its own record.
	return h.Collections.SystemRecords().Get(c.UserContext(), col, rec.ID())
}

// randomPassword is the password of records created through OAuth2: long,
// random and never shown (a password reset sets a usable one), within the
// password field's limits.
func randomPassword(col *collections.Collection) string {
	pw := rand.Text() + rand.Text()
	n := 40
	if f, ok := col.Field("password"); ok {
		if o, ok := f.Options.(*collections.PasswordOptions); ok {
			n = max(min(n, o.Max), o.Min)
		}
	}
	return pw[:min(n, len(pw))]
}
